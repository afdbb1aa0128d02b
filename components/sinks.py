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
    to the stream's binary buffer unchanged.  Anything else is bad input: put a
    ``Map(str)`` in front to print objects.  The stream is flushed after each batch.

    >>> from axon import Pipeline, run
    >>> from components import IterableSource
    >>> _ = run(Pipeline(IterableSource(["hello"]), ConsoleEcho()))
    hello
    """

    Inboxes = {"inbox": "str or bytes to write", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "(unused) kept so ConsoleEcho can sit inside a Pipeline",
        "signal": "the end of stream, passed on once everything is written",
        "error": "BadInput records for messages that are not str/bytes (on_error='send')",
    }

    def __init__(self, stream: IO[str] | None = None, *, end: str = "\n",
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.stream = stream
        self.end = end

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        end = self.end
        for msg in batch:
            if isinstance(msg, str):
                stream.write(msg + end)
            elif isinstance(msg, (bytes, bytearray)):
                stream.flush()
                stream.buffer.write(msg)  # type: ignore[union-attr]
            else:
                self.reject(f"expected str or bytes, got {type(msg).__name__} "
                            "(put Map(str) in front to print objects)", msg)
        stream.flush()


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


