"""The mix, end to end: real TCP senders on 127.0.0.1, a fake clock, frame-exact output.

Frame ``k`` of a mix is emitted at fake time ``k`` periods.  A sender's audio that arrived
before frame ``k`` (and fills the jitter buffer past its 20 ms threshold) is heard from
frame ``k`` on, so with everything sent before the first tick, output frame ``j`` is input
frame ``j - 1`` of every source that is on.
"""

from __future__ import annotations

import asyncio

import numpy as np

from apps.mixer.audio import tone_samples
from apps.mixer.messages import ListenerKind
from apps.mixer.mixer import Mixer

from .rig import FB, FMT, FS, Rig, config, pcm, samples

RATE = FMT.rate


def sine(freq: float, amp: float, n: int, start: int = 0) -> np.ndarray:
    """The reference: an integer sine, computed here independently of the mixer."""
    t = np.arange(start, start + n, dtype=np.float64)
    return np.rint(amp * np.sin(2 * np.pi * freq * t / RATE)).astype(np.int64)


def stereo(mono: np.ndarray) -> np.ndarray:
    return np.repeat(mono[:, None], 2, axis=1)


def reference(*parts: tuple[np.ndarray, float]) -> np.ndarray:
    """clip(sum(rint(gain * x))) in plain int64 arithmetic, one source at a time."""
    acc = np.zeros_like(parts[0][0])
    for x, db in parts:
        acc = acc + np.rint(x * 10 ** (db / 20)).astype(np.int64)
    return np.clip(acc, -32768, 32767)


def test_two_tcp_senders_mix_sample_exact_against_a_numpy_reference():
    a = sine(440, 12_000, 10 * FS)
    b = sine(1000, 20_000, 10 * FS)
    cfg = config({"a": "0", "b": "0"}, {"m": {"routes": {"a": (True, 0.0), "b": (True, -6.0)}}},
                 control_port=None)

    async def body() -> list[bytes]:
        async with Rig(cfg) as rig:
            _, wa = await rig.sender("a")
            _, wb = await rig.sender("b")
            await rig.send("a", wa, pcm(a))
            await rig.send("b", wb, pcm(b))
            await rig.tick(10)
            return list(rig.frames("m"))

    frames = asyncio.run(body())
    assert len(frames) == 11 and all(len(f) == FB for f in frames)
    assert frames[0] == bytes(FB)  # frame 0: nothing had arrived yet
    out = samples(b"".join(frames[1:]))
    assert np.array_equal(out, stereo(reference((a, 0.0), (b, -6.0))))


def test_a_single_source_at_unity_gain_comes_out_bit_for_bit():
    a = np.random.default_rng(7).integers(-32768, 32767, size=(4 * FS, 2))
    cfg = config({"a": "0"}, {"m": {"routes": {"a": (True, 0.0)}}}, control_port=None)

    async def body() -> list[bytes]:
        async with Rig(cfg) as rig:
            _, w = await rig.sender("a")
            await rig.send("a", w, pcm(a))
            await rig.tick(4)
            return list(rig.frames("m"))

    frames = asyncio.run(body())
    assert b"".join(frames[1:]) == pcm(a)  # not a third of its volume (Kamaelia's /3)


