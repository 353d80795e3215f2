"""The Nexus's source side of the model: sources, their status, and provider registrations."""

from __future__ import annotations

from dataclasses import replace

from .records import (
    ALL_ENVIRONMENTS,
    SINGLE_ENVIRONMENTS,
    SourceParams,
    SourceState,
    SourceStatus,
    require,
)
from .state import ModelState


class SourceModel(ModelState):
    """Sources (publish, update, status changes) and provider registrations."""

    def publish_source(self, sender: str, params: SourceParams, address: str | None = None) -> str:
        """``Nexus.publishSource(params)``; returns the new source's address."""
        op = "publishSource"
        require(self._principal_or_agent(params.client, sender), "NotOwner", op)
        require(params.image_environments <= ALL_ENVIRONMENTS, "InvalidEnvironment", op)
        source = self._new_address("source", address)
        self.sources[source] = SourceState(address=source, params=params, owner=params.client)
        self.source_list.append(source)
        if not self.sources_of.get(params.client):
            self.clients.append(params.client)
        self.sources_of.setdefault(params.client, []).append(source)
        return source

    def update_source(self, sender: str, source: str, params: SourceParams) -> None:
        """``Nexus.updateSource(source, params)``; the source keeps its original client."""
        op = "updateSource"
        state = self._source(source, op)
        require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        require(params.image_environments <= ALL_ENVIRONMENTS, "InvalidEnvironment", op)
        state.params = replace(params, client=state.client)

    def inactivate_source(self, sender: str, source: str) -> None:
        """``Nexus.inactivateSource(source)`` by the client or its agent."""
        op = "inactivateSource"
        state = self._source(source, op)
        require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        state.status = SourceStatus.INACTIVE

    def set_status_on_source(self, sender: str, source: str, status: SourceStatus) -> None:
        """``Source.setStatus(status)`` called on the source itself (its Ownable owner only).

        The client may only close an active source; asking for ACTIVE is a no-op.
        """
        op = "Source.setStatus"
        state = self._source(source, op)
        require(sender == state.owner, "NotOwner", op)
        require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        if status == SourceStatus.INACTIVE:
            state.status = SourceStatus.INACTIVE

    def force_source_status(self, sender: str, source: str, status: SourceStatus) -> None:
        """``Nexus.setSourceStatus(source, status)``: the admin route (reactivation included)."""
        op = "setSourceStatus"
        state = self._source(source, op)
        require(self._is_controller_or_owner(sender), "NotController", op)
        state.status = status

    def active_source_count(self, client: str) -> int:
        """``Nexus.getActiveSourceCount(client)``."""
        return self.outside_active.get(client, 0) + sum(
            1
            for s in self.sources.values()
            if s.client == client and s.status == SourceStatus.ACTIVE
        )

    def active_source_counts(self) -> dict[str, int]:
        """:meth:`active_source_count` of every client that has an active source (one pass
        over the sources, for a check that asks it of every account)."""
        counts = dict(self.outside_active)
        for s in self.sources.values():
            if s.status == SourceStatus.ACTIVE:
                counts[s.client] = counts.get(s.client, 0) + 1
        return counts

    def _source(self, source: str, op: str) -> SourceState:
        state = self.sources.get(source)
        require(state is not None, "UnknownSource", op)
        assert state is not None
        return state

    # ----------------------------------------------------------------- providers on sources
    def register(self, sender: str, source: str, provider: str, environment: int) -> None:
        """``Nexus.register(source, provider, environment)`` (re-registering updates the env)."""
        op = "register"
        state = self._source(source, op)
        require(
            provider in self.is_provider and self._provider_operator(provider, sender),
            "NotProvider",
            op,
        )
        require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        require(
            environment in SINGLE_ENVIRONMENTS
            and bool(environment & state.params.image_environments),
            "InvalidEnvironment",
            op,
        )
        ledger = self.ledger(provider)
        if not ledger.whitelisted:
            needed = max(self.min_lockup_per_source, state.params.min_available_lockup)
            require(ledger.lockup >= needed, "InsufficientLockup", op)
        require(self.is_eligible(provider), "NotEligible", op)
        if provider not in state.registrants:
            state.registrant_list.append(provider)
        state.registrants[provider] = environment

    def unregister(self, sender: str, source: str, provider: str) -> None:
        """``Nexus.unregister(source, provider)``: swap-and-pop out of the registrant list."""
        op = "unregister"
        state = self._source(source, op)
        require(self._provider_operator(provider, sender), "NotProvider", op)
        require(provider in state.registrants, "NotRegistered", op)
        del state.registrants[provider]
        at = state.registrant_list.index(provider)
        last = state.registrant_list.pop()
        if last != provider:
            state.registrant_list[at] = last
