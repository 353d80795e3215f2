"""Reading stored content as JSON without letting hostile nesting take the process down.

``json.loads`` recurses once per nested array or object, in C. py-evm raises Python's
recursion limit to 100,000 when it is imported, so in any process that runs an in-process chain
a file of 100,000 ``[`` overflows the C stack (SIGSEGV) instead of raising ``RecursionError``.
Content is therefore measured first, with a linear scan that skips strings, and only parsed
when it nests at most :data:`MAX_JSON_DEPTH` levels deep.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from ogpu_sim.errors import ConfigError

MAX_JSON_DEPTH = 512
"""The deepest nesting parsed as JSON; deeper content is served and reported as text."""

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
BINARY_TYPE = "application/octet-stream"

# Complete JSON strings (escapes included) are removed before brackets are counted, so the
# brackets inside them do not count. Up to the first point where the text stops being JSON this
# matches json's own reading exactly, and json.loads never recurses past that point.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON text opens more than ``limit`` arrays or objects inside one another.

    Linear in the length of ``text`` and free of recursion, whatever the input.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if re.search(rf"[\[{{]{{{limit + 1}}}", brackets):  # a plain run: no need to add up
        return True
    return max(accumulate(map(_STEP.__getitem__, brackets.encode("ascii"))), default=0) > limit


def loads_bounded(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses content nested deeper than ``limit`` instead of crashing.

    Raises:
        ValueError: the content is not JSON (``json.JSONDecodeError``) or nests deeper than
            ``limit``.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8")
    if nests_deeper_than(text, limit):
        raise ValueError(f"JSON content nests deeper than {limit} levels; refusing to parse it")
    return json.loads(text)


def sniff_content_type(data: bytes) -> str:
    """Guess a content type as gateways do: JSON, UTF-8 text or octet-stream.

    Content nested deeper than :data:`MAX_JSON_DEPTH` is text: it is never parsed.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return BINARY_TYPE
    if text.lstrip()[:1] in ("{", "["):
        try:
            loads_bounded(text)
        except ValueError:
            pass
        else:
            return JSON_TYPE
    return TEXT_TYPE


def content_bytes(data: Any) -> bytes:
    """What ``add`` stores for ``data``: bytes as they are, text as UTF-8, a dict or list as
    ``json.dumps`` (the SDK's serialization).

    Raises:
        ConfigError: (``data``) of another type, or a dict or list that is not JSON.
    """
    if isinstance(data, dict | list):
        try:
            return json.dumps(data).encode()
        except (TypeError, ValueError) as exc:  # an object json cannot write, a cycle
            raise ConfigError("data", f"cannot add it as JSON: {exc}") from None
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise ConfigError("data", f"cannot add {type(data).__name__}; give bytes, str, dict or list")
