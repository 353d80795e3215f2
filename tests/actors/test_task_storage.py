"""A task's facts read from its storage on the in-process chains answer what its getters answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ogpu.types import DeliveryMethod
from web3 import Web3

from ogpu_sim import artifacts
from ogpu_sim.actors import task_storage, tasks
from ogpu_sim.actors.tasks import TaskFacts, read_task_facts
from ogpu_sim.chain.fault_errors import JsonRpcError
from ogpu_sim.chain.inprocess import InProcessChain, in_process_chain
from ogpu_sim.chain.revm import RevmChain
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.errors import ChainError
from tests.chain.helpers import deploy_probe, funded_account, transact

LENGTHS = (0, 1, 2, 30, 31, 32, 33, 34, 62, 63, 64, 65, 66, 95, 96, 97, 300)
"""Config lengths in bytes: both of Solidity's string encodings and each side of their border."""
SOURCE = Web3.to_checksum_address("0x00000000000000000000000000000000000000a5")
NEXUS = Web3.to_checksum_address("0x00000000000000000000000000000000000000b6")


def _config(length: int) -> str:
    """A config string of ``length`` UTF-8 bytes, two-byte characters included."""
    text = "".join("é" if i % 7 == 3 else chr(ord("a") + i % 26) for i in range(length))
    while len(text.encode()) > length:
        text = text[:-1]
    return text + "x" * (length - len(text.encode()))


def _deploy(chain: InProcessChain, account: Any, name: str, *args: Any) -> str:
    artifact = artifacts.load(name)
    factory = chain.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = transact(chain.w3, account, factory.constructor(*args))
    assert receipt["status"] == 1
    return str(receipt["contractAddress"])


def _params(length: int, delivery: DeliveryMethod) -> tuple[str, int, int, DeliveryMethod]:
    return _config(length), 2**64 + length, 2**256 - 1 - length, delivery


@pytest.fixture(scope="module", params=["eth-tester", "revm"])
def deployed(request: pytest.FixtureRequest) -> Iterator[tuple[InProcessChain, dict[Any, str]]]:
    """A chain with one Task per (config length, delivery method), deployed from the artifact."""
    chain: InProcessChain = TesterChain() if request.param == "eth-tester" else RevmChain()
    with chain:
        account = funded_account(chain)
        found = {}
        for length in LENGTHS:
            for delivery in DeliveryMethod:
                config, expiry, payment, method = _params(length, delivery)
                found[length, delivery] = _deploy(
                    chain, account, "Task", (SOURCE, config, expiry, payment), method.value, NEXUS
                )
        found["account"] = account.address
        found["probe"] = deploy_probe(chain.w3, account).address
        response = (found[0, DeliveryMethod.FIRST_RESPONSE], account.address, "data", 5)
        found["response"] = _deploy(chain, account, "Response", response)
        yield chain, found


@pytest.mark.parametrize("delivery", list(DeliveryMethod))
@pytest.mark.parametrize("length", LENGTHS)
def test_the_storage_answer_is_the_getters_answer(deployed, length, delivery):
    chain, found = deployed
    address = found[length, delivery]
    config, expiry, payment, method = _params(length, delivery)

    stored = task_storage.read_params(chain, address)
    called = tasks._read_in_one(chain.w3, address)

    assert stored == (SOURCE.lower(), config, expiry, payment, method.value)
    assert called == TaskFacts(expiry, payment, method, config)
    assert read_task_facts(chain.w3, address) == called


@pytest.mark.parametrize("what", ["account", "probe", "response"])
def test_an_address_without_the_task_code_is_left_to_the_node(deployed, what):
    chain, found = deployed

    assert task_storage.read_params(chain, found[what]) is None
    with pytest.raises(ChainError, match="cannot read the task facts"):
        read_task_facts(chain.w3, found[what])


def test_an_address_that_is_not_twenty_bytes_of_hex_is_left_to_the_node(deployed):
    chain, found = deployed
    address = found[1, DeliveryMethod.MANUAL_CONFIRMATION]

    assert task_storage.read_params(chain, address[:-1]) is None
    assert task_storage.read_params(chain, address + "0") is None


def test_a_read_while_a_call_fault_is_armed_goes_through_the_node(deployed):
    chain, found = deployed
    chain.faults.fail_next(1, method="eth_call", error=JsonRpcError(-32005, "limit exceeded"))

    with pytest.raises(ChainError, match="limit exceeded"):
        read_task_facts(chain.w3, found[1, DeliveryMethod.MANUAL_CONFIRMATION])
    assert not chain.faults.armed


def test_the_in_process_chain_of_a_w3_is_found_from_its_provider(deployed):
    chain, _found = deployed

    assert in_process_chain(chain.w3) is chain
    assert in_process_chain(Web3(chain.provider)) is chain
    assert in_process_chain(Web3(Web3.HTTPProvider("http://127.0.0.1:9"))) is None


@pytest.mark.parametrize(
    ("head", "answer"),
    [
        (2 * 31 + (0x61 << 248), b"a" + bytes(30)),  # 31 bytes inline
        (2 * 32, None),  # inline form claiming 32 bytes: the getter panics
        (2 * 31 + 1, None),  # the long form claiming 31 bytes: the getter panics
        (2 * (task_storage.MAX_CONFIG_BYTES + 1) + 1, None),  # longer than read directly
    ],
)
def test_a_string_slot_decodes_as_the_getter_does(head, answer):
    class Empty:
        def head_storage(self, _address, slots):
            return [0] * len(slots)

    assert task_storage._string(Empty(), SOURCE, 2, head) == answer


def test_a_long_string_is_read_from_keccak_of_its_slot():
    from eth_hash.auto import keccak

    start = int.from_bytes(keccak((2).to_bytes(32, "big")), "big")

    class Words:
        asked: list[int] = []

        def head_storage(self, _address, slots):
            self.asked.extend(slots)
            return [int.from_bytes(b"x" * 32, "big"), int.from_bytes(b"y" * 32, "big")]

    words = Words()
    assert task_storage._string(words, SOURCE, 2, 2 * 40 + 1) == b"x" * 32 + b"y" * 8
    assert words.asked == [start, start + 1]


def test_the_layout_is_the_task_artifacts():
    where = task_storage.layout()

    assert (where.source, where.config, where.expiry, where.payment) == (1, 2, 3, 4)
    assert (where.delivery, where.delivery_shift) == (5, 8)
