"""The Terminal's part of the model: provider/master pairing and agents."""

from __future__ import annotations

from .records import ZERO_ADDRESS, require
from .state import ModelState


class TerminalModel(ModelState):
    """Pairing (``announceProvider``/``announceMaster``/``removeProvider``) and agents."""

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
        require(self.pending_master_of.get(sender) == master, "NotMaster", op)
        self.master_of[sender] = master
        self.is_master.add(master)
        self.provider_of[master] = sender

    def remove_provider(self, sender: str, provider: str) -> None:
        """``Terminal.removeProvider(provider)`` signed by its master."""
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

    def set_agent(self, sender: str, agent: str, value: bool) -> None:
        """``Terminal.setAgent(agent, value)``: ``agent`` acts for ``sender`` (or stops to)."""
        op = "setAgent"
        require(sender not in self.is_provider, "ProviderCannotSetAgent", op)
        require(agent != ZERO_ADDRESS, "InvalidAddress", op)
        if value:
            self.agents.add((sender, agent))
        else:
            self.agents.discard((sender, agent))
