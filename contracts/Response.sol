// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ResponseParams, ResponseStatus} from "./Types.sol";

/// @title Response: one provider's answer to a task. Deployed and owned by Nexus.
/// @dev Invariant: `confirmedFinal == (status == CONFIRMED)`.
contract Response is Ownable {
    ResponseParams public responseParams;
    ResponseStatus public status;
    bool public confirmedFinal;
    uint256 public responseTimestamp;

    constructor(ResponseParams memory _responseParams) payable Ownable(msg.sender) {
        responseParams = _responseParams;
        responseTimestamp = block.timestamp;
    }

    function getResponseParams() external view returns (ResponseParams memory) {
        return responseParams;
    }

    function getStatus() external view returns (ResponseStatus) {
        return status;
    }

    function confirm() external onlyOwner {
        status = ResponseStatus.CONFIRMED;
        confirmedFinal = true;
    }

    function setStatus(ResponseStatus _status) external onlyOwner {
        status = _status;
        confirmedFinal = _status == ResponseStatus.CONFIRMED;
    }
}
