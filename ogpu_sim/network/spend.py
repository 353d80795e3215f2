"""Money safety in attach mode: count what the user's keys spend and refuse to pass a cap.

Every signed transaction leaves the process through one ``eth_sendRawTransaction``; the guarded
HTTP provider decodes it there, before it is sent. A transaction signed by one of the user's
keys costs at most its value, plus its gas limit at its fee cap, plus the task payment when it
is ``Controller.publishTask`` (the Vault freezes that from the client's balance). The count is
deliberately pessimistic: gas is counted at its limit, and a Vault deposit counts as spent
although the balance stays the user's. Fresh accounts the run funds (local providers and their
masters) are counted once, by the transfer that funds them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import rlp
from eth_account import Account
from eth_utils import keccak
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.types import RPCEndpoint, RPCResponse

from ogpu_sim.errors import ConfigError, SpendCapError

ETHER = 10**18
UNITS = {"wei": 1, "gwei": 10**9, "ogpu": ETHER, "ether": ETHER, "eth": ETHER}
"""Unit names a spend cap written as text must carry (case-insensitive); an int is wei."""

# Field positions of (to, value, data) and of the fee cap in each transaction type's RLP list.
_LAYOUT = {
    None: {"fee": 1, "gas": 2, "to": 3, "value": 4, "data": 5},  # legacy
    1: {"fee": 2, "gas": 3, "to": 4, "value": 5, "data": 6},  # EIP-2930
    2: {"fee": 3, "gas": 4, "to": 5, "value": 6, "data": 7},  # EIP-1559
}


MAX_WEI = 2**256 - 1
"""The most wei any account can hold (a uint256)."""
MAX_WEI_DIGITS = 80
"""A figure with more digits than this before the point is over :data:`MAX_WEI` in any unit."""


def parse_amount(value: int | str | None, option: str = "max_spend") -> int | None:
    """Wei from ``10**15`` (an int is wei), ``"0.5 OGPU"``, ``"20 gwei"`` or ``"none"``.

    Returns:
        The amount in wei, or ``None`` for no cap (``None``, ``""``, ``"none"``).

    Raises:
        ConfigError: not a non-negative amount with a known unit.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    if isinstance(value, bool):
        raise ConfigError(option, f"not an amount: {value!r}")
    if isinstance(value, int):
        wei = value
    else:
        from decimal import Decimal, DecimalException

        text = str(value).strip().lower().replace("_", "")
        number, _, unit = text.partition(" ")
        unit = unit.strip()
        try:
            figure = Decimal(number)
        except DecimalException:
            raise ConfigError(option, f"not an amount: {value!r}") from None
        if not unit:
            raise ConfigError(option, f"{value!r} needs a unit: OGPU, gwei or wei")
        if unit not in UNITS:
            raise ConfigError(
                option, f"unknown unit {unit!r} in {value!r}; known: {', '.join(UNITS)}"
            )
        if not figure.is_finite():
            raise ConfigError(option, f"must be a finite amount, got {value!r}")
        if figure and figure.adjusted() > MAX_WEI_DIGITS:  # before the huge int is built
            raise ConfigError(option, f"{value!r} is more than 2**256 - 1 wei")
        amount = figure * UNITS[unit]
        if amount != amount.to_integral_value():
            raise ConfigError(option, f"{value!r} is not a whole number of wei")
        wei = int(amount)
    if wei < 0:
        raise ConfigError(option, f"must be >= 0, got {value!r}")
    if wei > MAX_WEI:
        raise ConfigError(option, f"{value!r} is more than 2**256 - 1 wei")
    return wei


def show_wei(wei: int) -> str:
    """``0.25 OGPU (250000000000000000 wei)``: amounts as people read them, exactly."""
    from decimal import Decimal

    whole = (Decimal(wei) / ETHER).normalize()
    return f"{whole:f} OGPU ({wei} wei)"


@dataclass(frozen=True)
class Transaction:
    """What a raw signed transaction spends."""

    sender: str
    to: str | None
    value: int
    gas: int
    fee_cap: int
    data: bytes
    hash: str


