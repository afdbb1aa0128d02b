"""A child process as a component: ``inbox`` is its stdin, ``outbox`` its stdout."""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from axon import BoxSpec, ProducerFinished, Shutdown

from ._stage import Stage
from .errors import OnError

__all__ = ["ProcessExited", "Subprocess", "SubprocessError"]


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


class Subprocess(Stage):
    """Runs ``argv``; bytes from ``inbox`` go to its stdin, its stdout comes out of ``outbox``.

    At ``ProducerFinished`` on ``control`` everything queued is written and stdin closed;
    the component ends once the child has exited and its output is all sent, passing
    ``ProducerFinished`` on.  ``Shutdown`` kills the child at once.  A non-zero exit raises
    :class:`SubprocessError` (naming the component and the tail of stderr) when ``check``,
    else it is only reported on ``status``.  stderr goes to its own outbox.  asyncio's
    subprocess support runs underneath; no shell is involved.

    Input is taken from ``inbox`` only while fewer than :attr:`stdin_limit` chunks wait to
    be written to the child's stdin, so a slow child holds up its producer (``inbox`` is
    bounded) instead of input piling up in memory.  Input that cannot reach the child (it
    closed its stdin early or exited; stdin failed) is bad input, reported by ``on_error``:
    the stdin failure itself and every later chunk, which is dropped.

    >>> Pipeline(IterableSource([b"b\\n", b"a\\n"]), Subprocess(["sort"]), Collector())
    ... # doctest: +SKIP
    """

    Inboxes = {
        "inbox": BoxSpec("bytes for the child's stdin", 256),
        "control": "ProducerFinished: close stdin once written; Shutdown: kill the child",
        "pipes": "(fed by reader/writer tasks) stdout and stderr chunks, ends of file, "
                 "stdin progress and errors",
    }
    Outboxes = {
        "outbox": "the child's stdout, as bytes chunks",
        "stderr": "the child's stderr, as bytes chunks",
        "status": "ProcessExited(argv, returncode) when the child has exited",
        "signal": "ProducerFinished once the child has exited and its output is sent",
        "error": "BadInput records (on_error='send'): non-bytes for stdin, a stdin failure, "
                 "input dropped because stdin is gone",
    }

    #: At most this many chunks are handed to the stdin writer and not yet written (drained).
    stdin_limit = 4
    #: How long to wait, once the child has exited and its output ended, for its stdin to close.
    stdin_close_grace = 5.0

    def __init__(self, argv: Sequence[str], *, check: bool = True, cwd: str | None = None,
                 env: dict[str, str] | None = None, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if isinstance(argv, str) or not argv:
            raise ValueError("Subprocess: argv is a non-empty list of strings (no shell)")
        self.argv = tuple(argv)
        self.check = check
        self.cwd = cwd
        self.env = env
        #: The most chunks ever waiting for stdin at once (never above :attr:`stdin_limit`).
        self.stdin_high_water = 0

    def main(self) -> Generator[Any, Any, None]:
        proc = yield asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=self.cwd, env=self.env)
        pipes = self.inboxes["pipes"]
        limit = max(1, self.stdin_limit)
        # bounded: at most `limit` chunks plus the closing None are ever put in it
        stdin_q: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=limit + 1)
        writer = asyncio.ensure_future(_write(proc.stdin, stdin_q, pipes))
        tasks = [
            asyncio.ensure_future(_read(proc.stdout, "outbox", pipes)),
            asyncio.ensure_future(_read(proc.stderr, "stderr", pipes)),
            writer,
            asyncio.ensure_future(_wait(proc, pipes)),
        ]
        all_inboxes = tuple(self.inboxes)
        open_ends = {"outbox", "stderr", "exit"}
        stderr_tail = b""
        end = None
        pending = 0  # chunks handed to the writer and not yet drained
        accepting = True  # input still goes to the child's stdin
        refusal = ""  # why it no longer does
        writer_done = False  # the writer has closed stdin or failed
        waited_for_writer = False
        backed_up = False  # waking on control and pipes only (see wake_on)
        returncode: int | None = None
        try:
            with self.keep_alive():  # the tasks deliver into "pipes"
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    for box, data in self.recv_all("pipes"):
                        if box == "drained":
                            pending -= data
                        elif box == "exit":
                            returncode = data
                            open_ends.discard("exit")
                        elif box == "stdin-closed":
                            writer_done = True
                        elif box == "stdin-error":
                            writer_done = True
                            lost, pending = pending, 0
                            accepting = False  # later input is rejected, not queued
                            refusal = (f"the child stopped reading stdin "
                                       f"({type(data).__name__}: {data})")
                            self.reject(f"{refusal}: input written to it may be lost "
                                        f"({lost} chunk(s) were still being written)", data)
                        elif data is None:
                            open_ends.discard(box)
                        else:
                            if box == "stderr":
                                stderr_tail = (stderr_tail + data)[-2000:]
                            self.send(data, box)
                    if accepting and "exit" not in open_ends:
                        accepting = False  # nothing reads stdin any more: close it
                        refusal = f"the child has exited (status {returncode})"
                        stdin_q.put_nowait(None)
                    if accepting:
                        while pending < limit and self.data_ready():
                            data = self.recv()
                            if isinstance(data, (bytes, bytearray, memoryview)):
                                stdin_q.put_nowait(bytes(data))
                                pending += 1
                                if pending > self.stdin_high_water:
                                    self.stdin_high_water = pending
                            else:
                                self.reject(f"expected bytes for stdin, got {type(data).__name__}",
                                            data)
                        if end is not None and not self.data_ready():
                            accepting = False  # all input before the end is handed over
                            refusal = "stdin was closed at ProducerFinished"
                            stdin_q.put_nowait(None)
                    if not open_ends and not writer_done:
                        if not waited_for_writer:
                            # the child is gone, so its stdin closes (or fails) at once,
                            # unless another process holds it open: do not wait for ever
                            waited_for_writer = True
                            yield asyncio.wait([writer], timeout=self.stdin_close_grace)
                            continue
                        writer_done = True
                        self.reject(f"{refusal}, but its stdin did not close within "
                                    f"{self.stdin_close_grace}s: input written to it may be "
                                    f"lost ({pending} chunk(s) were still being written)")
                    if not accepting and writer_done:
                        # (not before: a stdin failure is reported ahead of what it drops)
                        for data in self.recv_all():
                            self.reject(f"{refusal}: {type(data).__name__} input dropped", data)
                    if not open_ends:
                        break
                    # while stdin is backed up (or closing), input waiting in inbox must not
                    # wake us (it would every round: busy waiting); "drained" (or the end of
                    # the writer) in "pipes" will
                    want_backed_up = (pending >= limit) if accepting else not writer_done
                    if want_backed_up != backed_up:
                        backed_up = want_backed_up
                        self.wake_on(*(("control", "pipes") if backed_up else all_inboxes))
                    self.pause()
                    yield
        finally:
            if backed_up:
                self.wake_on(*all_inboxes)
            for t in tasks:
                t.cancel()
            if proc.returncode is None:
                proc.kill()
        if isinstance(end, Shutdown):
            yield proc.wait()  # reap the killed child (its transport closes)
            self.send(end, "signal")
            return
        exited = ProcessExited(self.argv, returncode if returncode is not None else -1)
        self.send(exited, "status")
        if exited.returncode != 0 and self.check:
            raise SubprocessError(self.path, exited, stderr_tail)
        self.send(end if end is not None else ProducerFinished("process exited"), "signal")


