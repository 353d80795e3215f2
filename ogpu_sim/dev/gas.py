"""Measure the gas of every user-facing protocol operation and write it as a Markdown table.

``python -m ogpu_sim.dev.gas docs/gas.md`` (``make gas``) deploys the protocol on a fresh
in-process eth-tester chain, walks one realistic flow per operation and records each
receipt's ``gasUsed``. The numbers are for reading, not for asserting: they move whenever
the contracts change.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt, Wei

from ogpu_sim import artifacts, protocol
from ogpu_sim.protocol import Deployment

ETHER = 10**18
# A fixed limit spares eth-tester's estimate (several executions per call); gasUsed does not
# depend on the limit, and a failing step still raises (status 0).
_GAS = 8_000_000
ROLES = ("deployer", "client", "master", "provider", "master2", "provider2", "agent")


@dataclass(frozen=True)
class GasRow:
    """One measured operation: what a user does, the call it makes, and its gas."""

    operation: str
    call: str
    gas_used: int


class _Flow:
    """A deployed protocol with funded accounts, recording the gas of each step."""

    def __init__(self) -> None:
        provider = EthereumTesterProvider()
        self.w3 = Web3(provider)
        self.tester: Any = provider.ethereum_tester
        self.acct: dict[str, LocalAccount] = {
            r: Account.from_key(keccak(text=f"ogpu-sim gas {r}")) for r in ROLES
        }
        for a in self.acct.values():
            self.w3.eth.send_transaction(
                {"from": self.w3.eth.accounts[0], "to": a.address, "value": Wei(100 * ETHER)}
            )
        self.dep: Deployment = protocol.deploy(self.w3, self.acct["deployer"])
        self.rows: list[GasRow] = []

    def c(self, key: str) -> Contract:
        return self.dep.contracts[key]

    def step(self, operation: str, call: str, role: str, fn: object, value: int = 0) -> TxReceipt:
        receipt = protocol.send(self.w3, self.acct[role], fn, value=value, gas=_GAS)  # type: ignore[arg-type]
        self.rows.append(GasRow(operation, call, int(receipt["gasUsed"])))
        return receipt

    def quiet(self, role: str, fn: object, value: int = 0) -> TxReceipt:
        return protocol.send(self.w3, self.acct[role], fn, value=value, gas=_GAS)  # type: ignore[arg-type]

    def arg(self, receipt: TxReceipt, event: str, name: str) -> str:
        logs = getattr(self.c("NEXUS").events, event)().process_receipt(receipt, errors=DISCARD)
        return str(logs[0]["args"][name])

    def source_params(self, delivery: int) -> tuple[object, ...]:
        return (
            self.acct["client"].address,
            "ipfs://metadata",
            3,
            10**15,
            0,
            86_400,
            False,
            "",
            delivery,
            1_700_000_000,
        )

    def now(self) -> int:
        return int(self.w3.eth.get_block("pending")["timestamp"])


def measure() -> list[GasRow]:
    """Run every user-facing operation once on a fresh chain and return its gas."""
    f = _Flow()
    nexus, controller, terminal, vault = (
        f.c(k) for k in ("NEXUS", "CONTROLLER", "TERMINAL", "VAULT")
    )
    a = {r: x.address for r, x in f.acct.items()}
    for name, receipt in zip(protocol.SINGLETONS, f.dep.receipts, strict=False):
        f.rows.append(GasRow(f"deploy {name.title()}", "constructor", int(receipt["gasUsed"])))

    f.step(
        "announce provider (with 1 OGPU stake)",
        "Terminal.announceProvider",
        "master",
        terminal.functions.announceProvider(a["provider"], ETHER),
        value=ETHER,
    )
    f.step(
        "announce master",
        "Terminal.announceMaster",
        "provider",
        terminal.functions.announceMaster(a["master"]),
    )
    f.quiet("master2", terminal.functions.announceProvider(a["provider2"], 0))
    f.quiet("provider2", terminal.functions.announceMaster(a["master2"]))
    f.step(
        "set agent", "Terminal.setAgent", "master", terminal.functions.setAgent(a["agent"], True)
    )
    f.step(
        "deposit", "Vault.deposit", "client", vault.functions.deposit(a["client"]), value=10 * ETHER
    )

    manual = f.arg(
        f.step(
            "publish source",
            "Nexus.publishSource",
            "client",
            nexus.functions.publishSource(f.source_params(0)),
        ),
        "SourcePublished",
        "source",
    )
    first = f.arg(
        f.quiet("client", nexus.functions.publishSource(f.source_params(1))),
        "SourcePublished",
        "source",
    )
    f.step(
        "register (first registrant)",
        "Nexus.register",
        "provider",
        nexus.functions.register(manual, a["provider"], 1),
    )
    f.step(
        "register (by an agent of the master)",
        "Nexus.register",
        "agent",
        nexus.functions.register(first, a["provider"], 1),
    )
    f.quiet("provider2", nexus.functions.register(manual, a["provider2"], 1))

    def task(source: str) -> str:
        return f.arg(
            f.quiet(
                "client",
                controller.functions.publishTask((source, "ipfs://task", f.now() + 3_600, 10**16)),
            ),
            "TaskPublished",
            "task",
        )

    published = f.step(
        "publish task",
        "Controller.publishTask",
        "client",
        controller.functions.publishTask((manual, "ipfs://task", f.now() + 3_600, 10**16)),
    )
    t_manual = f.arg(published, "TaskPublished", "task")
    f.step(
        "attempt (first: NEW -> ATTEMPTED)",
        "Nexus.attempt",
        "provider",
        nexus.functions.attempt(t_manual, a["provider"], 0),
    )
    f.step(
        "attempt (another provider)",
        "Nexus.attempt",
        "provider2",
        nexus.functions.attempt(t_manual, a["provider2"], 0),
    )
    response = f.arg(
        f.step(
            "submit response (MANUAL_CONFIRMATION)",
            "Nexus.submitResponse",
            "provider",
            nexus.functions.submitResponse((t_manual, a["provider"], "ipfs://result", 10**16)),
        ),
        "ResponseSubmitted",
        "response",
    )
    f.step(
        "confirm response (pays the provider)",
        "Controller.confirmResponse",
        "client",
        controller.functions.confirmResponse(response),
    )

    f.quiet("provider", nexus.functions.register(first, a["provider"], 1))
    t_first = task(first)
    f.quiet("provider", nexus.functions.attempt(t_first, a["provider"], 0))
    f.step(
        "submit response (FIRST_RESPONSE: finalizes and pays)",
        "Nexus.submitResponse",
        "provider",
        nexus.functions.submitResponse((t_first, a["provider"], "ipfs://result-2", 10**16)),
    )
    f.step(
        "cancel task",
        "Controller.cancelTask",
        "client",
        controller.functions.cancelTask(task(manual)),
    )
    t_late = task(manual)
    f.tester.time_travel(f.now() + 7_200)
    f.step(
        "attempt after expiry (marks EXPIRED, refunds)",
        "Nexus.attempt",
        "provider",
        nexus.functions.attempt(t_late, a["provider"], 0),
    )

    f.step("withdraw", "Vault.withdraw", "provider", vault.functions.withdraw(10**15))
    f.step("lock", "Vault.lock", "provider", vault.functions.lock(10**15))
    f.step("unbond", "Vault.unbond", "provider", vault.functions.unbond(10**15))
    f.tester.time_travel(f.now() + f.dep.config.unbonding_period + 1)
    f.step("claim", "Vault.claim", "provider", vault.functions.claim())
    f.step(
        "inactivate source",
        "Nexus.inactivateSource",
        "client",
        nexus.functions.inactivateSource(manual),
    )
    return f.rows


def render_markdown(rows: list[GasRow]) -> str:
    """The rows as the Markdown page committed at ``docs/gas.md``."""
    compiler = artifacts.load("Nexus")["compiler"]["version"]
    settings = artifacts.load("Nexus")["settings"]
    lines = [
        "# Gas per protocol operation",
        "",
        "Measured on the in-process eth-tester chain (py-evm, Prague rules) by",
        "`python -m ogpu_sim.dev.gas docs/gas.md` (`make gas`); regenerate after changing",
        f"`contracts/`. Compiler solc {compiler}, optimizer runs "
        f"{settings['optimizer']['runs']}, evmVersion {settings['evmVersion']}.",
        "",
        "| operation | call | gas used |",
        "|---|---|---:|",
    ]
    lines += [f"| {r.operation} | `{r.call}` | {r.gas_used:,} |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the table to the path given (default ``docs/gas.md``)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("docs/gas.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(measure()))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["GasRow", "main", "measure", "render_markdown"]
