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

The probes come in parts (:func:`probe_sections`: the singletons, each account, source, task
and response, the access checks), each built from the model's values it reads (its facts),
so a machine rebuilds a part only when its facts change.

Over 400 lines: every view the protocol exposes is listed here, next to the model's answer
and the facts it comes from, one builder per part.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from .model import DEFAULT_AGENT, ROLES, ZERO_ADDRESS, ProtocolModel
from .model.records import ResponseState, ResponseStatus, SourceState, TaskState
from .probes import (
    ALL,
    Expect,
    Probe,
    Section,
    custom_error,
    neighbourhood,
    revert_data,
    section_part,
    submission_hash,
)

#: The Vault's per-account getters of the ledger the model keeps (the order its facts are read).
VAULT_LEDGER_GETTERS = (
    "balanceOf",
    "lockupOf",
    "unbondingOf",
    "unbondingTimestamp",
    "frozenPayment",
    "totalEarningsOf",
    "sanctionOf",
    "isWhitelisted",
)

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
    return [probe for section in probe_sections(model, world, full) for probe in section.probes]


Builder = Callable[[Expect, World, bool, Any], None]
#: Sections a memo keeps at most before it starts again (a long run would grow it unbounded).
MEMO_SIZE = 4096


def probe_sections(
    model: ProtocolModel,
    world: World,
    full: bool = True,
    memo: dict[Hashable, Section] | None = None,
) -> list[Section]:
    """:func:`expected_probes` cut into its sections, each built from the facts it reads.

    A part's probes depend only on its facts (the model's values it reads, gathered first), so
    with a ``memo`` (one per ``world``) a part whose facts are those of an earlier check is that
    check's very :class:`Section` object, built once: a machine's check rebuilds only what the
    step changed, and :func:`~ogpu_sim.testing.probes.unverified_sections` skips the rest.

    Args:
        model: the model the chain must equal.
        world: addresses and accounts to look at (the same for every call with one ``memo``).
        full: add alias getters, constants, wiring and access control (see the module).
        memo: sections by their facts, kept between calls (None: build every section).
    """
    # (kind, identity, facts, builder, what the builder reads: the facts or the record)
    parts: list[tuple[str, str, Hashable, Builder, Any]] = []
    facts: Hashable = _singleton_facts(model, world, full)
    parts.append(("singletons", "", facts, _singletons, facts))
    active = model.active_source_counts()
    for account in world.accounts:
        facts = _account_facts(model, world, account, full, active.get(account, 0))
        parts.append(("account", account, facts, _account, facts))
    for source in model.sources.values():
        parts.append(("source", source.address, _frozen(source), _source, source))
    for task in model.tasks.values():
        parts.append(("task", task.address, _frozen(task), _task, task))
    for response in model.responses.values():
        parts.append(("response", response.address, _frozen(response), _response, response))
    if full:
        facts = _access_facts(model, world)
        parts.append(("access", "", facts, _access, facts))
    if memo is not None and len(memo) > MEMO_SIZE:
        memo.clear()
    sections = []
    for kind, ident, facts, build, subject in parts:
        memo_key = (kind, full, facts)
        section = memo.get(memo_key) if memo is not None else None
        if section is None:
            expect = Expect()
            build(expect, world, full, subject)
            probes = tuple(expect.probes)
            key = (kind, ident) if ident else (kind,)
            calls = tuple(p.call() for p in probes)
            hoods = frozenset(neighbourhood(p) for p in probes)
            part = section_part(probes, calls) if full else None  # a full check reads it whole
            section = Section(key, probes, hoods, calls, part)
            if memo is not None:
                memo[memo_key] = section
        sections.append(section)
    return sections


#: Field types a record's facts keep as they are: the plain ones, then every type
#: :func:`_freeze` met that is no list, dict or set (an enum status, a frozen dataclass...).
_AS_IS: set[type] = {int, str, bool, bytes, type(None)}


def _freeze(value: Any) -> Hashable:
    if type(value) in _AS_IS:
        return value  # type: ignore[no-any-return]
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(value.items())
    if isinstance(value, set):
        return frozenset(value)
    _AS_IS.add(type(value))
    return value  # type: ignore[no-any-return]


def _frozen(state: Any) -> tuple[Any, ...]:
    """A record (source, task, response) as hashable facts: every field, lists as tuples.

    Its section's builder reads the record itself, so every field is a fact; they are
    copied, as the model changes records in place."""
    as_is = _AS_IS
    return (type(state), *[v if type(v) in as_is else _freeze(v) for v in vars(state).values()])


