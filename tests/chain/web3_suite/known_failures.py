"""The web3.py suite tests that fail here, by backend and signing mode, each with its reason.

Every entry is an expected failure (strict: a test that starts passing must leave this list).
docs/node-conformance.md gives the same list for readers. ``SHARED`` fail on anvil too; the
others are what only one in-process backend cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = frozenset({"eth-tester", "revm", "anvil"})


@dataclass(frozen=True)
class Known:
    """Tests (by function name, optionally a parameter id) failing on some nodes, and why."""

    tests: tuple[str, ...]
    reason: str
    backends: frozenset[str] = ALL
    signing: frozenset[str] = frozenset({"local", "unlocked"})
    param: str | None = None
    classes: frozenset[str] | None = None
    """Test classes it fails in (None: all), for names the sync and async suites share."""


_REPLACE = tuple(
    f"test{prefix}_eth_replace_transaction{suffix}"
    for prefix in ("", "_async")
    for suffix in (
        "",
        "_legacy",
        "_underpriced",
        "_gas_price_defaulting_minimum",
        "_gas_price_defaulting_strategy_higher",
        "_gas_price_defaulting_strategy_lower",
    )
)
_ENS = (
    "test_eth_get_balance_with_ens_name",
    "test_eth_get_code_ens_address",
    "test_eth_get_storage_at_ens_name",
    "test_async_eth_get_storage_at_ens_name",
    "test_eth_get_transaction_count_ens_name",
    "test_eth_sign_ens_names",
    "test_async_eth_sign_ens_names",
    "test_eth_sign_transaction_ens_names",
    "test_async_eth_sign_transaction_ens_names",
    "test_solidity_keccak_ens",
)
_LOCAL_SIGNING = (
    "test_eth_sign",
    "test_async_eth_sign",
    "test_eth_sign_transaction",
    "test_eth_sign_transaction_legacy",
    "test_eth_sign_transaction_hex_fees",
    "test_async_eth_sign_transaction",
    "test_async_eth_sign_transaction_legacy",
    "test_async_eth_sign_transaction_hex_fees",
)
LOCAL, UNLOCKED = frozenset({"local"}), frozenset({"unlocked"})
SYNC, ASYNC = frozenset({"TestEthModule"}), frozenset({"TestAsyncEthModule"})

KNOWN: tuple[Known, ...] = (
    # -- shared with anvil ------------------------------------------------------------------
    Known(
        (
            *_REPLACE,
            "test_eth_modify_transaction",
            "test_eth_modify_transaction_legacy",
            "test_eth_get_transaction_receipt_unmined",
            "test_async_eth_get_transaction_receipt_unmined",
            "test_eth_wait_for_transaction_receipt_unmined",
        ),
        "automine, as anvil by default: every transaction is mined as it arrives, so none "
        "stays pending to be replaced, modified or waited for",
    ),
    Known(
        _ENS,
        "web3.py 7.16's ENS name normalisation fails before any request is sent "
        "(AttributeError in ens._normalization)",
    ),
    Known(
        ("test_eth_sign_typed_data", "test_invalid_eth_sign_typed_data"),
        "web3.py's async ENS middleware fails on eth_signTypedData's nested message before "
        "sending it (ValueError in web3._utils.abi)",
        classes=ASYNC,
    ),
    Known(
        ("test_invalid_eth_sign_typed_data",),
        "expects a client-side Web3ValueError that no node answer can produce",
        classes=SYNC,
    ),
    Known(
        ("test_eth_sign_typed_data",),
        "local signing: the key is held by the client's signing middleware, so the node "
        "(like any node) cannot sign for that account",
        signing=frozenset({"local"}),
        classes=SYNC,
    ),
    Known(
        _LOCAL_SIGNING,
        "local signing: the key is held by the client's signing middleware, so the node "
        "(like any node) cannot sign for that account",
        signing=LOCAL,
    ),
    Known(
        ("test_gas_price_from_strategy_bypassed_for_dynamic_fee_txn",),
        "web3.py's signing middleware rejects the gasPrice its gas price strategy adds "
        "(TypeError: Unknown kwargs)",
        signing=LOCAL,
    ),
    # -- anvil only ---------------------------------------------------------------------------
    Known(
        ("test_eth_create_access_list",),
        "anvil answers eth_createAccessList with 'EVM error OutOfGas'",
        backends=frozenset({"anvil"}),
    ),
    Known(
        ("test_eth_sign_typed_data",),
        "anvil does not implement eth_signTypedData (only _v4)",
        backends=frozenset({"anvil"}),
        classes=SYNC,
    ),
    Known(
        ("test_eth_getBlockByHash_pending",),
        "anvil's pending block carries a hash (geth's and ours: null)",
        backends=frozenset({"anvil"}),
    ),
    Known(
        ("test_eth_getBlockByNumber_pending",),
        "anvil's pending block carries a hash (geth's and ours: null)",
        backends=frozenset({"anvil"}),
        classes=ASYNC,
    ),
    Known(
        ("test_net_peer_count",),
        "anvil does not implement net_peerCount",
        backends=frozenset({"anvil"}),
    ),
    Known(
        (
            "test_eth_sign_transaction",
            "test_eth_sign_transaction_legacy",
            "test_eth_sign_transaction_hex_fees",
            "test_async_eth_sign_transaction",
            "test_async_eth_sign_transaction_legacy",
            "test_async_eth_sign_transaction_hex_fees",
        ),
        "anvil's eth_signTransaction answers the raw bytes only, not geth's {raw, tx}",
        backends=frozenset({"anvil"}),
        signing=UNLOCKED,
    ),
    Known(
        (
            "test_eth_get_logs_without_logs",
            "test_async_eth_get_logs_without_logs",
            "test_eth_get_logs_with_logs_none_topic_args",
            "test_async_eth_get_logs_with_logs_none_topic_args",
        ),
        "anvil answers [] for fromBlock > toBlock (geth: invalid block range) and matches "
        "logs with fewer topics than the filter has positions",
        backends=frozenset({"anvil"}),
    ),
    # -- revm only ----------------------------------------------------------------------------
    Known(
        ("test_eth_call_old_contract_state", "test_eth_get_balance_with_block_identifier"),
        "revm keeps only the latest state: reads at a past block are refused",
        backends=frozenset({"revm"}),
    ),
    Known(
        (
            "test_eth_call_with_override_param_type_check",
            "test_eth_estimate_gas_with_override_param_type_check",
        ),
        "revm refuses a 'state' override (replace all storage): pyrevm cannot list an "
        "account's slots; 'stateDiff' works",
        backends=frozenset({"revm"}),
        param="params0",
    ),
    Known(
        ("test_eth_create_access_list",),
        "revm refuses eth_createAccessList: pyrevm does not report the accounts and slots a "
        "call touches",
        backends=frozenset({"revm"}),
    ),
    Known(
        (
            "test_sign_authorization_send_raw_and_send_set_code_transactions",
            "test_async_sign_authorization_send_raw_and_send_set_code_transactions",
        ),
        "revm runs Cancun: EIP-7702 (type 4) transactions are refused with a clear error",
        backends=frozenset({"revm"}),
    ),
)


def known_failure(cls: str, name: str, callspec_id: str, backend: str, signing: str) -> str | None:
    """The reason test ``cls.name`` is expected to fail on this node, or None."""
    for known in KNOWN:
        if name not in known.tests or backend not in known.backends:
            continue
        if known.classes is not None and cls not in known.classes:
            continue
        if signing not in known.signing:
            continue
        if known.param is not None and known.param not in callspec_id:
            continue
        return known.reason
    return None
