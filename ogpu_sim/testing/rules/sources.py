"""Rules for sources and registrations: publish, update, close, reopen, register, unregister."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import multiple, precondition, rule
from ogpu import agent as sdk_agent
from ogpu import client as sdk_client
from ogpu.protocol import Provider, Source
from ogpu.protocol import nexus as sdk_nexus
from ogpu.types import SourceInfo
from ogpu.types import SourceParams as SdkSourceParams

from .. import strategies as ost
from ..cast import Actor
from ..drawing import draw
from ..machine import CLIENTS, MachineCore, sampled
from ..model import DeliveryMethod, SourceParams, SourceStatus
from .common import OGPU

PUBLISH_SOURCE_VIA = ("client.publish_source", "nexus.publish_source")
UPDATE_SOURCE_VIA = ("client.update_source", "nexus.update_source", "Source.set_params")
INACTIVATE_SOURCE_VIA = ("client.inactivate_source", "nexus.inactivate_source", "Source.inactivate")
REGISTER_VIA = ("nexus.register", "Provider.register_to", "agent.register_to")
UNREGISTER_VIA = ("nexus.unregister", "Provider.unregister_from", "agent.unregister_from")
SOURCE_ENTRY_POINTS = (
    *PUBLISH_SOURCE_VIA,
    *UPDATE_SOURCE_VIA,
    *INACTIVATE_SOURCE_VIA,
    "Source.set_status",
    *REGISTER_VIA,
    *UNREGISTER_VIA,
)
#: Sources the machine keeps at most (each adds a few dozen views to every step's comparison).
MAX_SOURCES = 6
#: Source terms that keep the market moving: cheap, long enough expiries, little lockup.
SOURCE_INFOS = ost.source_infos(max_payment=OGPU // 10, max_lockup=OGPU // 5, max_expiry=600)


def sdk_params(info: SourceInfo, client: str, environments: int | None = None) -> SdkSourceParams:
    """The ``SourceParams`` ``ogpu.client`` would build from ``info`` (without pinning)."""
    envs = info.imageEnvs
    mask = (1 if envs.cpu else 0) | (2 if envs.nvidia else 0) | (4 if envs.amd else 0)
    return SdkSourceParams(
        client=client,
        imageMetadataUrl=f"ipfs://metadata/{info.name}",
        imageEnvironments=mask if environments is None else environments,
        minPayment=info.minPayment,
        minAvailableLockup=info.minAvailableLockup,
        maxExpiryDuration=info.maxExpiryDuration,
        privacyEnabled=False,
        optionalParamsUrl="",
        deliveryMethod=info.deliveryMethod.value,
        lastUpdateTime=0,
    )


def model_params(sent: dict[str, Any] | SdkSourceParams) -> SourceParams:
    """The model's ``SourceParams`` for a tuple the chain was sent (decoded) or the SDK's."""
    p = sent.model_dump() if isinstance(sent, SdkSourceParams) else sent
    return SourceParams(
        client=p["client"],
        image_metadata_url=p["imageMetadataUrl"],
        image_environments=p["imageEnvironments"],
        min_payment=p["minPayment"],
        min_available_lockup=p["minAvailableLockup"],
        max_expiry_duration=p["maxExpiryDuration"],
        privacy_enabled=p["privacyEnabled"],
        optional_params_url=p["optionalParamsUrl"],
        delivery_method=DeliveryMethod(p["deliveryMethod"]),
        last_update_time=p["lastUpdateTime"],
    )


# preconditions are named functions: hypothesis describes each one at every draw,
# and a lambda's description is read from its source
def room_for_a_source(machine: SourceRules) -> bool:
    """Precondition: fewer sources than the machine keeps."""
    return len(machine.model.sources) < MAX_SOURCES


def an_active_source(machine: SourceRules) -> bool:
    """Precondition: a source is active."""
    return bool(machine._sources(active=True))


def a_registrable_pair(machine: SourceRules) -> bool:
    """Precondition: a provider can register to a source."""
    return bool(machine._registrable())


def a_registered_pair(machine: SourceRules) -> bool:
    """Precondition: a provider is registered to a source."""
    return bool(machine._registered())


class SourceRules(MachineCore):
    """publish_source, update_source, inactivate_source, set_source_status, register,
    unregister."""

    def _sources(self, active: bool | None = None) -> list[str]:
        return [
            s
            for s, state in self.model.sources.items()
            if active is None or (state.status == SourceStatus.ACTIVE) == active
        ]

    # -- sources --------------------------------------------------------------------------------
    @precondition(room_for_a_source)
    @rule(
        target=MachineCore.sources,
        principal=CLIENTS,
        info=SOURCE_INFOS,
        data=st.data(),
        via=st.sampled_from(PUBLISH_SOURCE_VIA),
    )
    def publish_source(
        self, principal: str, info: SourceInfo, data: st.DataObject, via: str
    ) -> Any:
        client = self.cast[principal]
        if via == "client.publish_source":
            # the SDK makes the signer the source's client
            signer = draw(data, sampled([client, self.cast["agent"]]), label="signer")
            source = self.publish_source_as(signer, info, via)
        else:
            signer = self.client_side(data, client.address)
            envs = draw(data, sampled([None, None, None, 8]), label="environments")
            source = self.publish_source_as(signer, info, via, client.address, envs)
        return multiple() if source is None else source

    def publish_source_as(
        self,
        signer: Actor,
        info: SourceInfo,
        via: str = "client.publish_source",
        client: str | None = None,
        environments: int | None = None,
    ) -> str | None:
        """Publish ``info`` signed by ``signer`` through ``via`` (for ``client``, which
        ``ogpu.client`` always takes to be the signer); the new source's address, or None."""
        params = sdk_params(info, client or signer.address, environments)
        sent: dict[str, Any] = {}

        def chain() -> str:
            if via == "client.publish_source":
                address = str(sdk_client.publish_source(info, private_key=signer.account).address)
            else:
                receipt = sdk_nexus.publish_source(params, signer=signer.account)
                address = sdk_nexus.extract_source_address(receipt)
            sent.update(self.last_call("NEXUS")["_sourceParams"])
            return address

        def model(m: Any, now: int) -> None:
            m.publish_source(signer.address, model_params(sent or params), address="?")

        ok, source, _ = self.act("publish_source", chain, model, via=via)
        if not ok:
            return None
        address = str(self.w3.to_checksum_address(source))
        self.model.rename("?", address)
        return address

    @precondition(an_active_source)
    @rule(data=st.data(), info=SOURCE_INFOS, via=st.sampled_from(UPDATE_SOURCE_VIA))
    def update_source(self, data: st.DataObject, info: SourceInfo, via: str) -> None:
        closed = self._sources(active=False)
        source = self.choose(data, "source", self._sources(active=True), closed or self._sources())
        signer = self.client_side(data, self.model.sources[source].client)
        params = sdk_params(info, signer.address)
        sent: dict[str, Any] = {}

        def chain() -> Any:
            if via == "client.update_source":
                sdk_client.update_source(source, info, private_key=signer.account)
            elif via == "nexus.update_source":
                sdk_nexus.update_source(source, params, signer=signer.account)
            else:
                Source(source).set_params(params, signer=signer.account)
            sent.update(self.last_call("NEXUS")["_sourceParams"])

        self.act(
            "update_source",
            chain,
            lambda m, now: m.update_source(signer.address, source, model_params(sent or params)),
            via=via,
        )

    @precondition(an_active_source)
    @rule(data=st.data(), via=st.sampled_from(INACTIVATE_SOURCE_VIA))
    def inactivate_source(self, data: st.DataObject, via: str) -> None:
        # closing the start sources stalls the market, so other sources are closed more often
        active = self._sources(active=True)
        extra = [s for s in active if s not in self.start_sources]
        preferred = extra + [s for s in active if s not in extra]
        closed = self._sources(active=False)
        source = self.choose(data, "source", preferred, closed or preferred)
        signer = self.client_side(data, self.model.sources[source].client)
        calls: dict[str, Callable[[], Any]] = {
            "client.inactivate_source": lambda: sdk_client.inactivate_source(
                source, private_key=signer.account
            ),
            "nexus.inactivate_source": lambda: sdk_nexus.inactivate_source(
                source, signer=signer.account
            ),
            "Source.inactivate": lambda: Source(source).inactivate(signer=signer.account),
        }
        self.act(
            "inactivate_source",
            calls[via],
            lambda m, now: m.inactivate_source(signer.address, source),
            via=via,
        )

    @precondition(an_active_source)
    @rule(
        data=st.data(),
        status=st.sampled_from([SourceStatus.INACTIVE, SourceStatus.ACTIVE]),
        reopen=st.sampled_from([False, False, True]),
    )
    def set_source_status(self, data: st.DataObject, status: SourceStatus, reopen: bool) -> None:
        """``Source.set_status`` on the instance: its owner may close it, never reopen it
        (tried a third of the time when a closed source exists)."""
        active = self._sources(active=True)
        extra = [s for s in active if s not in self.start_sources]
        preferred = extra + [s for s in active if s not in extra]
        closed = [s for s in self._sources() if s not in active]
        if reopen and closed:
            source, status = closed[0], SourceStatus.ACTIVE
        else:
            source = self.choose(data, "source", preferred, closed + preferred)
        owner = self.model.sources[source].owner
        valid = [self.by_address[owner]] if owner in self.by_address else []
        signer = self.choose(data, "signer", valid, list(self.cast.values()))
        self.act(
            "set_source_status",
            lambda: Source(source).set_status(status, signer=signer.account),
            lambda m, now: m.set_status_on_source(signer.address, source, status),
            via="Source.set_status",
        )

    # -- registrations --------------------------------------------------------------------------
    def _registrable(self) -> list[tuple[Actor, str]]:
        m = self.model
        return [
            (p, s)
            for p in self.cast.values()
            if p.name.startswith("provider")
            and p.address in m.is_provider
            and m.is_eligible(p.address)
            for s in self._sources(active=True)
            if m.ledger(p.address).lockup >= m.sources[s].params.min_available_lockup
        ]

    def _near_registrations(self) -> list[tuple[Actor, str]]:
        """Registrations one guard refuses: a provider without the lockup or the
        eligibility, an unpaired one, or a closed source."""
        valid = set(self._registrable())
        providers = [a for n, a in self.cast.items() if n.startswith("provider")]
        return [(p, s) for p in providers for s in self._sources() if (p, s) not in valid]

    @precondition(a_registrable_pair)
    @rule(data=st.data(), via=st.sampled_from(REGISTER_VIA))
    def register(self, data: st.DataObject, via: str) -> None:
        provider, source = self.choose(
            data, "provider, source", self._registrable(), self._near_registrations()
        )
        mask = self.model.sources[source].params.image_environments
        fitting = [e for e in ost.ENVIRONMENTS if e & mask]
        environment = self.choose(data, "environment", fitting, [0, 3, 8, *ost.ENVIRONMENTS])
        signer = self.provider_side(data, provider)
        key, at = signer.account, provider.address
        calls: dict[str, Callable[[], Any]] = {
            "nexus.register": lambda: sdk_nexus.register(source, at, environment, signer=key),
            "Provider.register_to": lambda: Provider(at).register_to(
                source, environment, signer=key
            ),
            "agent.register_to": lambda: sdk_agent.register_to(
                source, at, environment, private_key=key
            ),
        }
        self.act(
            "register",
            calls[via],
            lambda m, now: m.register(signer.address, source, at, environment),
            via=via,
        )

    def _registered(self) -> list[tuple[Actor, str]]:
        m = self.model
        return [
            (p, s)
            for p in self.cast.values()
            if p.name.startswith("provider")
            for s in self._sources()
            if p.address in m.sources[s].registrants
        ]

    @precondition(a_registered_pair)
    @rule(data=st.data(), via=st.sampled_from(UNREGISTER_VIA))
    def unregister(self, data: st.DataObject, via: str) -> None:
        providers = [a for n, a in self.cast.items() if n.startswith("provider")]
        anything = [(p, s) for p in providers for s in self._sources()]
        registered = self._registered()
        unregistered = [pair for pair in anything if pair not in registered]
        provider, source = self.choose(
            data, "provider, source", registered, unregistered or anything
        )
        signer = self.provider_side(data, provider)
        key, at = signer.account, provider.address
        calls: dict[str, Callable[[], Any]] = {
            "nexus.unregister": lambda: sdk_nexus.unregister(source, at, signer=key),
            "Provider.unregister_from": lambda: Provider(at).unregister_from(source, signer=key),
            "agent.unregister_from": lambda: sdk_agent.unregister_from(source, at, private_key=key),
        }
        self.act(
            "unregister",
            calls[via],
            lambda m, now: m.unregister(signer.address, source, at),
            via=via,
        )
