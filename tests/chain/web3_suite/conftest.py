"""Fixtures web3.py's module conformance suites need, built on our served chains and anvil.

Modelled on web3.py's own integration tests (``tests/integration``): the geth fixture data
(contracts, an empty block, a block with a transaction, one with a log) is made here by
transactions instead of a zipped datadir. Each node is parametrized by backend and by how the
"keyfile account" signs: ``local`` signs in web3 (a signing middleware, as SDK users sign) for a
key the node does not hold; ``unlocked`` lets the node sign for its first dev account (the
public dev mnemonic's, as anvil and hardhat unlock). The sync suites run with ``local``, the
async twins with ``unlocked``, so each test runs once per backend. Every test runs between a
snapshot and a revert, so each sees the fixture state fresh, as web3.py's per-test geth does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_bytes
from eth_utils.toolz import identity
from web3 import AsyncHTTPProvider, AsyncWeb3, HTTPProvider, Web3
from web3._utils.contract_sources.contract_data._custom_contract_data import EMITTER_ENUM
from web3._utils.contract_sources.contract_data.emitter_contract import EMITTER_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.math_contract import MATH_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.offchain_lookup import (
    OFFCHAIN_LOOKUP_ABI,
    OFFCHAIN_LOOKUP_BYTECODE,
)
from web3._utils.contract_sources.contract_data.panic_errors_contract import (
    PANIC_ERRORS_CONTRACT_DATA,
)
from web3._utils.contract_sources.contract_data.revert_contract import REVERT_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.storage_contract import STORAGE_CONTRACT_DATA
from web3._utils.module_testing.utils import RequestMocker
from web3.middleware import SignAndSendRawMiddlewareBuilder

from ogpu_sim.chain import Chain, create_chain

from ..helpers import IN_CI
from .known_failures import known_failure

SUITE_CHAIN_ID = 131277322940537
"""The chain id web3.py's suites expect (its geth fixture's genesis, eth-tester's default)."""

KEYFILE_ACCOUNT_PKEY = "0x58d23b55bc9cdce1f18c2500f40ff4ab7245df9a89505e9b1fa4851f623d241d"
"""web3.py's keyfile account (same key as its geth and eth-tester integration tests)."""

DEV_ACCOUNT_PKEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
"""Index 0 of the public dev mnemonic (``test ... junk``), unlocked on dev nodes."""

ETHER = 10**18

BACKENDS = ("eth-tester", "revm", "anvil")
SIGNING = ("local", "unlocked")


def _anvil_missing() -> bool:
    from ogpu_sim.chain.anvil import AnvilNotFoundError, find_anvil

    try:
        find_anvil()
    except AnvilNotFoundError:
        return not IN_CI
    return False


def _params() -> list[Any]:
    params = []
    for backend in BACKENDS:
        missing = backend == "anvil" and _anvil_missing()
        marks = [pytest.mark.skip(reason=f"{backend} is not installed (make install)")]
        for signing in SIGNING:
            params.append(
                pytest.param((backend, signing), id=f"{backend}-{signing}", marks=marks * missing)
            )
    return params


@dataclass
class SuiteNode:
    """One node prepared with web3.py's fixture state."""

    backend: str
    signing: str
    chain: Chain
    url: str
    account: LocalAccount
    data: dict[str, Any]


def _start(stack: ExitStack, backend: str) -> tuple[Chain, str]:
    chain = stack.enter_context(create_chain(backend, chain_id=SUITE_CHAIN_ID))
    return chain, chain.serve()


def _sign_locally(w3: Any, account: LocalAccount) -> None:
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)


