"""The control protocol: parsing, and real TCP clients (pipelined, split, garbage, many)."""

from __future__ import annotations

import asyncio
import io
import math

import numpy as np
import pytest

from apps.mixer.config import MixerConfig
from apps.mixer.control import (
    ALL,
    HELP,
    AddMix,
    AddSource,
    CommandError,
    DelMix,
    DelSource,
    Gain,
    Help,
    ListAll,
    Mode,
    Query,
    Stats,
    Switch,
    parse,
)
from apps.mixer.mixer import Mixer
from axon import Scheduler

from .rig import FB, FS, Rig, config, pcm

# -- parsing --------------------------------------------------------------------------------


def test_every_command_parses_to_its_record_whatever_the_case_of_its_keywords():
    assert parse("SWITCH main DJ1 ON") == Switch("main", "DJ1", Mode.ON)
    assert parse("switch main all only") == Switch("main", ALL, Mode.ONLY)
    assert parse("Switch main DJ1 off") == Switch("main", "DJ1", Mode.OFF)
    assert parse("GAIN main DJ1 -6") == Gain("main", "DJ1", -6.0)
    assert parse("gain main DJ1 +3.5dB") == Gain("main", "DJ1", 3.5)
    assert parse("GAIN main DJ1 -inf") == Gain("main", "DJ1", -math.inf)
    assert parse("QUERY main ALL") == Query("main", ALL)
    assert parse("  LIST  ") == ListAll()
    assert parse("STATS") == Stats(None) and parse("stats DJ1") == Stats("DJ1")
    assert parse("ADD MIX m2") == AddMix("m2", 0) and parse("add mix m2 1700") == AddMix("m2", 1700)
    assert parse("DEL MIX m2") == DelMix("m2")
    assert parse("ADD SOURCE t tone:440") == AddSource("t", "tone:440")
    assert parse('ADD SOURCE f "file:/tmp/a b.wav"') == AddSource("f", "file:/tmp/a b.wav")
    assert parse("DEL SOURCE t") == DelSource("t")
    assert parse("help") == Help()


@pytest.mark.parametrize("line, reason", [
    ("FROB x", "unknown command 'FROB'"),
    ("SWITCH main DJ1", "usage: SWITCH <mix> <src|ALL> ON|OFF|ONLY"),
    ("SWITCH main DJ1 MAYBE", "bad switch 'MAYBE': ON, OFF or ONLY"),
    ("GAIN main DJ1 loud", "bad gain 'loud'"),
    ("GAIN main DJ1 40", "gain must be from -120 to +24 dB"),
    ("GAIN main DJ1 nan", "gain must be"),
    ("GAIN main ALL 3", "'ALL' is reserved"),
    ("ADD MIX bad/name", "bad mix 'bad/name'"),
    ("ADD MIX m 70000", "bad port '70000'"),
    ("ADD THING x", "usage: ADD MIX"),
    ("ADD SOURCE x", "usage: ADD MIX"),
    ("DEL SOURCE", "usage: DEL MIX"),
    ("QUERY 'unbalanced", "cannot split the line"),
    ("STATS a b", "usage: STATS"),
])
def test_a_bad_line_gets_the_reason(line: str, reason: str):
    with pytest.raises(CommandError, match=reason.replace("|", r"\|").replace("+", r"\+")):
        parse(line)


# -- over TCP ---------------------------------------------------------------------------------


def two_sources() -> MixerConfig:
    return config({"a": "tone:440", "b": "noise"},
                  {"main": {"routes": {"a": (True, 0.0)}}, "mon": {}})


def test_pipelined_commands_in_one_packet_get_one_reply_each_in_order():
    async def body() -> list[str]:
        async with Rig(two_sources()) as rig:
            ctl = await rig.control()
            await ctl.write(b"QUERY main ALL\nSWITCH main b ON\nGAIN main b -6\nQUERY main ALL\n"
                            b"SWITCH main a ONLY\nQUERY main ALL\nLIST\nHELP\n")
            return [await ctl.reply() for _ in range(8)]

    assert asyncio.run(body()) == [
        "OK a=ON:+0.0dB b=OFF:+0.0dB",
        "OK SWITCH main b ON",
        "OK GAIN main b -6.0 dB",
        "OK a=ON:+0.0dB b=ON:-6.0dB",
        "OK SWITCH main a ONLY",
        "OK a=ON:+0.0dB b=OFF:-6.0dB",
        "OK sources a(tone:440) b(noise); mixes main mon",
        HELP,
    ]


def test_a_command_split_across_packets_is_put_together():
    async def body() -> list[str]:
        async with Rig(two_sources()) as rig:
            ctl = await rig.control()
            for piece in (b"SWI", b"TCH ma", b"in b O", b"N\r\nQUE", b"RY main b\nQ",
                          b"UERY mon a\n"):
                await ctl.write(piece)
                await rig.settle()
            return [await ctl.reply() for _ in range(3)]

    assert asyncio.run(body()) == ["OK SWITCH main b ON", "OK b=ON:+0.0dB", "OK a=OFF:+0.0dB"]


