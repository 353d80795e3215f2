"""The kill matrix reads shrunk programs the way hypothesis prints them."""

from __future__ import annotations

from .kills import Kill, render, steps_in

PROGRAM = """Failing test case: <state machine>
state = MutantMachine()
sources_0, sources_1 = state.the_sources()
state.chain_matches_model_and_invariants_hold()
Draw 1 (function): 'sanction'
Draw 2 (account valid): True
state.judge(data=data(...))
state.chain_matches_model_and_invariants_hold()
Draw 3 (task): '0xddEA3d67503164326F90F53CFD1705b90Ed1312D'
state.cancel_task(data=data(...), via='client.cancel_task')
responses_0 = state.submit_response(data=data(...), timing='now', kind='honest')
state.advance_time(seconds=1)
state.teardown()"""


def test_steps_are_the_rule_calls_with_the_entry_point_each_went_through():
    assert steps_in(PROGRAM) == [
        "judge(sanction)",
        "cancel_task(client.cancel_task)",
        "submit_response",
        "advance_time",
    ]


def test_the_matrix_is_a_markdown_row_per_mutant_sorted_by_contract():
    rows = [
        Kill("b_bug", "Vault", "...", ("claim(vault.claim)",), "outcome of claim"),
        Kill("a_bug", "Manager", "...", (), "state: X (building the start state)"),
    ]
    table = render(rows).splitlines()
    assert table[2] == (
        "| `a_bug` | Manager | 0 | (while building the start state) "
        "| state: X (building the start state) |"
    )
    assert table[3] == "| `b_bug` | Vault | 1 | claim(vault.claim) | outcome of claim |"
