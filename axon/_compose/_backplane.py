"""Backplane: named publish/subscribe inside one scheduler.

Design
------
A backplane is found by name in its scheduler's service registry (the service
``"backplane:NAME"``), registered when the :class:`Backplane` is activated, so publishers
and subscribers started in the same ``run()`` find it whatever order they were built in:
a backplane activated after its subscribers joins those not yet running.  Nothing is
global: two schedulers may each have a backplane called "news".

Delivery is made of ordinary links, so a publication costs what a fan-out send costs: a
:class:`PublishTo`'s inbox passes through to the backplane's inbox, which (while anyone
subscribes) forwards to the backplane's outbox, linked to each subscriber's inbox, which
forwards to the subscriber's outbox.  A message therefore lands straight in the inbox of
whatever each subscriber feeds, in publication order.  Joining and leaving are linking
and unlinking, so a subscriber gets exactly the messages published while it was joined.
A slow subscriber holds up no one: its messages queue in its own (downstream) inbox; only
if that inbox is bounded with the ``block`` policy does the publisher wait for it (and so
everyone), which is what ``block`` asks for.

Lifecycle
---------
1. ``Backplane(name)`` lives until its ``control`` gets an end: ``ProducerFinished`` or
   ``Shutdown``.  Messages sent to its own ``inbox`` are published like a publisher's.
   Published while nobody subscribes, a message is dropped (counted in ``unheard``).
2. ``PublishTo(name)`` publishes its ``inbox``.  Its own end (on its ``control``) ends only
   the publisher, unless made with ``end_backplane=True``: then it passes its end to the
   backplane (use this when that publisher's end is the end of the stream).  With
   ``forwarder=True`` it also passes every message on, on its ``outbox`` (its inbox then
   fans out to the backplane and to what its outbox feeds: one send, two deliveries).
3. At its end the backplane unregisters its name and sends the end message to every
   subscriber, after every message published before it (delivery is immediate).
4. ``SubscribeTo(name)`` joins when it is activated (or, if its backplane is activated
   later in the same batch, when that is), so subscribers started with the system see
   every message; one started at run time joins then.  It leaves when it ends: when the
   backplane ends (it passes the end on its ``signal``) or its own ``control`` gets an end.
5. A publisher or subscriber that finds no backplane of its name at its first timeslice
   fails, naming the name.

Transports
----------
``Backplane(name, transport=t)`` carries a backplane between processes and machines:
``t.bridge(backplane)`` makes a component, adopted as the backplane's child, whose
``inbox`` gets every message published here (to send to the other processes) and whose
``outbox`` delivers what they published to the subscribers here; it sends only while
``backplane.subscribers`` is non-empty, and counts the rest in ``backplane.unheard``.
Subscribers here still get what is published here straight through the links above, with
no network round trip.  At its end the backplane sends the end to the bridge's
``control`` and ends once the bridge has (so what was published is sent first).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._core import AxonError, Component, EndSignal, Link, ProducerFinished

if TYPE_CHECKING:
    from .._core import Scheduler

__all__ = ["Backplane", "BackplaneStatistics", "PublishTo", "SubscribeTo"]


def service_name(name: str) -> str:
    """The name backplane ``name`` is registered under in its scheduler's services."""
    return f"backplane:{name}"


@dataclass(frozen=True, slots=True)
class BackplaneStatistics:
    """What :meth:`Backplane.statistics` reports."""

    name: str
    subscribers: int  # joined now
    unheard: int  # messages published while nobody subscribed (dropped, counted)


def find_backplane(component: Component, name: str) -> Backplane:
    """The running backplane ``name`` on ``component``'s scheduler."""
    sched = component.scheduler
    assert sched is not None
    found = sched.services.get(service_name(name))
    if not isinstance(found, Backplane) or found.done:
        known = sorted(bp.backplane_name for bp in sched.services.values()
                       if isinstance(bp, Backplane))
        raise AxonError(
            f"{component.path}: no backplane named {name!r} on this scheduler "
            f"(backplanes: {', '.join(known) or 'none'})"
        )
    return found


