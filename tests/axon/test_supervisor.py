"""Supervisor: restarts failed children from factories; escalates when restarts run out."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from axon import (
    ChildFailed, Component, ComponentError, Graphline, Pipeline, ProducerFinished,
    RestartsExhausted, Supervisor, run,
)
from tests.axon.parts import Collect, Count, Echo, Fail, Forever, Map


def failing_then(n_failures: int, at: int, then: type[Component] = Echo) -> Any:
    """A factory whose first ``n_failures`` products fail on message ``at``."""
    made = [0]

    def factory() -> Component:
        made[0] += 1
        return Fail(at=at) if made[0] <= n_failures else then()

    factory.made = made  # type: ignore[attr-defined]
    return factory


def supervised(sup: Supervisor, n: int, failures: Collect | None = None) -> tuple[Graphline, Collect]:
    out = Collect(name="out")
    links = {("src", "outbox"): ("sup", "inbox"), ("src", "signal"): ("sup", "control"),
             ("sup", "outbox"): ("out", "inbox"), ("sup", "signal"): ("out", "control")}
    kids: dict[str, Component] = {"src": Count(n), "sup": sup, "out": out}
    return Graphline(links, **kids), out


def test_a_failed_child_is_restarted_and_the_stream_carries_on() -> None:
    sup = Supervisor([failing_then(1, at=3)], max_restarts=3, within=3600)
    g, out = supervised(sup, 8)
    run(g, timeout=10)
    assert out.items == [0, 1, 2, 4, 5, 6, 7]  # only the message it failed on is lost
    assert isinstance(out.end, ProducerFinished)
    assert sup.restarts == 1 and sup.restarts_by_child == {"0": 1}


def test_each_failure_is_reported_on_the_failures_outbox() -> None:
    made = [0]

    def worker() -> Component:  # the first fails on message 1, the second on 2
        made[0] += 1
        return Fail(at=made[0]) if made[0] <= 2 else Echo()

    sup = Supervisor({"worker": worker}, max_restarts=5, within=3600)
    reports: list[ChildFailed] = []

    class Log(Component):
        Inboxes = {"inbox": "failures", "control": "unused"}

        def main(self) -> Generator[None, Any, None]:
            sched = self.scheduler
            assert sched is not None
            sched.on_finish(lambda c: sched.wake(self) if c is sup else None)
            while not sup.done:
                reports.extend(self.recv_all())
                self.pause()
                yield
            reports.extend(self.recv_all())

    g, out = supervised(sup, 4)
    log = Log()
    log.link((sup, "failures"), (log, "inbox"))
    run(g, log, timeout=10)
    assert [(r.label, r.restarts, type(r.error)) for r in reports] == [
        ("worker", 1, ValueError), ("worker", 2, ValueError)]
    assert "Fail" in reports[0].path


def test_restarts_run_out_and_the_supervisor_escalates_naming_the_child() -> None:
    sup = Supervisor({"parser": failing_then(10, at=0)}, max_restarts=2, within=3600)

    class Refill(Component):
        """Keeps sending 0, which every child fails on."""

        def main(self) -> Generator[None, Any, None]:
            while not sup.done:
                self.send(0)
                yield

    g = Graphline({("src", "outbox"): ("sup", "inbox")}, src=Refill(), sup=sup)
    with pytest.raises(ComponentError) as info:
        run(g, timeout=10)
    err = info.value.error
    assert isinstance(err, RestartsExhausted)
    assert "'parser'" in str(err) and "more than 2 restarts" in str(err)
    assert isinstance(err.__cause__, ValueError)
    assert sup.restarts == 2


def test_one_for_all_restarts_every_child() -> None:
    made: list[str] = []

    def steady() -> Component:
        made.append("steady")
        return Echo()

    def flaky() -> Component:
        made.append("flaky")
        return Fail(at=2) if made.count("flaky") == 1 else Echo()

    sup = Supervisor({"a": steady, "b": flaky}, strategy="one_for_all", max_restarts=3,
                     within=3600)
    g, out = supervised(sup, 5)
    run(g, timeout=10)
    assert made == ["steady", "flaky", "steady", "flaky"]
    assert out.items == [0, 1, 3, 4]
    assert sup.restarts == 1


def test_a_failure_deep_inside_a_child_restarts_that_whole_child() -> None:
    made = [0]

    def factory() -> Component:
        made[0] += 1
        return Pipeline(Echo(), Fail(at=1) if made[0] == 1 else Echo(), Forever())

    sup = Supervisor([factory], max_restarts=1, within=3600)
    g, _ = supervised(sup, 3)
    run(g, timeout=10)
    assert made[0] == 2 and sup.restarts == 1


def test_an_escalation_is_handled_by_an_enclosing_supervisor() -> None:
    inner_made = [0]

    def inner() -> Component:
        inner_made[0] += 1
        return Supervisor([failing_then(5, at=0) if inner_made[0] == 1 else Echo],
                          max_restarts=0, within=3600)

    outer = Supervisor({"inner": inner}, max_restarts=1, within=3600)
    g, out = supervised(outer, 3)
    run(g, timeout=10)
    assert out.items[-1:] == [2] and set(out.items) <= {1, 2}  # the failed child took 0 (and 1)
    assert isinstance(out.end, ProducerFinished)
    assert outer.restarts == 1 and inner_made[0] == 2


def test_factories_must_be_callables_making_components() -> None:
    with pytest.raises(TypeError, match="must be a factory"):
        Supervisor([Echo()])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="returned 3"):
        Supervisor([lambda: 3])  # type: ignore[list-item,return-value]
    with pytest.raises(ComponentError):  # without a supervisor, errors propagate
        run(Pipeline(Count(3), Fail(at=1), Collect()), timeout=10)


# -- nothing a failure touches vanishes -------------------------------------------------------


class Send(Component):
    """Sends ``items`` all in one timeslice, then ProducerFinished."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__()
        self.items = items

    def main(self) -> Generator[None, Any, None]:
        self.send_many(self.items)
        yield
        self.send(ProducerFinished(), "signal")


