"""The scheduling protocol of one component: its task, and how it sleeps, wakes and waits.

A component talks to the scheduler only by what it yields (curio's traps, in a few
words): a bare ``yield`` ends its timeslice; ``yield RECEIVE`` ends it and resumes with
the messages waiting in ``inbox``; yielding an awaitable resumes with its result.  Between
timeslices the scheduler keeps one :class:`Task` per component; this module holds that
record and every rule about it that is not the run queue itself (which is the scheduler's).

Words, each with one meaning here
---------------------------------
- *wake*: make a PAUSED task RUNNABLE (``Scheduler.wake``; :func:`wake_readers` wakes
  the readers a task has sent to).  A task *wakes on* the inboxes whose messages do that
  (``Component.wake_on``).
- *pause*, *fall asleep*: a task that asked to pause (``Component.pause()``, or a
  ``RECEIVE`` with nothing to take) and has nothing to keep it awake becomes PAUSED
  (:func:`fall_asleep`).
- *reader* / *sender*: the owner of an inbox a task's outboxes reach / the reverse.
- *block*: a send into a full ``block``-policy inbox leaves the message in the sender's
  ``blocked_sends`` and the sender BLOCKED after its timeslice until there is room
  (:func:`block_send`, :func:`retry_blocked_sends`).  A component *watches* a full inbox
  for room when :func:`watch_for_room` puts it in that inbox's ``blocked`` list, as a
  blocked sender is (``Component.room`` does it for I/O edges).
- (*held* is not used here: it is what an unlinked ``Outbox`` keeps for its future link.)

Invariants
----------
The compiled core (axon/_core/_ccore.pyx: this ``Task`` as a C record, the scheduler's
turn and the hot ``Component`` methods), used when built, keeps them the same way;
``AXON_PURE_PYTHON=1`` runs this module's code, the reference.

They hold between timeslices, for the task ``t`` of every started, unfinished component
(``t.state`` not NEW, FINISHED or FAILED).  "The scheduler" is ``axon/_core/_scheduler.py``.

1. ``t.state`` says where it is.  RUNNABLE: ``t`` is in the scheduler's run queue,
   once.  PAUSED, WAITING (for ``t.future``) or BLOCKED: it is not.  Only the scheduler
   changes ``state``: :func:`fall_asleep` and the scheduler's loop (to PAUSED or BLOCKED),
   ``Scheduler.wake``, ``unblock``, ``_release_blocked`` and :func:`wake_readers` (to
   RUNNABLE, appending ``t`` to the run queue in the same step), ``_await`` / ``_awaited``
   (WAITING and back), ``activate`` and ``_finished``.
2. ``t.resume`` is what its next timeslice sends in: None (``send(None)``), ``RECEIVE``
   (the batch waiting in ``inbox``), a callable giving the result of what it awaited,
   ``t.receiving_one`` (in ``yield RECEIVE_ONE``: each turn looks for one message and runs
   the generator only if there is one, or the end of the stream), or ``PAUSING`` (after
   ``pause(); yield``: see 10).  The scheduler sets it as a timeslice ends and clears it
   as it is used; during a timeslice it is None, or ``RECEIVE`` if it began with a batch.
3. ``t.pause`` is set during a timeslice (``Component.pause()``, :func:`block_send`) and
   cleared by the scheduler after that timeslice, which then pauses (see 10) or blocks
   ``t``.  Setting it also sets ``t.attend``, except that ``Component.pause()`` in a
   timeslice with ``t.resume`` None leaves ``attend`` alone: the scheduler's fast path
   for a bare ``yield`` looks at ``t.pause`` itself (RECEIVE's fast path does not).  A
   task whose ``pause_queues`` are not its ``wake_queues`` (a thread's proxy) sets both.
4. ``t.readers`` are the tasks owning the final inboxes of ``t``'s *one-target*
   outboxes (linked, open, reader not finished), each once; ``r in t.readers`` exactly
   when ``t in r.senders``.  :func:`fans_of` ``(t)`` are the ``Fan`` (``_box.py``) of
   each of its *fan-out* outboxes (more than one final inbox: a Backplane's, a tee),
   held by ``t.readers``, then a :class:`Readers`; their readers are not listed (they
   are each fan's ``tasks``, kept on that side only, so a subscriber joins or leaves in
   O(1)).  :func:`add_reader`,
   :func:`drop_reader` and :func:`find_readers` keep them, as links change (``Box``
   rebinding, which calls :func:`find_readers` when an outbox becomes a fan-out or stops
   being one) and as ``t`` finishes (then both are empty: :func:`drop_readers`).
5. ``r.notify`` is ``list(r.senders)`` while ``r`` has at most ``CROWD`` senders, else
   empty; then every one of its senders has ``sticky`` set (a crowded reader does not
   flag its senders as it falls asleep, which would cost O(senders) per pause).  A
   fan-out's readers never flag its owner: its sends do (6).
6. No wake-up is lost: if a reader ``r`` of ``t`` is PAUSED, then after ``t``'s next
   timeslice the scheduler looks at it (``t.attend`` is True, or ``t.sticky``), and
   wakes it if one of ``r.wake_queues`` holds a message.  ``t.attend`` is set when ``r``
   falls asleep (through ``r.notify``), when ``t`` gains a reader, and by ``t.pause``;
   the look clears it unless some reader stayed asleep or ``t`` is sticky.  A task also
   re-checks its own ``pause_queues`` as it falls asleep, so a message that arrived
   during its timeslice keeps it awake.  A fan-out's push marks its fan ``sent`` and
   ``t.attend``; the look (iterating ``t.readers``, a :class:`Readers`, calls
   :func:`wake_fan`) then wakes the fan's paused readers that have a message and
   clears ``sent``.  So a fan costs a look only after a timeslice
   that sent through it (O(appends)), never while its readers merely sleep.  (Whoever
   delivers past a push, as ``send_many`` and the process edges do, does so only to a
   single target, whose reader is in ``readers``.)
7. ``t.blocked_sends`` is None, or the messages its sends left for full inboxes, in
   order, each with its inbox.  While it is not None every later send of ``t`` to a
   ``block`` inbox joins it (nothing overtakes), ``t`` is BLOCKED after its timeslice
   (unless a control message released it: then it runs, its sends still wait), and
   ``t.comp`` is in the ``blocked`` list of the inbox of the first one.  When that inbox
   has room, ``Scheduler.unblock`` moves them on (:func:`retry_blocked_sends`).
8. ``t.inq`` is ``t.inbox.queue`` while nobody waits for room in that inbox and no
   ``receive_limit`` is set; otherwise it is ``NO_ROOM`` (always empty), so ``RECEIVE``'s
   hot path in the scheduler, which takes only from ``inq``, falls to the slow path that
   makes room (``unblock``) or applies the limit.  :func:`watch_for_room` sets it;
   ``unblock`` and ``Component._axon_sync_task`` restore it.
9. ``t.received`` counts what ``RECEIVE`` took from ``inbox`` (``Inbox.received`` adds
   it); ``t.taken`` (None unless supervised) what the current timeslice took (a
   RECEIVE_ONE turn sets ``t.one_taken`` to its message, which the supervised ``send``
   moves to ``t.taken``).
10. A pause is deferred by one turn.  After a timeslice that paused (``t.pause``) and
   ended on a bare ``yield``, with no blocked send and ``t.pause_queues is
   t.wake_queues``, ``t`` stays RUNNABLE with ``t.resume`` ``PAUSING``.  On its next turn
   the scheduler resumes it if one of ``t.pause_queues`` holds a message, and otherwise
   makes it PAUSED without resuming it (not counted as a timeslice).  ``Scheduler.wake``
   of a task whose resume is ``PAUSING`` sets it to None (it runs on that turn): so
   what would have woken it from PAUSED during that turn is never lost.  Otherwise
   (``pause_queues`` is ``()``: a thread's proxy) it falls asleep after the timeslice.
   So a message that ``t`` never takes keeps it RUNNABLE for ever (as it keeps a
   ``RECEIVE`` with ``inbox`` empty resuming with ``[]``): a busy loop.  That is reported,
   never changed: as each turn of continuous work ends the scheduler looks at the next
   runnable task, and one seen held so by the same message, at the head of the same
   pause queue with nothing taken from or dropped by its inbox meanwhile, for
   ``HELD_TOO_LONG`` (0.1 s) is named with its inbox in a ``RuntimeWarning``, once per
   component (scheduler design note 9).  The rule for components: take what wakes you,
   or ``wake_on()`` only the inboxes you wait on.
"""

