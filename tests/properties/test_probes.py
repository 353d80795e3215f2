"""Probes encode what the model expects the way the chain answers, and name what differs."""

from __future__ import annotations

from collections import OrderedDict

from eth_abi import decode, encode
from eth_utils import keccak

from ogpu_sim.testing.chainview import encode_part
from ogpu_sim.testing.expected import World, _frozen, expected_probes, probe_sections
from ogpu_sim.testing.model import ProtocolModel, SourceParams
from ogpu_sim.testing.model.records import Payment, TaskStatus
from ogpu_sim.testing.probes import (
    Agreed,
    Probe,
    Verified,
    calldata,
    custom_error,
    differences,
    encode_result,
    neighbourhood,
    remember,
    revert_data,
    section_parts,
    submission_hash,
    unverified,
    unverified_sections,
)

A = "0x" + "11" * 20
B = "0x" + "22" * 20
WORLD = World(
    addresses={
        k: "0x" + f"{i:02x}" * 20
        for i, k in enumerate(("MANAGER", "TERMINAL", "NEXUS", "VAULT", "CONTROLLER"), start=1)
    },
    helper="0x" + "99" * 20,
    accounts=(A, B),
    providers=(B,),
    agents=(A,),
)


def test_calldata_and_results_are_abi_encoded():
    assert calldata("Vault", "balanceOf", (A,)) == bytes.fromhex("70a08231") + encode(
        ["address"], [A]
    )
    params = (A, "ipfs://m", 1, 2, 3, 4, False, "", 1, 5)
    types = ("(address,string,uint8,uint256,uint256,uint256,bool,string,uint8,uint256)",)
    assert decode(list(types), encode_result(types, params)) == (
        (A.lower(), "ipfs://m", 1, 2, 3, 4, False, "", 1, 5),
    )


def test_revert_data_is_an_error_string_or_a_custom_error():
    assert revert_data("NotJudge")[:4] == bytes.fromhex("08c379a0")
    assert decode(["string"], revert_data("NotJudge")[4:]) == ("NotJudge",)
    assert custom_error("OwnableUnauthorizedAccount(address)", (A,)) == bytes.fromhex(
        "118cdaa7"
    ) + encode(["address"], [A])


def test_the_submission_key_is_keccak_of_the_provider_and_the_data():
    assert submission_hash(A, "ipfs://x") == keccak(bytes.fromhex("11" * 20) + b"ipfs://x")


def test_a_probe_matches_only_the_same_bytes_and_outcome():
    probe = Probe("Vault", WORLD.addresses["VAULT"], "balanceOf", (A,), (5).to_bytes(32, "big"))
    assert probe.matches(True, (5).to_bytes(32, "big"))
    assert not probe.matches(True, (6).to_bytes(32, "big"))
    assert not probe.matches(False, (5).to_bytes(32, "big"))
    any_revert = Probe("Nexus", WORLD.addresses["NEXUS"], "sources", (0,), None, reverts=True)
    assert any_revert.matches(False, b"") and not any_revert.matches(True, b"")


def test_differences_name_the_view_in_the_models_names():
    probe = Probe("Vault", WORLD.addresses["VAULT"], "balanceOf", (A,), (5).to_bytes(32, "big"))
    names = {A: "client"}
    lines = differences([probe], [(True, (6).to_bytes(32, "big"))], lambda v: names.get(v, v))
    assert lines == ["Vault.balanceOf(client): chain 6 != model 5"]


def test_the_full_set_adds_aliases_constants_and_access_control():
    model = ProtocolModel(admin=A)
    params = SourceParams(client=A, image_metadata_url="ipfs://m", last_update_time=1)
    model.publish_source(A, params, address="0x" + "33" * 20)
    core = expected_probes(model, WORLD, full=False)
    full = expected_probes(model, WORLD, full=True)
    assert {p.function for p in core} < {p.function for p in full}
    assert "getBalanceOf" in {p.function for p in full} - {p.function for p in core}
    refused = [p for p in full if p.reverts and p.expected]
    assert ("Vault", "sanction") in {(p.contract, p.function) for p in refused}
    assert all(p.function != "setSourceParams" or p.contract == "Source" for p in refused)


def test_unverified_probes_are_the_moved_and_new_ones_and_their_neighbours():
    vault = WORLD.addresses["VAULT"]
    untouched = Probe("Vault", vault, "balanceOf", (A,), (5).to_bytes(32, "big"))
    moved = Probe("Vault", vault, "balanceOf", (B,), (6).to_bytes(32, "big"))
    new = Probe("Vault", vault, "lockupOf", (B,), bytes(32))
    verified: Verified = {}
    remember(verified, [untouched, Probe("Vault", vault, "balanceOf", (B,), bytes(32))])
    assert unverified([untouched, moved, new], verified) == [moved, new]


