"""The Terminal's and the Manager's part of the model: pairing, agents, provider data, roles."""

from __future__ import annotations

from .records import DEFAULT_AGENT, ZERO_ADDRESS, require
from .state import ModelState

#: AccessControl's error when the caller lacks the role's admin role (a custom error).
UNAUTHORIZED = "AccessControlUnauthorizedAccount"


class TerminalModel(ModelState):
    """Pairing (``announceProvider``/``announceMaster``/``removeProvider``), agents, provider
    data and the Manager's role table."""

    def announce_provider(self, sender: str, provider: str, amount: int, value: int) -> None:
        """``Terminal.announceProvider(provider, amount)`` with ``msg.value == value``."""
        op = "announceProvider"
        require(provider != ZERO_ADDRESS, "InvalidAddress", op)
        require(value == amount, "InvalidAmount", op)
        require(sender not in self.is_provider, "NotMaster", op)
        require(self.master_of.get(provider, sender) == sender, "AlreadyPaired", op)
        self.is_provider.add(provider)
        self.pending_master_of[provider] = sender
        self.provider_of[sender] = provider
        if amount > 0:
            self._ledger(provider).lockup += amount
            self.vault_native += amount

    def announce_master(self, sender: str, master: str) -> None:
        """``Terminal.announceMaster(master)`` signed by the provider."""
        op = "announceMaster"
        require(sender in self.is_provider, "NotProvider", op)
        require(
            master != ZERO_ADDRESS and self.pending_master_of.get(sender) == master, "NotMaster", op
        )
        self.master_of[sender] = master
        self.is_master.add(master)
        self.provider_of[master] = sender

    def remove_provider(self, sender: str, provider: str) -> None:
        """``Terminal.removeProvider(provider)`` signed by its master (or pending master)."""
        op = "removeProvider"
        require(
            sender in (self.master_of.get(provider), self.pending_master_of.get(provider)),
            "NotMaster",
            op,
        )
        self.master_of.pop(provider, None)
        self.pending_master_of.pop(provider, None)
        self.provider_of.pop(sender, None)
        self.is_provider.discard(provider)
        self.is_master.discard(sender)

    def remove_container(self, sender: str, provider: str, source: str) -> None:
        """``Terminal.removeContainer(provider, source)``: only an event, by the paired master."""
        require(self.master_of.get(provider) == sender, "NotMaster", "removeContainer")

    def set_agent(self, sender: str, agent: str, value: bool) -> None:
        """``Terminal.setAgent(agent, value)``: ``agent`` acts for ``sender`` (or stops to)."""
        op = "setAgent"
        require(sender not in self.is_provider, "ProviderCannotSetAgent", op)
        require(agent != ZERO_ADDRESS, "InvalidAddress", op)
        if value:
            self.agents.add((sender, agent))
        else:
            self.agents.discard((sender, agent))

    def set_default_agent_disabled(self, sender: str, value: bool) -> None:
        """``Terminal.setDefaultAgentDisabled(value)``: anyone, for themselves."""
        if value:
            self.default_agent_disabled.add(sender)
        else:
            self.default_agent_disabled.discard(sender)

    def set_base_data(self, sender: str, data: str) -> None:
        """``Terminal.setBaseData(data)`` by a provider."""
        require(sender in self.is_provider, "NotProvider", "setBaseData")
        self.base_data[sender] = data

    def set_live_data(self, sender: str, data: str) -> None:
        """``Terminal.setLiveData(data)`` by a provider."""
        require(sender in self.is_provider, "NotProvider", "setLiveData")
        self.live_data[sender] = data

    def get_is_agent_of(self, principal: str, agent: str) -> bool:
        """``Terminal.getIsAgentOf``: the raw mapping, or the default agent unless disabled."""
        return self.is_agent_of(principal, agent) or (
            agent == DEFAULT_AGENT and principal not in self.default_agent_disabled
        )

    # ----------------------------------------------------------------- Manager
    def grant_role(self, sender: str, role: str, account: str) -> None:
        """``Manager.grantRole``: every role's admin role is DEFAULT_ADMIN_ROLE."""
        require(self.has_role("DEFAULT_ADMIN_ROLE", sender), UNAUTHORIZED, "grantRole")
        self.roles[role].add(account)

    def revoke_role(self, sender: str, role: str, account: str) -> None:
        """``Manager.revokeRole`` by a DEFAULT_ADMIN_ROLE holder."""
        require(self.has_role("DEFAULT_ADMIN_ROLE", sender), UNAUTHORIZED, "revokeRole")
        self.roles[role].discard(account)

    def renounce_role(self, sender: str, role: str, confirmation: str) -> None:
        """``Manager.renounceRole(role, callerConfirmation)``: only for oneself."""
        require(confirmation == sender, "AccessControlBadConfirmation", "renounceRole")
        self.roles[role].discard(sender)
