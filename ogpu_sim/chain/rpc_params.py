"""The parameters of every JSON-RPC method the in-process nodes answer, checked before dispatch.

A call with a missing or an extra argument is answered the way geth answers it (-32602
``missing value for required argument 1``, ``too many arguments, want at most 2``), with the
parameter's name added, instead of whatever a Python ``TypeError`` would say about the
function that implements it. Methods not listed here are not checked (the node answers
-32601 for the unknown ones).
"""

from __future__ import annotations

from typing import Any

from .jsonrpc import INVALID_PARAMS, RpcError

_BLOCK = "block?"
_TX_BY_BLOCK_HASH = ("blockHash", "index")
_TX_BY_BLOCK_NUMBER = ("block", "index")

PARAMS: dict[str, tuple[str, ...]] = {
    "web3_clientVersion": (),
    "web3_sha3": ("data",),
    "net_version": (),
    "net_listening": (),
    "net_peerCount": (),
    "eth_syncing": (),
    "eth_accounts": (),
    "eth_chainId": (),
    "eth_blockNumber": (),
    "eth_gasPrice": (),
    "eth_maxPriorityFeePerGas": (),
    "eth_blobBaseFee": (),
    "eth_feeHistory": ("blockCount", "newestBlock", "rewardPercentiles?"),
    "eth_getBalance": ("address", _BLOCK),
    "eth_getTransactionCount": ("address", _BLOCK),
    "eth_getCode": ("address", _BLOCK),
    "eth_getStorageAt": ("address", "slot", _BLOCK),
    "eth_call": ("transaction", _BLOCK, "stateOverrides?", "blockOverrides?"),
    "eth_estimateGas": ("transaction", _BLOCK, "stateOverrides?"),
    "eth_createAccessList": ("transaction", _BLOCK),
    "eth_simulateV1": ("payload", _BLOCK),
    "eth_sendRawTransaction": ("data",),
    "eth_sendRawTransactionSync": ("data", "timeout?"),
    "eth_sendTransaction": ("transaction",),
    "eth_signTransaction": ("transaction",),
    "eth_sign": ("address", "data"),
    "eth_signTypedData": ("address", "typedData"),
    "eth_signTypedData_v4": ("address", "typedData"),
    "eth_getTransactionByHash": ("hash",),
    "eth_getTransactionReceipt": ("hash",),
    "eth_getRawTransactionByHash": ("hash",),
    "eth_getTransactionByBlockHashAndIndex": _TX_BY_BLOCK_HASH,
    "eth_getTransactionByBlockNumberAndIndex": _TX_BY_BLOCK_NUMBER,
    "eth_getRawTransactionByBlockHashAndIndex": _TX_BY_BLOCK_HASH,
    "eth_getRawTransactionByBlockNumberAndIndex": _TX_BY_BLOCK_NUMBER,
    "eth_getBlockByNumber": ("block", "fullTransactions?"),
    "eth_getBlockByHash": ("blockHash", "fullTransactions?"),
    "eth_getBlockReceipts": ("block",),
    "eth_getBlockTransactionCountByHash": ("blockHash",),
    "eth_getBlockTransactionCountByNumber": ("block",),
    "eth_getUncleCountByBlockHash": ("blockHash",),
    "eth_getUncleCountByBlockNumber": ("block",),
    "eth_getUncleByBlockHashAndIndex": _TX_BY_BLOCK_HASH,
    "eth_getUncleByBlockNumberAndIndex": _TX_BY_BLOCK_NUMBER,
    "eth_getLogs": ("filter",),
    "eth_newFilter": ("filter",),
    "eth_newBlockFilter": (),
    "eth_newPendingTransactionFilter": (),
    "eth_getFilterChanges": ("filterId",),
    "eth_getFilterLogs": ("filterId",),
    "eth_uninstallFilter": ("filterId",),
    "evm_snapshot": (),
    "evm_revert": ("snapshotId",),
    "evm_increaseTime": ("seconds",),
    "evm_mine": ("timestamp?",),
    "anvil_mine": ("blocks?", "interval?"),
    "anvil_setBalance": ("address", "balance"),
    "hardhat_setBalance": ("address", "balance"),
    "personal_listAccounts": (),
    "personal_sign": ("data", "address", "password?"),
    "personal_ecRecover": ("data", "signature"),
    "personal_unlockAccount": ("address", "password?", "duration?"),
    "personal_lockAccount": ("address",),
    "personal_sendTransaction": ("transaction", "password?"),
    "personal_signTransaction": ("transaction", "password?"),
    "personal_importRawKey": ("key", "password?"),
    "personal_newAccount": ("password?",),
}
"""Each method's parameter names in order; a trailing ``?`` marks an optional one."""


def check_params(method: str, params: Any) -> list[Any]:
    """The positional arguments of a call, checked against :data:`PARAMS`.

    Trailing ``null`` arguments count as absent, as in geth.

    Raises:
        RpcError: -32602 naming the missing argument (index and name), the most arguments
            the method takes, or by-name (object) params, which these nodes do not accept.
    """
    if params is None:
        args: list[Any] = []
    elif isinstance(params, (list, tuple)):
        args = list(params)
    else:
        raise RpcError(
            INVALID_PARAMS,
            f"invalid params for {method}: expected a JSON array of positional arguments",
        )
    names = PARAMS.get(method)
    if names is None:
        return args
    while args and args[-1] is None and len(args) > _required(names):
        args.pop()
    if len(args) > len(names):
        raise RpcError(
            INVALID_PARAMS,
            f"too many arguments for {method}, want at most {len(names)}"
            + (f" ({', '.join(n.rstrip('?') for n in names)})" if names else ""),
        )
    for index, name in enumerate(names):
        if name.endswith("?"):
            break
        if index >= len(args) or args[index] is None:
            raise RpcError(
                INVALID_PARAMS,
                f"missing value for required argument {index} ({name}) of {method}",
            )
    return args


def _required(names: tuple[str, ...]) -> int:
    return sum(1 for name in names if not name.endswith("?"))
