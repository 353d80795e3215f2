// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test-only helper of ogpu_sim.testing: many view calls in one eth_call, so the hypothesis
/// machine can compare the whole chain state with the model after every step cheaply.
/// Compiled with solc 0.8.37, optimizer 200 runs, evmVersion cancun, no metadata hash; the
/// bytecode is embedded in ogpu_sim/testing/chainview.py (BATCH_READ_BYTECODE).
contract BatchRead {
    /// Staticcall every (target, calldata) pair; a failed call yields ok=false.
    function read(address[] calldata targets, bytes[] calldata calls)
        external
        view
        returns (bool[] memory ok, bytes[] memory results)
    {
        ok = new bool[](calls.length);
        results = new bytes[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            (ok[i], results[i]) = targets[i].staticcall(calls[i]);
        }
    }

    /// What `read` answers, for calls packed after the selector (a node copies every byte of
    /// an eth_call's data, so the packed calls are a fraction of read's ABI arguments): the
    /// call count (3 bytes), the number of targets (3 bytes) and each target (20 bytes); then
    /// per call its target's position in that list (3 bytes) and its calldata: the count of
    /// its words (1 byte), the selector (4 bytes) and each word as its length without leading
    /// zeros (1 byte) and those bytes; or 0xff, the calldata's length (3 bytes) and the
    /// calldata as it is. Each call's calldata is rebuilt where its result goes, and its
    /// result written over it, so the reply is laid out exactly as read's.
    function readPacked() external view returns (bool[] memory, bytes[] memory) {
        assembly ("memory-safe") {
            let n := shr(232, calldataload(4))
            let table := 10
            let p := add(table, mul(20, shr(232, calldataload(7))))
            let out := mload(0x40)
            let words := shl(5, n)
            mstore(out, 0x40)
            mstore(add(out, 0x20), add(0x60, words))
            mstore(add(out, 0x40), n)
            mstore(add(add(out, 0x60), words), n)
            let tail := add(add(out, 0x80), shl(1, words))
            for { let at := 0 } lt(at, words) { at := add(at, 0x20) } {
                let input := add(tail, 0x20)
                let target := shr(96, calldataload(add(table, mul(20, shr(232, calldataload(p))))))
                let size := shr(248, calldataload(add(p, 3)))
                switch size
                case 0xff {
                    size := shr(232, calldataload(add(p, 4)))
                    calldatacopy(input, add(p, 7), size)
                    p := add(add(p, 7), size)
                }
                default {
                    mstore(input, calldataload(add(p, 4)))
                    p := add(p, 8)
                    let word := add(input, 4)
                    size := add(4, shl(5, size))
                    for { } lt(word, add(input, size)) { word := add(word, 0x20) } {
                        let length := shr(248, calldataload(p))
                        mstore(word, shr(shl(3, sub(32, length)), calldataload(add(p, 1))))
                        p := add(add(p, 1), length)
                    }
                }
                mstore(add(add(out, 0x60), at), staticcall(gas(), target, input, size, 0, 0))
                size := returndatasize()
                returndatacopy(input, 0, size)
                mstore(add(input, size), 0)
                mstore(tail, size)
                let heads := add(add(out, 0x80), words)
                mstore(add(heads, at), sub(tail, heads))
                tail := add(input, and(add(size, 0x1f), not(0x1f)))
            }
            return(out, sub(tail, out))
        }
    }

    /// Native balance of an account (lets one batch include the Vault's own balance).
    function balanceOf(address account) external view returns (uint256) {
        return account.balance;
    }
}
