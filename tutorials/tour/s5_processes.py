"""Tour step 5: stages in other processes, on every core (tutorials/several_cores.md)."""

from collections.abc import Generator
from functools import partial
from typing import Any

from components import Collector, IterableSource, Map

from axon import RECEIVE, ChildProcess, Component, Pipeline, WorkerPool, run


def with_steps(n: int) -> tuple[int, int]:
    """``n`` and how many Collatz steps take it to 1: a little pure-Python work."""
    steps, x = 0, n
    while x != 1:
        x = 3 * x + 1 if x % 2 else x // 2
        steps += 1
    return n, steps


class Longest(Component):
    """Keeps the (n, steps) pair with the most steps; sends it at the end."""

    def main(self) -> Generator[Any, Any, None]:
        best = (0, -1)
        while (batch := (yield RECEIVE)) is not None:
            for pair in batch:
                if pair[1] > best[1]:
                    best = pair
        self.send(best)
        self.send(self.end_message, "signal")


results = Collector()
pool = WorkerPool(partial(Map, with_steps), 2)  # two processes share the work
longest = ChildProcess(Longest)  # and one more keeps the best
system = Pipeline(IterableSource(range(1, 100_001)), pool, longest, results)

if __name__ == "__main__":  # (a child process imports this file: start the system only here)
    run(system, timeout=120)
    n, steps = results.items[0]
    print(f"most steps below 100001: {steps}, from {n}")
    print(f"the pool answered {pool.statistics().results} messages in order")
    crossed = longest.statistics()
    print(f"into {longest.name}'s process: {crossed.messages_out} messages; "
          f"out of it: {crossed.messages_in}")
