"""Unlocked dev accounts, as anvil and hardhat have them, for the in-process nodes.

The in-process chains are local by construction (in this process, served on 127.0.0.1 only)
and their dev accounts are the public dev mnemonic's, so the node signs for them like a dev
node does: ``eth_accounts``, ``eth_sendTransaction``, ``eth_signTransaction``, ``eth_sign``,
``eth_signTypedData`` (v4) and the ``personal_*`` family. :class:`DevAccounts` answers those
methods and fills what a transaction leaves out (nonce, gas, fees) by asking the node through
the same ``request`` callable every other method goes through, then hands the signed bytes to
``eth_sendRawTransaction``: the node validates them exactly as it validates a client's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from .jsonrpc import INVALID_PARAMS, SERVER_ERROR, RpcError, data_bytes, quantity

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The public development mnemonic of anvil and hardhat; its keys are known to everyone."""

DEV_ACCOUNT_COUNT = 10
DEV_ACCOUNT_BALANCE = 10_000 * 10**18
"""What anvil gives each of its ten dev accounts at genesis (10,000 ether)."""

Request = Callable[[str, list[Any]], Any]


@lru_cache(maxsize=64)
def dev_account(index: int, mnemonic: str = DEV_MNEMONIC) -> LocalAccount:
    """The account at ``m/44'/60'/0'/0/<index>`` of ``mnemonic`` (cached: derivation is slow)."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")


def dev_accounts(count: int = DEV_ACCOUNT_COUNT) -> list[LocalAccount]:
    """The first ``count`` dev accounts, in anvil's order."""
    return [dev_account(index) for index in range(count)]


