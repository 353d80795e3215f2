// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TaskParams, TaskStatus, DeliveryMethod, Paging} from "./Types.sol";
import {IResponseOps, ISourceOps} from "./Interfaces.sol";

/// @title Task: one unit of work published to a source. Deployed by Controller, owned by Nexus.
/// @dev Steps. Nexus.attempt and Nexus.submitResponse check a task's own facts here, inside
/// the owner-only `attempt` and `submitResponse`, instead of asking one view each: a call
/// between contracts costs far more than the check. The two answer Nexus beyond the ABI,
/// which declares no outputs for them (as the SDK's does): two words, the step's outcome (a
/// STEP_ constant) and the task's source. `submitResponse` also takes two words after its
/// ABI arguments: the response's payment and its already-submitted key. Only the owner
/// (Nexus) can call either, so no other caller ever sends or sees these words.
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

    /// @dev Step outcomes; Nexus emits the events each one implies.
    uint256 internal constant STEP_RECORDED = 0;
    uint256 internal constant STEP_FIRST_ATTEMPT = 1; // NEW -> ATTEMPTED
    uint256 internal constant STEP_EXPIRED = 2; // lazy expiry: EXPIRED, no attempt recorded
    uint256 internal constant STEP_RESPONDED = 3; // ATTEMPTED -> RESPONDED (manual confirmation)
    uint256 internal constant STEP_FINALIZED = 4; // FIRST_RESPONSE: FINALIZED, the provider won

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

    /// @notice Nexus.attempt's checks of this task, in its order, then the attempt recorded.
    /// Past expiry a NEW or ATTEMPTED task turns EXPIRED instead (STEP_EXPIRED, no attempt).
    function attempt(address provider) external onlyOwner {
        TaskStatus current = status;
        require(ISourceOps(taskParams.source).registrantId(provider) != 0, "NotRegistered");
        _requireOpen(current);
        if (block.timestamp > taskParams.expiryTime) {
            require(current != TaskStatus.RESPONDED, "Expired");
            status = TaskStatus.EXPIRED;
            _answer(STEP_EXPIRED);
        }
        require(attempterId[provider] == 0, "AlreadyAttempted");
        attempters.push(provider);
        attemptTimestamps.push(block.timestamp);
        attempterId[provider] = attempters.length;
        if (current != TaskStatus.NEW) _answer(STEP_RECORDED);
        status = TaskStatus.ATTEMPTED;
        _answer(STEP_FIRST_ATTEMPT);
    }

    /// @notice Nexus.submitResponse's checks of this task, in its order, then `response`
    /// recorded as `provider`'s. The calldata goes on with the response's payment and its
    /// already-submitted key, `keccak256(abi.encodePacked(provider, data))` ("Steps" above).
    function submitResponse(address response, address provider) external onlyOwner {
        (uint256 payment, bytes32 submissionKey) = abi.decode(msg.data[68:], (uint256, bytes32));
        TaskStatus current = status;
        require(attempterId[provider] != 0, "NotAttempted");
        _requireOpen(current);
        require(block.timestamp <= taskParams.expiryTime, "Expired");
        require(responseOf[provider] == address(0), "AlreadySubmitted");
        require(payment <= taskParams.payment, "InvalidPayment");
        require(!isAlreadySubmitted[submissionKey], "AlreadySubmitted");
        responseOf[provider] = response;
        isAlreadySubmitted[submissionKey] = true;
        if (deliveryMethod == DeliveryMethod.FIRST_RESPONSE) {
            // Nexus confirms `response` in this transaction. While no winner is set, no other
            // response of this task exists (the first one finalized it), so `provider` is
            // the winner setStatus(FINALIZED) would derive.
            status = TaskStatus.FINALIZED;
            if (winningProvider == address(0)) winningProvider = provider;
            _answer(STEP_FINALIZED);
        }
        if (current != TaskStatus.ATTEMPTED) _answer(STEP_RECORDED);
        status = TaskStatus.RESPONDED;
        _answer(STEP_RESPONDED);
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

    function _requireOpen(TaskStatus current) private pure {
        require(current != TaskStatus.FINALIZED && current != TaskStatus.CANCELED, "AlreadyFinalized");
        require(current != TaskStatus.EXPIRED, "Expired");
    }

    /// @dev End the step: answer Nexus `outcome` and this task's source ("Steps" above).
    function _answer(uint256 outcome) private view {
        address source = taskParams.source;
        assembly {
            mstore(0, outcome)
            mstore(32, source)
            return(0, 64)
        }
    }
}
