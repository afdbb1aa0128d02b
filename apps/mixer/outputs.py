"""Outputs of a mix: TCP listeners, a WAV file, local playback through ``pygame.mixer``.

Each takes the mix's frames on its ``inbox`` (the mixer subscribes it to the mix's
backplane).  None of them can hold the mix up:

- :class:`MixListener` writes each frame to every client without waiting, with Nagle's
  algorithm off so the kernel sends it at once (never holds it for the client's ACK of the
  previous frame).  A client whose unsent backlog passes ``max_backlog_ms`` of audio is
  dropped and counted: a slow client costs itself its connection, never anyone else a frame.  (It owns its asyncio server
  rather than using ``components.TCPServer``, whose connections apply ``block``
  backpressure to their senders: right for a request/reply server, wrong here.)  The
  socket is bound when the listener is made, so its port is known at once.
- :class:`WavWriter` appends to a WAV file whose header is kept right after every write:
  the file is valid however the run ends.
- :class:`PygamePlayer` queues the frames, gathered into ``chunk_ms`` sounds, on a reserved
  ``pygame.mixer`` channel; past ``max_pending_ms`` of unplayed audio it drops the oldest
  (counted).
"""

from __future__ import annotations

import asyncio
import socket
import wave
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axon import RECEIVE, Component, ProducerFinished

from .audio import AudioFormat
from .messages import ListenerKind, Listening

__all__ = ["ListenerStats", "MixListener", "PlayerStats", "PygamePlayer", "WavWriter"]


# -- TCP ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ListenerStats:
    clients: int = 0  # connected now
    accepted: int = 0
    bytes_out: int = 0
    slow_dropped: int = 0  # clients dropped for falling behind
    bytes_ignored: int = 0  # bytes clients sent (a listener only sends)


class _Client(asyncio.Protocol):
    __slots__ = ("listener", "transport")

    def __init__(self, listener: MixListener) -> None:
        self.listener = listener
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        tr: asyncio.Transport = transport  # type: ignore[assignment]
        self.transport = tr
        lst = self.listener
        sock = tr.get_extra_info("socket")
        if sock is not None:
            # Nagle's algorithm off: a frame goes out when written, not held while the last
            # is unacknowledged (up to the client's delayed ACK, 40+ ms: frames arrived in
            # lumps, 16-51 ms marker latency in bench.mixer).  asyncio sets TCP_NODELAY only
            # on sockets whose proto is IPPROTO_TCP; socket.create_server's have proto 0.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if lst.sndbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, lst.sndbuf)
        tr.set_write_buffer_limits(high=lst.max_backlog + lst.fmt.frame_bytes)
        lst.clients.add(self)
        lst.stats.accepted += 1
        lst.stats.clients = len(lst.clients)

    def data_received(self, data: bytes) -> None:
        self.listener.stats.bytes_ignored += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        lst = self.listener
        lst.clients.discard(self)
        lst.stats.clients = len(lst.clients)


