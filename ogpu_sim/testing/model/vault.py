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

    # ----------------------------------------------------------------- judge
    def _require_judge(self, sender: str, op: str) -> None:
        require(self.has_role("JUDGE", sender), "NotJudge", op)

    def _require_admin(self, sender: str, op: str) -> None:
        require(self.has_role("DEFAULT_ADMIN_ROLE", sender), "NotAdmin", op)

    def sanction(self, sender: str, account: str, amount: int) -> None:
        """``Vault.sanction(account, amount)`` by a JUDGE: lockup -> sanction."""
        self._require_judge(sender, "sanction")
        require(self.ledger(account).lockup >= amount, "InsufficientLockup", "sanction")
        ledger = self._ledger(account)
        ledger.lockup -= amount
        ledger.sanction += amount
        self.sanctioned_amount += amount

    def waive(self, sender: str, account: str, amount: int) -> None:
        """``Vault.waive(account, amount)`` by a JUDGE: sanction -> lockup."""
        self._require_judge(sender, "waive")
        require(self.ledger(account).sanction >= amount, "InsufficientSanction", "waive")
        ledger = self._ledger(account)
        ledger.sanction -= amount
        self.sanctioned_amount -= amount
        ledger.lockup += amount

    # ----------------------------------------------------------------- admin
    def withdraw_sanction_of(self, sender: str, account: str) -> int:
        """``Vault.withdrawSanctionOf(account)``: the sanction leaves the Vault to the admin."""
        self._require_admin(sender, "withdrawSanctionOf")
        ledger = self._ledger(account)
        amount, ledger.sanction = ledger.sanction, 0
        self.sanctioned_amount -= amount
        self.vault_native -= amount
        return amount

    def emergency_exit(self, sender: str, account: str) -> int:
        """``Vault.emergencyExit(account)``: balance, lockup and unbonding paid out at once."""
        self._require_admin(sender, "emergencyExit")
        ledger = self._ledger(account)
        amount = ledger.balance + ledger.lockup + ledger.unbonding
        ledger.balance = ledger.lockup = ledger.unbonding = ledger.unbonding_timestamp = 0
        self.vault_native -= amount
        return amount

    def set_unbonding_period(self, sender: str, period: int) -> None:
        """``Vault.setMaxUnbondingPeriod(period)``: later unbonds use the new period."""
        self._require_admin(sender, "setMaxUnbondingPeriod")
        self.unbonding_period = period

    def set_min_lockup_per_source(self, sender: str, amount: int) -> None:
        """``Vault.setMinLockupPerSource(amount)``: eligibility and registration use it."""
        self._require_admin(sender, "setMinLockupPerSource")
        self.min_lockup_per_source = amount

    def set_whitelist(self, sender: str, account: str, value: bool) -> None:
        """``Vault.setWhitelist(account, value)`` by the admin."""
        self._require_admin(sender, "setWhitelist")
        self._ledger(account).whitelisted = value
