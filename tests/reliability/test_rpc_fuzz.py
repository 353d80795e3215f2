"""Fuzzed JSON-RPC calls and bodies: each gets a JSON-RPC answer, none an internal error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogpu_sim.chain import Chain, create_chain
from ogpu_sim.chain.rpc_params import PARAMS

from .conftest import Tally

UNSAFE = {"evm_revert", "evm_increaseTime", "evm_mine", "anvil_mine", "personal_newAccount"}
"""Methods whose random arguments would move the shared chain far (time, blocks) or grow it."""

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from(["latest", "pending", "0x", "0x0", "0x1", "0xzz", "", "0x" + "ab" * 20])
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
calls = st.fixed_dictionaries(
    {
        "jsonrpc": st.just("2.0"),
        "id": st.integers(0, 10**6),
        "method": st.sampled_from(sorted(set(PARAMS) - UNSAFE)),
        "params": st.lists(json_values, max_size=4),
    }
)


@pytest.fixture(scope="module", params=["eth-tester", "revm"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Chain, str]]:
    with create_chain(request.param) as chain:
        yield chain, chain.serve()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(call=calls)
def test_a_random_call_is_answered_without_an_internal_error(
    served: tuple[Chain, str], call: dict[str, Any], tally: Tally
) -> None:
    tally("bad_inputs", 1)
    chain, url = served
    snapshot = chain.snapshot()
    try:
        answer = requests.post(url, json=call, timeout=30).json()
    finally:
        chain.revert(snapshot)
    assert answer["id"] == call["id"]
    assert ("result" in answer) != ("error" in answer)
    if "error" in answer:
        error = answer["error"]
        assert error["code"] != -32603, error["message"]
        assert "<lambda>" not in error["message"] and "<locals>" not in error["message"]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_values | st.binary(max_size=64))
def test_any_body_is_answered_with_json_rpc_and_the_server_keeps_serving(
    served: tuple[Chain, str], body: Any, tally: Tally
) -> None:
    tally("bad_inputs", 1)
    _chain, url = served
    data = body if isinstance(body, bytes) else json.dumps(body)
    response = requests.post(url, data=data, timeout=30)
    answer = response.json()
    assert response.status_code == 200
    if isinstance(answer, list):
        assert all("error" in item or "result" in item for item in answer)
    else:
        assert "error" in answer or "result" in answer
    chain_id = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=30
    )
    assert chain_id.json()["result"] == hex(200820172034)
