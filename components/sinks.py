"""Sinks: collect into a list, echo to the console, write to a file."""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from typing import IO, Any

from axon import Outbox

from ._stage import Stage
from .errors import OnError

__all__ = ["Collector", "ConsoleEcho", "FileWriter"]


class Collector(Stage):
    """Keeps every message in :attr:`items` (a list), for tests and small tools.

    >>> from axon import Pipeline, run
    >>> from components import IterableSource
    >>> c = Collector()
    >>> _ = run(Pipeline(IterableSource([1, 2]), c))
    >>> c.items
    [1, 2]
    """

    Inboxes = {"inbox": "messages to keep", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "(unused) kept so Collector can end a Pipeline",
        "signal": "the end of stream, passed on once everything is collected",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    def __init__(self, *, on_error: OnError | str = OnError.RAISE, name: str | None = None):
        super().__init__(on_error=on_error, name=name)
        self.items: list[Any] = []

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        self.items.extend(batch)


class ConsoleEcho(Stage):
    """Writes each message to the console (``stream``, default ``sys.stdout``).

    ``str`` messages are written followed by ``end`` (default a newline); ``bytes`` go
    to the stream's binary buffer unchanged.  Anything else is bad input, unless
    ``use_repr=True``: then every message (str and bytes too) is written as its ``repr``,
    so objects print as a debugger would show them.  ``tag`` starts every line written
    (each line of a message of several; before the bytes of a ``bytes`` message), to tell
    several echoes apart.  With
    ``forwarder=True`` each message written is also passed on, unchanged, on ``outbox``,
    so an echo can watch a stream in the middle of a pipeline (Kamaelia's
    ``ConsoleEchoer(forwarder=True, use_repr=True, tag=...)``).  The stream is flushed
    after each batch.

    >>> from axon import Pipeline, run
    >>> from components import IterableSource
    >>> _ = run(Pipeline(IterableSource([(1, 2)]), ConsoleEcho(tag="got: ", use_repr=True)))
    got: (1, 2)
    """

    Inboxes = {"inbox": "str or bytes to write (anything, with use_repr=True)",
               "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "with forwarder=True, each message written, unchanged (else unused)",
        "signal": "the end of stream, passed on once everything is written",
        "error": "BadInput records for messages that are not str/bytes (on_error='send')",
    }

    def __init__(self, stream: IO[str] | None = None, *, end: str = "\n", tag: str = "",
                 use_repr: bool = False, forwarder: bool = False,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if not isinstance(tag, str):
            raise TypeError(f"ConsoleEcho: tag is a str, not {tag!r}")
        self.stream = stream
        self.end = end
        self.tag = tag
        self.use_repr = use_repr
        self.forwarder = forwarder

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        end, tag, forward = self.end, self.tag, self.forwarder
        for msg in batch:
            if self.use_repr:
                stream.write(self._tagged(repr(msg)) + end)
            elif isinstance(msg, str):
                stream.write(self._tagged(msg) + end)
            elif isinstance(msg, (bytes, bytearray)):
                if tag:
                    stream.write(tag)
                stream.flush()
                stream.buffer.write(msg)  # type: ignore[union-attr]
            else:
                self.reject(f"expected str or bytes, got {type(msg).__name__} "
                            "(use_repr=True prints any object, or put Map(str) in front)", msg)
                continue
            if forward:
                out.push(msg)
        stream.flush()

    def _tagged(self, text: str) -> str:
        """``text`` with the tag at the start of each of its lines."""
        tag = self.tag
        if not tag:
            return text
        if "\n" not in text and "\r" not in text:
            return tag + text
        return "".join(tag + line for line in text.splitlines(keepends=True))


class FileWriter(Stage):
    """Writes ``bytes`` messages to a file; ``mode`` is ``"append"`` or ``"truncate"``.

    The file is opened when the component starts and flushed after each batch, so all data
    is flushed before the end of stream is passed on; it is closed when the component ends.  ``str`` is bad input
    (put a ``TextEncoder`` in front): the edge between text and bytes is explicit.

    >>> import pathlib, tempfile
    >>> from axon import Pipeline, run
    >>> from components import IterableSource
    >>> log = pathlib.Path(tempfile.mkdtemp(), "out.log")
    >>> _ = run(Pipeline(IterableSource([b"a\\n", b"b\\n"]), FileWriter(log)))
    >>> log.read_bytes()
    b'a\\nb\\n'
    """

    Inboxes = {"inbox": "bytes to write", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "(unused) kept so FileWriter can sit inside a Pipeline",
        "signal": "the end of stream, passed on once the file is flushed and closed",
        "error": "BadInput records for messages that are not bytes (on_error='send')",
    }

    def __init__(self, path: str | os.PathLike[str], *, mode: str = "truncate",
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if mode not in ("append", "truncate"):
            raise ValueError(f"FileWriter: mode is 'append' or 'truncate', not {mode!r}")
        self.file_path = os.fspath(path)
        self.mode = mode

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        f = self._file
        for msg in batch:
            if isinstance(msg, (bytes, bytearray, memoryview)):
                f.write(msg)
            else:
                self.reject(f"expected bytes, got {type(msg).__name__} "
                            "(put a TextEncoder in front to write text)", msg)
        f.flush()

    def main(self) -> Generator[Any, Any, None]:
        with open(self.file_path, "ab" if self.mode == "append" else "wb") as self._file:
            yield from super().main()


