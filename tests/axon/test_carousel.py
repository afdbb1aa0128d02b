"""Carousel: a new child per message on ``next``, each replacing the last."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from axon import (
    RECEIVE, Carousel, Component, ComponentError, Graphline, Pipeline, ProducerFinished,
    ReaderGone, Shutdown, run,
)
from tests.axon.parts import Collect, Count, Echo, Forever


def with_next(carousel: Carousel) -> Graphline:
    """The carousel with its ``next`` as the graphline's inbox."""
    return Graphline({("self", "inbox"): ("C", "next"), ("self", "control"): ("C", "control"),
                      ("C", "outbox"): ("self", "outbox"), ("C", "signal"): ("self", "signal")},
                     C=carousel)


def test_each_next_message_makes_a_child_and_outputs_never_interleave() -> None:
    c = Collect()
    car = Carousel(lambda n: Count(3, start=10 * n))
    run(Pipeline(Count(4, per_slice=4), with_next(car), c), timeout=10)
    assert c.items == [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]
    assert isinstance(c.end, ProducerFinished)
    assert car.made == 4


def test_a_running_child_is_asked_to_finish_when_the_next_arrives() -> None:
    made: list[Component] = []

    def factory(msg: Any) -> Component:
        made.append(Forever())
        return made[-1]

    car = Carousel(factory)
    for i in range(3):
        car.inboxes["next"].put(i)
    car.inboxes["control"].put(ProducerFinished())
    run(car, timeout=10)
    assert len(made) == 3
    assert all(isinstance(m.end_message, ProducerFinished) for m in made)


def test_the_inbox_goes_to_the_current_child_and_waits_while_switching() -> None:
    class Feed(Component):
        Outboxes = {"outbox": "data", "next": "children", "signal": "end"}

        def main(self) -> Generator[None, Any, None]:
            self.send("a", "next")
            self.send(1)
            self.send(2)
            yield
            self.send("b", "next")
            self.send(3)
            yield
            self.send(ProducerFinished(), "signal")

    c = Collect()
    car = Carousel(lambda tag: Echo(name=f"Echo{tag}"))
    g = Graphline({("F", "outbox"): ("C", "inbox"), ("F", "next"): ("C", "next"),
                   ("F", "signal"): ("C", "control"), ("C", "outbox"): ("K", "inbox"),
                   ("C", "signal"): ("K", "control")}, F=Feed(), C=car, K=c)
    run(g, timeout=10)
    assert c.items == [1, 2, 3]


def test_shutdown_ends_the_running_child_and_the_carousel() -> None:
    child = Forever()
    car = Carousel(lambda _: child)
    car.inboxes["next"].put("go")
    after = Collect()

    class Stopper(Component):
        def main(self) -> Generator[None, Any, None]:
            yield
            yield
            car.inboxes["control"].put(Shutdown())

    run(Pipeline(car, after), Stopper(), timeout=10)
    assert isinstance(child.end_message, Shutdown)
    assert isinstance(after.end, Shutdown)


def test_a_factory_returning_a_non_component_fails_naming_the_carousel() -> None:
    car = Carousel(lambda msg: "oops")
    car.inboxes["next"].put(1)
    with pytest.raises(ComponentError, match=r"Carousel.*returned 'oops'"):
        run(car, timeout=10)


class TakeOne(Component):
    """Passes on the first message it gets, then finishes (leaving the rest unread)."""

    def __init__(self, tag: str) -> None:
        super().__init__(name=f"TakeOne-{tag}")
        self.tag = tag

    def main(self) -> Generator[Any, Any, None]:
        while not self.data_ready():
            self.pause()
            yield
        self.send((self.tag, self.recv()))


