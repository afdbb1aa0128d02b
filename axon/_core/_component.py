"""The component: a generator with named inboxes and outboxes that knows nothing of its links."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar

from ._box import NO_MESSAGES, Box, BoxSpec, Inbox, Link, Outbox, Policy, break_link, make_link
from ._errors import AxonError, EmptyBox, LinkError
from ._message import EndSignal, Shutdown
from ._priority import Priority, as_priority
from ._task import NO_ROOM, PAUSING, RECEIVE, State, Task, _ccore

if TYPE_CHECKING:
    from ._scheduler import Scheduler

__all__ = ["RECEIVE", "Component", "State"]

BoxRef = tuple["Component", str]
_QUEUE = attrgetter("queue")


def _spec(value: str | BoxSpec) -> BoxSpec:
    if isinstance(value, BoxSpec):
        return value
    if isinstance(value, str):
        return BoxSpec(value)
    raise TypeError(f"a box is declared as 'name': 'description' or a BoxSpec, not {value!r}")


def _declared(cls: type, attr: str, defaults: Mapping[str, Any]) -> tuple[tuple[str, BoxSpec], ...]:
    """The boxes ``cls.<attr>`` declares: a dict of name -> description (or BoxSpec), or
    Kamaelia's list of names (the usual boxes then get their usual descriptions)."""
    boxes = getattr(cls, attr)
    if isinstance(boxes, Mapping):
        return tuple((n, _spec(v)) for n, v in boxes.items())
    if isinstance(boxes, (list, tuple)) and all(isinstance(n, str) for n in boxes):
        return tuple((n, _spec(defaults.get(n, f"{n} (no description given)"))) for n in boxes)
    raise TypeError(
        f"{cls.__name__}.{attr} declares boxes as a dict of name -> description "
        f"({{'inbox': 'data to process', ...}}) or a list of names (['inbox', 'control']), "
        f"not {boxes!r}"
    )


