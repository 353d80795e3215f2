"""Read many view calls from the chain in one ``eth_call``, through a tiny helper contract.

:class:`ChainView` deploys ``BatchRead`` (source in ``BatchRead.sol`` next to this module), which
staticcalls every (target, calldata) pair it is given and returns each call's success flag and
raw result (the revert data for a call that reverted). The machine reads every
:class:`~ogpu_sim.testing.probes.Probe` of a step this way.

The calls go to the helper's ``readPacked`` (:func:`_encode_packed`: each target once, each
word of calldata without its leading zeros), which answers exactly what its ABI-encoded
``read`` answers: a node copies an ``eth_call``'s data byte by byte (pyrevm about 50 ns a
byte), and the packed calls are about a sixth of ``read``'s arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from eth_utils import (
    function_signature_to_4byte_selector,
    to_canonical_address,
    to_checksum_address,
)

BATCH_READ_BYTECODE = (
    "0x"
    "6080604052348015600e575f5ffd5b506105998061001c5f395ff3fe608060405234801561000f575f5ffd5b"
    "506004361061003f575f3560e01c806370a08231146100435780638494193714610071578063adab49201461"
    "0092575b5f5ffd5b61005e61005136600461036f565b6001600160a01b03163190565b604051908152602001"
    "5b60405180910390f35b61008461007f3660046103e4565b61009a565b604051610068929190610450565b61"
    "008461022b565b6060808267ffffffffffffffff8111156100b6576100b6610512565b604051908082528060"
    "2002602001820160405280156100df578160200160208202803683370190505b5091508267ffffffffffffff"
    "ff8111156100fb576100fb610512565b60405190808252806020026020018201604052801561012e57816020"
    "015b60608152602001906001900390816101195790505b5090505f5b83811015610221578686828181106101"
    "4d5761014d610526565b9050602002016020810190610162919061036f565b6001600160a01b031685858381"
    "811061017d5761017d610526565b905060200281019061018f919061053a565b60405161019d92919061057d"
    "565b5f60405180830381855afa9150503d805f81146101d5576040519150601f19603f3d011682016040523d"
    "82523d5f602084013e6101da565b606091505b508483815181106101ed576101ed610526565b602002602001"
    "0184848151811061020657610206610526565b60209081029190910101919091529015159052600101610133"
    "565b5094509492505050565b6060806004358060e81c60073560e81c601402600a01604051631fffffe08460"
    "e31c16604082528060600160208301528360408301528082018460608201526080633fffffc08760e21c1684"
    "010195505f94505b818510156103675760208601843560e81c601402600a013560601c600386013560f81c80"
    "60ff8114610303576004880135845260088801975060248a018260051b8060040193505b6024818d01018210"
    "156102fc57893560f81c60018b01358160200360031b1c83526001818c01019a50506020820191506102c756"
    "5b505061031c565b600488013560e81c915081600789018537968101600701965b505f5f8285855afa606089"
    "8801015250503d805f833e5f6020828a010152808852607f1983890301608088850101526020601f19601f83"
    "01168901019750505060208501945061027f565b505080840381f35b5f6020828403121561037f575f5ffd5b"
    "81356001600160a01b0381168114610395575f5ffd5b9392505050565b5f5f83601f8401126103ac575f5ffd"
    "5b50813567ffffffffffffffff8111156103c3575f5ffd5b6020830191508360208260051b85010111156103"
    "dd575f5ffd5b9250929050565b5f5f5f5f604085870312156103f7575f5ffd5b843567ffffffffffffffff81"
    "111561040d575f5ffd5b6104198782880161039c565b909550935050602085013567ffffffffffffffff8111"
    "15610438575f5ffd5b6104448782880161039c565b95989497509550505050565b6040808252835190820181"
    "90525f9060208501906060840190835b8181101561048b578351151583526020938401939092019160010161"
    "046b565b50508381036020850152809150845180825260208201925060208160051b830101602087015f5b83"
    "81101561050457601f19858403018652815180518085528060208301602087015e5f60208287010152602060"
    "1f19601f830116860101945050506020820191506020860195506001810190506104b2565b50909897505050"
    "5050505050565b634e487b7160e01b5f52604160045260245ffd5b634e487b7160e01b5f5260326004526024"
    "5ffd5b5f5f8335601e1984360301811261054f575f5ffd5b83018035915067ffffffffffffffff8211156105"
    "69575f5ffd5b6020019150368190038213156103dd575f5ffd5b818382375f910190815291905056fea16473"
    "6f6c6343000825000a"
)
BATCH_READ_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "read",
        "stateMutability": "view",
        "inputs": [
            {"name": "targets", "type": "address[]"},
            {"name": "calls", "type": "bytes[]"},
        ],
        "outputs": [{"name": "ok", "type": "bool[]"}, {"name": "results", "type": "bytes[]"}],
    },
    {
        "type": "function",
        "name": "readPacked",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "bool[]"}, {"name": "", "type": "bytes[]"}],
    },
]

_READ_PACKED = function_signature_to_4byte_selector("readPacked()")
_AS_IS = 0xFF
"""The word count that marks calldata sent as it is (not a selector and whole words)."""


@cache
def _address(address: str) -> bytes:
    return to_canonical_address(address)


_TAILS: dict[bytes, bytes] = {}
_TAILS_LIMIT = 1 << 16


def _tail(data: bytes) -> bytes:
    """``data``'s ABI encoding as a ``bytes`` element: its length, then it padded to words
    (the same calls come back every check: kept)."""
    tail = _TAILS.get(data)
    if tail is None:
        if len(_TAILS) >= _TAILS_LIMIT:
            _TAILS.clear()
        tail = _TAILS[data] = len(data).to_bytes(32, "big") + data + bytes(-len(data) % 32)
    return tail


_BODIES: dict[bytes, bytes] = {}


def _body(data: bytes) -> bytes:
    """``data`` as ``readPacked`` takes a call's calldata (see ``BatchRead.sol``): the word
    count, the selector and each word without its leading zeros; anything that is not a
    selector and whole words as it is (the same calls come back every check: kept)."""
    body = _BODIES.get(data)
    if body is None:
        if len(_BODIES) >= _TAILS_LIMIT:
            _BODIES.clear()
        count, rest = divmod(len(data) - 4, 32)
        if len(data) < 4 or rest or count >= _AS_IS:
            body = bytes((_AS_IS,)) + len(data).to_bytes(3, "big") + data
        else:
            pieces = [bytes((count,)), data[:4]]
            for at in range(4, len(data), 32):
                word = data[at : at + 32].lstrip(b"\0")
                pieces += (bytes((len(word),)), word)
            body = b"".join(pieces)
        _BODIES[data] = body
    return body


def _encode_packed(targets: Sequence[bytes], bodies: Sequence[bytes]) -> bytes:
    """``readPacked``'s calldata for calls to ``targets`` (20 bytes each) with ``bodies``
    (:func:`_body`): the call count, each target once, then each call's target position and
    body."""
    positions: dict[bytes, bytes] = {}
    pieces: list[bytes] = []
    for target, body in zip(targets, bodies, strict=True):
        position = positions.get(target)
        if position is None:
            position = positions[target] = len(positions).to_bytes(3, "big")
        pieces += (position, body)
    head = len(targets).to_bytes(3, "big") + len(positions).to_bytes(3, "big")
    return _READ_PACKED + head + b"".join(positions) + b"".join(pieces)


def _encode_calls(calls: Sequence[tuple[str, bytes]]) -> bytes:
    """:func:`_encode_packed` of (target address, calldata) pairs."""
    return _encode_packed([_address(t) for t, _ in calls], [_body(d) for _, d in calls])


class Part(NamedTuple):
    """Calls encoded once as a run of ``read``'s arguments, with the reply each must get.

    A check reads the same runs of calls (its sections) at many checks: :meth:`ChainView.read_parts`
    joins the parts' bytes instead of encoding every call, and compares the reply's bytes with
    the expected ones instead of decoding it. Build one with :func:`encode_part`.

    Attributes:
        size: the number of calls.
        targets: each call's target, 20 bytes.
        bodies: each call's data as ``readPacked`` takes it (see :func:`_body`), in order.
        flags: each call's expected success flag, as the reply's ``bool`` words.
        runs: (index of a call, the expected result elements of it and the calls after it) for
            each run of calls whose result is known exactly (a call that may revert with any
            data ends a run).
    """

    size: int
    targets: tuple[bytes, ...]
    bodies: tuple[bytes, ...]
    flags: bytes
    runs: tuple[tuple[int, bytes], ...]


_TRUE = (1).to_bytes(32, "big")
_FALSE = bytes(32)


def encode_part(
    calls: Sequence[tuple[str, bytes]], answers: Sequence[tuple[bool, bytes | None]]
) -> Part:
    """``calls`` as a :class:`Part`, each expecting its (succeeds, result) answer in ``answers``
    (result None: any result will do)."""
    runs: list[tuple[int, bytes]] = []
    run: list[bytes] = []
    for index, (_, result) in enumerate(answers):
        if result is not None:
            run.append(_tail(result))
        if run and (result is None or index == len(answers) - 1):
            end = index if result is None else index + 1
            runs.append((end - len(run), b"".join(run)))
            run = []
    return Part(
        size=len(calls),
        targets=tuple(_address(target) for target, _ in calls),
        bodies=tuple(_body(data) for _, data in calls),
        flags=b"".join([_TRUE if ok else _FALSE for ok, _ in answers]),
        runs=tuple(runs),
    )


def _encode_parts(parts: Sequence[Part]) -> bytes:
    """:func:`_encode_packed` of the parts' calls, from their pre-encoded bodies."""
    targets = [target for part in parts for target in part.targets]
    return _encode_packed(targets, [body for part in parts for body in part.bodies])