def _singleton_facts(model: ProtocolModel, world: World, full: bool) -> tuple[Any, ...]:
    a = world.addresses
    holders = (a["CONTROLLER"], a["NEXUS"])
    return (
        model.sanctioned_amount,
        model.unbonding_period,
        model.min_lockup_per_source,
        model.vault_native,
        tuple(model.source_list),
        tuple(model.clients),
        tuple((s, i + 1) for i, s in enumerate(model.source_list) if s in model.sources),
        model.admin,
        tuple(model.has_role(r, h) for r in ROLE_IDS for h in holders) if full else (),
    )


def _singletons(expect: Expect, world: World, full: bool, facts: tuple[Any, ...]) -> None:
    sanctioned, unbonding_period, min_lockup, native, source_list, clients, ids = facts[:7]
    admin, roles_held = facts[7:]
    a = world.addresses
    vault, terminal, nexus, manager = a["VAULT"], a["TERMINAL"], a["NEXUS"], a["MANAGER"]
    controller = a["CONTROLLER"]
    value = expect.value
    value("Vault", vault, "sanctionedAmount", (), sanctioned)
    value("Vault", vault, "UNBONDING_PERIOD", (), unbonding_period)
    value("Vault", vault, "MIN_LOCKUP_PER_SOURCE", (), min_lockup)
    value("BatchRead", world.helper, "balanceOf", (vault,), native)
    # the Nexus's source registry
    value("Nexus", nexus, "getSources", (0, ALL), source_list)
    expect.array("Nexus", nexus, "clients", (), clients)
    for source, source_id in ids:
        value("Nexus", nexus, "sourceId", (source,), source_id)
    if not full:
        return
    value("Nexus", nexus, "getSourceCount", (), len(source_list))
    expect.array("Nexus", nexus, "sources", (), source_list)
    for source, source_id in ids:
        value("Nexus", nexus, "getSourceId", (source,), source_id)
    for name, wiring in (
        ("Vault", {"manager": manager, "nexus": nexus, "terminal": terminal}),
        ("Terminal", {"manager": manager, "vault": vault, "owner": admin}),
        ("Nexus", {"manager": manager, "terminal": terminal, "vault": vault, "owner": admin}),
        (
            "Controller",
            {"nexus": nexus, "terminal": terminal, "vault": vault, "owner": admin},
        ),
    ):
        for getter, address in wiring.items():
            value(name, a[name.upper()], getter, (), address)
    value("Terminal", terminal, "PROVIDER", (), PROVIDER_ROLE)
    value("Nexus", nexus, "CONTROLLER", (), ROLE_IDS["CONTROLLER"])
    value("Nexus", nexus, "PROVIDER", (), PROVIDER_ROLE)
    held = iter(roles_held)
    for role, role_id in ROLE_IDS.items():
        value("Manager", manager, role, (), role_id)
        value("Manager", manager, "getRoleAdmin", (role_id,), bytes(32))
        for holder in (controller, nexus):
            value("Manager", manager, "hasRole", (role_id, holder), next(held))
    value("Manager", manager, "PROVIDER", (), PROVIDER_ROLE)


def _account_facts(
    model: ProtocolModel, world: World, account: str, full: bool, active_sources: int
) -> tuple[Any, ...]:
    ledger = model.ledger(account)
    facts = (
        account,
        ledger.balance,
        ledger.lockup,
        ledger.unbonding,
        ledger.unbonding_timestamp,
        ledger.frozen,
        ledger.earnings,
        ledger.sanction,
        ledger.whitelisted,
        model.is_eligible(account),
        account in model.is_provider,
        account in model.is_master,
        model.master_of.get(account, ZERO_ADDRESS),
        model.provider_of.get(account, ZERO_ADDRESS),
        account in model.default_agent_disabled,
        model.base_data.get(account, ""),
        model.live_data.get(account, ""),
        tuple(model.is_agent_of(account, agent) for agent in world.agents),
        model.get_is_agent_of(account, DEFAULT_AGENT),
        active_sources,
        tuple(model.sources_of.get(account, [])),
        model.has_role("JUDGE", account),
    )
    if not full:
        return facts
    return (
        *facts,
        tuple(model.get_is_agent_of(account, agent) for agent in world.agents),
        model.has_role("CONTROLLER", account),
        model.has_role("DEFAULT_ADMIN_ROLE", account),
    )


