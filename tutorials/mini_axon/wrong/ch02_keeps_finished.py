"""Chapter 2, wrong on purpose: the scheduler never drops a finished microprocess."""

from collections.abc import Generator

from tutorials.mini_axon.answers.ch01 import Greeter, Microprocess

__all__ = ["Greeter", "Microprocess", "Scheduler"]


class Scheduler(Microprocess):
    def __init__(self) -> None:
        super().__init__()
        self.running: list[Microprocess] = []

    def add(self, microprocess: Microprocess) -> None:
        if microprocess.generator is None:
            microprocess.activate()
        self.running.append(microprocess)

    def main(self) -> Generator[int, None, None]:
        while self.running:
            for microprocess in self.running:
                try:
                    microprocess.step()
                except StopIteration:
                    pass  # the mistake: it stays in self.running for ever
            yield len(self.running)

    def run(self) -> None:
        self.activate()
        while True:
            try:
                self.step()
            except StopIteration:
                return
