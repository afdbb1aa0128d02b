"""The rules every library component follows, checked for each one.

- boxes are declared with descriptions, and the docstring shows one use;
- data sent before ``ProducerFinished`` is all processed and forwarded before the
  ``ProducerFinished`` is passed on (nothing lost);
- ``Shutdown`` stops it promptly, and is passed on;
- bad input is reported per ``on_error``: a ``BadInput`` naming the component on ``error``
  (the rest of the traffic goes on), or a ``BadInputError`` raised.
"""

from __future__ import annotations

import inspect
import io
import pickle

import pytest

import components
from axon import Component, ComponentError, ProducerFinished, Shutdown
from components import BadInput, BadInputError, OnError
from components.testing import FakeClock, Harness, run_component

PF = ProducerFinished()


def every_component_class() -> list[type[Component]]:
    return sorted(
        (obj for obj in vars(components).values()
         if inspect.isclass(obj) and issubclass(obj, Component)),
        key=lambda c: c.__name__,
    )


# name -> (make component, input for inbox, expected outbox); a FakeClock is passed as clock
STREAMS = {
    "Map": (lambda clock: components.Map(lambda n: n + 1), [1, 2, 3], [2, 3, 4]),
    "Filter": (lambda clock: components.Filter(lambda n: n % 2), [1, 2, 3], [1, 3]),
    "Batch": (lambda clock: components.Batch(2), [1, 2, 3], [[1, 2], [3]]),
    "Batch(interval)": (lambda clock: components.Batch(interval=1.0, clock=clock), [1, 2, 3],
                        [[1, 2, 3]]),
    "Unbatch": (lambda clock: components.Unbatch(), [[1, 2], [3]], [1, 2, 3]),
    "Delay": (lambda clock: components.Delay(2.0, clock=clock), [1, 2, 3], [1, 2, 3]),
    "RateLimiter": (lambda clock: components.RateLimiter(5, clock=clock), list(range(20)),
                    list(range(20))),
    "LineSplitter": (lambda clock: components.LineSplitter(), [b"a\nb", b"c\n", b"tail"],
                     [b"a", b"bc", b"tail"]),
    "LineJoiner": (lambda clock: components.LineJoiner(), [b"a", b"b"], [b"a\nb\n"]),
    "LengthPrefixEncoder": (lambda clock: components.LengthPrefixEncoder(), [b"ab"],
                            [b"\x00\x00\x00\x02ab"]),
    "LengthPrefixDecoder": (lambda clock: components.LengthPrefixDecoder(),
                            [b"\x00\x00\x00\x02a", b"b\x00\x00", b"\x00\x00"], [b"ab", b""]),
    "TextEncoder": (lambda clock: components.TextEncoder(), ["é"], ["é".encode()]),
    "TextDecoder": (lambda clock: components.TextDecoder(), ["é".encode()], ["é"]),
    "JSONEncoder": (lambda clock: components.JSONEncoder(), [{"a": [1]}], [b'{"a":[1]}']),
    "JSONDecoder": (lambda clock: components.JSONDecoder(), [b'{"a":[1]}', "2"], [{"a": [1]}, 2]),
    "PickleEncoder": (lambda clock: components.PickleEncoder(), [(1, "x")],
                      [pickle.dumps((1, "x"), pickle.HIGHEST_PROTOCOL)]),
    "PickleDecoder": (lambda clock: components.PickleDecoder(), [pickle.dumps({1: 2})],
                      [{1: 2}]),
    "ConsoleEcho(forwarder)": (lambda clock: components.ConsoleEcho(io.StringIO(),
                                                                    forwarder=True),
                               ["a", "b"], ["a", "b"]),
    # a chooser sends its first item as it starts, then one per command
    "Chooser": (lambda clock: components.Chooser("abc"), ["next", "NEXT", "prev", "same"],
                ["a", "b", "c", "b", "b"]),
    "ForwardIteratingChooser": (lambda clock: components.ForwardIteratingChooser(iter("abc")),
                                ["next", "same"], ["a", "b", "b"]),
    "TimeToLive": (lambda clock: components.TimeToLive(components.Map(lambda n: n + 1), 60.0,
                                                       clock=clock), [1, 2, 3], [2, 3, 4]),
}

