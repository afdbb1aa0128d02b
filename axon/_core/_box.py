"""Boxes and links: where messages wait, and how a send reaches its final inbox.

Design notes
------------
1. Delivery is collapsed at link time.  Following links from an outbox (through any
   number of passthrough links, in whatever order they were made) ends at a set of
   *final* inboxes; the outbox's ``push`` is then bound to the final inbox's ``deliver``.
   For an unbounded inbox ``deliver`` is the deque's own ``append``, so a send costs one
   C-level call.  Every link or unlink recomputes the pushes of all boxes upstream of it.
2. Nothing is lost silently.  An outbox with no final inbox holds what is sent (up to
   ``hold_limit``) and hands it over once linked; what overflows is counted.
3. Bounded inboxes carry a :class:`Policy`.  Only bounded inboxes pay for a Python-level
   ``deliver``; the ``block`` policy hands the message back to the sender, which the
   scheduler then suspends until the receiver makes room (see ``Component``).
4. Wake-ups are not posted per message: after each timeslice the scheduler looks at the
   owners of the final inboxes the component can reach (its task's ``readers``, kept as
   links change: ``axon/_core/_task.py``) and wakes the paused ones.
5. An inbox whose reader has finished is *closed* (:meth:`Inbox.close`): what waited in it
   and everything sent to it later is counted as dropped, not queued for ever, and the
   pushes upstream are rebound to that count.  (A composition that hands a finished
   child's unread messages to a successor closes it only after moving them.)
6. A ``control`` inbox is *watched*: a delivery there also tells its owner
   (``_task.control_arrived``), so a ``Shutdown`` reaches a component blocked on a
   full inbox or awaiting something.  Control messages are rare; data inboxes keep the
   plain ``deque.append``.
7. A *priority inbox* (``BoxSpec(..., key=f)``, ``Inbox.order_by``) keeps its queue
   sorted by ``key(message)``, lowest first, first come first served among equal keys:
   each delivery puts the message in its place (one key call and a comparison when it
   goes last; a binary search otherwise).  Everything that takes from the queue (RECEIVE,
   RECEIVE_ONE, ``recv``, ``recv_all``) is unchanged: it takes from the front.  The key
   must depend on the message alone (it is called again on waiting messages).  Bounds
   keep their policies (``block``, ``error``, ``keep_latest``; ``drop_last`` drops the
   message that would be taken last, the highest key), except ``drop_oldest``, which
   would drop the most urgent message and is refused.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, bisect_right
from functools import partial
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._errors import BoxFull, LinkError
from ._task import add_reader, block_send, control_arrived, find_readers

if TYPE_CHECKING:
    from ._component import Component

__all__ = ["NOBODY", "NO_MESSAGES", "Box", "BoxSpec", "BoxStatistics", "Inbox", "Link", "LinkKind",
           "Outbox", "Policy"]

T = TypeVar("T")

#: Messages an unlinked outbox keeps for its future link before it starts counting overflow.
DEFAULT_HOLD_LIMIT = 10_000


class Policy(enum.Enum):
    """What a bounded inbox does when a message arrives and it is full."""

    BLOCK = "block"  #: suspend the sender until there is room (backpressure; nothing lost)
    DROP_OLDEST = "drop_oldest"  #: discard the oldest queued message (counted)
    #: discard the message that would be taken last, which may be the arriving one:
    #: the arriving one in a FIFO inbox, the highest key in a priority inbox (counted)
    DROP_LAST = "drop_last"
    KEEP_LATEST = "keep_latest"  #: keep only the newest message; older unread ones are dropped
    ERROR = "error"  #: raise BoxFull in the sender


_BLOCK = Policy.BLOCK  # (read per box made: see _NEW in axon/_core/_component.py)


@dataclass(frozen=True, slots=True)
class BoxSpec:
    """A box declaration with a bound: ``Inboxes = {"inbox": BoxSpec("jobs", 100, "block")}``.

    With ``key`` it declares a priority inbox: messages are taken lowest ``key(message)``
    first, in arrival order among equal keys (design note 7)."""

    description: str
    size: int | None = None
    policy: Policy | str = Policy.BLOCK
    key: Callable[[Any], Any] | None = None


@dataclass(frozen=True, slots=True)
class BoxStatistics:
    """A snapshot of one box."""

    name: str
    kind: str  # "inbox" or "outbox"
    description: str
    depth: int  # messages waiting (held, for an outbox)
    received: int  # messages taken out by recv / recv_all (inbox)
    dropped: int  # messages discarded by the box's policy or hold overflow
    size: int | None
    policy: str | None
    linked: bool
    closed: bool = False  # an inbox whose reader has finished: what arrives is dropped
    keyed: bool = False  # a priority inbox: messages are taken lowest key first


class LinkKind(enum.Enum):
    """How a link joins two boxes; derived from which kinds of box it joins."""

    NORMAL = "outbox->inbox"
    PASSTHROUGH_IN = "inbox->inbox"  # a parent's inbox forwarded to a child's inbox
    PASSTHROUGH_OUT = "outbox->outbox"  # a child's outbox forwarded to a parent's outbox
    FORWARD = "inbox->outbox"  # a component's inbox forwarded straight to an outbox


class Box:
    """A named, described box owned by one component.

    Slots, not a ``__dict__``: the scheduler reads boxes on every timeslice, and slot
    access stays fast whatever order attributes were set in (bench/core.py measured a
    dict-based box at about a tenth of the per-message cost).
    """

    __slots__ = ("owner", "name", "description", "links_out", "links_in", "push")

    kind = "box"

    def __init__(self, owner: "Component", name: str, description: str) -> None:
        self.owner = owner
        self.name = name
        self.description = description
        self.links_out: list[Link] = _NO_LINKS  # a list of its own from the first link
        self.links_in: list[Link] = _NO_LINKS
        self.push: Callable[[Any], None]

    def __repr__(self) -> str:
        owner = self.owner
        path = owner.path if owner is not None else "?"
        return f"<{type(self).__name__} {path}.{self.name}>"


_NO_LINKS: list[Link] = []  # shared, never appended to: see make_link

_NO_DROP_OLDEST = ("{!r}: a priority inbox does not take 'drop_oldest' (it would drop the most "
                   "urgent message); use 'drop_last' (drops the highest key) or 'block'")



def _no_key_for_a_thread(owner: Component, name: str) -> None:
    """A ThreadedComponent's thread takes from its inboxes while the scheduler delivers:
    a priority inbox's sorted insert is not one atomic step, as a deque's append is."""
    if type(owner)._axon_threaded:
        raise TypeError(f"{owner.path}.{name}: a ThreadedComponent cannot have a priority "
                        "inbox (its thread takes messages while they are sorted in)")

class _NoMessages(deque[Any]):
    """The type of :data:`NO_MESSAGES`: always empty; putting into it is a bug, so it raises."""

    __slots__ = ()

    def _refuse(self, *args: Any) -> None:
        raise TypeError("an inbox's shared empty queue: take Inbox.own_queue() to put into it")

    append = appendleft = extend = extendleft = insert = _refuse


#: The ``queue`` of every inbox that has no deque of its own yet: an inbox gets one as a
#: link first binds a sender to it (unbounded data inboxes, whose push is the deque's own
#: append), as a message first arrives, or from :meth:`Inbox.own_queue`.  An empty deque
#: costs 760 bytes, more than all the rest of an inbox, and most ``control`` inboxes never
#: hold a message (with ``NOBODY``: 4,119 -> 2,487 bytes per paused classic component,
#: bench/core.py's memory row at 20,000).
NO_MESSAGES: deque[Any] = _NoMessages((), 0)

#: Every inbox's ``blocked`` until a sender first waits for room in it (then a list).
NOBODY: tuple[Component, ...] = ()


class Inbox(Box, Generic[T]):
    """A queue of messages for its owner; possibly bounded with a :class:`Policy`."""

    __slots__ = ("queue", "size", "policy", "deliver", "_received", "dropped", "blocked",
                 "closed", "plain", "watched", "key")

    kind = "inbox"

    def __init__(
        self,
        owner: "Component",
        name: str,
        description: str,
        size: int | None = None,
        policy: Policy | str = Policy.BLOCK,
        key: Callable[[Any], Any] | None = None,
    ) -> None:
        Box.__init__(self, owner, name, description)
        if key is not None:
            _no_key_for_a_thread(owner, name)
        self.key = key  # a priority inbox's (design note 7); None: first in, first out
        # messages recv()/recv_all() took: a float, as the task's count is (floats come
        # from a free list, ints above 256 are allocated: bench.instructions)
        self._received = 0.0
        self.dropped = 0  # messages discarded by the policy, or sent after it closed
        # senders suspended until there is room (NOBODY, or a list: see _task.watch_for_room)
        self.blocked: list[Component] | tuple[Component, ...] = NOBODY
        self.closed = False  # its reader has finished (see close())
        # each delivery also tells the owner (a control inbox: see design note 6)
        self.watched = name == "control"
        self.queue: deque[T] = NO_MESSAGES  # a deque of its own on first use (see there)
        self.size: int | None = None
        self.policy = _BLOCK
        if size is None and policy is _BLOCK and not self.watched and key is None:
            self.deliver: Callable[[Any], None] = self._deliver_first
            self.push = self.deliver
            self.plain = False  # (True with a deque: deliver is its append, send_many extends it)
        else:
            self._configure(size, policy)

    def own_queue(self) -> deque[T]:
        """The inbox's deque, made now if it has none yet (see :data:`NO_MESSAGES`): for
        code that puts messages straight into it (``extendleft`` of messages put back)."""
        q = self.queue
        if q is NO_MESSAGES:
            q = self.queue = deque()
            if self.size is None and not self.watched and not self.closed and self.key is None:
                self.deliver = q.append  # (no longer _deliver_first)
                self.plain = True
                if not self.links_out:
                    self.push = q.append
            owner = self.owner
            if owner._axon_task is not None:
                owner._axon_sync_task()  # its task reads the queues (t.inq, wake_queues)
        return q

    def _deliver_first(self, msg: T) -> None:
        # an unbounded data inbox no link has reached: a message put from outside (or a
        # push cached before a link made the deque)
        self.own_queue().append(msg)

    @property
    def received(self) -> int:
        """Messages taken out (recv, recv_all, and RECEIVE batches, which the scheduler
        counts on the owner's task, where it is cheapest)."""
        n = self._received
        t = self.owner._axon_task
        if t is not None and t.inbox is self:
            n += t.received  # (floats: exact to 2**53 messages)
        return int(n)

    # -- configuration -------------------------------------------------------------------

    def set_bound(self, size: int | None, policy: Policy | str = Policy.BLOCK) -> None:
        """Bound this inbox to ``size`` messages (``None``: unbounded) with ``policy``."""
        self._configure(size, policy)
        relink_upstream(self)

    def order_by(self, key: Callable[[Any], Any] | None) -> None:
        """Make this a priority inbox: messages taken lowest ``key(message)`` first, in
        arrival order among equal keys (design note 7); None: first in, first out again.
        What waits now is put in that order."""
        if key is not None and not callable(key):
            raise TypeError(f"{self!r}: key must be a function of a message, not {key!r}")
        if key is not None:
            _no_key_for_a_thread(self.owner, self.name)
        if key is not None and self.size is not None and self.policy is Policy.DROP_OLDEST:
            raise ValueError(_NO_DROP_OLDEST.format(self))
        self.key = key
        if key is not None and self.queue:
            items = sorted(self.queue, key=key)  # (a stable sort: ties keep their order)
            self.queue.clear()
            self.queue.extend(items)
        self.set_bound(self.size, self.policy)

    def _configure(self, size: int | None, policy: Policy | str) -> None:
        if not isinstance(policy, Policy):
            policy = Policy(policy)
        if size is not None and (not isinstance(size, int) or size < 1):
            raise ValueError(f"{self!r}: size must be a positive int or None, not {size!r}")
        if self.key is not None and size is not None and policy is Policy.DROP_OLDEST:
            raise ValueError(_NO_DROP_OLDEST.format(self))
        if policy is Policy.KEEP_LATEST and size not in (None, 1):
            raise ValueError(f"{self!r}: keep_latest keeps exactly one message; size must be 1")
        if policy is Policy.KEEP_LATEST:
            size = 1
        self.size = size
        self.policy = policy
        deliver: Callable[[Any], None]
        if size is not None or self.key is not None:
            self.own_queue()  # (the policies' delivers, and the sorted insert, use it)
        if self.closed:
            deliver = self._deliver_closed
        elif size is None and not self.watched:
            q = self.queue
            deliver = self._deliver_first if q is NO_MESSAGES else q.append
        elif size is None:
            deliver = self._deliver_control  # (replaced below)
        elif policy is Policy.BLOCK:
            deliver = self._deliver_block
        elif policy is Policy.DROP_OLDEST:
            deliver = self._deliver_drop_oldest
        elif policy is Policy.KEEP_LATEST:
            deliver = self._deliver_keep_latest
        elif policy is Policy.DROP_LAST:
            deliver = self._deliver_drop_last
        else:
            deliver = self._deliver_error
        if self.key is not None and not self.closed:
            deliver = partial(self._deliver_keyed, deliver)
        self.plain = (size is None and not self.watched and not self.closed
                      and self.key is None and self.queue is not NO_MESSAGES)
        if self.watched and not self.closed:
            deliver = self._deliver_control if size is None and self.key is None else partial(
                self._deliver_watched, deliver)
        self.deliver = deliver
        if not self.links_out:
            self.push = self.deliver

    # -- policies ------------------------------------------------------------------------

    def deliver_for(self, sender: Box) -> Callable[[Any], None]:
        """What ``sender`` (a box upstream) calls to deliver here: ``deliver``, except that
        a full ``block`` box must know which component to suspend, so it is bound to the
        sending outbox's owner (which spares the scheduler from tracking who is running).
        An unbounded data inbox gets its deque now, so the push is the deque's append."""
        if self.queue is NO_MESSAGES and not self.watched and not self.closed:
            self.own_queue()
        if (self.size is not None and self.policy is _BLOCK and isinstance(sender, Outbox)
                and not self.closed):
            deliver = partial(self._deliver_block_from, sender.owner)
            if self.key is not None:
                deliver = partial(self._deliver_keyed, deliver)
            if self.watched:
                return partial(self._deliver_watched, deliver)
            return deliver
        return self.deliver

    def _deliver_control(self, msg: T) -> None:
        q = self.queue
        if q is NO_MESSAGES:
            q = self.own_queue()
        q.append(msg)
        control_arrived(self.owner, msg)

    def _deliver_watched(self, deliver: Callable[[Any], None], msg: T) -> None:
        deliver(msg)
        control_arrived(self.owner, msg)

    def _deliver_closed(self, msg: T) -> None:
        self.dropped += 1

    def close(self) -> list[Outbox[Any]]:
        """The reader has gone: drop (and count) what waits here and all that comes later.

        Rebinds every push that reaches this inbox (design note 5).  Returns the outboxes
        of live components that send here, for the scheduler to tell them (see
        ``ReaderGone``).  Senders blocked on it are the caller's to release.
        """
        if self.closed:
            return []
        self.closed = True
        q = self.queue
        self.dropped += len(q)
        q.clear()
        self.deliver = self._deliver_closed
        self.plain = False
        if not self.links_out:
            self.push = self.deliver
        for lk in self.links_in:  # the common case: fed by finished components' outboxes
            src = lk.source
            if src.links_in or (isinstance(src, Outbox) and not src.owner.done):
                break
        else:
            return []
        live = [b for b in upstream(self) if isinstance(b, Outbox) and not b.owner.done]
        if live:  # (an inbox forwarding here is rebound too; one without live senders
            relink_upstream(self)  # upstream is checked as it is put to: _notify_targets)
        return live

    def _deliver_block_from(self, sender: "Component", msg: T) -> None:
        # while earlier sends of the sender are blocked this one is too, even if there is
        # room now (a ThreadedComponent's thread can make room mid-timeslice): nothing
        # overtakes a blocked send
        if len(self.queue) < self.size and sender._axon_task.blocked_sends is None:  # type: ignore[operator,union-attr]
            self.queue.append(msg)
            return
        if sender._axon_scheduler is None:
            raise BoxFull(f"{self!r} is full ({self.size} messages) and {sender.path} is not "
                          "running")
        block_send(sender, self, msg)

    def _deliver_block(self, msg: T) -> None:
        if len(self.queue) < self.size:  # type: ignore[operator]
            self.queue.append(msg)
            return
        sched = self.owner._axon_scheduler
        sender = sched.current if sched is not None else None
        if sender is None:
            raise BoxFull(f"{self!r} is full ({self.size} messages) and no component is sending")
        block_send(sender, self, msg)

    def _deliver_drop_oldest(self, msg: T) -> None:
        q = self.queue
        if len(q) >= self.size:  # type: ignore[operator]
            q.popleft()
            self.dropped += 1
        q.append(msg)

    def _deliver_keep_latest(self, msg: T) -> None:
        q = self.queue
        if q:
            self.dropped += len(q)
            q.clear()
        q.append(msg)

    def _deliver_drop_last(self, msg: T) -> None:
        q = self.queue
        if len(q) >= self.size:  # type: ignore[operator]
            self.dropped += 1
            key = self.key
            if key is None or not key(msg) < key(q[-1]):
                return  # it would be taken last (ties go by arrival): it is the one dropped
            q.pop()  # the waiting message that would be taken last
        q.append(msg)

    def _deliver_keyed(self, deliver: Callable[[Any], None], msg: T) -> None:
        """A priority inbox's delivery: ``deliver`` by the policy (which appends, if it
        keeps the message), then move the last message to its place by key."""
        deliver(msg)
        q = self.queue
        if len(q) > 1:
            key = self.key
            assert key is not None
            last = q[-1]
            k = key(last)
            if k < key(q[-2]):  # (else it is in place: the common case)
                q.pop()
                q.insert(bisect_right(q, k, key=key), last)

    def put_front(self, msgs: Sequence[T]) -> None:
        """Return taken messages to the front, in order (``Component.put_back``): taken
        again first; in a priority inbox, first among those of an equal key."""
        q = self.own_queue()
        key = self.key
        if key is None:
            q.extendleft(reversed(msgs))
            return
        for msg in reversed(msgs):
            q.insert(bisect_left(q, key(msg), key=key), msg)

    def _deliver_error(self, msg: T) -> None:
        if len(self.queue) >= self.size:  # type: ignore[operator]
            raise BoxFull(f"{self!r} is full ({self.size} messages; policy 'error')")
        self.queue.append(msg)

    # -- use from outside a timeslice --------------------------------------------------------

    def has_room(self) -> bool:
        """True when a ``block``-policy delivery would not have to wait."""
        return self.size is None or self.policy is not Policy.BLOCK or len(self.queue) < self.size

    def put(self, msg: T) -> None:
        """Deliver ``msg`` from outside any component (tests, handles, callbacks) and wake.

        Raises :class:`BoxFull` where the policy would make a component wait.
        """
        self.push(msg)
        _notify_targets(self)

    def statistics(self) -> BoxStatistics:
        return BoxStatistics(
            self.name, "inbox", self.description, len(self.queue), self.received, self.dropped,
            self.size, self.policy.value if self.size is not None else None,
            bool(self.links_in), self.closed, self.key is not None,
        )


class Outbox(Box, Generic[T]):
    """Where a component sends; ``push`` goes straight to the linked inboxes."""

    __slots__ = ("targets", "held", "overflowed", "hold_limit", "fans_out", "_fan",
                 "_target_ids")

    kind = "outbox"

    def __init__(self, owner: "Component", name: str, description: str) -> None:
        Box.__init__(self, owner, name, description)
        self.targets: tuple[Inbox[Any], ...] = ()  # the final inboxes a send reaches
        self.held: deque[Any] | tuple[()] = ()  # sent while unlinked (a deque once used)
        self.overflowed = 0  # sent while unlinked beyond hold_limit: counted, not kept
        self.hold_limit = DEFAULT_HOLD_LIMIT
        self.fans_out = True  # every link (if any) goes straight to a final inbox
        self._fan: list[Callable[[Any], None]] | None = None
        self._target_ids: set[int] | None = None
        self.push = self._hold

    def _hold(self, msg: T) -> None:
        held = self.held
        if not held:
            if held == ():
                held = self.held = deque()
        if len(held) < self.hold_limit:
            held.append(msg)  # type: ignore[union-attr]
        else:
            self.overflowed += 1

    def statistics(self) -> BoxStatistics:
        return BoxStatistics(
            self.name, "outbox", self.description, len(self.held), 0, self.overflowed,
            None, None, bool(self.targets),
        )


@dataclass(slots=True, eq=False)
class Link:
    """One link from a box to a box, made (and owned) by ``owner``."""

    source: Box
    sink: Box
    kind: LinkKind
    owner: "Component | None" = None

    def __repr__(self) -> str:
        return f"<Link {self.source!r} -> {self.sink!r} ({self.kind.value})>"


# -- making and breaking links -------------------------------------------------------------


def _kind(source: Box, sink: Box) -> LinkKind:
    if isinstance(source, Outbox):
        return LinkKind.NORMAL if isinstance(sink, Inbox) else LinkKind.PASSTHROUGH_OUT
    return LinkKind.PASSTHROUGH_IN if isinstance(sink, Inbox) else LinkKind.FORWARD


def make_link(source: Box, sink: Box, owner: "Component | None") -> Link:
    """Join two boxes and re-collapse delivery for everything upstream."""
    link = Link(source, sink, _kind(source, sink), owner)
    if source.links_out is _NO_LINKS:
        source.links_out = []
    if sink.links_in is _NO_LINKS:
        sink.links_in = []
    source.links_out.append(link)
    sink.links_in.append(link)
    if (isinstance(source, Outbox) and source.fans_out and not source.links_in
            and isinstance(sink, Inbox) and not sink.links_out):
        _add_fan_out_target(source, sink)  # O(1): one more inbox for a plain fan-out
        return link
    try:
        relink_upstream(source)
    except LinkError:
        source.links_out.remove(link)
        sink.links_in.remove(link)
        relink_upstream(source)
        raise
    return link


def break_link(link: Link) -> None:
    """Remove a link; messages already delivered stay where they are."""
    try:
        link.source.links_out.remove(link)
        link.sink.links_in.remove(link)
    except ValueError:
        return  # already gone
    src = link.source
    if isinstance(src, Outbox) and src.owner.done and not src.links_in:
        # a finished component sends nothing more: no delivery to recompute (this is
        # most of tearing a finished system down)
        if not src.links_out:
            src.targets = ()
        return
    relink_upstream(src)


def ends(box: Box, trail: tuple[Box, ...] = ()) -> list[Box]:
    """Where a message pushed into ``box`` stops: final inboxes, and outboxes that lead
    nowhere yet (which hold it until they are linked).  In link order, no repeats."""
    links = box.links_out
    if not links:
        return [box]
    if len(links) == 1 and not trail:
        sink = links[0].sink
        if isinstance(sink, Inbox) and not sink.links_out and sink is not box:
            return [sink]
    out: list[Box] = []
    seen: set[int] = set()
    trail = trail + (box,)
    for link in links:
        if link.sink in trail:
            names = " -> ".join(repr(b) for b in trail + (link.sink,))
            raise LinkError(f"links make a cycle: {names}")
        for f in ends(link.sink, trail):
            if id(f) not in seen:
                seen.add(id(f))
                out.append(f)
    return out


def finals(box: Box) -> list[Inbox[Any]]:
    """The inboxes a message pushed into ``box`` ends up in (in link order, no repeats)."""
    return [b for b in ends(box) if isinstance(b, Inbox)]


def upstream(box: Box) -> list[Box]:
    """``box`` and every box whose messages can flow into it."""
    seen: dict[int, Box] = {}
    todo = [box]
    while todo:
        b = todo.pop()
        if id(b) in seen:
            continue
        seen[id(b)] = b
        todo.extend(link.source for link in b.links_in)
    return list(seen.values())


def relink_upstream(box: Box) -> None:
    """Recompute delivery for ``box`` and every box whose messages can flow into it."""
    if not box.links_in:  # the common case: nothing upstream
        _rebind(box, ends(box))
        return
    # validate everything before changing anything, so a cycle leaves no half-made state
    resolved = [(b, ends(b)) for b in upstream(box)]
    for b, targets in resolved:
        _rebind(b, targets)


def _rebind(box: Box, stops: list[Box]) -> None:
    """Point ``box``'s delivery at ``stops`` (from :func:`ends`)."""
    if isinstance(box, Outbox):
        _bind_outbox(box, stops)
        find_readers(box.owner)
    elif box.links_out:
        _bind_forwarding_inbox(box, stops)  # type: ignore[arg-type]
    else:
        box.push = box.deliver  # type: ignore[attr-defined]


def _push_to_all(delivers: list[Callable[[Any], None]]) -> Callable[[Any], None]:
    def push(msg: Any) -> None:
        for deliver in delivers:
            deliver(msg)

    return push


def _pushes_for(box: Box, stops: list[Box]) -> tuple[list[Inbox[Any]], list[Callable[[Any], None]]]:
    """The final inboxes among ``stops``, and the functions that deliver to every stop:
    an inbox's ``deliver``, or the ``_hold`` of an outbox (other than ``box``) that leads
    nowhere yet, so messages wait at the far end of a passthrough chain."""
    inboxes = [b for b in stops if isinstance(b, Inbox) and b is not box]
    pushes: list[Callable[[Any], None]] = []
    for b in stops:
        if b is box:
            continue
        pushes.append(b.deliver_for(box) if isinstance(b, Inbox) else b._hold)  # type: ignore[attr-defined]
    return inboxes, pushes


def _add_fan_out_target(ob: Outbox[Any], sink: Inbox[Any]) -> None:
    """Add one more final inbox to an outbox whose links all go straight to inboxes: the
    common case (every Pipeline link, every Backplane subscriber) without a relink."""
    ids = ob._target_ids
    if ids is None or len(ids) != len(ob.targets):
        ids = ob._target_ids = {id(t) for t in ob.targets}
    if id(sink) in ids:
        return
    ids.add(id(sink))
    ob.targets = ob.targets + (sink,)
    if len(ob.targets) == 1:
        ob.push = sink.deliver_for(ob)
    elif ob._fan is None:
        ob._fan = [t.deliver_for(ob) for t in ob.targets]
        ob.push = _push_to_all(ob._fan)
    else:
        ob._fan.append(sink.deliver_for(ob))  # the push closure iterates this very list
    owner = ob.owner
    owner._axon_pushes[ob.name] = ob.push
    add_reader(owner, sink)
    _release(ob, ob.held)


def _bind_outbox(ob: Outbox[Any], stops: list[Box]) -> None:
    inboxes, pushes = _pushes_for(ob, stops)
    ob.targets = tuple(inboxes)
    ob._target_ids = None
    ob.fans_out = not ob.links_in and all(
        isinstance(lk.sink, Inbox) and not lk.sink.links_out for lk in ob.links_out
    )
    ob._fan = None
    if not pushes:
        ob.push = ob._hold
        return
    if len(pushes) == 1:
        ob.push = pushes[0]
    else:
        ob._fan = pushes if ob.fans_out else None
        ob.push = _push_to_all(pushes)
    _release(ob, ob.held)


def _bind_forwarding_inbox(ib: Inbox[Any], stops: list[Box]) -> None:
    _, pushes = _pushes_for(ib, stops)
    if not pushes:
        ib.push = ib.deliver  # nowhere to forward to yet: keep messages here
        return
    ib.push = pushes[0] if len(pushes) == 1 else _push_to_all(pushes)
    _release(ib, ib.queue)


def _release(box: Box, waiting: deque[Any] | tuple[()]) -> None:
    """``box`` leads somewhere now: push on what waited in it (held or queued)."""
    if waiting:
        msgs = list(waiting)
        waiting.clear()
        _push_outside(box, msgs)


def _push_outside(box: Box, msgs: Iterable[Any]) -> None:
    """Push messages that were waiting in ``box`` on to its final inboxes, and wake them."""
    for msg in msgs:
        box.push(msg)
    _notify_targets(box)


def _notify_targets(box: Box) -> None:
    targets = finals(box)
    for t in targets:
        if t.closed:  # reached through a forwarding inbox close() did not rebind
            t.dropped += len(t.queue)
            t.queue.clear()
        elif t.queue:
            owner = t.owner
            sched = owner._axon_scheduler
            if sched is not None:
                sched.wake(owner)
