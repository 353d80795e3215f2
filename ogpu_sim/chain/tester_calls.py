"""Calls on throw-away py-evm state for the eth-tester node: building them, access lists, and
``eth_simulateV1``.

A call is a py-evm ``SpoofTransaction`` (no signature) from ``from`` applied to a state built
from a block header; nothing is committed to the chain. :func:`create_access_list` records
which accounts and slots a call touches (py-evm marks them warm as it runs, EIP-2929) the way
geth's access-list tracer does: the sender, the recipient, the coinbase and precompiles are
left out unless their storage is used. :func:`simulate_v1` runs blocks of calls on one state,
with state and block overrides, the way geth's ``eth_simulateV1`` does, in geth's result shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth.vm.spoof import SpoofTransaction
from eth_utils import keccak, to_canonical_address, to_checksum_address

from .jsonrpc import (
    INVALID_PARAMS,
    REVERTED,
    SERVER_ERROR,
    RpcError,
    data_bytes,
    plain_address,
    quantity,
)
from .state_override import apply_to_py_evm, parse_state_overrides

ZERO_ADDRESS = b"\x00" * 20
PRECOMPILES = {(i).to_bytes(20, "big") for i in range(1, 0x12)}
"""Cancun/Prague precompiles (0x01-0x11): never part of an access list."""


def _address(value: Any, name: str) -> bytes:
    raw = plain_address(value)
    if raw is not None:
        return raw
    try:
        return to_canonical_address(value)
    except (ValueError, TypeError):
        raise RpcError(
            INVALID_PARAMS, f"invalid argument: {name} {value!r} is not an address"
        ) from None


def _access_list(value: Any) -> tuple[tuple[bytes, tuple[int, ...]], ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise RpcError(INVALID_PARAMS, "invalid argument: accessList must be a list")
    return tuple(
        (
            _address(entry.get("address"), "accessList address"),
            tuple(quantity(k, "storage key") for k in entry.get("storageKeys") or ()),
        )
        for entry in value
    )


def build_call(
    vm: Any, state: Any, gas_limit: int, chain_id: int, call: Any, *, keep_nonce: bool
) -> tuple[Any, bytes]:
    """The unsigned transaction ``call`` describes, from its ``from`` (default: zero address).

    Raises:
        RpcError: -32602 for malformed fields, -32000 for a gas limit below the intrinsic gas.
    """
    if not isinstance(call, dict):
        raise RpcError(INVALID_PARAMS, "invalid argument 0: expected a transaction object")
    sender = _address(call["from"], "from") if call.get("from") else ZERO_ADDRESS
    nonce = state.get_nonce(sender)
    if keep_nonce and call.get("nonce") is not None:
        nonce = quantity(call["nonce"], "nonce")
    fields: dict[str, Any] = {
        "nonce": nonce,
        "gas": quantity(call["gas"], "gas") if call.get("gas") else gas_limit,
        "to": _address(call["to"], "to") if call.get("to") else b"",
        "value": quantity(call.get("value") or 0, "value"),
        "data": data_bytes(call.get("input", call.get("data")), "input"),
    }
    access_list = _access_list(call.get("accessList"))
    builder = vm.get_transaction_builder()
    if call.get("maxFeePerGas") is not None or call.get("maxPriorityFeePerGas") is not None:
        priority = quantity(call.get("maxPriorityFeePerGas") or 0, "maxPriorityFeePerGas")
        max_fee = quantity(call.get("maxFeePerGas") or priority, "maxFeePerGas")
        unsigned = builder.new_unsigned_dynamic_fee_transaction(
            chain_id=chain_id,
            max_priority_fee_per_gas=priority,
            max_fee_per_gas=max_fee,
            access_list=access_list,
            **fields,
        )
    elif access_list:
        gas_price = quantity(call.get("gasPrice") or 0, "gasPrice")
        unsigned = builder.new_unsigned_access_list_transaction(
            chain_id=chain_id, gas_price=gas_price, access_list=access_list, **fields
        )
    else:
        gas_price = quantity(call.get("gasPrice") or 0, "gasPrice")
        unsigned = builder.create_unsigned_transaction(gas_price=gas_price, **fields)
    if unsigned.gas < unsigned.intrinsic_gas:
        raise RpcError(
            SERVER_ERROR,
            f"intrinsic gas too low: gas {unsigned.gas}, minimum needed {unsigned.intrinsic_gas}",
        )
    return SpoofTransaction(unsigned, from_=sender), sender


def _tracking(state: Any) -> dict[bytes, set[int]]:
    """Record every account and slot ``state`` marks warm from now on."""
    touched: dict[bytes, set[int]] = {}
    db = state._account_db  # py-evm's account db: the one place warmth is recorded
    mark_address, mark_storage = db.mark_address_warm, db.mark_storage_warm

    def address_warm(address: bytes) -> None:
        touched.setdefault(address, set())
        mark_address(address)

    def storage_warm(address: bytes, slot: int) -> None:
        touched.setdefault(address, set()).add(slot)
        mark_storage(address, slot)

    db.mark_address_warm, db.mark_storage_warm = address_warm, storage_warm
    return touched


def create_access_list(
    vm: Any, state: Any, gas_limit: int, chain_id: int, call: dict[str, Any]
) -> dict[str, Any]:
    """``eth_createAccessList``: what ``call`` touches, and its gas with that list.

    Raises:
        RpcError: as :func:`build_call`.
    """
    tx, sender = build_call(vm, state, gas_limit, chain_id, call, keep_nonce=True)
    snapshot = state.snapshot()
    touched = _tracking(state)
    try:
        computation = state.apply_transaction(tx)
    finally:
        state.revert(snapshot)
    excluded = {sender, bytes(tx.to), bytes(state.coinbase)} | PRECOMPILES
    if not tx.to:
        excluded.add(bytes(computation.msg.storage_address))
    access_list = [
        {
            "address": to_checksum_address(address),
            "storageKeys": ["0x" + slot.to_bytes(32, "big").hex() for slot in sorted(slots)],
        }
        for address, slots in touched.items()
        if slots or address not in excluded
    ]
    with_list = {**call, "accessList": access_list}
    tx, _sender = build_call(vm, state, gas_limit, chain_id, with_list, keep_nonce=True)
    snapshot = state.snapshot()
    try:
        computation = state.apply_transaction(tx)
    finally:
        state.revert(snapshot)
    answer: dict[str, Any] = {"accessList": access_list, "gasUsed": hex(_gas_used(tx, computation))}
    if computation.is_error:
        answer["error"] = str(computation.error)
    return answer


def _gas_used(tx: Any, computation: Any) -> int:
    return int(
        tx.gas
        - computation.get_gas_remaining()
        - min(computation.get_gas_refund(), (tx.gas - computation.get_gas_remaining()) // 5)
    )


_BLOCK_FIELDS = {
    "number": "block_number",
    "time": "timestamp",
    "gasLimit": "gas_limit",
    "feeRecipient": "coinbase",
    "prevRandao": "mix_hash",
    "baseFeePerGas": "base_fee_per_gas",
}


def _header_overrides(overrides: Any) -> dict[str, Any]:
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise RpcError(INVALID_PARAMS, "invalid argument 0: blockOverrides must be an object")
    unknown = sorted(set(overrides) - set(_BLOCK_FIELDS))
    if unknown:
        raise RpcError(
            INVALID_PARAMS,
            f"invalid argument 0: block override {unknown[0]!r} is not supported "
            f"(supported: {', '.join(_BLOCK_FIELDS)})",
        )
    fields: dict[str, Any] = {}
    for name, value in overrides.items():
        if name == "feeRecipient":
            fields["coinbase"] = _address(value, name)
        elif name == "prevRandao":
            fields["mix_hash"] = data_bytes(value, name).rjust(32, b"\0")
        else:
            fields[_BLOCK_FIELDS[name]] = quantity(value, name)
    return fields


def simulate_v1(
    vm_for: Callable[[Any], Any], db: Any, pending: Any, chain_id: int, payload: Any
) -> list[dict[str, Any]]:
    """``eth_simulateV1`` on top of the ``pending`` header's state; nothing is committed.

    Args:
        vm_for: the VM for a header (the node's chain's ``get_vm``).
        db: the chain database the states are built on (written to only with trie nodes).
        pending: the header of the block the first simulated block replaces.
        chain_id: the chain id of the simulated transactions.
        payload: geth's ``{"blockStateCalls": [...], "validation": bool, ...}``.

    Raises:
        RpcError: -32602 for a malformed payload or override.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("blockStateCalls"), list):
        raise RpcError(INVALID_PARAMS, "invalid argument 0: expected {blockStateCalls: [...]}")
    validation = bool(payload.get("validation"))
    parent_hash, state_root = pending.parent_hash, pending.state_root
    number, timestamp = pending.block_number - 1, pending.timestamp - 12
    results = []
    for block_call in payload["blockStateCalls"]:
        fields = {"block_number": number + 1, "timestamp": timestamp + 12}
        if not validation:
            fields["base_fee_per_gas"] = 0
        fields.update(_header_overrides(block_call.get("blockOverrides")))
        header = pending.copy(parent_hash=parent_hash, state_root=state_root, **fields)
        number, timestamp = header.block_number, header.timestamp
        vm = vm_for(pending)
        state = vm.build_state(db, header, vm.chain_context, vm.previous_hashes)
        apply_to_py_evm(state, parse_state_overrides(block_call.get("stateOverrides")))
        block_hash = "0x" + keccak(f"simulated:{number}:{parent_hash.hex()}".encode()).hex()
        calls, hashes, gas_total = [], [], 0
        for index, call in enumerate(block_call.get("calls") or []):
            tx, _sender = build_call(vm, state, header.gas_limit, chain_id, call, keep_nonce=True)
            tx_hash = "0x" + keccak(f"{block_hash}:{index}".encode()).hex()
            try:
                computation = state.apply_transaction(tx)
            except Exception as exc:  # py-evm's validation errors: nonce, funds, fee cap
                raise RpcError(SERVER_ERROR, f"simulated call {index}: {exc}") from None
            gas = _gas_used(tx, computation)
            gas_total += gas
            hashes.append(tx_hash)
            calls.append(_call_result(computation, gas, number, block_hash, tx_hash, index))
        state.persist()
        state_root = state.state_root
        results.append(
            {
                "number": hex(number),
                "hash": block_hash,
                "parentHash": "0x" + parent_hash.hex(),
                "timestamp": hex(timestamp),
                "gasLimit": hex(header.gas_limit),
                "gasUsed": hex(gas_total),
                "baseFeePerGas": hex(header.base_fee_per_gas),
                "miner": to_checksum_address(header.coinbase),
                "stateRoot": "0x" + state_root.hex(),
                "transactions": hashes,
                "calls": calls,
            }
        )
        parent_hash = bytes.fromhex(block_hash[2:])
    return results


def _call_result(
    computation: Any, gas: int, number: int, block_hash: str, tx_hash: str, index: int
) -> dict[str, Any]:
    logs = [
        {
            "address": to_checksum_address(address),
            "topics": ["0x" + topic.to_bytes(32, "big").hex() for topic in topics],
            "data": "0x" + bytes(data).hex(),
            "blockNumber": hex(number),
            "blockHash": block_hash,
            "transactionHash": tx_hash,
            "transactionIndex": hex(index),
            "logIndex": hex(i),
            "removed": False,
        }
        for i, (address, topics, data) in enumerate(
            () if computation.is_error else computation.get_log_entries()
        )
    ]
    result: dict[str, Any] = {
        "returnData": "0x" + bytes(computation.output).hex(),
        "logs": logs,
        "gasUsed": hex(gas),
        "status": "0x0" if computation.is_error else "0x1",
    }
    if computation.is_error:
        result["error"] = {"code": REVERTED, "message": f"execution reverted: {computation.error}"}
    return result