from __future__ import annotations

import enum
import os
import warnings
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from ._message import Shutdown

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator

    from ._box import Fan, Inbox
    from ._component import Component

__all__ = [
    "CROWD", "NO_ROOM", "RECEIVE", "RECEIVE_ONE", "ReceivingOne", "State", "Task", "add_reader", "block_send",
    "control_arrived", "drop_reader", "drop_readers", "fall_asleep", "find_readers", "retry_blocked_sends",
    "Readers", "taken_by", "fans_of", "wake_fan", "wake_readers", "watch_for_room",
    "PAUSING", "IMPLEMENTATION", "PyTask",
]


class _Receive:
    """The type of :data:`RECEIVE`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RECEIVE"


#: ``batch = yield RECEIVE`` ends the timeslice and resumes with every message waiting in
#: ``inbox`` (a list, oldest first), sleeping until there is one; at the end of the stream
#: (``Shutdown``, or ``ProducerFinished`` once the inbox is drained) it resumes with ``None``.
RECEIVE: Any = _Receive()


class _ReceiveOne:
    """The type of :data:`RECEIVE_ONE`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RECEIVE_ONE"


#: ``msg = yield RECEIVE_ONE`` ends the timeslice and resumes with the oldest message in
#: ``inbox``, sleeping until there is one; at the end of the stream (as for RECEIVE) it
#: resumes with ``None``.  The scheduler serves it off RECEIVE's hot path
#: (``Scheduler._receive_one``): each message is a timeslice, about twice what RECEIVE
#: costs at one message per timeslice (bench.instructions), so batch where speed counts.
RECEIVE_ONE: Any = _ReceiveOne()


