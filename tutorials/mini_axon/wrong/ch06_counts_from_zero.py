"""Chapter 6, wrong on purpose: LineCounter numbers the lines from 0."""

from collections.abc import Generator

from tutorials.mini_axon.answers import ch06
from tutorials.mini_axon.answers.ch06 import *  # noqa: F403 - the rest of the core is right
from tutorials.mini_axon.answers.ch06 import Component, ProducerFinished, Scheduler, pipeline

_right_parts = ch06.make_parts


def make_parts(Component: type, ProducerFinished: type) -> tuple[type, type, type]:
    FileReader, _, UDPSender = _right_parts(Component, ProducerFinished)

    class LineCounter(Component):
        def __init__(self) -> None:
            super().__init__()
            self.lines = 0

        def main(self) -> Generator[None, None, None]:
            while True:
                while self.data_ready():
                    self.send(f"{self.lines}: {self.recv()}")  # the mistake: counts after sending
                    self.lines += 1
                if self.data_ready("control"):
                    self.send(f"total: {self.lines}")
                    self.send(self.recv("control"), "signal")
                    return
                yield

    return FileReader, LineCounter, UDPSender


FileReader, LineCounter, UDPSender = make_parts(Component, ProducerFinished)


def run_mini(filename: str, port: int) -> None:
    scheduler = Scheduler()
    for component in pipeline(FileReader(filename), LineCounter(), UDPSender(port)):
        scheduler.add(component)
    scheduler.run()
