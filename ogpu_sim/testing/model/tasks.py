"""The task side of the model: Controller publish/cancel/confirm, Nexus attempt/submit/force."""

from __future__ import annotations

from .records import (
    AttemptOutcome,
    DeliveryMethod,
    Payment,
    ResponseState,
    ResponseStatus,
    SourceStatus,
    TaskState,
    TaskStatus,
    require,
)
from .state import ModelState

_CLOSED = (TaskStatus.FINALIZED, TaskStatus.CANCELED)


class TaskModel(ModelState):
    """Tasks from publication to a terminal status, and the payments that go with them."""

    def publish_task(
        self,
        sender: str,
        source: str,
        expiry_time: int,
        payment: int,
        now: int,
        config: str | None = None,
        address: str | None = None,
    ) -> str:
        """``Controller.publishTask((source, config, expiry_time, payment))`` at block time ``now``.

        Returns:
            The new task's address. Its payer is the source's client when the sender is that
            client or its agent, else the sender (permissive publishing).
        """
        op = "publishTask"
        state = self.sources.get(source)
        require(state is not None, "UnknownSource", op)
        assert state is not None
        require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        owner_side = self._principal_or_agent(state.client, sender)
        if self.strict_publish:
            require(owner_side, "NotOwner", op)
        client = state.client if owner_side else sender
        require(expiry_time > now, "Expired", op)
        require(expiry_time - now <= state.params.max_expiry_duration, "ExpiryTooLong", op)
        require(payment >= state.params.min_payment, "PaymentTooLow", op)
        require(self.ledger(client).balance >= payment, "InsufficientBalance", op)
        task = self._new_address("task", address)
        ledger = self._ledger(client)
        ledger.balance -= payment
        ledger.frozen += payment
        self.tasks[task] = TaskState(
            address=task,
            source=source,
            client=client,
            config=config,
            expiry_time=expiry_time,
            payment=payment,
            delivery_method=state.params.delivery_method,
            escrow=payment,
        )
        state.tasks.append(task)
        return task

    def _task(self, task: str, op: str) -> TaskState:
        state = self.tasks.get(task)
        require(state is not None, "UnknownTask", op)
        assert state is not None
        return state

    def cancel_task(self, sender: str, task: str) -> None:
        """``Controller.cancelTask(task)``: only from NEW (also after expiry); full refund."""
        op = "cancelTask"
        state = self._task(task, op)
        require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        require(state.status == TaskStatus.NEW, "AlreadyFinalized", op)
        self._set_task_status(state, TaskStatus.CANCELED)
        self._release(state)

    def attempt(self, sender: str, task: str, provider: str, now: int) -> AttemptOutcome:
        """``Nexus.attempt(task, provider, suggestedPayment)`` at block time ``now``.

        Returns:
            ``AttemptOutcome.EXPIRED`` when the call lazily expired the task (refunding the
            client and recording nothing), else ``AttemptOutcome.ATTEMPTED``.
        """
        op = "attempt"
        state = self._task(task, op)
        require(
            provider in self.is_provider and self._provider_operator(provider, sender),
            "NotProvider",
            op,
        )
        require(provider in self.sources[state.source].registrants, "NotRegistered", op)
        require(state.status not in _CLOSED, "AlreadyFinalized", op)
        require(state.status != TaskStatus.EXPIRED, "Expired", op)
        if now > state.expiry_time:
            require(state.status != TaskStatus.RESPONDED, "Expired", op)
            self._set_task_status(state, TaskStatus.EXPIRED)
            self._release(state)
            return AttemptOutcome.EXPIRED
        require(provider not in state.attempters, "AlreadyAttempted", op)
        require(self.is_eligible(provider), "NotEligible", op)
        state.attempters.append(provider)
        state.attempt_times.append(now)
        if state.status == TaskStatus.NEW:
            self._set_task_status(state, TaskStatus.ATTEMPTED)
        return AttemptOutcome.ATTEMPTED

    def submit_response(
        self,
        sender: str,
        task: str,
        provider: str,
        data: str,
        payment: int,
        now: int,
        address: str | None = None,
    ) -> str:
        """``Nexus.submitResponse((task, provider, data, payment))`` at block time ``now``.

        FIRST_RESPONSE tasks finalize at once (response confirmed, provider paid ``payment``,
        remainder refunded); MANUAL_CONFIRMATION tasks move to RESPONDED.

        Returns:
            The new response's address.
        """
        op = "submitResponse"
        state = self._task(task, op)
        require(
            provider in self.is_provider and self._provider_operator(provider, sender),
            "NotProvider",
            op,
        )
        require(provider in state.attempters, "NotAttempted", op)
        require(state.status not in _CLOSED, "AlreadyFinalized", op)
        require(state.status != TaskStatus.EXPIRED, "Expired", op)
        require(now <= state.expiry_time, "Expired", op)
        require(provider not in state.responses, "AlreadySubmitted", op)
        require(payment <= state.payment, "InvalidPayment", op)
        require((provider, data) not in state.submitted_data, "AlreadySubmitted", op)
        first_response = state.delivery_method == DeliveryMethod.FIRST_RESPONSE
        if first_response:
            require(state.escrow >= payment, "InsufficientEscrow", op)
        previous = state.status
        response = self._new_address("response", address)
        resp = ResponseState(response, task, provider, data, payment, timestamp=now)
        self.responses[response] = resp
        state.responses[provider] = response
        state.submitted_data.add((provider, data))
        if first_response:
            resp.status = ResponseStatus.CONFIRMED
            self._set_task_status(state, TaskStatus.FINALIZED)
            self._pay(state, resp)
        elif previous == TaskStatus.ATTEMPTED:
            self._set_task_status(state, TaskStatus.RESPONDED)
        return response

    def confirm_response(self, sender: str, response: str) -> bool:
        """``Controller.confirmResponse(response)``.

        Returns:
            False for the successful no-op on an auto-confirmed FIRST_RESPONSE winner, True when
            the call confirmed the response, finalized the task and paid the provider.
        """
        op = "confirmResponse"
        resp = self.responses.get(response)
        require(resp is not None, "UnknownResponse", op)
        assert resp is not None
        state = self.tasks[resp.task]
        require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        if resp.status == ResponseStatus.CONFIRMED:
            require(
                state.delivery_method == DeliveryMethod.FIRST_RESPONSE
                and state.winner == resp.provider,
                "AlreadyConfirmed",
                op,
            )
            return False
        require(state.status not in _CLOSED, "AlreadyFinalized", op)
        require(state.status != TaskStatus.EXPIRED, "Expired", op)
        require(state.status == TaskStatus.RESPONDED, "NotResponded", op)
        require(state.escrow >= resp.payment, "InsufficientEscrow", op)
        resp.status = ResponseStatus.CONFIRMED
        self._set_task_status(state, TaskStatus.FINALIZED)
        self._pay(state, resp)
        return True

    def _pay(self, state: TaskState, resp: ResponseState) -> None:
        """``Vault.processPayment`` to the response's provider, then release the remainder."""
        payer = self._ledger(state.client)
        payee = self._ledger(resp.provider)
        state.escrow -= resp.payment
        payer.frozen -= resp.payment
        payee.balance += resp.payment
        payee.earnings += resp.payment
        self.payments.append(Payment(state.address, resp.provider, resp.payment))
        self._release(state)

    # ----------------------------------------------------------------- the owner's force paths
    def force_task_status(self, sender: str, task: str, status: TaskStatus) -> None:
        """``Nexus.setTaskStatus(task, status)`` by the owner: moves no money."""
        op = "setTaskStatus"
        require(self._is_controller_or_owner(sender), "NotController", op)
        state = self._task(task, op)
        self._set_task_status(state, status)
        state.forced = True

    def force_response_status(self, sender: str, response: str, status: ResponseStatus) -> None:
        """``Nexus.setResponseStatus(response, status)`` by the owner: the task is untouched."""
        op = "setResponseStatus"
        require(self._is_controller_or_owner(sender), "NotController", op)
        self.responses[response].status = status
        self.tasks[self.responses[response].task].forced = True

    def force_release_payment(self, sender: str, task: str) -> None:
        """``Vault.forceReleasePayment(client, task)`` by a judge or admin: refund the escrow."""
        require(
            self.has_role("JUDGE", sender) or self.has_role("DEFAULT_ADMIN_ROLE", sender),
            "NotJudge",
            "forceReleasePayment",
        )
        state = self.tasks.get(task)
        if state is not None:
            self._release(state)
            state.forced = True
