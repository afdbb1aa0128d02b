"""Sinks: ConsoleEcho's options (tag, repr, forwarding)."""

from __future__ import annotations

import io

from axon import ProducerFinished, Shutdown
from components import ConsoleEcho
from components.testing import Harness, run_component

PF = ProducerFinished()


def test_console_echo_tags_each_line_and_prints_repr_of_any_object():
    stream = io.StringIO()
    run_component(ConsoleEcho(stream, tag="[w1] ", use_repr=True),
                  inbox=[(1, 2), "text", b"\x00", None], control=[PF])
    assert stream.getvalue() == "[w1] (1, 2)\n[w1] 'text'\n[w1] b'\\x00'\n[w1] None\n"


def test_console_echo_tags_every_line_of_a_message_of_several():
    stream = io.StringIO()
    run_component(ConsoleEcho(stream, tag="| "), inbox=["one\ntwo", "three\n", ""],
                  control=[PF])
    assert stream.getvalue() == "| one\n| two\n| three\n\n| \n"


def test_console_echo_forwarder_passes_on_what_it_printed_unchanged_then_the_end():
    stream = io.StringIO()
    items = [{"a": 1}, [2], "three"]
    out = run_component(ConsoleEcho(stream, use_repr=True, forwarder=True),
                        inbox=items, control=[PF])
    assert out["outbox"] == items and out["outbox"][0] is not None
    assert out["signal"] == [PF]
    assert stream.getvalue().splitlines() == ["{'a': 1}", "[2]", "'three'"]


def test_console_echo_forwards_only_what_it_could_print():
    stream = io.StringIO()
    out = run_component(ConsoleEcho(stream, tag="> ", forwarder=True, on_error="send"),
                        inbox=["ok", 42, "fine"], control=[PF])
    assert out["outbox"] == ["ok", "fine"]
    assert [r.data for r in out["error"]] == [42]
    assert stream.getvalue() == "> ok\n> fine\n"


def test_console_echo_without_forwarder_sends_nothing_on_and_stops_on_shutdown():
    stream = io.StringIO()
    with Harness(ConsoleEcho(stream)) as h:
        h.feed("inbox", "a")
        h.feed("control", Shutdown())
        assert h.finished and h.outputs["outbox"] == [] and h.outputs["signal"] == [Shutdown()]
    assert stream.getvalue() == "a\n"
