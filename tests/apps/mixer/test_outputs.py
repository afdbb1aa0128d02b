"""Outputs: TCP listeners (a slow client is dropped, never stalling the mix), WAV files,
pygame playback (SDL's disk driver, in a child process)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from apps.mixer.messages import ListenerKind
from axon import ProducerFinished

from .rig import FB, FMT, FS, HOST, Rig, config, samples

ROOT = Path(__file__).resolve().parents[3]


def test_a_slow_client_is_dropped_and_counted_while_fast_clients_get_every_frame():
    cfg = config({"t": "tone:500"}, {"m": {"routes": {"t": (True, 0.0)}, "listen": (0,)}},
                 control_port=None, max_backlog_ms=50.0)
    ticks = 400

    async def body() -> tuple[bytes, list[bytes], int, int, int]:
        async with Rig(cfg) as rig:
            port = rig.port(ListenerKind.MIX, "m")
            lst = rig.mixer.mixes["m"].listeners[0]
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.setblocking(False)
            try:
                await asyncio.get_running_loop().sock_connect(slow, (HOST, port))
                reader, writer = await asyncio.open_connection(HOST, port)
                rig.writers.append(writer)
                await rig.until(lambda: lst.stats.accepted == 2)
                start = len(rig.frames("m"))  # both were connected before this frame
                got = bytearray()

                async def read() -> None:
                    while chunk := await reader.read(65536):
                        got.extend(chunk)

                reading = asyncio.ensure_future(read())
                dropped_at = None
                for i in range(ticks):
                    await rig.tick(1)
                    if dropped_at is None and lst.stats.slow_dropped:
                        dropped_at = i
                await rig.until(lambda: len(got) >= ticks * FB)
                reading.cancel()
                return (bytes(got), rig.frames("m")[start:], lst.stats.slow_dropped,
                        lst.stats.clients, dropped_at or -1)
            finally:
                slow.close()

    got, frames, dropped, clients, dropped_at = asyncio.run(body())
    assert dropped == 1 and clients == 1
    assert 0 < dropped_at < ticks  # let go while the run went on
    assert len(frames) == ticks  # the mix never missed a tick
    assert got == b"".join(frames)  # the fast client got every frame, in order


def test_each_listener_client_starts_at_a_frame_boundary():
    cfg = config({"t": "tone:500"}, {"m": {"routes": {"t": (True, 0.0)}, "listen": (0,)}},
                 control_port=None)

    async def body() -> tuple[bytes, list[bytes]]:
        async with Rig(cfg) as rig:
            await rig.tick(7)
            r, w = await asyncio.open_connection(HOST, rig.port(ListenerKind.MIX, "m"))
            rig.writers.append(w)
            lst = rig.mixer.mixes["m"].listeners[0]
            await rig.until(lambda: lst.stats.accepted == 1)
            start = len(rig.frames("m"))
            await rig.tick(5)
            data = await rig.watched(r.readexactly(5 * FB))
            return data, rig.frames("m")[start:]

    data, frames = asyncio.run(body())
    assert data == b"".join(frames)


SIOCOUTQNSD = 0x894B  # Linux: bytes in a TCP socket's send queue not yet sent


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="a socket's unsent bytes are read with a Linux ioctl")
def test_each_frame_goes_on_the_wire_at_once_even_to_a_client_that_delays_its_acks():
    # A client that delays its ACKs (TCP_QUICKACK 0: as a busy or interactive peer does,
    # up to 40+ ms) must still get every frame the moment the mix emits it.  With Nagle's
    # algorithm on, the kernel holds a frame while the previous one is unacknowledged: the
    # frames reach the client in lumps, up to one delayed ACK late (bench.mixer's marker
    # latency: a 3-cycle of about 47 / 26 / 16 ms).
    cfg = config({"t": "tone:500"}, {"m": {"routes": {"t": (True, 0.0)}, "listen": (0,)}},
                 control_port=None)
    ticks = 6  # fewer frames than the initial congestion window: only Nagle could hold one

    async def body() -> tuple[list[int], list[int], bytes, list[bytes]]:
        async with Rig(cfg) as rig:
            client = socket.socket()
            client.setblocking(False)
            rig_loop = asyncio.get_running_loop()
            try:
                await rig_loop.sock_connect(client, (HOST, rig.port(ListenerKind.MIX, "m")))
                lst = rig.mixer.mixes["m"].listeners[0]
                await rig.until(lambda: lst.stats.accepted == 1)
                (conn,) = lst.clients
                assert conn.transport is not None
                server_side = conn.transport.get_extra_info("socket")
                nodelay = [server_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)]
                start = len(rig.frames("m"))
                unsent: list[int] = []
                for _ in range(ticks):
                    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
                    await rig.tick(1)  # the frame is written before the system is idle
                    held = bytearray(4)
                    fcntl.ioctl(server_side.fileno(), SIOCOUTQNSD, held)
                    unsent.append(int.from_bytes(held, sys.byteorder))
                got = bytearray()
                while len(got) < ticks * FB:
                    got += await rig.watched(rig_loop.sock_recv(client, 65536))
                return nodelay, unsent, bytes(got), rig.frames("m")[start:]
            finally:
                client.close()

    nodelay, unsent, got, frames = asyncio.run(body())
    assert unsent == [0] * ticks  # nothing waited in the kernel for the client's ACK
    assert nodelay == [1]
    assert got == b"".join(frames) and len(frames) == ticks


def test_the_wav_file_reads_back_with_the_right_format_length_and_samples(tmp_path: Path):
    cfg = config({"t": "tone:1234", "n": "noise"},
                 {"m": {"routes": {"t": (True, 0.0), "n": (True, -6.0)}, "wav": "m.wav"},
                  "quiet": {"wav": "sub/quiet.wav"}}, control_port=None)

    async def body() -> dict[str, list[bytes]]:
        async with Rig(cfg, out_dir=tmp_path) as rig:
            await rig.tick(99)
            return {m: list(t.items) for m, t in rig.taps.items()}

    frames = asyncio.run(body())
    for mix, name in (("m", "m.wav"), ("quiet", "sub/quiet.wav")):
        with wave.open(str(tmp_path / name), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 44_100)
            assert w.getnframes() == 100 * FS  # frames 0..99
            assert w.readframes(w.getnframes()) == b"".join(frames[mix])
    assert samples(b"".join(frames["m"])).any() and not samples(b"".join(frames["quiet"])).any()


def test_the_last_frame_before_a_stop_reaches_the_wav_file(tmp_path: Path):
    cfg = config({"t": "tone:1234"}, {"m": {"routes": {"t": (True, 0.0)}, "wav": "m.wav"}},
                 control_port=None)

    async def body() -> int:
        async with Rig(cfg, out_dir=tmp_path) as rig:
            await rig.tick(20)
            # the next frame falls due as the mixer is told to stop, in the same turn
            rig.clock.advance(21 * FMT.frame_seconds + 1e-9 - rig.clock.now())
            rig.mixer.inboxes["control"].put(ProducerFinished("stop"))
            await rig.watched(asyncio.shield(rig.task))  # type: ignore[arg-type]
            return rig.mixer.mixes["m"].bus.stats.frames

    frames = asyncio.run(body())
    assert frames == 22
    with wave.open(str(tmp_path / "m.wav"), "rb") as w:
        assert w.getnframes() == frames * FS  # every frame the bus sent, the last one too


PLAYBACK = """
import os, sys, asyncio, numpy as np
sys.path.insert(0, {root!r})
from apps.mixer.config import MixerConfig, MixConfig, SourceConfig
from apps.mixer.mixer import Mixer
from axon import Scheduler
cfg = MixerConfig(sources=(SourceConfig("t", "noise"),),
                  mixes=(MixConfig("m", routes={{"t": (True, 0.0)}}, play=True,
                                   wav="m.wav"),),
                  control_port=None)
