"""Reading an HTTP request's head (request line and headers) faster than ``http.server`` does.

``BaseHTTPRequestHandler.parse_request`` hands the header block to the email package's feed
parser, about 50 us per request, a fifth of what the mock IPFS spends on a pin. Header blocks
of plain ``Name: value`` lines (what ``requests`` and urllib3 send) are split here directly
into the same :class:`http.client.HTTPMessage`; any other block (folded lines, stray line
breaks, lines that are not headers) still goes to the email parser, so every request gets the
headers, and every malformed one the answer, it got before. tests/ipfs/test_head.py compares
the two on generated header blocks.
"""

from __future__ import annotations

import email.parser
import http.client
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from io import BufferedIOBase

_MAX_LINE = 65536  # http.client's limits on a header line and on the number of headers
_MAX_HEADERS = 100
_END = (b"\r\n", b"\n", b"")
# What the feed parser reads as one header line: a name of printable characters other than
# the colon, the colon, the value up to one line end (a lone CR would end the line there).
_PLAIN_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*)\r?\n")
_PLAIN_PAIR = re.compile(rb"([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*)\r\n")
_PLAIN_BLOCK = re.compile(rb"(?:[\x21-\x39\x3b-\x7e]+:[ \t]*[^\r\n]*\r\n)*")


def read_header_lines(rfile: BufferedIOBase) -> list[bytes]:
    """Read header lines up to the blank line, as ``http.client.parse_headers`` reads them.

    Raises:
        http.client.LineTooLong: a line is longer than 65536 bytes.
        http.client.HTTPException: there are more than 100 lines.
    """
    readline = rfile.readline
    lines: list[bytes] = []
    while True:
        line = readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        if line in _END:
            return lines


def parse_header_lines(lines: list[bytes]) -> http.client.HTTPMessage:
    """The headers ``http.client.parse_headers`` makes of these lines (the last one the end)."""
    pairs = []
    for line in lines[:-1]:
        match = _PLAIN_LINE.fullmatch(line)
        if match is None:
            text = b"".join(lines).decode("iso-8859-1")
            return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)
        pairs.append((match.group(1).decode("ascii"), match.group(2).decode("iso-8859-1")))
    return message_of(pairs)


def message_of(pairs: list[tuple[str, str]]) -> http.client.HTTPMessage:
    """The message the email parser makes of plain header lines with these names and values."""
    message = http.client.HTTPMessage()
    for name, value in pairs:
        message.set_raw(name, value)
    message.set_payload("")
    return message


def read_plain_block(rfile: BufferedIOBase) -> list[tuple[str, str]] | None:
    """The names and values of a plain header block that ``rfile`` already holds, or ``None``.

    A block of CRLF-ended plain lines up to its blank line, whole in the reader's buffer (the
    usual case: a client writes its head at once), is consumed and split by one pattern, with
    no line-by-line reads. Anything else (LF line ends, an odd line, a head still arriving, a
    block long enough to meet the line or header limits) consumes nothing and is ``None``, to
    be read by :func:`read_header_lines`.
    """
    peek = getattr(rfile, "peek", None)
    if peek is None:
        return None
    buffered: bytes = peek(1)
    if buffered[:2] == b"\r\n":
        rfile.read(2)
        return []
    end = buffered.find(b"\r\n\r\n", 0, _MAX_LINE)
    if end < 0:
        return None
    block = buffered[: end + 2]
    if _PLAIN_BLOCK.fullmatch(block) is None:
        return None
    found = _PLAIN_PAIR.findall(block)
    if len(found) >= _MAX_HEADERS:
        return None
    rfile.read(end + 4)
    return [(name.decode("ascii"), value.decode("iso-8859-1")) for name, value in found]


class FastHeadMixin(BaseHTTPRequestHandler):
    """``parse_request`` as the standard library's, with the headers read by this module."""

    raw_requestline: bytes  # set by handle_one_request before parse_request runs
    header_items: list[tuple[str, str]]
    """The headers' names and values in order, as ``headers.items()`` gives them."""
    header_values: dict[str, str]
    """Each lower-case header name's first value, as ``headers.get(name)`` gives it."""

    def parse_request(self) -> bool:
        # The standard library's (Python 3.11 to 3.13), step for step, but for the header lines.
        self.command = None  # type: ignore[assignment]  # the stdlib's own convention
        self.request_version = version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if len(words) == 0:
            return False
        if len(words) >= 3:  # enough to determine the protocol version
            version = words[-1]
            try:
                if not version.startswith("HTTP/"):
                    raise ValueError
                base_version_number = version.split("/", 1)[1]
                components = base_version_number.split(".")
                if len(components) != 2:
                    raise ValueError
                if any(not component.isdigit() for component in components):
                    raise ValueError("non digit in http version")
                if any(len(component) > 10 for component in components):
                    raise ValueError("unreasonable length http version")
                version_number = int(components[0]), int(components[1])
            except (ValueError, IndexError):
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request version ({version!r})")
                return False
            if version_number >= (1, 1) and self.protocol_version >= "HTTP/1.1":
                self.close_connection = False
            if version_number >= (2, 0):
                self.send_error(
                    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                    f"Invalid HTTP version ({base_version_number})",
                )
                return False
            self.request_version = version
        if not 2 <= len(words) <= 3:
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({requestline!r})")
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad HTTP/0.9 request type ({command!r})")
                return False
        self.command, self.path = command, path
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")  # gh-87389: no open redirects
        try:
            pairs = read_plain_block(self.rfile)
            if pairs is None:
                self.headers = parse_header_lines(read_header_lines(self.rfile))
                pairs = self.headers.items()
            else:
                self.headers = message_of(pairs)
        except http.client.LineTooLong as err:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long", str(err))
            return False
        except http.client.HTTPException as err:
            self.send_error(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers", str(err)
            )
            return False
        self.header_items = pairs
        first: dict[str, str] = {}  # headers.get's answers, without the email policy's
        for name, value in pairs:
            first.setdefault(name.lower(), value)
        self.header_values = first
        conntype = first.get("connection", "")
        if conntype.lower() == "close":
            self.close_connection = True
        elif conntype.lower() == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        expect = first.get("expect", "")
        if (
            expect.lower() != "100-continue"
            or self.protocol_version < "HTTP/1.1"
            or self.request_version < "HTTP/1.1"
        ):
            return True
        return self.handle_expect_100()
