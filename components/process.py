"""A child process as a component: ``inbox`` is its stdin, ``outbox`` its stdout.

Design notes
------------
1. The child runs under asyncio's subprocess transport (``loop.subprocess_exec``, no
   shell).  What it writes on stdout and stderr goes into an
   :class:`~components._intake.Intake` each, sent on as the consumers have room; its
   pipes' ends, its exit and room to write its stdin again arrive as messages in the
   ``pipes`` inbox.
2. Backpressure both ways, with the library's one flow control (``axon/_core/_flow.py``): a
   consumer that falls behind stops the reading of the child's pipe (the pipe fills, and
   the child blocks writing: it is slowed, not read into memory); a child that does not
   keep up with its stdin makes the transport pause writing, and then the component takes
   nothing from its bounded inbox (its producer waits) and sleeps until it may write.
3. Ends, in order: the child's output is all sent, its exit status follows on ``status``;
   then its own failure (a non-zero status, with ``check``) is raised.  Input it did not
   read (it exited, or closed its stdin, first) is not its failure: by default it is
   dropped and counted; ``unread_input="reject"`` reports it as bad input.
4. Every child is reaped and its transport closed, however the component ends: at the end
   of its output, at ``Shutdown`` (the child is killed and waited for), or when an error
   or a scheduler shutdown ends it from outside (then a small task finishes the reaping
   in the event loop, which ``asyncio.run`` waits for).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from axon import BoxSpec, Inbox, ProducerFinished, Shutdown

from ._intake import Intake
from ._stage import Stage
from .errors import OnError

__all__ = ["ProcessExited", "Subprocess", "SubprocessError", "UnreadInput"]

#: Reaping tasks of children stopped from outside, held until they are done.
_REAPING: set[asyncio.Task[None]] = set()

#: The most bytes one read of a pipe usually gives (a Linux pipe's capacity).
PIPE_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class ProcessExited:
    """The child process has exited with ``returncode`` (negative: killed by a signal)."""

    argv: tuple[str, ...]
    returncode: int


class SubprocessError(RuntimeError):
    """The child exited with a non-zero status (with ``check=True``)."""

    def __init__(self, path: str, exited: ProcessExited, stderr_tail: bytes) -> None:
        tail = stderr_tail.decode("utf-8", "replace").strip()
        super().__init__(f"{path}: {' '.join(exited.argv)!r} exited with status "
                         f"{exited.returncode}" + (f": {tail}" if tail else ""))
        self.exited = exited


class UnreadInput(enum.Enum):
    """What ``Subprocess`` does with input the child did not read."""

    DROP = "drop"  #: drop it, counted (``inbox`` statistics, ``Subprocess.unread``)
    REJECT = "reject"  #: also report it as bad input (by ``on_error``) once the child exits


class _ChildEvent(enum.Enum):
    """What the child's transport tells the component, on its ``pipes`` inbox (with
    :class:`_PipeClosed` records)."""

    EXITED = "the child exited"
    WRITABLE = "stdin can take more again"
    FINISHED = "the transport finished: exited, reaped, every pipe closed"


@dataclass(slots=True)
class _PipeClosed:
    fd: int
    error: BaseException | None


class _ChildProtocol(asyncio.SubprocessProtocol):
    """Hands the child's output to the intakes, everything else to the ``pipes`` inbox."""

    def __init__(self, events: Inbox[Any]) -> None:
        self.events = events
        self.intakes: dict[int, Intake] = {}
        self.transport: asyncio.SubprocessTransport | None = None
        self.write_paused = False
        self.stderr_tail = b""
        self.finished = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        if fd == 2:
            self.stderr_tail = (self.stderr_tail + data)[-2000:]  # type: ignore[operator]
        self.intakes[fd].put(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self.events.put(_PipeClosed(fd, exc))

    def process_exited(self) -> None:
        self.events.put(_ChildEvent.EXITED)

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.put(_ChildEvent.FINISHED)  # exited, reaped, every pipe closed
        if not self.finished.done():
            self.finished.set_result(None)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self.events.put(_ChildEvent.WRITABLE)

    def pipe(self, fd: int) -> Any:
        tr = self.transport
        return tr.get_pipe_transport(fd) if tr is not None else None

    def reading(self, fd: int, on: bool) -> None:
        """Stop (or restart) reading the child's ``fd``: its intake's pause and resume."""
        pipe = self.pipe(fd)
        if pipe is not None and not pipe.is_closing():
            pipe.resume_reading() if on else pipe.pause_reading()


class Subprocess(Stage):
    """Runs ``argv``; bytes from ``inbox`` go to its stdin, its stdout comes out of ``outbox``.

    At ``ProducerFinished`` on ``control`` everything queued is written and stdin closed;
    the component ends once the child has exited and its output is all sent, passing
    ``ProducerFinished`` on.  ``Shutdown`` kills the child at once (and reaps it).  A
    non-zero exit raises :class:`SubprocessError` (naming the component and the tail of
    stderr) when ``check``, after all the child's output; else it is only reported on
    ``status``.  stderr goes to its own outbox.  No shell is involved.

    Backpressure reaches the child both ways.  Its output is read only while the inboxes it
    goes to have room (each holds fewer than ``read_limit // 64 KiB`` chunks, at least one)
    and at most ``read_limit`` bytes wait here, so a child writing faster than its consumer
    takes is slowed by its pipe.  Its input is written only while the pipe's buffer holds
    less than ``write_limit`` bytes; the inbox is bounded (256 chunks), so a slow child
    holds up its producer.

    ``unread_input`` says what happens to input the child did not read (it exited, or
    closed its stdin, first): ``"drop"`` (the default) drops it, counted in the ``inbox``
    statistics and :attr:`unread`; ``"reject"`` also reports it as bad input by
    ``on_error`` once the child has exited (unless the child itself failed).  Input that is
    not bytes is always bad input.

    >>> from axon import Pipeline, run
    >>> from components import Collector, IterableSource
    >>> out = Collector()
    >>> _ = run(Pipeline(IterableSource([b"b\\n", b"a\\n"]), Subprocess(["sort"]), out),
    ...         timeout=10)
    >>> b"".join(out.items)
    b'a\\nb\\n'
    """

    Inboxes = {
        "inbox": BoxSpec("bytes for the child's stdin", 256),
        "control": "ProducerFinished: close stdin once written; Shutdown: kill the child",
        "pipes": "(fed by the child's transport) its pipes' ends, its exit, room to write",
    }
    Outboxes = {
        "outbox": "the child's stdout, as bytes chunks",
        "stderr": "the child's stderr, as bytes chunks (while unlinked, the first "
                  "stderr_hold kept and the rest counted as dropped; the tail goes into "
                  "SubprocessError)",
        "status": "ProcessExited(argv, returncode) when the child has exited",
        "signal": "ProducerFinished once the child has exited and its output is sent",
        "error": "BadInput records (on_error='send'): non-bytes for stdin; input the child "
                 "did not read (unread_input='reject')",
    }

    #: Bytes of the child's output (stdout, and stderr) held before reading stops.
    read_limit = 256 * 1024
    #: Bytes buffered for the child's stdin before no more input is taken.
    write_limit = 64 * 1024
    #: Chunks an unlinked ``stderr`` outbox keeps for a later link (the rest are counted).
    stderr_hold = 64

    def __init__(self, argv: Sequence[str], *, check: bool = True, cwd: str | None = None,
                 env: dict[str, str] | None = None,
                 unread_input: UnreadInput | str = UnreadInput.DROP,
                 read_limit: int | None = None, write_limit: int | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if isinstance(argv, str) or not argv:
            raise ValueError("Subprocess: argv is a non-empty list of strings (no shell)")
        self.argv = tuple(argv)
        self.check = check
        self.cwd = cwd
        self.env = env
        self.unread_input = UnreadInput(unread_input)
        if read_limit is not None:
            self.read_limit = read_limit
        if write_limit is not None:
            self.write_limit = write_limit
        if self.read_limit < 1 or self.write_limit < 1:
            raise ValueError(f"{self.path}: read_limit and write_limit are positive")
        self.outboxes["stderr"].hold_limit = self.stderr_hold
        #: The child's process id, once started.
        self.pid: int | None = None
        #: Bytes of input the child did not read (dropped, or lost in its pipe's buffer).
        self.unread = 0
        #: The most bytes ever buffered for stdin at once (about ``write_limit`` at most).
        self.stdin_high_water = 0
        self._intakes: dict[int, Intake] = {}

    @property
    def buffered(self) -> int:
        """Bytes of the child's output read and not yet sent on."""
        return sum(i.level for i in self._intakes.values())

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        proto = _ChildProtocol(self.inboxes["pipes"])
        room = max(1, self.read_limit // PIPE_CHUNK)
        for fd, box in ((1, "outbox"), (2, "stderr")):
            proto.intakes[fd] = self._intakes[fd] = Intake(
                self, box, limit=self.read_limit, room=room, weigh=len,
                pause=partial(proto.reading, fd, False), resume=partial(proto.reading, fd, True))
        tr, _ = yield loop.subprocess_exec(
            lambda: proto, *self.argv, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=self.cwd,
            env=self.env)
        self.pid = tr.get_pid()
        stdin = tr.get_pipe_transport(0)
        stdin.set_write_buffer_limits(high=self.write_limit)
        out, err = self._intakes[1], self._intakes[2]
        inq = self.inboxes["inbox"].queue
        everything = tuple(self.inboxes)
        end = None
        open_pipes = {0, 1, 2}
        stdin_error: BaseException | None = None
        exited = finished = closing = narrowed = False
        try:
            with self.keep_alive():  # the transport delivers at any time
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    for ev in self.recv_all("pipes"):
                        if type(ev) is _PipeClosed:
                            open_pipes.discard(ev.fd)
                            if ev.fd == 0 and ev.error is not None:
                                stdin_error = ev.error  # the child stopped reading it
                        elif ev is _ChildEvent.EXITED:
                            exited = True
                        elif ev is _ChildEvent.FINISHED:
                            finished = True
                    out.forward()
                    err.forward()
                    if 0 in open_pipes and not closing:
                        if exited:
                            # nothing reads it now: what is still buffered is unread
                            self.unread += stdin.get_write_buffer_size()
                            closing = True
                            stdin.abort()
                        elif not stdin.is_closing():  # (else it broke: its end is coming)
                            self._write(proto, stdin)
                            if end is not None and not inq:
                                closing = True  # everything before the end is written
                                stdin.close()
                    if inq and (closing or 0 not in open_pipes or stdin.is_closing()):
                        self._drop_unread()
                    if finished and not out and not err:
                        break
                    # while stdin cannot take more, input waiting in the inbox must not
                    # wake us (every round: busy waiting); resume_writing will
                    want = proto.write_paused and 0 in open_pipes and not closing
                    if want != narrowed:
                        narrowed = want
                        self.wake_on(*(("control", "pipes") if want else everything))
                    self.pause()
                    yield
        finally:
            out.clear()
            err.clear()
            if finished:
                tr.close()
            else:
                _stop(tr)
                if not isinstance(end, Shutdown) and not loop.is_closed():
                    reaping = loop.create_task(_reap(tr, proto.finished))  # ended from outside
                    _REAPING.add(reaping)  # (kept until done: a task nobody holds may vanish)
                    reaping.add_done_callback(_REAPING.discard)
        if isinstance(end, Shutdown):
            yield _reap(tr, proto.finished)  # the killed child, reaped
            self.send(end, "signal")
            return
        exited_record = ProcessExited(self.argv, tr.get_returncode() or 0)
        self.send(exited_record, "status")
        if exited_record.returncode != 0 and self.check:
            error = SubprocessError(self.path, exited_record, proto.stderr_tail)
            if self.unread:
                error.add_note(f"it also did not read {self.unread} bytes of its input")
            raise error
        if self.unread and self.unread_input is UnreadInput.REJECT:
            why = f" ({type(stdin_error).__name__}: {stdin_error})" if stdin_error else ""
            self.reject(f"the child did not read {self.unread} bytes of its input (it "
                        f"exited or closed its stdin first{why})", stdin_error)
        self.send(end if end is not None else ProducerFinished("process exited"), "signal")

    def _write(self, proto: _ChildProtocol, stdin: Any) -> None:
        """Write input to stdin while its pipe's buffer is under ``write_limit``."""
        q = self.inboxes["inbox"].queue
        write = stdin.write
        while q and not proto.write_paused and not stdin.is_closing():
            data = self.recv()
            if isinstance(data, (bytes, bytearray, memoryview)):
                write(data)
                self.stdin_high_water = max(self.stdin_high_water, stdin.get_write_buffer_size())
            else:
                self.reject(f"expected bytes for stdin, got {type(data).__name__}", data)

    def _drop_unread(self) -> None:
        """Input that can no longer reach the child: dropped, and counted (as the inbox's
        ``dropped``: it was never taken)."""
        ib = self.inboxes["inbox"]
        items = list(ib.queue)
        ib.queue.clear()
        if ib.blocked and self.scheduler is not None:
            self.scheduler.unblock(ib)
        for data in items:
            if isinstance(data, (bytes, bytearray, memoryview)):
                self.unread += len(data)
                ib.dropped += 1
            else:
                self.reject(f"expected bytes for stdin, got {type(data).__name__}", data)


def _stop(tr: asyncio.SubprocessTransport) -> None:
    """Kill the child (if it runs) and close its pipes, discarding what they hold."""
    if tr.get_returncode() is None:
        try:
            tr.kill()
        except ProcessLookupError:
            pass
    for fd in (0, 1, 2):
        pipe = tr.get_pipe_transport(fd)
        if pipe is not None and not pipe.is_closing():
            pipe.abort() if fd == 0 else pipe.close()  # type: ignore[attr-defined]


async def _reap(tr: asyncio.SubprocessTransport, finished: asyncio.Future[None]) -> None:
    """Wait until the stopped child is reaped (its transport finished), then close the
    transport; through a cancellation too: ``asyncio.run`` cancels what is left at its
    end, and the killed child is reaped in moments."""
    while not finished.done():
        try:
            await asyncio.shield(finished)
        except asyncio.CancelledError:
            continue  # (carry on until it is reaped)
    tr.close()
