// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Read helper of ogpu_sim.actors.tasks, never deployed: its creation code runs as an eth_call
/// without `to`, and the constructor's return data is the answer, so one call reads a task's
/// immutable facts on any node. Compiled with solc 0.8.37, optimizer 200 runs, evmVersion
/// cancun, no metadata hash; the creation code is embedded in ogpu_sim/actors/tasks.py
/// (FACTS_READ_BYTECODE, which tests/actors/test_tasks.py compares with this source).
contract TaskFactsRead {
    /// Returns abi.encode(ok, taskParams() return data, getDeliveryMethod() return data).
    constructor(address task) {
        (bool paramsOk, bytes memory params) = task.staticcall(abi.encodeWithSignature("taskParams()"));
        (bool deliveryOk, bytes memory delivery) =
            task.staticcall(abi.encodeWithSignature("getDeliveryMethod()"));
        bytes memory answer = abi.encode(paramsOk && deliveryOk, params, delivery);
        assembly {
            return(add(answer, 32), mload(answer))
        }
    }
}
