"""The mix bus: one named mix, clocked.  It subscribes to every source's backplane and, on
each tick of its clock, emits exactly one frame per frame period that has passed.

Design notes
------------
1. **The clock drives, not the arrivals.**  Audio arriving in ``inbox`` does not wake the
   bus (``wake_on("control", "matrix")``); it is taken at the next tick.  Frame ``k`` is
   due at ``t0 + k * period`` (``clocking.FrameSchedule``), so the output carries exactly
   real time however the input arrives: Kamaelia's sketch mixed whatever had arrived and
   sent 2.7x too much audio.
2. **A jitter buffer per source** (``jitter.JitterBuffer``): every source is pulled at
   every tick, on or off, so switching a source on plays it live (not what piled up while
   it was off) and an off source never overflows.
3. **The matrix** is this bus's row of on/off and gain per source, changed by ``Route``
   records on ``matrix``.  They are applied before the next frame is mixed: a change
   acknowledged by the mixer is heard in the very next frame.
4. **Mixing** sums in integers and clips once (``audio.mix``); with nothing playing the bus
   still emits silence at the nominal rate (a downstream encoder must keep being fed).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from axon import SubscribeTo
from components import Clock, Timed
from components.timing import Alarm

from .audio import AudioFormat, Chunk, db_to_gain, mix
from .clocking import FrameSchedule, on_grid
from .jitter import BufferStats, JitterBuffer
from .messages import Route, Subscribe, Unsubscribe

__all__ = ["BufferConfig", "MixBus", "MixStats", "RouteState"]


@dataclass(frozen=True, slots=True)
class BufferConfig:
    """Jitter buffer sizes: play once ``start_ms`` is buffered; never hold over ``cap_ms``;
    trim latency left above the level a stream plays at (``start_ms`` less a frame) for
    ``trim_after_ms`` (0: never)."""

    start_ms: float = 20.0
    cap_ms: float = 200.0
    trim_after_ms: float = 1000.0


@dataclass(slots=True)
class RouteState:
    """One cell of the matrix: is the source on in this mix, and at what gain."""

    on: bool = False
    gain_db: float = 0.0
    gain: float = 1.0  # linear, from gain_db

    def describe(self) -> str:
        return f"{'ON' if self.on else 'OFF'}:{self.gain_db:+.1f}dB"


@dataclass(slots=True)
class MixStats:
    """What one mix bus did."""

    frames: int = 0
    bytes_out: int = 0
    clipped_values: int = 0
    late_wakes: int = 0  # ticks that found more than one frame due (the process lagged)
    skipped_frames: int = 0  # frames never emitted (lagged by more than max_late frames)
    max_lateness: float = 0.0  # seconds: the latest a frame went out after it fell due
    stray_chunks: int = 0  # audio from a source this bus no longer takes
    first_frame_at: float | None = None  # time.perf_counter() of the first and last frames
    last_frame_at: float | None = None
    removed: BufferStats = field(default_factory=BufferStats)  # sources since removed

    def realtime_ratio(self, frame_seconds: float) -> float | None:
        """Audio emitted / wall time taken, from the first frame to the last."""
        if self.first_frame_at is None or self.last_frame_at is None or self.frames < 2:
            return None
        wall = self.last_frame_at - self.first_frame_at
        return (self.frames - 1) * frame_seconds / wall if wall > 0 else None


def add_counts(total: BufferStats, more: BufferStats) -> None:
    """Add ``more``'s counts into ``total``."""
    for f in fields(BufferStats):
        setattr(total, f.name, getattr(total, f.name) + getattr(more, f.name))


