"""Chapter 4 answer: chapters 1-2 plus Component (boxes, send, recv, data_ready)."""

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


class Scheduler(Microprocess):
    """A microprocess that steps many microprocesses in turn, round after round."""

    def __init__(self) -> None:
        super().__init__()
        self.running: list[Microprocess] = []
        self.arriving: list[Microprocess] = []

    def add(self, microprocess: Microprocess) -> None:
        """Schedule a microprocess (activating it if needed); it first runs next round."""
        if microprocess.generator is None:
            microprocess.activate()
        self.arriving.append(microprocess)

    def main(self) -> Generator[int, None, None]:
        """Run rounds until nothing is left; after each round yield how many remain."""
        while self.running or self.arriving:
            self.running.extend(self.arriving)
            self.arriving = []
            still_running = []
            for microprocess in self.running:
                try:
                    microprocess.step()
                except StopIteration:
                    continue  # finished: leave it out of the next round
                still_running.append(microprocess)
            self.running = still_running
            yield len(self.running) + len(self.arriving)

    def run(self) -> None:
        """Activate the scheduler and step it until every microprocess has finished."""
        self.activate()
        while True:
            try:
                self.step()
            except StopIteration:
                return


class Component(Microprocess):
    """A microprocess with named boxes: it reads its inboxes and fills its outboxes."""

    Inboxes: dict[str, str] = {
        "inbox": "messages to work on",
        "control": "a message here means: finish up and stop",
    }
    Outboxes: dict[str, str] = {
        "outbox": "results",
        "signal": "passes the stop message on when we stop",
    }

    def __init__(self) -> None:
        super().__init__()
        names = [*self.Inboxes, *self.Outboxes]
        self.boxes: dict[str, list[Any]] = {name: [] for name in names}

    def send(self, message: Any, box: str = "outbox") -> None:
        """Put a message at the end of one of our boxes (KeyError if there is no such box)."""
        self.boxes[box].append(message)

    def recv(self, box: str = "inbox") -> Any:
        """Take the oldest message out of one of our boxes.

        Raises:
            IndexError: the box is empty.
        """
        return self.boxes[box].pop(0)

    def data_ready(self, box: str = "inbox") -> int:
        """How many messages are waiting in one of our boxes (0 when empty)."""
        return len(self.boxes[box])


class Doubler(Component):
    """Sends 2 * m for every message m; stops when anything arrives on control."""

    def main(self) -> Generator[None, None, None]:
        while True:
            while self.data_ready():
                self.send(2 * self.recv())
            if self.data_ready("control"):
                self.send(self.recv("control"), "signal")
                return
            yield


if __name__ == "__main__":
    doubler = Doubler()
    doubler.boxes["inbox"].extend([1, 2, 3])  # playing postman by hand
    doubler.activate()
    doubler.step()
    print("outbox:", doubler.boxes["outbox"])
    doubler.boxes["control"].append("stop")
    try:
        doubler.step()
    except StopIteration:
        print("signal:", doubler.boxes["signal"])
