"""Rules that move chain time: plain steps, and landings just before, on and after a deadline."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from ..machine import MachineCore
from ..model import TERMINAL_TASK_STATUSES

#: Where to land relative to a deadline: one second before it, on it, one second after it.
LANDINGS = st.sampled_from([0, -1, 1])


# preconditions are named functions: hypothesis describes each one at every draw,
# and a lambda's description is read from its source
def an_open_task_not_expired(machine: ClockRules) -> bool:
    """Precondition: a task is open and not past its expiry."""
    return any(
        t.expiry_time >= machine.sim.now() and t.status not in TERMINAL_TASK_STATUSES
        for t in machine.model.tasks.values()
    )


def an_unbonding_not_matured(machine: ClockRules) -> bool:
    """Precondition: an unbonding matures now or later."""
    return any(
        x.unbonding and x.unbonding_timestamp + 1 >= machine.sim.now()
        for x in machine.model.ledgers.values()
    )


class ClockRules(MachineCore):
    """advance_time, advance_to_expiry, advance_to_maturity."""

    @rule(seconds=st.sampled_from([1, 2, 5, 10, 30, 60]))
    def advance_time(self, seconds: int) -> None:
        self.sim.advance_time(seconds)
        self.record("advance_time")

    @precondition(an_open_task_not_expired)
    @rule(data=st.data(), landing=LANDINGS)
    def advance_to_expiry(self, data: st.DataObject, landing: int) -> None:
        """The next block lands ``landing`` seconds from a task's expiry (0: its last second)."""
        m, now = self.model, self.sim.now()
        ahead = [
            t
            for t, state in m.tasks.items()
            if state.expiry_time + landing >= now and state.status not in TERMINAL_TASK_STATUSES
        ]
        task = self.choose(data, "task", ahead, list(m.tasks))
        moved = self.move_time_to(m.tasks[task].expiry_time + landing)
        self.record("advance_to_expiry", None if moved else "AlreadyPast")

    @precondition(an_unbonding_not_matured)
    @rule(data=st.data(), landing=LANDINGS)
    def advance_to_maturity(self, data: st.DataObject, landing: int) -> None:
        """The next block lands ``landing`` seconds from an unbonding's maturity (0: the first
        second a claim succeeds)."""
        m, now = self.model, self.sim.now()
        unbonding = [a for a in self.cast.values() if m.ledger(a.address).unbonding]
        ahead = [a for a in unbonding if m.ledger(a.address).unbonding_timestamp + landing >= now]
        account = self.choose(data, "account", ahead, unbonding)
        moved = self.move_time_to(m.ledger(account.address).unbonding_timestamp + landing)
        self.record("advance_to_maturity", None if moved else "AlreadyPast")