class _Pausing:
    """The type of :data:`PAUSING`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PAUSING"


#: A task's ``resume`` after ``pause()`` and a bare ``yield`` (the classic idiom): its
#: next turn puts it to sleep without resuming it, unless a message has reached one of
#: its ``pause_queues`` by then, as a ``RECEIVE`` with nothing to take does; so a stage
#: of a busy system is not put to sleep and woken for every message (invariant 10).
PAUSING: Any = _Pausing()


class ReceivingOne(partial):  # type: ignore[type-arg]
    """A task's resume while it is in ``yield RECEIVE_ONE`` (``Task.receiving_one``, made on
    first use): on each turn it looks for the message (or the end) and resumes the
    generator with it, or, without running the generator, says that there is none (it is
    ``partial(Scheduler._receive_one_turn, task)``: a partial is called from C, one Python
    frame less per message).  ``looked``: its last turn found none either."""

    looked = False

#: What a task's ``inq`` is while senders wait for room in its inbox: always empty.
NO_ROOM: deque[Any] = deque(maxlen=0)

#: Senders a component may have before falling asleep no longer flags each of them.
CROWD = 16

#: ``Task.readers`` and ``Task.notify`` of a task that has none: shared, never appended
#: to (the first reader or sender gives the task a list of its own); and ``Task.senders``
#: likewise.  A component nothing is linked to (a paused worker, an idle session) then
#: costs no list and no set: 2,470 -> 2,140 bytes per paused component (tracemalloc,
#: 100,000 of them: bench.core's memory row).
NO_TASKS: list[Task] = []
NO_SENDERS: set[Task] = set()


class State(enum.Enum):
    """Where a component is in its life, as the scheduler sees it."""

    NEW = "new"  # built, not yet activated
    RUNNABLE = "runnable"  # in the run queue
    PAUSED = "paused"  # sleeping until a message reaches one of its inboxes
    WAITING = "waiting"  # waiting for an awaitable it yielded
    BLOCKED = "blocked"  # waiting for room in a bounded inbox it sent to
    FINISHED = "finished"
    FAILED = "failed"


_PAUSED = State.PAUSED
_RUNNABLE = State.RUNNABLE
_NEW = State.NEW
_FINISHED, _FAILED = State.FINISHED, State.FAILED


class Task:
    """The scheduler's record of one component (see the invariants above).

    One small class with slots, whatever the component's class: attribute access at the
    scheduler's hot sites stays monomorphic, which CPython specialises (bench/core.py).
    """

    __slots__ = ("comp", "send", "resume", "state", "pause", "blocked_sends", "readers",
                 "inq", "inbox", "control", "pause_queues", "wake_queues", "received",
                 "senders", "notify", "attend", "sticky", "limit", "gen", "future",
                 "cancelled_by", "taken", "one_taken", "receiving_one")

    def __init__(self, comp: Component) -> None:
        self.comp = comp
        self.send: Any = None  # the generator's send (possibly wrapped: instruments, taken)
        self.resume: Any = None  # None, RECEIVE, or a callable giving the next resume
        self.state = _NEW
        self.pause = False  # asked to pause (or a send blocked) this timeslice
        # the scheduler must do more than requeue it after its timeslice: it asked to
        # pause, or one of its readers may be asleep (invariant 6)
        self.attend = True
        self.sticky = False  # a reader of it has more than CROWD senders (invariant 5)
        self.blocked_sends: deque[tuple[Inbox[Any], Any]] | None = None  # invariant 7
        # owners of the inboxes its one-target outboxes reach; a Readers (which also holds
        # its fan-outs' fans) when it has fan-outs (invariant 4)
        self.readers: list[Task] = NO_TASKS  # (a list of its own from the first)
        self.senders: set[Task] = NO_SENDERS  # the tasks whose ``readers`` hold this one
        self.notify: list[Task] = NO_TASKS  # the senders to flag as it falls asleep (inv. 5)
        # the queue RECEIVE's hot path takes from: ``inbox``'s, or NO_ROOM (invariant 8)
        self.inq: deque[Any] = NO_ROOM
        self.limit: int | None = None  # Component.receive_limit
        self.inbox: Inbox[Any] | None = None
        self.control: deque[Any] | None = None
        self.pause_queues: tuple[deque[Any], ...] = ()  # what keeps it awake at a pause
        self.wake_queues: tuple[deque[Any], ...] = ()  # what wakes it once paused
        # messages RECEIVE took from ``inbox``; a float because the scheduler adds to it
        # per timeslice and floats, unlike ints above 256, come from a free list
        # (bench/core.py; exact up to 2**53 messages)
        self.received = 0.0
        self.gen: Generator[Any, Any, Any] | None = None  # main() (or a thread's proxy)
        self.future: Any = None  # what it awaits (WAITING)
        self.cancelled_by: Shutdown | None = None  # the Shutdown that cancelled that
        self.taken: list[Any] | None = None  # supervised: what this timeslice took
        self.one_taken: list[Any] | None = None  # supervised: what a RECEIVE_ONE turn takes
        self.receiving_one: ReceivingOne | None = None  # its resume in RECEIVE_ONE

    def __repr__(self) -> str:
        return f"<Task {self.comp.path} {self.state.value}>"


# -- readers and senders (invariants 4 to 6) ------------------------------------------------


def add_reader(sender: Component, inbox: Inbox[Any]) -> None:
    """``sender`` can now send to ``inbox``: it looks for the inbox's owner after its
    timeslices while that one may be asleep."""
    task = sender._axon_task
    assert task is not None
    state = task.state  # (sender.done and ensure_boxes, inline: twice per component linked)
    if state is _FINISHED or state is _FAILED or inbox.closed:
        return  # nothing is sent, or nothing read: no one to wake
    owner = inbox.owner
    reader = owner._axon_task
    if reader is None:  # (the inbox is made with its boxes, which make the task: only the
        owner._axon_ensure_boxes()  # placeholder inbox of a task without boxes lacks one)
        reader = owner._axon_task
    assert reader is not None
    senders = reader.senders
    if task not in senders:
        if senders is NO_SENDERS:
            senders = reader.senders = set()
        senders.add(task)
        if task.readers is NO_TASKS:
            task.readers = [reader]
        else:
            task.readers.append(reader)
        if len(senders) == CROWD + 1:  # just became crowded: its senders always look
            for s in senders:
                s.sticky = True
        _renotify(reader)
    if len(senders) > CROWD:
        task.sticky = True
    task.attend = True


def find_readers(sender: Component) -> None:
    """``sender``'s outboxes were rebound (a link changed): refresh its pushes and find
    its readers and fans again.  O(its outboxes and their one targets): a fan-out's
    targets are its fan's, not enumerated here."""
    task = sender._axon_task
    assert task is not None
    drop_readers(task)
    pushes = sender._axon_pushes
    fans: list[Fan] = []
    for name, ob in sender._axon_outboxes.items():
        pushes[name] = ob.push
        if len(ob.targets) > 1:
            fan = ob.fan
            assert fan is not None
            fans.append(fan)
    if fans and not sender.done:
        task.readers = Readers(fans)
    for ob in sender._axon_outboxes.values():
        if len(ob.targets) == 1:
            add_reader(sender, ob.targets[0])


