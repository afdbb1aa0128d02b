"""Checks for chapter 1: Microprocess and Greeter."""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from ._harness import CheckFailed, expect, made_by, need, printed, run_to_end


def probe_class(module: ModuleType) -> type:
    """A Microprocess subclass that records how far its main() got."""
    base = need(module, "Microprocess")

    class Probe(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.events: list[str] = []

        def main(self) -> Any:
            self.events.append("start")
            yield "first"
            self.events.append("middle")
            yield "second"
            self.events.append("end")

    return Probe


def step_expecting_stop(microprocess: Any, what: str) -> None:
    """Step once more; it must raise StopIteration."""
    try:
        value = microprocess.step()
    except StopIteration:
        return
    raise CheckFailed(f"step() should raise StopIteration when {what}, it returned {value!r}")


def microprocess_exists(module: ModuleType) -> None:
    """there is a class called Microprocess"""
    need(module, "Microprocess")


def new_microprocess(module: ModuleType) -> None:
    """Microprocess() takes no arguments; .generator is None and .done is False"""
    microprocess = made_by(need(module, "Microprocess"))
    expect(
        microprocess.generator is None,
        f"a new Microprocess should have generator None, it has {microprocess.generator!r}",
    )
    expect(
        microprocess.done is False,
        f"a new Microprocess should have done False, it has {microprocess.done!r}",
    )


def main_is_a_generator(module: ModuleType) -> None:
    """Microprocess.main() returns a generator"""
    result = need(module, "Microprocess")().main()
    expect(
        inspect.isgenerator(result),
        f"main() should be a generator (a def with a yield in it), calling it returned {result!r}",
    )


def activate_returns_self(module: ModuleType) -> None:
    """activate() stores main()'s generator in .generator and returns the microprocess"""
    microprocess = need(module, "Microprocess")()
    result = microprocess.activate()
    expect(
        result is microprocess,
        f"activate() should return the microprocess itself, it returned {result!r}",
    )
    expect(
        inspect.isgenerator(microprocess.generator),
        "after activate(), .generator should hold a generator, "
        f"it holds {microprocess.generator!r}",
    )


def activate_runs_nothing(module: ModuleType) -> None:
    """activate() runs none of main()'s code"""
    probe = probe_class(module)().activate()
    expect(
        probe.events == [],
        "activate() should only create the generator, but main() already started running",
    )


def step_returns_yielded_values(module: ModuleType) -> None:
    """step() runs main() up to its next yield and returns the yielded value"""
    probe = probe_class(module)().activate()
    first = probe.step()
    expect(
        first == "first",
        f"the first step() should return 'first' (what main() yielded), it returned {first!r}",
    )
    expect(
        probe.events == ["start"],
        f"after one step() main() should have run to its first yield, it ran {probe.events}",
    )
    second = probe.step()
    expect(second == "second", f"the second step() should return 'second', it returned {second!r}")


def step_raises_at_the_end(module: ModuleType) -> None:
    """step() raises StopIteration once main() has finished, and then done is True"""
    probe = probe_class(module)().activate()
    probe.step()
    probe.step()
    expect(
        probe.done is False,
        f"done should stay False while main() is running, it is {probe.done!r}",
    )
    step_expecting_stop(probe, "main() has finished")
    expect(probe.events[-1] == "end", "main() should have run to its end before StopIteration")
    expect(
        probe.done is True,
        f"after main() has finished, done should be True, it is {probe.done!r}",
    )


def default_main_yields_once(module: ModuleType) -> None:
    """the default main() yields once and then finishes"""
    microprocess = need(module, "Microprocess")().activate()
    microprocess.step()
    step_expecting_stop(microprocess, "the default main() has yielded once")


def greeter_is_a_microprocess(module: ModuleType) -> None:
    """Greeter is a subclass of Microprocess whose __init__ calls super().__init__()"""
    greeter_class = need(module, "Greeter")
    expect(
        issubclass(greeter_class, need(module, "Microprocess")),
        "Greeter should be a subclass of Microprocess: class Greeter(Microprocess): ...",
    )
    greeter = made_by(greeter_class, "hi", 1)
    expect(
        greeter.generator is None and greeter.done is False,
        "a new Greeter should have generator None and done False",
    )


def greeter_prints_and_yields(module: ModuleType) -> None:
    """Greeter(word, times) prints "<word> <i>" for each i and yields i"""
    greeter = need(module, "Greeter")("hi", 2)
    with printed() as output:
        greeter.activate()
    expect(
        output.getvalue() == "",
        "Greeter printed something on activate(); nothing should run yet",
    )
    with printed() as output:
        values = run_to_end(greeter)
    expect(values == [0, 1], f"Greeter('hi', 2) should yield 0 then 1, it yielded {values}")
    expect(
        output.getvalue() == "hi 0\nhi 1\n",
        f"Greeter('hi', 2) should print 'hi 0' and 'hi 1', it printed {output.getvalue()!r}",
    )


def microprocesses_interleave(module: ModuleType) -> None:
    """two Greeters stepped in turn interleave their lines"""
    greeter_class = need(module, "Greeter")
    ping = greeter_class("ping", 2).activate()
    pong = greeter_class("pong", 2).activate()
    with printed() as output:
        for _ in range(2):
            ping.step()
            pong.step()
    expected = "ping 0\npong 0\nping 1\npong 1\n"
    expect(output.getvalue() == expected, f"expected {expected!r}, got {output.getvalue()!r}")


CHECKS = [
    microprocess_exists,
    new_microprocess,
    main_is_a_generator,
    activate_returns_self,
    activate_runs_nothing,
    step_returns_yielded_values,
    step_raises_at_the_end,
    default_main_yields_once,
    greeter_is_a_microprocess,
    greeter_prints_and_yields,
    microprocesses_interleave,
]
