"""The exceptions Axon raises: each names the component or box it concerns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._component import Component

__all__ = ["AxonError", "BoxFull", "ComponentError", "Deadlock", "EmptyBox", "LinkError"]


class AxonError(Exception):
    """Base class of Axon's own errors."""


class LinkError(AxonError, ValueError):
    """A link names a box that does not exist, or would make a cycle."""


class EmptyBox(AxonError, IndexError):
    """``recv()`` on an inbox that holds nothing."""


class BoxFull(AxonError):
    """A bounded inbox with the ``error`` policy (or an outside put) found no room."""


class Deadlock(AxonError):
    """Every live component waits for a message that nothing can send.

    ``str()`` stays short at any size: how many wait, the first few (blocked ones first)
    with what each waits on, and how many more.  ``stuck`` holds every one of them
    (``"path (state)"``), for tools.
    """

    def __init__(self, message: str, stuck: list[str]) -> None:
        super().__init__(message)
        self.stuck = stuck


class ComponentError(AxonError):
    """An exception escaped a component's ``main()``.

    ``str()`` names the component by its place in the system (``Pipeline[2]:Parser``);
    ``__cause__`` and ``error`` hold the original exception.
    """

    def __init__(self, path: str, error: BaseException, component: "Component | Any" = None):
        super().__init__(f"{path} raised {type(error).__name__}: {error}")
        self.path = path
        self.error = error
        self.component = component
