"""The parts on their own: the mix kernel, the jitter buffer, the frame schedule, the config."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.mixer.audio import AudioFormat, db_to_gain, mix
from apps.mixer.clocking import FrameSchedule
from apps.mixer.config import ConfigError, default_config, load_config, parse_config
from apps.mixer.jitter import BufferState, JitterBuffer

FMT = AudioFormat()
FB, FS, SB = FMT.frame_bytes, FMT.frame_samples, FMT.sample_bytes


# -- the kernel --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, -6.0, 3.0, -120.0, -math.inf, 24.0]),
                          st.integers(0, 2**32 - 1)), min_size=0, max_size=6))
def test_the_kernel_is_clip_of_the_sum_of_each_source_rounded_on_its_own(rows):
    frames, gains, ref = [], [], np.zeros(FS * 2, dtype=np.int64)
    for db, seed in rows:
        x = np.random.default_rng(seed).integers(-32768, 32768, FS * 2)
        frames.append(x.astype("<i2").tobytes())
        g = 0.0 if db == -math.inf else 10 ** (db / 20)
        gains.append(g)
        ref += np.rint(x * g).astype(np.int64)
    silence = bytes(FB)
    out, clipped = mix(frames, gains, silence)
    assert out == np.clip(ref, -32768, 32767).astype("<i2").tobytes()
    assert clipped == int(np.count_nonzero((ref > 32767) | (ref < -32768)))
    if not rows:
        assert out is silence


def test_gains_in_db():
    assert db_to_gain(0) == 1.0 and db_to_gain(-math.inf) == 0.0
    assert db_to_gain(-6) == pytest.approx(0.501187, rel=1e-6)
    assert db_to_gain(20) == pytest.approx(10.0)


def test_formats_round_frames_to_whole_samples_and_refuse_nonsense():
    f = AudioFormat(rate=22_050, channels=1, frame_ms=10)
    assert (f.frame_samples, f.frame_bytes, f.frame_seconds) == (220, 440, 220 / 22_050)
    assert AudioFormat(rate=48_000, frame_ms=5).frame_bytes == 240 * 4
    for bad in (dict(rate=0), dict(channels=0), dict(frame_ms=0.1), dict(rate=44_100.0)):
        with pytest.raises(ValueError):
            AudioFormat(**bad)  # type: ignore[arg-type]


# -- the jitter buffer -------------------------------------------------------------------------


def frame(value: int, samples: int = FS) -> bytes:
    return np.full(samples * 2, value, dtype="<i2").tobytes()


def test_the_jitter_buffer_waits_for_its_threshold_then_plays_frame_by_frame():
    jb = JitterBuffer(FMT, start_samples=2 * FS, cap_samples=10 * FS)
    assert jb.pull() is None and jb.state is BufferState.IDLE
    jb.push(frame(1))
    assert jb.pull() is None and jb.state is BufferState.BUFFERING  # below the threshold
    jb.push(frame(2))
    assert jb.pull() == frame(1) and jb.pull() == frame(2)
    assert jb.stats.inserted_samples == 0 and jb.stats.underruns == 0


def test_an_underrun_pads_with_silence_counts_it_and_buffers_again():
    jb = JitterBuffer(FMT, start_samples=FS, cap_samples=10 * FS)
    jb.push(frame(1) + frame(2)[: 100 * SB])
    assert jb.pull() == frame(1)
    assert jb.pull() == frame(2, 100) + bytes((FS - 100) * SB)  # what there was, then silence
    assert (jb.stats.underruns, jb.stats.inserted_samples) == (1, FS - 100)
    assert jb.pull() is None  # re-buffering: the gap goes on, and is counted
    assert jb.stats.inserted_samples == 2 * FS - 100 and jb.stats.underruns == 1
    jb.push(frame(3)[: 200 * SB])
    assert jb.pull() is None  # still below the threshold
    jb.push(frame(3)[200 * SB:])
    assert jb.pull() == frame(3)
    assert jb.stats.played_samples == 2 * FS + 100
    assert jb.stats.inserted_samples == 3 * FS - 100


def test_after_a_gap_the_stream_plays_again_at_the_normal_pace():
    """A gap that was not the sender's (the mixer stalled; the sender never sends more
    than its pace) must not leave the source silent: every frame that comes is heard."""
    jb = JitterBuffer(FMT, start_samples=2 * FS, cap_samples=20 * FS, trim_frames=100)
    jb.push(frame(1) + frame(2))
    played = [jb.pull(), jb.pull(), jb.pull(), jb.pull()]  # two frames, then a gap
    for v in range(3, 103):  # then one frame in, one frame out, for a second
        jb.push(frame(v))
        played.append(jb.pull())
    heard = [p for p in played if p is not None]
    assert heard == [frame(v) for v in range(1, 102)]  # in order, none lost (one waits)
    assert jb.stats.underruns == 1 and jb.stats.trimmed_samples == 0


def test_past_the_cap_the_oldest_audio_is_dropped_and_counted():
    jb = JitterBuffer(FMT, start_samples=FS, cap_samples=3 * FS)
    for v in range(1, 6):
        jb.push(frame(v))
    assert (jb.stats.overflows, jb.stats.dropped_samples) == (2, 2 * FS)
    assert [jb.pull() for _ in range(3)] == [frame(3), frame(4), frame(5)]


def test_an_ended_stream_plays_out_pads_its_last_frame_and_goes_idle_uncounted():
    jb = JitterBuffer(FMT, start_samples=4 * FS, cap_samples=10 * FS)
    jb.push(frame(7) + frame(8, 10))
    jb.end()
    assert jb.pull() == frame(7)  # below the threshold, but nothing more is coming
    assert jb.pull() == frame(8, 10) + bytes((FS - 10) * SB)
    assert jb.state is BufferState.IDLE
    for _ in range(5):
        assert jb.pull() is None
    s = jb.stats
    assert (s.padded_samples, s.underruns, s.inserted_samples) == (FS - 10, 0, 0)
    jb.push(frame(9))  # a new sender
    assert jb.state is BufferState.BUFFERING


def test_removing_a_source_counts_what_its_buffer_still_held():
    jb = JitterBuffer(FMT, start_samples=FS, cap_samples=10 * FS)
    jb.push(frame(1) + frame(2))
    assert jb.discard() == 2 * FS and jb.stats.discarded_samples == 2 * FS


def test_latency_left_above_the_threshold_after_a_burst_is_trimmed_and_counted():
    jb = JitterBuffer(FMT, start_samples=2 * FS, cap_samples=20 * FS, trim_frames=10)
    jb.push(b"".join(frame(v) for v in range(6)))  # a sender catching up after a stall
    out = []
    for v in range(6, 26):  # then on time: one frame in, one frame out
        out.append(jb.pull())
        jb.push(frame(v))
    assert (jb.stats.trims, jb.stats.trimmed_samples) == (1, 4 * FS)
    assert out[:10] == [frame(v) for v in range(10)]
    assert out[10:] == [frame(v) for v in range(14, 24)]  # 4 oldest frames gone, once
    # back to what a stream keeps once playing: the threshold less a frame (+ the frame
    # just pushed)
    assert jb.depth_samples == 2 * FS


def test_after_a_senders_stall_the_latency_returns_to_where_it_started():
    """A stall long enough to underrun delays the stream by the silence inserted: the
    sender's catch-up burst then leaves a frame more buffered than the stream started
    with, for good, unless it is trimmed.  Within ``trim_frames`` it must be, counted."""
    trim = 20
    jb = JitterBuffer(FMT, start_samples=2 * FS, cap_samples=20 * FS, trim_frames=trim)
    out: list[bytes | None] = []  # the frame pulled at each tick (as MixBus: push, then pull)
    left: list[int] = []  # frames buffered after each tick's pull
    k = 0  # the next frame the sender sends

    def tick(sends: int) -> None:
        nonlocal k
        for _ in range(sends):
            jb.push(frame(k))
            k += 1
        out.append(jb.pull())
        left.append(jb.depth_samples // FS)

    for _ in range(30):
        tick(1)
    assert out[1:30] == [frame(v) for v in range(29)]  # frame v out one tick after it came
    started = left[-1]
    assert started == 1  # the level a stream plays at: the threshold less the frame taken
    tick(0)  # the sender stalls for two frames: the buffer runs dry, then underruns
    tick(0)
    assert (jb.stats.underruns, jb.stats.inserted_samples) == (1, FS)
    tick(3)  # and catches up in one burst
    for _ in range(3 * trim):
        tick(1)
    assert left[-trim:] == [started] * trim  # back where it started, and staying there
    assert out[-1] == frame(k - 2)  # a frame out one tick after it came, as before the stall
    s = jb.stats
    assert (s.trims, s.trimmed_samples) == (1, FS)  # the inserted frame's worth, once
    assert s.dropped_samples == 0
    assert k * FS == s.played_samples + s.trimmed_samples + jb.depth_samples  # nothing vanished


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 3 * FS), st.just(-1)), max_size=60),
       st.sampled_from([0, 1, 5]))
def test_every_sample_in_is_played_dropped_or_still_buffered(ops, trim):
    """Whatever arrives and whenever frames are pulled, nothing vanishes uncounted."""
    jb = JitterBuffer(FMT, start_samples=2 * FS, cap_samples=5 * FS, trim_frames=trim)
    pushed = 0
    for op in ops:
        if op < 0:
            jb.pull()
        else:
            jb.push(bytes(op * SB))
            pushed += op
    s = jb.stats
    assert pushed == (s.played_samples + s.dropped_samples + s.trimmed_samples
                      + jb.depth_samples)


# -- the frame schedule -------------------------------------------------------------------------


def test_frames_are_due_at_t0_plus_k_periods_exactly_with_no_drift():
    sched = FrameSchedule(1000.0, 0.01)
    assert sched.take_due(1000.0) == 1  # frame 0 at t0
    assert sched.take_due(1000.0099) == 0
    assert sched.next_deadline() == 1000.0 + 1 * 0.01
    assert sched.take_due(sched.next_deadline()) == 1  # due exactly at its alarm
    k = 2
    for _ in range(100_000):  # a long run: still one frame per period, due at its alarm
        assert sched.take_due(sched.next_deadline()) == 1
        k += 1
    assert sched.next == k and sched.late_wakes == 0
    assert sched.take_due(sched.deadline(k + 4)) == 5 and sched.late_wakes == 1


def test_a_schedule_far_behind_skips_ahead_and_counts_the_frames_it_skipped():
    sched = FrameSchedule(0.0, 0.01, max_late=10)
    sched.take_due(0.0)
    assert sched.take_due(0.5) == 1 and sched.skipped == 49
    assert sched.next == 51 and sched.take_due(0.505) == 0


# -- configuration ---------------------------------------------------------------------------


def test_the_embedded_default_has_three_built_in_sources_two_mixes_and_a_script():
    cfg = default_config()
    assert [s.spec for s in cfg.sources] == ["tone:110", "tone:440", "noise"]
    assert [m.name for m in cfg.mixes] == ["main", "monitor"]
    assert cfg.mixes[0].routes != cfg.mixes[1].routes
    assert cfg.seconds and cfg.script and any("SWITCH" in s.command for s in cfg.script)
    assert cfg.script == tuple(sorted(cfg.script, key=lambda s: s.at))


def test_a_full_config_file_is_read(tmp_path: Path):
    path = tmp_path / "mixer.toml"
    path.write_text("""
