"""A test rig: a Mixer on a FakeClock in a running event loop, real TCP on 127.0.0.1.

Frame ``k`` of every mix is emitted at fake time ``k * period`` (frame 0 as the mixer
starts); :meth:`Rig.tick` moves the clock to the next frame and waits until the system is
idle again, so every frame a test reads is exactly the frame it asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np

from apps.mixer.audio import AudioFormat
from apps.mixer.config import MixConfig, MixerConfig, SourceConfig
from apps.mixer.messages import ListenerKind
from apps.mixer.mixer import Mixer
from axon import Component, Pipeline, ProducerFinished, Scheduler, SubscribeTo
from components import Collector
from components.testing import FakeClock

HOST = "127.0.0.1"
FMT = AudioFormat()
FB = FMT.frame_bytes  # 1764
FS = FMT.frame_samples  # 441
WAIT = 20.0  # the longest any one wait may take before the test fails (never a hang)


def config(sources: dict[str, str] | None = None, mixes: dict[str, dict[str, Any]] | None = None,
           **options: Any) -> MixerConfig:
    """A config: ``sources`` name -> spec; ``mixes`` name -> MixConfig fields."""
    srcs = tuple(SourceConfig(n, spec) for n, spec in (sources or {}).items())
    mxs = tuple(MixConfig(n, **fields) for n, fields in (mixes or {}).items())
    return MixerConfig(sources=srcs, mixes=mxs, **options)


def pcm(values: Any) -> bytes:
    """int16 samples (shape (n,) mono or (n, channels)) as s16le bytes, stereo from mono."""
    a = np.asarray(values, dtype=np.int64)
    if a.ndim == 1:
        a = np.repeat(a[:, None], FMT.channels, axis=1)
    return a.astype("<i2").tobytes()


def samples(data: bytes) -> np.ndarray:
    """s16le bytes as an (n, channels) int array."""
    return np.frombuffer(data, "<i2").reshape(-1, FMT.channels).astype(np.int64)


class Rig:
    """Runs ``Mixer(config)`` on a FakeClock; ``taps[mix]`` collects every frame of each mix."""

    def __init__(self, cfg: MixerConfig, out_dir: Path | None = None) -> None:
        self.clock = FakeClock()
        self.mixer = Mixer(cfg, clock=self.clock, out_dir=out_dir or Path("."))
        self.sched = Scheduler()
        self.taps: dict[str, Collector] = {}
        self.k = 0  # the last frame number emitted
        self.task: asyncio.Task[None] | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> Rig:
        self.sched.activate(self.mixer)
        for name in self.mixer.mixes:
            self.tap(name)
        self.task = asyncio.ensure_future(self.sched.run_async(timeout=120))
        want = {(ListenerKind.SOURCE, n) for n, e in self.mixer.sources.items()
                if e.stats.kind == "tcp"}
        if self.mixer.config.control_port is not None:
            want.add((ListenerKind.CONTROL, "control"))
        await self.until(lambda: want <= set(self.mixer.addresses))
        await self.settle()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for w in self.writers:
            w.close()
        assert self.task is not None
        if not self.task.done():
            self.mixer.inboxes["control"].put(ProducerFinished("test over"))
        try:
            await asyncio.wait_for(asyncio.shield(self.task), WAIT)
        except TimeoutError:
            self.sched.shutdown()
            raise AssertionError("the mixer did not stop within "
                                 f"{WAIT} s: {self.sched.components}") from None

    def tap(self, mix: str) -> Collector:
        """Collect every frame mix ``mix`` publishes from now on."""
        got = Collector(name=f"Tap({mix})")
        tap: Component = Pipeline(SubscribeTo(f"{self.mixer.name}/mix/{mix}"), got)
        self.mixer.link((self.mixer, "signal"), (tap, "control"))
        self.sched.activate(tap)
        self.taps[mix] = got
        return got

    # -- time ----------------------------------------------------------------------------------

    async def settle(self) -> None:
        """Let the system run until nothing is runnable (each component has had its say)."""
        for _ in range(3):  # a few loop turns: transport callbacks and wake-ups land
            await asyncio.sleep(0)
        if self.sched.statistics().runnable:
            await self.watched(self.sched.next_idle())

    async def tick(self, n: int = 1) -> None:
        """Move the fake clock on ``n`` frames, one at a time, settling after each."""
        for _ in range(n):
            self.k += 1
            target = self.k * FMT.frame_seconds + 1e-9
            self.clock.advance(max(0.0, target - self.clock.now()))
            await self.settle()

    async def jump(self, frames: int) -> None:
        """Move the fake clock on ``frames`` frames at once (a late wake-up)."""
        self.k += frames
        self.clock.advance(max(0.0, self.k * FMT.frame_seconds + 1e-9 - self.clock.now()))
        await self.settle()

    # -- waiting ------------------------------------------------------------------------------

    async def watched(self, awaitable: Awaitable[Any], timeout: float = WAIT) -> Any:
        """Await ``awaitable``; fail after ``timeout`` s, or at once if the mixer fails."""
        assert self.task is not None
        fut = asyncio.ensure_future(awaitable)
        try:
            done, _ = await asyncio.wait({fut, self.task}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if fut in done:
                return fut.result()
            if self.task in done:
                self.task.result()
                raise AssertionError("the mixer stopped while the test was waiting")
            raise AssertionError(f"timed out after {timeout} s")
        finally:
            fut.cancel()

    async def until(self, condition: Callable[[], Any], timeout: float = WAIT) -> None:
        async def poll() -> None:
            while not condition():
                await asyncio.sleep(0.002)

        await self.watched(poll(), timeout)

    # -- TCP ---------------------------------------------------------------------------------------

    def port(self, kind: ListenerKind, name: str) -> int:
        return self.mixer.addresses[(kind, name)][1]

    async def sender(self, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to TCP source ``source``, counted as its sender once accepted."""
        before = self.mixer.sources[source].stats.senders + self.mixer.sources[source].stats.refused
        r, w = await self.watched(asyncio.open_connection(HOST, self.port(ListenerKind.SOURCE,
                                                                          source)))
        self.writers.append(w)
        stats = self.mixer.sources[source].stats
        await self.until(lambda: stats.senders + stats.refused > before)
        return r, w

    async def send(self, source: str, writer: asyncio.StreamWriter, data: bytes) -> None:
        """Send ``data`` to ``source`` and wait until the source has passed it on."""
        stats = self.mixer.sources[source].stats
        target = stats.bytes_received + len(data)
        writer.write(data)
        await self.watched(writer.drain())
        await self.until(lambda: stats.bytes_received >= target)

    async def control(self) -> Control:
        r, w = await self.watched(asyncio.open_connection(
            HOST, self.port(ListenerKind.CONTROL, "control")))
        self.writers.append(w)
        return Control(self, r, w)

    def frames(self, mix: str) -> list[bytes]:
        return self.taps[mix].items


class Control:
    """A control-protocol client: ``await ask("LIST")`` gives the reply line."""

    def __init__(self, rig: Rig, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.rig = rig
        self.reader = reader
        self.writer = writer

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.rig.watched(self.writer.drain())

    async def reply(self) -> str:
        line = await self.rig.watched(self.reader.readline())
        assert line.endswith(b"\n"), f"connection closed instead of a reply ({line!r})"
        return line.decode("ascii").rstrip("\n")

    async def ask(self, command: str) -> str:
        await self.write(command.encode() + b"\n")
        return await self.reply()