def test_garbage_and_over_long_lines_get_an_err_and_the_connection_carries_on():
    long_line = b"SWITCH main a ON " + b"x" * 3000

    async def body() -> tuple[list[str], list[bytes], int]:
        async with Rig(two_sources()) as rig:
            ctl = await rig.control()
            await ctl.write(b"\xff\xfe\x00garbage\n")
            await ctl.write(b"\n\n   \n")  # blank lines: no command, no reply
            await ctl.write(long_line[:1500])  # over-long, across packets
            await rig.settle()
            await ctl.write(long_line[1500:] + b"\nQUERY main a\n")
            await ctl.write(b"\x00\x01\x02\n")
            await ctl.write(b"SWITCH nowhere a ON\nSWITCH main zz ON\nGAIN main a 99\n")
            await ctl.write(b"FROB\nLIST\n")
            replies = [await ctl.reply() for _ in range(9)]
            await rig.tick(5)
            return replies, list(rig.frames("main")), rig.mixer.requests

    replies, frames, _requests = asyncio.run(body())
    assert replies == [
        "ERR not ASCII text: commands are ASCII lines",
        "ERR line too long (over 1024 bytes); ignored",
        "OK a=ON:+0.0dB",
        "ERR unknown command '\\x00\\x01\\x02' (try HELP)",
        "ERR no mix named 'nowhere' (mixes: main, mon)",
        "ERR no source named 'zz' (sources: a, b)",
        "ERR gain must be from -120 to +24 dB (or -inf), not 99",
        "ERR unknown command 'FROB' (try HELP)",
        "OK sources a(tone:440) b(noise); mixes main mon",
    ]
    assert len(frames) == 6 and all(len(f) == FB for f in frames)  # the audio never paused


def test_many_clients_at_once_each_get_their_own_replies_in_order():
    async def body() -> list[list[str]]:
        async with Rig(two_sources()) as rig:
            clients = [await rig.control() for _ in range(40)]

            async def talk(i: int) -> list[str]:
                ctl = clients[i]
                gain = -(i % 20)
                await ctl.write(b"".join(
                    f"GAIN mon b {gain}\nQUERY mon b\nBOGUS {i}\n".encode() for _ in range(5)))
                return [await ctl.reply() for _ in range(15)]

            return await asyncio.gather(*(talk(i) for i in range(40)))

    results = asyncio.run(body())
    for i, replies in enumerate(results):
        gain = -(i % 20)
        assert replies[0::3] == [f"OK GAIN mon b {gain:+.1f} dB"] * 5
        assert all(r.startswith("OK b=OFF:") for r in replies[1::3])  # (others set it too)
        assert replies[2::3] == ["ERR unknown command 'BOGUS' (try HELP)"] * 5


def test_stats_reports_every_source_and_mix_and_the_whole():
    async def body() -> list[str]:
        async with Rig(config({"a": "0", "t": "tone:100"}, {"m": {"routes": {"a": (True, 0.0)}}})
                       ) as rig:
            _, w = await rig.sender("a")
            await rig.send("a", w, pcm(np.ones(3 * FS)))
            await rig.tick(10)
            ctl = await rig.control()
            return [await ctl.ask(c) for c in ("STATS", "STATS m", "STATS a", "STATS t",
                                               "STATS nope")]

    whole, mix, tcp, tone, nope = asyncio.run(body())
    assert whole.startswith("OK sources=2 mixes=1 bytes_in=") and "frames=11" in whole
    assert mix.startswith("OK mix m frames=11 bytes_out=19404 on=1 underruns=1 inserted=")
    assert "clients=0 slow_dropped=0" in mix
    assert tcp == ("OK source a kind=tcp bytes_in=5292 chunks=1 senders=1 refused=0 "
                   "connected=yes partial_bytes=0 errors=0 depth_ms=m:0")
    assert tone.startswith("OK source t kind=tone bytes_in=")
    assert nope == "ERR no mix or source named 'nope'"


def test_the_console_takes_the_same_commands_and_its_end_stops_the_mixer():
    cfg = config({"a": "tone:440"}, {"m": {}}, console=True, control_port=None)
    out = io.StringIO()
    mixer = Mixer(cfg, console_in=io.StringIO("LIST\nSWITCH m a ON\nQUERY m a\n\nnonsense\n"),
                  console_out=out)
    sched = Scheduler()
    sched.activate(mixer)
    sched.run(timeout=20)  # ends by itself: the end of the console's input stops it
    assert out.getvalue().splitlines() == [
        "OK sources a(tone:440); mixes m", "OK SWITCH m a ON", "OK a=ON:+0.0dB",
        "ERR unknown command 'nonsense' (try HELP)"]
