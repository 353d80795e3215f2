// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SourceParams, ResponseParams, TaskStatus, SourceStatus, ResponseStatus, DeliveryMethod, Paging} from "./Types.sol";
import {IManagerRoles, ITerminalView, IVaultOps, ISourceOps, ITaskOps, ITaskSteps, IResponseOps} from "./Interfaces.sol";
import {Source} from "./Source.sol";
import {Response} from "./Response.sol";

/// @title Nexus: source registry, provider-side coordinator and the protocol's event hub.
/// @notice Every event the SDK watches is emitted here; it owns every Task and Response.
contract Nexus is Ownable {
    using Paging for address[];

    bytes32 public constant CONTROLLER = keccak256("CONTROLLER");
    bytes32 public constant PROVIDER = keccak256("PROVIDER");

    /// @dev The outcomes of a Task's steps that Nexus acts on (Task.sol, "Steps").
    uint256 internal constant STEP_FIRST_ATTEMPT = 1;
    uint256 internal constant STEP_EXPIRED = 2;
    uint256 internal constant STEP_RESPONDED = 3;
    uint256 internal constant STEP_FINALIZED = 4;

    address public manager;
    address public terminal;
    address public vault;
    address[] public sources;
    address[] public clients;
    mapping(address => uint256) public sourceId;
    mapping(address => address[]) public sourcesOf;
    mapping(address => uint256) public activeSourceCountOf;
    mapping(address => bool) internal isTask;

    event Attempted(address task, address provider, uint256 suggestedPayment);
    event Registered(address provider, uint256 registrantId, address source, uint8 preferredEnvironment);
    event ResponseStatusChanged(address response, ResponseStatus status);
    event ResponseSubmitted(address response, address task);
    event SourcePublished(address source);
    event SourceStatusChanged(address source, SourceStatus status);
    event SourceUpdated(address source, SourceParams sourceParams);
    event TaskPublished(address task, address source);
    event TaskStatusChanged(address task, TaskStatus status);

    constructor(address _manager, address _terminal, address _vault) Ownable(msg.sender) {
        manager = _manager;
        terminal = _terminal;
        vault = _vault;
    }

    // ---- client side ----------------------------------------------------------------

    function publishSource(SourceParams memory _sourceParams) external {
        require(_isPrincipalOrAgent(_sourceParams.client), "NotOwner");
        require(_sourceParams.imageEnvironments <= 7, "InvalidEnvironment");
        address source = address(new Source(_sourceParams));
        sources.push(source);
        sourceId[source] = sources.length;
        address client = _sourceParams.client;
        if (sourcesOf[client].length == 0) clients.push(client);
        sourcesOf[client].push(source);
        activeSourceCountOf[client] += 1;
        emit SourcePublished(source);
    }

    /// @notice Replace a source's params; the source keeps its original client.
    function updateSource(address source, SourceParams memory _sourceParams) external {
        require(sourceId[source] != 0, "UnknownSource");
        address client = ISourceOps(source).getClient();
        require(_isPrincipalOrAgent(client), "NotOwner");
        require(ISourceOps(source).getStatus() == SourceStatus.ACTIVE, "SourceInactive");
        require(_sourceParams.imageEnvironments <= 7, "InvalidEnvironment");
        _sourceParams.client = client;
        ISourceOps(source).setSourceParams(_sourceParams);
        emit SourceUpdated(source, _sourceParams);
    }

    function inactivateSource(address source) external {
        require(sourceId[source] != 0, "UnknownSource");
        require(_isPrincipalOrAgent(ISourceOps(source).getClient()), "NotOwner");
        require(ISourceOps(source).getStatus() == SourceStatus.ACTIVE, "SourceInactive");
        _setSourceStatus(source, SourceStatus.INACTIVE);
    }

    // ---- provider side (caller: the provider, its master, or an agent of its master) --

    function register(address source, address provider, uint8 preferredEnvironment) external {
        require(sourceId[source] != 0, "UnknownSource");
        require(ITerminalView(terminal).isProvider(provider) && _isOperator(provider), "NotProvider");
        require(ISourceOps(source).getStatus() == SourceStatus.ACTIVE, "SourceInactive");
        SourceParams memory params = ISourceOps(source).getSourceParams();
        require(
            (preferredEnvironment == 1 || preferredEnvironment == 2 || preferredEnvironment == 4)
                && (preferredEnvironment & params.imageEnvironments) != 0,
            "InvalidEnvironment"
        );
        IVaultOps v = IVaultOps(vault);
        if (!v.isWhitelisted(provider)) {
            uint256 needed = v.MIN_LOCKUP_PER_SOURCE();
            if (params.minAvailableLockup > needed) needed = params.minAvailableLockup;
            require(v.lockupOf(provider) >= needed, "InsufficientLockup");
        }
        require(v.isEligible(provider), "NotEligible");
        uint256 id = ISourceOps(source).register(provider, preferredEnvironment);
        emit Registered(provider, id, source, preferredEnvironment);
    }

    function unregister(address source, address provider) external {
        require(sourceId[source] != 0, "UnknownSource");
        require(_isOperator(provider), "NotProvider");
        require(ISourceOps(source).registrantId(provider) != 0, "NotRegistered");
        ISourceOps(source).unregister(provider);
    }

    /// @notice Record an attempt. Past expiry, a NEW/ATTEMPTED task is marked EXPIRED and
    /// refunded instead (lazy expiry) and the call succeeds without recording the attempt.
    /// @dev The task's own checks run in its `attempt` step (Task.sol, "Steps").
    function attempt(address task, address provider, uint256 suggestedPayment) external {
        require(isTask[task], "UnknownTask");
        require(ITerminalView(terminal).isProvider(provider) && _isOperator(provider), "NotProvider");
        (uint256 outcome, address source) = ITaskSteps(task).attempt(provider);
        if (outcome == STEP_EXPIRED) {
            emit TaskStatusChanged(task, TaskStatus.EXPIRED);
            IVaultOps(vault).releasePayment(ISourceOps(source).getClient(), task);
            return;
        }
        require(IVaultOps(vault).isEligible(provider), "NotEligible");
        if (outcome == STEP_FIRST_ATTEMPT) emit TaskStatusChanged(task, TaskStatus.ATTEMPTED);
        emit Attempted(task, provider, suggestedPayment);
    }

    /// @notice Create a Response. FIRST_RESPONSE tasks are confirmed, finalized and paid at once.
    /// @dev The task's own checks run in its `submitResponse` step (Task.sol, "Steps"); a
    /// response they refuse is undone with the rest of the call.
    function submitResponse(ResponseParams calldata _responseParams) external {
        address task = _responseParams.task;
        address provider = _responseParams.provider;
        require(isTask[task], "UnknownTask");
        require(ITerminalView(terminal).isProvider(provider) && _isOperator(provider), "NotProvider");
        address response = address(new Response(_responseParams));
        (bool ok, bytes memory answer) = task.call(
            abi.encodeWithSelector(
                ITaskSteps.submitResponse.selector,
                response,
                provider,
                _responseParams.payment,
                // Keyed by (provider, data): two providers whose deterministic handlers give
                // the same output (the same content-addressed link) may both respond.
                keccak256(abi.encodePacked(provider, _responseParams.data))
            )
        );
        if (!ok) {
            assembly {
                revert(add(answer, 32), mload(answer))
            }
        }
        (uint256 outcome, address source) = abi.decode(answer, (uint256, address));
        emit ResponseSubmitted(response, task);
        if (outcome == STEP_FINALIZED) {
            IResponseOps(response).confirm();
            emit ResponseStatusChanged(response, ResponseStatus.CONFIRMED);
            emit TaskStatusChanged(task, TaskStatus.FINALIZED);
            address client = ISourceOps(source).getClient();
            IVaultOps(vault).processPayment(client, provider, task, _responseParams.payment);
            IVaultOps(vault).releasePayment(client, task);
        } else if (outcome == STEP_RESPONDED) {
            emit TaskStatusChanged(task, TaskStatus.RESPONDED);
        }
    }

    // ---- privileged plumbing (CONTROLLER role; the owner may also force states) -------

    function emitTaskPublished(address task, address source) external {
        require(checkController(msg.sender), "NotController");
        isTask[task] = true;
        ISourceOps(source).publishTask(task);
        emit TaskPublished(task, source);
    }

    /// @notice Force a task status (moves no money: see Vault.forceReleasePayment).
    function setTaskStatus(address task, TaskStatus status) external {
        _requireControllerOrOwner();
        require(isTask[task], "UnknownTask");
        _setTaskStatus(task, status);
    }

    function setResponseStatus(address response, ResponseStatus status) external {
        _requireControllerOrOwner();
        IResponseOps(response).setStatus(status);
        emit ResponseStatusChanged(response, status);
    }

    /// @notice Admin route for source status; also the path a client's Source.setStatus takes.
    function setSourceStatus(address source, SourceStatus status) external {
        require(sourceId[source] != 0, "UnknownSource");
        require(msg.sender == source || msg.sender == owner() || checkController(msg.sender), "NotController");
        _setSourceStatus(source, status);
    }

    function setManager(address _manager) external onlyOwner {
        manager = _manager;
    }

    function setTerminal(address _terminal) external onlyOwner {
        terminal = _terminal;
    }

    function setVault(address _vault) external onlyOwner {
        vault = _vault;
    }

    // ---- views ----------------------------------------------------------------------

    function checkController(address account) public view returns (bool) {
        return IManagerRoles(manager).hasRole(CONTROLLER, account);
    }

    function getSourceCount() external view returns (uint256) {
        return sources.length;
    }

    function getSources(uint256 lower, uint256 upper) external view returns (address[] memory) {
        return sources.slice(lower, upper);
    }

    function getSourceId(address source) external view returns (uint256) {
        return sourceId[source];
    }

    function getActiveSourceCount(address client) external view returns (uint256) {
        return activeSourceCountOf[client];
    }

    // ---- internals ------------------------------------------------------------------

    function _requireControllerOrOwner() private view {
        require(msg.sender == owner() || checkController(msg.sender), "NotController");
    }

    function _setTaskStatus(address task, TaskStatus status) private {
        ITaskOps(task).setStatus(status);
        emit TaskStatusChanged(task, status);
    }

    function _setSourceStatus(address source, SourceStatus status) private {
        SourceStatus previous = ISourceOps(source).getStatus();
        address client = ISourceOps(source).getClient();
        if (previous == SourceStatus.ACTIVE && status == SourceStatus.INACTIVE) {
            activeSourceCountOf[client] -= 1;
        } else if (previous == SourceStatus.INACTIVE && status == SourceStatus.ACTIVE) {
            activeSourceCountOf[client] += 1;
        }
        ISourceOps(source).setStatus(status);
        emit SourceStatusChanged(source, status);
    }

    /// @dev msg.sender is `principal` or an agent it authorised (raw Terminal mapping).
    function _isPrincipalOrAgent(address principal) private view returns (bool) {
        return msg.sender == principal || ITerminalView(terminal).isAgentOf(principal, msg.sender);
    }

    /// @dev msg.sender is the provider, its master, or an agent of its master.
    function _isOperator(address provider) private view returns (bool) {
        if (msg.sender == provider) return true;
        address master = ITerminalView(terminal).masterOf(provider);
        if (master == address(0)) return false;
        return msg.sender == master || ITerminalView(terminal).isAgentOf(master, msg.sender);
    }
}
