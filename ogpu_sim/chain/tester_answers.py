"""JSON-RPC answers of the eth-tester node about mined blocks, kept by block hash.

A mined block's hash names its whole content (header, transactions, and through the receipts
root its receipts), so whatever the node answers about a block it reaches by hash (its JSON
block object, a receipt of one of its transactions) is the same every time it is asked.
eth-tester rebuilds these answers from the database on each request (decoding the block and
all its receipts, then validating and normalizing the result: about half a millisecond
each); :class:`AnswerMemo` keeps them by block hash instead. Which block a number or a
transaction hash names is still looked up on every request, so reverts, reorganisations by
snapshot and time travel (all of which mine blocks with other hashes) are answered as before.
Every answer is handed out as a fresh copy, so a caller that changes it changes nothing kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

MAX_ANSWERS = 2048
"""Answers kept at most; the memo starts over when full."""

K = TypeVar("K")


def json_copy(value: Any) -> Any:
    """A copy of a JSON value (dicts and lists copied, everything else immutable)."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    return value


class AnswerMemo:
    """Answers kept by a key naming immutable content (a block hash, with what was asked)."""

    def __init__(self, limit: int = MAX_ANSWERS) -> None:
        self.limit = limit
        self._answers: dict[Any, Any] = {}

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: K, build: Callable[[], Any]) -> Any:
        """A copy of the answer kept for ``key``, built (and kept unless ``None``) if new."""
        answer = self._answers.get(key)
        if answer is None:
            answer = build()
            if answer is None:
                return None
            if len(self._answers) >= self.limit:
                self._answers.clear()
            self._answers[key] = answer
        return json_copy(answer)

    def clear(self) -> None:
        """Forget every answer."""
        self._answers.clear()


__all__ = ["MAX_ANSWERS", "AnswerMemo", "json_copy"]