# components whose inbox feeds something other than "outbox" (checked via their own box)
ROUTED = {
    "FanOut": (lambda: components.FanOut(["a", "b"]), [1, 2], {"a": [1, 2], "b": [1, 2]}),
    "Router": (lambda: components.Router({"small": lambda n: n < 10}, default="big"),
               [1, 20, 3], {"small": [1, 3], "big": [20]}),
    "KeyRouter": (lambda: components.KeyRouter(lambda s: s[0], ["x", "y"]), ["x1", "y1", "x2"],
                  {"x": ["x1", "x2"], "y": ["y1"]}),
}

# name -> (make component with on_error, one bad input, good input, what the good gives)
BAD = {
    "Map": (lambda e: components.Map(lambda n: 10 // n, on_error=e), 0, [5], [2]),
    "Filter": (lambda e: components.Filter(lambda n: n > 0, on_error=e), "x", [1, -1], [1]),
    "Unbatch": (lambda e: components.Unbatch(on_error=e), 5, [[1]], [1]),
    "LineSplitter": (lambda e: components.LineSplitter(max_line=4, on_error=e), b"12345678\n",
                     [b"ab\n"], [b"ab"]),
    "LineJoiner": (lambda e: components.LineJoiner(on_error=e), "text", [b"a"], [b"a\n"]),
    "LengthPrefixEncoder": (lambda e: components.LengthPrefixEncoder(max_size=3, on_error=e),
                            b"toolong", [b"ok"], [b"\x00\x00\x00\x02ok"]),
    "LengthPrefixDecoder": (lambda e: components.LengthPrefixDecoder(max_size=3, on_error=e),
                            b"\x00\x00\x00\x05hello", [b"\x00\x00\x00\x02ok"], [b"ok"]),
    "TextEncoder": (lambda e: components.TextEncoder("ascii", on_error=e), "é", ["a"], [b"a"]),
    "TextDecoder": (lambda e: components.TextDecoder(on_error=e), b"\xff\xfe\xfa", [b"a"], ["a"]),
    "JSONEncoder": (lambda e: components.JSONEncoder(on_error=e), {1, 2}, [[1]], [b"[1]"]),
    "JSONDecoder": (lambda e: components.JSONDecoder(on_error=e), b"{not json", [b"1"], [1]),
    "PickleEncoder": (lambda e: components.PickleEncoder(protocol=4, on_error=e), lambda: 0,
                      [1], [pickle.dumps(1, 4)]),
    "PickleDecoder": (lambda e: components.PickleDecoder(on_error=e), b"garbage",
                      [pickle.dumps(1)], [1]),
    "KeyRouter": (lambda e: components.KeyRouter(lambda s: s[0], ["x"], on_error=e), "zz",
                  ["x1"], {"x": ["x1"]}),
    "Router": (lambda e: components.Router({"a": lambda n: n == 1}, on_error=e), 2, [1],
               {"a": [1]}),
    "FileWriter": (lambda e: components.FileWriter("/dev/null", on_error=e), "not bytes",
                   [b"ok"], []),
    "ConsoleEcho": (lambda e: components.ConsoleEcho(on_error=e), 42, ["ok"], []),
    "Chooser": (lambda e: components.Chooser("ab", send_first=False, on_error=e), "jump",
                ["next"], ["a"]),
    "ForwardIteratingChooser": (lambda e: components.ForwardIteratingChooser(
        "ab", send_first=False, on_error=e), "prev", ["next"], ["a"]),
}


@pytest.mark.parametrize("cls", every_component_class(), ids=lambda c: c.__name__)
def test_every_box_is_declared_with_a_description(cls):
    for name, spec in {**cls.Inboxes, **cls.Outboxes}.items():
        description = spec if isinstance(spec, str) else spec.description
        assert description.strip(), f"{cls.__name__}.{name} has no description"
    assert "control" in cls.Inboxes and "signal" in cls.Outboxes


@pytest.mark.parametrize("cls", every_component_class(), ids=lambda c: c.__name__)
def test_every_docstring_shows_a_use(cls):
    doc = inspect.getdoc(cls) or ""
    assert ">>>" in doc or "::" in doc, f"{cls.__name__} docstring shows no use"


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_data_before_producer_finished_is_all_forwarded_before_it(name):
    make, data, expected = STREAMS[name]
    clock = FakeClock()
    out = run_component(make(clock), clock=clock, inbox=data, control=[PF])
    assert out["outbox"] == expected
    assert out["signal"] == [PF]
    assert out.get("error", []) == []


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_producer_finished_arriving_first_still_waits_for_the_data(name):
    make, data, expected = STREAMS[name]
    clock = FakeClock()
    component = make(clock)
    # control is fed before the inbox: the data must still all come out first
    out = run_component(component, clock=clock, control=[PF], inbox=data)
    assert out["outbox"] == expected and out["signal"] == [PF]


@pytest.mark.parametrize("name", sorted(ROUTED))
def test_routers_forward_everything_before_producer_finished(name):
    make, data, expected = ROUTED[name]
    out = run_component(make(), inbox=data, control=[PF])
    for box, items in expected.items():
        assert out[box] == items
    assert out["signal"] == [PF]


def test_merge_forwards_every_inbox_before_the_last_producer_finished():
    out = run_component(components.Merge(["a", "b"]), a=[1, 2], b=[3],
                        control=[PF, PF])
    assert sorted(out["outbox"]) == [1, 2, 3] and out["signal"] == [PF]


def test_collector_keeps_everything_before_producer_finished():
    c = components.Collector()
    out = run_component(c, inbox=[1, 2, 3], control=[PF])
    assert c.items == [1, 2, 3] and out["signal"] == [PF]


def test_file_writer_flushes_everything_before_producer_finished(tmp_path):
    path = tmp_path / "out.bin"
    out = run_component(components.FileWriter(path), inbox=[b"a", b"b"], control=[PF])
    assert path.read_bytes() == b"ab" and out["signal"] == [PF]


def test_console_echo_writes_everything_before_producer_finished(capsys):
    out = run_component(components.ConsoleEcho(), inbox=["one", "two"], control=[PF])
    assert capsys.readouterr().out == "one\ntwo\n" and out["signal"] == [PF]


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_shutdown_stops_promptly_and_is_passed_on(name):
    make, data, _ = STREAMS[name]
    clock = FakeClock()
    with Harness(make(clock), clock=clock) as h:
        h.feed("inbox", *data)
        h.feed("control", Shutdown())
        h.run_until_idle()  # no time passes: it must not wait for its timers
        assert h.finished
        assert h.outputs["signal"] == [Shutdown()]


@pytest.mark.parametrize(
    "make",
    [
        lambda clock: components.IterableSource(iter(range(10**9))),
        lambda clock: components.Periodic(1.0, clock=clock),
        lambda clock: components.Merge(["a"]),
        lambda clock: components.Collector(),
        lambda clock: components.FanOut(["a"]),
    ],
    ids=["IterableSource", "Periodic", "Merge", "Collector", "FanOut"],
)
def test_endless_or_waiting_components_stop_on_shutdown(make):
    clock = FakeClock()
    with Harness(make(clock), clock=clock) as h:
        h.feed("control", Shutdown())
        h.run_until_idle()
        assert h.finished and h.outputs["signal"] == [Shutdown()]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_reported_on_error_naming_the_component_and_traffic_goes_on(name):
    make, bad, good, expected = BAD[name]
    component = make(OnError.SEND)
    out = run_component(component, inbox=[bad, *good], control=[PF])
    (record,) = out["error"]
    assert isinstance(record, BadInput)
    assert record.component == component.path and record.problem
    assert str(record).startswith(component.path + ": ")
    assert out["signal"] == [PF]
    if isinstance(expected, dict):  # a router: the good traffic went on its routes
        for box, items in expected.items():
            assert out[box] == items
    else:
        assert out["outbox"] == expected


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_raises_by_default_naming_the_component(name):
    make, bad, _, _ = BAD[name]
    component = make(OnError.RAISE)
    with pytest.raises(ComponentError) as info:
        run_component(component, inbox=[bad], control=[PF])
    assert component.name in str(info.value)
    if name in ("Map", "Filter"):  # the user's function's own exception propagates
        assert not isinstance(info.value.error, BadInputError)
    else:
        assert isinstance(info.value.error, BadInputError)
        assert info.value.error.record.component == component.path


def test_a_stray_control_message_is_bad_input_not_a_busy_loop():
    with Harness(components.Map(str, on_error="send")) as h:
        h.feed("control", "hello")
        h.run_until_idle()
        assert "unexpected control message" in h.take("error")[0].problem
        h.feed("control", PF)
        assert h.run_until_finished()["signal"] == [PF]


def test_input_sent_to_a_source_is_bad_input():
    out = run_component(components.IterableSource([1], chunk=1, on_error="send"), inbox=["x"])
    assert out["outbox"] == [1]
    assert out["error"][0].data == "x"
    assert out["signal"] == [PF]
