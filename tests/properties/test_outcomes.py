"""Revert reasons are recovered exactly from SDK errors; statistics count per rule; the batch codec
matches eth_abi."""

from __future__ import annotations

import pytest
from eth_abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st
from ogpu.types import errors as sdk_errors
from web3.exceptions import ContractCustomError, ContractLogicError

from ogpu_sim.testing import RuleStatistics, revert_reason
from ogpu_sim.testing.chainview import _decode_read, _encode_read


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (sdk_errors.NotTaskOwnerError(task="Controller.cancelTask(0x1)", caller="0x2"), "NotOwner"),
        (sdk_errors.NotSourceOwnerError(source="Nexus.publishSource", caller="0x2"), "NotOwner"),
        (sdk_errors.TaskExpiredError(task="t", expiry=0), "Expired"),
        (sdk_errors.TaskAlreadyFinalizedError(task="t"), "AlreadyFinalized"),
        (
            sdk_errors.UnbondingPeriodNotElapsedError(account="a", remaining_seconds=0),
            "UnbondingNotElapsed",
        ),
        (
            sdk_errors.TxRevertError(reason="ed: InvalidEnvironment', '0x08c3')"),
            "InvalidEnvironment",
        ),
        (sdk_errors.TxRevertError(reason="ed: AlreadySubmitted'"), "AlreadySubmitted"),
        (
            sdk_errors.TxRevertError(reason="0x118cdaa7" + "00" * 32),
            "OwnableUnauthorizedAccount",
        ),
        (
            ContractCustomError("0xe2517d3f" + "00" * 64, data="0xe2517d3f" + "00" * 64),
            "AccessControlUnauthorizedAccount",
        ),
        (ContractLogicError("execution reverted: NotResponded"), "NotResponded"),
    ],
)
def test_revert_reason_recovers_the_contract_string(error, reason):
    assert revert_reason(error) == reason


def test_a_transport_failure_is_not_a_revert():
    assert revert_reason(sdk_errors.TxRpcError(reason="connection refused")) is None
    assert revert_reason(ValueError("boom")) is None


def test_statistics_count_calls_successes_and_reverts_by_reason():
    stats = RuleStatistics()
    stats.record("attempt", None)
    stats.record("attempt", "Expired")
    stats.record("attempt", "Expired")
    assert stats.rows() == [("attempt", 3, 1, "Expired x2")]
    assert "attempt" in stats.render()


def test_statistics_count_entry_points_and_find_rules_below_a_rate():
    stats = RuleStatistics()
    stats.record("lock", None, via="vault.lock")
    stats.record("lock", "InsufficientBalance", via="Provider.stake")
    stats.record("claim", "NothingToClaim", via="vault.claim")
    assert stats.via_calls == {"vault.lock": 1, "Provider.stake": 1, "vault.claim": 1}
    assert stats.via_successes == {"vault.lock": 1}
    assert stats.success_rate("lock") == 0.5
    assert stats.below(["lock", "claim", "unbond"], 0.2) == ["claim", "unbond"]
    assert "Provider.stake" in stats.render()


calls = st.lists(
    st.tuples(
        st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
        st.binary(max_size=80),
    ),
    max_size=8,
)


@settings(max_examples=50, database=None)
@given(calls=calls)
def test_batch_read_arguments_encode_like_eth_abi(calls):
    targets = [t for t, _ in calls]
    assert _encode_read(calls) == encode(["address[]", "bytes[]"], [targets, [d for _, d in calls]])


@settings(max_examples=50, database=None)
@given(results=st.lists(st.tuples(st.booleans(), st.binary(max_size=80)), max_size=8))
def test_batch_read_results_decode_like_eth_abi(results):
    raw = encode(["bool[]", "bytes[]"], [[ok for ok, _ in results], [r for _, r in results]])
    assert _decode_read(raw) == results