mixer = Mixer(cfg, out_dir={out!r}, seconds=1.0)
Scheduler().activate(mixer).scheduler.run(timeout=20)
p = mixer.mixes["m"].player.stats
print("PLAYED", p.sounds, p.bytes_out, p.gaps, p.dropped_samples)
sys.stdout.flush()
os._exit(0)  # (SDL's threads: no lingering at exit)
"""


def test_local_playback_through_pygame_mixer_plays_the_mix(tmp_path: Path):
    raw = tmp_path / "sdl.raw"
    env = dict(os.environ, SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=str(raw),
               PYGAME_HIDE_SUPPORT_PROMPT="1")
    proc = subprocess.run([sys.executable, "-c", PLAYBACK.format(root=str(ROOT),
                                                                 out=str(tmp_path))],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    sounds, played, _gaps, dropped = map(int, proc.stdout.split("PLAYED")[1].split())
    assert sounds >= 2 and dropped == 0
    assert played >= 0.8 * FMT.bytes_per_second  # most of a second handed to the device
    device = np.frombuffer(raw.read_bytes(), "<i2")
    with wave.open(str(tmp_path / "m.wav"), "rb") as w:
        mix = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    # the device played the mix's noise, in order; under load SDL may have had to fill a gap
    # with silence (counted as a gap by the player), so match it piece by piece
    zero = device == 0
    pieces, i = [], 0
    while i < len(device):
        if zero[i:i + 32].all():
            i += 32
            continue
        j = i
        while j < len(device) and not zero[j:j + 32].all():
            j += 32
        pieces.append(device[i:j])
        i = j
    matched = at = 0
    for whole in pieces:
        piece = np.trim_zeros(whole)
        if len(piece) < 64:
            continue
        head = np.flatnonzero(mix[at:] == piece[0])
        found = next((at + k for k in head if np.array_equal(mix[at + k: at + k + len(piece)],
                                                                piece)), None)
        assert found is not None, "the device played something that is not the mix"
        matched += len(piece)
        at = int(found) + len(piece)
    # (values vs bytes; on a loaded machine SDL's thread may not have played the last
    # queued sounds by the time the mixer stops)
    assert matched * 2 >= 0.4 * played


def test_without_graphvizs_dot_the_drawing_is_skipped_with_a_clear_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.mixer.config import default_config
    from apps.mixer.mixer import Mixer
    from apps.mixer.report import draw_system
    from axon import snapshot

    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on it
    mixer = Mixer(default_config())
    written, problem = draw_system(snapshot(mixer), tmp_path, title="t")
    for entry in mixer.mixes.values():  # (never run: let go of their sockets)
        for lst in entry.listeners:
            lst.close()
    assert problem is not None and "`dot` program is missing" in problem
    assert [p.name for p in written] == ["mixer.dot"]
    assert (tmp_path / "mixer.dot").read_text().startswith("digraph")