def test_a_moved_view_brings_its_neighbours_an_account_at_a_singleton_or_an_instance():
    vault, task = WORLD.addresses["VAULT"], "0x" + "77" * 20
    balance = Probe("Vault", vault, "balanceOf", (A,), (6).to_bytes(32, "big"))
    lockup = Probe("Vault", vault, "lockupOf", (A,), bytes(32))
    status = Probe("Task", task, "getStatus", (), (2).to_bytes(32, "big"))
    attempter = Probe("Task", task, "attempterId", (B,), bytes(32))
    verified: Verified = {}
    remember(verified, [balance._replace(expected=bytes(32)), lockup, status, attempter])
    assert unverified([balance, lockup, attempter], verified) == [balance, lockup]
    assert unverified([lockup, status._replace(expected=bytes(32)), attempter], verified) == [
        status._replace(expected=bytes(32)),
        attempter,
    ]
    assert [neighbourhood(p) for p in (balance, attempter)] == [(vault, A), (task,)]


def test_remember_keeps_each_calls_latest_agreed_answer():
    vault = WORLD.addresses["VAULT"]
    old = Probe("Vault", vault, "balanceOf", (A,), bytes(32))
    now = Probe("Vault", vault, "balanceOf", (A,), None, reverts=True)
    verified: Verified = {}
    remember(verified, [old])
    remember(verified, [now])
    assert verified == {old.call(): (True, None)}


def _a_model_with_a_source() -> ProtocolModel:
    model = ProtocolModel(admin=A)
    params = SourceParams(client=A, image_metadata_url="ipfs://m", last_update_time=1)
    model.publish_source(A, params, address="0x" + "33" * 20)
    return model


def test_the_sections_in_order_are_the_expected_probes_light_and_full():
    model = _a_model_with_a_source()
    for full in (False, True):
        sections = probe_sections(model, WORLD, full, memo={})
        assert [p for s in sections for p in s.probes] == expected_probes(model, WORLD, full)
    keys = [s.key for s in probe_sections(model, WORLD, True)]
    assert keys == [
        ("singletons",),
        ("account", A),
        ("account", B),
        ("source", "0x" + "33" * 20),
        ("access",),
    ]


def test_a_full_checks_sections_carry_their_calls_and_answers_encoded_for_the_batch():
    model = _a_model_with_a_source()
    full, light = probe_sections(model, WORLD, True), probe_sections(model, WORLD, False)
    for section in full:
        assert section.part == encode_part(section.calls, _answers(section))
    assert [s.part for s in light] == [None] * len(light)
    assert section_parts(light) == [encode_part(s.calls, _answers(s)) for s in light]


def _answers(section):
    return [(not p.reverts, p.expected) for p in section.probes]


def test_a_memo_gives_back_the_same_section_until_its_facts_change():
    model, memo = _a_model_with_a_source(), {}
    before = probe_sections(model, WORLD, False, memo)
    model.deposit(B, B, 7)
    after = probe_sections(model, WORLD, False, memo)
    same = [s.key for s, t in zip(before, after, strict=True) if s is t]
    assert same == [("account", A), ("source", "0x" + "33" * 20)]
    assert [p for s in after for p in s.probes] == expected_probes(model, WORLD, False)


def test_agreed_sections_are_skipped_but_still_give_their_neighbours_of_a_move():
    model, memo = _a_model_with_a_source(), {}
    sections = probe_sections(model, WORLD, False, memo)
    verified: Verified = {}
    remember(verified, [p for s in sections for p in s.probes])
    agreed: Agreed = {s.key: s for s in sections}
    assert unverified_sections(sections, verified, agreed) == []
    model.grant_role(A, "JUDGE", B)  # B's section moves; A's hasRole(JUDGE) is its neighbour
    moved = probe_sections(model, WORLD, False, memo)
    assert agreed[("account", A)] is moved[1]
    read = unverified_sections(moved, verified, agreed)
    assert read == unverified([p for s in moved for p in s.probes], verified)
    assert [(p.function, p.args[1]) for p in read] == [("hasRole", A), ("hasRole", B)]


def test_a_records_facts_are_its_fields_with_its_containers_copied_as_hashables():
    class Record:
        def __init__(self) -> None:
            self.status = TaskStatus.NEW
            self.items = ["x", "y"]
            self.seen = {("p", "d")}
            self.by = OrderedDict(a="r")
            self.paid = Payment("t", "p", 3)
            self.none = None

    record = Record()
    facts = _frozen(record)
    assert facts == (
        Record,
        TaskStatus.NEW,
        ("x", "y"),
        frozenset({("p", "d")}),
        (("a", "r"),),
        Payment("t", "p", 3),
        None,
    )
    assert hash(facts) == hash(_frozen(record))
    record.items.append("z")  # the model changes records in place
    record.status = TaskStatus.ATTEMPTED
    assert _frozen(record)[1:3] == (TaskStatus.ATTEMPTED, ("x", "y", "z"))
    assert facts[2] == ("x", "y")