def _transact(w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> Any:
    tx = {"from": account.address, **tx}
    tx_hash = w3.eth.send_transaction(tx)  # type: ignore[arg-type]
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    assert receipt["status"] == 1, receipt
    return receipt


def _deploy(w3: Web3, account: LocalAccount, abi: Any, bytecode: str) -> tuple[str, str]:
    factory = w3.eth.contract(abi=abi, bytecode=bytecode)
    receipt = _transact(w3, account, factory.constructor().build_transaction({}))
    return receipt["contractAddress"], receipt["transactionHash"].to_0x_hex()


def _prepare(chain: Chain, url: str, account: LocalAccount) -> dict[str, Any]:
    """Deploy the suite's contracts and mine its reference blocks, as web3.py's fixtures do."""
    chain.set_balance(account.address, 1_000_000 * ETHER)
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 10}))
    _sign_locally(w3, account)
    data: dict[str, Any] = {}
    contracts = {
        "math": (MATH_CONTRACT_DATA["abi"], MATH_CONTRACT_DATA["bytecode"]),
        "emitter": (EMITTER_CONTRACT_DATA["abi"], EMITTER_CONTRACT_DATA["bytecode"]),
        "revert": (REVERT_CONTRACT_DATA["abi"], REVERT_CONTRACT_DATA["bytecode"]),
        "offchain_lookup": (OFFCHAIN_LOOKUP_ABI, OFFCHAIN_LOOKUP_BYTECODE),
        "panic_errors": (PANIC_ERRORS_CONTRACT_DATA["abi"], PANIC_ERRORS_CONTRACT_DATA["bytecode"]),
        "storage": (STORAGE_CONTRACT_DATA["abi"], STORAGE_CONTRACT_DATA["bytecode"]),
    }
    for name, (abi, bytecode) in contracts.items():
        data[f"{name}_address"], data[f"{name}_deploy_txn_hash"] = _deploy(
            w3, account, abi, bytecode
        )
    chain.mine()
    data["empty_block_hash"] = w3.eth.get_block("latest")["hash"]
    receipt = _transact(
        w3,
        account,
        {"to": account.address, "value": 10**9, "gas": 21000, "gasPrice": 10**11},
    )
    data["block_with_txn_hash"] = receipt["blockHash"]
    data["mined_txn_hash"] = receipt["transactionHash"]
    emitter = w3.eth.contract(address=data["emitter_address"], abi=EMITTER_CONTRACT_DATA["abi"])
    log_call = emitter.functions.logDouble(
        which=EMITTER_ENUM["LogDoubleWithIndex"], arg0=12345, arg1=54321
    )
    receipt = _transact(w3, account, log_call.build_transaction({"from": account.address}))
    data["block_hash_with_log"] = receipt["blockHash"]
    data["txn_hash_with_log"] = receipt["transactionHash"]
    chain.mine()  # as in web3.py's geth fixture, the latest block has no logs
    return data


@pytest.fixture(scope="module", params=_params())
def suite_node(request: pytest.FixtureRequest) -> Iterator[SuiteNode]:
    backend, signing = request.param
    key = KEYFILE_ACCOUNT_PKEY if signing == "local" else DEV_ACCOUNT_PKEY
    account: LocalAccount = Account.from_key(key)
    with ExitStack() as stack:
        chain, url = _start(stack, backend)
        yield SuiteNode(backend, signing, chain, url, account, _prepare(chain, url, account))


@pytest.fixture(autouse=True)
def _isolated(suite_node: SuiteNode) -> Iterator[None]:
    snapshot = suite_node.chain.snapshot()
    yield
    suite_node.chain.revert(snapshot)


@pytest.fixture
def w3(suite_node: SuiteNode) -> Web3:
    w3 = Web3(HTTPProvider(suite_node.url, request_kwargs={"timeout": 10}))
    if suite_node.signing == "local":
        _sign_locally(w3, suite_node.account)
    return w3


@pytest_asyncio.fixture
async def async_w3(suite_node: SuiteNode) -> AsyncIterator[AsyncWeb3]:
    w3 = AsyncWeb3(AsyncHTTPProvider(suite_node.url))
    if suite_node.signing == "local":
        _sign_locally(w3, suite_node.account)
    yield w3
    await w3.provider.disconnect()


@pytest.fixture
def suite_data(suite_node: SuiteNode) -> dict[str, Any]:
    return suite_node.data


# -- web3.py's top-level conftest ---------------------------------------------------------------


@pytest.fixture(scope="module", params=[lambda x: to_bytes(hexstr=x), identity], ids=["b", "s"])
def address_conversion_func(request: pytest.FixtureRequest) -> Any:
    return request.param


