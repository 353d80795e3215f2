"""Every error ogpu-sim raises on purpose, in one hierarchy rooted in :class:`OgpuSimError`.

Each error carries the values a user needs to act on it as attributes, and its message names
the problem. The classes live here, in the ground layer, so any layer can raise them and users
import all of them from one place; subpackages re-export the ones they raise. The tree::

    OgpuSimError
    ├── ArtifactNotFoundError          a compiled contract asked for by an unknown name
    ├── ChainError                     the chain backend failed or was misused
    │   ├── AnvilNotFoundError, AnvilStartError
    │   ├── DeploymentError, TransactionRevertedError
    │   ├── MissingRpcMethodError, RpcError, SnapshotError
    │   ├── InjectedFault              a fault injected with ``chain.faults``
    ├── ConfigError (ValueError)       an option, setting or file is invalid
    │   ├── ProviderError              a simulated provider's behaviour/environment
    │   └── ScenarioError              a scenario file's key
    │       └── AttachScenarioError    one an attached (live) network cannot play
    ├── ComposeError (ValueError)      a source folder or compose file is invalid
    ├── HandlerError                   a source's handler
    │   ├── HandlerStartError          it did not start (import error, exit, no answer)
    │   │   ├── DockerRuntimeError     the docker runtime itself (base image, engine)
    │   │   └── PublishedImageError    the published image cannot be pulled
    │   ├── HandlerInputError          it refused a task's input (422)
    │   │   └── UnknownFunctionError   the task's function_name is not exposed
    │   ├── HandlerDispatchError       the handler is gone or unreachable
    │   ├── HandlerFailure             a provider's runner: the handler produced nothing
    │   │   ├── HandlerRaisedError     it raised (its log says so; no callback follows)
    │   │   └── HandlerTimeoutError    no callback within the provider's handler_timeout
    │   └── HandlerStillRunning        internal: a wait reached run_until_idle's deadline
    ├── IpfsError                      the mock IPFS
    │   ├── BadRequest, InvalidCidError, IpfsNotFoundError (KeyError)
    │   └── IpfsServerError, StoreFullError
    ├── IdleTimeoutError               run_until_idle ran out of time
    ├── LeanRpcFailure                 internal: a provider's lean send answered an RPC error
    │   └── LiveWaitTimeoutError       attach mode: the live network did not answer in time
    ├── UnsafeSignerError              public test keys for a non-local endpoint
    ├── RunInterrupted                 internal: a forwarded signal ends ``ogpu-sim run``'s wait
    ├── AttachModeError                attach mode: a live network cannot do this (snapshots,
    │                                  time travel, fault injection, a deployer)
    ├── MissingKeysError (ConfigError) attach mode: none of your own keys for a role
    ├── SpendCapError                  attach mode: a transaction would pass the spend cap
    ├── SimulationError, ReportError   ``ogpu-sim simulate``
    ├── ModelRevert, ModelMismatch (AssertionError), HarnessError   property-based testing
    ├── LeanSendDeclined               internal: the machine's lean sender leaves a call to the SDK
    └── CompilerNotFoundError, CompileError                         the contract build

Over 400 lines on purpose: one module holds every error class so users import all of them from
one place and any layer can raise them (the tree above is the index).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class OgpuSimError(Exception):
    """Base class of every error ogpu-sim raises on purpose."""


class ConfigError(OgpuSimError, ValueError):
    """An option, setting or file given to ogpu-sim is invalid.

    Args:
        option: the name of the offending option or key.
        problem: what is wrong with it, in words a user can act on.
    """

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"{option}: {problem}")


class ArtifactNotFoundError(OgpuSimError, KeyError):
    """A compiled contract artifact was asked for by a name that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"no artifact named {name!r}; known contracts: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ChainError(OgpuSimError):
    """The chain backend failed or was used in a way it does not support."""