class Backplane(Component):
    """A named meeting point: what is published to it reaches every current subscriber."""

    Inboxes = {
        "inbox": "messages to publish (as from a publisher)",
        "control": "ProducerFinished / Shutdown: end the backplane and its subscribers",
    }
    Outboxes = {
        "outbox": "to every subscriber (linked while anyone subscribes)",
        "signal": "ProducerFinished / Shutdown, when the backplane ends",
        "subscribers_control": "the end, to every subscriber",
        "transport_control": "the end, to the transport's bridge (with a transport)",
    }

    def __init__(self, name: str, *, transport: Any = None) -> None:
        super().__init__(name=f"Backplane({name})")
        self.backplane_name = name
        self.subscribers: list[SubscribeTo] = []
        self.unheard = 0  # messages published while nobody subscribed
        self._forward: Link | None = None
        self.wake_on("inbox", "control")
        self.bridge: Component | None = None
        if transport is not None:  # see "Transports" above
            bridge = self.bridge = transport.bridge(self)
            self.add_child(bridge, "transport")
            self.link((self, "inbox"), (bridge, "inbox"))
            self.link((bridge, "outbox"), (self, "outbox"))
            self.link((self, "transport_control"), (bridge, "control"))

    def on_activate(self, scheduler: "Scheduler") -> None:
        key = service_name(self.backplane_name)
        old = scheduler.services.get(key)
        if isinstance(old, Backplane) and old.done:  # stopped before it ever ran
            scheduler.services.unregister(key, old)
        scheduler.services.register(key, self)
        for sub in scheduler.components:  # subscribers started before it, not yet running
            if (isinstance(sub, SubscribeTo) and sub.backplane_name == self.backplane_name
                    and sub.backplane is None and not sub.done):
                self.join(sub)

    # -- joining and leaving (called by subscribers, in their timeslices) --------------------

    def join(self, sub: "SubscribeTo") -> None:
        sub.backplane = self
        if not self.subscribers:
            self._drop_unheard()
            self._forward = self.link((self, "inbox"), (self, "outbox"))
        self.subscribers.append(sub)
        sub.link((self, "outbox"), (sub, "inbox"))  # owned by the subscriber: goes with it
        sub.link((self, "subscribers_control"), (sub, "control"))

    def leave(self, sub: "SubscribeTo") -> None:
        if sub not in self.subscribers:
            return
        self.subscribers.remove(sub)
        for box in ("inbox", "control"):
            for lk in list(sub.inboxes[box].links_in):
                if lk.source.owner is self:
                    sub.unlink(lk)
        if not self.subscribers and self._forward is not None:
            self.unlink(self._forward)
            self._forward = None

    def _drop_unheard(self) -> None:
        self.unheard += len(self.recv_all("inbox"))

    def main(self) -> Generator[None, Any, None]:
        sched = self.scheduler
        assert sched is not None
        key = service_name(self.backplane_name)
        try:
            while not self.finished():
                if not self.subscribers:
                    self._drop_unheard()
                self.pause()
                yield
        finally:
            if key in sched.services:
                sched.services.unregister(key, self)
        end = self.end_message or ProducerFinished("backplane")
        bridge = self.bridge
        if bridge is not None and not bridge.done:
            self.send(end, "transport_control")
            self.wake_on()  # (only the bridge finishing wakes us now)
            self.end_message = None  # (so that pause() sleeps)
            while not bridge.done:
                self.pause()
                yield
            self.end_message = end
        self.send(end, "subscribers_control")
        self.send(end, "signal")

    def statistics(self) -> BackplaneStatistics:
        """Subscribers now, and messages dropped for want of any."""
        return BackplaneStatistics(self.backplane_name, len(self.subscribers), self.unheard)


