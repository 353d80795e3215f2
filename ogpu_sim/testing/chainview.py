"""Read many view calls from the chain in one ``eth_call``, through a tiny helper contract.

:class:`ChainView` deploys ``BatchRead`` (source in ``BatchRead.sol`` next to this module), which
staticcalls every (target, calldata) pair it is given and returns each call's success flag and
raw result (the revert data for a call that reverted). The machine reads every
:class:`~ogpu_sim.testing.probes.Probe` of a step this way.
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
    "0x6080604052348015600e575f5ffd5b5061046b8061001c5f395ff3fe608060405234801561000f575f5ffd"
    "5b5060043610610034575f3560e01c806370a08231146100385780638494193714610066575b5f5ffd5b6100"
    "53610046366004610218565b6001600160a01b03163190565b6040519081526020015b60405180910390f35b"
    "61007961007436600461028d565b610087565b60405161005d9291906102f9565b6060808267ffffffffffff"
    "ffff8111156100a3576100a36103bb565b6040519080825280602002602001820160405280156100cc578160"
    "200160208202803683370190505b5091508267ffffffffffffffff8111156100e8576100e86103bb565b6040"
    "5190808252806020026020018201604052801561011b57816020015b60608152602001906001900390816101"
    "065790505b5090505f5b8381101561020e5786868281811061013a5761013a6103cf565b9050602002016020"
    "81019061014f9190610218565b6001600160a01b031685858381811061016a5761016a6103cf565b90506020"
    "0281019061017c91906103e3565b60405161018a929190610426565b5f60405180830381855afa9150503d80"
    "5f81146101c2576040519150601f19603f3d011682016040523d82523d5f602084013e6101c7565b60609150"
    "5b508483815181106101da576101da6103cf565b602002602001018484815181106101f3576101f36103cf56"
    "5b60209081029190910101919091529015159052600101610120565b5094509492505050565b5f6020828403"
    "1215610228575f5ffd5b81356001600160a01b038116811461023e575f5ffd5b9392505050565b5f5f83601f"
    "840112610255575f5ffd5b50813567ffffffffffffffff81111561026c575f5ffd5b60208301915083602082"
    "60051b8501011115610286575f5ffd5b9250929050565b5f5f5f5f604085870312156102a0575f5ffd5b8435"
    "67ffffffffffffffff8111156102b6575f5ffd5b6102c287828801610245565b909550935050602085013567"
    "ffffffffffffffff8111156102e1575f5ffd5b6102ed87828801610245565b95989497509550505050565b60"
    "4080825283519082018190525f9060208501906060840190835b818110156103345783511515835260209384"
    "019390920191600101610314565b50508381036020850152809150845180825260208201925060208160051b"
    "830101602087015f5b838110156103ad57601f19858403018652815180518085528060208301602087015e5f"
    "602082870101526020601f19601f830116860101945050506020820191506020860195506001810190506103"
    "5b565b509098975050505050505050565b634e487b7160e01b5f52604160045260245ffd5b634e487b7160e0"
    "1b5f52603260045260245ffd5b5f5f8335601e198436030181126103f8575f5ffd5b83018035915067ffffff"
    "ffffffffff821115610412575f5ffd5b602001915036819003821315610286575f5ffd5b818382375f910190"
    "815291905056fea26469706673582212208fce8f222ea12b72f9b1addb64fa9642b65214bf1f81471daaf2e7"
    "68fe7d350f64736f6c63430008250033"
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
    }
]

_READ = function_signature_to_4byte_selector("read(address[],bytes[])")


@cache
def _word(address: str) -> bytes:
    return bytes(12) + to_canonical_address(address)


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


def _encode_read(calls: Sequence[tuple[str, bytes]]) -> bytes:
    """ABI-encode ``read(address[] targets, bytes[] calls)`` arguments (fast path by hand)."""
    n = len(calls)
    size = n.to_bytes(32, "big")
    targets = size + b"".join([_word(t) for t, _ in calls])
    tails = [_tail(data) for _, data in calls]
    heads, offset = [], 32 * n
    for tail in tails:
        heads.append(offset.to_bytes(32, "big"))
        offset += len(tail)
    payload = size + b"".join(heads) + b"".join(tails)
    return (64).to_bytes(32, "big") + (64 + len(targets)).to_bytes(32, "big") + targets + payload


class Part(NamedTuple):
    """Calls encoded once as a run of ``read``'s arguments, with the reply each must get.

    A check reads the same runs of calls (its sections) at many checks: :meth:`ChainView.read_parts`
    joins the parts' bytes instead of encoding every call, and compares the reply's bytes with
    the expected ones instead of decoding it. Build one with :func:`encode_part`.

    Attributes:
        size: the number of calls.
        targets: each call's target as an ABI word.
        tails: each call's data as an ABI ``bytes`` element (see :func:`_tail`), in order.
        offsets: each call's offset from the part's first tail, one 32-byte word each, read as
            one integer (``offsets + base * ones`` moves every offset by ``base`` at once).
        ones: a 1 in each of those words.
        flags: each call's expected success flag, as the reply's ``bool`` words.
        runs: (index of a call, the expected result elements of it and the calls after it) for
            each run of calls whose result is known exactly (a call that may revert with any
            data ends a run).
    """

    size: int
    targets: bytes
    tails: bytes
    offsets: int
    ones: int
    flags: bytes
    runs: tuple[tuple[int, bytes], ...]


_TRUE = (1).to_bytes(32, "big")
_FALSE = bytes(32)


def encode_part(
    calls: Sequence[tuple[str, bytes]], answers: Sequence[tuple[bool, bytes | None]]
) -> Part:
    """``calls`` as a :class:`Part`, each expecting its (succeeds, result) answer in ``answers``
    (result None: any result will do)."""
    tails = [_tail(data) for _, data in calls]
    offsets, offset = 0, 0
    for tail in tails:
        offsets, offset = (offsets << 256) | offset, offset + len(tail)
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
        targets=b"".join([_word(target) for target, _ in calls]),
        tails=b"".join(tails),
        offsets=offsets,
        ones=sum(1 << (256 * i) for i in range(len(calls))),
        flags=b"".join([_TRUE if ok else _FALSE for ok, _ in answers]),
        runs=tuple(runs),
    )


def _encode_parts(parts: Sequence[Part]) -> bytes:
    """:func:`_encode_read` of the parts' calls, from their pre-encoded bytes."""
    n = sum(part.size for part in parts)
    size = n.to_bytes(32, "big")
    targets = size + b"".join([part.targets for part in parts])
    heads, base = [], 32 * n
    for part in parts:
        heads.append((part.offsets + base * part.ones).to_bytes(32 * part.size, "big"))
        base += len(part.tails)
    payload = size + b"".join(heads) + b"".join([part.tails for part in parts])
    return (64).to_bytes(32, "big") + (64 + len(targets)).to_bytes(32, "big") + targets + payload


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
            out += _decode_read(self._call(_READ + _encode_read(chunk)))
        return out

    def read_parts(self, parts: Sequence[Part]) -> list[tuple[bool, bytes]] | None:
        """:meth:`read` of the parts' calls, compared with their expected answers: None when the
        chain gave every one, else each call's (succeeded, result or revert data).

        Sent in chunks of whole parts of at most ``chunk`` calls (a larger part alone).
        """
        raws: list[bytes] = []
        agreed = True
        for chunk in self._chunks(parts):
            raws.append(self._call(_READ + _encode_parts(chunk)))
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
