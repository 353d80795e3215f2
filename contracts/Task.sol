// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TaskParams, TaskStatus, DeliveryMethod, Paging} from "./Types.sol";
import {IResponseOps} from "./Interfaces.sol";

/// @title Task: one unit of work published to a source. Deployed by Controller, owned by Nexus.
contract Task is Ownable {
    using Paging for address[];
    using Paging for uint256[];

    TaskParams public taskParams;
    TaskStatus public status;
    DeliveryMethod public deliveryMethod;
    address public winningProvider;
    address[] public attempters;
    uint256[] public attemptTimestamps;
    mapping(address => uint256) public attempterId;
    mapping(address => address) public responseOf;
    mapping(bytes32 => bool) public isAlreadySubmitted;

    constructor(TaskParams memory _taskParams, DeliveryMethod _deliveryMethod, address nexus)
        payable
        Ownable(nexus)
    {
        taskParams = _taskParams;
        deliveryMethod = _deliveryMethod;
    }

    function getSource() external view returns (address) {
        return taskParams.source;
    }

    function getStatus() external view returns (TaskStatus) {
        return status;
    }

    function getPayment() external view returns (uint256) {
        return taskParams.payment;
    }

    function getExpiryTime() external view returns (uint256) {
        return taskParams.expiryTime;
    }

    function getDeliveryMethod() external view returns (DeliveryMethod) {
        return deliveryMethod;
    }

    function getAttemptCount() external view returns (uint256) {
        return attempters.length;
    }

    function getAttempters(uint256 lower, uint256 upper) external view returns (address[] memory) {
        return attempters.slice(lower, upper);
    }

    function getAttemptTimestamps(uint256 lower, uint256 upper) external view returns (uint256[] memory) {
        return attemptTimestamps.slice(lower, upper);
    }

    /// @notice Responses per attempter slot (zero address where that attempter has none).
    function getResponsesOf(uint256 lower, uint256 upper) external view returns (address[] memory) {
        address[] memory out = attempters.slice(lower, upper);
        for (uint256 i = 0; i < out.length; i++) out[i] = responseOf[out[i]];
        return out;
    }

    function getAttempterId(address provider) external view returns (uint256) {
        return attempterId[provider];
    }

    function attempt(address provider) external onlyOwner {
        attempters.push(provider);
        attemptTimestamps.push(block.timestamp);
        attempterId[provider] = attempters.length;
    }

    function submitResponse(address response, address provider) external onlyOwner {
        responseOf[provider] = response;
        // Keyed by (provider, data): two providers whose deterministic handlers give the same
        // output (the same content-addressed link) may both respond.
        isAlreadySubmitted[
            keccak256(abi.encodePacked(provider, IResponseOps(response).getResponseParams().data))
        ] = true;
    }

    /// @notice On FINALIZED, the winner is the attempter whose response is confirmed (the
    /// ABI has no setter for `winningProvider`, so it is derived here).
    function setStatus(TaskStatus _status) external onlyOwner {
        status = _status;
        if (_status != TaskStatus.FINALIZED || winningProvider != address(0)) return;
        for (uint256 i = 0; i < attempters.length; i++) {
            address response = responseOf[attempters[i]];
            if (response != address(0) && IResponseOps(response).confirmedFinal()) {
                winningProvider = attempters[i];
                return;
            }
        }
    }
}