@pytest.fixture
def skip_if_testrpc() -> Any:
    return lambda w3: None  # never web3's EthereumTesterProvider here


@pytest.fixture
def async_skip_if_testrpc() -> Any:
    return lambda w3: None


@pytest.fixture
def request_mocker() -> type[RequestMocker]:
    return RequestMocker


# -- accounts ---------------------------------------------------------------------------------


@pytest.fixture
def keyfile_account_pkey(suite_node: SuiteNode) -> str:
    return "0x" + bytes(suite_node.account.key).hex()


@pytest.fixture
def keyfile_account_address(suite_node: SuiteNode) -> str:
    return str(suite_node.account.address)


@pytest.fixture
def keyfile_account_address_dual_type(keyfile_account_address: str) -> str:
    return keyfile_account_address


@pytest.fixture
def async_keyfile_account_address(keyfile_account_address: str) -> str:
    return keyfile_account_address


@pytest.fixture
def async_keyfile_account_address_dual_type(keyfile_account_address: str) -> str:
    return keyfile_account_address


# -- contracts ----------------------------------------------------------------------------------


def _contract(w3: Any, data: dict[str, Any], name: str, abi: Any, bytecode: str) -> Any:
    return w3.eth.contract(address=data[f"{name}_address"], abi=abi, bytecode=bytecode)


@pytest.fixture
def math_contract_factory(w3: Web3) -> Any:
    return w3.eth.contract(**MATH_CONTRACT_DATA)


@pytest.fixture
def emitter_contract_factory(w3: Web3) -> Any:
    return w3.eth.contract(**EMITTER_CONTRACT_DATA)


@pytest.fixture
def revert_contract_factory(w3: Web3) -> Any:
    return w3.eth.contract(**REVERT_CONTRACT_DATA)


@pytest.fixture
def offchain_lookup_contract_factory(w3: Web3) -> Any:
    return w3.eth.contract(abi=OFFCHAIN_LOOKUP_ABI, bytecode=OFFCHAIN_LOOKUP_BYTECODE)


@pytest.fixture
def async_offchain_lookup_contract_factory(async_w3: AsyncWeb3) -> Any:
    return async_w3.eth.contract(abi=OFFCHAIN_LOOKUP_ABI, bytecode=OFFCHAIN_LOOKUP_BYTECODE)


@pytest.fixture
def math_contract_deploy_txn_hash(suite_data: dict[str, Any]) -> str:
    return str(suite_data["math_deploy_txn_hash"])


@pytest.fixture
def math_contract(math_contract_factory: Any, suite_data: dict[str, Any]) -> Any:
    return math_contract_factory(address=suite_data["math_address"])


@pytest.fixture
def math_contract_address(math_contract: Any, address_conversion_func: Any) -> Any:
    return address_conversion_func(math_contract.address)


@pytest.fixture
def emitter_contract(emitter_contract_factory: Any, suite_data: dict[str, Any]) -> Any:
    return emitter_contract_factory(address=suite_data["emitter_address"])


@pytest.fixture
def emitter_contract_address(emitter_contract: Any, address_conversion_func: Any) -> Any:
    return address_conversion_func(emitter_contract.address)


@pytest.fixture
def revert_contract(revert_contract_factory: Any, suite_data: dict[str, Any]) -> Any:
    return revert_contract_factory(address=suite_data["revert_address"])


@pytest.fixture
def offchain_lookup_contract(
    offchain_lookup_contract_factory: Any, suite_data: dict[str, Any]
) -> Any:
    return offchain_lookup_contract_factory(address=suite_data["offchain_lookup_address"])


@pytest.fixture
def panic_errors_contract(w3: Web3, suite_data: dict[str, Any]) -> Any:
    return w3.eth.contract(address=suite_data["panic_errors_address"], **PANIC_ERRORS_CONTRACT_DATA)


@pytest.fixture
def storage_contract(w3: Web3, suite_data: dict[str, Any]) -> Any:
    return w3.eth.contract(address=suite_data["storage_address"], **STORAGE_CONTRACT_DATA)


