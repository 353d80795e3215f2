"""``LifecycleMachine``: random protocol action sequences checked against the reference model.

Bind it to a started :class:`~ogpu_sim.Simulator` and run it as a test::

    from ogpu_sim.testing import LifecycleMachine

    LifecycleMachine.bind(sim)
    TestLifecycle = LifecycleMachine.TestCase

It has a rule for every state-changing entry point of the SDK (``ogpu.protocol``'s modules and
instance classes, ``ogpu.client``, ``ogpu.agent``), for ``Nexus.submitResponse`` and the
Terminal's provider-data setters (which the SDK leaves to the provider runtime), and for the
judge's and admin's calls; see :mod:`ogpu_sim.testing.rules`. Subclass it to add rules for your
own client code; use :meth:`MachineCore.act` so your actions are compared with the model too.
"""

from __future__ import annotations

from ogpu import client as sdk_client
from ogpu.types import DeliveryMethod as SdkDelivery
from ogpu.types import ImageEnvironments, SourceInfo

from .cast import Actor
from .model import DeliveryMethod, SourceParams
from .rules import AdminRules, ClockRules, SourceRules, TaskRules, TerminalRules, VaultRules
from .rules.common import OGPU, send
from .rules.terminal import ANNOUNCE_MASTER_VIA, ANNOUNCE_PROVIDER_VIA

#: Each start provider's stake, and how long the start state's unbonding takes to mature.
START_STAKE = OGPU // 10
START_UNBONDING_SECONDS = 60


def source_params(info: SourceInfo, client: str) -> SourceParams:
    """The model's ``SourceParams`` for what ``ogpu.client`` builds from ``info`` (without the
    metadata URL and update time it adds)."""
    envs = info.imageEnvs
    mask = (1 if envs.cpu else 0) | (2 if envs.nvidia else 0) | (4 if envs.amd else 0)
    return SourceParams(
        client=client,
        image_environments=mask,
        min_payment=info.minPayment,
        min_available_lockup=info.minAvailableLockup,
        max_expiry_duration=info.maxExpiryDuration,
        delivery_method=DeliveryMethod(info.deliveryMethod.value),
    )