def drop_readers(task: Task) -> None:
    """Empty ``task.readers`` and forget its fans (before they are found again, or once
    it has finished)."""
    for reader in list.__iter__(task.readers):
        reader.senders.discard(task)
        _renotify(reader)
    task.readers = NO_TASKS
    task.sticky = False


def drop_reader(sender: Component, owner: Component) -> None:
    """``sender`` may no longer reach ``owner`` (a link went, or an inbox closed): unless
    one of its one-target outboxes still reaches an open inbox of ``owner``, drop
    ``owner``'s task from its readers.  O(their boxes), not O(readers)."""
    task = sender._axon_task
    reader = owner._axon_task
    if task is None or reader is None or task not in reader.senders:
        return
    obs = [ob for ob in sender._axon_outboxes.values() if len(ob.targets) == 1]
    for ib in owner._axon_inboxes.values():
        if not ib.closed and any(ob.targets[0] is ib for ob in obs):
            return
    reader.senders.discard(task)
    task.readers.remove(reader)
    _renotify(reader)


def _renotify(reader: Task) -> None:
    senders = reader.senders
    reader.notify = list(senders) if 0 < len(senders) <= CROWD else NO_TASKS


def fall_asleep(task: Task) -> None:
    """Pause ``task`` (it asked to, and nothing keeps it awake), and have its senders look
    for it after their timeslices.  The scheduler's loop has a copy inline (see there)."""
    task.state = _PAUSED
    for s in task.notify:
        s.attend = True