class Component:
    """A unit of a system: implement ``main()`` as a generator that uses only its own boxes.

    Boxes are declared as ``name -> description`` dicts; a subclass's dict replaces the
    default (extend it with ``{**Component.Inboxes, "extra": "..."}``).  Kamaelia's form,
    a list of names (``Inboxes = ["inbox", "control"]``), is accepted too.  ``main()`` ends its
    timeslice with a bare ``yield``; after ``self.pause()`` that ``yield`` sleeps until a
    message arrives; yielding an asyncio awaitable resumes it with the result.
    """

    Inboxes: ClassVar[Mapping[str, str | BoxSpec]] = {
        "inbox": "data to process",
        "control": "ProducerFinished or Shutdown",
    }
    Outboxes: ClassVar[Mapping[str, str | BoxSpec]] = {
        "outbox": "results",
        "signal": "ProducerFinished or Shutdown, passed on",
    }

    _axon_pause_on_data: ClassVar[bool] = True  # a paused component wakes on inbox data
    _axon_inbox_specs: ClassVar[tuple[tuple[str, BoxSpec], ...]] = ()
    _axon_outbox_specs: ClassVar[tuple[tuple[str, BoxSpec], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._axon_prepare_box_specs()
        _seed_instance_keys(cls)

    @classmethod
    def _axon_prepare_box_specs(cls) -> None:
        ins = _declared(cls, "Inboxes", _USUAL_INBOXES)
        outs = _declared(cls, "Outboxes", _USUAL_OUTBOXES)
        both = {n for n, _ in ins} & {n for n, _ in outs}
        if both:
            raise TypeError(f"{cls.__name__}: box names used as inbox and outbox: {sorted(both)}")
        cls._axon_inbox_specs = ins
        cls._axon_outbox_specs = outs

    # The core's own state and helpers on a component are named ``_axon_*``, so that a
    # subclass's private names (``self._name``, ``self._links``, ``self._taken``: one such
    # clash bit the process layer) never collide with them; what the scheduler keeps per
    # run is in the Task (axon/_core/_task.py).  The state starts as class-level defaults;
    # an instance gets its own value when it first changes, so making a component stays
    # cheap (bench/core.py measures it).
    end_message: EndSignal | None = None
    _axon_parent: Component | None = None
    _axon_label: str | int | None = None
    _axon_children: list[Component] = []
    _axon_links: list[Link] = []
    _axon_scheduler: Scheduler | None = None
    _axon_task: Task | None = None  # the scheduler's record, made with the boxes
    _axon_unfinished = 0  # children not yet finished
    _axon_name: str | None = None
    _axon_receive_limit: int | None = None
    _axon_priority = 0  # its priority class (an int: see the priority property)
    _axon_own_priority = False  # set on it, not taken from its parent
    _axon_supervises: ClassVar[bool] = False  # a Supervisor: its descendants run supervised
    # woken by what the links do not show (its own thread, the scheduler's hooks): the
    # search for components that nothing can wake counts it as able to run
    _axon_woken_unseen: ClassVar[bool] = False
    # its own thread takes from its inboxes (a ThreadedComponent): no priority inboxes
    _axon_threaded: ClassVar[bool] = False

    def __init__(self, *, name: str | None = None, priority: Priority | int | None = None) -> None:
        if name is not None:
            self._axon_name = name
        if priority is not None:
            self.priority = priority

    # The boxes are made on first use (a link, a send, a look at ``inboxes``), not in
    # __init__ nor at activation: a component that is built but never wired costs one
    # object, and one activated with nothing linked to it (a paused worker waiting to be
    # told something) only its task and its generator.  Until then the class-level empty
    # defaults below stand in, and every slow path calls _axon_ensure_boxes().  (Not a
    # __getattr__ hook: that defeats CPython's attribute specialisation on every access.)
    _axon_inboxes: dict[str, Inbox[Any]] = {}  # never written: _axon_make_boxes gives each its own
    _axon_outboxes: dict[str, Outbox[Any]] = {}
    _axon_pushes: dict[str, Any] = {}
    _axon_queues: tuple[deque[Any], ...] = ()
    _axon_wake_boxes: tuple[str, ...] | None = None  # set by wake_on(); None: every inbox

    # None of the core reads ``self.__dict__``: on CPython 3.11 reading it makes the
    # instance build a dict, and every ``self.x`` load after that misses its specialised
    # fast path (with end_message on the instance, see _axon_make_boxes, and one lookup
    # in recv_all: the classic idiom 11,872 -> 9,952 instructions per hop at one message
    # per timeslice, ``python -m bench.instructions``).  Which state is the instance's own is told by the
    # value instead: ``_axon_inboxes`` is the shared class-level dict until the boxes
    # exist (``_axon_task`` is None until they exist or it is activated), and the shared
    # class lists are replaced by the instance's own on first use.
    def _axon_ensure_boxes(self) -> None:
        if self._axon_inboxes is _NO_BOXES:
            self._axon_make_boxes()

    def _axon_make_task(self) -> None:
        """Activation without boxes (nothing linked to it yet): its task alone, waiting on
        nothing.  Nothing can reach it before its boxes are made (a link, a send, ``put``
        into one of its ``inboxes``, all of which make them), and making them gives the
        task their queues (:meth:`_axon_sync_task`).  Without its boxes a paused
        component costs 2,140 -> 680 bytes (bench.core's memory row, 100,000 of them)."""
        task = self._axon_task = Task(self)
        task.inbox = _NO_INBOX  # (RECEIVE's slow path finds nothing in it, and sleeps)
        self.end_message = self.end_message  # (on the instance: see _axon_make_boxes)

    def _axon_make_boxes(self, linked: str | None = None) -> None:
        """Make the boxes; ``linked``: the inbox a link is about to reach, whose delivery
        needs its deque (:meth:`Inbox.deliver_for`), which is made here, before the task
        gathers its queues, not after (that would gather them twice: with the other
        set-up changes of its commit, 160,184 -> 156,132 instructions per component in
        bench.core's full set-up)."""
        if self._axon_task is not None:  # activated before its boxes were made: the
            linked = None  # queue is made as the link binds (and the task told then)
        ins: dict[str, Inbox[Any]] = {}  # (loops, not comprehensions: in 3.11 each of
        for n, s in self._axon_inbox_specs:  # those is a function call, per component)
            ib = ins[n] = Inbox(self, n, s.description, s.size, s.policy, s.key)
            if n == linked and ib.queue is NO_MESSAGES and not ib.watched:
                ib.own_queue()  # (no task to tell yet)
        obs: dict[str, Outbox[Any]] = {}
        pushes: dict[str, Any] = {}
        for n, s in self._axon_outbox_specs:
            ob = obs[n] = Outbox(self, n, s.description)
            pushes[n] = ob.push
        self._axon_pushes = pushes
        # on the instance: CPython 3.11 specialises ``self.end_message`` (read by pause()
        # and finished() every timeslice) only for an instance attribute, not a class one
        self.end_message = self.end_message
        self._axon_outboxes = obs
        self._axon_inboxes = ins
        if self._axon_task is None:  # (else activated before its boxes were made)
            self._axon_task = Task(self)
        self._axon_sync_task()

    def _axon_sync_task(self) -> None:
        """Give the task the queues it reads, from the inboxes and wake_on()'s choice."""
        ins = self._axon_inboxes
        task = self._axon_task
        assert task is not None
        self._axon_queues = tuple(map(_QUEUE, ins.values()))  # (no Python frame)
        ctl = ins.get("control")
        task.control = ctl.queue if ctl is not None else None
        data = ins.get("inbox")
        if data is None:  # RECEIVE then waits on nothing; keep the scheduler's path uniform
            data = Inbox(self, "inbox", "(none declared)")
        task.inbox = data
        task.limit = self._axon_receive_limit
        task.inq = NO_ROOM if data.blocked or task.limit is not None else data.queue
        chosen = self._axon_wake_boxes
        waking = self._axon_queues if chosen is None else tuple(ins[b].queue for b in chosen)
        task.wake_queues = waking
        task.pause_queues = waking if self._axon_pause_on_data else ()

    @property
    def name(self) -> str:
        """The component's own name (default: its class name)."""
        return self._axon_name or type(self).__name__

    @name.setter
    def name(self, value: str) -> None:
        self._axon_name = value

    # -- identity --------------------------------------------------------------------------

    @property
    def priority(self) -> Priority:
        """Its priority class: the scheduler runs higher classes first, and starves none
        (scheduler design note 8; ``Priority``: LOW, NORMAL, HIGH, URGENT).

        Set it at construction (``priority=``), before it runs or while it runs (from
        its next turn).  A component that never set one takes its parent's as it starts,
        and follows its parent's changes: setting a composition's class sets its
        children's.  Default: NORMAL.
        """
        node = self
        while not node._axon_own_priority and node._axon_parent is not None:
            node = node._axon_parent  # (what it takes as it starts)
        return Priority(node._axon_priority)

    @priority.setter
    def priority(self, value: Priority | int) -> None:
        self._axon_own_priority = True
        self._axon_set_priority(as_priority(value, self.path))

    def _axon_set_priority(self, p: int) -> None:
        old = self._axon_priority
        if p != old:
            self._axon_priority = p
            sched = self._axon_scheduler
            if sched is not None and not self.done:
                sched._priority_changed(self, old)
        for child in self._axon_children:  # those that follow it
            if not child._axon_own_priority:
                child._axon_set_priority(p)

    @property
    def path(self) -> str:
        """The component's place in the system, e.g. ``Pipeline[2]:Parser``."""
        if self._axon_parent is None:
            return self.name
        return f"{self._axon_parent.path}[{self._axon_label}]:{self.name}"

    @property
    def state(self) -> State:
        """Where it is in its life (its task's state; NEW until it has boxes)."""
        t = self._axon_task
        return t.state if t is not None else _NEW

    @property
    def done(self) -> bool:
        """True once ``main()`` has ended (normally or by an error)."""
        t = self._axon_task
        return t is not None and (t.state is _FINISHED or t.state is _FAILED)

    @property
    def caught_up(self) -> bool:
        """True once it has handled all it took: it paused (or is about to, on its next
        turn), asked for its next batch (``yield RECEIVE`` and was requeued), or finished
        normally.  For edges that acknowledge input once the system downstream has
        processed it."""
        t = self._axon_task
        if t is None:
            return False
        state = t.state
        return (state is State.PAUSED or state is State.FINISHED
                or (state is State.RUNNABLE and (t.resume is RECEIVE or t.resume is PAUSING)))

    @property
    def scheduler(self) -> "Scheduler | None":
        return self._axon_scheduler

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path} {self.state.value}>"

    # -- boxes ------------------------------------------------------------------------------

    @property
    def inboxes(self) -> Mapping[str, Inbox[Any]]:
        """The inboxes by name.  Each has its own deque from here on (code may keep
        ``inboxes["control"].queue`` and read it later); the core's own paths do not
        come here, so an inbox nothing has reached costs no deque (NO_MESSAGES in
        axon/_core/_box.py)."""
        self._axon_ensure_boxes()
        ins = self._axon_inboxes
        for ib in ins.values():
            if ib.queue is NO_MESSAGES:
                ib.own_queue()
        return ins

    @property
    def outboxes(self) -> Mapping[str, Outbox[Any]]:
        self._axon_ensure_boxes()
        return self._axon_outboxes

    def add_inbox(
        self, name: str, description: str, size: int | None = None,
        policy: Policy | str = Policy.BLOCK, key: Callable[[Any], Any] | None = None,
    ) -> Inbox[Any]:
        """Give this instance (only) another inbox (with ``key``, a priority inbox: see
        ``BoxSpec``)."""
        self._axon_ensure_boxes()
        if name in self._axon_inboxes or name in self._axon_outboxes:
            raise ValueError(f"{self.path} already has a box named {name!r}")
        ib = self._axon_inboxes[name] = Inbox(self, name, description, size, policy, key)
        self._axon_sync_task()
        return ib

    def add_outbox(self, name: str, description: str) -> Outbox[Any]:
        """Give this instance (only) another outbox."""
        self._axon_ensure_boxes()
        if name in self._axon_inboxes or name in self._axon_outboxes:
            raise ValueError(f"{self.path} already has a box named {name!r}")
        ob = self._axon_outboxes[name] = Outbox(self, name, description)
        self._axon_pushes[name] = ob.push
        return ob

    def set_bound(self, box: str, size: int | None, policy: Policy | str = Policy.BLOCK) -> None:
        """Bound inbox ``box`` to ``size`` messages with ``policy`` (see :class:`Policy`)."""
        self._axon_inbox(box).set_bound(size, policy)

    def _axon_inbox(self, box: str) -> Inbox[Any]:
        self._axon_ensure_boxes()
        try:
            return self._axon_inboxes[box]
        except KeyError:
            raise AxonError(
                f"{self.path} has no inbox {box!r} (inboxes: {', '.join(self._axon_inboxes)})"
            ) from None

    def _axon_sink_box(self, box: str) -> Box:
        """:meth:`_axon_box` for the sink of a link about to be made."""
        if self._axon_inboxes is _NO_BOXES:
            self._axon_make_boxes(box)
        return self._axon_box(box)

    def _axon_box(self, box: str) -> Box:
        if self._axon_inboxes is _NO_BOXES:  # (_axon_ensure_boxes, inline: four times per link)
            self._axon_make_boxes()
        found: Box | None = self._axon_inboxes.get(box)
        if found is None:
            found = self._axon_outboxes.get(box)
        if found is None:
            raise LinkError(
                f"{self.path} has no box {box!r} (inboxes: {', '.join(self._axon_inboxes)}; "
                f"outboxes: {', '.join(self._axon_outboxes)})"
            )
        return found

    # -- sending ----------------------------------------------------------------------------

    def send(self, msg: Any, box: str = "outbox") -> None:
        """Send ``msg`` on outbox ``box``: straight into the linked inbox(es)."""
        try:
            self._axon_pushes[box](msg)
        except KeyError:
            if box in self._axon_pushes:
                raise
            if self._axon_inboxes is _NO_BOXES:
                self._axon_make_boxes()
                return self.send(msg, box)
            raise AxonError(
                f"{self.path} has no outbox {box!r} (outboxes: {', '.join(self._axon_outboxes)})"
            ) from None

    def send_many(self, msgs: Iterable[Any], box: str = "outbox") -> None:
        """Send every message of ``msgs`` in order (one C-level extend where possible)."""
        self._axon_ensure_boxes()
        try:
            ob = self._axon_outboxes[box]
        except KeyError:
            raise AxonError(
                f"{self.path} has no outbox {box!r} (outboxes: {', '.join(self._axon_outboxes)})"
            ) from None
        targets = ob.targets
        if len(targets) == 1 and targets[0].plain:
            targets[0].queue.extend(msgs)
        else:
            push = ob.push
            for msg in msgs:
                push(msg)

    # -- receiving --------------------------------------------------------------------------

    def recv(self, box: str = "inbox") -> Any:
        """Take the oldest message from inbox ``box``; raises :class:`EmptyBox` if none."""
        try:  # (one lookup; ``box in d`` then ``d[box]`` is two)
            ib = self._axon_inboxes[box]
        except KeyError:
            ib = self._axon_inbox(box)
        try:
            msg = ib.queue.popleft()
        except IndexError:
            raise EmptyBox(
                f"{self.path}: recv() on empty inbox {box!r}; check data_ready() first"
            ) from None
        ib._received += 1.0
        if ib.blocked:
            self._axon_scheduler.unblock(ib)  # type: ignore[union-attr]
        return msg

    def recv_all(self, box: str = "inbox") -> list[Any]:
        """Take every message waiting in inbox ``box``, oldest first (possibly none)."""
        try:  # (one lookup; ``box in d`` then ``d[box]`` is two)
            ib = self._axon_inboxes[box]
        except KeyError:
            ib = self._axon_inbox(box)
        q = ib.queue
        n = len(q)
        if n == 1:  # (the common case at one message per timeslice: no copy, no clear;
            # with float counts, 7,844 -> 7,088 instructions per hop, bench.instructions)
            items = [q.popleft()]
            ib._received += 1.0
        elif n:
            items = list(q)
            q.clear()
            ib._received += n
        else:
            return []
        if ib.blocked:
            self._axon_scheduler.unblock(ib)  # type: ignore[union-attr]
        return items

    def put_back(self, msgs: Iterable[Any], box: str = "inbox") -> None:
        """Return messages taken from inbox ``box`` (the unprocessed tail of a RECEIVE
        batch, say) to its front, in order: taken again first, counted as waiting, and
        handed to a replacement if this component fails.

        For a component that stops partway through a long batch to let the rest of the
        system run (``components`` Stage does).  The inbox may hold more than its bound
        until they are taken again: they were in it before.
        """
        ib = self._axon_inbox(box)
        items = list(msgs)
        ib.put_front(items)
        ib._received -= len(items)
        taken = self._axon_task.taken if self._axon_task is not None else None
        if taken:
            for msg in items:  # they were not processed: not "taken" any more
                if taken and taken[-1] is msg:
                    taken.pop()

    @property
    def receive_limit(self) -> int | None:
        """At most this many messages per ``yield RECEIVE`` (None: all that wait).

        The rest stay in the inbox, where they count as waiting, keep a bounded inbox
        full (backpressure) and go to a replacement if the component fails.  A supervisor
        sets 1 on what it supervises (see ``Supervisor``).  A limit takes the scheduler's
        slower RECEIVE path (about a timeslice's cost more per batch)."""
        return self._axon_receive_limit

    @receive_limit.setter
    def receive_limit(self, n: int | None) -> None:
        if n is not None and (not isinstance(n, int) or n < 1):
            raise ValueError(f"{self.path}: receive_limit is a positive int or None, not {n!r}")
        self._axon_receive_limit = n
        if self._axon_inboxes is not _NO_BOXES:  # (else making them reads it)
            self._axon_sync_task()

    def _axon_supervised(self) -> None:
        """Run under a supervisor: one message per RECEIVE, and what each timeslice takes
        recorded (``Task.taken``), so a failure names exactly the messages it had not finished.

        The tracking wraps this component's generator ``send`` (innermost, under any
        instrument's) and its ``recv``/``recv_all``; nothing changes for others."""
        if self._axon_receive_limit is None or self._axon_receive_limit > 1:
            self.receive_limit = 1
        if type(self)._axon_generator is not Component._axon_generator:
            return  # (a ThreadedComponent: its thread takes messages at any moment)
        task = self._axon_task
        assert task is not None
        task.taken = []
        send = task.send

        def send_tracking(value: Any) -> Any:
            one = task.one_taken  # (a RECEIVE_ONE turn: one message, maybe a list)
            if one is not None:
                task.taken, task.one_taken = one, None
            else:
                task.taken = list(value) if type(value) is list else []
            return send(value)

        task.send = send_tracking
        recv, recv_all = self.recv, self.recv_all

        def recv_tracking(box: str = "inbox") -> Any:
            msg = recv(box)
            task.taken.append(msg)  # type: ignore[union-attr]
            return msg

        def recv_all_tracking(box: str = "inbox") -> list[Any]:
            items = recv_all(box)
            task.taken.extend(items)  # type: ignore[union-attr]
            return items

        self.recv = recv_tracking  # type: ignore[method-assign]
        self.recv_all = recv_all_tracking  # type: ignore[method-assign]

    def data_ready(self, box: str = "inbox") -> int:
        """How many messages wait in inbox ``box``."""
        try:
            return len(self._axon_inboxes[box].queue)
        except KeyError:
            return len(self._axon_inbox(box).queue)

    def any_ready(self) -> bool:
        """True if any inbox holds a message."""
        for q in self._axon_queues:
            if q:
                return True
        return False

    # -- flow control -------------------------------------------------------------------------

    def pause(self) -> None:
        """Sleep at the next ``yield`` until a message reaches any inbox.

        The check happens after the ``yield``, on the component's next turn (as for a
        ``RECEIVE`` with nothing to take), so a message that arrived earlier, or by then,
        is never missed and a stage of a busy system is not put to sleep and woken for
        every message; while an end of stream is pending (see :meth:`finished`) it does
        nothing.  (The protocol: axon/_core/_task.py, invariant 10.)
        """
        t = self._axon_task
        if t is not None and self.end_message is None:
            t.pause = True  # the scheduler's fast path for a bare yield looks at it ...
            if t.resume is not None:  # ... RECEIVE's does not (_task.py invariant 3)
                t.attend = True

    def room(self, box: str = "outbox", *, limit: int) -> int:
        """How many more messages outbox ``box`` may send before an inbox it reaches holds
        ``limit`` (or its own smaller bound); 0 when one is full.

        For components that bring data in from outside the scheduler (a socket, a pipe, a
        thread): send only what there is room for, hold the rest, and stop the source
        while holding too much.  When it returns 0 the component is woken (after
        :meth:`pause`) as soon as a full inbox is read from, or its owner finishes.
        Inboxes that drop by policy, and those of components not running, never count as
        full.  The design notes of ``axon/_core/_flow.py`` describe the mechanism.
        """
        self._axon_ensure_boxes()
        try:
            ob = self._axon_outboxes[box]
        except KeyError:
            raise AxonError(
                f"{self.path} has no outbox {box!r} (outboxes: {', '.join(self._axon_outboxes)})"
            ) from None
        return _room(self, ob, limit)

    def wake_on(self, *boxes: str) -> None:
        """After :meth:`pause`, stay asleep while only other inboxes hold messages.

        For compositions whose own inboxes hold messages meant for a child that is not
        there yet: without it a waiting message keeps them runnable every round (busy
        waiting).  A new delivery or a finishing child still wakes them once; they pause
        again.  With no names no inbox counts.
        """
        for b in boxes:
            self._axon_inbox(b)  # a clear error for an unknown name
        self._axon_wake_boxes = boxes
        if self._axon_inboxes is not _NO_BOXES:  # else _make_boxes will read the choice
            self._axon_sync_task()

    def take_control(self, end: EndSignal | None = None,
                     other: Callable[[Any], None] | None = None) -> EndSignal | None:
        """Take every message waiting in ``control``; returns the pending end of the stream.

        That is ``end`` (what an earlier call returned) or the first end that came, except
        that a ``Shutdown`` wins over a ``ProducerFinished`` whichever came first.  Each
        other message goes to ``other`` (say, a component's bad-input report); without
        one it is counted as dropped in ``control``'s statistics.  For components that
        wait on more than their data (timers, I/O, children, sessions) and keep pausing
        while an end is pending, which :meth:`finished` does not let them do::

            end = None
            while True:
                end = self.take_control(end)
                if isinstance(end, Shutdown):
                    break
                ...  # serve, and finish what is pending if ``end`` is a ProducerFinished
                self.pause()
                yield
        """
        for msg in self.recv_all("control"):
            if isinstance(msg, EndSignal):
                if end is None or (isinstance(msg, Shutdown) and not isinstance(end, Shutdown)):
                    end = msg
            elif other is not None:
                other(msg)
            else:
                self._axon_inboxes["control"].dropped += 1
        return end

    def take_end(self) -> EndSignal | None:
        """Take the end of the stream out of ``control`` into :attr:`end_message`: the
        first ``ProducerFinished`` or ``Shutdown`` there (other control messages stay).
        Returns :attr:`end_message`, None while no end has come."""
        end = self.end_message
        if end is None:
            ctl = self._axon_task.control if self._axon_task is not None else None
            if ctl:
                for msg in ctl:
                    if isinstance(msg, EndSignal):
                        ctl.remove(msg)
                        end = self.end_message = msg
                        break
        return end

    def finished(self, *data_boxes: str) -> bool:
        """True when the component should stop: the end-of-stream idiom.

        It takes the end of the stream out of ``control`` (:meth:`take_end`).  After a
        ``Shutdown``: stop now.  After a ``ProducerFinished``: stop once ``data_boxes``
        (default ``"inbox"``) are drained, so data sent before the end is never lost
        whichever box is checked first.
        """
        end = self.end_message
        if end is None:
            t = self._axon_task
            if t is None or not t.control:  # (the common case, checked inline: no end)
                return False
            end = self.take_end()
            if end is None:
                return False
        if isinstance(end, Shutdown):
            return True
        for box in data_boxes or ("inbox",):
            if self._axon_inbox(box).queue:
                return False
        return True

    # -- links ------------------------------------------------------------------------------------

    def link(self, source: BoxRef, sink: BoxRef) -> Link:
        """Link ``(component, box)`` to ``(component, box)``; this component owns the link.

        Outbox to inbox is a normal link; inbox to inbox and outbox to outbox are
        passthroughs (parent to child, child to parent).  One outbox may feed many inboxes,
        and many outboxes one inbox.  Links this component made go when it finishes.
        """
        try:  # ((component, name) pairs resolved inline: set-up is mostly links)
            comp, name = source
            src = comp._axon_box(name)
            comp, name = sink
            dst = comp._axon_sink_box(name)
        except (TypeError, ValueError, AttributeError):  # a Box, or not a box: see there
            src = _resolve_ref(source, "source")
            dst = _resolve_ref(sink, "sink")
        link = make_link(src, dst, self)
        if self._axon_links is _SHARED_EMPTY_LINKS:
            self._axon_links = []
        self._axon_links.append(link)
        sched = self._axon_scheduler
        if sched is not None and sched._link_hooks:
            sched._link_changed(link, True)
        return link

    def unlink(self, link_or_source: Link | BoxRef, sink: BoxRef | None = None) -> None:
        """Remove a link (given as the Link, or as its two ends)."""
        if isinstance(link_or_source, Link):
            links = [link_or_source]
        else:
            src = _resolve_ref(link_or_source, "source")
            dst = _resolve_ref(sink, "sink") if sink is not None else None
            links = [lk for lk in src.links_out if dst is None or lk.sink is dst]
            if not links:
                raise LinkError(f"no link from {src!r}" + (f" to {dst!r}" if dst else ""))
        for lk in links:
            break_link(lk)
            if lk.owner is not None and lk in lk.owner._axon_links:
                lk.owner._axon_links.remove(lk)
            sched = self._axon_scheduler
            if sched is not None and sched._link_hooks:
                sched._link_changed(lk, False)

    def _axon_unlink_own(self) -> None:
        links = self._axon_links
        if not links:
            return
        self._axon_links = _SHARED_EMPTY_LINKS
        for lk in links:
            break_link(lk)
        sched = self._axon_scheduler
        if sched is not None and sched._link_hooks:
            for lk in links:
                sched._link_changed(lk, False)

    # -- children -----------------------------------------------------------------------------------

    @property
    def children(self) -> list["Component"]:
        return list(self._axon_children)

    @property
    def parent(self) -> "Component | None":
        return self._axon_parent

    @property
    def label(self) -> str | int | None:
        """This component's name in its parent (an index in a Pipeline, a key in a Graphline)."""
        return self._axon_label

    def add_children(self, *children: "Component") -> None:
        """Adopt ``children`` (labelled by position); they start when this component does."""
        for child in children:
            self.add_child(child)

    def add_child(self, child: "Component", label: str | int | None = None) -> None:
        """Adopt one child under ``label`` (default: its position)."""
        if not isinstance(child, Component):
            raise TypeError(f"{self.path}: a child must be a Component, not {child!r}")
        if child._axon_parent is not None:
            raise ValueError(f"{child.path} already belongs to {child._axon_parent.path}")
        if child is self:
            raise ValueError(f"{self.path} cannot be its own child")
        if self._axon_children is _SHARED_EMPTY_CHILDREN:
            self._axon_children = []
        child._axon_parent = self
        child._axon_label = len(self._axon_children) if label is None else label
        self._axon_children.append(child)
        if not child.done:
            self._axon_unfinished += 1
        if self._axon_scheduler is not None and child.state is _NEW:
            self._axon_scheduler.activate(child)

    def remove_child(self, child: "Component") -> None:
        """Disown ``child`` and remove the links this component made to or from its boxes."""
        if child._axon_parent is not self:
            raise ValueError(f"{child.path} is not a child of {self.path}")
        boxes = {id(b) for b in (*child._axon_inboxes.values(), *child._axon_outboxes.values())}
        for lk in list(self._axon_links):
            if id(lk.source) in boxes or id(lk.sink) in boxes:
                self.unlink(lk)
        self._axon_children.remove(child)
        if not child.done:
            self._axon_unfinished -= 1
        child._axon_parent = None

    def children_done(self) -> bool:
        """True when every child has finished (a count kept as they finish: O(1))."""
        return self._axon_unfinished == 0

    # -- hooks the scheduler calls (override them) ------------------------------------------------

    def child_finished(self, child: "Component") -> None:
        """Called as ``child`` finishes (or fails), before this component is woken.

        Override it to learn which child ended without scanning them all; keep it short
        and do not send from it.
        """

    def child_failed(self, child: "Component", error: BaseException) -> bool:
        """Called as ``child``, a descendant (not only a child), fails with ``error``:
        return True to take charge of the failure (a ``Supervisor`` restarts it), False
        (the default) to pass it to the next ancestor and, past the top, out of ``run()``
        as a :class:`ComponentError`.  Called only while this component runs; keep it
        short (a supervisor notes the failure and acts in its own next timeslice)."""
        return False

    def keeps_inboxes_of(self, child: "Component") -> bool:
        """True if this composition hands ``child``'s unread messages to a successor
        (Carousel, Seq do: ``hand_over``): then the scheduler leaves ``child``'s inboxes
        open when it finishes, and the composition closes them after moving the messages.
        False by default: a finished component's inboxes close at once."""
        return False

    def on_stop(self) -> None:
        """Called as the scheduler stops this component before ``main()`` has ended (a
        shutdown, a timeout, an error elsewhere, a supervisor replacing it), just before
        its generator is closed, which runs its ``finally`` blocks.  Work the generator
        does not own is told to stop here (a ``ThreadedComponent`` stops its thread).
        Not called when ``main()`` ends by itself."""

    def statistics(self) -> object:
        """What this component reports of itself (None by default): a frozen record (a
        dataclass) or a mapping, shown in snapshots as ``ComponentInfo.details``."""
        return None

    # -- the work ------------------------------------------------------------------------------------

    def _axon_generator(self) -> Generator[Any, Any, None]:
        """What the scheduler runs: ``main()`` (a ThreadedComponent runs a proxy)."""
        return self.main()

    def main(self) -> Generator[Any, Any, None]:
        """The component's behaviour.  By default: wait until every child has finished."""
        while not self.children_done():
            self.pause()
            yield

    def on_activate(self, scheduler: "Scheduler") -> None:
        """Called as ``scheduler`` starts this component, before its first timeslice.

        The place to register services (see ``Backplane``); raising stops the activation.
        """

    def keep_alive(self) -> Any:
        """A context manager telling the scheduler that outside code may still wake us.

        Use it around waits on callbacks the scheduler cannot see (it sees awaitables you
        yield, threads and timers it runs), so an idle system is not taken for a deadlock.
        """
        if self._axon_scheduler is None:
            raise AxonError(f"{self.path} is not running")
        return self._axon_scheduler.keep_alive(self)


def _resolve_ref(ref: Any, role: str) -> Box:
    if isinstance(ref, Box):
        return ref
    try:
        comp, name = ref
    except (TypeError, ValueError):
        raise LinkError(f"a link {role} is (component, box name), not {ref!r}") from None
    if not isinstance(comp, Component):
        raise LinkError(f"a link {role} is (component, box name), not {ref!r}")
    return comp._axon_box(name)


# An enum member read through its class (``State.NEW``) goes through the enum
# metaclass's ``__getattr__`` hook, which CPython 3.11 cannot specialise: the paths run
# once or more per component (``done``: seven times in a pipeline's set-up and
# teardown) read these instead.  (With the other set-up changes of the same commit:
# 250,228 -> 224,840 instructions per component in bench.core's full set-up.)
_NEW, _FINISHED, _FAILED = State.NEW, State.FINISHED, State.FAILED
_SHARED_EMPTY_LINKS = Component._axon_links  # (the class-level defaults: see above)
_NO_BOXES = Component._axon_inboxes
#: The ``inbox`` of an activated component's task until its boxes are made: always empty.
_NO_INBOX: Inbox[Any] = Inbox(None, "inbox", "(its boxes are not made yet)")  # type: ignore[arg-type]
_SHARED_EMPTY_CHILDREN = Component._axon_children
_USUAL_INBOXES = dict(Component.Inboxes)
_USUAL_OUTBOXES = dict(Component.Outboxes)
Component._axon_prepare_box_specs()


#: The state the core sets on the instances of every class that is linked and run
#: (``_axon_*``, ``end_message``): see :func:`_seed_instance_keys`.  Not those only a
#: parent sets (``_axon_children``, ``_axon_links``): a composition sets them in its own
#: ``__init__``, before many are made, and each name seeded costs every instance a slot
#: (8 bytes) whether it uses it or not.
_INSTANCE_KEYS = ("_axon_task", "_axon_scheduler", "end_message", "_axon_parent",
                  "_axon_label", "_axon_inboxes", "_axon_outboxes", "_axon_pushes",
                  "_axon_queues")


def _seed_instance_keys(cls: type[Component]) -> None:
    """Put the core's attribute names into ``cls``'s shared instance keys, before any
    instance is made.

    CPython 3.11 keeps an instance's attributes in a values array indexed by keys shared
    by its class, and only while every name it sets is among those keys.  The room for new
    names shrinks by one with every instance made (down to one): a class made 30 times
    before any of them was linked (``[Stage() for _ in range(100)]``, then a Pipeline)
    could not add ``_axon_label``, and every one of those components got a full dict of its
    own, after which each ``self.x`` misses CPython's specialised fast path, in set-up and
    in every timeslice.  A throwaway instance that sets the names first puts them in the
    shared keys (``python -m bench.instructions``: bench.core's full set-up, 100 stages,
    180,108 -> 166,628 instructions per component; the classic idiom in a 200-stage
    pipeline, per hop: 7,456 -> 6,358 pure, 6,024 -> 3,480 compiled).  A subclass's own
    names go in as its first instances set them, as they would anyway.  Skipped where an instance cannot be made
    without ``__init__`` or would notice (``__slots__`` without a dict, ``__del__``,
    abstract methods).
    """
    if any("__del__" in vars(k) for k in cls.__mro__ if k is not object):
        return
    try:
        probe = object.__new__(cls)
    except TypeError:
        return
    try:
        for name in _INSTANCE_KEYS:
            object.__setattr__(probe, name, None)
    except Exception:  # noqa: BLE001 - e.g. a subclass's own descriptor under one of the
        pass  # names: its instances would not keep that name in the values array anyway


_seed_instance_keys(Component)

#: ``Component``'s own (pure-Python) hot methods: the reference for the compiled ones.
PURE_METHODS = {name: Component.__dict__[name]
                for name in ("send", "recv", "recv_all", "data_ready", "pause", "finished")}
if _ccore is not None:  # the compiled core (axon/_core/_ccore.pyx): the same methods in C,
    # each calling its original above off the hot path
    for _name, _method in _ccore.install(PURE_METHODS, Inbox).items():
        setattr(Component, _name, _method)

from ._flow import room as _room  # noqa: E402 - at the end: axon/_core/_flow.py uses this module's names
