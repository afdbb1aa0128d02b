"""Checks for chapter 2: Scheduler."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ._harness import STEP_LIMIT, CheckFailed, expect, made_by, need, printed, within


def recorder_class(module: ModuleType) -> type:
    """A Microprocess subclass that logs "<name> <i>" to a shared list and counts its steps."""
    base = need(module, "Microprocess")

    class Recorder(base):  # type: ignore[misc, valid-type]
        def __init__(self, name: str, times: int, log: list[str]) -> None:
            super().__init__()
            self.name, self.times, self.log = name, times, log
            self.steps = 0

        def step(self) -> Any:
            self.steps += 1
            return super().step()

        def main(self) -> Any:
            for i in range(self.times):
                self.log.append(f"{self.name} {i}")
                yield

    return Recorder


def three_recorders(module: ModuleType) -> tuple[Any, list[str], list[Any]]:
    """A scheduler holding recorders a (3 steps), b (1) and c (2), and the shared log."""
    recorder, log = recorder_class(module), []
    scheduler = need(module, "Scheduler")()
    recorders = [recorder("a", 3, log), recorder("b", 1, log), recorder("c", 2, log)]
    for each in recorders:
        scheduler.add(each)
    return scheduler, log, recorders


def rounds(scheduler: Any) -> list[Any]:
    """Activate the scheduler and step it to the end; return what each round yielded."""
    scheduler.activate()
    yielded: list[Any] = []
    for _ in range(STEP_LIMIT):
        try:
            yielded.append(scheduler.step())
        except StopIteration:
            return yielded
    raise CheckFailed(
        f"the scheduler never finished: after {STEP_LIMIT} rounds it yielded {yielded[-1]!r}, "
        "though its microprocesses finished long before. Drop a microprocess from the "
        "scheduler when its step() raises StopIteration, and finish when none are left"
    )


def scheduler_is_a_microprocess(module: ModuleType) -> None:
    """Scheduler is a subclass of Microprocess whose __init__ calls super().__init__()"""
    scheduler_class = need(module, "Scheduler")
    expect(
        issubclass(scheduler_class, need(module, "Microprocess")),
        "Scheduler should be a subclass of Microprocess: class Scheduler(Microprocess): ...",
    )
    scheduler = made_by(scheduler_class)
    expect(
        scheduler.generator is None and scheduler.done is False,
        "a new Scheduler should have generator None and done False",
    )


def add_activates(module: ModuleType) -> None:
    """add() activates a microprocess that has no generator yet, running none of it"""
    log: list[str] = []
    recorder = recorder_class(module)("a", 1, log)
    need(module, "Scheduler")().add(recorder)
    expect(
        recorder.generator is not None,
        "add() should call activate() on a microprocess whose generator is None",
    )
    expect(log == [], "add() should not run any of the microprocess's main()")


def add_keeps_generator(module: ModuleType) -> None:
    """add() keeps the generator of a microprocess that was already activated"""
    recorder = recorder_class(module)("a", 2, []).activate()
    generator = recorder.generator
    need(module, "Scheduler")().add(recorder)
    expect(
        recorder.generator is generator,
        "add() replaced the generator of an already activated microprocess; "
        "only activate it when .generator is None",
    )


def one_step_per_round(module: ModuleType) -> None:
    """each round steps every microprocess once, in the order they were added"""
    scheduler, log, _ = three_recorders(module)
    scheduler.activate()
    scheduler.step()
    expect(
        log == ["a 0", "b 0", "c 0"],
        f"after one round the log should be ['a 0', 'b 0', 'c 0'], it is {log}",
    )


def yields_how_many_remain(module: ModuleType) -> None:
    """after each round main() yields how many microprocesses are still running"""
    scheduler, _, _ = three_recorders(module)
    yielded = rounds(scheduler)
    expect(
        yielded == [3, 2, 1, 0],
        "with microprocesses of 3, 1 and 2 steps the rounds should yield [3, 2, 1, 0], "
        f"they yielded {yielded}",
    )


def finished_are_dropped(module: ModuleType) -> None:
    """a finished microprocess is dropped: step() is not called on it again"""
    scheduler, _, recorders = three_recorders(module)
    rounds(scheduler)
    calls = {r.name: r.steps for r in recorders}
    expect(
        calls == {"a": 4, "b": 2, "c": 3},
        "each microprocess should be stepped once more than it yields (the last step raises "
        f"StopIteration) and never again; step() was called {calls} times",
    )


def round_robin_order(module: ModuleType) -> None:
    """microprocesses take turns until each has finished"""
    scheduler, log, _ = three_recorders(module)
    rounds(scheduler)
    expected = ["a 0", "b 0", "c 0", "a 1", "c 1", "a 2"]
    expect(log == expected, f"the log should be {expected}, it is {log}")


def arrivals_wait_for_next_round(module: ModuleType) -> None:
    """a microprocess added during a round first runs in the next round"""
    recorder = recorder_class(module)
    scheduler, log = need(module, "Scheduler")(), []

    class Spawner(recorder):  # type: ignore[misc, valid-type]
        def main(self) -> Any:
            log.append("spawner 0")
            scheduler.add(recorder("child", 1, log))
            yield
            log.append("spawner 1")

    scheduler.add(Spawner("spawner", 0, log))
    scheduler.add(recorder("other", 2, log))
    rounds(scheduler)
    expected = ["spawner 0", "other 0", "spawner 1", "other 1", "child 0"]
    expect(
        log == expected,
        f"the log should be {expected}, it is {log}: a microprocess added during a round "
        "should wait, and join the running ones when the next round starts",
    )


def run_runs_everything(module: ModuleType) -> None:
    """run() returns once every microprocess has finished"""
    rounds(three_recorders(module)[0])  # fails fast, rather than by timeout, if it never ends
    greeter = need(module, "Greeter")
    scheduler = need(module, "Scheduler")()
    for word, times in [("a", 3), ("b", 1), ("c", 2)]:
        scheduler.add(greeter(word, times))
    with printed() as output:
        within(scheduler.run, "Scheduler.run()")
    expected = "a 0\nb 0\nc 0\na 1\nc 1\na 2\n"
    expect(
        output.getvalue() == expected,
        f"run() should print {expected!r}, it printed {output.getvalue()!r}",
    )


def empty_run_returns(module: ModuleType) -> None:
    """run() on a scheduler with nothing to do returns at once"""
    within(need(module, "Scheduler")().run, "run() on an empty Scheduler")


def schedulers_nest(module: ModuleType) -> None:
    """a Scheduler can run inside another Scheduler (it is a microprocess too)"""
    rounds(three_recorders(module)[0])  # fails fast, rather than by timeout, if it never ends
    scheduler_class, log = need(module, "Scheduler"), []
    outer, inner = scheduler_class(), scheduler_class()
    inner.add(recorder_class(module)("inner", 2, log))
    outer.add(inner)
    outer.add(recorder_class(module)("outer", 2, log))
    within(outer.run, "Scheduler.run() with a scheduler inside")
    expected = ["inner 0", "outer 0", "inner 1", "outer 1"]
    expect(log == expected, f"the log should be {expected}, it is {log}")


CHECKS = [
    scheduler_is_a_microprocess,
    add_activates,
    add_keeps_generator,
    one_step_per_round,
    yields_how_many_remain,
    finished_are_dropped,
    round_robin_order,
    arrivals_wait_for_next_round,
    run_runs_everything,
    empty_run_returns,
    schedulers_nest,
]