def _account(expect: Expect, world: World, full: bool, facts: tuple[Any, ...]) -> None:
    account = facts[0]
    a = world.addresses
    vault, terminal, nexus, manager = a["VAULT"], a["TERMINAL"], a["NEXUS"], a["MANAGER"]
    value = expect.value
    vault_getters = (*VAULT_LEDGER_GETTERS, "isEligible")
    for getter, answer in zip(vault_getters, facts[1:10], strict=True):
        value("Vault", vault, getter, (account,), answer)
    terminal_getters = (
        "isProvider",
        "isMaster",
        "masterOf",
        "providerOf",
        "defaultAgentDisabled",
        "baseDataOf",
        "liveDataOf",
    )
    for getter, answer in zip(terminal_getters, facts[10:17], strict=True):
        value("Terminal", terminal, getter, (account,), answer)
    is_agent, default, active, sources_of, judge = facts[17:22]
    for agent, answer in zip(world.agents, is_agent, strict=True):
        value("Terminal", terminal, "isAgentOf", (account, agent), answer)
    value("Terminal", terminal, "getIsAgentOf", (account, DEFAULT_AGENT), default)
    value("Nexus", nexus, "activeSourceCountOf", (account,), active)
    expect.array("Nexus", nexus, "sourcesOf", (account,), sources_of)
    value("Manager", manager, "hasRole", (ROLE_IDS["JUDGE"], account), judge)
    if not full:
        return
    get_is_agent, controller, admin = facts[22:]
    value("Vault", vault, "getBalanceOf", (account,), facts[1])
    value("Vault", vault, "getLockupOf", (account,), facts[2])
    value("Terminal", terminal, "getIsMaster", (account,), facts[11])
    value("Terminal", terminal, "getMasterOf", (account,), facts[12])
    for agent, answer in zip(world.agents, get_is_agent, strict=True):
        value("Terminal", terminal, "getIsAgentOf", (account, agent), answer)
    value("Nexus", nexus, "getActiveSourceCount", (account,), active)
    value("Nexus", nexus, "checkController", (account,), controller)
    value("Manager", manager, "hasRole", (ROLE_IDS["DEFAULT_ADMIN_ROLE"], account), admin)
    value("Manager", manager, "hasRole", (ROLE_IDS["CONTROLLER"], account), controller)


def _source(expect: Expect, world: World, full: bool, source: SourceState) -> None:
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


def _task(expect: Expect, world: World, full: bool, task: TaskState) -> None:
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


def _response(expect: Expect, world: World, full: bool, response: ResponseState) -> None:
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


def _access_facts(model: ProtocolModel, world: World) -> tuple[Any, ...]:
    task = next(iter(model.tasks), None)
    source = next(iter(model.sources), None)
    client = model.sources[source].params.client if source is not None else None
    return task, source, client, next(iter(model.responses), None), model.admin


def _access(expect: Expect, world: World, full: bool, facts: tuple[Any, ...]) -> None:
    """The privileged writes, called by the helper (an outsider): each must refuse it."""
    first_task, source, client, first_response, admin = facts
    a, me = world.addresses, world.helper
    vault, terminal, nexus, manager = a["VAULT"], a["TERMINAL"], a["NEXUS"], a["MANAGER"]
    controller = a["CONTROLLER"]
    not_owner = custom_error("OwnableUnauthorizedAccount(address)", (me,))
    unauthorized = custom_error(
        "AccessControlUnauthorizedAccount(address,bytes32)", (me, ROLE_IDS["DEFAULT_ADMIN_ROLE"])
    )
    task = first_task or me
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
    for response in [first_response] if first_response else []:
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
    refused("Manager", manager, "revokeRole", (ROLE_IDS["JUDGE"], admin), unauthorized)
    bad_confirmation = custom_error("AccessControlBadConfirmation()")
    refused("Manager", manager, "renounceRole", (ROLE_IDS["JUDGE"], admin), bad_confirmation)
    if source is not None:
        params = (client, "", 1, 0, 0, 1, False, "", 0, 0)
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
    for task_address in [first_task] if first_task else []:
        for function, args in task_writes:
            refused("Task", task_address, function, args, not_owner)
    response_writes: list[tuple[str, tuple[Any, ...]]] = [
        ("confirm", ()),
        ("setStatus", (0,)),
        ("transferOwnership", (me,)),
        ("renounceOwnership", ()),
    ]
    for response in [first_response] if first_response else []:
        for function, args in response_writes:
            refused("Response", response, function, args, not_owner)
