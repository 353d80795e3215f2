// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SourceParams, TaskParams, ResponseParams, DeliveryMethod, TaskStatus, SourceStatus, ResponseStatus} from "./Types.sol";

// Minimal views of the protocol contracts as seen by each other. They declare no errors
// or events, so nothing from here leaks into a contract's ABI.

interface IManagerRoles {
    function hasRole(bytes32 role, address account) external view returns (bool);
}

interface ITerminalView {
    function isProvider(address) external view returns (bool);
    function masterOf(address) external view returns (address);
    function isAgentOf(address, address) external view returns (bool);
}

interface IVaultOps {
    function deposit(address account) external payable;
    function freezePayment(address client, address task, uint256 amount) external;
    function processPayment(address client, address provider, address task, uint256 amount) external;
    function releasePayment(address client, address task) external;
    function isEligible(address account) external view returns (bool);
    function isWhitelisted(address) external view returns (bool);
    function lockupOf(address) external view returns (uint256);
    function MIN_LOCKUP_PER_SOURCE() external view returns (uint256);
}

interface INexusOps {
    function sourceId(address) external view returns (uint256);
    function emitTaskPublished(address task, address source) external;
    function setTaskStatus(address task, TaskStatus status) external;
    function setResponseStatus(address response, ResponseStatus status) external;
    function setSourceStatus(address source, SourceStatus status) external;
}

interface ISourceOps {
    function getClient() external view returns (address);
    function getStatus() external view returns (SourceStatus);
    function getSourceParams() external view returns (SourceParams memory);
    function registrantId(address) external view returns (uint256);
    function setStatus(SourceStatus _status) external;
    function setSourceParams(SourceParams memory _sourceParams) external;
    function publishTask(address task) external;
    function register(address provider, uint8 preferredEnvironment) external returns (uint256);
    function unregister(address provider) external;
}

interface ITaskOps {
    function getSource() external view returns (address);
    function getStatus() external view returns (TaskStatus);
    function getPayment() external view returns (uint256);
    function getExpiryTime() external view returns (uint256);
    function getDeliveryMethod() external view returns (DeliveryMethod);
    function attempterId(address) external view returns (uint256);
    function responseOf(address) external view returns (address);
    function winningProvider() external view returns (address);
    function isAlreadySubmitted(bytes32) external view returns (bool);
    function attempt(address provider) external;
    function submitResponse(address response, address provider) external;
    function setStatus(TaskStatus _status) external;
}

/// @dev A Task's owner-only steps as Nexus calls them: the same selectors as the ABI's
/// `attempt` and `submitResponse`, with the words they answer beyond it (Task.sol, "Steps").
interface ITaskSteps {
    function attempt(address provider) external returns (uint256 outcome, address source);
    function submitResponse(address response, address provider)
        external
        returns (uint256 outcome, address source);
}

interface IResponseOps {
    function getResponseParams() external view returns (ResponseParams memory);
    function getStatus() external view returns (ResponseStatus);
    function confirmedFinal() external view returns (bool);
    function confirm() external;
    function setStatus(ResponseStatus _status) external;
}
