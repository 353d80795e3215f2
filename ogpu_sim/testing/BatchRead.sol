// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test-only helper of ogpu_sim.testing: many view calls in one eth_call, so the hypothesis
/// machine can compare the whole chain state with the model after every step cheaply.
/// Compiled with solc 0.8.37, optimizer 200 runs, evmVersion cancun; the bytecode is embedded
/// in ogpu_sim/testing/chainview.py (BATCH_READ_BYTECODE).
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

    /// Native balance of an account (lets one batch include the Vault's own balance).
    function balanceOf(address account) external view returns (uint256) {
        return account.balance;
    }
}