class Feed(Component):
    """Sends ``steps`` to the carousel: ("next", x) on next, ("data", x) on inbox, or
    ("wait", n) for n timeslices; then ProducerFinished."""

    Outboxes = {"next": "to the carousel's next", "outbox": "data", "signal": "end"}

    def __init__(self, steps: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.steps = steps

    def main(self) -> Generator[Any, Any, None]:
        for kind, value in self.steps:
            if kind == "wait":
                for _ in range(value):
                    yield
            else:
                self.send(value, "next" if kind == "next" else "outbox")
        for _ in range(5):
            yield
        self.send(ProducerFinished(), "signal")


def feed_carousel(steps: list[tuple[str, Any]], factory: Any) -> Collect:
    out = Collect()
    run(Graphline(F=Feed(steps), C=Carousel(factory), O=out, linkages={
        ("F", "next"): ("C", "next"), ("F", "outbox"): ("C", "inbox"),
        ("F", "signal"): ("C", "control"), ("C", "outbox"): ("O", "inbox"),
        ("C", "signal"): ("O", "control")}), timeout=10)
    return out


def test_a_later_child_is_not_ended_by_the_end_its_predecessor_was_given() -> None:
    from tests.axon.parts import Echo as _Echo

    # "a" is told to finish when "b" is announced; "b" must keep running for data that
    # arrives well after it started
    out = feed_carousel([("next", "a"), ("data", 1), ("wait", 3), ("next", "b"),
                         ("wait", 5), ("data", 2)], lambda tag: _Echo())
    assert out.items == [1, 2]


def test_unread_messages_of_a_child_that_finished_early_go_to_the_next_child() -> None:
    out = feed_carousel([("next", "a"), ("data", 1), ("data", 2), ("wait", 5),
                         ("next", "b")], TakeOne)
    assert out.items == [("a", 1), ("b", 2)]


def test_a_child_that_fails_to_start_is_named_in_the_error_not_the_carousel() -> None:
    class BadStart(Component):
        def on_activate(self, scheduler: Any) -> None:
            raise LookupError("no such service")

    car = Carousel(lambda msg: BadStart())
    car.inboxes["next"].put(1)
    with pytest.raises(ComponentError) as info:
        run(car, timeout=10)
    assert info.value.path == "Carousel[0]:BadStart"
    assert isinstance(info.value.error, LookupError)


def test_a_carousel_whose_reader_is_gone_ends_and_tells_its_own_senders() -> None:
    class Endless(Component):
        """Counts up until its end-of-stream idiom says stop."""

        def main(self) -> Generator[None, Any, None]:
            n = 0
            while not self.finished():
                self.send(n)
                n += 1
                yield
            self.send(self.end_message, "signal")

    class TakeFive(Component):
        def main(self) -> Generator[Any, Any, None]:
            got: list[Any] = []
            while len(got) < 5:
                got += yield RECEIVE
            self.got = got[:5]

    class Three(Component):
        """Sends 0, 1, 2, one a timeslice, whatever ends it is told but Shutdown."""

        def main(self) -> Generator[None, Any, None]:
            for n in range(3):
                self.finished()
                if isinstance(self.end_message, Shutdown):
                    break
                self.send(n)
                yield
            self.send(self.end_message, "signal")

    class OneJob(Component):
        """Sends one job, then waits for its end-of-stream idiom to say stop."""

        def main(self) -> Generator[None, Any, None]:
            self.send(0)
            while not self.finished():
                self.pause()
                yield
            self.send(self.end_message, "signal")

    class GoneBetween(Component):
        """Reads nothing; ends once the carousel's first child has ended and none runs
        (so no child of its is there to be told).  (With jobs coming all the time the
        moment between a child's end and its successor depends on the order of the run
        queue: one job makes it certain.)"""

        def main(self) -> Generator[None, Any, None]:
            while not (car.made and all(c.done for c in car.children)):
                yield

    for reader in (TakeFive(), GoneBetween()):
        jobs = Endless() if isinstance(reader, TakeFive) else OneJob()
        car = Carousel(lambda job: Three())
        run(Graphline(J=jobs, C=car, T=reader, linkages={
            ("J", "outbox"): ("C", "next"), ("C", "outbox"): ("T", "inbox")}), timeout=10)
        assert isinstance(jobs.end_message, ReaderGone)  # the end travelled back through it
        assert getattr(reader, "got", [0, 1, 2, 0, 1]) == [0, 1, 2, 0, 1]


# -- pull mode: the carousel asks for each job --------------------------------------------------


class Jobs(Component):
    """Hands out one job per request on its inbox (the first unasked with ``send_first``);
    once out of jobs, a request gets ProducerFinished on its signal and it ends."""

    def __init__(self, jobs: list[Any], log: list[Any], send_first: bool = False) -> None:
        super().__init__()
        self.jobs, self.log, self.send_first = list(jobs), log, send_first

    def main(self) -> Generator[Any, Any, None]:
        if self.send_first:
            self.send(self.jobs.pop(0))
        while (batch := (yield RECEIVE)) is not None:
            for request in batch:
                self.log.append(("asked", request))
                if not self.jobs:
                    self.send(ProducerFinished("no more jobs"), "signal")
                    return
                self.send(self.jobs.pop(0))
        self.send(self.end_message, "signal")


class Job(Component):
    """Sends ``job`` tagged with 0..2, one a timeslice; logs when it is done."""

    def __init__(self, job: Any, log: list[Any]) -> None:
        super().__init__(name=f"Job{job}")
        self.job, self.log = job, log

    def main(self) -> Generator[None, Any, None]:
        for i in range(3):
            self.send(f"{self.job}{i}")
            yield
        self.log.append(("done", self.job))
        self.send(ProducerFinished(), "signal")


def pulled(jobs: Jobs, car: Carousel) -> tuple[Graphline, Collect]:
    out = Collect()
    return Graphline(J=jobs, C=car, O=out, linkages={
        ("C", "requests"): ("J", "inbox"), ("J", "outbox"): ("C", "next"),
        ("J", "signal"): ("C", "control"),
        ("C", "outbox"): ("O", "inbox"), ("C", "signal"): ("O", "control")}), out


def test_pull_mode_asks_at_start_and_after_each_child_finishes() -> None:
    log: list[Any] = []
    car = Carousel(lambda job: Job(job, log), request="next", request_first=True)
    system, out = pulled(Jobs(["a", "b"], log), car)
    run(system, timeout=10)
    assert out.items == ["a0", "a1", "a2", "b0", "b1", "b2"]
    # each request follows the end of the child before it: one job at a time, on demand
    assert log == [("asked", "next"), ("done", "a"), ("asked", "next"), ("done", "b"),
                   ("asked", "next")]
    assert car.requested == 3 and car.made == 2
    assert isinstance(out.end, ProducerFinished)  # the source's end ended the carousel


def test_pull_mode_with_a_source_that_sends_the_first_job_unasked() -> None:
    log: list[Any] = []
    car = Carousel(lambda job: Job(job, log), request="more")
    system, out = pulled(Jobs(["a", "b", "c"], log, send_first=True), car)
    run(system, timeout=10)
    assert [x[:1] for x in out.items] == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    assert log.count(("asked", "more")) == 3 and car.requested == 3


def test_pull_mode_a_job_source_gone_lets_the_running_child_finish_its_job() -> None:
    log: list[Any] = []

    class OneJob(Component):
        """Sends one job, then ends without waiting to be asked again."""

        def main(self) -> Generator[None, Any, None]:
            self.send("a")
            yield

    car = Carousel(lambda job: Job(job, log), request="next")
    out = Collect()
    run(Graphline(J=OneJob(), C=car, O=out, linkages={
        ("C", "requests"): ("J", "inbox"), ("J", "outbox"): ("C", "next"),
        ("C", "outbox"): ("O", "inbox"), ("C", "signal"): ("O", "control")}), timeout=10)
    assert out.items == ["a0", "a1", "a2"]  # not cut short by the source's end
    assert ("done", "a") in log
    assert car.requested == 0  # told that no more jobs come (before "a" ended), it did not ask
    assert isinstance(out.end, ProducerFinished)


def test_pull_mode_shutdown_stops_the_child_and_asks_no_more() -> None:
    log: list[Any] = []
    car = Carousel(lambda job: Forever(), request="next", request_first=True)
    system, out = pulled(Jobs(["a", "b"], log), car)

    class Stop(Component):
        def main(self) -> Generator[None, Any, None]:
            while not car.children:
                yield
            car.inboxes["control"].put(Shutdown("stop"))

    run(system, Stop(), timeout=10)
    assert car.requested == 1 and car.made == 1
    assert isinstance(out.end, Shutdown)


def test_request_first_needs_a_request() -> None:
    with pytest.raises(ValueError, match="request_first needs"):
        Carousel(Echo, request_first=True)
