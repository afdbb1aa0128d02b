"""Sources: messages from an iterable, from the console, from a file."""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Generator, Iterable
from typing import IO, Any

from axon import ProducerFinished, Shutdown

from ._stage import Stage
from .errors import OnError

__all__ = ["ConsoleReader", "FileReader", "IterableSource"]

#: Messages a source sends per timeslice before letting the rest of the system run.
CHUNK = 256


class IterableSource(Stage):
    """Sends every item of ``iterable`` in order, then ``ProducerFinished``.

    It yields every ``chunk`` items so the rest of the system keeps pace.  ``Shutdown`` in
    ``control`` stops it at once; ``ProducerFinished`` changes nothing: a source has no
    input to drain, so it finishes what it was given (a Carousel or a Seq ends each child
    that way).  An endless iterable is stopped with ``Shutdown``.

    >>> from axon import Pipeline, run
    >>> from components import ConsoleEcho
    >>> _ = run(Pipeline(IterableSource(["a", "b"]), ConsoleEcho()))
    a
    b
    """

    Inboxes = {"inbox": "(unused: a source; anything sent here is bad input)",
               "control": "Shutdown: stop early (ProducerFinished: finish, as anyway)"}
    Outboxes = {
        "outbox": "the items, in order",
        "signal": "ProducerFinished once every item is sent (Shutdown if stopped early)",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    def __init__(self, iterable: Iterable[Any], *, chunk: int = CHUNK,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.iterable = iterable
        self.chunk = chunk

    def main(self) -> Generator[Any, Any, None]:
        end = None
        out = self.outboxes["outbox"]
        control = self.inboxes["control"].queue
        n = 0
        for item in self.iterable:
            out.push(item)
            n += 1
            if n == self.chunk:
                n = 0
                yield
                out = self.outboxes["outbox"]
                self.refuse_input()
                if control and isinstance(end := self.take_control(end), Shutdown):
                    break
        self.send(end if isinstance(end, Shutdown) else ProducerFinished(), "signal")


class ConsoleReader(Stage):
    """Sends each line typed on the console (``stream``, default ``sys.stdin``) as ``str``.

    Lines keep no line ending.  A daemon thread does the blocking reads and hands lines to
    the scheduler, so the system stays responsive; at end of file the component sends
    ``ProducerFinished``.  ``Shutdown`` stops it at once (a read already blocked in the
    thread is abandoned).

    >>> import io
    >>> from axon import Pipeline, run
    >>> from components import ConsoleEcho, Map
    >>> _ = run(Pipeline(ConsoleReader(io.StringIO("hi\\nthere\\n")), Map(str.upper),
    ...                  ConsoleEcho()), timeout=10)  # (default: sys.stdin)
    HI
    THERE
    """

    Inboxes = {
        "inbox": "(unused: a source; anything sent here is bad input)",
        "control": "Shutdown or ProducerFinished: stop reading",
        "lines": "(fed by the reader thread) lines read, then None at end of file",
    }
    Outboxes = {
        "outbox": "lines read, as str without the line ending",
        "signal": "ProducerFinished at end of file (or the end that stopped it)",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    def __init__(self, stream: IO[str] | None = None, *,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.stream = stream

    def _read(self, stream: IO[str], box: Any, sched: Any) -> None:
        try:
            for line in iter(stream.readline, ""):
                sched.call_threadsafe(box.put, line.rstrip("\r\n"))
            end: Any = None
        except Exception as exc:  # noqa: BLE001 - handed to main(), which raises it
            end = exc
        try:
            sched.call_threadsafe(box.put, end)
        except RuntimeError:  # the loop closed under us: the system has ended
            return

    def main(self) -> Generator[Any, Any, None]:
        stream = self.stream if self.stream is not None else sys.stdin
        sched = self.scheduler
        lines = self.inboxes["lines"]
        end = None
        with self.keep_alive():  # the thread may deliver at any time
            threading.Thread(target=self._read, args=(stream, lines, sched),
                             name=f"{self.path} reader", daemon=True).start()
            out = self.outboxes["outbox"]
            while True:
                self.refuse_input()
                end = self.take_control(end)
                if end is not None:
                    break
                eof = False
                for line in self.recv_all("lines"):
                    if line is None:
                        eof = True
                        break
                    if isinstance(line, Exception):  # the reading thread failed
                        raise line
                    out.push(line)
                if eof:
                    break
                self.pause()
                yield
        self.send(end or ProducerFinished(), "signal")


class FileReader(Stage):
    """Reads a file: ``bytes`` chunks of ``chunk_size``, or lines with ``lines=True``.

    Lines are ``bytes`` without their ``b"\\n"`` (``str`` if ``encoding`` is given; a line
    that does not decode is bad input, reported per ``on_error``).  It yields between
    chunks, ends with ``ProducerFinished`` at end of file, and stops early only on
    ``Shutdown`` (``ProducerFinished`` changes nothing: it reads the file to its end).
    A missing file raises (``FileNotFoundError``) when the component starts.

    >>> import pathlib, tempfile
    >>> from axon import Pipeline, run
    >>> from components import Collector
    >>> log = pathlib.Path(tempfile.mkdtemp(), "log.txt")
    >>> _ = log.write_text("one\\ntwo\\n")
    >>> lines = Collector()
    >>> _ = run(Pipeline(FileReader(log, lines=True, encoding="utf-8"), lines))
    >>> lines.items
    ['one', 'two']
    """

    Inboxes = {"inbox": "(unused: a source; anything sent here is bad input)",
               "control": "Shutdown: stop reading (ProducerFinished: read to the end, as anyway)"}
    Outboxes = {
        "outbox": "bytes chunks, or lines (bytes, or str with an encoding)",
        "signal": "ProducerFinished at end of file (Shutdown if stopped early)",
        "error": "BadInput records for undecodable lines (on_error='send')",
    }

    def __init__(self, path: str | os.PathLike[str], *, lines: bool = False,
                 chunk_size: int = 64 * 1024, encoding: str | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if encoding is not None and not lines:
            raise ValueError("FileReader: encoding applies to lines=True only")
        self.file_path = os.fspath(path)
        self.lines = lines
        self.chunk_size = chunk_size
        self.encoding = encoding

    def main(self) -> Generator[Any, Any, None]:
        end = None
        control = self.inboxes["control"].queue
        with open(self.file_path, "rb") as f:
            reader = self._lines(f) if self.lines else self._chunks(f)
            for batch in reader:
                self.send_many(batch)
                yield
                self.refuse_input()
                if control and isinstance(end := self.take_control(end), Shutdown):
                    break
        self.send(end if isinstance(end, Shutdown) else ProducerFinished(), "signal")

    def _chunks(self, f: io.BufferedReader) -> Generator[list[bytes], None, None]:
        while chunk := f.read(self.chunk_size):
            yield [chunk]

    def _lines(self, f: io.BufferedReader) -> Generator[list[Any], None, None]:
        encoding = self.encoding
        while True:
            lines = f.readlines(self.chunk_size)
            if not lines:
                return
            batch: list[Any] = []
            for raw in lines:
                line = raw[:-1] if raw.endswith(b"\n") else raw
                if encoding is None:
                    batch.append(line)
                    continue
                try:
                    batch.append(line.decode(encoding))
                except UnicodeDecodeError as exc:
                    self.reject(f"line does not decode as {encoding}: {exc}", line)
            yield batch


