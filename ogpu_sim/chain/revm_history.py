"""The revm node's open journal checkpoints: its snapshots and the state before recent blocks.

pyrevm has no state history: a past state exists only while a journal checkpoint taken at that
point is open. Snapshots open one each; for reorgs :class:`Checkpoints` also opens one before
each of the last :data:`REORG_WINDOW` blocks. Checkpoints are one-shot and every open one
deepens revm's call stack by a frame, so the window is bounded: when it is full the oldest
block checkpoint is released with ``commit()`` (which closes one checkpoint's frame and keeps its
changes), and reverting always reverts the youngest checkpoints first.
"""

from __future__ import annotations

from typing import Any

from ..errors import ChainError

REORG_WINDOW = 64
"""Blocks a reorg can replace on revm (each costs one open journal checkpoint)."""


class Checkpoints:
    """Open checkpoints of one pyrevm ``EVM``, oldest first.

    Args:
        evm: the node's ``pyrevm.EVM``.
        window: how many recent blocks keep a checkpoint for reorgs.
    """

    def __init__(self, evm: Any, window: int = REORG_WINDOW) -> None:
        self._evm = evm
        self._window = window
        # Open checkpoints by identity, oldest first (a dict keeps insertion order): a session
        # keeps one per snapshot it took, so membership and removal must not scan them all.
        self._open: dict[int, Any] = {}
        self._blocks: list[tuple[int, Any]] = []  # (block number, checkpoint before it)

    def open(self) -> Any:
        """Open a checkpoint at the current state (a snapshot's)."""
        checkpoint = self._evm.snapshot()
        self._open[id(checkpoint)] = checkpoint
        return checkpoint

    def before_block(self, number: int) -> None:
        """Remember the state before block ``number`` is mined (for a reorg to return to)."""
        if self._blocks and self._blocks[-1][0] == number:
            return  # a transaction for this block was refused before it changed anything
        self._blocks.append((number, self.open()))
        if len(self._blocks) > self._window:
            _number, oldest = self._blocks.pop(0)
            self._evm.commit()
            self._open.pop(id(oldest), None)

    def before(self, number: int) -> Any | None:
        """The checkpoint taken before block ``number``, while it is still kept."""
        return next((c for n, c in self._blocks if n == number), None)

    def is_open(self, checkpoint: Any) -> bool:
        """Whether ``checkpoint`` can still be reverted to."""
        return self._open.get(id(checkpoint)) is checkpoint

    def release(self, checkpoint: Any) -> bool:
        """Close ``checkpoint`` keeping the state, if it is the youngest open one and no block's
        (revm commits only the youngest); whether it was closed."""
        if not self._open or next(reversed(self._open.values())) is not checkpoint:
            return False
        if any(kept is checkpoint for _n, kept in self._blocks):
            return False
        self._evm.commit()
        del self._open[id(checkpoint)]
        return True

    def revert_to(self, checkpoint: Any) -> None:
        """Return to ``checkpoint``'s state; it and every younger checkpoint are consumed.

        Raises:
            ChainError: ``checkpoint`` is not open (consumed by an earlier revert, or released).
        """
        if not self.is_open(checkpoint):
            raise ChainError("cannot revert to a journal checkpoint that is no longer open")
        undone = []
        for younger in reversed(self._open.values()):  # youngest first, up to the target
            undone.append(younger)
            if younger is checkpoint:
                break
        for younger in undone:
            self._evm.revert(younger)
            del self._open[id(younger)]
        self._blocks = [(n, c) for n, c in self._blocks if self.is_open(c)]


__all__ = ["REORG_WINDOW", "Checkpoints"]
