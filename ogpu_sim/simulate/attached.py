"""``simulate --network``: what a scenario may ask of a live network, and what a run attached to
one can know about itself.

A live network's clock is the wall clock and its node is someone else's, so a scenario that
needs time travel or injected chain faults is refused before anything is attached or spent
(:func:`check_attachable`). The run's tasks are waited for on the wall clock, each wait shorter
than the attachment's wait timeout. On a shared chain the run knows its own accounts and tasks
only: :class:`OwnAccounts` reads the user's keys before and after the run, :func:`run_facts`
collects the tasks the run's own transactions published, and :func:`withdraw_fresh` takes what
the run's fresh accounts hold in the Vault back out before they are swept back to the user.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from ogpu.types import TaskStatus
from web3 import Web3

from ogpu_sim.errors import AttachScenarioError
from ogpu_sim.network.attach import withdraw_free
from ogpu_sim.network.live import vault_held
from ogpu_sim.protocol import contract as contract_handle
from ogpu_sim.simulate.records import AttachFacts
from ogpu_sim.simulate.spec import Scenario

log = logging.getLogger("ogpu_sim")


def longest_expiry(scenario: Scenario) -> int:
    """The longest expiry (seconds after publication) the scenario's plan can draw."""
    expiry = scenario.workload.expiry
    top = {"fixed": expiry.value, "uniform": expiry.high}.get(expiry.kind, math.inf)
    ceiling = max(source.max_expiry for source in scenario.sources)
    return int(ceiling if math.isinf(top) else min(max(1, round(top)), ceiling))


def check_attachable(scenario: Scenario, network: str, wait_timeout: float) -> None:
    """Refuse a scenario a live network cannot play, naming the key.

    Args:
        scenario: the validated scenario.
        network: the ``--network`` value, for the message.
        wait_timeout: the longest the run may wait for the network at once (seconds).

    Raises:
        AttachScenarioError: ``chain_fault_rate`` is set (faults are injected into chains
            ogpu-sim runs), or a task may expire later than ``wait_timeout`` (the run waits for
            expiries on the wall clock).
    """
    if scenario.chain_fault_rate:
        raise AttachScenarioError(
            "chain_fault_rate",
            network,
            f"{scenario.chain_fault_rate:g} asks for injected send failures, which only a chain "
            "ogpu-sim runs can fake; set it to 0 to run on a live network",
            scenario.path,
        )
    longest = longest_expiry(scenario)
    if longest >= wait_timeout:
        raise AttachScenarioError(
            "workload.expiry",
            network,
            f"a task may expire {longest}s after it is published; a live network's clock cannot "
            f"be moved, so the run waits for expiries on the wall clock, and that is not under "
            f"the {wait_timeout:g}s wait timeout; use a fixed or uniform expiry below it, or "
            "raise --wait-timeout",
            scenario.path,
        )


def held(vault: Any, w3: Any, address: str) -> int:
    """Native balance plus everything the Vault holds for ``address`` (wei)."""
    return int(w3.eth.get_balance(address)) + vault_held(vault, address)


@dataclass
class OwnAccounts:
    """The user's keys an attached run spends from, read over a connection of its own (it still
    reads after the simulator stopped and swept its fresh accounts back)."""

    w3: Any
    vault: Any
    addresses: list[str]

    @classmethod
    def of(cls, sim: Any) -> OwnAccounts:
        """The keys of an attached simulator."""
        w3 = Web3(Web3.HTTPProvider(sim.rpc_url, request_kwargs={"timeout": 30}))
        vault = contract_handle(w3, "Vault", sim.deployment.addresses["VAULT"])
        addresses = sorted({str(a.address) for a in sim.accounts.keys.values()})
        return cls(w3, vault, addresses)

    def holdings(self) -> dict[str, int]:
        """Native + Vault holdings of each key."""
        return {address: held(self.vault, self.w3, address) for address in self.addresses}


def run_facts(sim: Any, network: str, start: dict[str, int]) -> AttachFacts:
    """What the chain says about the run's own tasks: which the run's transactions published,
    each one's payment (what the Vault froze) and its status now."""
    sent = sim.attachment.ledger.sent
    published: list[str] = [
        str(Web3.to_checksum_address(entry.args["task"]))
        for entry in sim.timeline.events("TaskPublished")
        if entry.tx in sent
    ]
    payments: dict[str, int] = {}
    statuses: dict[str, str] = {}
    for task in published:
        payments[task] = int(sim.task_facts(task).payment)
        status = sim.network.instance("Task", task).functions.getStatus().call()
        statuses[task] = TaskStatus(int(status)).name
    return AttachFacts(
        network=network,
        cap=sim.attachment.ledger.cap,
        own_start=dict(start),
        published=published,
        task_payments=payments,
        task_status=statuses,
    )


def withdraw_fresh(sim: Any) -> dict[str, int]:
    """Withdraw what each fresh account of the run (clients, local providers, their masters) has
    free in the Vault, so the sweep at stop returns it; return what stays (locked stakes).

    Best effort: a failed withdrawal is logged and its amount reported as left in the Vault.
    """
    fresh = list(sim.accounts.fresh)
    withdraw_free(sim.network, fresh)
    contract = sim.network.contract("VAULT")
    left = {}
    for account in fresh:
        remaining = vault_held(contract, account.address)
        if remaining:
            left[str(account.address)] = remaining
    return left
