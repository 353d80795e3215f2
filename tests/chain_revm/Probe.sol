// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A child deployed by Probe.spawn, so gas estimation covers CREATE with 63/64 forwarding.
contract Child {
    uint256 public value;
    address public parent;

    constructor(uint256 v) {
        value = v;
        parent = msg.sender;
    }
}

/// The revm backend's test contract: storage, events, reverts, children and block context.
contract Probe {
    error NotEnough(uint256 have, uint256 want);

    event Stored(address indexed by, uint256 value);
    event Spawned(address child);

    uint256 public stored;
    address[] public children;

    function store(uint256 v) external payable {
        stored = v;
        emit Stored(msg.sender, v);
    }

    function failWithReason() external pure {
        revert("probe says no");
    }

    function failWithError(uint256 want) external view {
        revert NotEnough(stored, want);
    }

    function spawn(uint256 v) external returns (address child) {
        child = address(new Child(v));
        children.push(child);
        emit Spawned(child);
    }

    function context() external view returns (uint256, uint256, uint256, uint256) {
        return (block.chainid, block.timestamp, block.number, block.basefee);
    }
}
