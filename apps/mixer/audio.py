"""PCM audio for the mixer: the stream format, the records on the backplanes, the mix kernel
and the built-in signals (tone, noise).

Terms: audio is raw, headerless, signed 16-bit little-endian (s16le), interleaved.  A
*sample* is one instant of every channel (4 bytes in stereo), so "441 samples" is 10 ms at
44.1 kHz whatever the channel count; a *frame* is the fixed block the mixer emits per tick.

The mix of one frame is ``clip(sum(rint(gain_i * x_i)))``: each source's contribution is
rounded to an integer on its own (exact and order-free), the contributions are summed, and
the sum is clipped to 16 bits once.  With every gain at 0 dB that is a plain int32 sum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AudioFormat",
    "Chunk",
    "StreamEnd",
    "db_to_gain",
    "mix",
    "noise_samples",
    "tone_samples",
]

INT16_MIN = -32768
INT16_MAX = 32767
#: The lowest gain a route takes; ``-inf`` dB is also accepted and means silence.
MIN_GAIN_DB = -120.0
#: The highest gain a route takes.
MAX_GAIN_DB = 24.0


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """The stream format of one run: s16le, ``channels`` interleaved, at ``rate`` Hz,
    mixed in frames of ``frame_ms`` milliseconds (rounded to whole samples)."""

    rate: int = 44_100
    channels: int = 2
    frame_ms: float = 10.0

    def __post_init__(self) -> None:
        if not (isinstance(self.rate, int) and 1_000 <= self.rate <= 384_000):
            raise ValueError(f"rate must be an int from 1000 to 384000 Hz, not {self.rate!r}")
        if not (isinstance(self.channels, int) and 1 <= self.channels <= 16):
            raise ValueError(f"channels must be an int from 1 to 16, not {self.channels!r}")
        if not (1.0 <= self.frame_ms <= 1_000.0):
            raise ValueError(f"frame_ms must be from 1 to 1000, not {self.frame_ms!r}")

    @property
    def sample_bytes(self) -> int:
        """Bytes per sample (every channel of one instant)."""
        return 2 * self.channels

    @property
    def frame_samples(self) -> int:
        return max(1, round(self.rate * self.frame_ms / 1000))

    @property
    def frame_bytes(self) -> int:
        return self.frame_samples * self.sample_bytes

    @property
    def frame_seconds(self) -> float:
        """The exact length of a frame (frame_samples / rate): frames never drift."""
        return self.frame_samples / self.rate

    @property
    def bytes_per_second(self) -> int:
        return self.rate * self.sample_bytes

    def samples_for_ms(self, ms: float) -> int:
        return max(0, round(self.rate * ms / 1000))

    def describe(self) -> str:
        return (f"s16le {self.channels} ch {self.rate} Hz, frames of {self.frame_samples} "
                f"samples ({self.frame_bytes} B, {self.frame_seconds * 1000:g} ms)")


@dataclass(frozen=True, slots=True)
class Chunk:
    """Audio from source ``source``: whole samples of the run's format (any number)."""

    source: str
    data: bytes


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """Source ``source`` stopped sending (its sender went, its file ended): what was sent
    is played out, then the source is idle (no underruns are counted while idle)."""

    source: str
    reason: str = ""


def db_to_gain(db: float) -> float:
    """A gain in dB as a linear factor (``-inf`` gives 0.0)."""
    if db == -math.inf:
        return 0.0
    return float(10.0 ** (db / 20.0))


def check_gain_db(db: float) -> float:
    """``db`` if it is a gain a route takes, else ValueError saying the range."""
    if math.isnan(db) or not (db == -math.inf or MIN_GAIN_DB <= db <= MAX_GAIN_DB):
        raise ValueError(f"gain must be from {MIN_GAIN_DB:g} to +{MAX_GAIN_DB:g} dB (or -inf), "
                         f"not {db:g}")
    return db


def mix(frames: Sequence[bytes], gains: Sequence[float], silence: bytes) -> tuple[bytes, int]:
    """Mix equal-length s16le ``frames`` with linear ``gains``; returns (frame, clipped).

    ``clipped`` counts the 16-bit values (one per channel) the sum had to be clipped to fit.  No frames gives
    ``silence``; one frame at unity gain is passed through as it is.
    """
    n = len(frames)
    if n == 0:
        return silence, 0
    if n == 1 and gains[0] == 1.0:
        return frames[0], 0
    x = np.frombuffer(b"".join(frames), dtype="<i2").reshape(n, -1)
    if all(g == 1.0 for g in gains):
        acc = x.sum(axis=0, dtype=np.int32)  # exact: at most 65,536 sources fit in int32
    else:
        # each contribution rounded on its own, then summed: integers in float64 add exactly
        y = x * np.asarray(gains, dtype=np.float64)[:, None]
        np.rint(y, out=y)
        acc = y.sum(axis=0)  # type: ignore[assignment]
    over = int(np.count_nonzero((acc > INT16_MAX) | (acc < INT16_MIN)))
    if over:
        np.clip(acc, INT16_MIN, INT16_MAX, out=acc)
    return acc.astype("<i2").tobytes(), over


def level_to_amplitude(level_db: float) -> float:
    """Peak amplitude of a signal ``level_db`` below (or at) 16-bit full scale."""
    if level_db > 0:
        raise ValueError(f"a level is at most 0 dBFS, not {level_db:g}")
    return INT16_MAX * db_to_gain(level_db)


def tone_samples(freq: float, level_db: float, start: int, count: int, fmt: AudioFormat) -> bytes:
    """``count`` samples of a sine at ``freq`` Hz from sample number ``start``, the same on
    every channel: ``rint(A * sin(2 * pi * freq * n / rate))`` with ``A`` from ``level_db``.

    For a whole number of Hz, ``n`` is taken modulo ``rate`` (the same sine, exactly), so
    the argument stays small however long the tone runs.
    """
    amp = level_to_amplitude(level_db)
    n = np.arange(start, start + count, dtype=np.int64)
    if float(freq).is_integer():
        n %= fmt.rate
    wave = np.rint(amp * np.sin(2.0 * np.pi * freq * n.astype(np.float64) / fmt.rate))
    return np.repeat(wave.astype("<i2"), fmt.channels).tobytes()


def noise_samples(rng: np.random.Generator, level_db: float, count: int,
                  fmt: AudioFormat) -> bytes:
    """``count`` samples of uniform white noise peaking at ``level_db`` (every channel its
    own), drawn from ``rng`` (seeded: the same seed gives the same noise)."""
    amp = int(level_to_amplitude(level_db))
    return rng.integers(-amp, amp + 1, size=count * fmt.channels, dtype=np.int16).astype(
        "<i2").tobytes()