class MixBus(Timed):
    """Mix ``mix``: one frame of s16le ``bytes`` per frame period on ``outbox``.

    (A ``Timed`` for its clock and end-of-stream handling, with a loop of its own: it
    steps aside once per tick before mixing, see ``main``.)

    ``sources`` maps each source to its backplane's name; ``routes`` gives the initial
    matrix row (a source missing from it is off).  ``clock`` is injectable: tests pass a
    ``components.testing.FakeClock`` and move time frame by frame.
    """

    Inboxes = {
        "inbox": "Chunk / StreamEnd records from the sources (taken at each tick)",
        "control": "ProducerFinished or Shutdown: stop",
        "matrix": "Route / Subscribe / Unsubscribe records (Routes for other mixes ignored)",
    }
    Outboxes = {
        "outbox": "frames: s16le bytes, one per frame period",
        "signal": "the end, passed on",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    def __init__(self, mix_name: str, fmt: AudioFormat, *, sources: Mapping[str, str],
                 routes: Mapping[str, tuple[bool, float]] | None = None,
                 buffers: BufferConfig = BufferConfig(), clock: Clock | None = None,
                 max_late: int = 100) -> None:
        super().__init__(clock=clock, name=f"MixBus({mix_name})")
        self.mix = mix_name
        self.fmt = fmt
        self.buffer_config = buffers
        self.max_late = max_late
        self.stats = MixStats()
        self.routes: dict[str, RouteState] = {}
        self.buffers: dict[str, JitterBuffer] = {}
        self._subs: dict[str, SubscribeTo] = {}
        self._rows: list[tuple[JitterBuffer, RouteState]] = []
        self._silence = bytes(fmt.frame_bytes)
        self.schedule: FrameSchedule | None = None
        self.wake_on("control", "matrix")  # audio waits for the tick; it never wakes us
        for source, backplane in sources.items():
            self._subscribe(source, backplane)
        for source, (on, gain_db) in (routes or {}).items():
            self._route(source, on, gain_db)

    # -- the matrix ----------------------------------------------------------------------------

    def _subscribe(self, source: str, backplane: str) -> None:
        if source in self._subs:
            return
        sub = SubscribeTo(backplane)
        self.add_child(sub, source)
        self.link((sub, "outbox"), (self, "inbox"))
        self._subs[source] = sub
        fmt, cfg = self.fmt, self.buffer_config
        self.buffers[source] = JitterBuffer(
            fmt, max(1, fmt.samples_for_ms(cfg.start_ms)), fmt.samples_for_ms(cfg.cap_ms),
            trim_frames=round(cfg.trim_after_ms / 1000 / fmt.frame_seconds))
        self.routes.setdefault(source, RouteState())
        self._rebuild_rows()

    def _unsubscribe(self, source: str) -> None:
        sub = self._subs.pop(source, None)
        if sub is None:
            return
        sched = self.scheduler
        if sched is not None and not sub.done:
            sched.stop(sub)
        self.remove_child(sub)
        buf = self.buffers.pop(source)
        buf.discard()
        add_counts(self.stats.removed, buf.stats)
        self.routes.pop(source, None)
        self._rebuild_rows()

    def _route(self, source: str, on: bool, gain_db: float) -> None:
        state = self.routes.setdefault(source, RouteState())
        state.on = on
        state.gain_db = gain_db
        state.gain = db_to_gain(gain_db)

    def _rebuild_rows(self) -> None:
        self._rows = [(self.buffers[s], self.routes[s]) for s in self._subs]

    def _apply(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if type(msg) is Route:
                if msg.mix == self.mix:
                    self._route(msg.source, msg.on, msg.gain_db)
            elif type(msg) is Subscribe:
                self._subscribe(msg.source, msg.backplane)
            elif type(msg) is Unsubscribe:
                self._unsubscribe(msg.source)
            else:
                self.reject(f"expected Route, Subscribe or Unsubscribe, got {type(msg).__name__}",
                            msg)

    # -- the clocked loop ----------------------------------------------------------------------

    def main(self) -> Generator[Any, Any, None]:
        period = self.fmt.frame_seconds
        sched = self.schedule = FrameSchedule(on_grid(self.clock.now(), period), period,
                                              max_late=self.max_late)
        alarm = Alarm(self, self.clock)
        stats = self.stats
        end = None
        try:
            while True:
                end = self.take_control(end)
                if end is not None:
                    break
                if self.inboxes["matrix"].queue:
                    self._apply(self.recv_all("matrix"))
                due = sched.take_due(self.clock.now())
                if due:
                    # to the back of the run queue once: the generators woken by the same
                    # clock tick (due a quarter frame earlier) make their frames first, even
                    # when a stall makes everyone catch up at once
                    yield
                    self._take_audio()
                    for _ in range(due):
                        self._emit()
                    stats.late_wakes = sched.late_wakes
                    stats.skipped_frames = sched.skipped
                    stats.max_lateness = sched.max_lateness
                alarm.set_at(sched.next_deadline())
                self.pause()
                yield
        finally:
            alarm.cancel()
            scheduler = self.scheduler
            for sub in self._subs.values():
                if scheduler is not None and not sub.done:
                    scheduler.stop(sub)
        self.send(end, "signal")

    def _take_audio(self) -> None:
        buffers = self.buffers
        for msg in self.recv_all("inbox"):
            buf = buffers.get(msg.source)
            if buf is None:
                self.stats.stray_chunks += 1
            elif type(msg) is Chunk:
                buf.push(msg.data)
            else:  # StreamEnd
                buf.end()

    def _emit(self) -> None:
        parts: list[bytes] = []
        gains: list[float] = []
        for buf, route in self._rows:
            frame = buf.pull()
            if frame is not None and route.on and route.gain != 0.0:
                parts.append(frame)
                gains.append(route.gain)
        out, clipped = mix(parts, gains, self._silence)
        self.outboxes["outbox"].push(out)
        stats = self.stats
        stats.frames += 1
        stats.bytes_out += len(out)
        stats.clipped_values += clipped
        stamp = time.perf_counter()
        if stats.first_frame_at is None:
            stats.first_frame_at = stamp
        stats.last_frame_at = stamp

    # -- reading it ------------------------------------------------------------------------------

    def totals(self) -> BufferStats:
        """Every buffer's counts added up, including sources since removed."""
        total = BufferStats()
        for buf in self.buffers.values():
            add_counts(total, buf.stats)
        add_counts(total, self.stats.removed)
        return total
