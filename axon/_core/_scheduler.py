"""The scheduler: runs component generators round-robin inside an asyncio event loop.

Design principles
-----------------
1. One scheduler is one object, made when needed; nothing global is created at import.
2. Only runnable components are visited.  Paused, waiting and blocked components sit
   outside the run queue and cost nothing per round.
3. No sleeping per round.  The scheduler hands the event loop a turn only every
   ``io_slice`` seconds of continuous work (default 1 ms), so I/O stays responsive at
   little cost, and when nothing is runnable it blocks on a future: an idle system uses
   no CPU until a timer, socket, thread or outside caller wakes something.  It reads the
   clock every few timeslices, as many as fit in the slice at the rate it sees, so slow
   timeslices hold I/O back by one timeslice at most.
4. Wake-ups are checked once per timeslice, not per message: after a component's
   timeslice the scheduler looks at the inboxes its outboxes reach and wakes their
   paused owners.  It looks only while one of those owners may be paused (a flag each
   pause sets on the owner's senders; past ``CROWD`` senders they look every time
   instead, so a pause stays cheap), and a busy pipeline skips the look.  A fan-out
   (an outbox feeding many inboxes) flags itself as it sends, and its readers are
   looked at only then: a sender with many sleeping readers costs nothing extra.  A pause is
   re-checked after the ``yield``, so no wake-up is lost.  The per-component half of
   this protocol (the task, waking, pausing, blocked sends) is axon/_core/_task.py,
   whose invariants block states it as a whole.
5. Errors always propagate.  An exception in a component stops the system and
   :func:`run` raises :class:`ComponentError` naming the component's place, unless an
   ancestor (a supervisor) takes charge of it.
6. Nothing is left waiting for what cannot come.  A component that finishes closes its
   inboxes (``Inbox.close``): what is sent there is counted as dropped, senders blocked on
   them are released, and a sender whose every reader has gone is told (``ReaderGone``
   in its ``control``).  A message on ``control`` releases a component blocked on a full
   inbox, and a ``Shutdown`` there cancels what it awaits (``CancelledError`` is thrown in
   at its ``yield``; escaping ``main()``, it ends the component on that ``Shutdown``).
7. Deadlocks are found whatever else runs: a cycle of components blocked on each other's
   full inboxes as the last of them blocks; and, when nothing can run, components blocked
   with messages that nothing can ever take (they, and whatever could wake them, have no
   keep-alive, thread or awaitable of their own, and none of those can run), even beside
   timers, servers and handles.  A component that is merely idle (paused, holding
   nothing) beside such live parts is not an error: a server may idle until Ctrl-C, and
   stopping it for that would stop everything else it serves.  With nothing at all left
   to run or to wake, any waiting component is a deadlock, as before.  Keep-alives held
   by outside code (``keep_alive()`` with no component) turn the partial search off:
   outside code may wake anything.  (So must code, a component's too, that puts straight
   into the inbox of a component it is not linked to.)
8. Priority classes order turns without starving anyone.  A component's class
   (``Component.priority``: LOW, NORMAL, HIGH, URGENT) picks who runs next: the longest
   waiting of the highest class with a runnable component, except that every
   ``fair_every``-th turn (default 4) goes to the class below it whose last such turn is
   the oldest.  Guarantee: while a class below the highest has runnable components it
   gets at least one of every ``fair_every * (C - 1)`` turns (C: the classes with
   runnable components, at most 4), so a component ``n`` places back in its class runs
   within ``(n + 1) * fair_every * max(1, C - 1)`` turns, whatever the classes above it
   do (axon/_core/_priority.py).  A scheduler whose components are all NORMAL runs on
   its plain deque and pays nothing; the first component of another class swaps in a
   ``ClassQueue`` with the same methods, so the loop below is the same code for both
   (only the turn's end differs: timers due run before the next turn, not after it).
9. A pause kept busy is reported, never changed.  A component that asks to pause while
   one of the inboxes it pauses on holds a message it does not take is resumed on every
   turn (the deferred pause: axon/_core/_task.py invariant 10), busy for ever.  As each
   turn of continuous work ends (every ``io_slice``), the scheduler looks at the next
   runnable component: if it waits to be resumed only because such a message is there
   (PAUSING, or RECEIVE with nothing in ``inbox``), it remembers that message's queue and
   identity and what that inbox had given out (taken or dropped).  Seen again held by the
   same message, nothing taken or dropped from that inbox meanwhile, at least
   :data:`HELD_TOO_LONG` later, the component is named in a ``RuntimeWarning`` (once per
   component; ``Scheduler.kept_awake``, ``SchedulerStatistics.kept_awake``).  The look
   is per turn, not per timeslice: the loop's hot paths carry nothing for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from types import GeneratorType
from typing import Any

from ._box import NOBODY, Box, Inbox, Link, LinkKind
from ._component import Component
from ._task import (
    PAUSING, RECEIVE, RECEIVE_ONE, ReceivingOne, State, Task, _ccore, drop_readers, fall_asleep,
    fans_of, retry_blocked_sends, wake_readers,
)
from ._errors import ComponentError, Deadlock
from ._instrument import Instrument, SliceHooks, overrides
from ._message import ProducerFinished, ReaderGone, Shutdown
from ._priority import ClassQueue, Priority
from ._services import ServiceRegistry

__all__ = ["Scheduler", "SchedulerStatistics", "run", "run_async"]

_RUNNABLE = State.RUNNABLE
_PAUSED = State.PAUSED
_BLOCKED = State.BLOCKED
_NEW = State.NEW
_FINISHED = State.FINISHED  # (enum members read per component: see _NEW in _component.py)
_ASLEEP: Any = object()  # Scheduler._receive put the task to sleep without resuming it
_ONE_AGAIN: Any = object()  # a turn in RECEIVE_ONE found no message: look on the next
_ONE_WAIT: Any = object()  # and again: sleep until woken
if _ccore is not None:  # the compiled core's copy of the loop's turn (see _main_loop)
    _ccore.configure(_ASLEEP, _ONE_AGAIN, _ONE_WAIT)
_run_turn: Any = None if _ccore is None else _ccore.run_turn
_one_turn: Any = None if _ccore is None else _ccore.receive_one_turn  # (_receive_one_turn)


#: How long a component that asked to pause may be seen kept runnable by the same message
#: it never takes before the scheduler warns (design note 9).  A spinning component runs
#: 0.5-2 million empty timeslices a second (one pinned a core for 33 s with 68 million), so
#: a tenth of a second is tens of thousands of refused pauses: never an accident of timing,
#: yet soon enough to be seen as the program starts misbehaving (and tests stay short).
HELD_TOO_LONG = 0.1

#: At most this many runnable components seen held by a message are remembered at once
#: (the oldest is forgotten first): a busy classic-idiom stage is often seen with its next
#: message waiting, so in a large busy system most sightings are of healthy stages.
HELD_REMEMBERED = 256


@dataclass(frozen=True, slots=True)
class SchedulerStatistics:
    """A snapshot of what the scheduler is doing.

    ``kept_awake``: components reported (once each, with a ``RuntimeWarning``) for
    asking to pause while a message they never took kept them running (design note 9;
    ``Scheduler.kept_awake`` names them and the inbox)."""

    timeslices: int
    components: int
    runnable: int
    paused: int
    waiting: int
    blocked: int
    finished: int
    failed: int
    kept_awake: int = 0


class _KeptAwake:
    """The scheduler's record for design note 9."""

    __slots__ = ("seen", "reported")

    def __init__(self) -> None:
        self.seen: dict[Task, _Held] = {}  # runnable tasks seen held up by a message
        self.reported: dict[Component, str] = {}  # each with the inbox that held it


