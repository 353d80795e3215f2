"""Throw-away py-evm states for ``eth_call`` and ``eth_estimateGas``: execution without the
bookkeeping a discarded transaction does not need.

py-evm's ``State.apply_transaction`` (0.12.1b1, Cancun and later executors) validates the
transaction, builds the message (buys the gas, increments the nonce, reads the code), executes
it, then finalizes it: refunds, the coinbase's fee, self-destructed accounts, the EIP-7623 data
floor. A call's state is reverted and dropped, so the finalization changes nothing anyone
reads: the output, the error, the gas remaining and the refund counter are the executed
computation's (finalizing only reads them; London and later add no self-destruct refund).
:func:`view_state` builds a state whose ``apply_transaction`` runs py-evm's own executor steps
but the last: ``validate_transaction`` and ``build_computation`` as they are, and the message
as ``CancunTransactionExecutor.build_evm_message`` builds it, without its debug-log line (that
line formats the transaction and hex-encodes the called code on every execution, logged or
not). Transient storage is cleared after each execution as Cancun's executor clears it.

The state also skips ``set_system_contracts`` at construction: in py-evm 0.12.1b1 it writes the
beacon-roots and history contracts' code only where that very code is already there, which
changes no value (its test shows the state root unchanged). Executors other than py-evm's own
Cancun-derived ones, or one whose steps this module does not know, keep py-evm's whole path.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from eth._utils.address import generate_contract_address
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth.vm.forks.cancun.state import BLOB_TX_TYPE, CancunState, CancunTransactionExecutor
from eth.vm.forks.frontier.state import FrontierState
from eth.vm.forks.prague.state import PragueState
from eth.vm.message import Message


def known_executor(executor_class: type) -> bool:
    """Whether ``executor_class`` runs py-evm's Cancun ``__call__`` and message building."""
    return (
        issubclass(executor_class, CancunTransactionExecutor)
        and executor_class.__call__ is CancunTransactionExecutor.__call__
        and executor_class.build_evm_message is CancunTransactionExecutor.build_evm_message
    )


def build_message(executor: Any, transaction: Any) -> Any:
    """``CancunTransactionExecutor.build_evm_message`` without its debug-log line."""
    state = executor.vm_state
    fee = transaction.gas * state.get_gas_price(transaction)
    if transaction.type_id == BLOB_TX_TYPE:
        fee += executor.calc_data_fee(transaction)
    sender = transaction.sender
    if fee:  # a zero delta writes the balance the nonce increment below writes anyway
        state.delta_balance(sender, -fee)
    state.increment_nonce(sender)
    refund = executor.calc_message_refund(transaction)
    to = transaction.to
    if to == CREATE_CONTRACT_ADDRESS:
        contract_address: Any = generate_contract_address(sender, state.get_nonce(sender) - 1)
        data, code, is_delegation = b"", transaction.data, False
    else:
        contract_address = None
        data = transaction.data
        code, delegation_address = executor.get_code_at_address(to)
        is_delegation = delegation_address is not None
    return Message(
        gas=transaction.gas - transaction.intrinsic_gas,
        to=to,
        sender=sender,
        value=transaction.value,
        data=data,
        code=code,
        create_address=contract_address,
        refund=refund,
        is_delegation=is_delegation,
    )


def apply_sent(state: Any, transaction: Any) -> Any:
    """``state.apply_transaction(transaction)`` for a send: py-evm's executor steps in order
    (validation, the message, the execution, the finalization, Cancun's transient-storage
    clear) with the message built by :func:`build_message`, without the debug-log line that
    formats the transaction and hex-encodes the called code on every send.

    A state class that replaces ``apply_transaction``, an executor whose steps this module
    does not know, or py-evm's debug2 logging switched on keeps py-evm's whole path (and its
    log line).
    """
    executor = state.get_transaction_executor()
    if (
        type(state).apply_transaction is not FrontierState.apply_transaction
        or not known_executor(type(executor))
        or state.logger.show_debug2
    ):
        return type(state).apply_transaction(state, transaction)
    executor.validate_transaction(transaction)
    message = build_message(executor, transaction)
    computation = executor.build_computation(message, transaction)
    computation = executor.finalize_computation(transaction, computation)
    state.clear_transient_storage()
    return computation


def _unfinalized(stock: Any) -> Any:
    def apply_transaction(self: Any, transaction: Any) -> Any:
        """py-evm's ``apply_transaction`` up to the executed computation (no finalization)."""
        executor = self.get_transaction_executor()
        if not known_executor(type(executor)):
            return stock(self, transaction)
        executor.validate_transaction(transaction)
        message = build_message(executor, transaction)
        computation = executor.build_computation(message, transaction)
        self.clear_transient_storage()
        return computation

    return apply_transaction


def _no_system_contracts(self: Any) -> None:
    """py-evm's writes here change no value (see the module docstring)."""


@cache
def view_class(state_class: type) -> type:
    """``state_class`` for a discarded execution (itself where this module does not apply)."""
    if not issubclass(state_class, CancunState) or not known_executor(
        state_class.transaction_executor_class
    ):
        return state_class
    members: dict[str, Any] = {
        "apply_transaction": _unfinalized(state_class.apply_transaction),
        "unfinalized": True,
    }
    if state_class.set_system_contracts in (
        PragueState.set_system_contracts,
        CancunState.set_system_contracts,
    ):
        members["set_system_contracts"] = _no_system_contracts
    return type(state_class.__name__, (state_class,), members)


def unfinalized(state: Any) -> bool:
    """Whether ``state``'s executions stop before py-evm's finalization (a :func:`view_class`)."""
    return getattr(type(state), "unfinalized", False) is True


def view_state(vm: Any, db: Any, header: Any) -> Any:
    """A state at ``header`` for calls and estimates: ``vm.build_state`` of :func:`view_class`.

    Args:
        vm: the VM of ``header`` (``chain.get_vm(header)``).
        db: the chain database (nothing is persisted to it).
        header: the header whose state root and block context the executions see.
    """
    context = vm.create_execution_context(header, vm.previous_hashes, vm.chain_context)
    return view_class(vm.get_state_class())(db, context, header.state_root)


__all__ = [
    "apply_sent",
    "build_message",
    "known_executor",
    "unfinalized",
    "view_class",
    "view_state",
]
