"""Every privileged function refuses an unprivileged caller, with the documented error.

String reasons on protocol paths, OpenZeppelin custom errors on Ownable/AccessControl admin
paths (the only custom errors present in the SDK's ABIs). The Vault uses strings only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ogpu_sim.protocol import CONTROLLER_ROLE
from tests.contracts.harness import (
    CANCELED,
    CONFIRMED,
    CPU,
    INACTIVE,
    Net,
    reverts,
    reverts_with_error,
)

ADMIN = b"\x00" * 32
OWNABLE = "OwnableUnauthorizedAccount(address)"


def _task(net: Net) -> Any:
    return net.publish_task(net.ready_source())


def _response(net: Net) -> Any:
    task = _task(net)
    net.attempt(task, net.provider)
    return net.respond(task, net.provider)


# (id, build the call from the net, expected string reason or None for Ownable)
STRING_GUARDED: list[tuple[str, Callable[[Net], Any], str]] = [
    (
        "Nexus.emitTaskPublished",
        lambda n: n.nexus.functions.emitTaskPublished(n.stranger.address, n.stranger.address),
        "NotController",
    ),
    (
        "Nexus.setTaskStatus",
        lambda n: n.nexus.functions.setTaskStatus(_task(n).address, CANCELED),
        "NotController",
    ),
    (
        "Nexus.setResponseStatus",
        lambda n: n.nexus.functions.setResponseStatus(_response(n).address, CONFIRMED),
        "NotController",
    ),
    (
        "Nexus.setSourceStatus",
        lambda n: n.nexus.functions.setSourceStatus(n.publish_source().address, INACTIVE),
        "NotController",
    ),
    (
        "Vault.freezePayment",
        lambda n: n.vault.functions.freezePayment(n.client.address, n.stranger.address, 1),
        "NotController",
    ),
    (
        "Vault.processPayment",
        lambda n: n.vault.functions.processPayment(
            n.client.address, n.stranger.address, _task(n).address, 1
        ),
        "NotController",
    ),
    (
        "Vault.releasePayment",
        lambda n: n.vault.functions.releasePayment(n.client.address, _task(n).address),
        "NotController",
    ),
    (
        "Vault.forceReleasePayment",
        lambda n: n.vault.functions.forceReleasePayment(n.client.address, _task(n).address),
        "NotJudge",
    ),
    ("Vault.sanction", lambda n: n.vault.functions.sanction(n.provider.address, 0), "NotJudge"),
    ("Vault.waive", lambda n: n.vault.functions.waive(n.provider.address, 0), "NotJudge"),
    (
        "Vault.withdrawSanctionOf",
        lambda n: n.vault.functions.withdrawSanctionOf(n.provider.address),
        "NotAdmin",
    ),
    (
        "Vault.emergencyExit",
        lambda n: n.vault.functions.emergencyExit(n.client.address),
        "NotAdmin",
    ),
    (
        "Vault.setMaxUnbondingPeriod",
        lambda n: n.vault.functions.setMaxUnbondingPeriod(1),
        "NotAdmin",
    ),
    (
        "Vault.setMinLockupPerSource",
        lambda n: n.vault.functions.setMinLockupPerSource(1),
        "NotAdmin",
    ),
    (
        "Vault.setWhitelist",
        lambda n: n.vault.functions.setWhitelist(n.stranger.address, True),
        "NotAdmin",
    ),
    ("Vault.setTerminal", lambda n: n.vault.functions.setTerminal(n.stranger.address), "NotAdmin"),
    (
        "Source.setSourceParams",
        lambda n: n.publish_source().functions.setSourceParams(n.source_params(n.client)),
        "NotNexus",
    ),
    (
        "Source.publishTask",
        lambda n: n.publish_source().functions.publishTask(n.stranger.address),
        "NotNexus",
    ),
    (
        "Source.register",
        lambda n: n.publish_source().functions.register(n.provider.address, CPU),
        "NotNexus",
    ),
    (
        "Source.unregister",
        lambda n: n.ready_source().functions.unregister(n.provider.address),
        "NotNexus",
    ),
]

OWNABLE_GUARDED: list[tuple[str, Callable[[Net], Any]]] = [
    ("Nexus.setManager", lambda n: n.nexus.functions.setManager(n.stranger.address)),
    ("Nexus.setTerminal", lambda n: n.nexus.functions.setTerminal(n.stranger.address)),
    ("Nexus.setVault", lambda n: n.nexus.functions.setVault(n.stranger.address)),
    ("Nexus.transferOwnership", lambda n: n.nexus.functions.transferOwnership(n.stranger.address)),
    ("Nexus.renounceOwnership", lambda n: n.nexus.functions.renounceOwnership()),
    ("Controller.setNexus", lambda n: n.controller.functions.setNexus(n.stranger.address)),
    ("Controller.setTerminal", lambda n: n.controller.functions.setTerminal(n.stranger.address)),
    ("Controller.setVault", lambda n: n.controller.functions.setVault(n.stranger.address)),
    ("Terminal.setManager", lambda n: n.terminal.functions.setManager(n.stranger.address)),
    ("Terminal.setVault", lambda n: n.terminal.functions.setVault(n.stranger.address)),
    ("Task.attempt", lambda n: _task(n).functions.attempt(n.stranger.address)),
    (
        "Task.submitResponse",
        lambda n: _task(n).functions.submitResponse(n.stranger.address, n.stranger.address),
    ),
    ("Task.setStatus", lambda n: _task(n).functions.setStatus(CANCELED)),
    ("Response.confirm", lambda n: _response(n).functions.confirm()),
    ("Response.setStatus", lambda n: _response(n).functions.setStatus(CONFIRMED)),
    (
        "Source.transferOwnership",
        lambda n: n.publish_source().functions.transferOwnership(n.stranger.address),
    ),
]


@pytest.mark.parametrize(
    ("build", "reason"),
    [(b, r) for _, b, r in STRING_GUARDED],
    ids=[i for i, _, _ in STRING_GUARDED],
)
def test_privileged_function_refuses_a_stranger(
    net: Net, build: Callable[[Net], Any], reason: str
) -> None:
    call = build(net)
    with reverts(reason):
        net.tx(net.stranger, call)


@pytest.mark.parametrize(
    "build", [b for _, b in OWNABLE_GUARDED], ids=[i for i, _ in OWNABLE_GUARDED]
)
def test_owner_only_function_refuses_a_stranger(net: Net, build: Callable[[Net], Any]) -> None:
    call = build(net)
    with reverts_with_error(OWNABLE, net.stranger.address):
        net.tx(net.stranger, call)


@pytest.mark.parametrize("role", [ADMIN, CONTROLLER_ROLE])
def test_manager_grant_role_needs_the_admin_role(net: Net, role: bytes) -> None:
    with reverts_with_error(
        "AccessControlUnauthorizedAccount(address,bytes32)", net.stranger.address, ADMIN
    ):
        net.tx(net.stranger, net.manager.functions.grantRole(role, net.stranger.address))


def test_manager_revoke_role_needs_the_admin_role(net: Net) -> None:
    with reverts_with_error(
        "AccessControlUnauthorizedAccount(address,bytes32)", net.stranger.address, ADMIN
    ):
        net.tx(net.stranger, net.manager.functions.revokeRole(CONTROLLER_ROLE, net.nexus.address))


def test_manager_renounce_role_needs_the_callers_confirmation(net: Net) -> None:
    with reverts_with_error("AccessControlBadConfirmation()"):
        net.tx(net.deployer, net.manager.functions.renounceRole(ADMIN, net.stranger.address))


def test_a_granted_controller_may_use_the_nexus_plumbing(net: Net) -> None:
    task = _task(net)
    net.tx(net.deployer, net.manager.functions.grantRole(CONTROLLER_ROLE, net.stranger.address))
    net.tx(net.stranger, net.nexus.functions.setTaskStatus(task.address, CANCELED))
    assert task.functions.getStatus().call() == CANCELED


def test_a_revoked_controller_loses_the_vault_escrow_functions(net: Net) -> None:
    net.tx(net.deployer, net.manager.functions.grantRole(CONTROLLER_ROLE, net.stranger.address))
    net.tx(net.deployer, net.manager.functions.revokeRole(CONTROLLER_ROLE, net.stranger.address))
    with reverts("NotController"):
        net.tx(
            net.stranger,
            net.vault.functions.freezePayment(net.client.address, net.agent.address, 1),
        )


def test_the_judge_role_alone_allows_sanctions(net: Net) -> None:
    judge = net.manager.functions.JUDGE().call()
    net.tx(net.deployer, net.manager.functions.grantRole(judge, net.stranger.address))
    net.tx(net.stranger, net.vault.functions.sanction(net.provider.address, 0))
    with reverts("NotAdmin"):
        net.tx(net.stranger, net.vault.functions.setWhitelist(net.stranger.address, True))


def test_ownership_transfer_moves_owner_rights(net: Net) -> None:
    receipt = net.tx(net.deployer, net.nexus.functions.transferOwnership(net.stranger.address))
    assert net.nexus.functions.owner().call() == net.stranger.address
    assert net.events(receipt, net.nexus, "OwnershipTransferred") == [
        {"previousOwner": net.deployer.address, "newOwner": net.stranger.address}
    ]
    with reverts_with_error(OWNABLE, net.deployer.address):
        net.tx(net.deployer, net.nexus.functions.setVault(net.deployer.address))