@dataclass(slots=True)
class _Held:
    """A runnable task seen waiting to be resumed only because ``queue`` (one of its
    inboxes') holds a message: that message's id, what the inbox had given out then
    (taken and dropped), and when it was first seen so (design note 9)."""

    queue: deque[Any]
    head: int  # id() of the message at its head: not a reference (nothing is kept alive)
    given_out: float
    since: float


class Scheduler:
    """Runs components.  Make one, ``activate()`` systems on it, then ``run()`` it.

    ``io_slice`` is how long the scheduler may run components before letting the event
    loop poll for I/O and timers.  ``fair_every``: once components of several priority
    classes run, every ``fair_every``-th turn goes to a class below the highest
    (design note 8).
    """

    def __init__(self, *, io_slice: float = 0.001, fair_every: int = 4) -> None:
        self.io_slice = io_slice
        if not isinstance(fair_every, int) or fair_every < 2:
            raise ValueError(f"fair_every must be an int >= 2, not {fair_every!r}")
        self.fair_every = fair_every
        self._classes_wanted = False  # a ClassQueue is (or is to be) the run queue
        self._in_loop = False  # running timeslices (see the current property)
        self.timeslices = 0
        self.finished_count = 0
        self.failed_count = 0
        self.services = ServiceRegistry()
        self._ready: deque[Task] | ClassQueue = deque()  # ClassQueue: design note 8
        self._asleep = 0  # visits this turn that paused a task instead of resuming it
        self._chunk = 1  # timeslices between reads of the clock (adapts to their length)
        self._live: dict[int, Component] = {}
        self._waiting = 0
        self._keepalives = 0
        self._kept_alive: dict[int, int] = {}  # id(component) -> keep-alives it holds
        self._stuck_check = 0.0  # when the search for components nothing can wake may run
        self._recheck: asyncio.TimerHandle | None = None  # to run it then, if still idle
        self._threads = 0
        self._idle: asyncio.Future[None] | None = None
        self._idle_waiters: list[asyncio.Future[None]] = []  # see next_idle()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._running = False
        self._finish_hooks: list[Callable[[Component], None]] = []
        self._instruments: list[Instrument] = []
        self._start_hooks: list[Callable[[Component], None]] = []
        self._link_hooks: list[Callable[[Link, bool], None]] = []
        self._slice_hooks: SliceHooks | None = None  # None: no timeslice hooks, no wrapping
        # design note 9: runnable tasks seen held up, and the components reported (one
        # attribute: a 30th instance key slows every read of the others in CPython 3.11,
        # RECEIVE_ONE 5,993 -> 6,251 instructions per hop in pure Python, bench.instructions)
        self._awake = _KeptAwake()

    # -- adding work -------------------------------------------------------------------------

    def activate(self, component: Component) -> Component:
        """Start ``component`` (and its children) on this scheduler; returns it."""
        t = component._axon_task  # (component.state, inline: this runs per component)
        if t is not None and t.state is not _NEW:
            raise ValueError(f"{component.path} was already started ({component.state.value})")
        if component._axon_scheduler is not None and component._axon_scheduler is not self:
            raise ValueError(f"{component.path} belongs to another scheduler")
        if t is None:  # no boxes yet: nothing is linked to it
            if type(component)._axon_threaded:  # (its thread takes from them at any time)
                component._axon_make_boxes()
            else:  # its boxes are made when first used (Component._axon_make_task)
                component._axon_make_task()
        try:
            component.on_activate(self)
            gen = component._axon_generator()
            if not isinstance(gen, GeneratorType):  # (inspect.isgenerator, inline)
                raise TypeError(
                    f"{component.path}: main() must be a generator (use 'yield'), "
                    f"it returned {type(gen).__name__}"
                )
        except Exception as exc:  # noqa: BLE001 - the component's own failure, reported as such
            self._activation_failed(component, exc)
            return component
        component._axon_scheduler = self
        task = component._axon_task
        assert task is not None
        task.gen = gen
        task.send = gen.send
        node = component._axon_parent
        if node is not None and node._axon_priority and not component._axon_own_priority:
            component._axon_priority = node._axon_priority  # (its parent's class: note 8)
        if component._axon_priority:
            self._use_classes()
        while node is not None:  # (a few steps up, once per activation)
            if node._axon_supervises:
                component._axon_supervised()
                break
            node = node._axon_parent
        if self._slice_hooks is not None:
            task.send = self._slice_hooks.wrap_send(component, task.send)
        task.resume = None
        task.pause = False
        task.blocked_sends = None
        task.state = _RUNNABLE
        self._live[id(component)] = component
        self._ready.append(task)
        idle = self._idle  # (_poke(), inline: once per component)
        if idle is not None and not idle.done():
            idle.set_result(None)
        for hook in self._start_hooks:
            hook(component)
        for child in component._axon_children:
            ct = child._axon_task
            if ct is None or ct.state is _NEW:
                self.activate(child)
        return component

    def _activation_failed(self, component: Component, exc: BaseException) -> None:
        """``component`` failed as it started (in ``on_activate``, or ``main()`` is no
        generator): it has failed like any component, so an ancestor may take charge (a
        supervisor restarts it); otherwise a :class:`ComponentError` names it, raised now
        if the scheduler is not running, else from :meth:`run`.  Its children never start."""
        component._axon_scheduler = self
        self._failed(component, exc)
        if not self._running and self._error is not None:
            err, self._error = self._error, None
            raise err

    @property
    def current(self) -> Component | None:
        """The component in its timeslice (None between timeslices).

        Found when asked (a rare question) rather than recorded on every timeslice.
        """
        if not self._in_loop:
            return None
        for comp in self._live.values():
            t = comp._axon_task
            gen = t.gen if t is not None else None
            if gen is not None and gen.gi_running:  # type: ignore[attr-defined]
                return comp
        return None

    def wake(self, component: Component) -> None:
        """Make a paused component runnable (idempotent; never starts an unstarted one)."""
        t = component._axon_task
        if t is not None and component._axon_scheduler is self:
            if t.state is _PAUSED:
                t.state = _RUNNABLE
                self._ready.append(t)
                self._poke()
            elif t.resume is PAUSING:  # to sleep on its next turn: it runs then instead
                t.resume = None  # (the _task.py invariant 10)

    # -- priority classes (design note 8; axon/_core/_priority.py) -----------------------------

    def _use_classes(self) -> None:
        """A component of a class other than NORMAL is running: serve the run queue by
        class from now on.  The swap waits for the end of the loop's turn if one is under
        way (the loop holds the queue it pops from)."""
        if self._classes_wanted:
            return
        self._classes_wanted = True
        if not self._in_loop:
            self._swap_run_queue()

    def _swap_run_queue(self) -> None:
        if not isinstance(self._ready, ClassQueue):
            self._ready = ClassQueue(self.fair_every, self._ready)

    def _priority_changed(self, component: Component, old: int) -> None:
        """``component``'s class changed from ``old`` (it is this scheduler's)."""
        if component._axon_priority:
            self._use_classes()
        t = component._axon_task
        ready = self._ready
        if t is not None and t.state is _RUNNABLE and isinstance(ready, ClassQueue):
            ready.moved(t, old)

    def runnable_by_class(self) -> dict[Priority, int]:
        """How many runnable components wait in each priority class (all NORMAL while
        no other class has been used)."""
        ready = self._ready
        if isinstance(ready, ClassQueue):
            return ready.runnable()
        return {p: (len(ready) if p is Priority.NORMAL else 0) for p in Priority}

    def call_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the scheduler's thread, and wake the scheduler."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._call_and_poke, fn, args)

    def _call_and_poke(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        fn(*args)
        self._poke()

    def unblock(self, inbox: Inbox[Any]) -> None:
        """``inbox`` has room again: let the senders it blocked move their messages on, and
        wake the components watching for room in it."""
        senders = inbox.blocked
        inbox.blocked = NOBODY
        owner = inbox.owner._axon_task
        if owner is not None and owner.inbox is inbox and owner.limit is None:
            owner.inq = inbox.queue  # (it was NO_ROOM)
        for sender in senders:
            t = sender._axon_task
            if retry_blocked_sends(sender) and t is not None:
                if t.state is State.BLOCKED:
                    t.state = _RUNNABLE
                    self._ready.append(t)
                    self._poke()
                else:  # a component watching for room (axon/_core/_flow.py), paused or
                    self.wake(sender)  # about to (wake() does nothing otherwise)

    @contextlib.contextmanager
    def keep_alive(self, owner: Component | None = None) -> Iterator[None]:
        """While held, an idle system is not a deadlock: something may still wake it.

        Held for a component (``Component.keep_alive()``), it says that *that component*
        may be woken from outside (a timer, a socket, a thread): components that nothing
        can wake are still found beside it.  Held with no owner, it says outside code
        may wake anything, and only cycles of blocked senders are found.
        """
        key = id(owner) if owner is not None else 0
        holders = self._kept_alive
        holders[key] = holders.get(key, 0) + 1
        self._keepalives += 1
        try:
            yield
        finally:
            self._keepalives -= 1
            n = holders[key] - 1
            if n:
                holders[key] = n
            else:
                del holders[key]
            self._poke()

    def _release_blocked(self, t: Task) -> None:
        """Let a component blocked on a full inbox run (a message reached its control).

        What it holds stays held; its next send to a ``block`` inbox suspends it again."""
        if t.state is _BLOCKED:
            t.state = _RUNNABLE
            self._ready.append(t)
            self._poke()

    def _cancel_wait(self, t: Task, shutdown: Shutdown) -> None:
        """A ``Shutdown`` reached ``t``'s component while it awaits: cancel the awaitable."""
        fut = t.future
        if fut is not None and not fut.done():
            t.cancelled_by = shutdown
            fut.cancel()

    def thread_started(self) -> None:
        self._threads += 1

    def thread_ended(self) -> None:
        self._threads -= 1
        self._poke()

    def next_idle(self) -> asyncio.Future[None]:
        """A future done the next time nothing is runnable (the scheduler then waits for
        I/O, timers or threads), or when the run ends.

        For tools and tests that wait for a system to settle: awaiting it, instead of
        polling, costs nothing while components wait for real I/O.  Call it while the
        scheduler runs (or is about to, in the same event loop).
        """
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._idle_waiters.append(fut)
        return fut

    def _resolve_idle_waiters(self) -> None:
        waiters, self._idle_waiters = self._idle_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def _poke(self) -> None:
        idle = self._idle
        if idle is not None and not idle.done():
            idle.set_result(None)

    # -- introspection ---------------------------------------------------------------------------

    @property
    def components(self) -> list[Component]:
        """The live (started, unfinished) components."""
        return list(self._live.values())

    def statistics(self) -> SchedulerStatistics:
        counts = {s: 0 for s in State}
        for c in self._live.values():
            counts[c.state] += 1
        return SchedulerStatistics(
            self.timeslices, len(self._live), counts[State.RUNNABLE], counts[State.PAUSED],
            counts[State.WAITING], counts[State.BLOCKED], self.finished_count, self.failed_count,
            len(self._awake.reported),
        )

    @property
    def kept_awake(self) -> dict[Component, str]:
        """The components reported for asking to pause while a message they never took
        kept them running, each with the name of the inbox that held it (design note 9)."""
        return dict(self._awake.reported)

    def on_finish(self, hook: Callable[[Component], None]) -> None:
        """Call ``hook(component)`` whenever a component finishes or fails."""
        self._finish_hooks.append(hook)

    # -- instruments (axon/_core/_instrument.py; nothing here runs per timeslice unless used) ---------

    def add_instrument(self, instrument: Instrument) -> None:
        """Call the hooks ``instrument`` overrides from now on (see :class:`Instrument`)."""
        self._instruments.append(instrument)
        if overrides(instrument, "component_finished"):
            self._finish_hooks.append(instrument.component_finished)
        self._rebind_instruments()

    def remove_instrument(self, instrument: Instrument) -> None:
        """Stop calling ``instrument``'s hooks."""
        self._instruments.remove(instrument)
        if overrides(instrument, "component_finished"):
            self._finish_hooks.remove(instrument.component_finished)
        self._rebind_instruments()

    def _rebind_instruments(self) -> None:
        ins = self._instruments
        self._start_hooks = [i.component_started for i in ins if overrides(i, "component_started")]
        self._link_hooks = [i._link_changed for i in ins if overrides(i, "link_added")
                            or overrides(i, "link_removed")]
        before = [i.before_timeslice for i in ins if overrides(i, "before_timeslice")]
        after = [i.after_timeslice for i in ins if overrides(i, "after_timeslice")]
        if before or after:
            if self._slice_hooks is None:
                self._slice_hooks = SliceHooks()
                for comp in self._live.values():
                    t = comp._axon_task
                    if t is not None and t.send is not None:
                        t.send = self._slice_hooks.wrap_send(comp, t.send)
            self._slice_hooks.before[:] = before
            self._slice_hooks.after[:] = after
        elif self._slice_hooks is not None:
            # (lists left as they are: a timeslice under way still calls its "after")
            self._slice_hooks = None
            for comp in self._live.values():
                t = comp._axon_task
                if t is not None:
                    t.send = getattr(t.send, "unwrapped", t.send)

    def _link_changed(self, link: Link, added: bool) -> None:
        for hook in self._link_hooks:
            hook(link, added)

    # -- running ------------------------------------------------------------------------------------

    def run(self, timeout: float | None = None) -> None:
        """Run until every activated component has finished (blocking)."""
        asyncio.run(self.run_async(timeout=timeout))

    async def run_async(self, timeout: float | None = None) -> None:
        """Run inside the current event loop until every component has finished.

        Raises :class:`ComponentError` if a component fails, :class:`Deadlock` if live
        components wait with nothing left to wake them, ``TimeoutError`` after ``timeout``;
        in each case the rest of the system is shut down first.
        """
        if self._running:
            raise RuntimeError("this scheduler is already running")
        self._running = True
        self._loop = asyncio.get_running_loop()
        try:
            if timeout is None:
                await self._main_loop()
            else:
                try:
                    async with asyncio.timeout(timeout):
                        await self._main_loop()
                except TimeoutError:
                    still = ", ".join(c.path for c in self._live.values())
                    raise TimeoutError(
                        f"system did not finish within {timeout} s (still running: {still})"
                    ) from None
        except BaseException as exc:
            self._shutdown_for(exc)
            raise
        finally:
            self._running = False
            self._in_loop = False
            self._resolve_idle_waiters()
            if self._recheck is not None:
                self._recheck.cancel()
                self._recheck = None
        if self._error is not None:
            err, self._error = self._error, None
            self._shutdown_for(err)
            raise err

    def _shutdown_for(self, exc: BaseException) -> None:
        """Shut down because ``exc`` ends the run: errors from ``finally`` blocks (and an
        error still pending) become notes on ``exc``, so none is lost or left behind."""
        pending, self._error = self._error, None
        if pending is not None and pending is not exc:
            exc.add_note(f"also: {pending}")
        for err in self._stop_all():
            exc.add_note(f"also, while shutting down: {err}")

    async def _main_loop(self) -> None:
        ready = self._ready
        append = ready.append  # (a bound append is cheaper here; ready.popleft() below, a
        # method call CPython specialises, is cheaper than a bound popleft)
        clock = time.perf_counter
        loop = self._loop
        assert loop is not None
        RECV = RECEIVE  # (locals: the loop below is the hottest code in Axon)
        PAUSED = _PAUSED
        DEFERRED = PAUSING
        # INLINE: wake_readers(t, append) and fall_asleep(t) of axon/_core/_task.py are
        # copied into the loop below, where every timeslice of the classic idiom
        # (``pause(); yield``) ends.  Calling them instead costs 7.8% more instructions
        # per hop in that idiom at one message per timeslice (12,785 against 11,857,
        # measured before its pause was deferred (_task.py invariant 10);
        # ``python -m bench.instructions``, "per-message, classic idiom"), 0.7% in
        # bursts.  tests/axon/test_task.py checks that the copies are the functions.
        # COMPILED: the compiled core (axon/_core/_ccore.pyx, ``run_turn``) is this turn's
        # code (from ``start = mark = clock()`` to its ``break``) in Cython, used when built
        # (``axon.core_implementation``); tests/axon/test_ccore.py runs the protocol's
        # scenarios under both and compares their event logs.  Change both together.
        chunks = [range(n) for n in range(33)]  # (prebuilt: cheaper than range(k) each time)
        while self._live and self._error is None:
            if self._classes_wanted and type(ready) is not ClassQueue:  # (once per turn)
                # priority classes came into use: the run queue is a ClassQueue now
                self._swap_run_queue()
                ready = self._ready
                append = ready.append
            if not ready:
                if not self._waiting and not self._threads and not self._keepalives:
                    self._raise_deadlock()
                if 0 not in self._kept_alive:  # (no outside code may wake anything)
                    self._look_for_stuck(loop)
                self._idle = loop.create_future()
                if self._idle_waiters:
                    self._resolve_idle_waiters()
                await self._idle
                self._idle = None
                continue
            if _run_turn is not None:  # the compiled core: this turn's code below, in C
                # (classic idiom at one message per timeslice 7,088 -> 4,033 instructions
                # per hop with the compiled methods, bench.instructions)
                between = self._turn_ended(_run_turn(self, ready), ready, loop)
                if between is not None:
                    await between
                continue
            start = mark = clock()
            deadline = start + self.io_slice
            self._in_loop = True
            visits = 0
            k = self._chunk  # timeslices until the clock is next read
            while True:
                for i in chunks[k]:
                    try:
                        t = ready.popleft()
                    except IndexError:  # nothing runnable
                        visits += i
                        break
                    r = t.resume
                    try:
                        if r is RECV:
                            q = t.inq
                            if q and not t.control:  # the hot path: messages, no signal
                                batch = [q.popleft()]
                                if q:
                                    batch += q
                                    q.clear()
                                    t.received += len(batch)
                                else:
                                    t.received += 1.0
                                send = t.send  # (LOAD_ATTR of a slot: specialised; t.send(..)
                                y = send(batch)  # would be an unspecialisable LOAD_METHOD)
                                if y is RECV and not t.attend:
                                    append(t)
                                    continue
                            else:
                                y = self._receive(t)
                                if y is _ASLEEP:
                                    continue
                        elif r is None:
                            send = t.send
                            y = send(None)
                            if y is None and not t.attend:  # a bare yield: next round
                                if t.pause:  # pause() too: look on its next turn (the
                                    t.pause = False  # _task.py invariant 10)
                                    t.resume = DEFERRED
                                append(t)
                                continue
                        elif r is DEFERRED:  # it paused (the classic idiom), deferred:
                            # sleep now, without running it, unless a message came since
                            # (deferring: 9,952 -> 7,867 instructions per hop, classic
                            # idiom at one message per timeslice, bench.instructions)
                            t.resume = None
                            for q in t.pause_queues:
                                if q:
                                    break
                            else:  # fall_asleep(t), inline (see INLINE above)
                                t.state = PAUSED
                                for sender in t.notify:
                                    sender.attend = True
                                self._asleep += 1
                                continue
                            send = t.send
                            y = send(None)
                            if y is None and not t.attend:  # (as for r None above)
                                if t.pause:
                                    t.pause = False
                                    t.resume = DEFERRED
                                append(t)
                                continue
                        else:
                            t.resume = None
                            y = r()
                    except BaseException as exc:  # noqa: BLE001 - every error is propagated
                        if self._ended(t, exc):
                            visits += i + 1
                            break
                        continue
                    if t.attend:  # wake_readers(t, append), inline (see INLINE above)
                        t.attend = t.sticky
                        for reader in t.readers:
                            if reader.state is PAUSED:
                                for q in reader.wake_queues:
                                    if q:
                                        reader.state = _RUNNABLE
                                        append(reader)
                                        break
                                else:
                                    t.attend = True  # still asleep: look next time
                    if y is RECV:
                        # back of the queue: if nothing has arrived by its next turn it is
                        # paused then, without a resume (so a busy stage never pauses)
                        t.resume = RECV
                        if t.pause:
                            t.pause = False
                            if t.blocked_sends is not None:
                                t.state = _BLOCKED
                                self._blocked(t)
                                continue
                        append(t)
                    elif y is None:
                        t.resume = None
                        if t.pause:  # also set when a send blocked
                            t.pause = False
                            if t.blocked_sends is not None:
                                t.state = _BLOCKED
                                self._blocked(t)
                            elif t.pause_queues is t.wake_queues:  # deferred: looked at
                                t.resume = DEFERRED  # on its next turn (invariant 10)
                                append(t)
                            else:  # a thread's proxy (no pause_queues): asleep now
                                fall_asleep(t)
                        else:
                            append(t)
                    else:
                        t.resume = None
                        t.pause = False
                        self._await(t, y)
                else:
                    visits += k
                    now = clock()
                    if now + (now - mark) <= deadline:  # another chunk like this one fits
                        mark = now
                        if k < 32:
                            k = k + k if k < 16 else 32
                        continue
                    if now < deadline:  # it would not: read the clock sooner, so that a
                        # slow timeslice does not hold I/O back for k of them
                        k = max(1, int(k * (deadline - now) / (now - mark)))
                        mark = now
                        continue
                    # the next turn starts with as many as fitted this one, up to 32
                    self._chunk = max(1, min(32, int(self.io_slice * visits / (now - start))))
                break
            between = self._turn_ended(visits, ready, loop)
            if between is not None:
                await between

    def _turn_ended(self, visits: int, ready: Any,
                    loop: asyncio.AbstractEventLoop) -> Awaitable[None] | None:
        """A turn of ``visits`` timeslices ended (the loop's own, or the compiled core's):
        count them; returns what to await before the next turn, or None if the run is over."""
        self._in_loop = False
        self.timeslices += visits - self._asleep
        self._asleep = 0
        if ready and self._error is None:  # still busy: the look of design note 9
            self._look_for_held(ready)
        if self._error is None and self._live:
            if type(ready) is ClassQueue:  # (design note 8) timers due now run before
                return self._after_due_timers(loop)  # the next turn, not after it
            return asyncio.sleep(0)  # let I/O, timers and callbacks in
        return None

    @staticmethod
    def _after_due_timers(loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        """A future done once the timers due now have run, and the callbacks they
        scheduled (``sleep(0)`` resumes the loop before them, so a timer that wakes an
        urgent component, or completes a future it awaits, would wait a whole turn): a
        timer due now, which asyncio runs after the timers due before it, and which
        resolves the future in the loop's next round, after what those timers scheduled.
        (A future that a timer completes in that next round still has its callback run
        after the turn that follows: then its component waits for one turn.)"""
        fut = loop.create_future()
        loop.call_at(loop.time(), loop.call_soon, _resolve, fut)
        return fut

    def _look_for_held(self, ready: Any) -> None:
        """Design note 9: is the next runnable task to be resumed only because a message
        it does not take waits in an inbox it pauses on, the same one as when it was
        first seen so, for :data:`HELD_TOO_LONG`?  Then report it (once)."""
        t = ready.first() if type(ready) is ClassQueue else ready[0]
        if t is None:
            return
        held = self._awake.seen
        r = t.resume
        if r is PAUSING or (r is RECEIVE and t.inbox is not None and not t.inbox.queue):
            for q in t.pause_queues:  # (the queue whose message refuses its pause)
                if q:
                    break
            else:
                held.pop(t, None)
                return
        else:
            held.pop(t, None)
            return
        comp = t.comp
        for ib in comp._axon_inboxes.values():
            if ib.queue is q:
                break
        else:  # (not an inbox's queue: nothing to name)
            return
        given_out = ib._received + ib.dropped + (t.received if ib is t.inbox else 0.0)
        now = time.perf_counter()
        seen = held.get(t)
        if (seen is None or seen.queue is not q or seen.head != id(q[0])
                or seen.given_out != given_out):
            held.pop(t, None)  # (re-inserted last: the oldest sighting is forgotten first)
            held[t] = _Held(q, id(q[0]), given_out, now)
            if len(held) > HELD_REMEMBERED:
                del held[next(iter(held))]
            return
        reported = self._awake.reported
        if now - seen.since < HELD_TOO_LONG or comp in reported:
            return
        reported[comp] = ib.name
        try:
            _warn_held(t, ib.name, now - seen.since)
        except RuntimeWarning as exc:  # a filter made the warning an error: it is the
            # component's, raised at its yield (as a failed await's error is)
            gen = t.gen
            assert gen is not None
            t.resume = partial(gen.throw, exc.with_traceback(None))  # (raised there)
            if self._slice_hooks is not None:
                t.resume = self._slice_hooks.wrap_resume(comp, t.resume)

    def _ended(self, t: Task, exc: BaseException) -> bool:
        """``t``'s generator returned or raised ``exc``: True if the run must stop."""
        comp = t.comp
        if isinstance(exc, StopIteration):
            self._finished(comp, _FINISHED, close=True)
            return False
        shutdown = t.cancelled_by
        if shutdown is not None and isinstance(exc, asyncio.CancelledError):
            # a Shutdown cancelled its await and it let that end it: it ended on the
            # Shutdown, which it would have passed on
            if comp.end_message is None:
                comp.end_message = shutdown
            self._pass_on_end(comp)
            self._finished(comp, State.FINISHED, close=True)
            return False
        self._failed(comp, exc)
        return self._error is not None

    @staticmethod
    def _pass_on_end(comp: Component) -> None:
        ob = comp._axon_outboxes.get("signal")
        if ob is not None:
            with contextlib.suppress(Exception):  # (a full or closed signal box: nothing to do)
                ob.push(comp.end_message)

    def _receive(self, t: Task) -> Any:
        """Resume ``t`` for RECEIVE off the hot path: an end of stream, messages while
        ``control`` holds something else, or nothing (then it sleeps: ``_ASLEEP``)."""
        ib = t.inbox
        assert ib is not None
        q = ib.queue
        if t.control and t.comp.finished():  # Shutdown (or the end, inbox drained): stop now
            return t.send(None)
        if q:
            n = t.limit
            if n is None or len(q) <= n:
                batch = list(q)
                q.clear()
            else:  # receive_limit: the rest waits in the inbox for the next RECEIVE
                batch = [q.popleft() for _ in range(n)]
            t.received += len(batch)
            if ib.blocked:
                self.unblock(ib)
            return t.send(batch)
        # nothing for it: sleep here, without resuming it, unless another inbox has
        # something or an end is pending
        for pq in t.pause_queues:
            if pq:
                break
        else:
            if t.comp.end_message is None:
                fall_asleep(t)
                self._asleep += 1
                return _ASLEEP
        return t.send(self._empty_batch(t.comp))

    @staticmethod
    def _empty_batch(comp: Component) -> list[Any] | None:
        """Resumed for RECEIVE with nothing in ``inbox``: the end of the stream, or []."""
        t = comp._axon_task
        if ((t is not None and t.control) or comp.end_message is not None) and comp.finished():
            return None
        return []

    def _raise_deadlock(self) -> None:
        comps = list(self._live.values())
        raise Deadlock(
            "nothing can run and nothing can wake: " + _summary(comps)
            + " (a component paused without handling ProducerFinished/Shutdown?)",
            [f"{c.path} ({c.state.value})" for c in comps],
        )

    def _blocked(self, t: Task) -> None:
        """``t`` was just suspended on a full inbox: a deadlock if, following who waits for
        whom, the owners of the full inboxes lead back to it (design note 7)."""
        chain = [t]
        cur = t
        while True:
            sends = cur.blocked_sends
            if not sends:
                return
            inbox = sends[0][0]  # the first blocked send waits for room here
            nxt = inbox.owner._axon_task
            if nxt is t:
                break
            if nxt is None or nxt.state is not _BLOCKED or nxt in chain:
                return
            chain.append(nxt)
            cur = nxt
        waits = [f"{c.comp.path} (blocked on {c.blocked_sends[0][0]!r})"  # type: ignore[index]
                 for c in chain[:SHOWN]]
        if len(chain) > SHOWN:
            waits.append(f"... {len(chain) - SHOWN:,} more (Deadlock.stuck lists them)")
        self._error = Deadlock(
            f"{len(chain):,} components blocked on each other's full inboxes, in a cycle: "
            + " -> ".join(waits) + " (a cycle of bounded 'block' inboxes)",
            [f"{c.comp.path} (blocked)" for c in chain],
        )

    def _look_for_stuck(self, loop: asyncio.AbstractEventLoop) -> None:
        """Idle beside something that may still be woken (a timer, a socket, a thread):
        raise :class:`Deadlock` if some components are blocked for good (design note 7).

        The search is linear in the system's size, so it runs at most every so often
        (50 times its own cost, and 20 ms); a timer looks again if it had to wait."""
        now = time.perf_counter()
        if now < self._stuck_check:
            if self._recheck is None:
                self._recheck = loop.call_later(self._stuck_check - now, self._look_again)
            return
        stuck = self._never_woken()
        spent = time.perf_counter() - now
        self._stuck_check = now + spent + max(0.02, 50 * spent)
        if any(c.state is _BLOCKED for c in stuck):  # messages stuck for good (an idle
            # component that nothing will wake is not an error here: design note 7)
            raise Deadlock(
                "nothing can ever wake: " + _summary(stuck) + " (blocked sending to full "
                "inboxes that no component able to run will read)",
                [f"{c.path} ({c.state.value})" for c in stuck],
            )

    def _look_again(self) -> None:
        self._recheck = None
        self._poke()

    def _never_woken(self) -> list[Component]:
        """The paused and blocked components that nothing able to run can wake: neither
        a component that holds a keep-alive, awaits, runs a thread, is woken by the
        scheduler's hooks or is a named service (anyone may link to it, as to a
        Backplane), nor one woken by such a component, and so on.  "X can wake Y": X sends to Y's inboxes, or Y sends
        to X (X's end releases or tells Y), or X is Y's child (its end wakes Y), or Y is
        X's child (compositions tell their children things).  A component with a linked sender
        that has not started yet is not counted: outside code may still activate it."""
        holders = self._kept_alive
        named = {id(s) for s in self.services.values()}  # (anyone may link to them by name)
        named.update(id(s[0]) for s in self.services.values() if type(s) is tuple and s)
        alive: list[Task] = []
        asleep: set[Task] = set()
        fanned = self._fan_senders()
        for c in self._live.values():
            t = c._axon_task
            if t is None:
                continue
            state = t.state
            if ((state is _PAUSED or state is _BLOCKED) and id(c) not in holders
                    and not c._axon_woken_unseen and id(c) not in named
                    and not any(w.state is _NEW for w in t.senders)
                    and not any(w.state is _NEW for w in fanned.get(t, ()))):
                # (a linked sender not started yet may be activated by outside code later)
                asleep.add(t)
            else:
                alive.append(t)
        if not any(t.state is _BLOCKED for t in asleep):
            return []  # (only blocked ones are reported: see design note 7)
        while alive and asleep:
            t = alive.pop()
            c = t.comp
            near = [*t.readers, *t.senders, *fanned.get(t, ())]
            for fan in fans_of(t):
                near.extend(fan.tasks)
            parent = c._axon_parent
            if parent is not None and parent._axon_task is not None:
                near.append(parent._axon_task)
            near.extend(ch._axon_task for ch in c._axon_children if ch._axon_task is not None)
            for n in near:
                if n in asleep:
                    asleep.discard(n)
                    alive.append(n)
        return [t.comp for t in asleep]

    def _fan_senders(self) -> dict[Task, list[Task]]:
        """Who sends to each task through a fan-out (its fans' ``tasks``): the reverse of
        ``fans_of``, which, unlike ``readers``, is not kept on both sides."""
        senders: dict[Task, list[Task]] = {}
        for c in self._live.values():
            t = c._axon_task
            if t is not None:
                for fan in fans_of(t):
                    for r in fan.tasks:
                        senders.setdefault(r, []).append(t)
        return senders

    # -- awaitables --------------------------------------------------------------------------------

    def _await(self, t: Task, obj: Any) -> None:
        if obj is RECEIVE_ONE:  # (here, off the main loop: RECEIVE's path is as it was)
            one = t.receiving_one
            if one is not None and t.blocked_sends is None:
                one.looked = False  # (_receive_one's common case, inline: a call less)
                t.resume = one
                self._ready.append(t)
            else:
                self._receive_one(t, obj)
            return
        if obj is _ONE_AGAIN or obj is _ONE_WAIT:
            self._receive_one(t, obj)
            return
        comp = t.comp
        try:
            fut = asyncio.ensure_future(obj)
        except TypeError:
            gen = t.gen
            err = TypeError(
                f"{comp.path} yielded {obj!r}; yield nothing (end the timeslice) "
                "or an asyncio awaitable"
            )
            t.resume = partial(gen.throw, err)  # type: ignore[union-attr]
            self._ready.append(t)
            return
        t.state = State.WAITING
        t.future = fut
        self._waiting += 1
        fut.add_done_callback(partial(self._awaited, t))
        ctl = t.control
        if ctl and comp.end_message is None:  # a Shutdown came before: it cancels this too
            for msg in ctl:
                if isinstance(msg, Shutdown):
                    self._cancel_wait(t, msg)
                    break

    # -- RECEIVE_ONE: the main loop hands it over as it hands over an awaitable, and its
    #    resume (a ReceivingOne) looks for the message on each turn ----------------------------

    def _receive_one(self, t: Task, why: Any) -> None:
        """``t`` yielded RECEIVE_ONE (``why``), or its last turn found no message
        (:meth:`_receive_one_turn` says ``_ONE_AGAIN`` or ``_ONE_WAIT``): queue it to look
        on its next turn; after two turns in a row without one, sleep until woken (so a
        busy stage never sleeps, as with RECEIVE).  While a send of its own waits for room
        it is BLOCKED until there is."""
        one = t.receiving_one
        if one is None:
            one = t.receiving_one = (ReceivingOne(self._receive_one_turn, t) if _one_turn is None
                                     else ReceivingOne(_one_turn, self, t))  # (compiled)
        t.resume = one
        if why is RECEIVE_ONE:
            one.looked = False
            if t.blocked_sends is not None:  # its own blocked send goes first (as after RECEIVE)
                t.state = _BLOCKED
                self._blocked(t)
                return
        elif why is _ONE_WAIT:
            if t.blocked_sends is not None:
                t.state = _BLOCKED
                self._blocked(t)
            else:
                fall_asleep(t)
            return
        self._ready.append(t)

    def _receive_one_turn(self, t: Task) -> Any:
        """A turn in RECEIVE_ONE (called by the main loop, as a resume): resume the
        generator with the oldest message in ``inbox``, or with None at the end of the
        stream, and return what it yields next; or, if neither is there, return
        ``_ONE_AGAIN`` / ``_ONE_WAIT`` without running it (not a timeslice)."""
        comp = t.comp
        ib = t.inbox
        assert ib is not None
        q = ib.queue
        if (t.control or comp.end_message is not None) and comp.finished():
            value = None  # the end of the stream
        elif t.blocked_sends is not None:  # (released by a control message, still holding)
            self._asleep += 1
            return _ONE_WAIT
        elif q:
            value = q.popleft()
            t.received += 1.0
            if ib.blocked:
                self.unblock(ib)
        else:
            self._asleep += 1
            one = t.receiving_one
            assert one is not None
            if one.looked:
                return _ONE_WAIT
            one.looked = True
            return _ONE_AGAIN
        if t.taken is not None:  # supervised: this timeslice takes this message
            t.one_taken = [] if value is None else [value]
        return t.send(value)

    def _awaited(self, t: Task, fut: asyncio.Future[Any]) -> None:
        if t.future is not fut:
            return
        t.future = None
        self._waiting -= 1
        if t.comp.done:
            return
        gen = t.gen
        assert gen is not None
        if fut.cancelled():
            t.resume = partial(gen.throw, asyncio.CancelledError())
        else:
            exc = fut.exception()
            t.resume = partial(gen.throw, exc) if exc is not None else partial(
                gen.send, fut.result()
            )
        if self._slice_hooks is not None:
            t.resume = self._slice_hooks.wrap_resume(t.comp, t.resume)
        t.state = _RUNNABLE
        self._ready.append(t)
        self._poke()

    # -- endings ------------------------------------------------------------------------------------

    def _finished(self, comp: Component, state: State, close: bool = False) -> None:
        """``comp`` ended.  With ``close`` (it ended by itself, not stopped or failed) its
        inboxes close, unless its parent hands them to a successor (design note 6)."""
        task = comp._axon_task
        assert task is not None
        task.state = state
        task.gen = None
        task.send = None
        task.resume = None
        self._live.pop(id(comp), None)
        seen = self._awake.seen
        if seen:
            seen.pop(task, None)
        if state is _FINISHED:
            self.finished_count += 1
        else:
            self.failed_count += 1
        wake_readers(task, self._ready.append)  # what it sent last (even as it failed)
        drop_readers(task)  # it sends nothing more: no one need look out for it
        if comp._axon_links:  # (most components own no links)
            comp._axon_unlink_own()
        for ib in comp._axon_inboxes.values():  # nothing will take from them: release whoever
            if ib.blocked:  # waits for room in them (axon/_core/_flow.py)
                self.unblock(ib)
        fut = task.future
        if fut is not None:
            task.future = None
            self._waiting -= 1
            fut.cancel()
        parent = comp._axon_parent
        if close and (parent is None or not parent.keeps_inboxes_of(comp)):
            comp._axon_ensure_boxes()  # (made and closed: a later link or put is counted)
            self.close_inboxes(comp)
        if parent is not None:
            parent._axon_unfinished -= 1
            parent.child_finished(comp)
            self.wake(parent)  # (paused, or to sleep on its next turn: invariant 10)
        for hook in self._finish_hooks:
            hook(comp)

    def close_inboxes(self, comp: Component) -> None:
        """Close ``comp``'s inboxes (``Inbox.close``): release the senders blocked on them
        (what they hold is counted as dropped) and tell each live sender whose readers
        have all gone (``ReaderGone`` in its control).  The scheduler does this as a
        component finishes; a composition that kept a child's inboxes open to hand their
        messages on (see ``Component.keeps_inboxes_of``) does it once they are moved."""
        senders: dict[int, Component] = {}
        ctl_in = comp._axon_inboxes.get("control")
        ended = isinstance(comp.end_message, ProducerFinished) or (
            ctl_in is not None and bool(ctl_in.queue)  # (no generator made for an empty one)
            and any(isinstance(m, ProducerFinished) for m in ctl_in.queue))
        for ib in comp._axon_inboxes.values():
            for ob in ib.close():
                senders[id(ob.owner)] = ob.owner
            if ib.blocked:
                self.unblock(ib)
        for sender in senders.values():
            if ended and _signals(sender, ctl_in):
                continue  # it ended this stream itself (its end reached the reader): its
                # reader finishing is no news to it, however long it stays to do more
            if sender is not comp and not sender.done and _readers_gone(sender):
                ctl = sender._axon_inboxes.get("control")
                end = sender.end_message
                if ctl is not None and not ctl.closed and not isinstance(end, Shutdown):
                    with contextlib.suppress(Exception):  # (a full bounded control)
                        ctl.put(ReaderGone(f"readers gone: {comp.path}"))

    def _failed(self, comp: Component, exc: BaseException) -> None:
        self._finished(comp, State.FAILED)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            self._error = exc
            return
        # an ancestor may take charge (a supervisor); otherwise the whole run fails
        node = comp._axon_parent
        while node is not None:
            if not node.done and node.child_failed(comp, exc):
                return
            node = node._axon_parent
        if isinstance(exc, ComponentError) and exc.component is comp:
            # comp reports a failure inside it that already names its place (a process
            # stand-in passing on its child process's error): raised as it is
            self._error = exc
            return
        error = ComponentError(comp.path, exc, comp)
        error.__cause__ = exc
        self._error = error

    def stop(self, component: Component) -> None:
        """Stop ``component`` and its descendants now: ``finally`` blocks run, links go.

        For compositions that replace or restart children (Carousel, Supervisor).  A
        component cannot stop itself or an ancestor while it runs: return from ``main()``.
        """
        for child in component._axon_children:
            self.stop(child)
        if component.done or component._axon_scheduler is not self:
            return
        t = component._axon_task
        assert t is not None
        gen = t.gen
        if gen is not None and gen.gi_running:  # type: ignore[attr-defined]
            raise RuntimeError(f"{component.path} cannot stop itself; return from main()")
        with contextlib.suppress(ValueError):
            self._ready.remove(t)
        component.on_stop()
        gen = t.gen
        try:
            if gen is not None:
                gen.close()
        except BaseException as exc:  # noqa: BLE001 - an error in a finally block propagates
            self._failed(component, exc)
            return
        self._finished(component, State.FINISHED)

    def shutdown(self) -> None:
        """Stop every live component now (their ``finally`` blocks run).

        An error raised by a ``finally`` block is raised from :meth:`run` (a
        :class:`ComponentError`), or added as a note to the error that ends the run.
        """
        errors = self._stop_all()
        self._poke()  # a run waiting for work sees that nothing is left
        if errors:
            if self._error is None:
                self._error = errors.pop(0)
            for e in errors:
                self._error.add_note(f"also, while shutting down: {e}")
            if not self._running:  # nobody will raise it: do so now, leaving nothing behind
                err, self._error = self._error, None
                raise err

    def _stop_all(self) -> list[BaseException]:
        """Close every live component's generator; the errors their ``finally`` blocks raised."""
        errors: list[BaseException] = []
        for comp in list(self._live.values()):
            if comp.done:
                continue
            gen = comp._axon_task.gen  # type: ignore[union-attr]
            comp.on_stop()
            try:
                if gen is not None:
                    gen.close()
            except BaseException as exc:  # noqa: BLE001
                err = ComponentError(comp.path, exc, comp)
                err.__cause__ = exc
                errors.append(err)
            self._finished(comp, State.FINISHED)
        self._ready.clear()
        return errors


def _warn_held(t: Task, box: str, seconds: float) -> None:
    """The warning of design note 9, located at the ``yield`` where ``t``'s generator
    waits (the user's code), as ``warnings.warn`` from there would be."""
    path = t.comp.path
    text = (f"{path} asked to pause, but inbox {box!r} has held a message it does not take "
            f"for {seconds:.2f} s: the scheduler resumes it on every turn instead (busy, "
            f"never idle). Take the message (recv()/recv_all()), or call "
            f"wake_on(...) naming only the inboxes it waits on, so that it sleeps while "
            f"only other inboxes hold messages.")
    gen = t.gen
    while isinstance(getattr(gen, "gi_yieldfrom", None), GeneratorType):  # innermost
        gen = gen.gi_yieldfrom  # type: ignore[union-attr]
    frame = getattr(gen, "gi_frame", None)
    if frame is None:
        warnings.warn(text, RuntimeWarning, stacklevel=2)
        return
    glob = frame.f_globals  # (no module_globals: its loader may not serve __main__)
    warnings.warn_explicit(text, RuntimeWarning, frame.f_code.co_filename, frame.f_lineno,
                           module=glob.get("__name__"),
                           registry=glob.setdefault("__warningregistry__", {}))


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():  # (cancelled if the run was)
        fut.set_result(None)
#: How many waiting components a Deadlock's message names (``Deadlock.stuck`` has all).
SHOWN = 5


def _summary(comps: list[Component]) -> str:
    """``comps`` (waiting for good) in a line of bounded length: how many, the first
    :data:`SHOWN` (blocked ones first: they hold messages) with what each waits on, and
    how many more."""
    blocked = [c for c in comps if c.state is _BLOCKED]
    shown = (blocked + [c for c in comps if c.state is not _BLOCKED])[:SHOWN] if blocked \
        else comps[:SHOWN]
    parts = [f"{c.path} ({c.state.value}){_waits_on(c)}" for c in shown]
    if len(comps) > len(shown):
        parts.append(f"and {len(comps) - len(shown):,} more (Deadlock.stuck lists them)")
    head = f"{len(comps):,} components wait: " if len(comps) > 1 else ""
    return head + ", ".join(parts)


def _waits_on(comp: Component) -> str:
    """What a waiting ``comp`` waits for, as a short suffix."""
    t = comp._axon_task
    if t is None:
        return ""
    if t.state is _BLOCKED and t.blocked_sends:
        return f" on {t.blocked_sends[0][0]!r}"
    if t.state is State.WAITING:
        return f" on {t.future!r:.60}"
    return ""


def _signals(sender: Component, control: Inbox[Any] | None) -> bool:
    """True if ``sender``'s ``signal`` outbox leads to ``control`` (it is the stream's head:
    the end ``control``'s owner took came from it, as in a Pipeline)."""
    ob = sender._axon_outboxes.get("signal")
    return control is not None and ob is not None and control in ob.targets


def _readers_gone(sender: Component) -> bool:
    """True if every inbox ``sender``'s own data outboxes reach has closed: all but
    ``signal`` and ``error``, outboxes a live child sends through (a composition's), and
    links into its own children.  False if it has no such link, or if a route passes a
    live relay (an inbox forwarded to an outbox, as a Backplane does), whose readers
    come and go: its publishers are not tied to any of them."""
    found = False
    for name, ob in sender._axon_outboxes.items():
        if name in ("signal", "error") or not ob.links_out:
            continue
        if any(not lk.source.owner.done for lk in ob.links_in):
            continue  # a live child (or relay) sends through it: that one is told
        todo: list[Box] = [ob]
        while todo:
            box = todo.pop()
            if not box.links_out:
                if not isinstance(box, Inbox):
                    return False  # an outbox holding it for a link still to come
                node = box.owner._axon_parent
                while node is not None and node is not sender:
                    node = node._axon_parent
                if node is sender:
                    continue  # one of its own children
                if not box.closed:
                    return False
                found = True
                continue
            for lk in box.links_out:
                if lk.kind is LinkKind.FORWARD and not lk.sink.owner.done:
                    return False
                todo.append(lk.sink)
    return found


def run(*systems: Component, timeout: float | None = None) -> Scheduler:
    """Run ``systems`` on a new scheduler until every component has finished.

    Returns the scheduler (for its statistics).  Raises :class:`ComponentError` naming a
    failed component, :class:`Deadlock`, or ``TimeoutError`` (after shutting the system down).
    """
    sched = Scheduler()
    for system in systems:
        sched.activate(system)
    sched.run(timeout=timeout)
    return sched


async def run_async(*systems: Component, timeout: float | None = None) -> Scheduler:
    """:func:`run` inside an already running asyncio event loop."""
    sched = Scheduler()
    for system in systems:
        sched.activate(system)
    await sched.run_async(timeout=timeout)
    return sched

