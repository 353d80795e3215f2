// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SourceParams, SourceStatus, Paging} from "./Types.sol";
import {INexusOps} from "./Interfaces.sol";

/// @title Source: one published source (a handler image a client offers tasks for).
/// @notice Owned by the client; the Nexus that deployed it is its privileged caller.
contract Source is Ownable {
    using Paging for address[];

    SourceParams public sourceParams;
    SourceStatus public status;
    address public nexus;
    address[] public tasks;
    address[] public registrants;
    mapping(address => uint256) public registrantId;
    mapping(address => uint8) public preferredEnvironmentOf;

    modifier onlyNexus() {
        require(msg.sender == nexus, "NotNexus");
        _;
    }

    constructor(SourceParams memory _sourceParams) payable Ownable(_sourceParams.client) {
        sourceParams = _sourceParams;
        nexus = msg.sender;
    }

    function getClient() external view returns (address) {
        return sourceParams.client;
    }

    function getStatus() external view returns (SourceStatus) {
        return status;
    }

    function getSourceParams() external view returns (SourceParams memory) {
        return sourceParams;
    }

    function getTaskCount() external view returns (uint256) {
        return tasks.length;
    }

    function getTasks(uint256 lower, uint256 upper) external view returns (address[] memory) {
        return tasks.slice(lower, upper);
    }

    function getRegistrantCount() external view returns (uint256) {
        return registrants.length;
    }

    function getRegistrants(uint256 lower, uint256 upper) external view returns (address[] memory) {
        return registrants.slice(lower, upper);
    }

    function getRegistrantId(address provider) external view returns (uint256) {
        return registrantId[provider];
    }

    /// @notice Nexus sets any status; the client may only close an active source. The
    /// client route goes back through Nexus so the count and `SourceStatusChanged` stay right.
    function setStatus(SourceStatus _status) external {
        if (msg.sender == nexus) {
            status = _status;
            return;
        }
        require(msg.sender == owner(), "NotOwner");
        require(status == SourceStatus.ACTIVE, "SourceInactive");
        if (_status == SourceStatus.INACTIVE) {
            INexusOps(nexus).setSourceStatus(address(this), SourceStatus.INACTIVE);
        }
    }

    function setSourceParams(SourceParams memory _sourceParams) external onlyNexus {
        sourceParams = _sourceParams;
    }

    function publishTask(address task) external onlyNexus {
        tasks.push(task);
    }

    /// @return The registrant's 1-based id; registering again only updates the environment.
    function register(address provider, uint8 preferredEnvironment) external onlyNexus returns (uint256) {
        preferredEnvironmentOf[provider] = preferredEnvironment;
        uint256 id = registrantId[provider];
        if (id == 0) {
            registrants.push(provider);
            id = registrants.length;
            registrantId[provider] = id;
        }
        return id;
    }

    /// @notice Swap-and-pop, so the registrant list has no holes and count == live registrations.
    function unregister(address provider) external onlyNexus {
        uint256 id = registrantId[provider];
        require(id != 0, "NotRegistered");
        uint256 last = registrants.length;
        if (id != last) {
            address moved = registrants[last - 1];
            registrants[id - 1] = moved;
            registrantId[moved] = id;
        }
        registrants.pop();
        delete registrantId[provider];
        delete preferredEnvironmentOf[provider];
    }
}
