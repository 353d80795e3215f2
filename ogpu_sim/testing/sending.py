"""The machine's contract calls that the SDK does not wrap, sent as the SDK sends, leaner.

The judge's, the admin's, the Nexus owner's and the provider runtime's calls (``Vault.sanction``,
``Nexus.setTaskStatus``, ``Nexus.submitResponse``, ``Terminal.setBaseData`` ...) have no SDK
function, so the rules send them as ``ogpu.protocol._base.TxExecutor`` would: the same
transaction, byte for byte, from the same steps. web3's contract machinery costs more than
the node here (its ABI lookup and argument checks, a dozen formatter tables per request), so
:func:`send` takes those steps itself as plain JSON-RPC calls:

- a nonce reserved from the SDK's own ``NonceManager`` (its cache stays right for accounts
  that also sign SDK calls), handed back whenever nothing goes out;
- calldata encoded by ``eth_abi`` (arguments of the plain kinds the rules pass only:
  ``int``, ``bool``, checksummed addresses, ``bytes`` of a ``bytesN``'s size, ``str``, tuples);
- ``eth_estimateGas`` with the fields ``build_transaction`` asks with; a revert is turned into
  web3's own ``ContractLogicError`` by web3's error formatter and into the SDK's typed error by
  the SDK's ``decode_revert``, as ``TxExecutor`` does;
- the EIP-1559 fees web3 fills in (``eth_maxPriorityFeePerGas``, plus twice the latest
  block's base fee), the chain id, signed by ``web3.eth.account.sign_transaction`` (as the SDK
  signs), sent with ``eth_sendRawTransaction`` and its receipt read back; a mined failure is
  the SDK's ``TxRevertError``.

Anything else (other argument kinds, a gas price strategy, a chain without a base fee, an
error answer that is not a revert, a refused send, a receipt not there at once) hands the
nonce back and goes to ``TxExecutor`` itself, so those cases behave exactly as before. A test
(tests/properties/test_sending.py) checks that both paths put the same transaction on chain.
"""

from __future__ import annotations

import re
from typing import Any

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from eth_utils.abi import collapse_if_tuple

from ..errors import LeanSendDeclined

_UINT = re.compile(r"u?int\d*$")
_BYTES = re.compile(r"bytes(\d+)$")
#: Seconds ``TxExecutor`` waits for a receipt by default.
RECEIPT_TIMEOUT = 120


def _plain(kind: str, components: Any, value: Any) -> bool:
    """Whether ``value`` is an argument of ABI type ``kind`` of the kinds :func:`calldata`
    encodes (those web3 hands to eth_abi unchanged)."""
    if kind == "tuple":
        return (
            type(value) is tuple
            and len(value) == len(components)
            and all(
                _plain(c["type"], c.get("components"), v)
                for c, v in zip(components, value, strict=True)
            )
        )
    if kind == "address":
        return type(value) is str and len(value) == 42 and to_checksum_address(value) == value
    if kind == "bool":
        return type(value) is bool
    if kind == "string":
        return type(value) is str
    if _UINT.match(kind):
        return isinstance(value, int) and not isinstance(value, bool)
    sized = _BYTES.match(kind)
    if sized:
        return isinstance(value, bytes) and len(value) == int(sized.group(1))
    return False


#: (selector, canonical input types, ABI inputs) by (id of the ABI list, function name); the
#: ABI list is kept with them so that the id stays its own.
_FUNCTIONS: dict[tuple[int, str], tuple[Any, bytes, tuple[str, ...], tuple[Any, ...]]] = {}


def _function(abi: Any, function: str) -> tuple[bytes, tuple[str, ...], tuple[Any, ...]]:
    known = _FUNCTIONS.get((id(abi), function))
    if known is None or known[0] is not abi:
        matches = [e for e in abi if e.get("type") == "function" and e.get("name") == function]
        if len(matches) != 1:  # overloaded or missing: web3 picks (or refuses)
            raise LeanSendDeclined(function)
        inputs = tuple(matches[0].get("inputs", ()))
        types = tuple(collapse_if_tuple(dict(i)) for i in inputs)
        selector = bytes(function_signature_to_4byte_selector(f"{function}({','.join(types)})"))
        known = _FUNCTIONS[(id(abi), function)] = (abi, selector, types, inputs)
    return known[1], known[2], known[3]


def calldata(contract: Any, function: str, args: tuple[Any, ...]) -> bytes:
    """``function(*args)``'s calldata for ``contract`` (a web3 contract handle), as web3 encodes
    it; ``LeanSendDeclined`` for arguments outside the plain kinds or out of their range."""
    selector, types, inputs = _function(contract.abi, function)
    if len(args) != len(inputs) or not all(
        _plain(i["type"], i.get("components"), a) for i, a in zip(inputs, args, strict=True)
    ):
        raise LeanSendDeclined(function)
    try:
        return selector + encode(list(types), list(args))
    except Exception as exc:  # out of range: web3 refuses it its own way
        raise LeanSendDeclined(function) from exc


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _result(w3: Any, method: str, params: list[Any]) -> Any:
    """A plain JSON-RPC call's result; ``LeanSendDeclined`` for an error answer."""
    answer = w3.provider.make_request(method, params)
    if "error" in answer:
        raise LeanSendDeclined(method)
    return answer["result"]


