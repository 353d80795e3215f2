"""Rules for the Terminal: pairing, containers, agents, default-agent opt-out, provider data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from ogpu import client as sdk_client
from ogpu.protocol import Master, Provider
from ogpu.protocol import terminal as sdk_terminal

from ..cast import Actor
from ..drawing import draw
from ..machine import ACTORS, VALID_SIGNER, MachineCore, sampled
from .common import SMALL, send

ANNOUNCE_PROVIDER_VIA = ("terminal.announce_provider", "Master.announce_provider")
ANNOUNCE_MASTER_VIA = ("terminal.announce_master", "Provider.announce_master")
REMOVE_PROVIDER_VIA = ("terminal.remove_provider", "Master.remove_provider")
REMOVE_CONTAINER_VIA = ("terminal.remove_container", "Master.remove_container")
SET_AGENT_VIA = ("terminal.set_agent", "Master.set_agent", "client.set_agent")
REVOKE_AGENT_VIA = ("terminal.revoke_agent", *SET_AGENT_VIA)
DEFAULT_AGENT_VIA = ("terminal.set_default_agent_disabled", "Provider.set_default_agent_disabled")
TERMINAL_ENTRY_POINTS = (
    *ANNOUNCE_PROVIDER_VIA,
    *ANNOUNCE_MASTER_VIA,
    *REMOVE_PROVIDER_VIA,
    *REMOVE_CONTAINER_VIA,
    *REVOKE_AGENT_VIA,
    *DEFAULT_AGENT_VIA,
)
PROVIDER_DATA = st.sampled_from(["", "gpu=1", "gpu=2;ram=64"])


# preconditions are named functions: hypothesis describes each one at every draw,
# and a lambda's description is read from its source
def an_announceable_provider(machine: TerminalRules) -> bool:
    """Precondition: a (master, provider) pair ``announceProvider`` accepts."""
    return bool(machine._announceable())


def an_announced_provider(machine: TerminalRules) -> bool:
    """Precondition: a provider its master announced (``announceMaster`` accepts it)."""
    return bool(machine._announced())


def a_provider_pair(machine: TerminalRules) -> bool:
    """Precondition: a provider with a master or a pending one."""
    return bool(machine._pairs())


def a_paired_container(machine: TerminalRules) -> bool:
    """Precondition: a provider whose pairing is complete."""
    return bool(machine._paired())


def a_provider(machine: TerminalRules) -> bool:
    """Precondition: some account is a provider."""
    return bool(machine.model.is_provider)


class TerminalRules(MachineCore):
    """announce_provider, announce_master, remove_provider, remove_container, set_agent,
    set_default_agent_disabled, set_provider_data."""

    def _named(self, prefix: str) -> list[Actor]:
        return [a for n, a in self.cast.items() if n.startswith(prefix)]

    def _announceable(self) -> list[tuple[Actor, Actor]]:
        """(master, provider) pairs ``announceProvider`` accepts."""
        m = self.model
        return [
            (master, provider)
            for provider in self._named("provider")
            for master in self._named("master")
            if master.address not in m.is_provider
            and m.master_of.get(provider.address, master.address) == master.address
        ]

    @precondition(an_announceable_provider)
    @rule(data=st.data(), stake=SMALL, via=st.sampled_from(ANNOUNCE_PROVIDER_VIA))
    def announce_provider(self, data: st.DataObject, stake: int, via: str) -> None:
        everyone, providers = list(self.cast.values()), self._named("provider")
        master, provider = self.choose(
            data,
            "master, provider",
            self._announceable(),
            [(a, p) for a in everyone for p in providers],
        )
        if via == "terminal.announce_provider":
            call: Callable[[], Any] = lambda: sdk_terminal.announce_provider(  # noqa: E731
                provider.address, stake, signer=master.account
            )
        else:
            call = lambda: Master(master.address).announce_provider(  # noqa: E731
                provider.address, stake, signer=master.account
            )
        self.act(
            "announce_provider",
            call,
            lambda m, now: m.announce_provider(master.address, provider.address, stake, stake),
            via=via,
        )

    def _announced(self) -> list[tuple[Actor, Actor]]:
        """(provider, master) pairs ``announceMaster`` accepts: the master announced it."""
        m = self.model
        return [
            (p, self.by_address[m.pending_master_of[p.address]])
            for p in self._named("provider")
            if p.address in m.is_provider and m.pending_master_of.get(p.address) in self.by_address
        ]

    @precondition(an_announced_provider)
    @rule(data=st.data(), via=st.sampled_from(ANNOUNCE_MASTER_VIA))
    def announce_master(self, data: st.DataObject, via: str) -> None:
        masters, valid = self._named("master"), self._announced()
        provider, master = self.choose(
            data, "provider, master", valid, [(a, b) for a in self.cast.values() for b in masters]
        )
        if via == "terminal.announce_master":
            call: Callable[[], Any] = lambda: sdk_terminal.announce_master(  # noqa: E731
                master.address, signer=provider.account
            )
        else:
            call = lambda: Provider(provider.address).announce_master(  # noqa: E731
                master.address, signer=provider.account
            )
        self.act(
            "announce_master",
            call,
            lambda m, now: m.announce_master(provider.address, master.address),
            via=via,
        )

    def _pairs(self) -> list[tuple[Actor, Actor]]:
        """(master, provider) for each provider with a master or a pending one."""
        m, pairs = self.model, []
        for provider in self._named("provider"):
            master = m.master_of.get(provider.address) or m.pending_master_of.get(provider.address)
            if master in self.by_address:
                pairs.append((self.by_address[master], provider))
        return pairs

    @precondition(a_provider_pair)
    @rule(data=st.data(), via=st.sampled_from(REMOVE_PROVIDER_VIA))
    def remove_provider(self, data: st.DataObject, via: str) -> None:
        # the spare pair (provider3) is removed most often: the others keep the market going
        pairs = self._pairs()
        spare = [pair for pair in pairs if pair[1].name == "provider3"]
        anything = [(a, p) for a in self.cast.values() for p in self._named("provider")]
        preferred = spare + [pair for pair in pairs if pair not in spare]
        master, provider = self.choose(data, "master, provider", preferred, anything)
        if via == "terminal.remove_provider":
            call: Callable[[], Any] = lambda: sdk_terminal.remove_provider(  # noqa: E731
                provider.address, signer=master.account
            )
        else:
            call = lambda: Master(master.address).remove_provider(  # noqa: E731
                provider.address, signer=master.account
            )
        self.act(
            "remove_provider",
            call,
            lambda m, now: m.remove_provider(master.address, provider.address),
            via=via,
        )

    def _paired(self) -> list[tuple[Actor, Actor]]:
        """(master, provider) for each provider whose pairing is complete."""
        m = self.model
        return [
            (self.by_address[m.master_of[p.address]], p)
            for p in self._named("provider")
            if m.master_of.get(p.address) in self.by_address
        ]

    @precondition(a_paired_container)
    @rule(data=st.data(), via=st.sampled_from(REMOVE_CONTAINER_VIA))
    def remove_container(self, data: st.DataObject, via: str) -> None:
        m, paired = self.model, self._paired()
        anything = [(a, p) for a in self.cast.values() for p in self._named("provider")]
        master, provider = self.choose(data, "master, provider", paired, anything)
        source = draw(data, sampled(list(m.sources) or [provider.address]), label="source")
        if via == "terminal.remove_container":
            call: Callable[[], Any] = lambda: sdk_terminal.remove_container(  # noqa: E731
                provider.address, source, signer=master.account
            )
        else:
            call = lambda: Master(master.address).remove_container(  # noqa: E731
                provider.address, source, signer=master.account
            )
        self.act(
            "remove_container",
            call,
            lambda m, now: m.remove_container(master.address, provider.address, source),
            via=via,
        )

    @rule(data=st.data(), value=st.sampled_from([True, True, False]))
    def set_agent(self, data: st.DataObject, value: bool) -> None:
        everyone = list(self.cast.values())
        principals = [a for a in everyone if a.address not in self.model.is_provider]
        providers = [a for a in everyone if a not in principals]  # ProviderCannotSetAgent
        principal = self.choose(data, "principal", principals, providers or everyone, VALID_SIGNER)
        agent = draw(data, sampled([self.cast["agent"], self.cast["stranger"]]), label="agent")
        via = draw(data, sampled(SET_AGENT_VIA if value else REVOKE_AGENT_VIA), label="via")
        key = principal.account
        calls: dict[str, Callable[[], Any]] = {
            "terminal.set_agent": lambda: sdk_terminal.set_agent(agent.address, value, signer=key),
            "terminal.revoke_agent": lambda: sdk_terminal.revoke_agent(agent.address, signer=key),
            "Master.set_agent": lambda: Master(principal.address).set_agent(
                agent.address, value, signer=key
            ),
            "client.set_agent": lambda: sdk_client.set_agent(agent.address, value, private_key=key),
        }
        self.act(
            "set_agent",
            calls[via],
            lambda m, now: m.set_agent(principal.address, agent.address, value),
            via=via,
        )

    @rule(name=ACTORS, value=st.booleans(), via=st.sampled_from(DEFAULT_AGENT_VIA))
    def set_default_agent_disabled(self, name: str, value: bool, via: str) -> None:
        actor = self.cast[name]
        if via == "terminal.set_default_agent_disabled":
            call: Callable[[], Any] = lambda: sdk_terminal.set_default_agent_disabled(  # noqa: E731
                value, signer=actor.account
            )
        else:
            call = lambda: Provider(actor.address).set_default_agent_disabled(  # noqa: E731
                value, signer=actor.account
            )
        self.act(
            "set_default_agent_disabled",
            call,
            lambda m, now: m.set_default_agent_disabled(actor.address, value),
            via=via,
        )

    @precondition(a_provider)
    @rule(data=st.data(), which=st.sampled_from(["base", "live"]), text=PROVIDER_DATA)
    def set_provider_data(self, data: st.DataObject, which: str, text: str) -> None:
        """``Terminal.setBaseData`` / ``setLiveData``: the provider runtime's own calls (the SDK
        leaves them out)."""
        everyone = list(self.cast.values())
        providers = [a for a in everyone if a.address in self.model.is_provider]
        provider = self.choose(data, "provider", providers, everyone)
        function = "setBaseData" if which == "base" else "setLiveData"
        terminal = self.sim.deployment.contracts["TERMINAL"]
        self.act(
            "set_provider_data",
            lambda: send(terminal, function, (text,), provider.account),
            lambda m, now: (m.set_base_data if which == "base" else m.set_live_data)(
                provider.address, text
            ),
            via=f"Terminal.{function}",
        )
