"""``eth_simulateV1`` for the revm node: blocks of calls on one checkpoint, then undone.

State overrides stay in force from their block to the end of the simulation (geth's rule) and
are written back afterwards (:func:`~ogpu_sim.chain.state_override.revm_overridden`). As in
every revm execution here, fees are not charged and BASEFEE reads 0: a ``baseFeePerGas``
override is reported in the block and checked against the calls' fee caps (with
``validation``), not seen by the code.
"""

from __future__ import annotations

import contextlib
from typing import Any

from eth_utils import keccak

from .jsonrpc import INVALID_PARAMS, REVERTED, SERVER_ERROR, RpcError, data_bytes, quantity
from .revm_exec import BLOCK_GAS_LIMIT, ZERO_ADDRESS, Outcome, checksum, execute
from .revm_json import Block, block_json
from .state_override import parse_state_overrides, revm_overridden

BLOCK_OVERRIDES = ("number", "time", "baseFeePerGas")
"""The block fields a simulated block may override here."""


def _block_fields(overrides: Any) -> dict[str, int]:
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise RpcError(INVALID_PARAMS, "invalid argument 0: blockOverrides must be an object")
    unknown = sorted(set(overrides) - set(BLOCK_OVERRIDES))
    if unknown:
        raise RpcError(
            INVALID_PARAMS,
            f"invalid argument 0: block override {unknown[0]!r} is not supported by the revm "
            f"backend (supported: {', '.join(BLOCK_OVERRIDES)})",
        )
    return {name: quantity(value, name) for name, value in overrides.items()}


def _log(log: Any, number: int, block_hash: str, tx_hash: str, index: int, i: int) -> Any:
    return {
        "address": checksum(log.address),
        "topics": list(log.topics),
        "data": "0x" + log.data[1].hex(),
        "blockNumber": hex(number),
        "blockHash": block_hash,
        "transactionHash": tx_hash,
        "transactionIndex": hex(index),
        "logIndex": hex(i),
        "removed": False,
    }


def simulate_v1(node: Any, payload: Any) -> list[dict[str, Any]]:
    """``eth_simulateV1`` on top of the latest block of a :class:`RevmNode`.

    Raises:
        RpcError: -32602 for a malformed payload, an unsupported override or (with
            ``validation``) a fee cap below the base fee.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("blockStateCalls"), list):
        raise RpcError(INVALID_PARAMS, "invalid argument 0: expected {blockStateCalls: [...]}")
    validation = bool(payload.get("validation"))
    evm = node.evm
    results: list[dict[str, Any]] = []
    parent_hash, number, timestamp = node.latest.hash, node.latest.number, node.now() - 12
    outer = evm.snapshot()  # also undoes the warmth the overrides' write-back leaves
    try:
        with contextlib.ExitStack() as overrides:
            checkpoint = evm.snapshot()
            try:
                for block_call in payload["blockStateCalls"]:
                    fields = _block_fields(block_call.get("blockOverrides"))
                    number = fields.get("number", number + 1)
                    timestamp = fields.get("time", timestamp + 12)
                    state = parse_state_overrides(block_call.get("stateOverrides"))
                    overrides.enter_context(revm_overridden(evm, state))
                    node._enter_block(number, timestamp)
                    base_fee = fields.get("baseFeePerGas", 0)
                    answer = _simulate_block(
                        node, block_call, (number, timestamp, parent_hash), base_fee, validation
                    )
                    results.append(answer)
                    parent_hash = answer["hash"]
            finally:
                evm.revert(checkpoint)
    finally:
        evm.revert(outer)
    return results


def _simulate_block(
    node: Any, block_call: Any, head: tuple[int, int, str], base_fee: int, validation: bool
) -> dict[str, Any]:
    """Run one simulated block's calls in order; its JSON with their results."""
    number, timestamp, parent_hash = head
    block_hash = "0x" + keccak(f"simulated:{number}:{parent_hash}".encode()).hex()
    calls, hashes, gas_total = [], [], 0
    for index, call in enumerate(block_call.get("calls") or []):
        tx_hash = "0x" + keccak(f"{block_hash}:{index}".encode()).hex()
        outcome = _run(node, call, base_fee if validation else None)
        gas_total += outcome.gas_used
        hashes.append(tx_hash)
        calls.append(_result(outcome, number, block_hash, tx_hash, index))
    block = Block(number, block_hash, parent_hash, timestamp, hashes, gas_total)
    answer = block_json(block, hashes)
    answer.update(baseFeePerGas=hex(base_fee), calls=calls)
    return answer


def _run(node: Any, call: Any, base_fee: int | None) -> Outcome:
    if not isinstance(call, dict):
        raise RpcError(INVALID_PARAMS, "invalid argument 0: each call must be an object")
    if base_fee is not None:
        cap = call.get("maxFeePerGas", call.get("gasPrice"))
        if cap is not None and quantity(cap, "maxFeePerGas") < base_fee:
            raise RpcError(
                SERVER_ERROR,
                f"max fee per gas less than block base fee: maxFeePerGas {quantity(cap)}, "
                f"baseFee {base_fee}",
            )
    sender = checksum(call["from"]) if call.get("from") else ZERO_ADDRESS
    to = checksum(call["to"]) if call.get("to") else None
    outcome = execute(
        node.evm,
        sender,
        to,
        data_bytes(call.get("input", call.get("data")), "input"),
        quantity(call.get("value") or 0, "value"),
        min(quantity(call.get("gas") or BLOCK_GAS_LIMIT, "gas"), BLOCK_GAS_LIMIT),
        0,
    )
    if to is not None:
        node._bump_nonce(sender)
    return outcome


def _result(outcome: Outcome, number: int, block_hash: str, tx_hash: str, index: int) -> Any:
    logs = [
        _log(log, number, block_hash, tx_hash, index, i)
        for i, log in enumerate(outcome.logs if outcome.ok else [])
    ]
    result: dict[str, Any] = {
        "returnData": "0x" + outcome.output.hex(),
        "logs": logs,
        "gasUsed": hex(outcome.gas_used),
        "status": "0x1" if outcome.ok else "0x0",
    }
    if not outcome.ok:
        error = outcome.failure()
        result["error"] = {"code": error.code or REVERTED, "message": error.message}
    return result
