"""Sources: where the mixer's audio comes from, each sending ``Chunk`` records on its outbox
(the mixer publishes them onto the source's own backplane).

- :class:`TCPSource` listens on a port for one sender of raw PCM at a time.  A second
  sender gets one line, ``ERR source NAME is busy ...``, and is closed; the first is never
  disturbed.  Bytes are passed on in whole samples: a sample split across TCP segments is
  joined, and the odd bytes a vanishing sender leaves are dropped and counted.
- :class:`ToneSource`, :class:`NoiseSource` and :class:`WavFileSource` generate audio at
  the clock's pace, one frame per frame period, on the same schedule as the mixes
  (``clocking.FrameSchedule``).
"""

from __future__ import annotations

import wave
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from axon import RECEIVE, Component, ProducerFinished, Shutdown
from components import (
    Clock,
    Disconnected,
    ProtocolFailed,
    SystemClock,
    TCPServer,
    Timed,
)

from .audio import AudioFormat, Chunk, StreamEnd, noise_samples, tone_samples
from .clocking import GENERATOR_LEAD, FrameSchedule, on_grid
from .messages import ListenerKind, Listening

__all__ = [
    "ClockedSource",
    "NoiseSource",
    "SenderProtocol",
    "SourceStats",
    "TCPSource",
    "ToneSource",
    "WavFileSource",
    "read_wav_header",
]


@dataclass(slots=True)
class SourceStats:
    """What one source took in."""

    kind: str  # "tcp", "tone", "noise", "file"
    spec: str  # as given: "1701", "tone:440", "noise", "file:PATH"
    bytes_in: int = 0  # audio passed on (whole samples)
    bytes_received: int = 0  # TCP: bytes read from senders
    chunks: int = 0
    senders: int = 0  # TCP senders accepted
    refused: int = 0  # TCP senders refused (one at a time)
    partial_bytes: int = 0  # bytes of an incomplete last sample, dropped
    connected: bool = False  # a TCP sender is connected now
    connection_errors: int = 0  # TCP connections that ended by an error (reset...)
    skipped_frames: int = 0  # generated frames skipped (the process was far behind)
    ended: bool = False  # a file source that reached its end (no loop)


# -- generated sources -------------------------------------------------------------------


class ClockedSource(Timed):
    """Base of the generators: one frame of :meth:`generate` per frame period, on time."""

    Inboxes = {"inbox": "(unused: a source)", "control": "ProducerFinished or Shutdown: stop"}
    Outboxes = {
        "outbox": "Chunk records, one frame per frame period",
        "signal": "the end, passed on",
        "error": "BadInput records (stray messages) when on_error='send'",
    }

    kind = "generated"

    def __init__(self, source: str, fmt: AudioFormat, spec: str, *, clock: Clock | None = None,
                 name: str | None = None) -> None:
        super().__init__(clock=clock, name=name)
        self.source = source
        self.fmt = fmt
        self.stats = SourceStats(self.kind, spec)
        self.schedule: FrameSchedule | None = None

    def generate(self, start: int, count: int) -> bytes:
        """``count`` samples from sample number ``start``; fewer (or none) when it ends."""
        raise NotImplementedError

    def start(self) -> None:
        period = self.fmt.frame_seconds
        lead = GENERATOR_LEAD * period  # ahead of the mixes: made before they take it
        self.schedule = FrameSchedule(on_grid(self.clock.now(), period) - lead, period)

    def step(self, alarm: Any, now: float, end: Any) -> bool:
        self.refuse_input()
        if end is not None:
            return True
        sched = self.schedule
        assert sched is not None
        due = sched.take_due(now)  # frames next - due ... next - 1
        self.stats.skipped_frames = sched.skipped
        if due and not self.stats.ended:
            fs = self.fmt.frame_samples
            data = self.generate((sched.next - due) * fs, due * fs)
            if data:
                self.send(Chunk(self.source, data))
                self.stats.bytes_in += len(data)
                self.stats.chunks += 1
            if self.stats.ended:
                self.send(StreamEnd(self.source, "end of file"))
        if not self.stats.ended:
            alarm.set_at(sched.next_deadline())
        return False


class ToneSource(ClockedSource):
    """A sine at ``freq`` Hz, ``level_db`` below full scale, on every channel."""

    kind = "tone"

    def __init__(self, source: str, fmt: AudioFormat, freq: float, *, level_db: float = -12.0,
                 clock: Clock | None = None, spec: str | None = None) -> None:
        if not 0 < freq < fmt.rate / 2:
            raise ValueError(f"a tone must be above 0 and below {fmt.rate / 2:g} Hz (half the "
                             f"rate), not {freq:g}")
        super().__init__(source, fmt, spec or f"tone:{freq:g}", clock=clock,
                         name=f"Tone({freq:g} Hz)")
        self.freq = freq
        self.level_db = level_db
        tone_samples(freq, level_db, 0, 1, fmt)  # a bad level fails here, not mid-run

    def generate(self, start: int, count: int) -> bytes:
        return tone_samples(self.freq, self.level_db, start, count, self.fmt)