@pytest.fixture
def async_offchain_lookup_contract(
    async_offchain_lookup_contract_factory: Any, suite_data: dict[str, Any]
) -> Any:
    return async_offchain_lookup_contract_factory(address=suite_data["offchain_lookup_address"])


@pytest.fixture
def async_panic_errors_contract(async_w3: AsyncWeb3, suite_data: dict[str, Any]) -> Any:
    return async_w3.eth.contract(
        address=suite_data["panic_errors_address"], **PANIC_ERRORS_CONTRACT_DATA
    )


@pytest.fixture
def async_emitter_contract(async_w3: AsyncWeb3, suite_data: dict[str, Any]) -> Any:
    return async_w3.eth.contract(address=suite_data["emitter_address"], **EMITTER_CONTRACT_DATA)


@pytest.fixture
def async_emitter_contract_address(
    async_emitter_contract: Any, address_conversion_func: Any
) -> Any:
    return address_conversion_func(async_emitter_contract.address)


@pytest.fixture
def async_math_contract(async_w3: AsyncWeb3, suite_data: dict[str, Any]) -> Any:
    return async_w3.eth.contract(address=suite_data["math_address"], **MATH_CONTRACT_DATA)


@pytest.fixture
def async_math_contract_address(async_math_contract: Any, address_conversion_func: Any) -> Any:
    return address_conversion_func(async_math_contract.address)


@pytest.fixture
def async_revert_contract(async_w3: AsyncWeb3, suite_data: dict[str, Any]) -> Any:
    return async_w3.eth.contract(address=suite_data["revert_address"], **REVERT_CONTRACT_DATA)


@pytest.fixture
def async_storage_contract(async_w3: AsyncWeb3, suite_data: dict[str, Any]) -> Any:
    return async_w3.eth.contract(address=suite_data["storage_address"], **STORAGE_CONTRACT_DATA)


# -- reference blocks -------------------------------------------------------------------------


@pytest.fixture
def empty_block(w3: Web3, suite_data: dict[str, Any]) -> Any:
    return w3.eth.get_block(suite_data["empty_block_hash"])


@pytest.fixture
def block_with_txn(w3: Web3, suite_data: dict[str, Any]) -> Any:
    return w3.eth.get_block(suite_data["block_with_txn_hash"])


@pytest.fixture
def mined_txn_hash(suite_data: dict[str, Any]) -> Any:
    return suite_data["mined_txn_hash"]


@pytest.fixture
def block_with_txn_with_log(w3: Web3, suite_data: dict[str, Any]) -> Any:
    return w3.eth.get_block(suite_data["block_hash_with_log"])


@pytest.fixture
def txn_hash_with_log(suite_data: dict[str, Any]) -> Any:
    return suite_data["txn_hash_with_log"]


@pytest_asyncio.fixture
async def async_empty_block(async_w3: AsyncWeb3, suite_data: dict[str, Any]) -> Any:
    return await async_w3.eth.get_block(suite_data["empty_block_hash"])


@pytest_asyncio.fixture
async def async_block_with_txn(async_w3: AsyncWeb3, suite_data: dict[str, Any]) -> Any:
    return await async_w3.eth.get_block(suite_data["block_with_txn_hash"])


@pytest_asyncio.fixture
async def async_block_with_txn_with_log(async_w3: AsyncWeb3, suite_data: dict[str, Any]) -> Any:
    return await async_w3.eth.get_block(suite_data["block_hash_with_log"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run each suite once per backend and mark the known failures.

    The sync suites sign locally, their async twins use the unlocked dev account: each test
    runs once per backend and both ways of signing are exercised. Known failures
    (``known_failures.KNOWN``) become strict expected failures.
    """
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "suite_node" not in callspec.params:
            kept.append(item)
            continue
        backend, signing = callspec.params["suite_node"]
        cls = item.cls.__name__ if getattr(item, "cls", None) is not None else ""
        if signing != ("unlocked" if cls.startswith("TestAsync") else "local"):
            dropped.append(item)
            continue
        kept.append(item)
        name = getattr(item, "originalname", item.name)
        reason = known_failure(cls, name, callspec.id, backend, signing)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
