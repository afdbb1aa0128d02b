"""Helpers for the NATS tests: run systems on a scheduler inside a test's event loop and
wait (bounded, never hanging) for what they do."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Generator, Sequence
from typing import Any

from axon import Component, Scheduler, Shutdown
from tests.entry_points import source_tree_metadata

WAIT = 20.0  # seconds any one wait may take before the test fails (never a hang)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


class Running:
    """A scheduler running ``systems`` as a task: ``async with Running(a, b) as run:``."""

    def __init__(self, *systems: Component, timeout: float = 60.0) -> None:
        self.scheduler = Scheduler()
        self.systems = list(systems)
        self.timeout = timeout
        self.task: asyncio.Future[None] | None = None
        self.seen_error = False  # finished() raised the run's error to the test

    async def __aenter__(self) -> Running:
        for s in self.systems:
            self.scheduler.activate(s)
        self.task = asyncio.ensure_future(self.scheduler.run_async(timeout=self.timeout))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        if not self.task.done():
            for s in self.scheduler.components:
                if s.parent is None and "control" in s.inboxes and not s.done:
                    s.inboxes["control"].put(Shutdown("test over"))
            try:
                await asyncio.wait_for(asyncio.shield(self.task), WAIT)
            except BaseException:
                if exc[0] is None:
                    raise
        elif exc[0] is None and not self.seen_error:
            self.task.result()

    def add(self, system: Component) -> Component:
        return self.scheduler.activate(system)

    async def wait(self, awaitable: Any, timeout: float = WAIT) -> Any:
        """``awaitable``'s result; fails at once if the scheduler fails or ends first."""
        assert self.task is not None
        fut = asyncio.ensure_future(awaitable)
        try:
            async with asyncio.timeout(timeout):
                await asyncio.wait({fut, self.task}, return_when=asyncio.FIRST_COMPLETED)
                if not fut.done():
                    self.task.result()
                    raise AssertionError("the scheduler ended while the test was waiting")
                return await fut
        finally:
            fut.cancel()

    async def until(self, condition: Callable[[], Any], timeout: float = WAIT) -> None:
        async def poll() -> None:
            while not condition():
                await asyncio.sleep(0.005)

        await self.wait(poll(), timeout)

    async def finished(self, timeout: float = WAIT) -> None:
        """Wait for every system to finish (the run to end), raising its error."""
        assert self.task is not None
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout)
        except Exception:
            self.seen_error = self.task.done()
            raise


def go(coro: Any) -> Any:
    return asyncio.run(coro)


class Log(Component):
    """Keeps what reaches its inbox, with the loop time of arrival, in :attr:`items`."""

    Inboxes = {"inbox": "messages", "control": "end"}
    Outboxes = {"outbox": "(unused)", "signal": "the end"}

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)
        self.items: list[Any] = []
        self.ended: Any = None

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            self.items.extend(self.recv_all())
            self.pause()
            yield
        self.ended = self.end_message
        self.send(self.end_message, "signal")


class Slow(Component):
    """Takes one message at a time and then waits ``delay`` seconds (a slow consumer)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.taken: list[Any] = []

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            if self.data_ready():
                self.taken.append(self.recv())
                self.send(self.taken[-1])
                yield asyncio.sleep(self.delay)
                continue
            self.pause()
            yield
        self.send(self.end_message, "signal")


def child(module_args: Sequence[str], **kw: Any) -> subprocess.Popen[str]:
    """A Python child process running ``python -m <module_args>`` from the repository
    (with setup.cfg's entry points, as if installed: ``axon serve`` is one)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([ROOT, source_tree_metadata(),
                                         env.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, "-m", *module_args], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def reap(*procs: subprocess.Popen[str]) -> None:
    """Hard-kill whatever is still running (a test's last line of defence)."""
    for p in procs:
        if p.poll() is None:
            p.kill()
        try:
            p.communicate(timeout=5)
        except (subprocess.TimeoutExpired, ValueError):
            pass


def frozen(pid: int) -> bool:
    """True once every thread of process ``pid`` has stopped (after a SIGSTOP, which takes
    effect a moment later: on a loaded machine the broker may answer what was sent just
    after the signal)."""
    states = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/stat") as f:
            states.append(f.read().rsplit(")", 1)[1].split()[0])
    return all(s in ("T", "t") for s in states)
