"""What ``make bench`` measures, per backend.

Groups, in this order: bare-chain rows on a :class:`ChainBench` (``create_chain`` plus the
deployed protocol, no Simulator: what the backend itself costs); SDK and lifecycle rows on a
:class:`Bench` (one started Simulator with a FIRST_RESPONSE and a MANUAL_CONFIRMATION source
served by simulated providers on the inline runtime, driven through the real SDK), including
the JSON-RPC calls a lifecycle makes (:mod:`rpc_count`); and whole runs on fresh simulators
(:mod:`runs`: the ``ogpu-sim simulate`` runner on ``throughput.toml``, the LifecycleMachine).
Each case returns its samples; cases undo their chain changes with snapshot/revert where later
cases would see them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness import Row, Target, timed
from rpc_count import counting

MACHINE_EXAMPLES = {"eth-tester": 30}
"""Backends where the LifecycleMachine row runs only the CI profile's first examples (in its
order: the profile is derandomized), so ``make bench`` stays short: py-evm takes minutes over
the whole profile. The other backends run all of it."""

LONG_TASKS, LONG_TAIL = 150, 25
"""The long-session row: lifecycles run on one fresh Simulator, and the last of them timed."""

CHAIN_ROWS = [
    Row("chain.start_deploy", "chain start + protocol deploy", "s"),
    Row("chain.transfer", "signed transfer + receipt", "ms"),
    Row("chain.call", "eth_call of a Vault view", "ms"),
    Row("chain.snapshot_revert", "chain snapshot + revert", "ms"),
]
ROWS = [
    *CHAIN_ROWS,
    Row("sdk.vault_deposit", "SDK vault.deposit", "ms"),
    Row("sdk.publish_task", "SDK publish_task (child deploy)", "ms"),
    Row("lifecycle.first_response", "FIRST_RESPONSE lifecycle", "ms"),
    Row(
        "lifecycle.first_response_long",
        f"FIRST_RESPONSE lifecycle, the last {LONG_TAIL} of {LONG_TASKS} in one session",
        "ms",
    ),
    Row("lifecycle.manual_confirmation", "MANUAL_CONFIRMATION lifecycle", "ms"),
    Row("rpc.harness", "JSON-RPC calls per FIRST_RESPONSE lifecycle: harness", "calls"),
    Row("rpc.sdk", "JSON-RPC calls per FIRST_RESPONSE lifecycle: SDK", "calls"),
    Row("isolation.per_test", "per-test isolation (sim)", "ms"),
    Row("session.start", "session start (Simulator.start)", "s"),
    Row("simulate.runner", "ogpu-sim simulate (throughput.toml)", "tasks/s", "higher"),
    Row("simulate.throughput", "run_until_idle batch, 2 providers", "tasks/s", "higher"),
    Row(
        "machine.steps",
        "LifecycleMachine, CI profile ("
        + ", ".join(f"{b}: its first {n} examples" for b, n in MACHINE_EXAMPLES.items())
        + ")",
        "steps/s",
        "higher",
    ),
    Row("machine.ci_test", "CI-profile property test (pytest, one test)", "s"),
    Row("ipfs.roundtrip", "mock IPFS pin + fetch (SDK, in process)", "ms"),
    Row("ipfs.roundtrip_http", "mock IPFS pin + fetch (SDK, over HTTP)", "ms"),
    Row("runtime.inline", "handler dispatch -> callback: inline", "ms"),
    Row("runtime.process", "handler dispatch -> callback: process", "ms"),
    Row("runtime.docker", "handler dispatch -> callback: docker", "ms"),
    Row("vm.reference", "reference: fixed pure-Python workload (this machine's speed now)", "ms"),
]


def _at_most(row: str, backend: str, limit: float) -> Target:
    def check(medians: dict[str, float]) -> tuple[float, bool] | None:
        value = medians.get(backend)
        return None if value is None else (value, value <= limit)

    return Target(row, backend, f"<= {limit:g}", check)


def _at_least(row: str, backend: str, limit: float) -> Target:
    def check(medians: dict[str, float]) -> tuple[float, bool] | None:
        value = medians.get(backend)
        return None if value is None else (value, value >= limit)

    return Target(row, backend, f">= {limit:g}", check)


def _ratio(row: str, backend: str, goal: str, limit: float, invert: bool = False) -> Target:
    """anvil time / backend time >= limit (or backend time / anvil time <= limit)."""

    def check(medians: dict[str, float]) -> tuple[float, bool] | None:
        mine, anvil = medians.get(backend), medians.get("anvil")
        if mine is None or anvil is None:
            return None
        if invert:
            return mine / anvil, mine / anvil <= limit
        return anvil / mine, anvil / mine >= limit

    return Target(row, backend, goal, check)


TARGETS = [
    _at_most("lifecycle.first_response", "revm", 12.0),
    _ratio("lifecycle.first_response", "eth-tester", "no slower than anvil", 1.0, invert=True),
    _at_most("lifecycle.first_response", "anvil", 60.0),
    *(_at_most("rpc.harness", backend, 5) for backend in ("eth-tester", "revm", "anvil")),
    _at_least("machine.steps", "revm", 300.0),
    _at_most("machine.ci_test", "revm", 10.0),
    _at_least("simulate.runner", "revm", 50.0),
    _at_least("simulate.runner", "eth-tester", 15.0),
    _at_most("isolation.per_test", "revm", 1.0),
    _at_most("isolation.per_test", "eth-tester", 10.0),
    _at_most("session.start", "revm", 0.5),
    _at_most("session.start", "eth-tester", 0.5),
]
"""The goals of issue 17 (reported in the table and README, never asserted in tests)."""

COMPOSE = "services:\n  handler:\n    image: ogpu-sim/bench\n"


@dataclass
class Settings:
    """How much to measure. Per round: timed repeats per row, session starts, scenario runs."""

    repeat: int = 5
    rounds: int = 3
    session_repeat: int = 1
    scenario_tasks: int = 20
    scenario_repeat: int = 1
    long_tasks: int = LONG_TASKS
    """FIRST_RESPONSE lifecycles of the long-session row (round 1 only)."""
    long_tail: int = LONG_TAIL
    """The last of them timed."""
    machine_examples: int | None = None
    """Examples of the LifecycleMachine run on every backend (None: the CI profile's, or
    :data:`MACHINE_EXAMPLES`); it runs in every round."""
    ci_test: bool = True
    """Whether the CI-profile property test runs (once per round, in a pytest process of its
    own); a ``--quick`` smoke run leaves it out."""


class Bench:
    """One started Simulator on one backend, ready for the cases.

    Args:
        sim: a started :class:`ogpu_sim.Simulator` (inline runtime).
    """

    def __init__(self, sim: Any) -> None:
        from ogpu.client import publish_source
        from ogpu.types import DeliveryMethod, ImageEnvironments, SourceInfo

        self.sim = sim
        sources = {}
        for name, method in (
            ("first", DeliveryMethod.FIRST_RESPONSE),
            ("manual", DeliveryMethod.MANUAL_CONFIRMATION),
        ):
            sources[name] = publish_source(
                SourceInfo(
                    name=f"bench-{name}",
                    description="make bench",
                    logoUrl="",
                    imageEnvs=ImageEnvironments(cpu=sim.ipfs.add(COMPOSE.encode())),
                    minPayment=10**12,
                    minAvailableLockup=0,
                    maxExpiryDuration=86_400,
                    deliveryMethod=method,
                )
            )
            sim.add_provider(sources[name])
        self.first, self.manual = sources["first"], sources["manual"]
        sim.add_provider(self.first)  # two providers on FIRST_RESPONSE, as in the scenario

    def task(self, source: Any) -> Any:
        """Publish one small task through the SDK."""
        return self.sim.publish_task(source, "echo", {"n": 1}, payment=10**12)


class ChainBench:
    """A bare chain with the protocol deployed: what the Simulator adds is not in these rows.

    Args:
        backend: the ``create_chain`` backend name.
    """

    def __init__(self, backend: str) -> None:
        from ogpu_sim.accounts import derive
        from ogpu_sim.chain import create_chain
        from ogpu_sim.protocol import deploy

        self.chain = create_chain(backend)
        try:
            self.payer = derive(0)
            self.chain.set_balance(self.payer.address, 10**24)
            self.deployment = deploy(self.chain.w3, self.payer)
        except BaseException:
            self.chain.close()
            raise

    def transfer(self) -> None:
        """One signed 1-wei transfer to self, sent and waited for through web3."""
        w3, payer = self.chain.w3, self.payer
        tx = {
            "to": payer.address,
            "value": 1,
            "gas": 21_000,
            "chainId": self.chain.chain_id,
            "nonce": w3.eth.get_transaction_count(payer.address),
            "maxFeePerGas": 2 * 10**9,
            "maxPriorityFeePerGas": 10**9,
        }
        tx_hash = w3.eth.send_raw_transaction(payer.sign_transaction(tx).raw_transaction)
        assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1


def chain_start_deploy(backend: str, settings: Settings) -> tuple[list[float], ChainBench]:
    """Start a chain and deploy the protocol ``session_repeat`` times; keep the last one."""
    samples, bench = [], None
    for _ in range(settings.session_repeat):
        if bench is not None:
            bench.chain.close()
        started = time.perf_counter()
        bench = ChainBench(backend)
        samples.append(time.perf_counter() - started)
    assert bench is not None
    return samples, bench


def chain_transfer(bench: ChainBench, settings: Settings) -> list[float]:
    """A plain value transfer signed locally, sent and waited for through web3."""
    return timed(bench.transfer, settings.repeat)


def chain_call(bench: ChainBench, settings: Settings) -> list[float]:
    """A view call through a web3 contract handle (ABI encode, eth_call, decode)."""
    view = bench.deployment.contracts["VAULT"].functions.MIN_LOCKUP_PER_SOURCE()
    return timed(view.call, settings.repeat)


def chain_snapshot_revert(bench: ChainBench, settings: Settings) -> list[float]:
    """``Chain.snapshot()`` + ``Chain.revert()`` with one transaction in between (untimed)."""
    samples = []
    for index in range(settings.repeat + 1):
        started = time.perf_counter()
        snapshot_id = bench.chain.snapshot()
        taken = time.perf_counter() - started
        bench.transfer()
        started = time.perf_counter()
        bench.chain.revert(snapshot_id)
        if index:
            samples.append((taken + time.perf_counter() - started) * 1000)
    return samples


CHAIN_CASES: dict[str, Callable[[ChainBench, Settings], list[float]]] = {
    "chain.transfer": chain_transfer,
    "chain.call": chain_call,
    "chain.snapshot_revert": chain_snapshot_revert,
}


def sdk_vault_deposit(bench: Bench, settings: Settings) -> list[float]:
    """``ogpu.protocol.vault.deposit``: build, estimate, sign, send, receipt."""
    from ogpu.protocol import vault

    client = bench.sim.accounts.client
    return timed(lambda: vault.deposit(client.address, 1, signer=client.key.hex()), settings.repeat)


def sdk_publish_task(bench: Bench, settings: Settings) -> list[float]:
    """``ogpu.client.publish_task`` (IPFS pin of the config + a tx that deploys a Task)."""
    return timed(lambda: bench.task(bench.first), settings.repeat)


def lifecycle_first_response(bench: Bench, settings: Settings) -> list[float]:
    """publish_task, providers attempt and respond (inline runtime), status read FINALIZED."""
    from ogpu.types import TaskStatus

    def lifecycle() -> None:
        task = bench.task(bench.first)
        bench.sim.run_until_idle()
        assert task.get_status() == TaskStatus.FINALIZED

    return timed(lifecycle, settings.repeat)


def rpc_calls(side: str) -> Callable[[Bench, Settings], list[float]]:
    """A case: JSON-RPC calls of one FIRST_RESPONSE lifecycle made by ``side`` (sdk, harness)."""
    from ogpu.types import TaskStatus

    def case(bench: Bench, settings: Settings) -> list[float]:
        samples = []
        for _ in range(settings.repeat):
            with counting(bench.sim) as count:
                task = bench.task(bench.first)
                bench.sim.run_until_idle()
                assert task.get_status() == TaskStatus.FINALIZED
            samples.append(float(count.total(side)))
        return samples

    return case


def lifecycle_manual(bench: Bench, settings: Settings) -> list[float]:
    """publish_task, a provider responds, the client confirms; status read FINALIZED."""
    from ogpu.client import confirm_response
    from ogpu.types import TaskStatus

    def lifecycle() -> None:
        task = bench.task(bench.manual)
        bench.sim.run_until_idle()
        confirm_response(task.get_responses()[0].address)
        assert task.get_status() == TaskStatus.FINALIZED

    return timed(lifecycle, settings.repeat)


def isolation(bench: Bench, settings: Settings) -> list[float]:
    """``sim.snapshot()`` + ``sim.revert()`` around one SDK transaction (the test body)."""
    from ogpu.protocol import vault

    client = bench.sim.accounts.client
    samples = []
    for index in range(settings.repeat + 1):
        started = time.perf_counter()
        snapshot_id = bench.sim.snapshot()
        taken = time.perf_counter() - started
        vault.deposit(client.address, 1, signer=client.key.hex())
        started = time.perf_counter()
        bench.sim.revert(snapshot_id)
        if index:
            samples.append((taken + time.perf_counter() - started) * 1000)
    return samples


def simulate_throughput(bench: Bench, settings: Settings) -> list[float]:
    """Fixed scenario: N FIRST_RESPONSE tasks, two honest providers; finalized tasks/second."""
    from ogpu.types import TaskStatus

    samples = []
    for _ in range(settings.scenario_repeat):
        snapshot_id = bench.sim.snapshot()
        try:
            started = time.perf_counter()
            tasks = [bench.task(bench.first) for _ in range(settings.scenario_tasks)]
            bench.sim.run_until_idle()
            finalized = sum(t.get_status() == TaskStatus.FINALIZED for t in tasks)
            samples.append(finalized / (time.perf_counter() - started))
        finally:
            bench.sim.revert(snapshot_id)
    return samples


def ipfs_roundtrip(bench: Bench, settings: Settings) -> list[float]:
    """The SDK's own IPFS path: ``publish_to_ipfs`` (pin) then ``fetch_ipfs_json`` (gateway)."""
    from ogpu.ipfs.fetch import fetch_ipfs_json
    from ogpu.ipfs.publish import publish_to_ipfs

    counter = iter(range(10**9))

    def roundtrip() -> None:
        payload = {"bench": next(counter)}
        assert fetch_ipfs_json(publish_to_ipfs(payload)) == payload

    return timed(roundtrip, settings.repeat)


def ipfs_roundtrip_http(bench: Bench, settings: Settings) -> list[float]:
    """:func:`ipfs_roundtrip` with the SDK's IPFS helpers on requests' own transport, as the
    SDK reaches an IPFS server in another process: every pin and read over a new connection."""
    import ogpu.ipfs.fetch as fetch
    import ogpu.ipfs.publish as publish
    import requests

    routed = (publish.requests, fetch.requests)
    publish.requests = fetch.requests = requests
    try:
        return ipfs_roundtrip(bench, settings)
    finally:
        publish.requests, fetch.requests = routed


CASES: dict[str, Callable[[Bench, Settings], list[float]]] = {
    "sdk.vault_deposit": sdk_vault_deposit,
    "sdk.publish_task": sdk_publish_task,
    "lifecycle.first_response": lifecycle_first_response,
    "lifecycle.manual_confirmation": lifecycle_manual,
    "rpc.harness": rpc_calls("harness"),
    "rpc.sdk": rpc_calls("sdk"),
    "isolation.per_test": isolation,
    "simulate.throughput": simulate_throughput,
    "ipfs.roundtrip": ipfs_roundtrip,
    "ipfs.roundtrip_http": ipfs_roundtrip_http,
}
