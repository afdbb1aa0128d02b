"""Chapter 5, wrong on purpose: the postman takes the newest message first."""

from collections.abc import Generator

from tutorials.mini_axon.answers.ch05 import (
    Component,
    Doubler,
    Greeter,
    Microprocess,
    Printer,
    Producer,
    ProducerFinished,
    Scheduler,
    link,
)

__all__ = [
    "Component",
    "Doubler",
    "Greeter",
    "Microprocess",
    "Postman",
    "Printer",
    "Producer",
    "ProducerFinished",
    "Scheduler",
    "link",
]


class Postman(Microprocess):
    def __init__(self, source: tuple[Component, str], sink: tuple[Component, str]) -> None:
        super().__init__()
        self.source, self.source_box = source
        self.sink, self.sink_box = sink

    def main(self) -> Generator[None, None, None]:
        while True:
            while self.source.data_ready(self.source_box):
                message = self.source.boxes[self.source_box].pop()  # the mistake: newest first
                self.sink.boxes[self.sink_box].append(message)
            if self.source.done:
                return
            yield
