"""Chapter 4, wrong on purpose: send() takes the box first, send(box, message)."""

from typing import Any

from tutorials.mini_axon.answers import ch04
from tutorials.mini_axon.answers.ch04 import Greeter, Microprocess, Scheduler

__all__ = ["Component", "Doubler", "Greeter", "Microprocess", "Scheduler"]


class Component(ch04.Component):
    def send(self, box: Any, message: Any = "outbox") -> None:  # the mistake
        self.boxes[box].append(message)


class Doubler(Component, ch04.Doubler):
    pass
