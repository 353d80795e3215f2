"""Revert reasons are recovered exactly from SDK errors; statistics count per rule; the batch codec
matches eth_abi."""

from __future__ import annotations

from itertools import pairwise

import pytest
from eth_abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st
from ogpu.types import errors as sdk_errors
from web3.exceptions import ContractCustomError, ContractLogicError

from ogpu_sim.testing import RuleStatistics, revert_reason
from ogpu_sim.testing.chainview import (
    _agrees,
    _decode_read,
    _encode_calls,
    _encode_parts,
    _tail,
    encode_part,
)


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


@settings(max_examples=50, database=None)
@given(results=st.lists(st.tuples(st.booleans(), st.binary(max_size=80)), max_size=8))
def test_batch_read_results_decode_like_eth_abi(results):
    raw = encode(["bool[]", "bytes[]"], [[ok for ok, _ in results], [r for _, r in results]])
    assert _decode_read(raw) == results


answers = st.lists(
    st.tuples(
        st.tuples(st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()), st.binary()),
        st.booleans(),
        st.one_of(st.none(), st.binary(max_size=80)),
    ),
    max_size=6,
)


def _split(probes, cuts):
    """The probes cut into consecutive parts at the sorted ``cuts``."""
    bounds = [0, *sorted(c % (len(probes) + 1) for c in cuts), len(probes)]
    return [probes[a:b] for a, b in pairwise(bounds)]


@settings(max_examples=50, database=None)
@given(probes=answers, cuts=st.lists(st.integers(0, 6), max_size=3))
def test_parts_encode_like_their_calls_batched(probes, cuts):
    parts = [
        encode_part([c for c, _, _ in group], [(ok, r) for _, ok, r in group])
        for group in _split(probes, cuts)
    ]
    assert _encode_parts(parts) == _encode_calls([c for c, _, _ in probes])


def _reply(results):
    return encode(["bool[]", "bytes[]"], [[ok for ok, _ in results], [r for _, r in results]])


@settings(max_examples=50, database=None)
@given(probes=answers, cuts=st.lists(st.integers(0, 6), max_size=3), other=st.binary(max_size=40))
def test_a_reply_agrees_with_parts_exactly_when_each_result_is_the_expected_one(
    probes, cuts, other
):
    parts = [
        encode_part([c for c, _, _ in group], [(ok, r) for _, ok, r in group])
        for group in _split(probes, cuts)
    ]
    given_back = [(ok, other if r is None else r) for _, ok, r in probes]
    assert _agrees(_reply(given_back), parts)
    for i, (_, ok, r) in enumerate(probes):
        flipped = [*given_back[:i], (not ok, given_back[i][1]), *given_back[i + 1 :]]
        assert not _agrees(_reply(flipped), parts)
        if r is not None:
            changed = r + b"\x01"
            wrong = [*given_back[:i], (ok, changed), *given_back[i + 1 :]]
            assert not _agrees(_reply(wrong), parts)


def test_a_part_ends_its_runs_of_exact_results_at_each_any_result() -> None:
    call = ("0x" + "11" * 20, b"\x01\x02\x03\x04")
    answers = [(True, b"a"), (True, b"b"), (False, None), (False, b"c"), (False, None)]
    part = encode_part([call] * 5, answers)
    one = (1).to_bytes(32, "big")
    assert part.runs == ((0, _tail(b"a") + _tail(b"b")), (3, _tail(b"c")))
    assert part.flags == one + one + bytes(96)
    assert part.size == 5
