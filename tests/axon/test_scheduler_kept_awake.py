"""Specification of the scheduler's design note 9: a component that asks to pause while a
message it never takes waits in an inbox it pauses on is resumed on every turn (busy, never
idle); the scheduler says so, once per component, and changes nothing else.

Each scenario runs a few tenths of a second (the report waits for ``HELD_TOO_LONG``); the
whole suite runs under both cores (``make test``), and tests/axon/ccore_scenarios.py
compares the report between them.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Generator
from typing import Any

import pytest

from axon import (
    RECEIVE, Component, ComponentError, Graphline, Pipeline, Priority, ProducerFinished,
    Scheduler, Shutdown, snapshot,
)
from axon._core._scheduler import HELD_TOO_LONG

from .core_parts import ClassicCollect, Map

STOP_AFTER = 0.4  # seconds: well past HELD_TOO_LONG (0.1), and the tests stay short


class Stuck(Component):
    """The bug: waits for ``gate`` with ``pause(); yield`` but never takes what is there."""

    Inboxes = {"inbox": "data", "gate": "left there", "control": "the end"}

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)
        self.turns = 0

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            self.turns += 1
            self.pause()
            yield  # STUCK-YIELD (the line the warning points at)


class StuckReceiving(Component):
    """The same bug in the README idiom: RECEIVE with ``inbox`` empty and ``gate`` full."""

    Inboxes = {"inbox": "data", "gate": "left there", "control": "the end"}

    def __init__(self) -> None:
        super().__init__()
        self.turns = 0

    def main(self) -> Generator[Any, Any, None]:
        while (yield RECEIVE) is not None:
            self.turns += 1


class StopLater(Component):
    """Sends Shutdown on ``signal`` after ``after`` seconds (awaiting: never runnable)."""

    def __init__(self, after: float = STOP_AFTER) -> None:
        super().__init__()
        self.after = after

    def main(self) -> Generator[Any, Any, None]:
        yield asyncio.sleep(self.after)
        self.send(Shutdown(), "signal")


def _run_recording(*systems: Component) -> tuple[Scheduler, list[tuple[float, Any]]]:
    """Run ``systems``; every warning shown, with how long after the start it came."""
    shown: list[tuple[float, Any]] = []
    sched = Scheduler()
    for s in systems:
        sched.activate(s)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        warnings.showwarning = lambda message, category, filename, lineno, *rest: shown.append(
            (time.perf_counter() - t0, (message, category, filename, lineno)))
        sched.run(timeout=10)
    return sched, [(t, w) for t, w in shown if w[1] is RuntimeWarning]


def _stuck_yield_line() -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if "# STUCK-YIELD" in line)


def test_a_pause_kept_busy_by_a_message_never_taken_is_reported_once_naming_it_and_the_inbox(
        ) -> None:
    stuck = Stuck()
    g = Graphline(s=stuck, stop=StopLater(), linkages={("stop", "signal"): ("s", "control")})
    stuck.inboxes["gate"].put("never taken")
    sched, shown = _run_recording(g)
    assert len(shown) == 1, shown  # once, not per turn
    at, (message, _, filename, lineno) = shown[0]
    text = str(message)
    assert "Graphline[s]:Stuck" in text and "inbox 'gate'" in text, text
    assert "wake_on(" in text and "recv()" in text, text  # it says what to do
    assert (filename, lineno) == (__file__, _stuck_yield_line())  # where it pauses
    # when: once it has been seen held that long (a look per io_slice of work), well
    # before the end
    assert HELD_TOO_LONG <= at < STOP_AFTER, at
    # the diagnosis changes nothing: it kept running, turn after turn, until the Shutdown
    assert stuck.end_message is not None and stuck.turns > 1000, stuck.turns
    assert sched.statistics().kept_awake == 1
    assert sched.kept_awake == {stuck: "gate"}
    info = snapshot(g).component("Graphline[s]:Stuck")
    assert info.kept_awake_by == "gate"
    assert "kept awake by 'gate'" in snapshot(g).format()
    assert snapshot(g).component("Graphline").kept_awake_by is None


def test_each_component_kept_busy_is_reported_once() -> None:
    a, b = Stuck("A"), Stuck("B")
    g = Graphline(a=a, b=b, stop_a=StopLater(), stop_b=StopLater(),
                  linkages={("stop_a", "signal"): ("a", "control"),
                            ("stop_b", "signal"): ("b", "control")})
    a.inboxes["gate"].put(1)
    b.inboxes["inbox"].put(2)
    sched, shown = _run_recording(g)
    texts = sorted(str(w[0]) for _, w in shown)
    assert len(texts) == 2, texts
    assert "Graphline[a]:A" in texts[0] and "inbox 'gate'" in texts[0]
    assert "Graphline[b]:B" in texts[1] and "inbox 'inbox'" in texts[1]
    assert sched.kept_awake == {a: "gate", b: "inbox"}


def test_it_is_reported_when_priority_classes_order_the_run_queue() -> None:
    stuck = Stuck()
    stuck.priority = Priority.HIGH  # (the run queue becomes a ClassQueue)
    g = Graphline(s=stuck, stop=StopLater(), linkages={("stop", "signal"): ("s", "control")})
    stuck.inboxes["gate"].put("never taken")
    sched, shown = _run_recording(g)
    assert len(shown) == 1 and sched.kept_awake == {stuck: "gate"}, shown


def test_the_readme_idiom_is_reported_when_another_inbox_keeps_it_from_sleeping() -> None:
    stuck = StuckReceiving()
    g = Graphline(s=stuck, stop=StopLater(), linkages={("stop", "signal"): ("s", "control")})
    stuck.inboxes["gate"].put("never taken")
    sched, shown = _run_recording(g)
    assert len(shown) == 1, shown
    assert "Graphline[s]:StuckReceiving" in str(shown[0][1][0])
    assert "inbox 'gate'" in str(shown[0][1][0])
    assert stuck.turns > 1000 and sched.kept_awake == {stuck: "gate"}


class Stream(Component):
    """Sends ``make(i)`` once per timeslice for ``seconds``, then ProducerFinished."""

    def __init__(self, make: Any, seconds: float = STOP_AFTER) -> None:
        super().__init__()
        self.make, self.seconds, self.sent = make, seconds, 0

    def main(self) -> Generator[None, None, None]:
        end = time.perf_counter() + self.seconds
        while time.perf_counter() < end:
            self.send(self.make(self.sent))
            self.sent += 1
            yield
        self.send(ProducerFinished(), "signal")


SAME = ("the same object", "every time")


@pytest.mark.parametrize("make", [lambda i: i * 1000, lambda i: SAME],
                         ids=["distinct messages", "one object sent again and again"])
def test_a_busy_classic_pipeline_taking_every_message_is_never_reported(make: Any) -> None:
    """Each stage is always resumed with a message waiting (its pause refused), often the
    same object as before: taken each time, never reported."""
    src = Stream(make)
    sink = ClassicCollect()
    p = Pipeline(src, Map(lambda x: x), Map(lambda x: x), sink)
    sched, shown = _run_recording(p)
    assert shown == [] and sched.kept_awake == {} and sched.statistics().kept_awake == 0
    assert len(sink.items) == src.sent > 1000


class Gate(Component):
    """Waits for ``gate`` with ``wake_on`` (data waiting in ``inbox`` does not wake it),
    then takes and keeps everything: the right way to wait on one inbox of several."""

    Inboxes = {"inbox": "data", "gate": "go", "control": "the end"}

    def __init__(self) -> None:
        super().__init__()
        self.turns_waiting = 0
        self.items: list[Any] = []

    def main(self) -> Generator[None, None, None]:
        self.wake_on("gate", "control")
        while not self.recv_all("gate") and not self.finished():
            self.turns_waiting += 1
            self.pause()
            yield
        self.wake_on("inbox", "gate", "control")
        while not self.finished():
            self.items.extend(self.recv_all())
            self.pause()
            yield


class OpenLater(Component):
    def main(self) -> Generator[Any, Any, None]:
        yield asyncio.sleep(STOP_AFTER)
        self.send("go")
        self.send(ProducerFinished(), "signal")


def test_a_component_waiting_with_wake_on_sleeps_and_is_never_reported() -> None:
    gate = Gate()
    g = Graphline(gate=gate, opener=OpenLater(),
                  linkages={("opener", "outbox"): ("gate", "gate"),
                            ("opener", "signal"): ("gate", "control")})
    gate.inboxes["inbox"].put("waits for the gate")
    sched, shown = _run_recording(g)
    assert shown == [] and sched.kept_awake == {}
    assert gate.items == ["waits for the gate"]
    assert gate.turns_waiting <= 3  # asleep meanwhile, not resumed turn after turn


def test_a_filter_making_the_warning_an_error_fails_the_component_at_its_pause() -> None:
    stuck = Stuck()
    g = Graphline(s=stuck, stop=StopLater(), linkages={("stop", "signal"): ("s", "control")})
    stuck.inboxes["gate"].put("never taken")
    sched = Scheduler()
    sched.activate(g)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        t0 = time.perf_counter()
        with pytest.raises(ComponentError) as info:
            sched.run(timeout=10)
    assert time.perf_counter() - t0 < STOP_AFTER  # at once, not at the end
    assert info.value.path == "Graphline[s]:Stuck"
    cause = info.value.__cause__
    assert isinstance(cause, RuntimeWarning) and "inbox 'gate'" in str(cause)
    tb = cause.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    assert tb is not None and tb.tb_lineno == _stuck_yield_line()  # raised at its yield
    assert all(c.done for c in (g, *g.children))  # the rest was shut down
