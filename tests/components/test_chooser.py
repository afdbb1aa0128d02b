"""Choosers: a cursor over items, moved by commands (Kamaelia's Chooser and
ForwardIteratingChooser), alone and feeding a pull-mode Carousel."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from axon import Carousel, Component, ComponentError, Graphline, ProducerFinished, Shutdown, run
from components import Choose, Chooser, Collector, ForwardIteratingChooser, IterableSource
from components.testing import Harness, run_component

PF = ProducerFinished()


def test_chooser_steps_on_commands_and_stays_at_either_end():
    cmds = ["next", "next", "next", Choose.PREV, "FIRST", "prev", "last", "same", "Next"]
    out = run_component(Chooser(["a", "b", "c"]), inbox=cmds, control=[PF])
    # a (at start), b, c, (next at the end: nothing), b, a, (prev at the start: nothing), c, c
    assert out["outbox"] == ["a", "b", "c", "b", "a", "c", "c"]
    assert out["signal"] == [PF]


def test_chooser_with_loop_goes_round_both_ways():
    out = run_component(Chooser(["a", "b"], loop=True),
                        inbox=["next", "next", "prev", "prev", "prev"], control=[PF])
    assert out["outbox"] == ["a", "b", "a", "b", "a", "b"]


def test_chooser_without_send_first_waits_for_a_command_before_the_first_item():
    with Harness(Chooser(["a", "b"], send_first=False)) as h:
        h.run_until_idle()
        assert h.take() == []
        h.feed("inbox", "prev", "same")  # before the first: nothing to go back to or repeat
        assert h.take() == []
        h.feed("inbox", "next")
        assert h.take() == ["a"] and h.component.current == "a"


def test_an_empty_chooser_sends_nothing_and_a_bad_command_is_named():
    assert run_component(Chooser([]), inbox=["next", "last"], control=[PF])["outbox"] == []
    with pytest.raises(ComponentError, match=r"Chooser raised BadInputError.*'jump'"):
        run_component(Chooser("ab"), inbox=["jump"], control=[PF])


def test_forward_chooser_takes_items_only_as_asked_and_ends_after_the_last():
    taken: list[int] = []

    def items() -> Iterator[int]:
        for n in range(3):
            taken.append(n)
            yield n

    with Harness(ForwardIteratingChooser(items())) as h:
        h.run_until_idle()
        assert h.take() == [0] and taken == [0]  # the first, unasked; nothing more taken
        h.feed("inbox", "next", "same")
        assert h.take() == [1, 1] and taken == [0, 1]
        h.feed("inbox", "next")
        assert h.take() == [2] and not h.finished
        h.feed("inbox", "next", "next")  # past the last: the end (the rest is dropped)
        assert h.finished and h.outputs["signal"] == [ProducerFinished("no more items")]
        assert h.component.inboxes["inbox"].statistics().dropped == 1


def test_forward_chooser_over_an_endless_generator_stops_on_shutdown():
    def naturals() -> Iterator[int]:
        n = 0
        while True:
            yield n
            n += 1

    with Harness(ForwardIteratingChooser(naturals())) as h:
        h.feed("inbox", *["next"] * 5)
        assert h.take() == [0, 1, 2, 3, 4, 5]
        h.feed("control", Shutdown("stop"))
        assert h.finished and h.outputs["signal"] == [Shutdown("stop")]


def test_forward_chooser_refuses_to_step_back_naming_the_command():
    out = run_component(ForwardIteratingChooser("ab", on_error="send"),
                        inbox=["prev", "next", 7], control=[PF])
    assert out["outbox"] == ["a", "b"]
    assert [r.data for r in out["error"]] == ["prev", 7]
    assert "only steps forward" in out["error"][0].problem


# -- with a pull-mode Carousel: a playlist ---------------------------------------------------------


def playlist(jobs: Component, carousel: Carousel) -> Collector:
    out = Collector()
    run(Graphline(JOBS=jobs, PLAY=carousel, OUT=out, linkages={
        ("JOBS", "outbox"): ("PLAY", "next"), ("JOBS", "signal"): ("PLAY", "control"),
        ("PLAY", "requests"): ("JOBS", "inbox"),
        ("PLAY", "outbox"): ("OUT", "inbox"), ("PLAY", "signal"): ("OUT", "control")}),
        timeout=10)
    return out


def track(name: str) -> IterableSource:
    return IterableSource([f"{name}:{i}" for i in range(3)])


def test_a_forward_chooser_plays_a_playlist_through_a_pull_carousel_and_ends_it():
    car = Carousel(track, request="next")
    out = playlist(ForwardIteratingChooser(["intro", "song", "outro"]), car)
    assert out.items == [f"{t}:{i}" for t in ("intro", "song", "outro") for i in range(3)]
    assert car.made == 3 and car.requested == 3  # the third request found no more
    assert out.items and isinstance(out.end_message, ProducerFinished)


def test_a_chooser_waiting_to_be_asked_feeds_a_carousel_that_asks_first():
    car = Carousel(track, request=Choose.NEXT, request_first=True)

    class Stop(Component):  # a Chooser never runs out by itself: end it once the third has started
        def main(self) -> Generator[None, Any, None]:
            while car.made < 3:
                yield
            chooser.inboxes["control"].put(PF)

    chooser = Chooser(["a", "b", "c"], send_first=False)
    out = Collector()
    run(Graphline(JOBS=chooser, PLAY=car, OUT=out, linkages={
        ("JOBS", "outbox"): ("PLAY", "next"), ("JOBS", "signal"): ("PLAY", "control"),
        ("PLAY", "requests"): ("JOBS", "inbox"),
        ("PLAY", "outbox"): ("OUT", "inbox"), ("PLAY", "signal"): ("OUT", "control")}),
        Stop(), timeout=10)
    assert out.items == [f"{t}:{i}" for t in "abc" for i in range(3)]