class NoiseSource(ClockedSource):
    """White noise peaking ``level_db`` below full scale (``seed``: the same noise each run)."""

    kind = "noise"

    def __init__(self, source: str, fmt: AudioFormat, *, level_db: float = -24.0, seed: int = 0,
                 clock: Clock | None = None, spec: str | None = None) -> None:
        super().__init__(source, fmt, spec or "noise", clock=clock, name="Noise")
        self.level_db = level_db
        self.rng = np.random.default_rng(seed)
        noise_samples(np.random.default_rng(0), level_db, 1, fmt)  # a bad level fails here

    def generate(self, start: int, count: int) -> bytes:
        return noise_samples(self.rng, self.level_db, count, self.fmt)


def read_wav_header(path: str | Path, fmt: AudioFormat) -> tuple[int, int]:
    """Check that ``path`` is a WAV file the mixer can play in ``fmt``: 16-bit PCM at the
    run's rate, with the run's channel count or mono (spread to every channel).  Returns
    (channels, samples); raises ValueError saying what does not fit."""
    try:
        with wave.open(str(path), "rb") as w:
            ch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except (wave.Error, EOFError, OSError) as exc:
        raise ValueError(f"{path} is not a WAV file the mixer can read: {exc}") from None
    if width != 2:
        raise ValueError(f"{path}: {8 * width}-bit samples; the mixer plays 16-bit PCM")
    if rate != fmt.rate:
        raise ValueError(f"{path}: {rate} Hz; this run mixes at {fmt.rate} Hz (resample it)")
    if ch not in (1, fmt.channels):
        raise ValueError(f"{path}: {ch} channels; this run has {fmt.channels} (or give mono)")
    if n == 0:
        raise ValueError(f"{path} holds no audio")
    return ch, n


class WavFileSource(ClockedSource):
    """A WAV file played at the clock's pace, looped (default) or once (then ``StreamEnd``)."""

    kind = "file"

    def __init__(self, source: str, fmt: AudioFormat, path: str | Path, *, loop: bool = True,
                 clock: Clock | None = None, spec: str | None = None) -> None:
        self.file = Path(path)
        self.file_channels, self.file_samples = read_wav_header(self.file, fmt)
        super().__init__(source, fmt, spec or f"file:{path}", clock=clock,
                         name=f"WavFile({self.file.name})")
        self.loop = loop
        self._wav: wave.Wave_read | None = None

    def main(self) -> Generator[Any, Any, None]:
        self._wav = wave.open(str(self.file), "rb")
        try:
            yield from super().main()
        finally:
            self._wav.close()

    def generate(self, start: int, count: int) -> bytes:
        wav = self._wav
        assert wav is not None
        parts: list[bytes] = []
        want = count
        while want > 0:
            data = wav.readframes(want)
            got = len(data) // (2 * self.file_channels)
            if got:
                parts.append(data[: got * 2 * self.file_channels])
                want -= got
            if want > 0:  # the end of the file
                if not self.loop:
                    self.stats.ended = True
                    break
                wav.rewind()
        data = b"".join(parts)
        if self.file_channels == 1 and self.fmt.channels > 1:
            data = np.repeat(np.frombuffer(data, "<i2"), self.fmt.channels).tobytes()
        return data


# -- the TCP source --------------------------------------------------------------------------


class SenderProtocol(Component):
    """The protocol of the one accepted sender: bytes in, ``Chunk`` records of whole samples
    out on ``audio``; ``StreamEnd`` when the sender goes (closes, resets or vanishes)."""

    Inboxes = {"inbox": "bytes from the sender", "control": "the end of the sender's stream"}
    Outboxes = {
        "outbox": "(to the sender) nothing: the sender only sends",
        "signal": "the end, passed on: our side of the connection closes",
        "audio": "Chunk records of whole samples, then StreamEnd",
    }

    def __init__(self, source: str, fmt: AudioFormat, stats: SourceStats) -> None:
        super().__init__(name="Sender")
        self.source = source
        self.sample_bytes = fmt.sample_bytes
        self.stats = stats

    def main(self) -> Generator[Any, Any, None]:
        stats = self.stats
        stats.connected = True
        audio = self.outboxes["audio"]
        sb = self.sample_bytes
        source = self.source
        rest = b""
        try:
            while (batch := (yield RECEIVE)) is not None:
                data = batch[0] if len(batch) == 1 and not rest else rest + b"".join(batch)
                stats.bytes_received += len(data) - len(rest)
                whole = len(data) - len(data) % sb
                if whole:
                    audio.push(Chunk(source, data[:whole]))
                    stats.bytes_in += whole
                    stats.chunks += 1
                rest = data[whole:]
        finally:
            stats.connected = False
            stats.partial_bytes += len(rest)
        end = self.end_message
        reason = getattr(end, "reason", "") or type(end).__name__
        audio.push(StreamEnd(source, str(reason)))
        self.send(end if end is not None else ProducerFinished("sender gone"), "signal")


