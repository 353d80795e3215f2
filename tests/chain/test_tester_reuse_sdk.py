"""The SDK's writes on eth-tester give the same chain with the estimate's run reused or not.

Two Simulators on eth-tester, one after the other, with the same fixed clock and mix hashes,
run the same SDK flow (publish a source, publish a task, deposit into the vault with value,
cancel the task); the first with every send executed in py-evm (``applicable`` answering
False), the second applying estimates' runs (:mod:`ogpu_sim.chain.tester_reuse`). Every
database key and value, header, receipt and log agree, and the second reused every SDK send.
"""

from __future__ import annotations

import socket
import time
from functools import partial
from types import SimpleNamespace
from typing import Any

import ogpu.client
import pytest
from eth_tester.backends.pyevm import main as pyevm_main
from ogpu.client import cancel_task, publish_task
from ogpu.protocol import vault
from ogpu.types import DeliveryMethod, TaskInfo, TaskInput, TaskStatus

from ogpu_sim import Simulator
from ogpu_sim import network as network_module
from ogpu_sim.chain import tester_node, tester_reuse
from ogpu_sim.ipfs.server import IpfsServer
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

from .test_tester_mine import chain_contents

MULTIPLY = SAMPLE_SOURCES / "multiply"
ETHER = 10**18
NOW = float(int(time.time()))
"""Both runs' fixed chain clock (the SDK refuses a task whose expiry its own clock passed)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sdk_flow(
    monkeypatch: pytest.MonkeyPatch, port: int, *, reuse: bool, lifecycle: bool = False
) -> tuple[dict[str, Any], int]:
    """The chain after the SDK flow, and how many sends applied an estimate's run.

    The mock IPFS listens on ``port``: its address is in the task config's URL on chain.
    With ``lifecycle`` a simulated provider attempts the task and submits its response (the
    source's FIRST_RESPONSE finalizes it) instead of the deposit and the cancel.
    """
    replayed: list[Any] = []
    replay = tester_reuse.replay

    def counted(state: Any, tx: Any, recorded: Any) -> Any:
        replayed.append(tx)
        return replay(state, tx, recorded)

    with monkeypatch.context() as patch:
        clock = SimpleNamespace(time=lambda: NOW)
        patch.setattr(pyevm_main, "time", clock)
        patch.setattr(tester_node, "time", clock)
        sdk_time = {name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
        # the SDK stamps a source's lastUpdateTime from its own clock
        patch.setattr(ogpu.client, "time", SimpleNamespace(**{**sdk_time, "time": lambda: NOW}))
        fixed_mix = SimpleNamespace(urandom=lambda n: b"\x07" * n)
        patch.setattr(tester_node, "os", fixed_mix)
        patch.setattr(pyevm_main, "os", fixed_mix)
        patch.setattr(tester_node, "replay", counted)
        patch.setattr(network_module, "IpfsServer", partial(IpfsServer, port=port))
        if not reuse:
            patch.setattr(tester_node, "applicable", lambda *args: False)
        with Simulator.start(backend="eth-tester", runtime="inline") as sim:
            before = len(replayed)
            first = {"deliveryMethod": DeliveryMethod.FIRST_RESPONSE} if lifecycle else {}
            source = sim.publish_source_from_folder(MULTIPLY, **first)
            info = TaskInfo(
                source=source.address,
                config=TaskInput(function_name="multiply", data={"a": 6, "b": 7}),
                expiryTime=sim.now() + 3_600,
                payment=10**15,
            )
            if lifecycle:
                sim.add_provider(source)
            task = publish_task(info)
            if lifecycle:
                sim.run_until_idle()
                assert task.get_status() == TaskStatus.FINALIZED
            else:
                client = sim.accounts.client
                vault.deposit(client.address, ETHER, signer=client.key)
                cancel_task(task)
            node = sim.chain.node
            hashes = [
                "0x" + bytes(tx.hash).hex()
                for number in range(1, node.head_number + 1)
                for tx in node.chain.get_canonical_block_by_number(number).transactions
            ]
            return chain_contents(sim.chain, hashes), len(replayed) - before


def test_the_sdk_flow_leaves_py_evms_chain_and_reuses_every_estimated_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    expected, executed = sdk_flow(monkeypatch, port, reuse=False)
    contents, reused = sdk_flow(monkeypatch, port, reuse=True)
    assert executed == 0
    assert contents == expected
    assert reused == 4


def test_a_provider_lifecycle_leaves_py_evms_chain_and_reuses_every_estimated_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    expected, executed = sdk_flow(monkeypatch, port, reuse=False, lifecycle=True)
    contents, reused = sdk_flow(monkeypatch, port, reuse=True, lifecycle=True)
    assert executed == 0
    assert contents == expected
    assert reused == 4  # publishSource, publishTask, attempt, submitResponse