def _agrees(raw: bytes, parts: Sequence[Part]) -> bool:
    """Whether the reply to :func:`_encode_parts` is every part's expected answer.

    Every flag is compared, then each run's elements from where the reply's first head of the
    run points: the helper's ABI encoder lays the elements out one after another, each
    length-prefixed, so equal bytes are equal results. Anything else (a different length or
    flag, non-zero padding) is not agreement, and the caller decodes the reply."""
    number = int.from_bytes
    try:
        ok_at, results_at = number(raw[0:32], "big"), number(raw[32:64], "big")
        n = number(raw[ok_at : ok_at + 32], "big")
    except (IndexError, ValueError):
        return False
    if n != sum(part.size for part in parts):
        return False
    if raw[ok_at + 32 : ok_at + 32 + 32 * n] != b"".join([part.flags for part in parts]):
        return False
    heads, first = results_at + 32, 0
    for part in parts:
        for index, elements in part.runs:
            head = heads + 32 * (first + index)
            item = heads + number(raw[head : head + 32], "big")
            if raw[item : item + len(elements)] != elements:
                return False
        first += part.size
    return True


def _decode_read(raw: bytes) -> list[tuple[bool, bytes]]:
    """Decode ``(bool[] ok, bytes[] results)`` into (ok, result) pairs."""
    number = int.from_bytes
    ok_at, results_at = number(raw[0:32], "big"), number(raw[32:64], "big")
    n = number(raw[ok_at : ok_at + 32], "big")
    heads = results_at + 32
    out = []
    for i in range(n):
        flag = ok_at + 32 + 32 * i
        head = heads + 32 * i
        item = heads + number(raw[head : head + 32], "big")
        start = item + 32
        data = raw[start : start + number(raw[item:start], "big")]
        out.append((raw[flag : flag + 32] != _FALSE, data))
    return out