class PublishTo(Component):
    """Publishes every message on its ``inbox`` to the backplane ``name``; with
    ``forwarder=True`` it also passes each on, on its ``outbox`` (Kamaelia's
    ``PublishTo(..., forwarder=True)``), so it can sit in the middle of a pipeline."""

    Inboxes = {
        "inbox": "messages to publish",
        "control": "ProducerFinished / Shutdown: stop publishing",
    }
    Outboxes = {
        "outbox": "with forwarder=True, every message published, in order (else unused)",
        "signal": "the end, passed on",
        "backplane_control": "the end, to the backplane (with end_backplane=True)",
    }

    def __init__(self, name: str, *, end_backplane: bool = False,
                 forwarder: bool = False) -> None:
        super().__init__(name=f"PublishTo({name})")
        self.backplane_name = name
        self.end_backplane = end_backplane
        self.forwarder = forwarder
        self.backplane: Backplane | None = None
        self.wake_on("inbox", "control")

    def on_activate(self, scheduler: "Scheduler") -> None:
        bp = scheduler.services.get(service_name(self.backplane_name))
        if isinstance(bp, Backplane) and not bp.done:
            self._attach(bp)

    def _attach(self, bp: Backplane) -> None:
        self.backplane = bp
        inbox = self.inboxes["inbox"]
        early = list(inbox.queue)  # sent before the backplane was found: to both places
        inbox.queue.clear()
        self.link((self, "inbox"), (bp, "inbox"))  # published straight through from now on
        if self.forwarder:
            self.link((self, "inbox"), (self, "outbox"))  # and passed on
        for msg in early:
            inbox.put(msg)
        if self.end_backplane:
            self.link((self, "backplane_control"), (bp, "control"))

    def main(self) -> Generator[None, Any, None]:
        bp = self.backplane
        if bp is None:
            bp = find_backplane(self, self.backplane_name)
            self._attach(bp)
        target = bp.inboxes["inbox"]
        while True:
            for msg in self.recv_all():  # only from a sender holding a stale push binding
                target.put(msg)
                if self.forwarder:
                    self.send(msg)
            if self.finished():
                break
            self.pause()
            yield
        end = self.end_message
        if self.end_backplane:
            self.send(end, "backplane_control")
        self.send(end, "signal")


class SubscribeTo(Component):
    """Sends on its ``outbox`` every message published to backplane ``name`` while joined."""

    Inboxes = {
        "inbox": "from the backplane (passed straight to the outbox)",
        "control": "the backplane's end, or ProducerFinished / Shutdown to leave",
    }
    Outboxes = {
        "outbox": "every message published while subscribed, in order",
        "signal": "the end (the backplane's, or our own)",
    }

    def __init__(self, name: str) -> None:
        super().__init__(name=f"SubscribeTo({name})")
        self.backplane_name = name
        self.backplane: Backplane | None = None
        self.wake_on("inbox", "control")

    def on_activate(self, scheduler: "Scheduler") -> None:
        self.link((self, "inbox"), (self, "outbox"))
        bp = scheduler.services.get(service_name(self.backplane_name))
        if isinstance(bp, Backplane) and not bp.done:
            bp.join(self)
        # (else its backplane, activated later, joins it: Backplane.on_activate)

    def on_stop(self) -> None:
        if self.backplane is not None:  # (stopped before its first timeslice: no finally)
            self.backplane.leave(self)

    def main(self) -> Generator[None, Any, None]:
        bp = self.backplane
        if bp is None:
            bp = find_backplane(self, self.backplane_name)
            bp.join(self)
        try:
            while True:
                for msg in self.recv_all("inbox"):  # only while our outbox has no link
                    self.send(msg)
                if self.finished():
                    break
                self.pause()
                yield
        finally:
            bp.leave(self)
        end = self.end_message
        self.send(end if isinstance(end, EndSignal) else ProducerFinished("subscriber"), "signal")
