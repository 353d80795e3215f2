// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Manager: the protocol's role registry (OpenZeppelin v5 AccessControl).
/// @notice The deployer becomes admin and judge. CONTROLLER is held by Controller and Nexus.
contract Manager is AccessControl {
    bytes32 public constant CONTROLLER = keccak256("CONTROLLER");
    bytes32 public constant PROVIDER = keccak256("PROVIDER");
    bytes32 public constant JUDGE = keccak256("JUDGE");

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(JUDGE, msg.sender);
    }
}
