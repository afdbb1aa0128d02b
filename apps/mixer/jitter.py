"""The jitter buffer: one source's audio waiting in one mix, taken out a frame per tick.

Network audio arrives in bursts and gaps; the mix plays at the clock's pace.  The buffer
sits between the two:

- **Start threshold.**  A stream plays once ``start`` bytes are buffered (or its sender has
  gone: then what there is plays out).  Until then the source contributes silence; that
  first wait is the stream's start-up latency and is not counted.
- **Cap.**  Past ``cap`` bytes the oldest audio is dropped (a sender faster than the
  clock, or a burst): every dropped sample is counted, and latency stays bounded.
- **Underrun.**  A playing stream with less than a frame buffered gives what it has padded
  with silence, and buffers up to the threshold again; every silent sample inserted into a
  live stream is counted (``inserted_samples``), and each underrun once.
- **Trim.**  A stream starts playing with ``start`` buffered and takes a frame at once,
  so once playing it keeps ``start`` less a frame after each frame: its latency.  A burst
  after a gap (a sender that stalled and caught up, after the silence an underrun
  inserted) leaves more than that for good: latency that never comes back down.  When a
  stream has kept more than ``start`` less a frame after every frame for ``trim_frames``
  frames, the excess (the oldest audio) is dropped once, and counted apart
  (``trimmed_samples``); ``trim_frames=0`` never trims.  (Trimming only above ``start``
  left an underrun's frame of latency in place for good: 10-20 ms became 20-30 ms.)
- **End.**  After :meth:`end` (the sender went) the rest plays out, the last frame padded
  (counted apart, as ``padded_samples``), and the buffer is idle: an idle source is silent
  without counting anything.  Audio still buffered when a source is removed is counted
  as ``discarded_samples``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .audio import AudioFormat

__all__ = ["BufferState", "BufferStats", "JitterBuffer"]


class BufferState(enum.Enum):
    IDLE = "idle"  # no stream: nothing buffered, or the stream ended and played out
    BUFFERING = "buffering"  # filling up to the start threshold
    PLAYING = "playing"


@dataclass(slots=True)
class BufferStats:
    """What one jitter buffer did (every sample it dropped or inserted is here)."""

    received_bytes: int = 0
    played_samples: int = 0  # samples of real audio taken out
    underruns: int = 0  # times a playing stream ran short
    inserted_samples: int = 0  # silence inserted into a live stream (underruns)
    overflows: int = 0  # times the cap was passed
    dropped_samples: int = 0  # oldest audio dropped at the cap
    padded_samples: int = 0  # silence after the last audio of an ended stream
    discarded_samples: int = 0  # still buffered when the source was removed
    trims: int = 0  # times excess latency was trimmed
    trimmed_samples: int = 0  # oldest audio dropped to bring latency back to the threshold


class JitterBuffer:
    """One source's buffer in one mix; :meth:`push` what arrives, :meth:`pull` a frame a tick."""

    __slots__ = (
        "_low",
        "_pulls",
        "_silence",
        "cap_bytes",
        "data",
        "ending",
        "frame_bytes",
        "live",
        "sample_bytes",
        "start_bytes",
        "state",
        "stats",
        "target_bytes",
        "trim_frames",
    )

    def __init__(self, fmt: AudioFormat, start_samples: int, cap_samples: int, *,
                 trim_frames: int = 0) -> None:
        if start_samples < 1:
            raise ValueError(f"the start threshold must be at least 1 sample, not {start_samples}")
        if cap_samples < max(start_samples, fmt.frame_samples):
            raise ValueError(f"the cap ({cap_samples} samples) must hold the start threshold "
                             f"({start_samples}) and a frame ({fmt.frame_samples})")
        self.sample_bytes = fmt.sample_bytes
        self.frame_bytes = fmt.frame_bytes
        self.start_bytes = start_samples * fmt.sample_bytes
        self.cap_bytes = cap_samples * fmt.sample_bytes
        # what a playing stream keeps after a frame: the threshold less the frame it started on
        self.target_bytes = max(0, self.start_bytes - self.frame_bytes)
        self.data = bytearray()
        self.state = BufferState.IDLE
        self.live = False  # has played since it last went idle: a gap now is an underrun
        self.ending = False  # the sender has gone: play out what is left, then idle
        self.stats = BufferStats()
        self.trim_frames = trim_frames
        self._silence = bytes(self.frame_bytes)
        self._low = -1  # the least left after a frame, this trim window (-1: none yet)
        self._pulls = 0

    @property
    def depth_samples(self) -> int:
        return len(self.data) // self.sample_bytes

    def push(self, data: bytes) -> None:
        """Add whole samples that arrived; drop the oldest past the cap (counted)."""
        buf = self.data
        buf += data
        self.stats.received_bytes += len(data)
        self.ending = False
        if self.state is BufferState.IDLE:
            self.state = BufferState.BUFFERING
        over = len(buf) - self.cap_bytes
        if over > 0:
            del buf[:over]
            self.stats.overflows += 1
            self.stats.dropped_samples += over // self.sample_bytes

    def end(self) -> None:
        """The stream's sender has gone: play out what is buffered, then go idle."""
        if self.state is not BufferState.IDLE:
            self.ending = True

    def discard(self) -> int:
        """Drop everything buffered (the source is being removed); returns the samples."""
        n = len(self.data) // self.sample_bytes
        self.data.clear()
        self.stats.discarded_samples += n
        self.state = BufferState.IDLE
        self.live = self.ending = False
        return n

    def pull(self) -> bytes | None:
        """The next frame of this source, or None for a frame of silence."""
        buf = self.data
        state = self.state
        if state is BufferState.IDLE:
            return None
        stats = self.stats
        fb = self.frame_bytes
        if state is BufferState.BUFFERING:
            if len(buf) >= self.start_bytes or (self.ending and buf):
                self.state = BufferState.PLAYING
            else:
                if self.ending:  # ended with nothing left to play
                    self._go_idle()
                elif self.live:  # still in the gap an underrun opened
                    stats.inserted_samples += fb // self.sample_bytes
                return None
        n = len(buf)
        if n >= fb:
            out = bytes(buf[:fb])
            del buf[:fb]
            stats.played_samples += fb // self.sample_bytes
            self.live = True
            if n == fb and self.ending:
                self._go_idle()
            elif self.trim_frames:
                left = n - fb
                if self._low < 0 or left < self._low:
                    self._low = left
                self._pulls += 1
                if self._pulls >= self.trim_frames:
                    self._trim()
            return out
        missing = (fb - n) // self.sample_bytes
        stats.played_samples += n // self.sample_bytes
        short: bytes | None = bytes(buf) + self._silence[: fb - n] if n else None
        buf.clear()
        if self.ending:
            if n:
                stats.padded_samples += missing
            self._go_idle()
        else:
            stats.underruns += 1
            stats.inserted_samples += missing
            self.state = BufferState.BUFFERING
            self.live = True
        self._low = -1
        self._pulls = 0
        return short

    def _trim(self) -> None:
        excess = self._low - self.target_bytes
        excess -= excess % self.sample_bytes
        if excess > 0:
            del self.data[:excess]
            self.stats.trims += 1
            self.stats.trimmed_samples += excess // self.sample_bytes
        self._low = -1
        self._pulls = 0

    def _go_idle(self) -> None:
        self.state = BufferState.IDLE
        self.live = self.ending = False