def test_switch_only_on_off_and_gain_take_effect_in_the_next_frame():
    n = 30
    a = sine(300, 8_000, n * FS)
    b = sine(700, 9_000, n * FS)
    cfg = config({"a": "0", "b": "0"}, {"m": {"routes": {"a": (True, 0.0)}}})
    log: list[tuple[int, str, str]] = []

    async def body() -> list[bytes]:
        async with Rig(cfg) as rig:
            ctl = await rig.control()
            _, wa = await rig.sender("a")
            _, wb = await rig.sender("b")
            await rig.send("a", wa, pcm(a))
            await rig.send("b", wb, pcm(b))
            await rig.tick(3)
            for command in ["SWITCH m b ON", "SWITCH m a OFF", "SWITCH m a ONLY",
                            "GAIN m a -6", "SWITCH m ALL ON", "GAIN m b +3.5",
                            "SWITCH m ALL OFF", "SWITCH m b ONLY"]:
                log.append((rig.k, command, await ctl.ask(command)))
                await rig.tick(1)
            await rig.tick(1)
            return list(rig.frames("m"))

    frames = asyncio.run(body())
    assert [r for _, _, r in log] == [
        "OK SWITCH m b ON", "OK SWITCH m a OFF", "OK SWITCH m a ONLY", "OK GAIN m a -6.0 dB",
        "OK SWITCH m ALL ON", "OK GAIN m b +3.5 dB", "OK SWITCH m ALL OFF",
        "OK SWITCH m b ONLY"]

    def frame(j: int) -> np.ndarray:  # output frame j is input frame j - 1
        return samples(frames[j])

    def src(x: np.ndarray, j: int) -> np.ndarray:
        return x[(j - 1) * FS: j * FS]

    expect = {  # the matrix in force from each frame on: (gain of a, gain of b), None = off
        1: (0.0, None), 4: (0.0, 0.0), 5: (None, 0.0), 6: (0.0, None), 7: (-6.0, None),
        8: (-6.0, 0.0), 9: (-6.0, 3.5), 10: (None, None), 11: (None, 3.5), 12: (None, 3.5),
    }
    state = expect[1]
    for j in range(1, 13):
        state = expect.get(j, state)
        parts = [(src(x, j), g) for x, g in zip((a, b), state, strict=True) if g is not None]
        want = stereo(reference(*parts)) if parts else np.zeros((FS, 2), dtype=np.int64)
        assert np.array_equal(frame(j), want), f"frame {j} (matrix {state})"
    assert [k for k, _, _ in log] == list(range(3, 11))  # one command per frame


def test_the_sum_is_clipped_once_and_the_clipped_values_are_counted():
    hi = np.full(2 * FS, 30_000)
    c = np.concatenate([np.full(FS, 20_000), np.full(FS, -30_000)])
    cfg = config({"a": "0", "b": "0", "c": "0"},
                 {"m": {"routes": {"a": (True, 0.0), "b": (True, 0.0), "c": (True, 0.0)}}},
                 control_port=None)

    async def body() -> tuple[list[bytes], int]:
        async with Rig(cfg) as rig:
            for name, data in (("a", hi), ("b", hi), ("c", c)):
                _, w = await rig.sender(name)
                await rig.send(name, w, pcm(data))
            await rig.tick(2)
            return list(rig.frames("m")), rig.mixer.mixes["m"].bus.stats.clipped_values

    frames, clipped = asyncio.run(body())
    assert np.all(samples(frames[1]) == 32767)  # 30000 + 30000 + 20000, clipped
    # 30000 + 30000 - 30000 = 30000: clipped once at the end, not at each addition (which
    # would give 32767 - 30000 = 2767)
    assert np.all(samples(frames[2]) == 30_000)
    assert clipped == FS * 2  # every value of frame 1, both channels


def test_a_negative_overload_clips_to_the_lowest_value():
    lo = np.full(FS, -25_000)
    cfg = config({"a": "0"}, {"m": {"routes": {"a": (True, 6.0)}}}, control_port=None)

    async def body() -> list[bytes]:
        async with Rig(cfg) as rig:
            _, w = await rig.sender("a")
            await rig.send("a", w, pcm(np.concatenate([lo, lo])))
            await rig.tick(1)
            return list(rig.frames("m"))

    assert np.all(samples(asyncio.run(body())[1]) == -32768)


def test_with_no_sources_every_frame_is_silence_at_the_exact_rate():
    cfg = config({}, {"empty": {}, "all_off": {}}, control_port=None)
    cfg2 = config({"t": "tone:440"}, {"off": {}}, control_port=None)

    async def body(c):  # type: ignore[no-untyped-def]
        async with Rig(c) as rig:
            await rig.tick(50)
            return {m: list(f.items) for m, f in rig.taps.items()}

    for c in (cfg, cfg2):
        for mix, frames in asyncio.run(body(c)).items():
            assert len(frames) == 51, mix  # frames 0..50: one per period, none more
            assert all(f == bytes(FB) for f in frames), mix