async def _read(stream: asyncio.StreamReader | None, box: str, pipes: Any) -> None:
    assert stream is not None
    while chunk := await stream.read(64 * 1024):
        pipes.put((box, chunk))
    pipes.put((box, None))


async def _write(stdin: asyncio.StreamWriter | None, q: asyncio.Queue[bytes | None],
                 pipes: Any) -> None:
    """Write what arrives in ``q`` to ``stdin`` until ``None``, then close it.

    After each ``drain()`` it posts ``("drained", n)`` (``n`` chunks written), so the
    component hands over more; it ends by posting ``("stdin-closed", None)`` or
    ``("stdin-error", exc)``.
    """
    assert stdin is not None
    try:
        while (data := await q.get()) is not None:
            stdin.write(data)
            n = 1
            closing = False
            while not q.empty():  # write what else is waiting, then drain once
                more = q.get_nowait()
                if more is None:
                    closing = True
                    break
                stdin.write(more)
                n += 1
            await stdin.drain()
            pipes.put(("drained", n))
            if closing:
                break
        stdin.close()
        await stdin.wait_closed()
    except Exception as exc:  # noqa: BLE001 - BrokenPipeError, ConnectionResetError, ...
        pipes.put(("stdin-error", exc))
    else:
        pipes.put(("stdin-closed", None))


async def _wait(proc: asyncio.subprocess.Process, pipes: Any) -> None:
    pipes.put(("exit", await proc.wait()))
