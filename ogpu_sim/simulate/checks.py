"""The end-of-run checks of a ``simulate`` run: funds conserved, every task terminal, escrow
released, earnings equal to confirmed responses, handlers answered. A failing check makes the
command exit 1.

A run attached to a live network (``--network``) shares the chain with other accounts, earlier
tasks and live providers, so the Vault-wide checks cannot be known there: :func:`check_run`
runs the attach checks instead (what the run's own accounts and tasks show) and
:func:`skipped_checks` names each local check it did not run, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ogpu_sim.simulate.records import TERMINAL, AttachFacts, Ledger, RunData, Skipped


@dataclass(frozen=True)
class Check:
    """One end-of-run check: its name, whether it held, and why not."""

    name: str
    ok: bool
    detail: str


ATTACH_SKIPPED = {
    "funds_conserved_start": "the Vault's native balance backs every account's buckets, and on a "
    "shared chain the run knows only its own accounts",
    "funds_conserved_end": "the Vault's native balance backs every account's buckets, and on a "
    "shared chain the run knows only its own accounts",
    "value_conserved": "other accounts move the Vault's native balance during the run",
    "payments_match": "live providers' earnings include other clients' tasks; escrow_per_task "
    "and provider_earnings check the run's payments instead",
    "tasks_terminal": "a live network may leave a task open (expiry is lazy: some provider's "
    "attempt ends it); tasks_accounted lists each open task instead",
}
"""The local checks an attached run does not run, and why (each is named in its report)."""


def check_run(run: RunData) -> list[Check]:
    """Run the end-of-run checks: conservation of funds, terminal tasks, provider earnings.

    An attached run (``run.attach`` set) gets the checks a shared chain allows instead.
    """
    if run.attach is not None:
        return check_attached(run, run.attach)
    return [
        _check_vault_backed(run.ledger_start, "start"),
        _check_vault_backed(run.ledger_end, "end"),
        _check_value_conserved(run),
        _check_payments(run),
        _check_escrow(run),
        _check_terminal(run),
        _check_earnings(run),
        _check_handlers(run),
    ]


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _check_handlers(run: RunData) -> Check:
    """Every handler run of a provider that is not ``failing`` answered: a handler that
    refuses the scenario's input (a ``function`` it does not expose, a payload its model
    rejects) fails the run instead of leaving tasks to expire quietly."""
    failing = {a.address for a in run.actors if a.behaviour == "failing"}
    failed = [
        event
        for event in run.events
        if event.get("kind") == "provider"
        and event.get("name") == "handler-failed"
        and event.get("emitter") not in failing
    ]
    if not failed:
        return Check("handlers_answered", True, "every handler run answered")
    details = [str(event.get("args", {}).get("detail", "")) for event in failed]
    kinds = {_ADDRESS.sub("0x...", detail) for detail in details}  # one reason, many tasks
    others = f" (and {len(kinds) - 1} other reasons)" if len(kinds) > 1 else ""
    return Check(
        "handlers_answered",
        False,
        f"{len(failed)} handler run{'s' if len(failed) != 1 else ''} of providers that are "
        "not `failing` failed: "
        f"{details[0]}{others}",
    )


def skipped_checks(run: RunData) -> list[Skipped]:
    """The local checks not run on ``run`` and why: none for a local run."""
    if run.attach is None:
        return []
    return [Skipped(name, reason) for name, reason in ATTACH_SKIPPED.items()]


def check_attached(run: RunData, facts: AttachFacts) -> list[Check]:
    """The checks of an attached run: its own tasks, its own accounts, its spend cap."""
    return [
        _check_accounted(run, facts),
        _check_escrow_per_task(run, facts),
        _check_escrow(run),
        _check_client_balances(run),
        _check_earnings(run),
        _check_handlers(run),
        _check_spend_cap(facts),
    ]


def _check_vault_backed(ledger: Ledger, when: str) -> Check:
    held = sum(a.held for a in ledger.accounts.values())
    ok = held == ledger.vault_balance
    detail = f"Vault native balance {ledger.vault_balance} wei == sum of account buckets {held} wei"
    if not ok:
        detail = (
            f"Vault native balance {ledger.vault_balance} wei != sum of account buckets {held} "
            f"wei (difference {ledger.vault_balance - held} wei)"
        )
    return Check(f"funds_conserved_{when}", ok, detail)


def _check_value_conserved(run: RunData) -> Check:
    addresses = set(run.ledger_start.accounts) | set(run.ledger_end.accounts)
    moved = sum(
        run.ledger_end.account(a).held - run.ledger_start.account(a).held for a in addresses
    )
    vault = run.ledger_end.vault_balance - run.ledger_start.vault_balance
    ok = moved == vault
    verb = "==" if ok else "!="
    return Check(
        "value_conserved",
        ok,
        f"change of all accounts' Vault holdings {moved} wei {verb} change of the Vault's native "
        f"balance {vault} wei",
    )


def _check_payments(run: RunData) -> Check:
    providers = {a.address for a in run.by_role("provider")}
    earned = sum(
        run.ledger_end.account(p).earnings - run.ledger_start.account(p).earnings for p in providers
    )
    paid = sum(t.paid for t in run.tasks if t.status == "FINALIZED")
    ok = earned == paid
    verb = "==" if ok else "!="
    return Check(
        "payments_match",
        ok,
        f"providers' earnings {earned} wei {verb} payments of finalized tasks {paid} wei",
    )


def _check_escrow(run: RunData) -> Check:
    clients = {a.address for a in run.by_role("client")}
    frozen = sum(
        run.ledger_end.account(c).frozen - run.ledger_start.account(c).frozen for c in clients
    )
    open_payments = sum(t.payment for t in run.tasks if t.status not in TERMINAL)
    ok = frozen == open_payments
    verb = "==" if ok else "!="
    return Check(
        "escrow_released",
        ok,
        f"clients' frozen payments {frozen} wei {verb} payments of unfinished tasks "
        f"{open_payments} wei",
    )


def _check_terminal(run: RunData) -> Check:
    stuck = [t for t in run.tasks if t.status not in TERMINAL and not t.explanation]
    explained = [t for t in run.tasks if t.status not in TERMINAL and t.explanation]
    if stuck:
        listed = ", ".join(f"#{t.index} {t.address} {t.status}" for t in stuck[:5])
        return Check(
            "tasks_terminal", False, f"{len(stuck)} task(s) unfinished, unexplained: {listed}"
        )
    detail = f"{len(run.tasks)} tasks terminal"
    if explained:
        detail = f"{len(run.tasks) - len(explained)} tasks terminal, {len(explained)} explained"
    return Check("tasks_terminal", True, detail)


def _check_earnings(run: RunData) -> Check:
    wrong = []
    for provider in run.by_role("provider"):
        earned = (
            run.ledger_end.account(provider.address).earnings
            - run.ledger_start.account(provider.address).earnings
        )
        confirmed = sum(t.paid for t in run.tasks if t.winner == provider.address)
        if earned != confirmed:
            wrong.append(
                f"{provider.name} earned {earned} wei but its confirmed responses sum to "
                f"{confirmed} wei"
            )
    if wrong:
        return Check("provider_earnings", False, "; ".join(wrong))
    return Check(
        "provider_earnings",
        True,
        f"{len(run.by_role('provider'))} providers' earnings equal their confirmed responses",
    )


# -- attach mode ---------------------------------------------------------------------------


def _check_accounted(run: RunData, facts: AttachFacts) -> Check:
    recorded = [t.address for t in run.tasks]
    missing = [a for a in facts.published if a not in recorded]
    unknown = [a for a in recorded if a not in facts.published]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"published by the run but not reported: {', '.join(missing)}")
        if unknown:
            problems.append(f"reported but not published by the run: {', '.join(unknown)}")
        return Check("tasks_accounted", False, "; ".join(problems))
    still = [t for t in run.tasks if t.status not in TERMINAL]
    detail = f"{len(run.tasks)} tasks published by the run, {len(run.tasks) - len(still)} terminal"
    if still:
        listed = ", ".join(
            f"#{t.index} {t.address} {t.status}" + (f" ({t.explanation})" if t.explanation else "")
            for t in still
        )
        detail += f"; still open on the network: {listed}"
    return Check("tasks_accounted", True, detail)


def _check_escrow_per_task(run: RunData, facts: AttachFacts) -> Check:
    wrong = []
    for t in run.tasks:
        frozen = facts.task_payments.get(t.address)
        on_chain = facts.task_status.get(t.address)
        if frozen != t.payment:
            wrong.append(f"#{t.index} escrowed {frozen} wei, planned {t.payment} wei")
        elif on_chain != t.status:
            wrong.append(f"#{t.index} is {on_chain} on chain but {t.status} in the run's records")
        elif t.status == "FINALIZED" and not (t.winner and 0 <= t.paid <= frozen):
            wrong.append(f"#{t.index} FINALIZED paying {t.paid} wei of {frozen} to {t.winner}")
        elif t.status != "FINALIZED" and (t.paid or t.winner):
            wrong.append(f"#{t.index} {t.status} but paid {t.paid} wei to {t.winner}")
    if wrong:
        return Check("escrow_per_task", False, "; ".join(wrong))
    paid = sum(t.paid for t in run.tasks if t.status == "FINALIZED")
    back = sum(t.payment - t.paid for t in run.tasks if t.status == "FINALIZED")
    refunded = sum(t.payment for t in run.tasks if t.status in ("EXPIRED", "CANCELED"))
    frozen = sum(t.payment for t in run.tasks if t.status not in TERMINAL)
    return Check(
        "escrow_per_task",
        True,
        f"each task's escrow equals its payment ({sum(t.payment for t in run.tasks)} wei): "
        f"{paid} wei paid to winners + {back} wei returned, {refunded} wei refunded, "
        f"{frozen} wei still frozen for open tasks",
    )


def _check_client_balances(run: RunData) -> Check:
    wrong: list[str] = []
    parts: list[str] = []
    for client in run.by_role("client"):
        own = [t for t in run.tasks if t.client == client.name]
        escrowed = sum(t.payment for t in own)
        refunded = sum(t.payment for t in own if t.status in ("EXPIRED", "CANCELED"))
        returned = sum(t.payment - t.paid for t in own if t.status == "FINALIZED")
        expected = -escrowed + refunded + returned
        change = (
            run.ledger_end.account(client.address).balance
            - run.ledger_start.account(client.address).balance
        )
        line = (
            f"{client.name}: Vault balance change {change} wei "
            f"{'==' if change == expected else '!='} -{escrowed} escrowed + {refunded} refunded "
            f"+ {returned} returned"
        )
        (parts if change == expected else wrong).append(line)
    if wrong:
        return Check("client_vault_balance", False, "; ".join(wrong))
    return Check("client_vault_balance", True, "; ".join(parts) or "no clients")


def _check_spend_cap(facts: AttachFacts) -> Check:
    counted, loss, cap = facts.counted_spend, facts.own_loss, facts.cap
    problems = []
    if cap is not None and counted > cap:
        problems.append(f"counted spend {counted} wei passed the {cap} wei cap")
    if loss > counted:
        problems.append(f"your keys hold {loss} wei less, more than the {counted} wei counted")
    if problems:
        return Check("spend_cap_held", False, "; ".join(problems))
    limit = "no cap" if cap is None else f"cap {cap} wei"
    return Check(
        "spend_cap_held",
        True,
        f"counted spend {counted} wei within {limit}; your keys hold {loss} wei less "
        "(gas, payments to live providers, stakes still locked)",
    )
