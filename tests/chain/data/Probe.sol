// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A contract deployed by Probe.spawn; its constructor writes storage so that deploying it
/// needs real gas (the 63/64 rule decides whether an estimate is accurate).
contract ProbeChild {
    uint256[6] public slots;

    constructor(uint256 seed) {
        for (uint256 i = 0; i < slots.length; i++) {
            slots[i] = seed + i + 1;
        }
    }
}

/// Test contract for the chain conformance suite: every way a call can fail, plus state,
/// events, time and child deployment.
contract Probe {
    error Unauthorized(address caller, uint256 code);

    event Stored(address indexed sender, uint256 value);
    event ChildCreated(address indexed child, uint256 seed);

    uint256 public stored;
    address[] public children;

    function revertWithReason() external pure {
        revert("NotOwner");
    }

    function revertWithCustomError() external view {
        revert Unauthorized(msg.sender, 7);
    }

    function divide(uint256 numerator, uint256 denominator) external pure returns (uint256) {
        return numerator / denominator;
    }

    function storeIf(bool ok, uint256 value) external {
        require(ok, "Expired");
        stored = value;
        emit Stored(msg.sender, value);
    }

    function store(uint256 value) external {
        stored = value;
        emit Stored(msg.sender, value);
    }

    function timestamp() external view returns (uint256) {
        return block.timestamp;
    }

    function storeTimestampNotBefore(uint256 notBefore) external {
        require(block.timestamp >= notBefore, "TooEarly");
        stored = block.timestamp;
        emit Stored(msg.sender, block.timestamp);
    }

    function chainId() external view returns (uint256) {
        return block.chainid;
    }

    function spawn(uint256 count) external returns (address last) {
        for (uint256 i = 0; i < count; i++) {
            last = address(new ProbeChild(i));
            children.push(last);
            emit ChildCreated(last, i);
        }
    }

    function childCount() external view returns (uint256) {
        return children.length;
    }
}