class MixListener(Component):
    """Serves a mix on ``host:port`` to any number of clients (raw s16le, from the next
    frame on); drops a client that falls ``max_backlog_ms`` behind."""

    Inboxes = {"inbox": "frames of the mix", "control": "ProducerFinished or Shutdown: close"}
    Outboxes = {
        "outbox": "(unused)",
        "signal": "the end, passed on",
        "events": "Listening, once serving",
    }

    def __init__(self, mix: str, fmt: AudioFormat, *, host: str = "127.0.0.1", port: int = 0,
                 max_backlog_ms: float = 500.0, sndbuf_ms: float | None = 250.0) -> None:
        super().__init__(name=f"MixListener({mix})")
        self.mix = mix
        self.fmt = fmt
        self.max_backlog = max(fmt.frame_bytes, round(fmt.bytes_per_second * max_backlog_ms / 1000))
        self.sndbuf = round(fmt.bytes_per_second * sndbuf_ms / 1000) if sndbuf_ms else 0
        self.stats = ListenerStats()
        self.clients: set[_Client] = set()
        # bound now (not when running), so the port is known and a busy port fails here
        self._sock: socket.socket | None = socket.create_server((host, port), backlog=64)
        self._sock.setblocking(False)
        addr = self._sock.getsockname()
        self.address: tuple[str, int] = (addr[0], addr[1])

    def close(self) -> None:
        """Release the socket of a listener that will never run."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def main(self) -> Generator[Any, Any, None]:
        sock, self._sock = self._sock, None
        if sock is None:
            raise RuntimeError(f"{self.path}: closed before it ran")
        loop = asyncio.get_running_loop()
        try:
            server = yield loop.create_server(lambda: _Client(self), sock=sock)
        except BaseException:
            sock.close()
            raise
        self.send(Listening(ListenerKind.MIX, self.mix, self.address), "events")
        stats = self.stats
        limit = self.max_backlog
        try:
            while (batch := (yield RECEIVE)) is not None:
                if not self.clients:
                    continue
                data = batch[0] if len(batch) == 1 else b"".join(batch)
                for client in list(self.clients):
                    tr = client.transport
                    assert tr is not None
                    if tr.get_write_buffer_size() + len(data) > limit:
                        tr.abort()  # it fell too far behind: let it go, never wait for it
                        self.clients.discard(client)
                        stats.slow_dropped += 1
                        continue
                    tr.write(data)
                    stats.bytes_out += len(data)
                stats.clients = len(self.clients)
        finally:
            server.close()
            for client in list(self.clients):
                if client.transport is not None:
                    client.transport.close()  # what is buffered is still sent
            self.clients.clear()
            stats.clients = 0
        self.send(self.end_message or ProducerFinished(), "signal")


# -- WAV --------------------------------------------------------------------------------------


@dataclass(slots=True)
class WavStats:
    path: str
    samples: int = 0
    bytes_out: int = 0


class WavWriter(Component):
    """Writes a mix to ``path`` as a WAV file (16-bit PCM in the run's format)."""

    Inboxes = {"inbox": "frames of the mix", "control": "ProducerFinished or Shutdown: close"}
    Outboxes = {"outbox": "(unused)", "signal": "the end, once the file is closed"}

    def __init__(self, path: str | Path, fmt: AudioFormat, *, name: str | None = None) -> None:
        super().__init__(name=name or f"WavWriter({Path(path).name})")
        self.file = Path(path)
        self.fmt = fmt
        self.stats = WavStats(str(self.file))

    def main(self) -> Generator[Any, Any, None]:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        w = wave.open(str(self.file), "wb")
        try:
            w.setnchannels(self.fmt.channels)
            w.setsampwidth(2)
            w.setframerate(self.fmt.rate)
            sb = self.fmt.sample_bytes
            stats = self.stats
            while (batch := (yield RECEIVE)) is not None:
                data = batch[0] if len(batch) == 1 else b"".join(batch)
                w.writeframes(data)  # (writeframes keeps the header's lengths right)
                stats.samples += len(data) // sb
                stats.bytes_out += len(data)
        finally:
            w.close()
        self.send(self.end_message or ProducerFinished(), "signal")


# -- pygame ---------------------------------------------------------------------------------


@dataclass(slots=True)
class PlayerStats:
    sounds: int = 0  # sounds queued
    bytes_out: int = 0
    gaps: int = 0  # times the device had run out before the next sound was queued
    dropped_samples: int = 0  # unplayed audio dropped past max_pending_ms


class PygamePlayer(Component):
    """Plays a mix through ``pygame.mixer`` (SDL audio: any device, or ``SDL_AUDIODRIVER``
    ``dummy`` / ``disk`` without one)."""

    Inboxes = {"inbox": "frames of the mix", "control": "ProducerFinished or Shutdown: stop"}
    Outboxes = {"outbox": "(unused)", "signal": "the end, passed on"}

    def __init__(self, mix: str, fmt: AudioFormat, *, chunk_ms: float = 50.0,
                 max_pending_ms: float = 500.0) -> None:
        super().__init__(name=f"PygamePlayer({mix})")
        self.fmt = fmt
        sb = fmt.sample_bytes
        self.chunk_bytes = max(1, fmt.samples_for_ms(chunk_ms)) * sb
        self.max_pending = max(self.chunk_bytes, fmt.samples_for_ms(max_pending_ms) * sb)
        self.stats = PlayerStats()

    def main(self) -> Generator[Any, Any, None]:
        try:
            import pygame
        except ImportError:
            raise RuntimeError("local playback needs pygame: pip install -e '.[pygame]'") from None
        fmt = self.fmt
        pygame.mixer.init(frequency=fmt.rate, size=-16, channels=fmt.channels, buffer=512)
        try:
            got = pygame.mixer.get_init()
            if got != (fmt.rate, -16, fmt.channels):
                raise RuntimeError(f"pygame.mixer opened {got}, not the run's format "
                                   f"({fmt.rate}, -16, {fmt.channels})")
            pygame.mixer.set_reserved(1)
            channel = pygame.mixer.Channel(0)
            pending = bytearray()
            stats = self.stats
            sb = fmt.sample_bytes
            while (batch := (yield RECEIVE)) is not None:
                for frame in batch:
                    pending += frame
                if len(pending) >= self.chunk_bytes and channel.get_queue() is None:
                    sound = pygame.mixer.Sound(buffer=bytes(pending))
                    stats.bytes_out += len(pending)
                    pending.clear()
                    if channel.get_busy():
                        channel.queue(sound)
                    else:
                        if stats.sounds:
                            stats.gaps += 1
                        channel.play(sound)
                    stats.sounds += 1
                over = len(pending) - self.max_pending
                if over > 0:
                    over -= over % sb
                    del pending[:over]
                    stats.dropped_samples += over // sb
        finally:
            pygame.mixer.quit()
        self.send(self.end_message or ProducerFinished(), "signal")