class LifecycleMachine(VaultRules, TerminalRules, SourceRules, TaskRules, AdminRules, ClockRules):
    """Random sequences of OpenGPU protocol actions; every step is checked against the model."""

    def build_start_state(self) -> None:
        """A market in mid-flight, so that short programs reach every rule:

        - two CPU sources of ``client``, MANUAL_CONFIRMATION and FIRST_RESPONSE, and a third
          one it closed;
        - three providers paired and staked; ``provider1`` and ``provider2`` registered to
          both sources, ``provider3`` (the spare) to the manual one;
        - ``agent`` acting for ``client`` and for ``master1``;
        - on the manual source two NEW tasks, a RESPONDED one (``provider1`` answered,
          ``provider2`` attempted) and a FINALIZED one; on the first-response source two NEW
          tasks and an ATTEMPTED one (``provider1``);
        - ``provider3`` unbonding part of its stake and sanctioned for a little of the rest
          (ineligible until a judge waives it); ``client2`` with a balance, a lockup and a
          sanction.
        """
        cpu = ImageEnvironments(cpu="https://compose.example/cpu.yml")
        client, client2 = self.cast["client"], self.cast["client2"]
        p1, p2, p3 = (self.cast[f"provider{n}"] for n in (1, 2, 3))
        for delivery in (DeliveryMethod.MANUAL_CONFIRMATION, DeliveryMethod.FIRST_RESPONSE):
            info = SourceInfo(delivery.name.lower(), "", "", cpu, 0, 0, 600, SdkDelivery(delivery))
            self.start_sources.append(str(self.publish_source_as(client, info)))
        manual, first = self.start_sources
        closed = self.publish_source_as(client, SourceInfo("closed", "", "", cpu, 0, 0, 600))
        assert closed is not None
        self.start_sources.append(closed)
        self.act(
            "inactivate_source",
            lambda: sdk_client.inactivate_source(closed, private_key=client.account),
            lambda m, now: m.inactivate_source(client.address, closed),
        )
        for n in ("1", "2", "3"):
            self._pair(self.cast["master" + n], self.cast["provider" + n])
        for principal in (client, self.cast["master1"]):
            self._start_agent(principal)
        for provider, source in (
            (p1, manual),
            (p1, first),
            (p2, manual),
            (p2, first),
            (p3, manual),
        ):
            self.register_as(provider, source)
        tasks = [
            self.publish(client, source, seconds, OGPU // 10, "controller.publish_task")
            for source, seconds in (
                (manual, 120),
                (manual, 300),
                (manual, 600),
                (first, 120),
                (first, 300),
                (manual, 600),
                (first, 600),
            )
        ]
        _, responded, finalized, _, attempted, _, _ = tasks  # and two NEW tasks on each source
        for provider, task in ((p1, responded), (p2, responded), (p1, finalized), (p1, attempted)):
            self.attempt_as(provider, task, provider, "nexus.attempt")
        self.submit_as(p1, responded, p1, "honest")
        _, answer = self.submit_as(p1, finalized, p1, "honest")
        self.confirm_as(client, answer)
        self.start_tasks.extend(tasks)
        self._start_vault(p3, client2)

    def _start_vault(self, unbonder: Actor, sanctioned: Actor) -> None:
        from ogpu.protocol import vault as sdk_vault

        # unbonding for longer than the simulator's period: it matures during most examples,
        # so a claim can land on its very second
        period = self.model.unbonding_period
        self.admin_sets_unbonding_period(START_UNBONDING_SECONDS)
        self.act(
            "unbond",
            lambda: sdk_vault.unbond(START_STAKE // 2, signer=unbonder.account),
            lambda m, now: m.unbond(unbonder.address, START_STAKE // 2, now),
        )
        self.admin_sets_unbonding_period(period)
        self.act(
            "deposit",
            lambda: sdk_vault.deposit(sanctioned.address, 5 * OGPU, signer=sanctioned.account),
            lambda m, now: m.deposit(sanctioned.address, sanctioned.address, 5 * OGPU),
        )
        self.act(
            "lock",
            lambda: sdk_vault.lock(OGPU, signer=sanctioned.account),
            lambda m, now: m.lock(sanctioned.address, OGPU),
        )
        for account, amount in ((sanctioned.address, OGPU // 2), (unbonder.address, OGPU // 100)):
            self.judge_sanctions(account, amount)

    def admin_sets_unbonding_period(self, seconds: int) -> None:
        """The admin sets the Vault's unbonding period."""
        vault = self.sim.deployment.contracts["VAULT"]
        self.act(
            "vault_admin",
            lambda: send(vault, "setMaxUnbondingPeriod", (seconds,), self.admin.account),
            lambda m, now: m.set_unbonding_period(self.admin.address, seconds),
        )

    def judge_sanctions(self, account: str, amount: int) -> None:
        """The admin, a judge, sanctions ``amount`` of ``account``'s lockup."""
        vault = self.sim.deployment.contracts["VAULT"]
        self.act(
            "sanction",
            lambda: send(vault, "sanction", (account, amount), self.admin.account),
            lambda m, now: m.sanction(self.admin.address, account, amount),
        )

    def _pair(self, master: Actor, provider: Actor) -> None:
        from ogpu.protocol import terminal as sdk_terminal

        self.act(
            "announce_provider",
            lambda: sdk_terminal.announce_provider(
                provider.address, START_STAKE, signer=master.account
            ),
            lambda m, now: m.announce_provider(
                master.address, provider.address, START_STAKE, START_STAKE
            ),
            via=ANNOUNCE_PROVIDER_VIA[0],
        )
        self.act(
            "announce_master",
            lambda: sdk_terminal.announce_master(master.address, signer=provider.account),
            lambda m, now: m.announce_master(provider.address, master.address),
            via=ANNOUNCE_MASTER_VIA[0],
        )

    def _start_agent(self, principal: Actor) -> None:
        from ogpu.protocol import terminal as sdk_terminal

        agent = self.cast["agent"]
        self.act(
            "set_agent",
            lambda: sdk_terminal.set_agent(agent.address, True, signer=principal.account),
            lambda m, now: m.set_agent(principal.address, agent.address, True),
        )

    def register_as(self, provider: Actor, source: str) -> None:
        """``provider`` registers itself to ``source`` for CPU."""
        from ogpu.protocol import nexus as sdk_nexus

        self.act(
            "register",
            lambda: sdk_nexus.register(source, provider.address, 1, signer=provider.account),
            lambda m, now: m.register(provider.address, source, provider.address, 1),
        )


__all__ = ["LifecycleMachine", "source_params"]