def deploy_batch_read(w3: Any, account: Any) -> str:
    """Deploy the ``BatchRead`` helper signed by ``account`` (a funded ``LocalAccount``).

    Use an account the SDK does not sign with, so its nonce cache stays right.

    Returns:
        The helper's checksum address.
    """
    tx = {
        "from": account.address,
        "data": BATCH_READ_BYTECODE,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": w3.eth.chain_id,
        "gasPrice": w3.eth.gas_price,
    }
    tx["gas"] = w3.eth.estimate_gas(tx)
    signed = account.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    return to_checksum_address(receipt["contractAddress"])


class ChainView:
    """Batch reader of view calls.

    Args:
        w3: web3 connected to the chain.
        helper_address: where :func:`deploy_batch_read` put the helper.
        chunk: calls per ``eth_call`` (the helper's memory, and so its cost per call, grows
            with the batch).
    """

    def __init__(self, w3: Any, helper_address: str, chunk: int = 1024) -> None:
        self.w3 = w3
        self.helper_address = helper_address
        self.chunk = chunk

    def read(self, calls: Sequence[tuple[str, bytes]]) -> list[tuple[bool, bytes]]:
        """Staticcall each (target, calldata); (succeeded, result or revert data) for each.

        Sent in chunks of ``chunk`` calls (see the constructor); no call for no calls.
        """
        out: list[tuple[bool, bytes]] = []
        for at in range(0, len(calls), self.chunk):
            chunk = calls[at : at + self.chunk]
            # encoded by hand: web3's and eth_abi's generic codecs cost ~1 ms per entry here
            out += _decode_read(self._call(_encode_calls(chunk)))
        return out

    def read_parts(self, parts: Sequence[Part]) -> list[tuple[bool, bytes]] | None:
        """:meth:`read` of the parts' calls, compared with their expected answers: None when the
        chain gave every one, else each call's (succeeded, result or revert data).

        Sent in chunks of whole parts of at most ``chunk`` calls (a larger part alone).
        """
        raws: list[bytes] = []
        agreed = True
        for chunk in self._chunks(parts):
            raws.append(self._call(_encode_parts(chunk)))
            agreed = agreed and _agrees(raws[-1], chunk)
        if agreed:
            return None
        return [result for raw in raws for result in _decode_read(raw)]

    def _chunks(self, parts: Sequence[Part]) -> list[list[Part]]:
        chunks: list[list[Part]] = []
        size = 0
        for part in parts:
            if not chunks or size + part.size > self.chunk:
                chunks.append([])
                size = 0
            chunks[-1].append(part)
            size += part.size
        return chunks

    def _call(self, data: bytes) -> bytes:
        """``eth_call`` of the helper, asked of the provider directly: web3's request and
        result formatters cost more than the node for a batch this size."""
        call = {"to": self.helper_address, "data": "0x" + data.hex()}
        answer = self.w3.provider.make_request("eth_call", [call, "latest"])
        result = answer.get("result")
        if "error" in answer or not isinstance(result, str):  # web3's own call raises it
            return bytes(self.w3.eth.call({"to": self.helper_address, "data": data}))
        return bytes.fromhex(result[2:])
