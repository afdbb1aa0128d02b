"""Adding and removing sources and mixes while the mixer runs (over the control port)."""

from __future__ import annotations

import asyncio
import socket

import numpy as np

from apps.mixer.messages import ListenerKind

from .rig import FB, FS, HOST, Rig, config, pcm, samples
from .test_mixing import sine, stereo


def test_a_source_added_while_running_is_heard_and_one_removed_is_silent_at_once():
    cfg = config({"a": "tone:300"}, {"m": {"routes": {"a": (True, 0.0)}}, "other": {}})

    async def body() -> tuple[list[str], list[bytes], int, int]:
        async with Rig(cfg) as rig:
            ctl = await rig.control()
            await rig.tick(3)
            replies = [await ctl.ask("ADD SOURCE t tone:1000"), await ctl.ask("SWITCH m t ONLY"),
                       await ctl.ask("QUERY m ALL"), await ctl.ask("QUERY other ALL")]
            added_at = len(rig.frames("m"))
            await rig.tick(10)
            replies.append(await ctl.ask("DEL SOURCE t"))
            removed_at = len(rig.frames("m"))
            await rig.tick(3)
            replies += [await ctl.ask("LIST"), await ctl.ask("QUERY m t"),
                        await ctl.ask("ADD SOURCE t tone:1000"), await ctl.ask("DEL SOURCE t"),
                        await ctl.ask("DEL SOURCE t")]
            bus = rig.mixer.mixes["m"].bus
            assert set(bus.buffers) == {"a"} and len(bus.children) == 1  # unsubscribed
            return replies, list(rig.frames("m")), added_at, removed_at

    replies, frames, added_at, removed_at = asyncio.run(body())
    assert replies == [
        "OK ADD SOURCE t tone:1000", "OK SWITCH m t ONLY", "OK a=OFF:+0.0dB t=ON:+0.0dB",
        "OK a=OFF:+0.0dB t=OFF:+0.0dB", "OK DEL SOURCE t",
        "OK sources a(tone:300); mixes m other", "ERR no source named 't' (sources: a)",
        "OK ADD SOURCE t tone:1000", "OK DEL SOURCE t", "ERR no source named 't' (sources: a)"]
    assert all(f == bytes(FB) for f in frames[added_at: added_at + 1])  # a is off at once
    heard = [i for i in range(added_at, removed_at) if frames[i] != bytes(FB)]
    assert heard and heard == list(range(heard[0], removed_at))  # then t, continuously
    out = samples(b"".join(frames[heard[0]: removed_at]))
    level = 32767 * 10 ** (-12 / 20)
    assert np.array_equal(out, stereo(sine(1000, level, len(out))))  # from its first sample
    assert all(f == bytes(FB) for f in frames[removed_at:])  # gone: silence from the next


def test_a_tcp_source_added_while_running_replies_with_its_port_and_plays():
    data = np.arange(4 * FS) % 3000

    async def body() -> tuple[list[str], list[bytes], int]:
        async with Rig(config({}, {"m": {}})) as rig:
            ctl = await rig.control()
            reply = await ctl.ask("ADD SOURCE dj 0")
            port = int(reply.rsplit(":", 1)[1])
            busy = socket.socket()
            busy.bind((HOST, 0))
            busy.listen()
            try:
                refused = await ctl.ask(f"ADD SOURCE dj2 {busy.getsockname()[1]}")
            finally:
                busy.close()
            assert await ctl.ask("SWITCH m dj ON") == "OK SWITCH m dj ON"
            assert rig.port(ListenerKind.SOURCE, "dj") == port
            _, w = await rig.sender("dj")
            await rig.send("dj", w, pcm(data))
            start = len(rig.frames("m"))
            await rig.tick(4)
            return [reply, refused, await ctl.ask("LIST")], rig.frames("m")[start:], port

    (reply, refused, listing), frames, port = asyncio.run(body())
    assert reply == f"OK ADD SOURCE dj listening 127.0.0.1:{port}"
    assert refused.startswith("ERR source dj2 cannot listen: [Errno 98]")
    assert listing == f"OK sources dj(tcp 127.0.0.1:{port}); mixes m"
    assert b"".join(frames) == pcm(data)


def test_a_mix_added_while_running_serves_its_port_and_one_removed_closes_its_clients():
    async def body() -> tuple[list[str], bytes, bytes]:
        async with Rig(config({"a": "tone:440", "b": "tone:660"}, {"m": {}})) as rig:
            ctl = await rig.control()
            added = await ctl.ask("ADD MIX m2")
            port = int(added.rsplit(":", 1)[1])
            r, w = await asyncio.open_connection(HOST, port)
            rig.writers.append(w)
            lst = rig.mixer.mixes["m2"].listeners[0]
            await rig.until(lambda: lst.stats.accepted == 1)
            replies = [added, await ctl.ask("QUERY m2 ALL"), await ctl.ask("SWITCH m2 b ON"),
                       await ctl.ask("ADD MIX m2"), await ctl.ask("ADD MIX a")]
            await rig.tick(6)
            heard = await rig.watched(r.readexactly(6 * FB))
            replies += [await ctl.ask("DEL MIX m2"), await ctl.ask("LIST"),
                        await ctl.ask("QUERY m2 ALL")]
            rest = await rig.watched(r.read())  # closed by the mixer
            await rig.tick(2)
            return replies, heard, rest

    replies, heard, rest = asyncio.run(body())
    port = replies[0].rsplit(":", 1)[1]
    assert replies == [
        f"OK ADD MIX m2 listening 127.0.0.1:{port}", "OK a=OFF:+0.0dB b=OFF:+0.0dB",
        "OK SWITCH m2 b ON", "ERR 'm2' is already a mix", "ERR 'a' is already a source",
        "OK DEL MIX m2", "OK sources a(tone:440) b(tone:660); mixes m",
        "ERR no mix named 'm2' (mixes: m)"]
    assert samples(heard).any()  # b, heard through the new mix's port
    assert rest == b""


def test_a_reply_that_waits_for_a_port_keeps_its_place_among_the_replies():
    async def body() -> list[str]:
        async with Rig(config({}, {"m": {}})) as rig:
            ctl = await rig.control()
            await ctl.write(b"ADD SOURCE dj 0\nQUERY m ALL\nLIST\n")  # the first waits
            return [await ctl.reply() for _ in range(3)]

    first, query, listing = asyncio.run(body())
    assert first.startswith("OK ADD SOURCE dj listening 127.0.0.1:")
    assert query == "OK dj=OFF:+0.0dB"
    assert listing.startswith("OK sources dj(tcp")  # (executed before it listened)


def test_a_mix_on_a_busy_port_is_refused_and_nothing_is_left_half_made():
    async def body() -> tuple[str, str]:
        async with Rig(config({}, {"m": {}})) as rig:
            ctl = await rig.control()
            busy = socket.socket()
            busy.bind((HOST, 0))
            busy.listen()
            try:
                refused = await ctl.ask(f"ADD MIX m2 {busy.getsockname()[1]}")
            finally:
                busy.close()
            return refused, await ctl.ask("LIST")

    refused, listing = asyncio.run(body())
    assert refused.startswith("ERR mix m2 cannot listen on port ") and "in use" in refused
    assert listing == "OK sources -; mixes m"