class Refusal(Timed):
    """The protocol of a sender that came while another was sending: one ``ERR`` line, our
    side closed, its bytes discarded until it closes, and aborted after ``linger`` seconds."""

    Inboxes = {"inbox": "bytes from the refused sender (discarded)",
               "control": "the end of its stream"}
    Outboxes = {
        "outbox": "the refusal line",
        "signal": "ProducerFinished at once (half-close); Shutdown once the linger is over",
        "error": "(unused)",
    }

    def __init__(self, message: bytes, *, linger: float, clock: Clock | None = None) -> None:
        super().__init__(clock=clock, name="Refusal")
        self.message = message
        self.linger = linger
        self._until = 0.0

    def start(self) -> None:
        self.send(self.message)
        self.send(ProducerFinished("refused: one sender at a time"), "signal")
        self._until = self.clock.now() + self.linger

    def step(self, alarm: Any, now: float, end: Any) -> bool:
        self.recv_all()
        if end is not None:
            return True
        if now >= self._until:  # it keeps the connection open: end as if told to
            self.inboxes["control"].put(Shutdown("refused sender did not close"))
            return False
        alarm.set_at(self._until)
        return False


class TCPSource(Component):
    """Listens on ``host:port`` for one sender of raw PCM at a time (``TCPServer`` inside).

    ``events`` sends ``Listening`` once the port is open (``port=0`` picks one; also
    :attr:`address`).  Bytes become ``Chunk`` records of whole samples on ``outbox``;
    ``StreamEnd`` follows each sender.
    """

    Inboxes = {
        "inbox": "(unused: a source)",
        "control": "ProducerFinished / Shutdown: stop listening (passed to the server)",
        "ready": "(from the server) the bound address",
        "tcp": "(from the server) Connected / Disconnected / ProtocolFailed",
    }
    Outboxes = {
        "outbox": "Chunk and StreamEnd records from the current sender",
        "signal": "the end, once the server has stopped",
        "events": "Listening, once the port is open",
    }

    kind = "tcp"

    def __init__(self, source: str, fmt: AudioFormat, *, host: str = "127.0.0.1", port: int = 0,
                 linger: float = 2.0, clock: Clock | None = None, spec: str | None = None) -> None:
        super().__init__(name="TCPSource")
        self.source = source
        self.fmt = fmt
        self.linger = linger
        self.clock = clock if clock is not None else SystemClock()
        self.stats = SourceStats("tcp", spec or str(port))
        self.address: tuple[str, int] | None = None
        self._sender: Component | None = None
        self.server = TCPServer(self._protocol, host=host, port=port, name="Listener")
        self.add_child(self.server, "listen")
        self.link((self.server, "ready"), (self, "ready"))
        self.link((self.server, "events"), (self, "tcp"))
        self.link((self, "control"), (self.server, "control"))
        self.wake_on("ready", "tcp")

    def _protocol(self) -> Component:
        if self._sender is not None and not self._sender.done:
            self.stats.refused += 1
            line = (f"ERR source {self.source} is busy: another sender is connected "
                    "(one sender at a time)\n")
            return Refusal(line.encode(), linger=self.linger, clock=self.clock)
        self.stats.senders += 1
        proto = SenderProtocol(self.source, self.fmt, self.stats)
        proto.link((proto, "audio"), (self, "outbox"))  # goes when the sender's protocol ends
        self._sender = proto
        return proto

    def main(self) -> Generator[Any, Any, None]:
        while not self.children_done():
            for address in self.recv_all("ready"):
                self.address = (address[0], address[1])
                self.send(Listening(ListenerKind.SOURCE, self.source, self.address), "events")
            for event in self.recv_all("tcp"):
                if isinstance(event, Disconnected) and event.error is not None or isinstance(event, ProtocolFailed):
                    self.stats.connection_errors += 1
            self.pause()
            yield
        self.send(self.server.end_message or ProducerFinished("listener closed"), "signal")