def wake_readers(task: Task, append: Callable[[Task], None]) -> None:
    """After ``task``'s timeslice: wake its paused readers that have a message to wake on
    (``append`` puts them in the run queue).  ``task.attend`` stays set while a reader
    sleeps on.  The scheduler's loop has a copy inline (see there)."""
    task.attend = task.sticky
    for reader in task.readers:
        if reader.state is _PAUSED:
            for q in reader.wake_queues:
                if q:
                    reader.state = _RUNNABLE
                    append(reader)
                    break
            else:
                task.attend = True  # still asleep: look next time


class Readers(list):  # type: ignore[type-arg]
    """``Task.readers`` of a task with fan-out outboxes: its one-target readers, and
    ``fans``, the fans of its fan-outs.  Iterating it (as the look after a timeslice
    does, :func:`wake_readers`) first wakes the paused readers of the fans it sent
    through (:func:`wake_fan`).

    Why a list that does something as it is iterated: the look is inlined in the
    scheduler's loop, where one more test (``if t.fans:``) for every task cost 1.1% more
    instructions per hop in the classic idiom (11,991 against 11,857;
    ``python -m bench.instructions``).  A plain list, for every task without fan-outs,
    iterates as before."""

    __slots__ = ("fans",)

    def __init__(self, fans: list[Fan]) -> None:
        super().__init__()
        self.fans = fans

    def __iter__(self) -> Iterator[Task]:
        for fan in self.fans:
            if fan.sent:
                wake_fan(fan)
        return list.__iter__(self)


def fans_of(task: Task) -> list[Fan]:
    """The fans of ``task``'s fan-out outboxes (invariant 4)."""
    readers = task.readers
    return readers.fans if type(readers) is Readers else []


def wake_fan(fan: Fan) -> None:
    """After a timeslice that sent through ``fan`` (it marked itself ``sent`` as it
    pushed): wake its paused readers that have a message to wake on.  A fan it did not
    send through is not looked at, so a sender with many readers pays per timeslice only
    for the fan-outs it used: O(appends), not O(readers) (invariant 6)."""
    fan.sent = False
    for reader in fan.tasks:
        if reader.state is _PAUSED:
            for q in reader.wake_queues:
                if q:
                    reader.state = _RUNNABLE
                    reader.comp._axon_scheduler._ready.append(reader)  # type: ignore[union-attr]
                    break


# -- blocked sends and room (invariants 7 and 8) ---------------------------------------------


