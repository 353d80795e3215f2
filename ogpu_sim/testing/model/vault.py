"""The Vault's part of the model: balances, lockup and unbonding, sanctions, whitelist."""

from __future__ import annotations

from .records import require
from .state import ModelState


class VaultModel(ModelState):
    """Vault user operations and the judge's and admin's."""

    def deposit(self, sender: str, account: str, value: int) -> None:
        """``Vault.deposit{value}(account)`` by anyone but the Terminal: credits the balance."""
        require(value > 0, "ZeroAmount", "deposit")
        self._ledger(account).balance += value
        self.vault_native += value

    def withdraw(self, sender: str, amount: int) -> None:
        """``Vault.withdraw(amount)``: liquid balance back to the sender's wallet."""
        require(self.ledger(sender).balance >= amount, "InsufficientBalance", "withdraw")
        self._ledger(sender).balance -= amount
        self.vault_native -= amount

    def lock(self, sender: str, amount: int) -> None:
        """``Vault.lock(amount)``: balance -> lockup."""
        require(self.ledger(sender).balance >= amount, "InsufficientBalance", "lock")
        ledger = self._ledger(sender)
        ledger.balance -= amount
        ledger.lockup += amount

    def unbond(self, sender: str, amount: int, now: int) -> None:
        """``Vault.unbond(amount)``: lockup -> unbonding; restarts the whole bucket's clock."""
        require(self.ledger(sender).lockup >= amount, "InsufficientLockup", "unbond")
        ledger = self._ledger(sender)
        ledger.lockup -= amount
        ledger.unbonding += amount
        ledger.unbonding_timestamp = now + self.unbonding_period

    def cancel_unbonding(self, sender: str) -> None:
        """``Vault.cancelUnbonding()``: unbonding -> lockup."""
        require(self.ledger(sender).unbonding > 0, "NothingUnbonding", "cancelUnbonding")
        ledger = self._ledger(sender)
        ledger.lockup += ledger.unbonding
        ledger.unbonding = 0
        ledger.unbonding_timestamp = 0

    def claim(self, sender: str, now: int) -> int:
        """``Vault.claim()``: matured unbonding -> liquid balance; returns the amount."""
        ledger = self.ledger(sender)
        require(ledger.unbonding > 0, "NothingToClaim", "claim")
        require(now >= ledger.unbonding_timestamp, "UnbondingNotElapsed", "claim")
        ledger = self._ledger(sender)
        amount = ledger.unbonding
        ledger.balance += amount
        ledger.unbonding = 0
        ledger.unbonding_timestamp = 0
        return amount

    def sanction(self, sender: str, account: str, amount: int) -> None:
        """``Vault.sanction(account, amount)`` by the JUDGE: lockup -> sanction."""
        require(sender == self.admin, "NotJudge", "sanction")
        require(self.ledger(account).lockup >= amount, "InsufficientLockup", "sanction")
        ledger = self._ledger(account)
        ledger.lockup -= amount
        ledger.sanction += amount

    def waive(self, sender: str, account: str, amount: int) -> None:
        """``Vault.waive(account, amount)`` by the JUDGE: sanction -> lockup."""
        require(sender == self.admin, "NotJudge", "waive")
        require(self.ledger(account).sanction >= amount, "InsufficientSanction", "waive")
        ledger = self._ledger(account)
        ledger.sanction -= amount
        ledger.lockup += amount

    def set_whitelist(self, sender: str, account: str, value: bool) -> None:
        """``Vault.setWhitelist(account, value)`` by the admin."""
        require(sender == self.admin, "NotAdmin", "setWhitelist")
        self._ledger(account).whitelisted = value
