"""The end-of-run checks of a ``simulate`` run: funds conserved, every task terminal, escrow
released, earnings equal to confirmed responses. A failing check makes the command exit 1."""

from __future__ import annotations

from dataclasses import dataclass

from ogpu_sim.simulate.records import TERMINAL, Ledger, RunData


@dataclass(frozen=True)
class Check:
    """One end-of-run check: its name, whether it held, and why not."""

    name: str
    ok: bool
    detail: str


def check_run(run: RunData) -> list[Check]:
    """Run the end-of-run checks: conservation of funds, terminal tasks, provider earnings."""
    return [
        _check_vault_backed(run.ledger_start, "start"),
        _check_vault_backed(run.ledger_end, "end"),
        _check_value_conserved(run),
        _check_payments(run),
        _check_escrow(run),
        _check_terminal(run),
        _check_earnings(run),
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
