"""Rules for tasks: publish, cancel, attempt, submit, race and confirm, at and past the expiry."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import multiple, precondition, rule
from ogpu import agent as sdk_agent
from ogpu import client as sdk_client
from ogpu.protocol import Provider, Response, Task
from ogpu.protocol import controller as sdk_controller
from ogpu.protocol import nexus as sdk_nexus
from ogpu.types import TaskInfo, TaskInput, TaskParams

from .. import strategies as ost
from ..cast import Actor
from ..drawing import draw
from ..machine import VALID_MOSTLY, MachineCore, memoized, sampled
from ..model import (
    DeliveryMethod,
    ModelRevert,
    ProtocolModel,
    ResponseStatus,
    SourceStatus,
    TaskStatus,
)
from .common import EXPIRY_TIMING, OGPU, send

PUBLISH_TASK_VIA = ("client.publish_task", "controller.publish_task")
CANCEL_TASK_VIA = ("client.cancel_task", "controller.cancel_task", "Task.cancel")
ATTEMPT_VIA = ("nexus.attempt", "Provider.attempt", "agent.attempt")
CONFIRM_VIA = ("client.confirm_response", "controller.confirm_response", "Response.confirm")
TASK_ENTRY_POINTS = (*PUBLISH_TASK_VIA, *CANCEL_TASK_VIA, *ATTEMPT_VIA, *CONFIRM_VIA)
#: Tasks the machine keeps at most (each adds a few dozen views to every step's comparison).
MAX_TASKS = 12
OPEN = (TaskStatus.NEW, TaskStatus.ATTEMPTED, TaskStatus.RESPONDED)
RESPONSE_KINDS = st.sampled_from(["honest", "honest", "partial", "overpaid", "copied"])


def _expiry_offsets(max_expiry_duration: int, valid: bool) -> st.SearchStrategy[int]:
    return ost.expiry_offsets(max_expiry_duration, valid=valid)


def _permutations(*values: Actor) -> st.SearchStrategy[list[Actor]]:
    return st.permutations(list(values))


# preconditions are named functions: hypothesis describes each one at every draw,
# and a lambda's description is read from its source
def room_for_a_task_at_an_active_source(machine: TaskRules) -> bool:
    """Precondition: fewer tasks than the machine keeps, and a source to publish to."""
    return len(machine.model.tasks) < MAX_TASKS and any(
        s.status == SourceStatus.ACTIVE for s in machine.model.sources.values()
    )


def a_new_task(machine: TaskRules) -> bool:
    """Precondition: a task nobody attempted yet."""
    return any(t.status == TaskStatus.NEW for t in machine.model.tasks.values())


def an_attemptable_task(machine: TaskRules) -> bool:
    """Precondition: a provider can attempt a task now."""
    return bool(machine._attemptable(machine.sim.now()))


def a_submittable_task(machine: TaskRules) -> bool:
    """Precondition: a provider can submit a response now."""
    return bool(machine._submittable(machine.sim.now()))


def a_raceable_task(machine: TaskRules) -> bool:
    """Precondition: two providers can race for a FIRST_RESPONSE task."""
    return bool(machine._raceable())


def a_confirmable_response(machine: TaskRules) -> bool:
    """Precondition: a response can be confirmed."""
    return bool(machine._confirmable())


class TaskRules(MachineCore):
    """publish_task, cancel_task, attempt, submit_response, race, confirm_response."""

    def _providers(self) -> list[Actor]:
        return [a for n, a in self.cast.items() if n.startswith("provider")]

    def _at_expiry(self, task: str, timing: str) -> None:
        expiry = self.model.tasks[task].expiry_time
        if timing == "at expiry":
            self.move_time_to(expiry)
        elif timing == "one second late":
            self.move_time_to(expiry + 1)

    # -- publishing and cancelling ------------------------------------------------------------
    @precondition(room_for_a_task_at_an_active_source)
    @rule(target=MachineCore.tasks, data=st.data(), via=st.sampled_from(PUBLISH_TASK_VIA))
    def publish_task(self, data: st.DataObject, via: str) -> Any:
        m = self.model
        active = [s for s, state in m.sources.items() if state.status == SourceStatus.ACTIVE]
        closed = [s for s in m.sources if s not in active]
        source = self.choose(data, "source", active, closed or active)
        owner = m.sources[source].client
        # anyone may publish to any source and pays for it (permissive publishing)
        signer = draw(
            data,
            sampled([self.by_address.get(owner, self.cast["client"]), *self.cast.values()]),
            label="signer",
        )
        terms = m.sources[source].params
        valid = draw(data, VALID_MOSTLY, label="terms valid")
        offset = draw(
            data, memoized(_expiry_offsets, terms.max_expiry_duration, valid), label="expires in"
        )
        payer = owner if m._principal_or_agent(owner, signer.address) else signer.address
        balance = m.ledger(payer).balance
        low = terms.min_payment
        fair = memoized(st.integers, low, max(low, min(balance, low + OGPU // 10)))
        payment = draw(
            data, fair if valid else sampled([max(low - 1, 0), balance + 1]), label="payment"
        )
        return self.publish(signer, source, offset, payment, via)

    def publish(self, signer: Actor, source: str, offset: int, payment: int, via: str) -> Any:
        """Publish a task on ``source`` expiring ``offset`` seconds from now (both sides)."""
        sent: dict[str, Any] = {}
        local_refusal: list[bool] = []
        count = len(self.model.tasks)

        def chain() -> str:
            expiry = self.sim.now() + offset
            sent["expiry"] = expiry
            if via == "client.publish_task":
                # ogpu.client refuses locally, before any transaction, once expiry <= wall clock
                local_refusal.append(expiry <= int(time.time()))
                info = TaskInfo(source, TaskInput("run", {"n": count}), expiry, payment)
                address = sdk_client.publish_task(info, private_key=signer.account).address
            else:
                params = TaskParams(
                    source=source,
                    config=f"ipfs://config/{count}",
                    expiryTime=expiry,
                    payment=payment,
                )
                receipt = sdk_controller.publish_task(params, signer=signer.account)
                address = sdk_controller.extract_task_address(receipt)
            sent.update(self.last_call("CONTROLLER")["_taskParams"])
            return str(address)

        def model(m: ProtocolModel, now: int) -> None:
            if local_refusal and local_refusal[-1]:
                raise ModelRevert("Expired", "ogpu.client.publish_task (local check)")
            expiry = sent.get("expiry", now + offset)
            config = sent.get("config", "")
            m.publish_task(signer.address, source, expiry, payment, now, config, address="?")

        ok, task, _ = self.act("publish_task", chain, model, via=via)
        if not ok:
            return multiple()
        address = self.w3.to_checksum_address(task)
        self.model.rename("?", address)
        return address

    @precondition(a_new_task)
    @rule(data=st.data(), via=st.sampled_from(CANCEL_TASK_VIA))
    def cancel_task(self, data: st.DataObject, via: str) -> None:
        m = self.model
        new = [t for t, state in m.tasks.items() if state.status == TaskStatus.NEW]
        # attempted or later: AlreadyFinalized (the ones still open first)
        started = sorted(
            (t for t in m.tasks if t not in new), key=lambda t: m.tasks[t].status not in OPEN
        )
        task = self.choose(data, "task", new, started)
        signer = self.client_side(data, m.tasks[task].client)
        calls: dict[str, Callable[[], Any]] = {
            "client.cancel_task": lambda: sdk_client.cancel_task(task, private_key=signer.account),
            "controller.cancel_task": lambda: sdk_controller.cancel_task(
                task, signer=signer.account
            ),
            "Task.cancel": lambda: Task(task).cancel(signer=signer.account),
        }
        self.act(
            "cancel_task",
            calls[via],
            lambda m, now: m.cancel_task(signer.address, task),
            via=via,
        )

    # -- providers at work --------------------------------------------------------------------
    def _attemptable(self, now: int) -> list[tuple[Actor, str]]:
        m, pairs, late = self.model, [], []
        for task, state in m.tasks.items():
            if state.status not in OPEN:
                continue
            for p in self._providers():
                if p.address not in m.sources[state.source].registrants:
                    continue
                if p.address not in m.is_provider:
                    continue
                if now > state.expiry_time:
                    if state.status != TaskStatus.RESPONDED:
                        late.append((p, task))  # the lazy expiry path
                elif p.address not in state.attempters:
                    # an ineligible (sanctioned) provider is a fair try: NotEligible is the
                    # protocol's answer to it
                    pairs.append((p, task))
        return pairs or late

    def _near_attempts(self, now: int) -> list[tuple[Actor, str]]:
        """Attempts one guard refuses: an ineligible or unregistered provider, or a second
        attempt, on an open task (the invalid choices worth making on purpose)."""
        m, pairs = self.model, []
        for task, state in m.tasks.items():
            if state.status not in OPEN or now > state.expiry_time:
                continue
            for p in self._providers():
                registered = p.address in m.sources[state.source].registrants
                attempted = p.address in state.attempters
                if not registered or attempted or not m.is_eligible(p.address):
                    pairs.append((p, task))
        return pairs or [(p, t) for p in self._providers() for t in m.tasks]

    @precondition(an_attemptable_task)
    @rule(data=st.data(), timing=EXPIRY_TIMING, via=st.sampled_from(ATTEMPT_VIA))
    def attempt(self, data: st.DataObject, timing: str, via: str) -> None:
        now = self.sim.now()
        provider, task = self.choose(
            data, "provider, task", self._attemptable(now), self._near_attempts(now)
        )
        self._at_expiry(task, timing)
        self.attempt_as(provider, task, self.provider_side(data, provider), via)

    def attempt_as(self, provider: Actor, task: str, signer: Actor, via: str) -> bool:
        """``provider`` attempts ``task``, signed by ``signer``, through SDK route ``via``."""
        payment, key, at = self.model.tasks[task].payment, signer.account, provider.address
        calls: dict[str, Callable[[], Any]] = {
            "nexus.attempt": lambda: sdk_nexus.attempt(task, at, payment, signer=key),
            "Provider.attempt": lambda: Provider(at).attempt(task, payment, signer=key),
            "agent.attempt": lambda: sdk_agent.attempt(task, at, payment, private_key=key),
        }
        ok, _, _ = self.act(
            "attempt",
            calls[via],
            lambda m, now: m.attempt(signer.address, task, at, now),
            via=via,
        )
        return ok

    def _submittable(self, now: int) -> list[tuple[Actor, str]]:
        m = self.model
        return [
            (p, task)
            for task, state in m.tasks.items()
            if state.status in OPEN and now <= state.expiry_time
            for p in self._providers()
            if p.address in state.attempters and p.address not in state.responses
        ]

    @precondition(a_submittable_task)
    @rule(target=MachineCore.responses, data=st.data(), timing=EXPIRY_TIMING, kind=RESPONSE_KINDS)
    def submit_response(self, data: st.DataObject, timing: str, kind: str) -> Any:
        anything = [(p, t) for p in self._providers() for t in self.model.tasks]
        provider, task = self.choose(
            data, "provider, task", self._submittable(self.sim.now()), anything
        )
        self._at_expiry(task, timing)
        ok, response = self.submit_as(provider, task, self.provider_side(data, provider), kind)
        return response if ok else multiple()

    def submit_as(self, provider: Actor, task: str, signer: Actor, kind: str) -> tuple[bool, str]:
        """``Nexus.submitResponse`` (the SDK leaves it to the provider runtime): ``kind`` is
        honest, partial (half the payment), overpaid (one wei more) or copied (another's data)."""
        state = self.model.tasks[task]
        payment = {"partial": state.payment // 2, "overpaid": state.payment + 1}.get(
            kind, state.payment
        )
        copied = sorted(data for _, data in state.submitted_data)
        data = copied[0] if kind == "copied" and copied else f"ipfs://{provider.name}/{task}"
        nexus = self.sim.deployment.contracts["NEXUS"]

        def chain() -> str:
            send(
                nexus, "submitResponse", ((task, provider.address, data, payment),), signer.account
            )
            return str(self.view_call("Task", task, "responseOf", (provider.address,)))

        def model(m: ProtocolModel, now: int) -> None:
            m.submit_response(signer.address, task, provider.address, data, payment, now, "?")

        ok, response, _ = self.act("submit_response", chain, model, via="Nexus.submitResponse")
        if not ok:
            return False, ""
        address = self.w3.to_checksum_address(response)
        self.model.rename("?", address)
        return True, address

    def _racers(self, task: str, ready: list[tuple[Actor, str]] | None = None) -> list[Actor]:
        """Providers who can still answer ``task``: ready to attempt, or attempted and silent
        (``ready``: those pairs, when the caller has them for every task)."""
        if ready is None:
            now = self.sim.now()
            ready = self._attemptable(now) + self._submittable(now)
        can = {p for p, t in ready if t == task}
        return [p for p in self._providers() if p in can]

    def _raceable(self) -> list[str]:
        m, now = self.model, self.sim.now()
        candidates = [
            task
            for task, state in m.tasks.items()
            if state.delivery_method == DeliveryMethod.FIRST_RESPONSE
            and state.status in (TaskStatus.NEW, TaskStatus.ATTEMPTED)
            and now + 4 <= state.expiry_time
        ]
        if not candidates:
            return []
        ready = self._attemptable(now) + self._submittable(now)  # once, not once per task
        return [task for task in candidates if len(self._racers(task, ready)) >= 2]

    @precondition(a_raceable_task)
    @rule(data=st.data())
    def race(self, data: st.DataObject) -> None:
        """Two providers answer a FIRST_RESPONSE task (attempting first if they have not):
        exactly one is paid, the other's submission reverts."""
        task = self.choose(data, "task", self._raceable(), list(self.model.tasks))
        racers = draw(
            data, memoized(_permutations, *(self._racers(task) or self._providers())), label="order"
        )
        racers = racers[:2]
        for p in racers:
            if p.address not in self.model.tasks[task].attempters:
                self.attempt_as(p, task, p, "nexus.attempt")
        submitted = [self.submit_as(p, task, p, "honest")[0] for p in racers]
        self.record("race", None if submitted == [True, False] else "NoRace")

    def _confirmable(self) -> list[str]:
        m = self.model
        return [
            r
            for r, resp in m.responses.items()
            if (
                resp.status == ResponseStatus.SUBMITTED
                and m.tasks[resp.task].status == TaskStatus.RESPONDED
            )
            or (
                m.tasks[resp.task].delivery_method == DeliveryMethod.FIRST_RESPONSE
                and m.tasks[resp.task].winner == resp.provider
            )
        ]

    @precondition(a_confirmable_response)
    @rule(data=st.data(), via=st.sampled_from(CONFIRM_VIA))
    def confirm_response(self, data: st.DataObject, via: str) -> None:
        m = self.model
        confirmable = self._confirmable()
        others = [r for r in m.responses if r not in confirmable]
        response = self.choose(data, "response", confirmable, others or confirmable)
        signer = self.client_side(data, m.tasks[m.responses[response].task].client)
        self.confirm_as(signer, response, via)

    def confirm_as(
        self, signer: Actor, response: str, via: str = "client.confirm_response"
    ) -> bool:
        """``signer`` confirms ``response`` through SDK route ``via``."""
        key = signer.account
        calls: dict[str, Callable[[], Any]] = {
            "client.confirm_response": lambda: sdk_client.confirm_response(
                response, private_key=key
            ),
            "controller.confirm_response": lambda: sdk_controller.confirm_response(
                response, signer=key
            ),
            "Response.confirm": lambda: Response(response).confirm(signer=key),
        }
        ok, _, _ = self.act(
            "confirm_response",
            calls[via],
            lambda m, now: m.confirm_response(signer.address, response),
            via=via,
        )
        return ok
