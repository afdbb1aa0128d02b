"""Boxes and links: where messages wait, and how a send reaches its final inbox.

Design notes
------------
1. Delivery is collapsed at link time.  Following links from an outbox (through any
   number of passthrough links, in whatever order they were made) ends at a set of
   *final* inboxes; the outbox's ``push`` is then bound to the final inbox's ``deliver``.
   For an unbounded inbox ``deliver`` is the deque's own ``append``, so a send costs one
   C-level call.  A box with several stops pushes through a :class:`Fan` (a list of
   delivers the push loops over).  A link or unlink updates the pushes of the boxes
   upstream of it in place, in O(boxes upstream) and not O(stops): one more inbox is
   appended to each of their fans (a Backplane subscriber joining), or removed from them
   when nothing else reaches it (leaving); other changes (a box's first link, a cycle
   check that fails, shared routes) recompute everything upstream.
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
from ._task import add_reader, block_send, control_arrived, drop_reader, find_readers

if TYPE_CHECKING:
    from ._component import Component
    from ._task import Task

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
        # (Box.__init__'s four lines, inline: a component's set-up makes four boxes)
        self.owner = owner
        self.name = name
        self.description = description
        self.links_out = self.links_in = _NO_LINKS
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
        self.plain = False  # (True with a deque: deliver is its append, send_many extends it)
        if size is None and policy is _BLOCK and key is None:  # (what _configure would do)
            self.deliver: Callable[[Any], None] = (
                self._deliver_control if self.watched else self._deliver_first)
            self.push = self.deliver
        else:
            self._configure(size, policy)

    def own_queue(self) -> deque[T]:
        """The inbox's deque, made now if it has none yet (see :data:`NO_MESSAGES`): for
        code that puts messages straight into it (``extendleft`` of messages put back)."""
        q = self.queue
        if q is NO_MESSAGES:
            q = self.queue = deque()
            if self.size is None and not self.watched and not self.closed and self.key is None:
                # (no longer _deliver_first; one bound append for both: each ``q.append``
                # read makes an object, which the collector then tracks)
                self.deliver = append = q.append
                self.plain = True
                if not self.links_out:
                    self.push = append
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
        if live and not self.links_out:  # (an inbox forwarding here is rebound too; one
            _closed_upstream(self)  # without live senders upstream is checked as it is
        return live  # put to: _notify_targets)

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

    __slots__ = ("targets", "held", "overflowed", "hold_limit")

    kind = "outbox"

    def __init__(self, owner: "Component", name: str, description: str) -> None:
        self.owner = owner  # (Box.__init__, inline as in Inbox's)
        self.name = name
        self.description = description
        self.links_out = self.links_in = _NO_LINKS
        # the final inboxes a send reaches: a tuple, or (past one) a list changed in place
        self.targets: tuple[Inbox[Any], ...] | list[Inbox[Any]] = ()
        self.held: deque[Any] | tuple[()] = ()  # sent while unlinked (a deque once used)
        self.overflowed = 0  # sent while unlinked beyond hold_limit: counted, not kept
        self.hold_limit = DEFAULT_HOLD_LIMIT
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

    @property
    def fan(self) -> Fan | None:
        """What it pushes through when it has more than one stop (else None)."""
        return _fan_of(self)

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


_NORMAL = LinkKind.NORMAL  # (an enum member read through its class is a slow lookup)


def make_link(source: Box, sink: Box, owner: "Component | None") -> Link:
    """Join two boxes and re-collapse delivery for everything upstream."""
    if (type(source) is Outbox and type(sink) is Inbox and source.links_out is _NO_LINKS
            and source.links_in is _NO_LINKS and sink.links_out is _NO_LINKS):
        # An outbox's first link, to an inbox that forwards nowhere: most links (every
        # link a Pipeline makes).  What the general path below does for it, without its
        # calls: with _fan_of's test and the boxes' inline constructors, bench.core's full
        # set-up 208,552 -> 180,108 instructions per component (bench.instructions).
        link = Link(source, sink, _NORMAL, owner)
        source.links_out = [link]
        if sink.links_in is _NO_LINKS:
            sink.links_in = [link]
        else:
            sink.links_in.append(link)
        push = sink.deliver_for(source)
        source.push = source.owner._axon_pushes[source.name] = push
        source.targets = (sink,)
        add_reader(source.owner, sink)  # (_readers_changed, for one target)
        if source.held:
            _release(source, source.held)
        return link
    link = Link(source, sink, _kind(source, sink), owner)
    had_links = bool(source.links_out)
    if source.links_out is _NO_LINKS:
        source.links_out = []
    if sink.links_in is _NO_LINKS:
        sink.links_in = []
    source.links_out.append(link)
    sink.links_in.append(link)
    if (isinstance(source, Outbox) and not source.links_in and isinstance(sink, Inbox)
            and not sink.links_out and (not had_links or _fan_of(source) is not None
                                        or source.targets)):
        _add_target(source, sink)  # O(1): one more inbox for a plain fan-out
        return link
    try:
        if not (had_links and _extend_upstream(source, sink)):
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
    if src.links_out and _shrink_upstream(src, link.sink):
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


class Fan:
    """Where the push of a box with more than one stop delivers: ``delivers[i]`` delivers
    to ``stops[i]`` (a final inbox, or an outbox that holds for a link still to come),
    whose owner's task is ``tasks[i]``.

    The push loops over ``delivers`` itself, so a stop is added or removed in place
    (:func:`_extend_upstream`, :func:`_shrink_upstream`) without rebinding anything.  An
    outbox's fan also marks itself ``sent`` (and its owner's task ``attend``) as it
    pushes: after the timeslice the scheduler wakes its sleeping readers then, and only
    then (``_task.wake_fan``; invariant 6 there).
    """

    __slots__ = ("stops", "delivers", "ids", "tasks", "sent")

    def __init__(self, stops: list[Box], delivers: list[Callable[[Any], None]]) -> None:
        self.stops = stops
        self.delivers = delivers
        self.ids = {id(b) for b in stops}
        self.tasks = [_task_of(b) for b in stops]
        self.sent = False

    def add(self, stop: Box, deliver: Callable[[Any], None]) -> bool:
        """Deliver to ``stop`` too (False if it already does)."""
        if id(stop) in self.ids:
            return False
        self.ids.add(id(stop))
        self.stops.append(stop)
        self.delivers.append(deliver)
        self.tasks.append(_task_of(stop))
        return True

    def remove(self, stop: Box) -> bool:
        """No longer deliver to ``stop`` (False if it did not)."""
        if id(stop) not in self.ids:
            return False
        self.ids.discard(id(stop))
        i = self.stops.index(stop)
        del self.stops[i], self.delivers[i], self.tasks[i]
        return True

    def push(self, task: Task | None) -> Callable[[Any], None]:
        """A push delivering to every stop (a closure: the cheapest call there is), which
        marks ``task`` (an outbox owner's) as it sends."""
        delivers = self.delivers
        fan = self

        if task is None:
            def push(msg: Any) -> None:
                for deliver in delivers:
                    deliver(msg)
        else:
            def push(msg: Any) -> None:
                for deliver in delivers:
                    deliver(msg)
                fan.sent = task.attend = True

        push.fan = self  # type: ignore[attr-defined]
        return push


def _task_of(box: Box) -> Task:
    task = box.owner._axon_task
    assert task is not None  # (made with the boxes)
    return task


def _fan_of(box: Box) -> Fan | None:
    """The :class:`Fan` ``box`` pushes through, if it has one."""
    push = box.push
    if type(push) is not _FUNCTION:  # (a fan's push is a plain function; asking anything
        return None  # else, e.g. a bound method, for "fan" raises and catches an
    fan = getattr(push, "fan", None)  # AttributeError: bench.core's full set-up 217,207 ->
    return fan if type(fan) is Fan else None  # 208,552 instructions per component)


_FUNCTION = type(_fan_of)


def _pushes_for(box: Box, stops: list[Box]) -> tuple[list[Inbox[Any]], list[Callable[[Any], None]]]:
    """The final inboxes among ``stops``, and the functions that deliver to every stop:
    an inbox's ``deliver``, or the ``_hold`` of an outbox (other than ``box``) that leads
    nowhere yet, so messages wait at the far end of a passthrough chain."""
    inboxes = [b for b in stops if isinstance(b, Inbox) and b is not box]
    pushes: list[Callable[[Any], None]] = []
    for b in stops:
        if b is box:
            continue
        pushes.append(_deliver_to(b, box))
    return inboxes, pushes


def _deliver_to(stop: Box, box: Box) -> Callable[[Any], None]:
    """What ``box`` calls to deliver to ``stop``."""
    return stop.deliver_for(box) if isinstance(stop, Inbox) else stop._hold  # type: ignore[attr-defined]


def _set_push(box: Box, stops: list[Box], pushes: list[Callable[[Any], None]]) -> None:
    """``box`` pushes to ``pushes`` (one per stop): straight, or through a Fan."""
    if len(pushes) == 1:
        push = pushes[0]
    else:
        push = Fan(stops, pushes).push(box.owner._axon_task if isinstance(box, Outbox) else None)
    box.push = push
    if isinstance(box, Outbox):
        box.owner._axon_pushes[box.name] = push


def _add_target(ob: Outbox[Any], sink: Inbox[Any]) -> None:
    """Add one more final inbox to an outbox with no links in: the common case (every
    Pipeline link, every subscriber's control) without a relink."""
    fan = _fan_of(ob)
    before = len(ob.targets)
    if fan is not None:
        if not fan.add(sink, sink.deliver_for(ob)):
            return
    else:
        if sink in ob.targets:
            return
        if ob.targets:
            _set_push(ob, [*ob.targets, sink], [ob.push, sink.deliver_for(ob)])
        else:
            ob.push = ob.owner._axon_pushes[ob.name] = sink.deliver_for(ob)
    _add_targets(ob, [sink])
    _readers_changed(ob, before, [sink], [])
    _release(ob, ob.held)


def _add_targets(ob: Outbox[Any], inboxes: list[Inbox[Any]]) -> None:
    targets = ob.targets
    if isinstance(targets, list):
        targets.extend(inboxes)  # (in place: a copy per join would be O(subscribers))
    else:
        new = [*targets, *inboxes]
        ob.targets = new if len(new) > 1 else tuple(new)


def _readers_changed(ob: Outbox[Any], before: int, added: list[Inbox[Any]],
                     removed: list[Component]) -> None:
    """``ob`` had ``before`` targets and gained ``added``, lost the inboxes of ``removed``:
    keep its owner's readers and fans (``_task.py``, invariant 4) up to date."""
    n = len(ob.targets)
    if (before > 1) != (n > 1):  # it became a fan-out, or stopped being one
        find_readers(ob.owner)
    elif n <= 1:
        for ib in added:
            add_reader(ob.owner, ib)
        for owner in removed:
            drop_reader(ob.owner, owner)
    # (else a fan-out still: its readers are its fan's, found as it sends)


def _remove_target(ob: Outbox[Any], inbox: Inbox[Any]) -> None:
    targets = ob.targets
    if isinstance(targets, list):
        targets.remove(inbox)
    else:
        ob.targets = tuple(t for t in targets if t is not inbox)


def _extend_upstream(source: Box, sink: Box) -> bool:
    """The link ``source`` -> ``sink`` was just added, and ``source`` had links already:
    add the stops ``sink`` leads to to every box upstream, in place.  False (nothing
    changed) where that is not simple: then the caller recomputes everything upstream.
    Raises LinkError if the link makes a cycle."""
    if sink is source:
        return False
    boxes = upstream(source)
    fans = [_fan_of(b) for b in boxes]
    if None in fans:
        return False  # (a box with one stop that would become a fan: a relink does it)
    new = ends(sink, (source,))  # (the trail finds a cycle back to source)
    for b, fan in zip(boxes, fans):
        assert fan is not None
        added: list[Inbox[Any]] = []
        for stop in new:
            if stop is not b and fan.add(stop, _deliver_to(stop, b)) and isinstance(stop, Inbox):
                added.append(stop)
        if added and isinstance(b, Outbox):
            before = len(b.targets)
            _add_targets(b, added)
            _readers_changed(b, before, added, [])
    return True


def _private(sink: Box, boxes: list[Box]) -> list[Box] | None:
    """The stops ``sink`` leads to, if none of ``boxes`` reaches them but through ``sink``:
    every link into ``sink`` and the boxes after it comes from one of those, or from a box
    none of ``boxes`` reaches (a Pipeline's inbox forwarding to its first child).  None
    otherwise."""
    after: dict[int, Box] = {}
    todo = [sink]
    while todo:
        b = todo.pop()
        if id(b) not in after:
            after[id(b)] = b
            todo.extend(lk.sink for lk in b.links_out)
    ups = {id(b) for b in boxes}
    for b in after.values():
        for lk in b.links_in:
            src = lk.source
            if id(src) not in after and any(id(u) in ups for u in upstream(src)):
                return None
    return ends(sink)


def _shrink_upstream(source: Box, sink: Box) -> bool:
    """The link ``source`` -> ``sink`` was just removed: remove what only ``sink`` led to
    from every box upstream, in place (adding ``source`` itself if it now leads nowhere:
    a final inbox, or an outbox that holds).  False (nothing changed) where that is not
    simple: then the caller recomputes everything upstream."""
    ups = upstream(source)
    gone = _private(sink, ups)
    if gone is None:
        return False
    boxes = ups if source.links_out else [b for b in ups if b is not source]
    fans = [_fan_of(b) for b in boxes]
    if None in fans or not boxes:
        return False
    if not source.links_out:
        _rebind(source, [source]) if isinstance(source, Outbox) else _rebind(source, [])
    for b, fan in zip(boxes, fans):
        assert fan is not None
        before = len(b.targets) if isinstance(b, Outbox) else 0
        removed: list[Component] = []
        added: list[Inbox[Any]] = []
        for stop in gone:
            if fan.remove(stop) and isinstance(b, Outbox) and isinstance(stop, Inbox):
                _remove_target(b, stop)
                removed.append(stop.owner)
        if not source.links_out and fan.add(source, _deliver_to(source, b)):
            if isinstance(b, Outbox) and isinstance(source, Inbox):
                _add_targets(b, [source])
                added.append(source)
        if len(fan.delivers) == 1:
            _set_push(b, fan.stops, fan.delivers)
        elif not fan.delivers:
            _rebind(b, [b])
        if isinstance(b, Outbox):
            _readers_changed(b, before, added, removed)
    return True


def _closed_upstream(ib: Inbox[Any]) -> None:
    """``ib`` (a final inbox) has closed: every box upstream now delivers to its count of
    drops, and its owner is no longer a reader of theirs."""
    for b in upstream(ib):
        if b is ib:
            continue
        fan = _fan_of(b)
        deliver = ib.deliver_for(b)
        if fan is not None:
            if id(ib) in fan.ids:
                fan.delivers[fan.stops.index(ib)] = deliver
        else:
            b.push = deliver
            if isinstance(b, Outbox):
                b.owner._axon_pushes[b.name] = deliver
        if isinstance(b, Outbox) and len(b.targets) <= 1:
            drop_reader(b.owner, ib.owner)


def _bind_outbox(ob: Outbox[Any], stops: list[Box]) -> None:
    inboxes, pushes = _pushes_for(ob, stops)
    ob.targets = tuple(inboxes)
    if not pushes:
        ob.push = ob._hold
        return
    _set_push(ob, [b for b in stops if b is not ob], pushes)
    _release(ob, ob.held)


def _bind_forwarding_inbox(ib: Inbox[Any], stops: list[Box]) -> None:
    _, pushes = _pushes_for(ib, stops)
    if not pushes:
        ib.push = ib.deliver  # nowhere to forward to yet: keep messages here
        return
    _set_push(ib, [b for b in stops if b is not ib], pushes)
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
    fan = _fan_of(box)
    targets = finals(box) if fan is None else [b for b in fan.stops if isinstance(b, Inbox)]
    for t in targets:
        if t.closed:  # reached through a forwarding inbox close() did not rebind
            t.dropped += len(t.queue)
            t.queue.clear()
        elif t.queue:
            owner = t.owner
            sched = owner._axon_scheduler
            if sched is not None:
                sched.wake(owner)
