"""Seq: components one after another, each given the sequence's boxes in turn."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from axon import Component, ComponentError, Pipeline, ProducerFinished, Seq, Shutdown, run
from tests.axon.parts import Collect, Count, Echo, Fail


class Take(Component):
    """Takes ``n`` messages from its inbox, sends them tagged, then finishes."""

    def __init__(self, n: int, tag: str) -> None:
        super().__init__(name=f"Take{tag}")
        self.n, self.tag = n, tag

    def main(self) -> Generator[None, Any, None]:
        got = 0
        while got < self.n:
            while got < self.n and self.data_ready():
                self.send((self.tag, self.recv()))
                got += 1
            if got < self.n:
                self.pause()
            yield


def test_components_run_one_after_the_other_in_order() -> None:
    c = Collect()
    run(Pipeline(Seq(Count(3), Count(2, start=10), Count(1, start=20)), c), timeout=10)
    assert c.items == [0, 1, 2, 10, 11, 20]
    assert isinstance(c.end, ProducerFinished)


def test_only_one_runs_at_a_time() -> None:
    events: list[str] = []

    class Step(Component):
        def __init__(self, tag: str) -> None:
            super().__init__()
            self.tag = tag

        def main(self) -> Generator[None, Any, None]:
            events.append(f"{self.tag} start")
            yield
            events.append(f"{self.tag} end")

    run(Seq(Step("a"), Step("b")), timeout=10)
    assert events == ["a start", "a end", "b start", "b end"]


def test_each_gets_the_input_in_turn_and_unread_messages_pass_on() -> None:
    c = Collect()
    s = Seq(Take(2, "a"), Take(3, "b"))
    src = Count(5, per_slice=5)  # everything arrives while the first one runs
    run(Pipeline(src, s, c), timeout=10)
    assert c.items == [("a", 0), ("a", 1), ("b", 2), ("b", 3), ("b", 4)]


def test_producer_finished_is_given_to_each_component_in_turn() -> None:
    c = Collect()
    run(Pipeline(Count(4, per_slice=4), Seq(Echo(), Echo()), c), timeout=10)
    assert c.items == [0, 1, 2, 3]
    assert isinstance(c.end, ProducerFinished)


def test_shutdown_stops_the_running_one_and_skips_the_rest() -> None:
    c = Collect()
    second = Echo(name="never")
    s = Seq(Echo(), second)
    s.inboxes["control"].put(Shutdown("now"))
    run(Pipeline(s, c), timeout=10)
    assert isinstance(c.end, Shutdown)
    assert second.state.value == "new"


def test_seqs_nest_ten_deep() -> None:
    inner: Component = Count(2)
    for i in range(10):
        inner = Seq(inner, Count(1, start=100 + i))
    c = Collect()
    run(Pipeline(inner, c), timeout=10)
    assert c.items == [0, 1] + [100 + i for i in range(10)]


def test_an_error_names_the_failing_component() -> None:
    with pytest.raises(ComponentError, match=r"Seq\[1\]:Fail"):
        run(Pipeline(Count(3), Seq(Take(1, "a"), Fail(at=2)), Collect()), timeout=10)


# -- titles: a str among the components ---------------------------------------------------------


def titled(seq: Seq) -> Collect:
    """Run ``seq`` with its outbox and its steps both into one Collect."""
    from axon import Graphline

    out = Collect()
    run(Graphline(S=seq, O=out, linkages={("S", "outbox"): ("O", "inbox"),
                                          ("S", "steps"): ("O", "inbox"),
                                          ("S", "signal"): ("O", "control")}), timeout=10)
    return out


def test_titles_are_announced_as_the_sequence_reaches_them_in_line_with_the_output() -> None:
    out = titled(Seq("BEGIN", Count(3, per_slice=3), "middle", Count(2, start=10), "END"))
    assert out.items == ["BEGIN", 0, 1, 2, "middle", 10, 11, "END"]
    assert isinstance(out.end, ProducerFinished)


def test_a_title_labels_the_component_after_it_in_paths_and_errors() -> None:
    seq = Seq("intro", Count(1), Count(1), "parse", Fail(at=0, name="Parser"))
    src = Count(3)
    with pytest.raises(ComponentError) as info:
        run(Pipeline(src, seq, Collect()), timeout=10)
    assert info.value.path == "Pipeline[1]:Seq[parse]:Parser"
    labels = [c.label for c in seq.children]
    assert labels == ["parse"]  # the one running; the others were numbered 1 (and "intro")


def test_shutdown_skips_the_titles_left_too() -> None:
    s = Seq("one", Echo(), "two", Echo())

    class Stop(Component):
        def main(self) -> Generator[None, Any, None]:
            while not s.children:  # the first is running
                yield
            s.inboxes["control"].put(Shutdown("now"))

    from axon import Graphline

    out = Collect()
    run(Graphline(S=s, O=out, linkages={("S", "outbox"): ("O", "inbox"),
                                        ("S", "steps"): ("O", "inbox"),
                                        ("S", "signal"): ("O", "control")}), Stop(), timeout=10)
    assert out.items == ["one"]
    assert isinstance(out.end, Shutdown)


def test_anything_else_among_the_components_is_refused() -> None:
    with pytest.raises(TypeError, match="nor a str title"):
        Seq(Echo(), 42)  # type: ignore[arg-type]