def block_send(sender: Component, inbox: Inbox[Any], msg: Any) -> None:
    """``inbox`` is full: keep ``msg`` in ``sender``'s ``blocked_sends`` until there is
    room; after this timeslice the scheduler suspends ``sender`` (BLOCKED)."""
    t = sender._axon_task
    assert t is not None
    if t.blocked_sends is None:
        t.blocked_sends = deque()
    t.blocked_sends.append((inbox, msg))
    t.pause = t.attend = True  # the scheduler looks at blocked_sends after the yield
    watch_for_room(inbox, sender)


def retry_blocked_sends(sender: Component) -> bool:
    """Move ``sender``'s blocked sends on while there is room; True when none are left.

    A closed target (its reader finished) counts them as dropped."""
    t = sender._axon_task
    blocked = t.blocked_sends if t is not None else None
    if blocked is None:
        return True
    sched = sender._axon_scheduler
    while blocked:
        target, msg = blocked[0]
        if not target.has_room():
            watch_for_room(target, sender)
            return False
        target.deliver(msg)  # (room now, or a policy that drops, or closed: counted)
        blocked.popleft()
        if sched is not None:
            sched.wake(target.owner)
    t.blocked_sends = None  # type: ignore[union-attr]
    return True


def watch_for_room(inbox: Inbox[Any], component: Component) -> None:
    """Put ``component`` in ``inbox``'s ``blocked`` list: whatever takes from the inbox
    then calls ``Scheduler.unblock``, which moves its blocked sends on or wakes it."""
    blocked = inbox.blocked
    if component not in blocked:
        if isinstance(blocked, tuple):  # (NOBODY: the inbox's own list, made on first use)
            blocked = inbox.blocked = []
        blocked.append(component)
    t = inbox.owner._axon_task
    if t is not None and t.inbox is inbox:
        t.inq = NO_ROOM  # RECEIVE takes the slow path, which makes room (invariant 8)


def taken_by(component: Component) -> tuple[Any, ...]:
    """What a supervised ``component`` took in its current (or last) timeslice and has not
    put back: the messages a failure there leaves unfinished (``Supervisor``)."""
    t = component._axon_task
    return tuple(t.taken) if t is not None and t.taken else ()


def control_arrived(owner: Component, msg: Any) -> None:
    """A message reached ``owner``'s ``control`` (Inbox design note 6): a component
    suspended on a full inbox runs again to see it; a ``Shutdown`` cancels what it awaits."""
    sched = owner._axon_scheduler
    t = owner._axon_task
    if sched is None or t is None:
        return
    state = t.state
    if state is State.BLOCKED:
        sched._release_blocked(t)
    elif state is State.WAITING and isinstance(msg, Shutdown) and owner.end_message is None:
        sched._cancel_wait(t, msg)


# -- the compiled core (axon/_core/_ccore.pyx), when built and not switched off ----------------

#: The ``_ccore.ABI`` this Python code was written with (a stale build is not used).
_CCORE_ABI = 1

#: The pure-Python task record: the reference, whichever ``Task`` is in use.
PyTask = Task


def _compiled() -> Any:
    """The compiled core module, or None: not built here (no compiler at install time),
    built from another version of this code (with a warning), or ``AXON_PURE_PYTHON``
    set (not "0")."""
    if os.environ.get("AXON_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from . import _ccore  # type: ignore[attr-defined]
    except ImportError:
        return None
    stale = getattr(_ccore, "ABI", None) != _CCORE_ABI
    pyx = os.path.join(os.path.dirname(__file__), "_ccore.pyx")
    if not stale and os.path.exists(pyx):  # (a source tree: its .pyx may have changed)
        import hashlib  # (only here: importing it costs ~2.5 ms of every ``import axon``)
        with open(pyx, "rb") as f:
            stale = hashlib.sha256(f.read()).hexdigest()[:16] != _ccore.SOURCE_SHA
    if stale:
        warnings.warn("axon: the compiled core was built from another version of "
                      "axon/_core/_ccore.pyx; using the pure-Python core (rebuild: python "
                      "setup.py build_ext --inplace)", RuntimeWarning, stacklevel=2)
        return None
    return _ccore


_ccore = _compiled()

#: Which core runs: "compiled" (axon/_core/_ccore.pyx) or "python".
IMPLEMENTATION = "python" if _ccore is None else "compiled"

if _ccore is not None and not TYPE_CHECKING:  # the same record, with C struct fields
    Task = _ccore.Task
