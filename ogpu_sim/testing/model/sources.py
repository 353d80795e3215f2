"""The Nexus's source side of the model: publishing sources and registering providers."""

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
    """Sources (publish, update, inactivate) and provider registrations."""

    def publish_source(self, sender: str, params: SourceParams, address: str | None = None) -> str:
        """``Nexus.publishSource(params)``; returns the new source's address."""
        op = "publishSource"
        require(self._principal_or_agent(params.client, sender), "NotOwner", op)
        require(params.image_environments <= ALL_ENVIRONMENTS, "InvalidEnvironment", op)
        source = self._new_address("source", address)
        self.sources[source] = SourceState(address=source, params=params)
        return source

    def update_source(self, sender: str, source: str, params: SourceParams) -> None:
        """``Nexus.updateSource(source, params)``; the source keeps its original client."""
        op = "updateSource"
        state = self.sources.get(source)
        require(state is not None, "UnknownSource", op)
        assert state is not None
        require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        require(params.image_environments <= ALL_ENVIRONMENTS, "InvalidEnvironment", op)
        state.params = replace(params, client=state.client)

    def inactivate_source(self, sender: str, source: str) -> None:
        """``Nexus.inactivateSource(source)`` (one-way)."""
        op = "inactivateSource"
        state = self.sources.get(source)
        require(state is not None, "UnknownSource", op)
        assert state is not None
        require(self._principal_or_agent(state.client, sender), "NotOwner", op)
        require(state.status == SourceStatus.ACTIVE, "SourceInactive", op)
        state.status = SourceStatus.INACTIVE

    def active_source_count(self, client: str) -> int:
        """``Nexus.getActiveSourceCount(client)``."""
        return sum(
            1
            for s in self.sources.values()
            if s.client == client and s.status == SourceStatus.ACTIVE
        )

    # ----------------------------------------------------------------- Nexus: providers
    def register(self, sender: str, source: str, provider: str, environment: int) -> None:
        """``Nexus.register(source, provider, environment)`` (idempotent re-registration)."""
        op = "register"
        state = self.sources.get(source)
        require(state is not None, "UnknownSource", op)
        assert state is not None
        require(provider in self.is_provider, "NotProvider", op)
        require(self._provider_operator(provider, sender), "NotProvider", op)
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
        state.registrants[provider] = environment

    def unregister(self, sender: str, source: str, provider: str) -> None:
        """``Nexus.unregister(source, provider)``."""
        op = "unregister"
        state = self.sources.get(source)
        require(state is not None, "UnknownSource", op)
        assert state is not None
        require(self._provider_operator(provider, sender), "NotProvider", op)
        require(provider in state.registrants, "NotRegistered", op)
        del state.registrants[provider]
