"""The mutants: plausible one-line bugs in our contracts, at least two per contract.

Each is a textual patch (``old`` must occur exactly once in ``contracts/<file>``): a dropped
``require``, a wrong comparison, a missing or doubled ledger update, a wrong recipient, a
skipped status change. The suite expects the LifecycleMachine's CI profile to catch every one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """A bug: replace ``old`` (which must occur exactly once) by ``new`` in ``file``."""

    name: str
    bug: str
    file: str
    old: str
    new: str

    @property
    def contract(self) -> str:
        """The contract the bug is in (its file's name)."""
        return self.file.removesuffix(".sol")


MUTANTS = (
    # -- Vault --------------------------------------------------------------------------------
    Mutant(
        "stake_credited_as_balance",
        "a master's announceProvider stake is credited to the liquid balance, not the lockup",
        "Vault.sol",
        "if (msg.sender == terminal) {",
        "if (msg.sender == address(0)) {",
    ),
    Mutant(
        "claim_one_second_late",
        "claim reverts in the very second the unbonding matures (> instead of >=)",
        "Vault.sol",
        'require(block.timestamp >= unbondingTimestamp[msg.sender], "UnbondingNotElapsed");',
        'require(block.timestamp > unbondingTimestamp[msg.sender], "UnbondingNotElapsed");',
    ),
    Mutant(
        "cancel_unbonding_keeps_the_clock",
        "cancelUnbonding leaves the unbonding timestamp set",
        "Vault.sol",
        "        unbondingTimestamp[msg.sender] = 0;\n        emit UnbondingCanceled",
        "        emit UnbondingCanceled",
    ),
    Mutant(
        "earnings_not_counted",
        "processPayment pays the provider but never adds to its total earnings",
        "Vault.sol",
        "        totalEarningsOf[provider] += amount;\n",
        "",
    ),
    Mutant(
        "withdrawn_sanction_stays_on_the_books",
        "withdrawSanctionOf pays the sanction out but leaves it in the account's ledger",
        "Vault.sol",
        "        sanctionOf[account] = 0;\n",
        "",
    ),
    # -- Nexus --------------------------------------------------------------------------------
    Mutant(
        "sanctioned_provider_attempts",
        "attempt no longer checks that the provider is eligible (a sanctioned one may work)",
        "Nexus.sol",
        '        require(IVaultOps(vault).isEligible(provider), "NotEligible");\n',
        "",
    ),
    Mutant(
        "submission_key_forgets_the_provider",
        "the already-submitted key hashes only the data, not the provider with it",
        "Nexus.sol",
        "keccak256(abi.encodePacked(provider, _responseParams.data))",
        "keccak256(abi.encodePacked(_responseParams.data))",
    ),
    Mutant(
        "inactive_source_still_counted",
        "closing a source does not lower its client's active source count",
        "Nexus.sol",
        "            activeSourceCountOf[client] -= 1;\n",
        "",
    ),
    # -- Controller ---------------------------------------------------------------------------
    Mutant(
        "cancel_forgets_refund",
        "cancelling a task never refunds the escrow (it stays frozen)",
        "Controller.sol",
        "        INexusOps(nexus).setTaskStatus(task, TaskStatus.CANCELED);\n"
        "        IVaultOps(vault).releasePayment(client, task);\n",
        "        INexusOps(nexus).setTaskStatus(task, TaskStatus.CANCELED);\n",
    ),
    Mutant(
        "cancel_after_attempt",
        "a client may cancel a task after providers attempted it (until it is final)",
        "Controller.sol",
        'require(ITaskOps(task).getStatus() == TaskStatus.NEW, "AlreadyFinalized");',
        'require(ITaskOps(task).getStatus() <= TaskStatus.RESPONDED, "AlreadyFinalized");',
    ),
    Mutant(
        "anyone_confirms",
        "confirmResponse no longer checks that the caller is the task's client or its agent",
        "Controller.sol",
        '            "UnknownResponse"\n        );\n'
        '        require(_isPrincipalOrAgent(client), "NotOwner");\n',
        '            "UnknownResponse"\n        );\n',
    ),
    Mutant(
        "confirmation_pays_the_client",
        "a confirmed response's payment goes to the client instead of the provider",
        "Controller.sol",
        "processPayment(client, rp.provider, task, rp.payment);",
        "processPayment(client, client, task, rp.payment);",
    ),
    # -- Terminal -----------------------------------------------------------------------------
    Mutant(
        "provider_sets_an_agent",
        "a provider may authorise an agent (only clients and masters may)",
        "Terminal.sol",
        '        require(!isProvider[msg.sender], "ProviderCannotSetAgent");\n',
        "",
    ),
    Mutant(
        "removed_provider_stays_a_provider",
        "removeProvider unpairs the provider but leaves its provider flag set",
        "Terminal.sol",
        "        isProvider[provider] = false;\n",
        "",
    ),
    Mutant(
        "anyone_removes_a_container",
        "removeContainer no longer checks that the caller is the provider's master",
        "Terminal.sol",
        '        require(masterOf[provider] == msg.sender, "NotMaster");\n',
        "",
    ),
    # -- Source -------------------------------------------------------------------------------
    Mutant(
        "moved_registrant_keeps_its_old_id",
        "unregister swaps the last registrant into the hole but does not update its id",
        "Source.sol",
        "            registrantId[moved] = id;\n",
        "",
    ),
    Mutant(
        "closed_source_reopened_by_its_owner",
        "Source.setStatus no longer refuses a client on an inactive source",
        "Source.sol",
        '        require(status == SourceStatus.ACTIVE, "SourceInactive");\n',
        "",
    ),
    # -- Task ---------------------------------------------------------------------------------
    Mutant(
        "attempt_time_not_recorded",
        "an attempt is recorded without its timestamp",
        "Task.sol",
        "        attemptTimestamps.push(block.timestamp);\n",
        "",
    ),
    Mutant(
        "first_response_pays_twice",
        "a second FIRST_RESPONSE racer is settled on a task that is already finalized",
        "Task.sol",
        "        _requireOpen(current);\n"
        '        require(block.timestamp <= taskParams.expiryTime, "Expired");\n',
        "        if (current != TaskStatus.FINALIZED) _requireOpen(current);\n"
        '        require(block.timestamp <= taskParams.expiryTime, "Expired");\n',
    ),
    Mutant(
        "no_response_in_the_last_second",
        "submitResponse rejects a response in the expiry second itself (< instead of <=)",
        "Task.sol",
        'require(block.timestamp <= taskParams.expiryTime, "Expired");',
        'require(block.timestamp < taskParams.expiryTime, "Expired");',
    ),
    # -- Response -----------------------------------------------------------------------------
    Mutant(
        "confirmed_but_not_final",
        "Response.confirm sets the status but not confirmedFinal",
        "Response.sol",
        "        confirmedFinal = true;\n",
        "",
    ),
    Mutant(
        "forced_status_stays_final",
        "setResponseStatus leaves confirmedFinal true whatever status it sets",
        "Response.sol",
        "confirmedFinal = _status == ResponseStatus.CONFIRMED;",
        "confirmedFinal = true;",
    ),
    # -- Manager ------------------------------------------------------------------------------
    Mutant(
        "deployer_not_a_judge",
        "the deployer is not granted JUDGE (no sanction can be imposed)",
        "Manager.sol",
        "        _grantRole(JUDGE, msg.sender);\n",
        "",
    ),
    Mutant(
        "anyone_grants_roles",
        "grantRole is overridden without the role-admin check",
        "Manager.sol",
        "    constructor() {",
        "    function grantRole(bytes32 role, address account) public override {"
        " _grantRole(role, account); }\n\n    constructor() {",
    ),
)

#: A mutant of a contract that others deploy with ``new`` also changes those contracts' code.
EMBEDDED_IN = {
    "Task.sol": ("Controller.sol",),
    "Source.sol": ("Nexus.sol",),
    "Response.sol": ("Nexus.sol",),
}
