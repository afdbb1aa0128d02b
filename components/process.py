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

    >>> Pipeline(IterableSource([b"b\\n", b"a\\n"]), Subprocess(["sort"]), Collector())
    ... # doctest: +SKIP
    """

    Inboxes = {
        "inbox": BoxSpec("bytes for the child's stdin", 256),
        "control": "ProducerFinished: close stdin once written; Shutdown: kill the child",
        "pipes": "(fed by reader tasks) stdout and stderr chunks, ends of file",
    }
    Outboxes = {
        "outbox": "the child's stdout, as bytes chunks",
        "stderr": "the child's stderr, as bytes chunks",
        "status": "ProcessExited(argv, returncode) when the child has exited",
        "signal": "ProducerFinished once the child has exited and its output is sent",
        "error": "BadInput records: non-bytes for stdin (on_error='send')",
    }

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

    def main(self) -> Generator[Any, Any, None]:
        proc = yield asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=self.cwd, env=self.env)
        pipes = self.inboxes["pipes"]
        stdin_q: asyncio.Queue[bytes | None] = asyncio.Queue()
        tasks = [
            asyncio.ensure_future(_read(proc.stdout, "outbox", pipes)),
            asyncio.ensure_future(_read(proc.stderr, "stderr", pipes)),
            asyncio.ensure_future(_write(proc.stdin, stdin_q, pipes)),
            asyncio.ensure_future(_wait(proc, pipes)),
        ]
        open_ends = {"outbox", "stderr", "exit"}
        stderr_tail = b""
        end = None
        stdin_closed = False
        returncode: int | None = None
        try:
            with self.keep_alive():  # the tasks deliver into "pipes"
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    for box, data in self.recv_all("pipes"):
                        if box == "exit":
                            returncode = data
                            open_ends.discard("exit")
                        elif box == "stdin-error":
                            pass  # the child closed stdin early: what it read is what it got
                        elif data is None:
                            open_ends.discard(box)
                        else:
                            if box == "stderr":
                                stderr_tail = (stderr_tail + data)[-2000:]
                            self.send(data, box)
                    if not stdin_closed:
                        for data in self.recv_all():
                            if isinstance(data, (bytes, bytearray, memoryview)):
                                stdin_q.put_nowait(bytes(data))
                            else:
                                self.reject(f"expected bytes for stdin, got {type(data).__name__}",
                                            data)
                        if end is not None:
                            stdin_q.put_nowait(None)
                            stdin_closed = True
                    if not open_ends:
                        break
                    self.pause()
                    yield
        finally:
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
    assert stdin is not None
    try:
        while (data := await q.get()) is not None:
            stdin.write(data)
            await stdin.drain()
        stdin.close()
        await stdin.wait_closed()
    except (BrokenPipeError, ConnectionResetError) as exc:
        pipes.put(("stdin-error", exc))


async def _wait(proc: asyncio.subprocess.Process, pipes: Any) -> None:
    pipes.put(("exit", await proc.wait()))