seconds = 2.5
host = "127.0.0.1"
[format]
rate = 48000
channels = 1
frame_ms = 5
[buffer]
start_ms = 15
cap_ms = 100
[control]
port = false
console = true
[output]
max_backlog_ms = 250
[sources]
DJ1 = "1701"
bass = { spec = "tone:55", level_db = -6 }
[mixes.main]
sources = ["DJ1"]
gain = { bass = -3 }
listen = [1700, 0]
wav = "main.wav"
play = true
[[script]]
at = 1
command = "LIST"
""")
    cfg = load_config(path)
    assert (cfg.format.rate, cfg.format.channels, cfg.format.frame_samples) == (48_000, 1, 240)
    assert (cfg.buffers.start_ms, cfg.buffers.cap_ms, cfg.control_port, cfg.console) == (
        15.0, 100.0, None, True)
    assert cfg.max_backlog_ms == 250 and cfg.seconds == 2.5
    assert cfg.sources[1].level_db == -6 and cfg.sources[0].spec == "1701"
    main = cfg.mixes[0]
    assert main.routes == {"DJ1": (True, 0.0), "bass": (False, -3.0)}
    assert (main.listen, main.wav, main.play) == ((1700, 0), "main.wav", True)


@pytest.mark.parametrize("text, reason", [
    ("secnds = 3", "unknown key secnds"),
    ("[format]\nrate = 'fast'", "format.rate: expected int"),
    ("[format]\nchannels = 0", "channels must be"),
    ("[buffer]\nstart_ms = 50\ncap_ms = 20", "buffer.cap_ms: must hold"),
    ("[sources]\nx = { spec = 'noise', lvl = 3 }", "unknown key sources.x.lvl"),
    ("[sources]\n'bad name' = 'noise'", "bad source 'bad name'"),
    ("[mixes.m]\nsources = ['ghost']", "mixes.m.sources: unknown source 'ghost'"),
    ("[sources]\nm = 'noise'\n[mixes.m]", "'m' is both a source and a mix"),
    ("[mixes.m]\nlisten = [70000]", "mixes.m.listen: a port is"),
    ("[control]\nport = true", "control.port"),
    ("[[script]]\nat = 1", "script[0].command: missing"),
    ("seconds = -1", "seconds: must be >= 0"),
])
def test_a_bad_config_names_the_key_and_what_is_wrong(text: str, reason: str):
    import tomllib

    with pytest.raises(ConfigError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        parse_config(tomllib.loads(text), "test.toml")


def test_an_unreadable_or_invalid_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[format\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")