def send(contract: Any, function: str, args: tuple[Any, ...], signer: Any, value: int = 0) -> None:
    """Send ``contract.function(*args)`` signed by ``signer`` as the SDK's ``TxExecutor`` does
    (the same transaction and errors; see the module docstring).

    Args:
        contract: the web3 contract handle (the simulator's deployment's).
        function: the contract function's name.
        args: its arguments.
        signer: the signing ``LocalAccount``.
        value: wei sent along.

    Raises:
        ogpu.types.errors.OGPUError: what ``TxExecutor`` raises: the SDK's typed error for a
            revert, ``TxRevertError`` for a transaction mined with status 0, ...
    """
    from ogpu.chain.nonce import NonceManager
    from ogpu.protocol._base import _get_web3

    context = f"{function}{args!r}"[:120]
    web3, reads = _get_web3(), contract.w3
    try:
        data = "0x" + calldata(contract, function, args).hex()
        if reads.eth.generate_gas_price({}) is not None:
            raise LeanSendDeclined("gas price strategy")  # web3 would build a legacy transaction
    except LeanSendDeclined:
        return _sdk(contract, function, args, signer, value, context)
    address = signer.address
    nonce = NonceManager.reserve_nonce(address, web3)
    try:
        tx_hash = _broadcast(contract, reads, web3, address, nonce, data, value, signer, context)
    except LeanSendDeclined:
        NonceManager.release_nonce(address, nonce, web3)
        return _sdk(contract, function, args, signer, value, context)
    except BaseException:
        NonceManager.release_nonce(address, nonce, web3)
        raise
    _mined(web3, tx_hash)
    return None


def _sdk(
    contract: Any, function: str, args: tuple[Any, ...], signer: Any, value: int, context: str
) -> None:
    from ogpu.protocol._base import TxExecutor

    TxExecutor(contract, function, args, signer=signer, value=value, context=context).execute()


def _broadcast(
    contract: Any,
    reads: Any,
    web3: Any,
    address: str,
    nonce: int,
    data: str,
    value: int,
    signer: Any,
    context: str,
) -> str:
    """Estimate, fill in, sign and send as web3's ``build_transaction`` and the SDK do; the
    transaction's hash. Raises the SDK's typed error for a revert, ``LeanSendDeclined`` (nothing
    sent) for anything the lean path leaves to ``TxExecutor``."""
    from ogpu.protocol._base import decode_revert
    from web3._utils.error_formatters_utils import raise_contract_logic_error_on_revert
    from web3.exceptions import ContractLogicError

    tx: dict[str, Any] = {"from": address, "nonce": hex(nonce), "to": contract.address}
    if value:
        tx["value"] = hex(value)
    tx["data"] = data
    answer = reads.provider.make_request("eth_estimateGas", [tx, "latest"])
    if "error" in answer:
        try:
            raise_contract_logic_error_on_revert(answer)
        except ContractLogicError as exc:
            raise decode_revert(exc, context=context, caller=address) from exc
        raise LeanSendDeclined("eth_estimateGas")
    tip = _int(_result(reads, "eth_maxPriorityFeePerGas", []))
    base = _result(reads, "eth_getBlockByNumber", ["latest", False]).get("baseFeePerGas")
    if base is None:  # web3 would fail (or a strategy would build a legacy transaction)
        raise LeanSendDeclined("baseFeePerGas")
    fields = {
        "value": value,
        "gas": _int(answer["result"]),
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": tip + 2 * _int(base),
        "chainId": _int(_result(reads, "eth_chainId", [])),
        "from": address,
        "nonce": nonce,
        "to": contract.address,
        "data": data,
    }
    signed = web3.eth.account.sign_transaction(fields, signer.key)
    sent = web3.provider.make_request(
        "eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()]
    )
    if "error" in sent:  # refused: nothing went out (TxExecutor retries nonce errors ...)
        raise LeanSendDeclined("eth_sendRawTransaction")
    return str(sent["result"])


def _mined(web3: Any, tx_hash: str) -> None:
    """The receipt of a sent transaction, as ``TxExecutor`` waits for it and judges it."""
    from hexbytes import HexBytes
    from ogpu.types.errors import TxReceiptTimeoutError, TxRevertError
    from web3.exceptions import TimeExhausted

    answer = web3.provider.make_request("eth_getTransactionReceipt", [tx_hash])
    receipt = answer.get("result")
    if "error" in answer or receipt is None:  # a chain that mines later: wait as the SDK waits
        try:
            receipt = web3.eth.wait_for_transaction_receipt(
                HexBytes(tx_hash), timeout=RECEIPT_TIMEOUT
            )
        except TimeExhausted as exc:
            raise TxReceiptTimeoutError(tx_hash=tx_hash[2:], timeout=RECEIPT_TIMEOUT) from exc
    if _int(receipt["status"]) != 1:
        raise TxRevertError(reason=f"Transaction {tx_hash[2:]} mined but reverted")
