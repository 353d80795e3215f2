"""Rules for the judge's and the admin's calls: sanctions, payouts, settings, forced statuses,
roles. The SDK has none of them; they are sent as its ``TxExecutor`` sends (``rules.common.send``).

Each rule here covers one kind of authority and draws which of its contract functions to call
(recorded as the call's entry point, e.g. ``Vault.waive``), so the statistics show every
function and each rule gets enough calls to be judged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule

from ..cast import Actor
from ..drawing import draw
from ..expected import ROLE_IDS
from ..machine import VALID_SIGNER, MachineCore, sampled
from ..model import ResponseStatus, SourceStatus, TaskStatus
from .common import OGPU, near, send

#: Periods and minimum lockups the admin sets (0 first: shrinking lands on the neutral one).
UNBONDING_PERIODS = st.sampled_from([0, 1, 5, 10, 30])
#: (never above the start stake: a minimum nobody meets stops the market for the example)
MIN_LOCKUPS = st.sampled_from([0, 0, 0, OGPU // 20, OGPU // 10])
#: The contract functions these rules call, as their entry points in the statistics.
ADMIN_ENTRY_POINTS = (
    "Vault.sanction",
    "Vault.waive",
    "Vault.forceReleasePayment",
    "Vault.withdrawSanctionOf",
    "Vault.emergencyExit",
    "Vault.setWhitelist",
    "Vault.setMaxUnbondingPeriod",
    "Vault.setMinLockupPerSource",
    "Nexus.setTaskStatus",
    "Nexus.setResponseStatus",
    "Nexus.setSourceStatus",
    "Manager.grantRole",
    "Manager.revokeRole",
    "Manager.renounceRole",
)


class AdminRules(MachineCore):
    """judge (sanction, waive, forceReleasePayment), vault_admin (withdrawSanctionOf,
    emergencyExit, setWhitelist, setMaxUnbondingPeriod, setMinLockupPerSource), force_status
    (the Nexus owner's setTaskStatus, setResponseStatus, setSourceStatus) and manage_judges
    (grantRole, revokeRole, renounceRole)."""

    def _call(
        self,
        rule: str,
        contract: str,
        function: str,
        args: tuple[Any, ...],
        signer: Actor,
        model: Callable[[Any, int], Any],
    ) -> None:
        handle = self.sim.deployment.contracts[contract.upper()]
        self.act(
            rule,
            lambda: send(handle, function, args, signer.account),
            model,
            via=f"{contract}.{function}",
        )

    def _holder(self, data: st.DataObject, bucket: str) -> Actor:
        # providers first: hypothesis favours the first choice, and a provider's stake is
        # what a judge's decisions are about
        everyone = sorted(self.cast.values(), key=lambda a: not a.name.startswith("provider"))
        holders = [a for a in everyone if getattr(self.model.ledger(a.address), bucket) > 0]
        return self.choose(data, "account", holders, everyone)

    def _signer(self, data: st.DataObject, role: str) -> Actor:
        """A holder of ``role`` mostly (the admin holds both), else someone without it."""
        everyone = [self.admin, *self.cast.values()]
        holders = [a for a in everyone if self.model.has_role(role, a.address)]
        outsiders = [a for a in everyone if a not in holders]
        return self.choose(data, "signer", holders, outsiders or everyone, VALID_SIGNER)

    # -- the judge ----------------------------------------------------------------------------
    @rule(data=st.data())
    def judge(self, data: st.DataObject) -> None:
        m = self.model
        ops = ["sanction"]
        if any(x.sanction for x in m.ledgers.values()):
            ops.append("waive")
        if m.tasks:
            ops.append("forceReleasePayment")
        op = draw(data, sampled(ops), label="function")
        signer = self._signer(data, "JUDGE")
        if op == "forceReleasePayment":
            stuck = [t for t, state in m.tasks.items() if state.escrow and state.forced]
            task = self.choose(data, "task", stuck, list(m.tasks))
            self._call(
                "judge",
                "Vault",
                op,
                (m.tasks[task].client, task),
                signer,
                lambda m, now: m.force_release_payment(signer.address, task),
            )
            return
        bucket = "lockup" if op == "sanction" else "sanction"
        account = self._holder(data, bucket)
        amount = draw(data, near(getattr(m.ledger(account.address), bucket)), label="amount")
        self._call(
            "judge",
            "Vault",
            op,
            (account.address, amount),
            signer,
            lambda m, now: (m.sanction if op == "sanction" else m.waive)(
                signer.address, account.address, amount
            ),
        )

    # -- the admin ----------------------------------------------------------------------------
    @rule(data=st.data())
    def vault_admin(self, data: st.DataObject) -> None:
        m, everyone = self.model, list(self.cast.values())
        ops = ["setWhitelist", "setMaxUnbondingPeriod", "setMinLockupPerSource", "emergencyExit"]
        if any(x.sanction for x in m.ledgers.values()):
            ops.insert(0, "withdrawSanctionOf")
        op = draw(data, sampled(ops), label="function")
        signer = self._signer(data, "DEFAULT_ADMIN_ROLE")
        who = signer.address
        if op == "withdrawSanctionOf":
            account = self._holder(data, "sanction")
            self._call(
                "vault_admin",
                "Vault",
                op,
                (account.address,),
                signer,
                lambda m, now: m.withdraw_sanction_of(who, account.address),
            )
        elif op == "emergencyExit":
            # providers' lockup keeps the market going: other accounts exit more often
            holding = [a for a in everyone if m.ledger(a.address).holdings()]
            bystanders = [a for a in holding if not a.name.startswith("provider")]
            preferred = bystanders + [a for a in holding if a not in bystanders]
            account = self.choose(data, "account", preferred, everyone)
            self._call(
                "vault_admin",
                "Vault",
                op,
                (account.address,),
                signer,
                lambda m, now: m.emergency_exit(who, account.address),
            )
        elif op == "setWhitelist":
            account = draw(data, sampled(everyone), label="account")
            value = draw(data, st.booleans(), label="value")
            self._call(
                "vault_admin",
                "Vault",
                op,
                (account.address, value),
                signer,
                lambda m, now: m.set_whitelist(who, account.address, value),
            )
        elif op == "setMaxUnbondingPeriod":
            period = draw(data, UNBONDING_PERIODS, label="period")
            self._call(
                "vault_admin",
                "Vault",
                op,
                (period,),
                signer,
                lambda m, now: m.set_unbonding_period(who, period),
            )
        else:
            amount = draw(data, MIN_LOCKUPS, label="amount")
            self._call(
                "vault_admin",
                "Vault",
                op,
                (amount,),
                signer,
                lambda m, now: m.set_min_lockup_per_source(who, amount),
            )

    # -- the Nexus owner's force paths ---------------------------------------------------------
    @rule(data=st.data())
    def force_status(self, data: st.DataObject) -> None:
        """The Nexus owner forces a status (moving no money); a closed source is reopened."""
        m = self.model
        ops = ["setSourceStatus"] + ["setTaskStatus"] * bool(m.tasks)
        ops += ["setResponseStatus"] * bool(m.responses)
        op = draw(data, sampled(ops), label="function")
        signer = self.choose(data, "signer", [self.admin], list(self.cast.values()), VALID_SIGNER)
        who = signer.address
        if op == "setTaskStatus":
            task = draw(data, sampled(list(m.tasks)), label="task")
            status = draw(data, sampled(list(TaskStatus)), label="status")
            self._call(
                "force_status",
                "Nexus",
                op,
                (task, int(status)),
                signer,
                lambda m, now: m.force_task_status(who, task, status),
            )
        elif op == "setResponseStatus":
            response = draw(data, sampled(list(m.responses)), label="response")
            answer = draw(data, sampled(list(ResponseStatus)), label="status")
            self._call(
                "force_status",
                "Nexus",
                op,
                (response, int(answer)),
                signer,
                lambda m, now: m.force_response_status(who, response, answer),
            )
        else:
            closed = [s for s, state in m.sources.items() if state.status == SourceStatus.INACTIVE]
            source = self.choose(data, "source", closed, list(m.sources))
            reopen = draw(data, sampled([True, True, True, False]), label="reopen")
            state = SourceStatus.ACTIVE if reopen else SourceStatus.INACTIVE
            self._call(
                "force_status",
                "Nexus",
                op,
                (source, int(state)),
                signer,
                lambda m, now: m.force_source_status(who, source, state),
            )

    # -- the Manager's roles ------------------------------------------------------------------
    @rule(data=st.data())
    def manage_judges(self, data: st.DataObject) -> None:
        """The admin makes and unmakes JUDGEs; a judge may give the role up (naming itself).

        The admin keeps its own JUDGE role: without it every sanction of the example reverts.
        """
        m, everyone = self.model, list(self.cast.values())
        judges = [a for a in everyone if m.has_role("JUDGE", a.address)]
        op = draw(
            data,
            sampled(["grantRole", "revokeRole", "renounceRole"] if judges else ["grantRole"]),
            label="function",
        )
        judge = ROLE_IDS["JUDGE"]
        if op == "renounceRole":
            signer = self.choose(data, "signer", judges, everyone)
            confirmation = self.choose(data, "confirmation", [signer], [self.admin, *everyone])
            self._call(
                "manage_judges",
                "Manager",
                op,
                (judge, confirmation.address),
                signer,
                lambda m, now: m.renounce_role(signer.address, "JUDGE", confirmation.address),
            )
            return
        signer = self._signer(data, "DEFAULT_ADMIN_ROLE")
        if op == "grantRole":
            account = draw(data, sampled(everyone), label="account")
            self._call(
                "manage_judges",
                "Manager",
                op,
                (judge, account.address),
                signer,
                lambda m, now: m.grant_role(signer.address, "JUDGE", account.address),
            )
        else:
            account = self.choose(data, "account", judges, everyone)
            self._call(
                "manage_judges",
                "Manager",
                op,
                (judge, account.address),
                signer,
                lambda m, now: m.revoke_role(signer.address, "JUDGE", account.address),
            )
