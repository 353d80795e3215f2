"""The SDK caches: the same contract handle per address, one factory class per ABI."""

from __future__ import annotations

import pytest
from web3 import Web3
from web3._utils.validation import validate_abi
from web3.exceptions import ABIFunctionNotFound, Web3ValueError

from ogpu_sim import artifacts
from ogpu_sim.sdk.caches import cache_contracts

ABI = artifacts.load("Task")["abi"]
FIRST, SECOND = (Web3.to_checksum_address(f"0x{n:040x}") for n in (1, 2))


def test_the_same_address_and_abi_give_the_same_contract() -> None:
    w3 = Web3()
    cache_contracts(w3)

    assert w3.eth.contract(FIRST, abi=ABI) is w3.eth.contract(FIRST, abi=ABI)


def test_contracts_at_two_addresses_share_their_abis_factory_class() -> None:
    w3 = Web3()
    cache_contracts(w3)

    first, second = w3.eth.contract(FIRST, abi=ABI), w3.eth.contract(SECOND, abi=ABI)

    assert type(first) is type(second)
    assert issubclass(type(first), w3.eth.contract(abi=ABI))
    assert (first.address, second.address) == (FIRST, SECOND)
    assert second.functions.getStatus().address == SECOND


def test_a_cached_contract_encodes_calls_as_an_uncached_one() -> None:
    plain, cached = Web3(), Web3()
    cache_contracts(cached)

    expected = plain.eth.contract(FIRST, abi=ABI).functions.getStatus()
    got = cached.eth.contract(FIRST, abi=ABI).functions.getStatus()

    assert got._encode_transaction_data() == expected._encode_transaction_data()
    assert got.abi == expected.abi


@pytest.mark.parametrize("name", ["Nexus", "Controller", "Vault", "Source", "Task", "Response"])
def test_a_cached_contract_makes_every_function_as_web3_does(name: str) -> None:
    abi = artifacts.load(name)["abi"]
    plain, cached = Web3(), Web3()
    cache_contracts(cached)
    eager = plain.eth.contract(FIRST, abi=abi).functions
    lazy = cached.eth.contract(FIRST, abi=abi).functions

    made = {fn.signature: fn.abi for fn in lazy}

    assert made == {fn.signature: fn.abi for fn in eager}
    for fn in eager:
        assert getattr(lazy, fn.abi_element_identifier).abi == getattr(eager, fn.name).abi
        assert lazy[fn.signature].address == FIRST


def test_a_cached_contract_refuses_an_unknown_function_as_web3_does() -> None:
    w3 = Web3()
    cache_contracts(w3)

    with pytest.raises(ABIFunctionNotFound, match="The function 'noSuch' was not found"):
        w3.eth.contract(FIRST, abi=ABI).functions.noSuch  # noqa: B018


def test_a_cached_contracts_caller_is_made_once_and_knows_every_function() -> None:
    plain, cached = Web3(), Web3()
    cache_contracts(cached)
    eager, task = plain.eth.contract(FIRST, abi=ABI), cached.eth.contract(FIRST, abi=ABI)

    assert task.caller is task.caller
    assert task.caller._functions == eager.caller._functions


def test_an_abi_that_passed_validation_is_not_validated_again() -> None:
    import web3.utils.abi as abi_utils

    from ogpu_sim.sdk.caches import memoize_validate_abi

    undo = memoize_validate_abi()
    try:
        abi_utils.validate_abi(ABI)
        ABI.append({"type": "function", "name": "getStatus", "inputs": [], "outputs": []})
        try:  # a changed ABI is validated again: the colliding selector is found
            with pytest.raises(Web3ValueError, match="colliding selectors"):
                abi_utils.validate_abi(ABI)
        finally:
            ABI.pop()
    finally:
        undo()
    assert abi_utils.validate_abi is validate_abi


def test_an_invalid_abi_is_refused_every_time() -> None:
    import web3.utils.abi as abi_utils

    from ogpu_sim.sdk.caches import memoize_validate_abi

    undo = memoize_validate_abi()
    try:
        for _ in range(2):
            with pytest.raises(Web3ValueError, match="not a list"):
                abi_utils.validate_abi("nope")
    finally:
        undo()
