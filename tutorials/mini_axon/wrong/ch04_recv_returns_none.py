"""Chapter 4, wrong on purpose: recv() returns None when the box is empty."""

from typing import Any

from tutorials.mini_axon.answers import ch04
from tutorials.mini_axon.answers.ch04 import Greeter, Microprocess, Scheduler

__all__ = ["Component", "Doubler", "Greeter", "Microprocess", "Scheduler"]


class Component(ch04.Component):
    def recv(self, box: str = "inbox") -> Any:
        if self.boxes[box]:
            return self.boxes[box].pop(0)
        return None  # the mistake: an empty box should raise IndexError


class Doubler(Component, ch04.Doubler):
    pass