def test_a_late_wakeup_emits_every_frame_due_and_a_very_late_one_skips_counting():
    cfg = config({}, {"m": {}}, control_port=None)

    async def body() -> tuple[int, int, int, int, int]:
        async with Rig(cfg) as rig:
            await rig.jump(5)  # five periods in one wake-up
            after_five = len(rig.frames("m"))
            stats = rig.mixer.mixes["m"].bus.stats
            late = stats.late_wakes
            await rig.jump(1000)  # ten seconds: more than max_late (100 frames)
            return after_five, late, len(rig.frames("m")), stats.skipped_frames, stats.frames

    after_five, late, total, skipped, frames = asyncio.run(body())
    assert after_five == 6 and late == 1
    assert total == 7 and skipped == 999 and frames == 7  # skipped, counted, not burst


def test_the_built_in_tone_is_sample_exact_and_continuous():
    cfg = config({"t": "tone:1000"}, {"m": {"routes": {"t": (True, 0.0)}}}, control_port=None)

    async def body() -> list[bytes]:
        async with Rig(cfg) as rig:
            await rig.tick(30)
            return list(rig.frames("m"))

    frames = asyncio.run(body())
    out = samples(b"".join(frames))
    first = next(i for i, f in enumerate(frames) if f != bytes(FB))
    assert first <= 3  # the start threshold is two frames
    played = out[first * FS:]
    want = sine(1000, 32767 * 10 ** (-12 / 20), len(played))  # the default level, -12 dBFS
    assert np.array_equal(played, stereo(want))
    assert tone_samples(1000, -12, 0, FS, FMT) == pcm(want[:FS])


def test_an_off_source_keeps_moving_so_switching_it_on_plays_it_live():
    n = 20
    a = np.random.default_rng(3).integers(-10_000, 10_000, n * FS)  # no two frames alike
    cfg = config({"a": "0"}, {"m": {}})

    async def body() -> tuple[list[bytes], Mixer]:
        async with Rig(cfg) as rig:
            ctl = await rig.control()
            _, w = await rig.sender("a")
            await rig.send("a", w, pcm(a))
            await rig.tick(5)  # frames 1-5: a is off (but its buffer is read)
            assert await ctl.ask("SWITCH m a ON") == "OK SWITCH m a ON"
            await rig.tick(2)
            return list(rig.frames("m")), rig.mixer

    frames, mixer = asyncio.run(body())
    assert all(f == bytes(FB) for f in frames[:6])
    assert np.array_equal(samples(frames[6]), stereo(a[5 * FS: 6 * FS]))  # live, not stale
    assert mixer.mixes["m"].bus.totals().dropped_samples == 0


def test_ports_are_reported_once_listening():
    cfg = config({"a": "0"}, {"m": {"listen": (0,)}})

    async def body() -> set[tuple[ListenerKind, str]]:
        async with Rig(cfg) as rig:
            return set(rig.mixer.addresses)

    assert asyncio.run(body()) == {(ListenerKind.SOURCE, "a"), (ListenerKind.MIX, "m"),
                                   (ListenerKind.CONTROL, "control")}


def test_a_stall_never_makes_a_generated_source_underrun():
    """Generators make frame k a quarter period before the mixes take it; after a stall
    the mix's timer can be the first to ring, and it still mixes only after the generators
    have caught up (it steps aside once per tick)."""
    cfg = config({"t": "tone:440", "n": "noise"},
                 {"m": {"routes": {"t": (True, 0.0), "n": (True, -6.0)}}}, control_port=None)

    async def body() -> tuple[int, int, int]:
        async with Rig(cfg) as rig:
            await rig.tick(5)
            period = FMT.frame_seconds
            for _ in range(10):
                # past the generators' next deadline, not the mix's: they make frame k + 1
                rig.clock.advance((rig.k + 1) * period - period / 8 - rig.clock.now())
                await rig.settle()
                await rig.jump(4)  # a stall: the mix's timer is now due first
            t = rig.mixer.mixes["m"].bus.totals()
            return t.underruns, t.inserted_samples, rig.mixer.mixes["m"].bus.stats.late_wakes

    underruns, inserted, late = asyncio.run(body())
    assert late == 10 and (underruns, inserted) == (0, 0)
