// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TaskParams, SourceParams, ResponseParams, TaskStatus, SourceStatus, ResponseStatus, DeliveryMethod} from "./Types.sol";
import {ITerminalView, IVaultOps, INexusOps, ISourceOps, ITaskOps, IResponseOps} from "./Interfaces.sol";
import {Task} from "./Task.sol";

/// @title Controller: task publication, cancellation and response confirmation (client side).
contract Controller is Ownable {
    address public nexus;
    address public terminal;
    address public vault;
    /// @dev The principal who pays for and owns each task it published.
    mapping(address => address) internal taskClient;

    constructor(address _nexus, address _terminal, address _vault) Ownable(msg.sender) {
        nexus = _nexus;
        terminal = _terminal;
        vault = _vault;
    }

    /// @notice Publish a task, escrowing its payment from the payer's Vault balance. The
    /// payer is the source's client when the caller is that client or its agent, else the caller.
    function publishTask(TaskParams calldata _taskParams) external {
        address source = _taskParams.source;
        require(INexusOps(nexus).sourceId(source) != 0, "UnknownSource");
        require(ISourceOps(source).getStatus() == SourceStatus.ACTIVE, "SourceInactive");
        SourceParams memory sp = ISourceOps(source).getSourceParams();
        address client = _isPrincipalOrAgent(sp.client) ? sp.client : msg.sender;
        require(_taskParams.expiryTime > block.timestamp, "Expired");
        require(_taskParams.expiryTime - block.timestamp <= sp.maxExpiryDuration, "ExpiryTooLong");
        require(_taskParams.payment >= sp.minPayment, "PaymentTooLow");
        address task = address(new Task(_taskParams, sp.deliveryMethod, nexus));
        IVaultOps(vault).freezePayment(client, task, _taskParams.payment);
        taskClient[task] = client;
        INexusOps(nexus).emitTaskPublished(task, source);
    }

    /// @notice Cancel a task nobody has attempted yet (also after expiry: the refund path).
    function cancelTask(address task) external {
        address client = taskClient[task];
        require(client != address(0), "UnknownTask");
        require(_isPrincipalOrAgent(client), "NotOwner");
        require(ITaskOps(task).getStatus() == TaskStatus.NEW, "AlreadyFinalized");
        INexusOps(nexus).setTaskStatus(task, TaskStatus.CANCELED);
        IVaultOps(vault).releasePayment(client, task);
    }

    /// @notice Confirm a response: finalize its task, pay its provider, refund the remainder.
    /// Confirming the auto-confirmed winner of a FIRST_RESPONSE task is a successful no-op.
    function confirmResponse(address response) external {
        ResponseParams memory rp = _responseParams(response);
        address task = rp.task;
        address client = taskClient[task];
        require(
            client != address(0) && ITaskOps(task).responseOf(rp.provider) == response,
            "UnknownResponse"
        );
        require(_isPrincipalOrAgent(client), "NotOwner");
        ITaskOps t = ITaskOps(task);
        if (IResponseOps(response).getStatus() == ResponseStatus.CONFIRMED) {
            if (
                t.getDeliveryMethod() == DeliveryMethod.FIRST_RESPONSE
                    && t.winningProvider() == rp.provider
            ) return;
            revert("AlreadyConfirmed");
        }
        TaskStatus status = t.getStatus();
        require(status != TaskStatus.FINALIZED && status != TaskStatus.CANCELED, "AlreadyFinalized");
        require(status != TaskStatus.EXPIRED, "Expired");
        require(status == TaskStatus.RESPONDED, "NotResponded");
        INexusOps(nexus).setResponseStatus(response, ResponseStatus.CONFIRMED);
        INexusOps(nexus).setTaskStatus(task, TaskStatus.FINALIZED);
        IVaultOps(vault).processPayment(client, rp.provider, task, rp.payment);
        IVaultOps(vault).releasePayment(client, task);
    }

    function setNexus(address _nexus) external onlyOwner {
        nexus = _nexus;
    }

    function setTerminal(address _terminal) external onlyOwner {
        terminal = _terminal;
    }

    function setVault(address _vault) external onlyOwner {
        vault = _vault;
    }

    function _responseParams(address response) private view returns (ResponseParams memory rp) {
        require(response.code.length > 0, "UnknownResponse");
        try IResponseOps(response).getResponseParams() returns (ResponseParams memory params) {
            return params;
        } catch {
            revert("UnknownResponse");
        }
    }

    function _isPrincipalOrAgent(address principal) private view returns (bool) {
        return msg.sender == principal || ITerminalView(terminal).isAgentOf(principal, msg.sender);
    }
}
