"""Pipeline: components in a line, each one's outbox feeding the next one's inbox."""

from __future__ import annotations

from .._core import Component

__all__ = ["Pipeline"]


class Pipeline(Component):
    """Links ``outbox -> inbox`` and ``signal -> control`` down a line of components.

    The pipeline's own ``inbox``/``control`` pass through to the first child, and the last
    child's ``outbox``/``signal`` come out of the pipeline's own: a pipeline is a component,
    so pipelines nest.  It finishes when all its children have.
    """

    Inboxes = {
        "inbox": "passed through to the first component's inbox",
        "control": "passed through to the first component's control",
    }
    Outboxes = {
        "outbox": "the last component's outbox",
        "signal": "the last component's signal",
    }

    def __init__(self, *components: Component, name: str | None = None) -> None:
        super().__init__(name=name)
        if not components:
            raise ValueError("Pipeline needs at least one component")
        self.add_children(*components)
        first, last = components[0], components[-1]
        self.link((self, "inbox"), (first, "inbox"))
        self.link((self, "control"), (first, "control"))
        for a, b in zip(components, components[1:]):
            self.link((a, "outbox"), (b, "inbox"))
            self.link((a, "signal"), (b, "control"))
        self.link((last, "outbox"), (self, "outbox"))
        self.link((last, "signal"), (self, "signal"))
