"""Chapter 1 answer: a microprocess is a generator with an object around it."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any


class Microprocess:
    """An object whose main() generator can be advanced one step at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.generator: Generator[Any, None, None] | None = None
        self.done = False

    def main(self) -> Generator[Any, None, None]:
        """Yield once, then finish. Subclasses replace this with real work."""
        yield

    def activate(self) -> Microprocess:
        """Create the generator from main() without running any of it; return self."""
        self.generator = self.main()
        return self

    def step(self) -> Any:
        """Run main() up to its next yield and return the value it yielded.

        Raises:
            StopIteration: main() has finished; `done` is True from then on.
        """
        assert self.generator is not None, "call activate() before step()"
        try:
            return next(self.generator)
        except StopIteration:
            self.done = True
            raise


class Greeter(Microprocess):
    """Prints "<word> <i>" for i in 0..times-1, yielding i after each line."""

    def __init__(self, word: str, times: int) -> None:
        super().__init__()
        self.word = word
        self.times = times

    def main(self) -> Generator[int, None, None]:
        for i in range(self.times):
            print(f"{self.word} {i}")
            yield i


if __name__ == "__main__":
    ping = Greeter("ping", 2).activate()
    pong = Greeter("pong", 2).activate()
    for _ in range(2):
        ping.step()
        pong.step()
    try:
        ping.step()
    except StopIteration:
        print("ping is done:", ping.done)