def decode_raw(raw: bytes) -> Transaction:
    """Decode a signed legacy, EIP-2930 or EIP-1559 transaction.

    Raises:
        ConfigError: another transaction type (it cannot be priced, so it is not sent).
    """
    kind = None if raw[0] >= 0xC0 else raw[0]
    layout = _LAYOUT.get(kind)
    if layout is None:
        raise ConfigError("transaction", f"type {kind} cannot be priced against the spend cap")
    fields: Any = rlp.decode(raw if kind is None else raw[1:])

    def number(name: str) -> int:
        return int.from_bytes(fields[layout[name]], "big")

    to = bytes(fields[layout["to"]])
    return Transaction(
        sender=Web3.to_checksum_address(Account.recover_transaction(raw)),
        to=Web3.to_checksum_address(to) if to else None,
        value=number("value"),
        gas=number("gas"),
        fee_cap=number("fee"),
        data=bytes(fields[layout["data"]]),
        hash="0x" + keccak(raw).hex(),
    )


@dataclass
class SpendLedger:
    """What the run's own keys have spent, against an optional cap (wei).

    Args:
        cap: the most the run may spend; ``None``: no cap.
        own: the addresses whose transactions count (the user's keys).
        controller: the Controller handle, to read a ``publishTask``'s payment (set once the
            protocol's addresses are checked).
        option: how the cap's face names it, for :class:`~ogpu_sim.errors.SpendCapError`.
    """

    cap: int | None
    own: set[str]
    controller: Contract | None = None
    option: str = "max_spend="
    spent: int = 0
    sent: set[str] = field(default_factory=set)
    """Hashes of the transactions the run sent (the tasks they publish are waited for)."""
    fresh: set[str] = field(default_factory=set)
    """Fresh accounts the run funded: their transactions are the run's too, already paid for."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, raw: bytes) -> None:
        """Count a transaction about to be sent, or refuse it.

        Raises:
            SpendCapError: it would take the run past the cap (nothing is counted).
        """
        tx = decode_raw(raw)
        if tx.sender not in self.own:
            if tx.sender in self.fresh:
                with self._lock:
                    self.sent.add(tx.hash)
            return
        payment, description = self._describe(tx)
        cost = tx.value + tx.gas * tx.fee_cap + payment
        with self._lock:
            if self.cap is not None and self.spent + cost > self.cap:
                raise SpendCapError(description, cost, self.spent, self.cap, self.option)
            self.spent += cost
            self.sent.add(tx.hash)

    def _describe(self, tx: Transaction) -> tuple[int, str]:
        if self.controller is not None and tx.to == self.controller.address and tx.data:
            try:
                function, arguments = self.controller.decode_function_input(tx.data)
            except ValueError:
                function, arguments = None, {}
            if function is not None and function.fn_name == "publishTask":
                params = next(iter(arguments.values()))
                payment = int(params["payment"] if isinstance(params, dict) else params[3])
                return payment, f"Controller.publishTask paying {payment} wei"
        target = tx.to or "a new contract"
        return 0, f"a transaction from {tx.sender} to {target} sending {tx.value} wei"

    def refund(self, wei: int) -> None:
        """Count ``wei`` that came back to the user's keys (fresh accounts swept back)."""
        with self._lock:
            self.spent = max(self.spent - wei, 0)

    def remaining(self) -> int | None:
        """Wei left under the cap (``None``: no cap)."""
        return None if self.cap is None else max(self.cap - self.spent, 0)


class GuardedHTTPProvider(HTTPProvider):
    """web3's HTTP provider with every ``eth_sendRawTransaction`` checked by a ledger first."""

    def __init__(self, endpoint_uri: str, ledger: SpendLedger, **kwargs: Any) -> None:
        super().__init__(endpoint_uri, **kwargs)
        self.ledger = ledger

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_sendRawTransaction":
            raw = params[0]
            self.ledger.check(bytes.fromhex(raw[2:]) if isinstance(raw, str) else bytes(raw))
        return super().make_request(method, params)


@contextmanager
def spend_cap_unwrapped() -> Iterator[None]:
    """Raise a :class:`SpendCapError` the SDK wrapped into its ``TxRpcError`` as itself."""
    try:
        yield
    except Exception as exc:
        cause = exc.__cause__
        if isinstance(cause, SpendCapError) and not isinstance(exc, SpendCapError):
            raise cause from None
        raise


def addresses_of(accounts: Iterable[Any]) -> set[str]:
    """Checksummed addresses of accounts."""
    return {Web3.to_checksum_address(a.address) for a in accounts}
