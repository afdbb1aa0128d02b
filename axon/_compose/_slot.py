"""The slot: one running child at a time in a composition's place (Seq, Carousel).

The running child gets the composition's ``inbox`` and sends on its ``outbox``; its
``control`` and ``signal`` go through the composition's ``child_control`` and
``child_signal``, so the composition decides what each child is told and when.
"""

from __future__ import annotations

from typing import Any

from .._core import Component, EndSignal, Shutdown

__all__ = ["take_control", "tell", "wire"]


def wire(parent: Component, child: Component) -> None:
    """Give ``child`` ``parent``'s inbox and outbox; its control/signal go to parent's
    ``child_control`` / ``child_signal``."""
    cin, cout = child.inboxes, child.outboxes
    if "inbox" in cin:
        parent.link((parent, "inbox"), (child, "inbox"))
    if "control" in cin:
        parent.link((parent, "child_control"), (child, "control"))
    if "outbox" in cout:
        parent.link((child, "outbox"), (parent, "outbox"))
    if "signal" in cout:
        parent.link((child, "signal"), (parent, "child_signal"))


def tell(parent: Component, child: Component, msg: Any) -> None:
    """Send ``msg`` to ``child``'s control (if it has one) through ``parent``'s child_control."""
    if "control" in child.inboxes and not child.done:
        parent.send(msg, "child_control")


def take_control(
    parent: Component, current: Component | None, ending: EndSignal | None,
    pass_finished: bool = True,
) -> EndSignal | None:
    """Read ``parent``'s control: pass messages to the running child, remember the end.

    Shutdown wins over ProducerFinished; with ``pass_finished`` False, ProducerFinished is
    remembered but not passed on (the caller decides when).
    """
    for msg in parent.recv_all("control"):
        is_end = isinstance(msg, EndSignal)
        if is_end and not isinstance(ending, Shutdown):
            ending = msg
        if current is not None and (pass_finished or not is_end or isinstance(msg, Shutdown)):
            tell(parent, current, msg)
    return ending