class Failures(Component):
    """Keeps the ChildFailed records a supervisor reports (link its failures here)."""

    Inboxes = {"inbox": "ChildFailed records", "control": "(unused)"}

    def __init__(self, sup: Supervisor) -> None:
        super().__init__()
        self.sup = sup
        self.records: list[ChildFailed] = []

    def main(self) -> Generator[None, Any, None]:
        sched = self.scheduler
        assert sched is not None
        sched.on_finish(lambda c: sched.wake(self) if c is self.sup else None)
        while not self.sup.done or self.data_ready():
            self.records += self.recv_all()
            self.pause()
            yield


def supervise(items: list[Any], sup: Supervisor) -> tuple[Collect, Failures]:
    out, failures = Collect(name="out"), Failures(sup)
    failures.link((sup, "failures"), (failures, "inbox"))
    run(Pipeline(Send(items), sup, out), failures, timeout=10)
    return out, failures


def test_a_batch_taking_child_loses_nothing_but_the_message_it_failed_on() -> None:
    # Map takes whatever waits as one batch; all six arrive at once
    sup = Supervisor([lambda: Map(int)], max_restarts=5, within=3600)
    out, failures = supervise(["1", "2", "x", "3", "y", "4"], sup)
    assert out.items == [1, 2, 3, 4] and isinstance(out.end, ProducerFinished)
    assert [r.unfinished for r in failures.records] == [("x",), ("y",)]
    assert [r.restarts for r in failures.records] == [1, 2]


def test_every_failure_counts_against_the_budget() -> None:
    sup = Supervisor([lambda: Map(int)], max_restarts=3, within=3600)
    with pytest.raises(ComponentError) as info:
        supervise(["a", "b", "c", "d", "e", "1"], sup)  # five bad inputs at once
    assert isinstance(info.value.error, RestartsExhausted)
    assert sup.restarts == 3


def test_the_healthy_parts_of_a_failed_composition_hand_on_what_they_held() -> None:
    made = [0]

    def factory() -> Component:
        made[0] += 1
        return Pipeline(Echo(), Fail(at=5) if made[0] == 1 else Echo(), Echo())

    sup = Supervisor([factory], max_restarts=3, within=3600)
    out, failures = supervise(list(range(12)), sup)
    assert out.items == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]  # only the poison message
    (record,) = failures.records
    assert record.unfinished == (5,) and record.unplaced == ()
    assert record.path == "Pipeline[1]:Supervisor[0]:Pipeline[1]:Fail"


def test_a_replacement_built_differently_names_what_it_has_no_place_for() -> None:
    made = [0]

    def factory() -> Component:
        made[0] += 1
        if made[0] == 1:
            return Pipeline(Echo(), Fail(at=5), Echo())
        return Pipeline(Echo())  # no place for what waited in the old [1] and [2]

    sup = Supervisor([factory], max_restarts=3, within=3600)
    out, failures = supervise(list(range(12)), sup)
    (record,) = failures.records
    got, named = set(out.items), set(record.unplaced) | set(record.unfinished)
    assert got | named == set(range(12)) and not got & named  # each exactly once


def test_a_failure_while_siblings_are_stopped_counts_too() -> None:
    class BadCleanup(Echo):
        def main(self) -> Generator[Any, Any, None]:
            try:
                yield from super().main()
            finally:
                raise OSError("cleanup failed")

    made: list[str] = []

    def first_bad() -> Component:  # only the first "a" fails as it is stopped
        made.append("a")
        return BadCleanup() if len(made) == 1 else Echo()

    sup = Supervisor({"a": first_bad, "b": failing_then(1, at=2)},
                     strategy="one_for_all", max_restarts=1, within=3600)
    with pytest.raises(ComponentError) as info:
        supervise(list(range(5)), sup)  # b fails (1), then a's finally as a is stopped (2)
    err = info.value.error
    assert isinstance(err, RestartsExhausted) and isinstance(err.__cause__, OSError)
    assert sup.restarts == 1


class BadStart(Echo):
    def on_activate(self, scheduler: Any) -> None:
        raise LookupError("no such service")


def test_a_child_that_fails_as_it_starts_is_restarted() -> None:
    made: list[str] = []

    def factory() -> Component:
        made.append("bad" if len(made) < 2 else "echo")
        return Fail(at=1) if len(made) == 1 else BadStart() if len(made) == 2 else Echo()

    sup = Supervisor([factory], max_restarts=3, within=3600)
    out, failures = supervise([0, 1, 2, 3], sup)
    assert out.items == [0, 2, 3]
    assert [type(r.error) for r in failures.records] == [ValueError, LookupError]
    assert "BadStart" in failures.records[1].path