_TX_FIELDS = {
    "to": "to",
    "value": "value",
    "gas": "gas",
    "gasPrice": "gasPrice",
    "maxFeePerGas": "maxFeePerGas",
    "maxPriorityFeePerGas": "maxPriorityFeePerGas",
    "nonce": "nonce",
    "accessList": "accessList",
    "chainId": "chainId",
    "type": "type",
    "authorizationList": "authorizationList",
}
_QUANTITIES = ("value", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce")


class DevAccounts:
    """Answers the signing methods of a dev node for a set of unlocked keys.

    Args:
        chain_id: signed into every transaction.
        accounts: the unlocked keys (default: the ten dev accounts).
    """

    METHODS = frozenset(
        {
            "eth_accounts",
            "eth_sendTransaction",
            "eth_signTransaction",
            "eth_sign",
            "eth_signTypedData",
            "eth_signTypedData_v4",
            "personal_listAccounts",
            "personal_sign",
            "personal_ecRecover",
            "personal_unlockAccount",
            "personal_lockAccount",
            "personal_sendTransaction",
            "personal_signTransaction",
            "personal_importRawKey",
            "personal_newAccount",
        }
    )
    """The JSON-RPC methods :meth:`answer` handles."""

    def __init__(self, chain_id: int, accounts: list[LocalAccount] | None = None) -> None:
        self.chain_id = chain_id
        self._keys: dict[str, LocalAccount] = {}
        for account in dev_accounts() if accounts is None else accounts:
            self._keys[account.address] = account

    @property
    def addresses(self) -> list[str]:
        """Checksummed addresses of the unlocked accounts, in order."""
        return list(self._keys)

    def signer(self, address: Any, argument: str = "from") -> LocalAccount:
        """The key of an unlocked account.

        Raises:
            RpcError: -32602 for a malformed address, -32000 ``unknown account`` for one
                this node holds no key for (as geth words it).
        """
        if not isinstance(address, str) or not is_address(address):
            raise RpcError(INVALID_PARAMS, f"invalid argument: {argument} must be an address")
        account = self._keys.get(to_checksum_address(address))
        if account is None:
            raise RpcError(
                SERVER_ERROR,
                f"unknown account {to_checksum_address(address)}: this node unlocks only its "
                f"dev accounts (eth_accounts); sign locally and use eth_sendRawTransaction",
            )
        return account

    def answer(self, method: str, params: list[Any], request: Request) -> Any:
        """Answer one of :attr:`METHODS`; ``request`` reaches the node for everything else."""
        if method in ("eth_accounts", "personal_listAccounts"):
            return self.addresses
        if method in ("eth_sendTransaction", "personal_sendTransaction"):
            return request("eth_sendRawTransaction", [self._sign(params[0], request)[0]])
        if method in ("eth_signTransaction", "personal_signTransaction"):
            raw, fields = self._sign(params[0], request)
            return {"raw": raw, "tx": fields}
        if method == "eth_sign":
            return self._sign_message(params[0], params[1])
        if method == "personal_sign":
            return self._sign_message(params[1], params[0])
        if method in ("eth_signTypedData", "eth_signTypedData_v4"):
            return self._sign_typed(params[0], params[1])
        if method == "personal_ecRecover":
            return _ec_recover(data_bytes(params[0], "message"), data_bytes(params[1], "signature"))
        if method == "personal_unlockAccount":
            return bool(self.signer(params[0], "address"))
        if method == "personal_lockAccount":
            self.signer(params[0], "address")
            return True
        if method == "personal_importRawKey":
            key = data_bytes("0x" + str(params[0]).removeprefix("0x"), "key")
            try:
                account = Account.from_key(key)
            except ValueError:
                raise RpcError(
                    INVALID_PARAMS,
                    "invalid argument 0: not a private key (32 bytes, from 1 to the curve "
                    f"order less one); got {len(key)} bytes",
                ) from None
            return self.add(account)
        if method == "personal_newAccount":
            return self.add(Account.create())
        raise RpcError(SERVER_ERROR, f"{method} is not a dev-account method")

    def add(self, account: LocalAccount) -> str:
        """Unlock one more key; returns its address."""
        self._keys[account.address] = account
        return str(account.address)

    # -- signing ------------------------------------------------------------------------------
    def _sign_message(self, address: Any, data: Any) -> str:
        account = self.signer(address, "address")
        signed = account.sign_message(encode_defunct(data_bytes(data, "data")))
        return "0x" + bytes(signed.signature).hex()

    def _sign_typed(self, address: Any, typed: Any) -> str:
        account = self.signer(address, "address")
        if isinstance(typed, str):
            try:
                typed = json.loads(typed)
            except ValueError as exc:
                raise RpcError(INVALID_PARAMS, f"invalid argument 1: typed data: {exc}") from None
        if not isinstance(typed, dict):
            raise RpcError(INVALID_PARAMS, "invalid argument 1: typed data must be an object")
        try:
            signable = encode_typed_data(full_message=typed)
        except Exception as exc:  # eth-account raises several types for malformed typed data
            raise RpcError(INVALID_PARAMS, f"invalid argument 1: typed data: {exc}") from None
        return "0x" + bytes(account.sign_message(signable).signature).hex()

    def _sign(self, tx: Any, request: Request) -> tuple[str, dict[str, Any]]:
        """Fill ``tx`` like a dev node (nonce, gas, fees, chain id) and sign it."""
        if not isinstance(tx, dict):
            raise RpcError(INVALID_PARAMS, "invalid argument 0: expected a transaction object")
        account = self.signer(tx.get("from"))
        fields: dict[str, Any] = {
            name: tx[key] for key, name in _TX_FIELDS.items() if tx.get(key) is not None
        }
        for name in _QUANTITIES:
            if name in fields:
                fields[name] = quantity(fields[name], name)
        data = tx.get("input", tx.get("data"))
        fields["data"] = "0x" + data_bytes(data, "input").hex()
        if fields.get("chainId") is not None and quantity(fields["chainId"]) != self.chain_id:
            raise RpcError(
                INVALID_PARAMS,
                f"invalid argument 0: chainId {quantity(fields['chainId'])} is not this "
                f"chain's ({self.chain_id})",
            )
        fields["chainId"] = self.chain_id
        fields.setdefault(
            "nonce", quantity(request("eth_getTransactionCount", [account.address, "pending"]))
        )
        fields.setdefault("value", 0)
        if "gasPrice" not in fields:
            if "maxPriorityFeePerGas" not in fields:
                fields["maxPriorityFeePerGas"] = quantity(request("eth_maxPriorityFeePerGas", []))
            if "maxFeePerGas" not in fields:
                block = request("eth_getBlockByNumber", ["latest", False])
                base_fee = quantity(block.get("baseFeePerGas") or "0x0")
                fields["maxFeePerGas"] = 2 * base_fee + fields["maxPriorityFeePerGas"]
        if "gas" not in fields:
            estimate = {"from": account.address, **tx}
            fields["gas"] = quantity(request("eth_estimateGas", [estimate]))
        if "to" in fields:
            fields["to"] = to_checksum_address(fields["to"])
        fields.pop("type", None)  # eth-account infers it from the fee fields
        try:
            signed = account.sign_transaction(fields)
        except Exception as exc:  # eth-account validates field types and combinations
            raise RpcError(INVALID_PARAMS, f"invalid transaction: {exc}") from None
        rpc_fields = {
            key: hex(value) if isinstance(value, int) else value for key, value in fields.items()
        }
        rpc_fields["from"] = account.address
        rpc_fields["input"] = rpc_fields.pop("data")
        rpc_fields["hash"] = "0x" + bytes(signed.hash).hex()
        first = bytes(signed.raw_transaction)[0]
        rpc_fields["type"] = hex(first if first < 0x7F else 0)
        return "0x" + bytes(signed.raw_transaction).hex(), rpc_fields


def _ec_recover(message: bytes, signature: bytes) -> str:
    """``personal_ecRecover``: the signer of an EIP-191 ``message``, checked as geth checks."""
    if len(signature) != 65:
        raise RpcError(SERVER_ERROR, "signature must be 65 bytes long")
    if signature[64] not in (27, 28):
        raise RpcError(SERVER_ERROR, "invalid Ethereum signature (V is not 27 or 28)")
    try:
        return str(Account.recover_message(encode_defunct(message), signature=signature))
    except Exception as exc:  # eth-keys raises several types for an unrecoverable r, s
        raise RpcError(SERVER_ERROR, f"invalid signature: {exc}") from None
