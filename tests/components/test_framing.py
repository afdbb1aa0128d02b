"""Framers: any split of a byte stream into chunks gives the same frames (and errors), in
order; a line session hands its protocol the lines and refusals in order, then the end."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axon import Component, ComponentError, Graphline, LinkError, ProducerFinished, Shutdown
from components import (
    BadInput,
    Collector,
    LengthPrefixDecoder,
    LengthPrefixEncoder,
    LineJoiner,
    LineSplitter,
    Map,
    line_session,
)
from components.testing import Harness, run_component

PF = ProducerFinished()


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def lines_of(chunks: list[bytes], **options) -> tuple[list[bytes], list[str]]:
    out = run_component(LineSplitter(on_error="send", **options), inbox=chunks, control=[PF])
    return out["outbox"], [e.problem for e in out["error"]]


def frames_of(chunks: list[bytes], max_size: int) -> tuple[list[bytes], list[str]]:
    out = run_component(LengthPrefixDecoder(max_size=max_size, on_error="send"), inbox=chunks,
                        control=[PF])
    return out["outbox"], [e.problem for e in out["error"]]


stream = st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r\n", b"xyz" * 7, b"\xff"]),
                  max_size=40).map(b"".join)


@settings(max_examples=150, deadline=None)
@given(stream, st.lists(st.integers(min_value=0), max_size=12), st.integers(1, 30),
       st.booleans())
def test_any_split_of_a_stream_gives_the_same_lines_and_errors(data, cuts, max_line, strip_cr):
    whole = lines_of([data], max_line=max_line, strip_cr=strip_cr)
    assert lines_of(split_at(data, cuts), max_line=max_line, strip_cr=strip_cr) == whole
    assert lines_of([bytes([b]) for b in data], max_line=max_line, strip_cr=strip_cr) == whole


@settings(max_examples=150, deadline=None)
@given(stream)
def test_lines_are_what_bytes_split_gives_when_no_limit_applies(data):
    expected = data.split(b"\n")
    if expected[-1] == b"":
        expected.pop()
    assert lines_of([data], max_line=10_000) == (expected, [])


payloads = st.lists(st.binary(max_size=40), max_size=12)


@settings(max_examples=150, deadline=None)
@given(payloads, st.lists(st.integers(min_value=0), max_size=12), st.integers(1, 40))
def test_any_split_of_a_frame_stream_gives_the_same_frames_and_refusals(items, cuts, max_size):
    framed = b"".join(len(p).to_bytes(4, "big") + p for p in items)
    whole = frames_of([framed], max_size)
    assert whole[0] == [p for p in items if len(p) <= max_size]
    assert len(whole[1]) == sum(len(p) > max_size for p in items)
    assert frames_of(split_at(framed, cuts), max_size) == whole


def test_a_partial_line_is_carried_across_chunks():
    assert lines_of([b"he", b"llo\nwor", b"ld\n"]) == ([b"hello", b"world"], [])


def test_a_trailing_line_without_separator_is_sent_at_the_end_or_refused():
    assert lines_of([b"a\nlast"]) == ([b"a", b"last"], [])
    lines, errors = lines_of([b"a\nlast"], keep_partial=False)
    assert lines == [b"a"] and "stream ended inside a line" in errors[0]


def test_an_oversized_line_is_refused_once_and_the_next_line_still_arrives():
    lines, errors = lines_of([b"0123", b"456789", b"abc", b"\nok\n"], max_line=5)
    assert lines == [b"ok"]
    assert errors == ["line longer than 5 bytes (max_line); skipped"]


def merged(chunks: list[bytes], **options) -> list[bytes | str]:
    """Lines and refusals as one stream: ``outbox`` and ``error`` linked to one box."""
    both = Graphline({("self", "inbox"): ("split", "inbox"),
                      ("self", "control"): ("split", "control"),
                      ("split", "outbox"): ("self", "outbox"),
                      ("split", "error"): ("self", "outbox")},
                     split=LineSplitter(on_error="send", **options))
    out = run_component(both, inbox=chunks, control=[PF])["outbox"]
    return [m.problem if isinstance(m, BadInput) else m for m in out]


def test_refusals_come_in_their_place_among_the_lines_even_within_one_chunk():
    too_long = "line longer than 5 bytes (max_line); skipped"
    assert merged([b"ok1\r\n0123456789\r\nok2\n", "text", b"abcdefg", b"h\nend\n"],
                  max_line=5, strip_cr=True) == [
        b"ok1", too_long, b"ok2", "expected bytes, got str", too_long, b"end"]


def test_crlf_lines_with_strip_cr():
    assert lines_of([b"a\r\nb\r", b"\n"], strip_cr=True) == ([b"a", b"b"], [])


def test_non_bytes_chunks_are_bad_input_never_decoded_implicitly():
    lines, errors = lines_of(["text\n", b"ok\n"])
    assert lines == [b"ok"] and errors == ["expected bytes, got str"]


def test_a_garbage_frame_header_is_refused_naming_the_size():
    frames, errors = frames_of([b"GARBAGE!"], max_size=1000)
    assert frames == []
    size = int.from_bytes(b"GARB", "big")
    assert errors[0].startswith(f"frame header announces {size} bytes, more than max_size")


def test_a_stream_ending_inside_a_frame_is_reported():
    frames, errors = frames_of([b"\x00\x00\x00\x05ab"], max_size=100)
    assert frames == [] and errors == ["stream ended inside a frame (6 bytes left over)"]


def test_encoder_and_decoder_round_trip():
    items = [b"", b"x", bytes(range(256))]
    framed = run_component(LengthPrefixEncoder(), inbox=items, control=[PF])["outbox"]
    assert frames_of(framed, 1000) == (items, [])


def test_joiner_makes_one_chunk_per_batch_that_the_splitter_undoes():
    out = run_component(LineJoiner(), inbox=[b"a", b"b", b"c"], control=[PF])
    assert out["outbox"] == [b"a\nb\nc\n"]
    assert lines_of(out["outbox"]) == ([b"a", b"b", b"c"], [])


# -- line_session: a LineSplitter in front of a line protocol -----------------------------


class Protocol(Component):
    """A line protocol, as a session: logs each line, refusal and end it takes (in
    ``log``), answers each on ``outbox``, and raises on the line ``fail_on``."""

    def __init__(self, log: list[object], fail_on: bytes | None = None) -> None:
        super().__init__()
        self.log = log
        self.fail_on = fail_on

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            for msg in self.recv_all("inbox"):
                if msg == self.fail_on:
                    raise RuntimeError(f"cannot take {msg!r}")
                entry = msg.problem if isinstance(msg, BadInput) else msg
                self.log.append(entry)
                self.send(entry)
            self.pause()
            yield
        self.log.append(type(self.end_message).__name__)
        self.send(self.end_message, "signal")


TOO_LONG = "line longer than 5 bytes (max_line); skipped"


def test_a_line_session_gives_its_protocol_lines_and_refusals_in_order_then_the_end():
    log: list[object] = []
    session = line_session(Protocol(log), max_line=5)
    with Harness(session) as h:
        h.feed("inbox", b"ab\r\n0123456789\r\ncd", b"\nxy", "text", b"z\n0123", b"456\nlast")
        assert log == [b"ab", TOO_LONG, b"cd", "expected bytes, got str", b"xyz", TOO_LONG]
        assert h.take("signal") == [] and not session.done  # "last" may go on
        h.feed("control", PF)
        assert log[6:] == [b"last", "ProducerFinished"]  # the partial line, then the end
        assert h.take("outbox") == log[:7]
        assert h.take("signal") == [PF] and session.done


def test_a_line_session_ends_at_once_on_shutdown_and_passes_it_on():
    log: list[object] = []
    session = line_session(Protocol(log))
    with Harness(session) as h:
        h.feed("inbox", b"a\r\n", b"unfinished")
        h.feed("control", Shutdown())
        assert log == [b"a", "Shutdown"]  # no flush of the partial line
        assert [type(m) for m in h.take("signal")] == [Shutdown] and session.done


def test_crlf_is_kept_with_strip_cr_false():
    log: list[object] = []
    run_component(line_session(Protocol(log), strip_cr=False), inbox=[b"a\r\nb\n"],
                  control=[PF])
    assert log == [b"a\r", b"b", "ProducerFinished"]


def test_errors_and_refusals_name_the_parts_by_the_sessions_name():
    session = line_session(Protocol([], fail_on=b"boom"), max_line=5, name="ControlSession")
    with pytest.raises(ComponentError, match=r"^ControlSession\[session\]:Protocol raised "
                                             r"RuntimeError: cannot take b'boom'"):
        run_component(session, inbox=[b"ok\n", b"boom\n"], control=[PF])
    out = run_component(line_session(Map(lambda m: m)), inbox=[b"x" * 70_000 + b"\n"],
                        control=[PF])
    assert [m.component for m in out["outbox"]] == ["LineSession[split]:LineSplitter"]
    assert "longer than 65536 bytes" in out["outbox"][0].problem  # the default max_line


def test_more_children_and_linkages_are_added_to_the_sessions_own():
    log: list[object] = []
    tap = Collector()
    session = line_session(Protocol(log), children={"tap": tap},
                           linkages={("split", "outbox"): ("tap", "inbox"),
                                     ("session", "signal"): [("tap", "control")]})
    out = run_component(session, inbox=[b"a\n", b"b\n"], control=[PF])
    assert out == {"outbox": [b"a", b"b"], "signal": [PF]}  # the session's own links stay
    assert tap.items == [b"a", b"b"] and tap.done  # fanned out to the tap; its end too


def test_bad_arguments_are_refused_naming_what_is_wrong():
    def session() -> Component:
        return Protocol([])

    with pytest.raises(ValueError, match=r"^line_session: max_line must be >= 1, not 0$"):
        line_session(session(), max_line=0)
    with pytest.raises(TypeError, match=r"^line_session: max_line must be an int, not '80'$"):
        line_session(session(), max_line="80")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^Viewer: 'name', 'split' cannot label a child "
                                         r"\(taken: 'self', 'split'"):
        line_session(session(), name="Viewer", children={"split": Collector(),
                                                         "name": Collector(), "ok": Collector()})
    with pytest.raises(ValueError, match=r"linkage \('session', 'signal'\) -> \('self', "
                                         r"'signal'\) is one the line session already makes"):
        line_session(session(), linkages={("session", "signal"): ("self", "signal")})
    with pytest.raises(LinkError, match="'events'"):
        line_session(session(), linkages={("self", "inbox"): ("session", "events")})
