"""Sources: TCP senders (one at a time, whole samples, vanishing mid-frame), WAV files."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from apps.mixer.audio import AudioFormat
from apps.mixer.config import SourceConfig
from apps.mixer.mixer import make_source
from apps.mixer.sources import TCPSource, read_wav_header

from .rig import FB, FMT, FS, Rig, config, pcm, samples


def test_samples_split_across_segments_are_joined_and_odd_bytes_of_a_vanished_sender_counted():
    data = pcm(np.arange(1, 251) * 100)  # 250 samples, 1000 bytes
    pieces = [data[:3], data[3:8], data[8:] + b"\x7f"]  # split inside samples; one odd byte
    cfg = config({"a": "0"}, {"m": {"routes": {"a": (True, 0.0)}}}, control_port=None)

    async def body() -> tuple[list[bytes], Rig]:
        async with Rig(cfg) as rig:
            _, w = await rig.sender("a")
            stats = rig.mixer.sources["a"].stats
            for piece in pieces:  # one at a time: each is its own read
                await rig.send("a", w, piece)
            assert stats.bytes_in == 1000 and stats.connected
            w.transport.abort()  # gone mid-frame, without a goodbye
            await rig.until(lambda: not stats.connected)
            await rig.tick(5)
            return list(rig.frames("m")), rig

    frames, rig = asyncio.run(body())
    stats = rig.mixer.sources["a"].stats
    assert stats.partial_bytes == 1 and stats.bytes_received == 1001
    # below the start threshold, but the sender has gone: what came is played at once
    assert frames[1] == data + bytes(FB - len(data))
    assert all(f == bytes(FB) for f in frames[2:])
    t = rig.mixer.mixes["m"].bus.totals()
    assert (t.padded_samples, t.underruns, t.inserted_samples, t.dropped_samples) == (
        FS - 250, 0, 0, 0)


def test_a_second_sender_is_refused_with_a_clear_line_and_the_first_plays_on():
    a = np.arange(6 * FS) % 1000
    cfg = config({"a": "0"}, {"m": {"routes": {"a": (True, 0.0)}}}, control_port=None)

    async def body() -> tuple[bytes, list[bytes], Rig]:
        async with Rig(cfg) as rig:
            _, first = await rig.sender("a")
            await rig.send("a", first, pcm(a[:3 * FS]))
            reader, second = await rig.sender("a")
            second.write(pcm(np.full(FS, 9999)))  # its audio must never be heard
            refusal = await rig.watched(reader.read())  # the line, then the end
            await rig.send("a", first, pcm(a[3 * FS:]))
            await rig.tick(6)
            first.close()
            stats = rig.mixer.sources["a"].stats
            await rig.until(lambda: not stats.connected)
            _, _third = await rig.sender("a")  # the first has gone: the next one is taken
            return refusal, list(rig.frames("m")), rig

    refusal, frames, rig = asyncio.run(body())
    assert refusal == (b"ERR source a is busy: another sender is connected "
                       b"(one sender at a time)\n")
    assert b"".join(frames[1:7]) == pcm(a)
    stats = rig.mixer.sources["a"].stats
    assert (stats.senders, stats.refused, stats.bytes_in) == (2, 1, 6 * FS * 4)


def test_a_refused_sender_that_never_closes_is_cut_off_after_the_linger():
    cfg = config({"a": "0"}, {}, control_port=None)

    async def body() -> None:
        async with Rig(cfg) as rig:
            source = rig.mixer.sources["a"].source
            assert isinstance(source, TCPSource)
            server = source.server
            await rig.sender("a")
            reader, second = await rig.sender("a")
            line = await rig.watched(reader.readline())
            assert line.startswith(b"ERR source a is busy")
            assert await rig.watched(reader.read()) == b""  # our side is closed
            second.write(b"\x00" * 4000)  # it keeps talking, and never closes
            await rig.watched(second.drain())
            await rig.jump(150)  # 1.5 s: still within the 2 s linger
            assert len(server.children) == 4  # two connections, each with its protocol
            await rig.jump(60)
            await rig.until(lambda: len(server.children) == 2)  # the refused one is gone

    asyncio.run(body())


def write_wav(path: Path, data: np.ndarray, *, rate: int = 44_100, channels: int = 2,
              width: int = 2) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data.astype("<i2").tobytes() if width == 2 else data.tobytes())
    return path


def test_a_wav_file_source_plays_its_samples_looped_or_once(tmp_path: Path):
    mono = (np.arange(int(2.5 * FS)) * 7 % 20_000).astype(np.int64)
    write_wav(tmp_path / "m.wav", mono, channels=1)
    cfg = config({"loop": f"file:{tmp_path / 'm.wav'}"},
                 {"m": {"routes": {"loop": (True, 0.0)}}}, control_port=None)
    config({}, {"m": {}}, control_port=None)

    async def body(c, add_once: bool):  # type: ignore[no-untyped-def]
        async with Rig(c) as rig:
            if add_once:
                src = make_source(SourceConfig("once", f"file:{tmp_path / 'm.wav'}", loop=False),
                                  FMT, clock=rig.clock)
                assert src.kind == "file"
            await rig.tick(12)
            return list(rig.frames("m"))

    frames = asyncio.run(body(cfg, False))
    out = samples(b"".join(frames))
    first = next(i for i, f in enumerate(frames) if f != bytes(FB))
    played = out[first * FS + 1:]  # (sample 0 of the file is 0)
    looped = np.tile(mono, 6)[1: 1 + len(played)]
    assert np.array_equal(played, np.repeat(looped[:, None], 2, axis=1))  # mono -> stereo


def test_wav_files_the_run_cannot_play_are_refused_with_the_reason(tmp_path: Path):
    fmt = AudioFormat()
    cases = {
        "rate": (write_wav(tmp_path / "r.wav", np.zeros(10), rate=48_000), "48000 Hz"),
        "width": (write_wav(tmp_path / "w.wav", np.zeros(10, np.uint8), width=1), "8-bit"),
        "channels": (write_wav(tmp_path / "c.wav", np.zeros(30), channels=3), "3 channels"),
    }
    for (path, reason) in cases.values():
        with pytest.raises(ValueError, match=reason):
            read_wav_header(path, fmt)
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all")
    with pytest.raises(ValueError, match="not a WAV file"):
        read_wav_header(tmp_path / "junk.wav", fmt)
    with pytest.raises(ValueError, match="no such file"):
        read_wav_header(tmp_path / "missing.wav", fmt)


def test_bad_source_specs_say_what_is_accepted():
    for spec, reason in [("tone:abc", "tone:HZ"), ("tone:30000", "below 22050"),
                         ("bogus", "a port, tone:HZ"), ("99999", "65535"), ("noise:3", "a port")]:
        with pytest.raises(ValueError, match=reason):
            make_source(SourceConfig("x", spec), FMT)
