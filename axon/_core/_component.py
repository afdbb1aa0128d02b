"""The component: a generator with named inboxes and outboxes that knows nothing of its links."""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ._box import Box, BoxSpec, Inbox, Link, Outbox, Policy, break_link, make_link
from ._errors import AxonError, EmptyBox, LinkError
from ._message import EndSignal, Shutdown

if TYPE_CHECKING:
    from ._scheduler import Scheduler

__all__ = ["RECEIVE", "Component", "State", "Task"]

BoxRef = tuple["Component", str]


class _Receive:
    """The type of :data:`RECEIVE`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RECEIVE"


#: ``batch = yield RECEIVE`` ends the timeslice and resumes with every message waiting in
#: ``inbox`` (a list, oldest first), sleeping until there is one; at the end of the stream
#: (``Shutdown``, or ``ProducerFinished`` once the inbox is drained) it resumes with ``None``.
RECEIVE: Any = _Receive()

#: What a task's ``inq`` is while senders wait for room in its inbox: always empty.
NO_ROOM: deque[Any] = deque(maxlen=0)

#: Senders a component may have before pausing it no longer flags each of them.
CROWD = 16


class State(enum.Enum):
    """Where a component is in its life, as the scheduler sees it."""

    NEW = "new"  # built, not yet activated
    RUNNABLE = "runnable"  # in the run queue
    PAUSED = "paused"  # sleeping until a message reaches one of its inboxes
    WAITING = "waiting"  # waiting for an awaitable it yielded
    BLOCKED = "blocked"  # waiting for room in a bounded inbox it sent to
    FINISHED = "finished"
    FAILED = "failed"


class Task:
    """The scheduler's record of one component: the state its loop reads every timeslice.

    One small class with slots, whatever the component's class: attribute access at the
    scheduler's hot sites stays monomorphic, which CPython specialises (bench/core.py).
    """

    __slots__ = ("comp", "send", "resume", "state", "pause", "held", "wake", "inq", "inbox",
                 "control", "pause_queues", "wake_queues", "received", "wakers", "notify",
                 "attend", "sticky", "limit")

    def __init__(self, comp: Component) -> None:
        self.comp = comp
        self.send: Any = None  # the generator's send (possibly instrumented)
        self.resume: Any = None  # None, RECEIVE, or a callable giving the next resume
        self.state = State.NEW
        self.pause = False  # pause() was called (or a send blocked) this timeslice
        # True when the scheduler must do more than requeue it after its timeslice: it
        # asked to pause, or an owner in ``wake`` may be paused (set as one pauses, cleared
        # by a look that finds none).  A busy pipeline, where no one pauses, skips the look
        self.attend = True
        # True while an owner in ``wake`` has more than CROWD senders: such an owner does
        # not flag them all at each pause (that would cost O(senders)), so they always look
        self.sticky = False
        self.held: deque[tuple[Inbox[Any], Any]] | None = None  # blocked sends, in order
        self.wake: list[Task] = []  # owners of the inboxes its outboxes reach
        self.wakers: set[Task] = set()  # the tasks whose ``wake`` lists this one
        # the wakers to flag (``attend``) when it pauses: all of them, or none once they
        # are more than CROWD (they are sticky then), so a pause costs O(CROWD) at most
        self.notify: list[Task] = []
        # the queue RECEIVE's fast path takes from: ``inbox``'s, or NO_ROOM while senders
        # wait for room in it or a receive_limit is set (so that path needs no check of its
        # own: the slow path, Scheduler._receive, does what they need)
        self.inq: deque[Any] = deque()
        self.limit: int | None = None  # Component.receive_limit
        self.inbox: Inbox[Any] | None = None
        self.control: deque[Any] | None = None
        self.pause_queues: tuple[deque[Any], ...] = ()  # what keeps it awake at a pause
        self.wake_queues: tuple[deque[Any], ...] = ()  # what wakes it once paused
        # messages RECEIVE took from ``inbox`` (Inbox.received adds it in); a float because
        # the scheduler adds to it per timeslice and floats, unlike ints above 256, come
        # from a free list (bench/core.py; exact up to 2**53 messages)
        self.received = 0.0

    def __repr__(self) -> str:
        return f"<Task {self.comp.path} {self.state.value}>"


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

    _pause_on_data: ClassVar[bool] = True  # a paused component wakes on inbox data
    _inbox_specs: ClassVar[tuple[tuple[str, BoxSpec], ...]] = ()
    _outbox_specs: ClassVar[tuple[tuple[str, BoxSpec], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._prepare_box_specs()

    @classmethod
    def _prepare_box_specs(cls) -> None:
        ins = _declared(cls, "Inboxes", _USUAL_INBOXES)
        outs = _declared(cls, "Outboxes", _USUAL_OUTBOXES)
        both = {n for n, _ in ins} & {n for n, _ in outs}
        if both:
            raise TypeError(f"{cls.__name__}: box names used as inbox and outbox: {sorted(both)}")
        cls._inbox_specs = ins
        cls._outbox_specs = outs

    # Scheduler-side state starts as class-level defaults; an instance gets its own value
    # when it first changes.  Making a component stays cheap (bench/core.py measures it).
    end_message: EndSignal | None = None
    _parent: Component | None = None
    _label: str | int | None = None
    _children: list[Component] = []
    _links: list[Link] = []
    _scheduler: Scheduler | None = None
    _task: Task | None = None  # the scheduler's record, made with the boxes
    _unfinished = 0  # children not yet finished
    _future: Any = None
    _gen: Generator[Any, Any, Any] | None = None
    _name: str | None = None
    _cancelled_by: Shutdown | None = None  # the Shutdown that cancelled what it awaited
    _receive_limit: int | None = None
    _supervises: ClassVar[bool] = False  # a Supervisor: its descendants run supervised
    # under a supervisor: what it took in its current timeslice (see _supervised)
    _taken: list[Any] | None = None
    # woken by what the links do not show (its own thread, the scheduler's hooks): the
    # search for components that nothing can wake counts it as able to run
    _woken_unseen: ClassVar[bool] = False

    def __init__(self, *, name: str | None = None) -> None:
        if name is not None:
            self._name = name

    # The boxes are made on first use (a link, a send, activation), not in __init__: a
    # component that is built but never wired costs one object.  Until then the class-level
    # empty defaults below stand in, and every slow path calls _ensure_boxes().  (Not a
    # __getattr__ hook: that defeats CPython's attribute specialisation on every access.)
    _inboxes: dict[str, Inbox[Any]] = {}  # never written: _make_boxes gives each its own
    _outboxes: dict[str, Outbox[Any]] = {}
    _pushes: dict[str, Any] = {}
    _queues: tuple[deque[Any], ...] = ()
    _wake_boxes: tuple[str, ...] | None = None  # set by wake_on(); None: every inbox

    def _ensure_boxes(self) -> None:
        if "_inboxes" not in self.__dict__:
            self._make_boxes()

    def _make_boxes(self) -> None:
        ins: dict[str, Inbox[Any]] = {
            n: Inbox(self, n, s.description, s.size, s.policy) for n, s in self._inbox_specs
        }
        obs: dict[str, Outbox[Any]] = {
            n: Outbox(self, n, s.description) for n, s in self._outbox_specs
        }
        self._pushes = {n: ob.push for n, ob in obs.items()}
        self._outboxes = obs
        self._inboxes = ins
        self._task = Task(self)
        self._sync_task()

    def _sync_task(self) -> None:
        """Give the task the queues it reads, from the inboxes and wake_on()'s choice."""
        ins = self._inboxes
        task = self._task
        assert task is not None
        self._queues = tuple(ib.queue for ib in ins.values())
        ctl = ins.get("control")
        task.control = ctl.queue if ctl is not None else None
        data = ins.get("inbox")
        if data is None:  # RECEIVE then waits on nothing; keep the scheduler's path uniform
            data = Inbox(self, "inbox", "(none declared)")
        task.inbox = data
        task.limit = self._receive_limit
        task.inq = NO_ROOM if data.blocked or task.limit is not None else data.queue
        chosen = self._wake_boxes
        wakers = self._queues if chosen is None else tuple(ins[b].queue for b in chosen)
        task.wake_queues = wakers
        task.pause_queues = wakers if self._pause_on_data else ()

    # The scheduler's per-component state lives in the Task; these names read it.
    @property
    def _state(self) -> State:
        t = self._task
        return t.state if t is not None else State.NEW

    @_state.setter
    def _state(self, value: State) -> None:
        self._ensure_boxes()
        self._task.state = value  # type: ignore[union-attr]

    @property
    def _send(self) -> Any:
        t = self._task
        return t.send if t is not None else None

    @_send.setter
    def _send(self, value: Any) -> None:
        self._ensure_boxes()
        self._task.send = value  # type: ignore[union-attr]

    @property
    def _resume(self) -> Any:
        t = self._task
        return t.resume if t is not None else None

    @_resume.setter
    def _resume(self, value: Any) -> None:
        self._ensure_boxes()
        self._task.resume = value  # type: ignore[union-attr]

    @property
    def _pause_requested(self) -> bool:
        t = self._task
        return t.pause if t is not None else False

    @_pause_requested.setter
    def _pause_requested(self, value: bool) -> None:
        self._ensure_boxes()
        t = self._task
        assert t is not None
        t.pause = value
        if value:
            t.attend = True

    @property
    def _held(self) -> deque[tuple[Inbox[Any], Any]] | None:
        t = self._task
        return t.held if t is not None else None

    @_held.setter
    def _held(self, value: deque[tuple[Inbox[Any], Any]] | None) -> None:
        self._ensure_boxes()
        self._task.held = value  # type: ignore[union-attr]

    @property
    def _pause_queues(self) -> tuple[deque[Any], ...]:
        t = self._task
        return t.pause_queues if t is not None else ()

    @property
    def name(self) -> str:
        """The component's own name (default: its class name)."""
        return self._name or type(self).__name__

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    # -- identity --------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The component's place in the system, e.g. ``Pipeline[2]:Parser``."""
        if self._parent is None:
            return self.name
        return f"{self._parent.path}[{self._label}]:{self.name}"

    @property
    def state(self) -> State:
        return self._state

    @property
    def done(self) -> bool:
        """True once ``main()`` has ended (normally or by an error)."""
        return self._state is State.FINISHED or self._state is State.FAILED

    @property
    def scheduler(self) -> "Scheduler | None":
        return self._scheduler

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path} {self._state.value}>"

    # -- boxes ------------------------------------------------------------------------------

    @property
    def inboxes(self) -> Mapping[str, Inbox[Any]]:
        self._ensure_boxes()
        return self._inboxes

    @property
    def outboxes(self) -> Mapping[str, Outbox[Any]]:
        self._ensure_boxes()
        return self._outboxes

    def add_inbox(
        self, name: str, description: str, size: int | None = None,
        policy: Policy | str = Policy.BLOCK,
    ) -> Inbox[Any]:
        """Give this instance (only) another inbox."""
        self._ensure_boxes()
        if name in self._inboxes or name in self._outboxes:
            raise ValueError(f"{self.path} already has a box named {name!r}")
        ib = self._inboxes[name] = Inbox(self, name, description, size, policy)
        self._sync_task()
        return ib

    def add_outbox(self, name: str, description: str) -> Outbox[Any]:
        """Give this instance (only) another outbox."""
        self._ensure_boxes()
        if name in self._inboxes or name in self._outboxes:
            raise ValueError(f"{self.path} already has a box named {name!r}")
        ob = self._outboxes[name] = Outbox(self, name, description)
        self._pushes[name] = ob.push
        return ob

    def set_bound(self, box: str, size: int | None, policy: Policy | str = Policy.BLOCK) -> None:
        """Bound inbox ``box`` to ``size`` messages with ``policy`` (see :class:`Policy`)."""
        self._inbox(box).set_bound(size, policy)

    def _inbox(self, box: str) -> Inbox[Any]:
        self._ensure_boxes()
        try:
            return self._inboxes[box]
        except KeyError:
            raise AxonError(
                f"{self.path} has no inbox {box!r} (inboxes: {', '.join(self._inboxes)})"
            ) from None

    def _box(self, box: str) -> Box:
        self._ensure_boxes()
        found: Box | None = self._inboxes.get(box)
        if found is None:
            found = self._outboxes.get(box)
        if found is None:
            raise LinkError(
                f"{self.path} has no box {box!r} (inboxes: {', '.join(self._inboxes)}; "
                f"outboxes: {', '.join(self._outboxes)})"
            )
        return found

    # -- sending ----------------------------------------------------------------------------

    def send(self, msg: Any, box: str = "outbox") -> None:
        """Send ``msg`` on outbox ``box``: straight into the linked inbox(es)."""
        try:
            self._pushes[box](msg)
        except KeyError:
            if box in self._pushes:
                raise
            if "_inboxes" not in self.__dict__:
                self._make_boxes()
                return self.send(msg, box)
            raise AxonError(
                f"{self.path} has no outbox {box!r} (outboxes: {', '.join(self._outboxes)})"
            ) from None

    def send_many(self, msgs: Iterable[Any], box: str = "outbox") -> None:
        """Send every message of ``msgs`` in order (one C-level extend where possible)."""
        self._ensure_boxes()
        try:
            ob = self._outboxes[box]
        except KeyError:
            raise AxonError(
                f"{self.path} has no outbox {box!r} (outboxes: {', '.join(self._outboxes)})"
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
        ib = self._inboxes[box] if box in self._inboxes else self._inbox(box)
        try:
            msg = ib.queue.popleft()
        except IndexError:
            raise EmptyBox(
                f"{self.path}: recv() on empty inbox {box!r}; check data_ready() first"
            ) from None
        ib._received += 1
        if ib.blocked:
            self._scheduler.unblock(ib)  # type: ignore[union-attr]
        return msg

    def recv_all(self, box: str = "inbox") -> list[Any]:
        """Take every message waiting in inbox ``box``, oldest first (possibly none)."""
        ins = self._inboxes
        ib = ins[box] if box in ins else self._inbox(box)
        q = ib.queue
        if not q:
            return []
        items = list(q)
        q.clear()
        ib._received += len(items)
        if ib.blocked:
            self._scheduler.unblock(ib)  # type: ignore[union-attr]
        return items

    def put_back(self, msgs: Iterable[Any], box: str = "inbox") -> None:
        """Return messages taken from inbox ``box`` (the unprocessed tail of a RECEIVE
        batch, say) to its front, in order: taken again first, counted as waiting, and
        handed to a replacement if this component fails.

        For a component that stops partway through a long batch to let the rest of the
        system run (``components`` Stage does).  The inbox may hold more than its bound
        until they are taken again: they were in it before.
        """
        ib = self._inbox(box)
        items = list(msgs)
        ib.queue.extendleft(reversed(items))
        ib._received -= len(items)
        if self._taken:
            taken = self._taken
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
        return self._receive_limit

    @receive_limit.setter
    def receive_limit(self, n: int | None) -> None:
        if n is not None and (not isinstance(n, int) or n < 1):
            raise ValueError(f"{self.path}: receive_limit is a positive int or None, not {n!r}")
        self._receive_limit = n
        if self._task is not None:
            self._sync_task()

    def _supervised(self) -> None:
        """Run under a supervisor: one message per RECEIVE, and what each timeslice takes
        recorded (``_taken``), so a failure names exactly the messages it had not finished.

        The tracking wraps this component's generator ``send`` (innermost, under any
        instrument's) and its ``recv``/``recv_all``; nothing changes for others."""
        if self._receive_limit is None or self._receive_limit > 1:
            self.receive_limit = 1
        if type(self)._generator is not Component._generator:
            return  # (a ThreadedComponent: its thread takes messages at any moment)
        self._taken = []
        send = self._send

        def send_tracking(value: Any) -> Any:
            self._taken = list(value) if type(value) is list else []
            return send(value)

        self._send = send_tracking
        recv, recv_all = self.recv, self.recv_all

        def recv_tracking(box: str = "inbox") -> Any:
            msg = recv(box)
            self._taken.append(msg)  # type: ignore[union-attr]
            return msg

        def recv_all_tracking(box: str = "inbox") -> list[Any]:
            items = recv_all(box)
            self._taken.extend(items)  # type: ignore[union-attr]
            return items

        self.recv = recv_tracking  # type: ignore[method-assign]
        self.recv_all = recv_all_tracking  # type: ignore[method-assign]

    def data_ready(self, box: str = "inbox") -> int:
        """How many messages wait in inbox ``box``."""
        ib = self._inboxes[box] if box in self._inboxes else self._inbox(box)
        return len(ib.queue)

    def any_ready(self) -> bool:
        """True if any inbox holds a message."""
        for q in self._queues:
            if q:
                return True
        return False

    # -- flow control -------------------------------------------------------------------------

    def pause(self) -> None:
        """Sleep at the next ``yield`` until a message reaches any inbox.

        The check happens after the ``yield``, so a message that arrived earlier is never
        missed; while an end of stream is pending (see :meth:`finished`) it does nothing.
        """
        t = self._task
        if t is not None and self.end_message is None:
            t.pause = t.attend = True

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
        self._ensure_boxes()
        try:
            ob = self._outboxes[box]
        except KeyError:
            raise AxonError(
                f"{self.path} has no outbox {box!r} (outboxes: {', '.join(self._outboxes)})"
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
            self._inbox(b)  # a clear error for an unknown name
        self._wake_boxes = boxes
        if self._task is not None:  # else _make_boxes will read the choice
            self._sync_task()

    def finished(self, *data_boxes: str) -> bool:
        """True when the component should stop: the end-of-stream idiom.

        Takes a ``ProducerFinished`` or ``Shutdown`` from ``control`` (other control
        messages are left alone) into :attr:`end_message`.  ``Shutdown`` means stop now;
        ``ProducerFinished`` only once ``data_boxes`` (default ``"inbox"``) are drained, so
        data sent before the end is never lost whichever box is checked first.
        """
        end = self.end_message
        if end is None:
            ctl = self._task.control if self._task is not None else None
            if not ctl:
                return False
            for msg in ctl:
                if isinstance(msg, EndSignal):
                    ctl.remove(msg)
                    end = self.end_message = msg
                    break
            else:
                return False
        if isinstance(end, Shutdown):
            return True
        for box in data_boxes or ("inbox",):
            if self._inbox(box).queue:
                return False
        return True

    # -- blocked sends (Policy.BLOCK) -----------------------------------------------------------

    def _hold_for(self, inbox: Inbox[Any], msg: Any) -> None:
        """``inbox`` is full: keep ``msg`` until there is room.  While anything is held,
        every later send to a ``block`` inbox is held behind it (``Inbox._deliver_block_from``),
        and after this timeslice the scheduler suspends the component (BLOCKED)."""
        if self._held is None:
            self._held = deque()
        self._held.append((inbox, msg))
        self._pause_requested = True  # makes the scheduler look at _held after the yield
        _add_blocked(inbox, self)

    def _flush_held(self) -> bool:
        """Move held messages on while there is room; True when none are left.

        A closed target (its reader finished) counts them as dropped."""
        held = self._held
        if held is None:
            return True
        sched = self._scheduler
        while held:
            target, msg = held[0]
            if target.closed or target.size is None or target.policy is not Policy.BLOCK:
                target.deliver(msg)
            else:
                if len(target.queue) >= target.size:
                    _add_blocked(target, self)
                    return False
                target.queue.append(msg)
                if target.watched:
                    target.owner._control_arrived(msg)
            held.popleft()
            if sched is not None:
                sched.wake(target.owner)
        self._held = None
        return True

    def _control_arrived(self, msg: Any) -> None:
        """A message reached ``control`` (Inbox design note 6): a component suspended on a
        full inbox runs again to see it; a ``Shutdown`` cancels what it awaits."""
        sched = self._scheduler
        t = self._task
        if sched is None or t is None:
            return
        state = t.state
        if state is State.BLOCKED:
            sched._release_blocked(t)
        elif state is State.WAITING and isinstance(msg, Shutdown) and self.end_message is None:
            sched._cancel_wait(self, msg)

    def _keeps_inboxes_of(self, child: Component) -> bool:
        """True if this composition hands ``child``'s unread messages to a successor
        (Carousel, Seq): then the scheduler leaves ``child``'s inboxes open when it
        finishes, and the composition closes them after moving the messages."""
        return False

    # -- links ------------------------------------------------------------------------------------

    def link(self, source: BoxRef, sink: BoxRef) -> Link:
        """Link ``(component, box)`` to ``(component, box)``; this component owns the link.

        Outbox to inbox is a normal link; inbox to inbox and outbox to outbox are
        passthroughs (parent to child, child to parent).  One outbox may feed many inboxes,
        and many outboxes one inbox.  Links this component made go when it finishes.
        """
        src = _resolve_ref(source, "source")
        dst = _resolve_ref(sink, "sink")
        link = make_link(src, dst, self)
        if "_links" not in self.__dict__:
            self._links = []
        self._links.append(link)
        sched = self._scheduler
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
            if lk.owner is not None and lk in lk.owner._links:
                lk.owner._links.remove(lk)
            sched = self._scheduler
            if sched is not None and sched._link_hooks:
                sched._link_changed(lk, False)

    def _unlink_own(self) -> None:
        links = self._links
        if not links:
            return
        self._links = []
        for lk in links:
            break_link(lk)
        sched = self._scheduler
        if sched is not None and sched._link_hooks:
            for lk in links:
                sched._link_changed(lk, False)

    def _add_wake_target(self, inbox: Inbox[Any]) -> None:
        task = self._task
        assert task is not None
        if self.done or inbox.closed:  # nothing is sent, or nothing read: no one to wake
            return
        inbox.owner._ensure_boxes()
        owner = inbox.owner._task
        assert owner is not None
        wakers = owner.wakers
        if task not in wakers:
            wakers.add(task)
            task.wake.append(owner)
            if len(wakers) == CROWD + 1:  # just became crowded: its senders always look
                for w in wakers:
                    w.sticky = True
            _renotify(owner)
        if len(wakers) > CROWD:
            task.sticky = True
        task.attend = True

    def _rebuild_wake_list(self) -> None:
        task = self._task
        assert task is not None
        _drop_wake_list(task)
        pushes = self._pushes
        for name, ob in self._outboxes.items():
            pushes[name] = ob.push
            for t in ob.targets:
                self._add_wake_target(t)

    # -- children -----------------------------------------------------------------------------------

    @property
    def children(self) -> list["Component"]:
        return list(self._children)

    @property
    def parent(self) -> "Component | None":
        return self._parent

    @property
    def label(self) -> str | int | None:
        """This component's name in its parent (an index in a Pipeline, a key in a Graphline)."""
        return self._label

    def add_children(self, *children: "Component") -> None:
        """Adopt ``children`` (labelled by position); they start when this component does."""
        for child in children:
            self.add_child(child)

    def add_child(self, child: "Component", label: str | int | None = None) -> None:
        """Adopt one child under ``label`` (default: its position)."""
        if not isinstance(child, Component):
            raise TypeError(f"{self.path}: a child must be a Component, not {child!r}")
        if child._parent is not None:
            raise ValueError(f"{child.path} already belongs to {child._parent.path}")
        if child is self:
            raise ValueError(f"{self.path} cannot be its own child")
        if "_children" not in self.__dict__:
            self._children = []
        child._parent = self
        child._label = len(self._children) if label is None else label
        self._children.append(child)
        if not child.done:
            self._unfinished += 1
        if self._scheduler is not None and child._state is State.NEW:
            self._scheduler.activate(child)

    def remove_child(self, child: "Component") -> None:
        """Disown ``child`` and remove the links this component made to or from its boxes."""
        if child._parent is not self:
            raise ValueError(f"{child.path} is not a child of {self.path}")
        boxes = {id(b) for b in (*child._inboxes.values(), *child._outboxes.values())}
        for lk in list(self._links):
            if id(lk.source) in boxes or id(lk.sink) in boxes:
                self.unlink(lk)
        self._children.remove(child)
        if not child.done:
            self._unfinished -= 1
        child._parent = None

    def children_done(self) -> bool:
        """True when every child has finished (a count kept as they finish: O(1))."""
        return self._unfinished == 0

    def child_finished(self, child: "Component") -> None:
        """Called as ``child`` finishes (or fails), before this component is woken.

        Override it to learn which child ended without scanning them all; keep it short
        and do not send from it.
        """

    # -- the work ------------------------------------------------------------------------------------

    def _generator(self) -> Generator[Any, Any, None]:
        """What the scheduler runs: ``main()`` (a ThreadedComponent runs a proxy)."""
        return self.main()  # type: ignore[return-value]

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
        if self._scheduler is None:
            raise AxonError(f"{self.path} is not running")
        return self._scheduler.keep_alive(self)


def _drop_wake_list(task: Task) -> None:
    """Empty ``task.wake`` (before a rebuild, or once it has finished)."""
    for owner in task.wake:
        owner.wakers.discard(task)
        _renotify(owner)
    task.wake = []
    task.sticky = False


def _renotify(owner: Task) -> None:
    wakers = owner.wakers
    owner.notify = list(wakers) if len(wakers) <= CROWD else []


def _fall_asleep(task: Task) -> None:
    """Pause ``task``, and have its senders look for it after their timeslices (the
    scheduler's loop has this inline)."""
    task.state = State.PAUSED
    for w in task.notify:
        w.attend = True


def _add_blocked(inbox: Inbox[Any], sender: Component) -> None:
    if sender not in inbox.blocked:
        inbox.blocked.append(sender)
    t = inbox.owner._task
    if t is not None and t.inbox is inbox:
        t.inq = NO_ROOM  # RECEIVE takes the slow path, which makes room (Scheduler.unblock)


def _resolve_ref(ref: Any, role: str) -> Box:
    if isinstance(ref, Box):
        return ref
    try:
        comp, name = ref
    except (TypeError, ValueError):
        raise LinkError(f"a link {role} is (component, box name), not {ref!r}") from None
    if not isinstance(comp, Component):
        raise LinkError(f"a link {role} is (component, box name), not {ref!r}")
    return comp._box(name)


_USUAL_INBOXES = dict(Component.Inboxes)
_USUAL_OUTBOXES = dict(Component.Outboxes)
Component._prepare_box_specs()

from ._flow import room as _room  # (at the end: axon/_core/_flow.py uses this module's names)