class UnsafeSignerError(OgpuSimError):
    """A public test key would be used to sign for a non-local RPC endpoint.

    Args:
        rpc_url: the endpoint.
        hint: how to pass your own keys (default: ``Simulator.start(mnemonic=...)``).
    """

    def __init__(self, rpc_url: str, hint: str = "") -> None:
        self.rpc_url = rpc_url
        hint = hint or (
            "pass the mnemonic of your own funded accounts: Simulator.start(mnemonic=...)"
        )
        super().__init__(
            f"refusing to sign with ogpu-sim's public test keys for the non-local endpoint "
            f"{rpc_url}; {hint}"
        )


# -- chain -----------------------------------------------------------------------------------


class RpcError(ChainError):
    """A JSON-RPC error answer (code, message, optional data) raised inside the node.

    Args:
        code: the JSON-RPC error code (3 for reverts, -32601 unknown method, ...).
        message: the node's wording, e.g. ``execution reverted: NotOwner``.
        data: hex revert data, when there is some.
    """

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        self.code = code
        self.message = message
        self.data = data
        super().__init__(f"JSON-RPC error {code}: {message}")

    def to_dict(self) -> dict[str, Any]:
        """The ``error`` member of a JSON-RPC response."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class SnapshotError(ChainError):
    """A snapshot id is unknown or was invalidated by reverting to an older snapshot."""

    def __init__(self, snapshot_id: str, problem: str) -> None:
        self.snapshot_id = snapshot_id
        self.problem = problem
        super().__init__(f"cannot revert to snapshot {snapshot_id!r}: {problem}")


class MissingRpcMethodError(ChainError):
    """The node does not implement a JSON-RPC method an operation needs."""

    def __init__(self, rpc_url: str, operation: str, methods: tuple[str, ...]) -> None:
        self.rpc_url = rpc_url
        self.operation = operation
        self.methods = methods
        super().__init__(
            f"{operation} needs the JSON-RPC method {' or '.join(methods)}, which the node at "
            f"{rpc_url} does not provide (use anvil, hardhat or ogpu-sim's own node)"
        )


class AnvilNotFoundError(ChainError):
    """No anvil binary was found where ogpu-sim looks for one.

    The message says how to get one: ``make install`` in an ogpu-sim checkout (``checkout``);
    from a wheel, the npm package (``npm install`` in the working directory, whose
    ``node_modules/.bin`` ogpu-sim searches) or foundryup.

    Attributes:
        searched: every place looked at, in order.
        checkout: whether ogpu-sim runs from its source checkout.
    """

    NPM_PACKAGE = "@foundry-rs/anvil-linux-amd64@1.7.1"
    """The npm package ``make install`` takes anvil from (Linux x64; other platforms have theirs:
    ``@foundry-rs/anvil-<os>-<arch>``)."""

    def __init__(self, searched: list[str], *, checkout: bool = False) -> None:
        self.searched = searched
        self.checkout = checkout
        get = (
            "run `make install` to get it from npm"
            if checkout
            else f"run `npm install {self.NPM_PACKAGE}` in the folder you run ogpu-sim from "
            "(it looks in ./node_modules/.bin; other platforms: @foundry-rs/anvil-<os>-<arch>), "
            "install Foundry with foundryup"
        )
        super().__init__(
            f"the anvil binary was not found (looked at: {', '.join(searched)}); {get}, set "
            "$OGPU_SIM_ANVIL to its path, or put anvil on PATH"
        )


class AnvilStartError(ChainError):
    """anvil was found but did not start serving."""


class InjectedFault(ChainError):
    """A transport fault injected with ``chain.faults``, on its way to the caller's transport.

    The chain raises it from its request handler; the in-process web3 provider turns it into
    the exception web3's ``HTTPProvider`` would raise (``requests``' connection, timeout and
    HTTP errors) and the served endpoint into the HTTP behaviour (status, reset, silence).

    Args:
        method: the JSON-RPC method it hit.
        error: the error spec (``ogpu_sim.chain.faults.Reset``, ``Timeout``, ...).
        took_effect: True for a lost answer: the call did what it does, only its answer is lost.
    """

    def __init__(self, method: str, error: Any, took_effect: bool) -> None:
        self.method = method
        self.error = error
        self.took_effect = took_effect
        when = "after it took effect" if took_effect else "before it took effect"
        super().__init__(f"injected fault on {method} {when}: {error}")


# -- protocol --------------------------------------------------------------------------------


class TransactionRevertedError(ChainError):
    """A transaction was mined with status 0 (it reverted on chain)."""

    def __init__(self, tx_hash: str, description: str) -> None:
        self.tx_hash = tx_hash
        self.description = description
        super().__init__(f"{description} reverted on chain (transaction {tx_hash})")


class DeploymentError(ChainError):
    """The protocol could not be deployed as planned."""


# -- ipfs ------------------------------------------------------------------------------------


class IpfsError(OgpuSimError):
    """Base class of every error the mock IPFS raises on purpose."""


class InvalidCidError(IpfsError, ValueError):
    """A string given as a content identifier is not one.

    Args:
        cid: the offending text.
        problem: what is wrong with it.
    """

    def __init__(self, cid: str, problem: str) -> None:
        self.cid = cid
        self.problem = problem
        super().__init__(f"invalid CID {cid!r}: {problem}")


class IpfsNotFoundError(IpfsError, KeyError):
    """No content is stored under a (valid) CID.

    Args:
        cid: the CID that was looked up.
    """

    def __init__(self, cid: str) -> None:
        self.cid = cid
        super().__init__(f"no content stored under CID {cid}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class StoreFullError(IpfsError):
    """Adding content would take a store past its size limit.

    Args:
        size: bytes of the content being added.
        used: bytes already stored.
        limit: the store's limit in bytes.
    """

    def __init__(self, size: int, used: int, limit: int) -> None:
        self.size = size
        self.used = used
        self.limit = limit
        hint = (
            "raise the cap: Simulator.start(ipfs_max_bytes=...) or IpfsServer(max_store_bytes=...)"
        )
        if size == 0:
            problem = f"the store already holds {used} bytes, over its limit of {limit} bytes"
        else:
            problem = f"cannot store {size} bytes: {used} of {limit} bytes already used"
        super().__init__(f"{problem} ({hint})")


class IpfsServerError(IpfsError):
    """The IPFS server could not start, or was used while stopped."""


class BadRequest(IpfsError):
    """The request cannot be served; the server answers ``status`` with ``message``.

    Args:
        status: the HTTP status to answer with.
        message: what is wrong, for the JSON error body.
    """

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"HTTP {status}: {message}")


# -- runtime ---------------------------------------------------------------------------------


class HandlerError(OgpuSimError):
    """Base of the errors a handler runtime raises."""


class HandlerInputError(HandlerError):
    """The handler refused a task's input: FastAPI's 422, or pydantic's error inline.

    Attributes:
        detail: the FastAPI-style error list (``[{"type", "loc": ["body", ...], "msg", ...}]``).
    """

    def __init__(self, function_name: str, task_address: str, detail: list[Any]) -> None:
        self.function_name = function_name
        self.task_address = task_address
        self.detail = detail
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', []))}: {item.get('msg', '')}"
            if isinstance(item, dict)
            else str(item)
            for item in detail
        )
        super().__init__(f"{function_name} rejected the input of task {task_address}: {problems}")


class UnknownFunctionError(HandlerInputError):
    """The task names a function the handler does not expose (``TaskInput.function_name``).

    A wrong function name is invalid task input like a body that does not validate, so it is a
    :class:`HandlerInputError` whose ``detail`` has one ``unknown_function`` item; every runtime
    raises it with the same message.

    Attributes:
        exposed: the functions the handler does expose, sorted.
    """

    def __init__(self, function_name: str, task_address: str, exposed: list[str]) -> None:
        self.exposed = sorted(exposed)
        known = ", ".join(self.exposed) or "none"
        detail = [
            {
                "type": "unknown_function",
                "loc": ["path", "function_name"],
                "msg": f"no function {function_name!r}; the handler exposes: {known}",
                "input": function_name,
            }
        ]
        super().__init__(function_name, task_address, detail)


class HandlerStartError(HandlerError):
    """The handler could not start: import error, init hook raised, process/container exited.

    Attributes:
        log: the tail of the handler's log, which usually says why.
        file: the handler file that failed to start (relative to the source), when known.
        exception: the exception it raised (``ImportError: ...``), when known.
    """

    def __init__(
        self,
        source: str,
        environment: str,
        problem: str,
        log: str = "",
        *,
        file: str | None = None,
        exception: str | None = None,
    ) -> None:
        self.source = source
        self.environment = environment
        self.problem = problem
        self.log = log
        self.file = file
        self.exception = exception
        text = f"handler of source {source!r} ({environment}) did not start: {problem}"
        super().__init__(f"{text}\n--- handler log ---\n{log}" if log else text)


class DockerRuntimeError(HandlerStartError):
    """The docker runtime itself could not get ready, before any one source's handler started.

    The base image, the wheelhouse or the engine: nothing tied to a source, so the message
    starts ``docker runtime:`` instead of naming one; ``source`` and ``environment`` are ``""``.
    A :class:`HandlerStartError`, so callers that catch that still do.
    """

    def __init__(self, problem: str, log: str = "") -> None:
        self.source = ""
        self.environment = ""
        self.problem = problem
        self.log = log
        self.file = None
        self.exception = None
        text = f"docker runtime: {problem}"
        # HandlerStartError's own __init__ would word it "handler of source ..."
        HandlerError.__init__(self, f"{text}\n--- log ---\n{log}" if log else text)


class PublishedImageError(HandlerStartError):
    """The published image was asked for (``image="published"``) but is not there to run.

    ogpu-sim never falls back to building the working copy in its place: the message names
    the image and the option that runs the working copy instead.

    Attributes:
        image: the image reference the compose file names.
        reason: why it is not there (the engine's pull error, or ``pull_policy: never``).
    """

    def __init__(self, source: str, environment: str, image: str, reason: str) -> None:
        self.image = image
        self.reason = reason
        super().__init__(
            source,
            environment,
            f"the published image {image} could not be pulled: {reason}; to build and run "
            'the working copy instead, use image="working-copy" (--ogpu-image=working-copy, '
            "ogpu-sim --image working-copy)",
        )


class HandlerDispatchError(HandlerError):
    """A dispatch failed for a reason other than the task's input (the handler is gone)."""

    def __init__(self, function_name: str, task_address: str, problem: str) -> None:
        self.function_name = function_name
        self.task_address = task_address
        self.problem = problem
        super().__init__(f"dispatching {function_name} for task {task_address} failed: {problem}")


class ComposeError(OgpuSimError, ValueError):
    """A source folder or one of its compose files is invalid.

    Args:
        file: the offending file (or folder).
        problem: what is wrong, in words a source author can act on.
    """

    def __init__(self, file: str | Path, problem: str) -> None:
        self.file = Path(file)
        self.problem = problem
        super().__init__(f"{file}: {problem}")


# -- providers and the simulator -------------------------------------------------------------


class HandlerFailure(HandlerError):
    """A provider's handler run gave no result (it refused the input, raised, or timed out, or
    the provider's behaviour is ``failing``); the provider records why on the timeline."""


class HandlerRaisedError(HandlerFailure):
    """A handler raised while running a task (``ogpu.service`` logged it), so no callback comes."""

    def __init__(self, function_name: str, task_address: str, error: str) -> None:
        self.function_name = function_name
        self.task_address = task_address
        self.error = error
        super().__init__(
            f"{function_name} raised for task {task_address}: {error} (the handler's log has "
            "the traceback)"
        )


class HandlerTimeoutError(HandlerFailure):
    """A handler sent no callback within the provider's ``handler_timeout`` seconds."""

    def __init__(self, function_name: str, task_address: str, timeout: float) -> None:
        self.function_name = function_name
        self.task_address = task_address
        self.timeout = timeout
        super().__init__(
            f"{function_name} sent no callback for task {task_address} within {timeout:g} s "
            "(handler_timeout: Simulator.start(handler_timeout=...), ini ogpu_handler_timeout)"
        )


class HandlerStillRunning(HandlerError):
    """A wait for a handler's callback reached the caller's deadline (``run_until_idle``'s
    timeout) before ``handler_timeout``: the task stays dispatched, and ``running`` resumes
    the wait."""

    def __init__(self, function_name: str, task_address: str, running: Any) -> None:
        self.running = running
        super().__init__(f"{function_name} is still running task {task_address}")


class ProviderError(ConfigError):
    """A simulated provider was configured with an unknown behaviour or environment."""


class IdleTimeoutError(OgpuSimError):
    """``run_until_idle`` ran out of time while providers still had work due."""

    def __init__(self, timeout: float, busy: list[str], why: str = "") -> None:
        self.timeout = timeout
        self.busy = busy
        text = f"providers still busy after {timeout:.1f}s: {', '.join(busy)}"
        super().__init__(f"{text} ({why})" if why else text)


# -- attach mode (a live, already-deployed network) --------------------------------------------


class AttachModeError(OgpuSimError):
    """An operation that needs a local network was asked of an attached (live) one.

    The pytest plugin turns it into a skip whose reason is this message, so a test that needs
    snapshots or time travel says so instead of passing or failing for the wrong reason.

    Args:
        operation: what was asked (``advance_time``, ``snapshot``, ``sim.expire``, ...).
        rpc_url: the live network's endpoint.
        problem: why a live network cannot do it, and what to do instead.
    """

    def __init__(self, operation: str, rpc_url: str, problem: str) -> None:
        self.operation = operation
        self.rpc_url = rpc_url
        self.problem = problem
        super().__init__(f"attach mode ({rpc_url}): {operation} is not available: {problem}")


class MissingKeysError(ConfigError):
    """Attach mode has none of the user's own keys for a role it needs.

    ogpu-sim never signs with its public test keys on a network it attaches to: the keys come
    from the SDK's environment variables (``CLIENT_PRIVATE_KEY`` ...) or ``keys=``.

    Args:
        roles: the roles without a key (``client``, ``master``, ...).
        variables: the environment variables that would provide them.
    """

    def __init__(self, roles: tuple[str, ...], variables: tuple[str, ...]) -> None:
        self.roles = roles
        self.variables = variables
        super().__init__(
            "keys",
            f"attach mode needs your own key for {', '.join(roles)}: set "
            f"{' / '.join(variables)} or pass keys={{{', '.join(repr(r) for r in roles)}: "
            "'0x...'}; ogpu-sim never signs with its public test keys on a live network",
        )


class SpendCapError(OgpuSimError):
    """A transaction signed with the user's keys would take the run past its spend cap.

    It is refused before it is sent. The SDK wraps errors raised while it sends, so a raw SDK
    call raises the SDK's ``TxRpcError`` with this error as its ``__cause__``; the simulator's
    own publishing helpers and the pytest plugin raise this error itself.

    Args:
        description: the transaction (``Controller.publishTask paying 1000 wei``).
        cost: wei it would spend at most (value, payment and gas at its limit and fee cap).
        spent: wei the run has spent so far.
        cap: the cap in wei.
        option: how the face that set the cap names it (``--max-spend``, ``max_spend=`` ...).
    """

    def __init__(
        self, description: str, cost: int, spent: int, cap: int, option: str = "max_spend="
    ) -> None:
        self.description = description
        self.cost = cost
        self.spent = spent
        self.cap = cap
        self.option = option
        super().__init__(
            f"spend cap: refusing {description}: it may cost {cost} wei and the run has spent "
            f"{spent} of its {cap} wei cap; raise it with {option} if you mean to spend more"
        )


class LiveWaitTimeoutError(IdleTimeoutError):
    """``run_until_idle`` in attach mode: tasks still had no answer when the wait ran out.

    Args:
        timeout: seconds waited.
        waiting: ``address STATUS`` of each task still open, and any local provider still busy.
    """

    def __init__(self, timeout: float, waiting: list[str]) -> None:
        OgpuSimError.__init__(
            self,
            f"attach mode: no answer from the live network within {timeout:.1f}s for: "
            + ", ".join(waiting),
        )
        self.timeout = timeout
        self.busy = waiting


# -- simulate --------------------------------------------------------------------------------


class ScenarioError(ConfigError):
    """A scenario file is unreadable or one of its keys is invalid.

    Args:
        option: the dotted key path (``workload.arrival_rate``, ``sources[1].delivery``).
        problem: what is wrong, in words a user can act on.
        path: the scenario file, when the scenario came from one.
    """

    def __init__(self, option: str, problem: str, path: Path | None = None) -> None:
        super().__init__(option, problem)
        self.path = path
        if path is not None:
            self.args = (f"{path}: {option}: {problem}",)


class AttachScenarioError(ScenarioError):
    """A scenario key asks for what an attached (live) network cannot do (``simulate --network``).

    Raised before anything is attached or spent.

    Args:
        option: the scenario key (``workload.expiry``, ``chain_fault_rate``).
        network: the ``--network`` value.
        problem: why a live network cannot do it, and what to change.
        path: the scenario file, when the scenario came from one.
    """

    def __init__(self, option: str, network: str, problem: str, path: Path | None = None) -> None:
        self.network = network
        super().__init__(option, f"attach mode ({network}): {problem}", path)


class SimulationError(OgpuSimError):
    """The marketplace could not go on (e.g. a client ran out of Vault balance mid-run)."""


class ReportError(OgpuSimError):
    """The run folder could not be written."""


# -- property-based testing ------------------------------------------------------------------


class ModelRevert(OgpuSimError):
    """The model predicts that the contract call reverts.

    Args:
        reason: the exact revert string the contract uses (e.g. ``"NotOwner"``).
        operation: the model operation that reverted, for messages.
    """

    def __init__(self, reason: str, operation: str = "") -> None:
        self.reason = reason
        self.operation = operation
        super().__init__(f"{operation} reverts: {reason}" if operation else reason)


class HarnessError(OgpuSimError):
    """An action failed for a reason that is not a contract revert (RPC, IPFS, signing)."""

    def __init__(self, action: str, error: BaseException) -> None:
        self.action = action
        self.error = error
        super().__init__(f"{action} failed outside the contracts: {type(error).__name__}: {error}")


class ModelMismatch(OgpuSimError, AssertionError):
    """The chain and the reference model disagree about an action or about the state, or an
    invariant of the protocol broke.

    Args:
        message: what differs.
        check: which check caught it (``outcome of <rule>``, ``state: <view>`` or
            ``invariant: <name>``), for kill matrices and summaries.
    """

    def __init__(self, message: str, check: str = "") -> None:
        self.check = check
        super().__init__(message)


class LeanSendDeclined(OgpuSimError):
    """Internal: a step the machine's lean sender (``testing/sending.py``) leaves to the SDK's
    ``TxExecutor``; nothing was sent, and the SDK's own path runs instead."""

    def __init__(self, step: str) -> None:
        self.step = step
        super().__init__(f"left to TxExecutor: {step}")


# -- developer tools -------------------------------------------------------------------------


class CompilerNotFoundError(OgpuSimError):
    """Neither a native solc nor npm's solc-js could be found."""

    def __init__(self, searched: list[str]) -> None:
        self.searched = searched
        super().__init__(
            "no Solidity compiler found (looked for: "
            + ", ".join(searched)
            + "); run `make install` (or `npm ci` for solc-js) and try again"
        )


class CompileError(OgpuSimError):
    """The compiler rejected the contracts; the message carries its diagnostics."""


# -- simulated providers' lean path ----------------------------------------------------------


class LeanRpcFailure(OgpuSimError):
    """A JSON-RPC error answer to a simulated provider's lean transaction (internal: the
    provider turns it into the SDK's typed error, as the SDK path would)."""

    def __init__(self, message: str, code: Any = None) -> None:
        super().__init__(message)
        self.code = code

    @property
    def unknown_method(self) -> bool:
        """The node does not have the method (by code, or as nodes word it)."""
        words = ("does not exist", "not available", "not supported", "unknown method")
        return self.code == -32601 or any(w in str(self).lower() for w in words)  # not found


# -- the command line -----------------------------------------------------------------------


class RunInterrupted(OgpuSimError):
    """A signal forwarded to ``ogpu-sim run``'s program cut the unbounded wait for it short,
    so the wait can become bounded (internal: caught by the forwarder, never shown)."""
