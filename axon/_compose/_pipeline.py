"""Pipeline: components in a line, each one's outbox feeding the next one's inbox."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from .._core import Component, ProducerFinished, ReaderGone, Shutdown

__all__ = ["Pipeline"]


class Pipeline(Component):
    """Links ``outbox -> inbox`` and ``signal -> control`` down a line of components.

    The pipeline's own ``inbox``/``control`` pass through to the first child, and the last
    child's ``outbox``/``signal`` come out of the pipeline's own: a pipeline is a component,
    so pipelines nest.  It finishes when all its children have.

    ``circular=True`` closes the line into a ring (Kamaelia's ``circular``): the last
    child's ``outbox`` and ``signal`` feed the first child's ``inbox`` and ``control``
    (beside the pipeline's own ``inbox`` and ``control``), so nothing comes out of the
    pipeline's ``outbox``; its ``signal`` sends ``ProducerFinished`` (``Shutdown`` if a
    child was shut down) once every child has finished.  A ring ends as its children do:
    from a child that knows the work is done (it passes ``ProducerFinished`` on and
    returns), with ``Shutdown`` on the pipeline's ``control`` (it goes round, stopping
    each), or with ``ProducerFinished`` there once nothing goes round any more (the first
    child drains its inbox first, and the ring keeps refilling it).  What the last child
    sends after the first has finished is counted as dropped in the first's inbox, and
    the last is told (``ReaderGone``).
    """

    Inboxes = {
        "inbox": "passed through to the first component's inbox",
        "control": "passed through to the first component's control",
    }
    Outboxes = {
        "outbox": "the last component's outbox (unused when circular)",
        "signal": "the last component's signal (when circular: the end, once all have finished)",
    }

    def __init__(self, *components: Component, circular: bool = False,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if not components:
            raise ValueError("Pipeline needs at least one component")
        self.add_children(*components)
        self.circular = circular
        first, last = components[0], components[-1]
        self.link((self, "inbox"), (first, "inbox"))
        self.link((self, "control"), (first, "control"))
        for a, b in zip(components, components[1:]):
            self.link((a, "outbox"), (b, "inbox"))
            self.link((a, "signal"), (b, "control"))
        if circular:
            self.link((last, "outbox"), (first, "inbox"))
            self.link((last, "signal"), (first, "control"))
        else:
            self.link((last, "outbox"), (self, "outbox"))
            self.link((last, "signal"), (self, "signal"))

    def main(self) -> Generator[None, Any, None]:
        while not self.children_done():
            self.pause()
            yield
        if self.circular:  # (a ReaderGone is the ring closing behind the first child)
            shut = any(isinstance(c.end_message, Shutdown)
                       and not isinstance(c.end_message, ReaderGone) for c in self.children)
            self.send(Shutdown("ring") if shut else ProducerFinished("ring"), "signal")
