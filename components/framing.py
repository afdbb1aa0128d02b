"""Framing: byte streams <-> messages (lines; length-prefixed frames).

A byte stream arrives in chunks split anywhere (TCP, pipes, files); a splitter carries a
partial line or frame across chunks, so any split of the same stream gives the same
messages (a property test holds each framer to this).  Lines and frames are ``bytes``:
decode them explicitly (``TextDecoder``, ``JSONDecoder``...).  Limits protect memory: a
line longer than ``max_line`` or a frame larger than ``max_size`` is refused (reported per
``on_error``) and skipped, and the stream goes on.  :func:`line_session` puts a splitter in
front of a line protocol, its refusals delivered in their place among the lines.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from axon import Component, Graphline, Outbox

from ._stage import Stage
from .errors import OnError

__all__ = ["LengthPrefixDecoder", "LengthPrefixEncoder", "LineJoiner", "LineSplitter",
           "line_session"]

_BYTES = (bytes, bytearray)


class LineSplitter(Stage):
    """Splits a byte stream into lines (``bytes`` without the separator).

    ``separator`` is one byte (default ``b"\\n"``); ``strip_cr=True`` also removes a
    ``b"\\r"`` before it (CRLF protocols).  A line longer than ``max_line`` bytes is
    refused once and skipped up to its end.  At ``ProducerFinished`` a trailing line with
    no separator is sent if ``keep_partial`` (the default), else it is bad input.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(LineSplitter(), inbox=[b"ab\\nc", b"d\\n"],
    ...               control=[ProducerFinished()])["outbox"]
    [b'ab', b'cd']
    """

    Inboxes = {"inbox": "bytes chunks of a stream", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "lines, as bytes without the separator",
        "signal": "the end of stream, after the last (partial) line",
        "error": "BadInput records: non-bytes input, oversized lines (on_error='send')",
    }

    def __init__(self, *, max_line: int = 64 * 1024, separator: bytes = b"\n",
                 strip_cr: bool = False, keep_partial: bool = True,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if len(separator) != 1:
            raise ValueError("LineSplitter: separator must be one byte (use strip_cr for CRLF)")
        if max_line < 1:
            raise ValueError(f"LineSplitter: max_line must be >= 1, not {max_line}")
        self.max_line = max_line
        self.separator = bytes(separator)
        self.strip_cr = strip_cr
        self.keep_partial = keep_partial
        self._buf = bytearray()
        self._skipping = False  # inside an oversized line: drop bytes up to its separator

    def _too_long(self, head: bytes) -> None:
        self.reject(f"line longer than {self.max_line} bytes (max_line); skipped", head[:80])

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        sep = self.separator
        max_line = self.max_line
        buf = self._buf
        push = out.push
        for item in batch:
            chunk = item
            if type(chunk) is not bytes:
                if not isinstance(chunk, _BYTES):
                    self.reject(f"expected bytes, got {type(chunk).__name__}", chunk)
                    continue
                chunk = bytes(chunk)
            if sep not in chunk:  # no line ends here: it all belongs to the current line
                if not self._skipping:
                    buf += chunk
                    if len(buf) > max_line:
                        self._too_long(bytes(buf))
                        buf.clear()
                        self._skipping = True
                continue
            lines = chunk.split(sep)
            longest = len(chunk) + len(buf)  # no line can be longer than this
            if self._skipping:
                self._skipping = False
                del lines[0]  # the end of a line already refused
            elif buf:
                buf += lines[0]
                lines[0] = bytes(buf)
                buf.clear()
            tail = lines.pop()
            if longest > max_line:  # a line may be too long: refused in its place
                strip_cr = self.strip_cr
                for line in lines:
                    if len(line) > max_line:
                        self._too_long(line)
                    elif strip_cr and line.endswith(b"\r"):
                        push(line[:-1])
                    else:
                        push(line)
            else:
                if self.strip_cr:
                    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
                for line in lines:
                    push(line)
            if len(tail) > max_line:
                self._too_long(tail)
                self._skipping = True
            else:
                buf += tail

    def flush(self, out: Outbox[Any]) -> None:
        buf = self._buf
        if not buf:
            return
        line = bytes(buf)
        buf.clear()
        if self.strip_cr and line.endswith(b"\r"):
            line = line[:-1]
        if self.keep_partial:
            out.push(line)
        else:
            self.reject(f"stream ended inside a line ({len(line)} bytes, no separator)", line)


class LineJoiner(Stage):
    """Turns ``bytes`` lines into a byte stream: each line followed by ``separator``.

    Each batch of lines becomes one chunk (fewer, larger writes downstream).  ``str`` is
    bad input: put a ``TextEncoder`` in front.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(LineJoiner(), inbox=[b"a", b"b"], control=[ProducerFinished()])["outbox"]
    [b'a\\nb\\n']
    """

    Inboxes = {"inbox": "lines, as bytes", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "bytes chunks: the lines, each ending with the separator",
        "signal": "the end of stream, passed on",
        "error": "BadInput records for non-bytes lines (on_error='send')",
    }

    def __init__(self, *, separator: bytes = b"\n", on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.separator = bytes(separator)

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        sep = self.separator
        for line in batch:
            if not isinstance(line, _BYTES):
                batch = [ln for ln in batch if self._check(ln)]
                break
        if batch:
            batch.append(b"")
            out.push(sep.join(batch))

    def _check(self, line: Any) -> bool:
        if isinstance(line, _BYTES):
            return True
        self.reject(f"expected bytes, got {type(line).__name__} (put a TextEncoder in front)",
                    line)
        return False


#: A linkage table's value: one ``(label, box)`` sink, or a list of them (a fan-out).
_Sinks = tuple[str, str] | list[tuple[str, str]]

#: The linkages of every line session (``split`` is its ``LineSplitter``).
_SESSION_LINKAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("self", "inbox"): ("split", "inbox"),
    ("self", "control"): ("split", "control"),
    ("split", "outbox"): ("session", "inbox"),
    ("split", "error"): ("session", "inbox"),  # a refusal in its place among the lines
    ("split", "signal"): ("session", "control"),
    ("session", "outbox"): ("self", "outbox"),
    ("session", "signal"): ("self", "signal"),
}
#: Labels a line session's extra children cannot take: its own, and Graphline's keywords.
_TAKEN = ("self", "split", "session", "linkages", "inboxes", "outboxes", "name")


def line_session(session: Component, *, max_line: int = 64 * 1024, strip_cr: bool = True,
                 name: str | None = None, children: Mapping[str, Component] | None = None,
                 linkages: Mapping[tuple[str, str], _Sinks] | None = None) -> Graphline:
    """A line protocol over a byte stream: a ``Graphline`` of a :class:`LineSplitter`
    (``on_error="send"``) in front of ``session`` (labelled ``"split"`` and ``"session"``).

    The session's ``inbox`` gets the lines (``bytes``) and, in their place among them, a
    :class:`BadInput` record for each line longer than ``max_line`` bytes or chunk that is
    not bytes, so it can answer each one in order and carry on.  The graphline's inbox and
    control go to the splitter, whose end of stream (``ProducerFinished`` or ``Shutdown``,
    after the last line) goes to the session's ``control``; the session's ``outbox`` and
    ``signal`` are the graphline's.  A ``TCPServer`` factory can return one per connection.

    ``children`` (more components, by label) and ``linkages`` (``Graphline`` linkages by
    label) are added to the session's own: a source already linked also goes to the new
    sinks (a fan-out), so a session can, say, take a subscription on another inbox and
    end it when it ends::

        line_session(ViewerSession(), name="ViewerSession",
                     children={"notices": SubscribeTo("notices")},
                     linkages={("notices", "outbox"): ("session", "events"),
                               ("session", "signal"): ("notices", "control")})

    >>> from axon import ProducerFinished
    >>> from components import BadInput, Map
    >>> from components.testing import run_component
    >>> def answer(line):  # a line, or a BadInput in its place
    ...     return f"ERR {line.problem}" if isinstance(line, BadInput) else f"OK {line.decode()}"
    >>> run_component(line_session(Map(answer), max_line=8),
    ...               inbox=[b"hi\\r\\n0123456789\\nbye\\n"], control=[ProducerFinished()])
    {'outbox': ['OK hi', 'ERR line longer than 8 bytes (max_line); skipped', 'OK bye'],
     'signal': [ProducerFinished(reason='')]}

    Args:
        session: the protocol: a component with ``inbox``/``control`` and
            ``outbox``/``signal`` that ends after the end of stream reaches its control.
        max_line: the longest line taken, in bytes without the separator (at least 1).
        strip_cr: also remove a ``\\r`` before each ``\\n`` (CRLF protocols).
        name: the graphline's name (default ``LineSession``): errors name the parts as
            ``<name>[split]:LineSplitter`` and ``<name>[session]:<session's name>``.
        children: more children, by label (not ``split``, ``session``, ``self`` nor
            ``Graphline``'s keywords).
        linkages: more linkages, added to the ones above.

    Raises:
        TypeError: ``max_line`` not an int.
        ValueError: ``max_line`` below 1, a label that is taken, or a linkage the session
            already makes.
        LinkError: a linkage naming an unknown child or box (the session's boxes too).
    """
    if isinstance(max_line, bool) or not isinstance(max_line, int):
        raise TypeError(f"line_session: max_line must be an int, not {max_line!r}")
    if max_line < 1:
        raise ValueError(f"line_session: max_line must be >= 1, not {max_line}")
    name = name if name is not None else "LineSession"
    extra = dict(children or {})
    taken = sorted(label for label in extra if label in _TAKEN)
    if taken:
        raise ValueError(f"{name}: {', '.join(map(repr, taken))} cannot label a child "
                         f"(taken: {', '.join(map(repr, _TAKEN))})")
    table: dict[tuple[str, str], _Sinks] = dict(_SESSION_LINKAGES)
    for source, sinks in (linkages or {}).items():
        new = list(sinks) if isinstance(sinks, list) else [sinks]
        have = table.get(source)
        old = [] if have is None else list(have) if isinstance(have, list) else [have]
        again = [sink for sink in new if sink in old]
        if again:
            raise ValueError(f"{name}: linkage {source} -> {again[0]} is one the line "
                             "session already makes")
        table[source] = old + new if old or len(new) > 1 else new[0]
    split = LineSplitter(max_line=max_line, strip_cr=strip_cr, on_error=OnError.SEND)
    return Graphline(table, name=name, split=split, session=session,
                     **extra)  # type: ignore[arg-type]  # (children: not its keywords)


_HEADER = struct.Struct("!I")


class LengthPrefixEncoder(Stage):
    """Frames each ``bytes`` payload as a 4-byte big-endian length followed by the payload.

    A payload larger than ``max_size`` is refused (the peer's decoder would refuse it).

    >>> from axon import Pipeline, ProducerFinished
    >>> from axon.testing import run_component
    >>> from components import JSONEncoder
    >>> run_component(Pipeline(JSONEncoder(), LengthPrefixEncoder()), inbox=[{"n": 1}],
    ...               control=[ProducerFinished()])["outbox"]
    [b'\\x00\\x00\\x00\\x07{"n":1}']
    """

    Inboxes = {"inbox": "payloads, as bytes", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "frames: length header + payload",
        "signal": "the end of stream, passed on",
        "error": "BadInput records: non-bytes or oversized payloads (on_error='send')",
    }

    def __init__(self, *, max_size: int = 16 * 1024 * 1024,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if not 0 < max_size < 2**32:
            raise ValueError(f"LengthPrefixEncoder: max_size must be in 1..2**32-1, not {max_size}")
        self.max_size = max_size

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        pack = _HEADER.pack
        for payload in batch:
            if not isinstance(payload, _BYTES):
                self.reject(f"expected bytes, got {type(payload).__name__}", payload)
            elif len(payload) > self.max_size:
                self.reject(f"payload of {len(payload)} bytes exceeds max_size "
                            f"{self.max_size}", payload[:80])
            else:
                out.push(pack(len(payload)) + payload)


class LengthPrefixDecoder(Stage):
    """Splits a byte stream of length-prefixed frames (see ``LengthPrefixEncoder``).

    A header announcing more than ``max_size`` bytes (an oversized frame, or garbage read
    as a header) is refused and the bytes it announces are skipped.  At
    ``ProducerFinished`` a partial frame left over is bad input.

    >>> from axon import Pipeline, ProducerFinished
    >>> from axon.testing import run_component
    >>> from components import JSONDecoder
    >>> run_component(Pipeline(LengthPrefixDecoder(), JSONDecoder()),  # a frame in two chunks
    ...               inbox=[b'\\x00\\x00\\x00\\x07{"n":', b'1}'],
    ...               control=[ProducerFinished()])["outbox"]
    [{'n': 1}]
    """

    Inboxes = {"inbox": "bytes chunks of a framed stream", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "payloads, as bytes",
        "signal": "the end of stream, passed on",
        "error": "BadInput records: oversized or truncated frames, non-bytes (on_error='send')",
    }

    def __init__(self, *, max_size: int = 16 * 1024 * 1024,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if max_size < 1:
            raise ValueError(f"LengthPrefixDecoder: max_size must be >= 1, not {max_size}")
        self.max_size = max_size
        self._buf = bytearray()
        self._skip = 0  # payload bytes of a refused frame still to drop

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        buf = self._buf
        push = out.push
        unpack = _HEADER.unpack_from
        max_size = self.max_size
        for chunk in batch:
            if not isinstance(chunk, _BYTES):
                self.reject(f"expected bytes, got {type(chunk).__name__}", chunk)
                continue
            buf += chunk
            pos = 0
            end = len(buf)
            while True:
                if self._skip:
                    n = min(self._skip, end - pos)
                    self._skip -= n
                    pos += n
                    if self._skip:
                        break
                if end - pos < 4:
                    break
                (size,) = unpack(buf, pos)
                if size > max_size:
                    self.reject(f"frame header announces {size} bytes, more than max_size "
                                f"{max_size}; frame refused", bytes(buf[pos:pos + 4]))
                    pos += 4
                    self._skip = size
                    continue
                if end - pos - 4 < size:
                    break
                push(bytes(buf[pos + 4:pos + 4 + size]))
                pos += 4 + size
            del buf[:pos]

    def flush(self, out: Outbox[Any]) -> None:
        if self._buf:
            left = len(self._buf)
            self._buf.clear()
            self.reject(f"stream ended inside a frame ({left} bytes left over)")
