"""Everything the chain exposes, as the model predicts it: the probes of one step.

:func:`expected_probes` turns a :class:`~ogpu_sim.testing.model.ProtocolModel` into one
:class:`~ogpu_sim.testing.probes.Probe` per public view the protocol has, for every account,
source, task and response the machine knows: each Vault bucket (with the unbonding timestamp,
earnings and sanctions), eligibility, the Terminal's pairing, agents and provider data, the
Manager's roles, the Nexus's source lists and counts, every instance contract's params,
statuses, arrays, ids and owner, and the wiring of the singletons.

The light set has every value kept in storage through one getter (between its full checks the
machine reads the ones whose prediction moved). The ``full`` set adds what cannot change
without a mutant in the getter itself, and costs twice the calls: the alias getters
(``getBalanceOf`` next to ``balanceOf``, ``status()`` next to ``getStatus()``, the per-index
array getters next to the paged ones), constants and wiring, roles no rule grants, and access
control: the privileged functions (the Vault's escrow plumbing, the judge's and admin's calls,
the owners' setters, the instance contracts' Nexus-only writes) are called from the batch
helper, an outsider, and must revert with their access reason. The machine reads the full set
before the first step of every example and every few checks after it, so a dropped modifier
or a broken alias fails the first check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from .model import DEFAULT_AGENT, ROLES, ZERO_ADDRESS, ProtocolModel
from .model.records import ResponseState, ResponseStatus, SourceState, TaskState
from .probes import ALL, Expect, Probe, custom_error, revert_data, submission_hash

ROLE_IDS: dict[str, bytes] = {
    "DEFAULT_ADMIN_ROLE": bytes(32),
    "JUDGE": keccak(text="JUDGE"),
    "CONTROLLER": keccak(text="CONTROLLER"),
}
PROVIDER_ROLE = keccak(text="PROVIDER")
assert set(ROLE_IDS) == set(ROLES)


@dataclass(frozen=True)
class World:
    """What the comparison needs besides the model.

    Attributes:
        addresses: the deployment's singletons (``MANAGER``, ``TERMINAL``, ``NEXUS``, ``VAULT``,
            ``CONTROLLER``).
        helper: the batch-read helper (the outsider of the access probes).
        accounts: accounts whose Vault, Terminal, Nexus and Manager entries are compared.
        providers: accounts looked up as registrants, attempters and responders.
        agents: accounts looked up as agents of every account.
    """

    addresses: Mapping[str, str]
    helper: str
    accounts: tuple[str, ...]
    providers: tuple[str, ...]
    agents: tuple[str, ...]


def expected_probes(model: ProtocolModel, world: World, full: bool = True) -> list[Probe]:
    """The probes of one check, with the model's answers.

    Args:
        model: the model the chain must equal.
        world: addresses and accounts to look at.
        full: add alias getters, constants, wiring and access control (see the module).
    """
    expect = Expect()
    _singletons(expect, model, world, full)
    for account in world.accounts:
        _account(expect, model, world, account, full)
    for source in model.sources.values():
        _source(expect, world, source, full)
    for task in model.tasks.values():
        _task(expect, world, task, full)
    for response in model.responses.values():
        _response(expect, world, response, full)
    if full:
        _access(expect, model, world)
    return expect.probes


def _singletons(expect: Expect, model: ProtocolModel, world: World, full: bool) -> None:
    a = world.addresses
    vault, terminal, nexus, manager = a["VAULT"], a["TERMINAL"], a["NEXUS"], a["MANAGER"]
    controller = a["CONTROLLER"]
    value = expect.value
    value("Vault", vault, "sanctionedAmount", (), model.sanctioned_amount)
    value("Vault", vault, "UNBONDING_PERIOD", (), model.unbonding_period)
    value("Vault", vault, "MIN_LOCKUP_PER_SOURCE", (), model.min_lockup_per_source)
    value("BatchRead", world.helper, "balanceOf", (vault,), model.vault_native)
    # the Nexus's source registry
    value("Nexus", nexus, "getSources", (0, ALL), tuple(model.source_list))
    expect.array("Nexus", nexus, "clients", (), model.clients)
    for index, source in enumerate(model.source_list):
        if source in model.sources:
            value("Nexus", nexus, "sourceId", (source,), index + 1)
    if not full:
        return
    value("Nexus", nexus, "getSourceCount", (), len(model.source_list))
    expect.array("Nexus", nexus, "sources", (), model.source_list)
    for index, source in enumerate(model.source_list):
        if source in model.sources:
            value("Nexus", nexus, "getSourceId", (source,), index + 1)
    for name, wiring in (
        ("Vault", {"manager": manager, "nexus": nexus, "terminal": terminal}),
        ("Terminal", {"manager": manager, "vault": vault, "owner": model.admin}),
        ("Nexus", {"manager": manager, "terminal": terminal, "vault": vault, "owner": model.admin}),
        (
            "Controller",
            {"nexus": nexus, "terminal": terminal, "vault": vault, "owner": model.admin},
        ),
    ):
        for getter, address in wiring.items():
            value(name, a[name.upper()], getter, (), address)
    value("Terminal", terminal, "PROVIDER", (), PROVIDER_ROLE)
    value("Nexus", nexus, "CONTROLLER", (), ROLE_IDS["CONTROLLER"])
    value("Nexus", nexus, "PROVIDER", (), PROVIDER_ROLE)
    for role, role_id in ROLE_IDS.items():
        value("Manager", manager, role, (), role_id)
        value("Manager", manager, "getRoleAdmin", (role_id,), bytes(32))
        for holder in (controller, nexus):
            value("Manager", manager, "hasRole", (role_id, holder), model.has_role(role, holder))
    value("Manager", manager, "PROVIDER", (), PROVIDER_ROLE)


def _account(expect: Expect, model: ProtocolModel, world: World, account: str, full: bool) -> None:
    a = world.addresses
    vault, terminal, nexus, manager = a["VAULT"], a["TERMINAL"], a["NEXUS"], a["MANAGER"]
    value = expect.value
    ledger = model.ledger(account)
    for getter, amount in (
        ("balanceOf", ledger.balance),
        ("lockupOf", ledger.lockup),
        ("unbondingOf", ledger.unbonding),
        ("unbondingTimestamp", ledger.unbonding_timestamp),
        ("frozenPayment", ledger.frozen),
        ("totalEarningsOf", ledger.earnings),
        ("sanctionOf", ledger.sanction),
        ("isWhitelisted", ledger.whitelisted),
        ("isEligible", model.is_eligible(account)),
    ):
        value("Vault", vault, getter, (account,), amount)
    master = model.master_of.get(account, ZERO_ADDRESS)
    for getter, answer in (
        ("isProvider", account in model.is_provider),
        ("isMaster", account in model.is_master),
        ("masterOf", master),
        ("providerOf", model.provider_of.get(account, ZERO_ADDRESS)),
        ("defaultAgentDisabled", account in model.default_agent_disabled),
        ("baseDataOf", model.base_data.get(account, "")),
        ("liveDataOf", model.live_data.get(account, "")),
    ):
        value("Terminal", terminal, getter, (account,), answer)
    for agent in world.agents:
        is_agent = model.is_agent_of(account, agent)
        value("Terminal", terminal, "isAgentOf", (account, agent), is_agent)
    default = model.get_is_agent_of(account, DEFAULT_AGENT)
    value("Terminal", terminal, "getIsAgentOf", (account, DEFAULT_AGENT), default)
    active = model.active_source_count(account)
    value("Nexus", nexus, "activeSourceCountOf", (account,), active)
    expect.array("Nexus", nexus, "sourcesOf", (account,), model.sources_of.get(account, []))
    judge = model.has_role("JUDGE", account)
    value("Manager", manager, "hasRole", (ROLE_IDS["JUDGE"], account), judge)
    if not full:
        return
    value("Vault", vault, "getBalanceOf", (account,), ledger.balance)
    value("Vault", vault, "getLockupOf", (account,), ledger.lockup)
    value("Terminal", terminal, "getIsMaster", (account,), account in model.is_master)
    value("Terminal", terminal, "getMasterOf", (account,), master)
    for agent in world.agents:
        is_agent = model.get_is_agent_of(account, agent)
        value("Terminal", terminal, "getIsAgentOf", (account, agent), is_agent)
    value("Nexus", nexus, "getActiveSourceCount", (account,), active)
    value("Nexus", nexus, "checkController", (account,), model.has_role("CONTROLLER", account))
    for role in ("DEFAULT_ADMIN_ROLE", "CONTROLLER"):
        held = model.has_role(role, account)
        value("Manager", manager, "hasRole", (ROLE_IDS[role], account), held)


def _source(expect: Expect, world: World, source: SourceState, full: bool) -> None:
    at, value = source.address, expect.value
    p = source.params
    params = (
        p.client,
        p.image_metadata_url,
        p.image_environments,
        p.min_payment,
        p.min_available_lockup,
        p.max_expiry_duration,
        p.privacy_enabled,
        p.optional_params_url,
        int(p.delivery_method.value),
        p.last_update_time,
    )
    value("Source", at, "getSourceParams", (), params)
    value("Source", at, "getStatus", (), int(source.status))
    value("Source", at, "getTasks", (0, ALL), tuple(source.tasks))
    value("Source", at, "getRegistrants", (0, ALL), tuple(source.registrant_list))
    for provider in world.providers:
        registered = provider in source.registrants
        rid = source.registrant_list.index(provider) + 1 if registered else 0
        value("Source", at, "registrantId", (provider,), rid)
        environment = source.registrants.get(provider, 0)
        value("Source", at, "preferredEnvironmentOf", (provider,), environment)
        if full:
            value("Source", at, "getRegistrantId", (provider,), rid)
    if not full:
        return
    value("Source", at, "sourceParams", (), params)
    value("Source", at, "getClient", (), p.client)
    value("Source", at, "status", (), int(source.status))
    value("Source", at, "owner", (), source.owner)
    value("Source", at, "nexus", (), world.addresses["NEXUS"])
    value("Source", at, "getTaskCount", (), len(source.tasks))
    expect.array("Source", at, "tasks", (), source.tasks)
    value("Source", at, "getRegistrantCount", (), len(source.registrant_list))
    expect.array("Source", at, "registrants", (), source.registrant_list)


def _task(expect: Expect, world: World, task: TaskState, full: bool) -> None:
    at, value = task.address, expect.value
    value("Task", at, "taskParams", (), (task.source, task.config, task.expiry_time, task.payment))
    value("Task", at, "getStatus", (), int(task.status))
    value("Task", at, "deliveryMethod", (), int(task.delivery_method.value))
    value("Task", at, "winningProvider", (), task.winner or ZERO_ADDRESS)
    value("Task", at, "getAttempters", (0, ALL), tuple(task.attempters))
    value("Task", at, "getAttemptTimestamps", (0, ALL), tuple(task.attempt_times))
    for provider in world.providers:
        aid = task.attempters.index(provider) + 1 if provider in task.attempters else 0
        value("Task", at, "attempterId", (provider,), aid)
        value("Task", at, "responseOf", (provider,), task.responses.get(provider, ZERO_ADDRESS))
        if full:
            value("Task", at, "getAttempterId", (provider,), aid)
    for provider, data in sorted(task.submitted_data):
        value("Task", at, "isAlreadySubmitted", (submission_hash(provider, data),), True)
    if not full:
        return
    value("Task", at, "getSource", (), task.source)
    value("Task", at, "status", (), int(task.status))
    value("Task", at, "getPayment", (), task.payment)
    value("Task", at, "getExpiryTime", (), task.expiry_time)
    value("Task", at, "getDeliveryMethod", (), int(task.delivery_method.value))
    value("Task", at, "owner", (), world.addresses["NEXUS"])
    value("Task", at, "getAttemptCount", (), len(task.attempters))
    expect.array("Task", at, "attempters", (), task.attempters)
    expect.array("Task", at, "attemptTimestamps", (), task.attempt_times)
    responses = tuple(task.responses.get(p, ZERO_ADDRESS) for p in task.attempters)
    value("Task", at, "getResponsesOf", (0, ALL), responses)


def _response(expect: Expect, world: World, response: ResponseState, full: bool) -> None:
    at, value = response.address, expect.value
    params = (response.task, response.provider, response.data, response.payment)
    value("Response", at, "getResponseParams", (), params)
    value("Response", at, "getStatus", (), int(response.status))
    value("Response", at, "confirmedFinal", (), response.status == ResponseStatus.CONFIRMED)
    value("Response", at, "responseTimestamp", (), response.timestamp)
    if not full:
        return
    value("Response", at, "responseParams", (), params)
    value("Response", at, "status", (), int(response.status))
    value("Response", at, "owner", (), world.addresses["NEXUS"])


def _access(expect: Expect, model: ProtocolModel, world: World) -> None:
    """The privileged writes, called by the helper (an outsider): each must refuse it."""
    a, me = world.addresses, world.helper
    vault, terminal, nexus, manager = a["VAULT"], a["TERMINAL"], a["NEXUS"], a["MANAGER"]
    controller = a["CONTROLLER"]
    not_owner = custom_error("OwnableUnauthorizedAccount(address)", (me,))
    unauthorized = custom_error(
        "AccessControlUnauthorizedAccount(address,bytes32)", (me, ROLE_IDS["DEFAULT_ADMIN_ROLE"])
    )
    task = next(iter(model.tasks), me)
    source = next(iter(model.sources), None)
    refused = expect.revert
    vault_writes: list[tuple[str, tuple[Any, ...], str]] = [
        ("freezePayment", (me, task, 0), "NotController"),
        ("processPayment", (me, me, task, 0), "NotController"),
        ("releasePayment", (me, task), "NotController"),
        ("forceReleasePayment", (me, task), "NotJudge"),
        ("sanction", (me, 0), "NotJudge"),
        ("waive", (me, 0), "NotJudge"),
        ("withdrawSanctionOf", (me,), "NotAdmin"),
        ("emergencyExit", (me,), "NotAdmin"),
        ("setMaxUnbondingPeriod", (0,), "NotAdmin"),
        ("setMinLockupPerSource", (0,), "NotAdmin"),
        ("setWhitelist", (me, True), "NotAdmin"),
        ("setTerminal", (me,), "NotAdmin"),
    ]
    for function, args, reason in vault_writes:
        refused("Vault", vault, function, args, revert_data(reason))
    refused("Nexus", nexus, "emitTaskPublished", (me, me), revert_data("NotController"))
    refused("Nexus", nexus, "setTaskStatus", (task, 0), revert_data("NotController"))
    for response in list(model.responses)[:1]:
        refused("Nexus", nexus, "setResponseStatus", (response, 0), revert_data("NotController"))
    if source is not None:
        refused("Nexus", nexus, "setSourceStatus", (source, 0), revert_data("NotController"))
    owned = {
        "Nexus": (nexus, ("setManager", "setTerminal", "setVault")),
        "Controller": (controller, ("setNexus", "setTerminal", "setVault")),
        "Terminal": (terminal, ("setManager", "setVault")),
    }
    for contract, (address, setters) in owned.items():
        for setter in (*setters, "transferOwnership"):
            refused(contract, address, setter, (me,), not_owner)
        refused(contract, address, "renounceOwnership", (), not_owner)
    refused("Terminal", terminal, "setBaseData", ("x",), revert_data("NotProvider"))
    refused("Terminal", terminal, "setLiveData", ("x",), revert_data("NotProvider"))
    refused("Manager", manager, "grantRole", (ROLE_IDS["JUDGE"], me), unauthorized)
    refused("Manager", manager, "revokeRole", (ROLE_IDS["JUDGE"], model.admin), unauthorized)
    bad_confirmation = custom_error("AccessControlBadConfirmation()")
    refused("Manager", manager, "renounceRole", (ROLE_IDS["JUDGE"], model.admin), bad_confirmation)
    if source is not None:
        state = model.sources[source]
        p = state.params
        params = (p.client, "", 1, 0, 0, 1, False, "", 0, 0)
        source_writes: list[tuple[str, tuple[Any, ...], bytes]] = [
            ("setSourceParams", (params,), revert_data("NotNexus")),
            ("publishTask", (me,), revert_data("NotNexus")),
            ("register", (me, 1), revert_data("NotNexus")),
            ("unregister", (me,), revert_data("NotNexus")),
            ("setStatus", (1,), revert_data("NotOwner")),
            ("transferOwnership", (me,), not_owner),
            ("renounceOwnership", (), not_owner),
        ]
        for function, args, data in source_writes:
            refused("Source", source, function, args, data)
    task_writes: list[tuple[str, tuple[Any, ...]]] = [
        ("attempt", (me,)),
        ("submitResponse", (me, me)),
        ("setStatus", (0,)),
        ("transferOwnership", (me,)),
        ("renounceOwnership", ()),
    ]
    for task_address in list(model.tasks)[:1]:
        for function, args in task_writes:
            refused("Task", task_address, function, args, not_owner)
    response_writes: list[tuple[str, tuple[Any, ...]]] = [
        ("confirm", ()),
        ("setStatus", (0,)),
        ("transferOwnership", (me,)),
        ("renounceOwnership", ()),
    ]
    for response in list(model.responses)[:1]:
        for function, args in response_writes:
            refused("Response", response, function, args, not_owner)
