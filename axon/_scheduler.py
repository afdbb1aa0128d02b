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
   instead, so a pause stays cheap), and a busy pipeline skips the look.  A pause is
   re-checked after the ``yield``, so no wake-up is lost.
5. Errors always propagate.  An exception in a component stops the system and
   :func:`run` raises :class:`ComponentError` naming the component's place, unless an
   ancestor (a supervisor) takes charge of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from ._box import Inbox, Link
from ._component import RECEIVE, Component, State, Task, _drop_wake_list, _fall_asleep
from ._errors import ComponentError, Deadlock
from ._instrument import Instrument, SliceHooks, overrides
from ._services import ServiceRegistry

__all__ = ["Scheduler", "SchedulerStatistics", "run", "run_async"]

_RUNNABLE = State.RUNNABLE
_PAUSED = State.PAUSED
_ASLEEP: Any = object()  # Scheduler._receive put the task to sleep without resuming it


@dataclass(frozen=True, slots=True)
class SchedulerStatistics:
    """A snapshot of what the scheduler is doing."""

    timeslices: int
    components: int
    runnable: int
    paused: int
    waiting: int
    blocked: int
    finished: int
    failed: int


class Scheduler:
    """Runs components.  Make one, ``activate()`` systems on it, then ``run()`` it.

    ``io_slice`` is how long the scheduler may run components before letting the event
    loop poll for I/O and timers.
    """

    def __init__(self, *, io_slice: float = 0.001) -> None:
        self.io_slice = io_slice
        self._in_loop = False  # running timeslices (see the current property)
        self.timeslices = 0
        self.finished_count = 0
        self.failed_count = 0
        self.services = ServiceRegistry()
        self._ready: deque[Task] = deque()
        self._asleep = 0  # visits this turn that paused a task instead of resuming it
        self._chunk = 1  # timeslices between reads of the clock (adapts to their length)
        self._live: dict[int, Component] = {}
        self._waiting = 0
        self._keepalives = 0
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

    # -- adding work -------------------------------------------------------------------------

    def activate(self, component: Component) -> Component:
        """Start ``component`` (and its children) on this scheduler; returns it."""
        if component._state is not State.NEW:
            raise ValueError(f"{component.path} was already started ({component._state.value})")
        if component._scheduler is not None and component._scheduler is not self:
            raise ValueError(f"{component.path} belongs to another scheduler")
        component._ensure_boxes()
        component.on_activate(self)
        gen = component._generator()
        if not inspect.isgenerator(gen):
            raise TypeError(
                f"{component.path}: main() must be a generator (use 'yield'), "
                f"it returned {type(gen).__name__}"
            )
        component._scheduler = self
        component._gen = gen
        component._send = gen.send
        if self._slice_hooks is not None:
            component._send = self._slice_hooks.wrap_send(component, gen.send)
        task = component._task
        assert task is not None
        task.resume = None
        task.pause = False
        task.held = None
        task.state = _RUNNABLE
        self._live[id(component)] = component
        self._ready.append(task)
        self._poke()
        for hook in self._start_hooks:
            hook(component)
        for child in component._children:
            if child._state is State.NEW:
                self.activate(child)
        return component

    @property
    def current(self) -> Component | None:
        """The component in its timeslice (None between timeslices).

        Found when asked (a rare question) rather than recorded on every timeslice.
        """
        if not self._in_loop:
            return None
        for comp in self._live.values():
            gen = comp._gen
            if gen is not None and gen.gi_running:  # type: ignore[attr-defined]
                return comp
        return None

    def wake(self, component: Component) -> None:
        """Make a paused component runnable (idempotent; never starts an unstarted one)."""
        t = component._task
        if t is not None and t.state is _PAUSED and component._scheduler is self:
            t.state = _RUNNABLE
            self._ready.append(t)
            self._poke()

    def call_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the scheduler's thread, and wake the scheduler."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._call_and_poke, fn, args)

    def _call_and_poke(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        fn(*args)
        self._poke()

    def unblock(self, inbox: Inbox[Any]) -> None:
        """``inbox`` has room again: let the senders it blocked move their messages on."""
        senders = inbox.blocked[:]
        inbox.blocked.clear()
        owner = inbox.owner._task
        if owner is not None and owner.inbox is inbox:
            owner.inq = inbox.queue  # (it was NO_ROOM)
        for sender in senders:
            t = sender._task
            if sender._flush_held() and t is not None and t.state is State.BLOCKED:
                t.state = _RUNNABLE
                self._ready.append(t)
                self._poke()

    @contextlib.contextmanager
    def keep_alive(self) -> Iterator[None]:
        """While held, an idle system is not a deadlock: outside code may still wake it."""
        self._keepalives += 1
        try:
            yield
        finally:
            self._keepalives -= 1
            self._poke()

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
            counts[c._state] += 1
        return SchedulerStatistics(
            self.timeslices, len(self._live), counts[State.RUNNABLE], counts[State.PAUSED],
            counts[State.WAITING], counts[State.BLOCKED], self.finished_count, self.failed_count,
        )

    def on_finish(self, hook: Callable[[Component], None]) -> None:
        """Call ``hook(component)`` whenever a component finishes or fails."""
        self._finish_hooks.append(hook)

    # -- instruments (axon/_instrument.py; nothing here runs per timeslice unless used) ---------

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
                    if comp._send is not None:
                        comp._send = self._slice_hooks.wrap_send(comp, comp._send)
            self._slice_hooks.before[:] = before
            self._slice_hooks.after[:] = after
        elif self._slice_hooks is not None:
            # (lists left as they are: a timeslice under way still calls its "after")
            self._slice_hooks = None
            for comp in self._live.values():
                comp._send = getattr(comp._send, "unwrapped", comp._send)

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
                    self.shutdown()
                    raise TimeoutError(
                        f"system did not finish within {timeout} s (still running: {still})"
                    ) from None
        except BaseException:
            self.shutdown()
            raise
        finally:
            self._running = False
            self._in_loop = False
            self._resolve_idle_waiters()
        if self._error is not None:
            self.shutdown()
            err, self._error = self._error, None
            raise err

    async def _main_loop(self) -> None:
        ready = self._ready
        append = ready.append  # (a bound append is cheaper here; ready.popleft() below, a
        # method call CPython specialises, is cheaper than a bound popleft)
        clock = time.perf_counter
        loop = self._loop
        assert loop is not None
        RECV = RECEIVE  # (locals: the loop below is the hottest code in Axon)
        PAUSED = _PAUSED
        chunks = [range(n) for n in range(33)]  # (prebuilt: cheaper than range(k) each time)
        while self._live and self._error is None:
            if not ready:
                if not self._waiting and not self._threads and not self._keepalives:
                    self._raise_deadlock()
                self._idle = loop.create_future()
                if self._idle_waiters:
                    self._resolve_idle_waiters()
                await self._idle
                self._idle = None
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
                    if t.attend:  # wake the paused owners of inboxes it sent to (as
                        # _wake_targets does, inline: every classic-idiom timeslice is here)
                        t.attend = t.sticky
                        for owner in t.wake:
                            if owner.state is PAUSED:
                                for q in owner.wake_queues:
                                    if q:
                                        owner.state = _RUNNABLE
                                        append(owner)
                                        break
                                else:
                                    t.attend = True  # still asleep: look next time
                    if y is RECV:
                        # back of the queue: if nothing has arrived by its next turn it is
                        # paused then, without a resume (so a busy stage never pauses)
                        t.resume = RECV
                        if t.pause:
                            t.pause = False
                            if t.held is not None:
                                t.state = State.BLOCKED
                                continue
                        append(t)
                    elif y is None:
                        t.resume = None
                        if t.pause:  # also set when a send blocked
                            t.pause = False
                            if t.held is not None:
                                t.state = State.BLOCKED
                            else:
                                for q in t.pause_queues:
                                    if q:
                                        append(t)
                                        break
                                else:  # _fall_asleep(t), inline: the classic idiom's path
                                    t.state = PAUSED
                                    for w in t.notify:
                                        w.attend = True
                        else:
                            append(t)
                    else:
                        t.resume = None
                        t.pause = False
                        self._await(t.comp, y)
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
            self._in_loop = False
            self.timeslices += visits - self._asleep
            self._asleep = 0
            if self._error is None and self._live:
                await asyncio.sleep(0)  # let I/O, timers and callbacks in

    def _ended(self, t: Task, exc: BaseException) -> bool:
        """``t``'s generator returned or raised ``exc``: True if the run must stop."""
        if isinstance(exc, StopIteration):
            self._finished(t.comp, State.FINISHED)
            return False
        self._failed(t.comp, exc)
        return self._error is not None

    def _receive(self, t: Task) -> Any:
        """Resume ``t`` for RECEIVE off the hot path: an end of stream, messages while
        ``control`` holds something else, or nothing (then it sleeps: ``_ASLEEP``)."""
        ib = t.inbox
        assert ib is not None
        q = ib.queue
        if t.control and t.comp.finished():  # Shutdown (or the end, inbox drained): stop now
            return t.send(None)
        if q:
            batch = list(q)
            q.clear()
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
                _fall_asleep(t)
                self._asleep += 1
                return _ASLEEP
        return t.send(self._empty_batch(t.comp))

    @staticmethod
    def _empty_batch(comp: Component) -> list[Any] | None:
        """Resumed for RECEIVE with nothing in ``inbox``: the end of the stream, or []."""
        t = comp._task
        if ((t is not None and t.control) or comp.end_message is not None) and comp.finished():
            return None
        return []

    def _wake_targets(self, task: Task) -> None:
        """Wake the paused owners of inboxes ``task`` sent to in its last timeslice."""
        for owner in task.wake:
            if owner.state is _PAUSED:
                for q in owner.wake_queues:
                    if q:
                        owner.state = _RUNNABLE
                        self._ready.append(owner)
                        break

    def _raise_deadlock(self) -> None:
        stuck = [f"{c.path} ({c._state.value})" for c in self._live.values()]
        raise Deadlock(
            "nothing can run and nothing can wake: " + ", ".join(stuck)
            + " (a component paused without handling ProducerFinished/Shutdown?)",
            stuck,
        )

    # -- awaitables --------------------------------------------------------------------------------

    def _await(self, comp: Component, obj: Any) -> None:
        try:
            fut = asyncio.ensure_future(obj)
        except TypeError:
            gen = comp._gen
            err = TypeError(
                f"{comp.path} yielded {obj!r}; yield nothing (end the timeslice) "
                "or an asyncio awaitable"
            )
            comp._resume = partial(gen.throw, err)  # type: ignore[union-attr]
            self._ready.append(comp._task)  # type: ignore[arg-type]
            return
        comp._state = State.WAITING
        comp._future = fut
        self._waiting += 1
        fut.add_done_callback(partial(self._awaited, comp))

    def _awaited(self, comp: Component, fut: asyncio.Future[Any]) -> None:
        if comp._future is not fut:
            return
        comp._future = None
        self._waiting -= 1
        if comp.done:
            return
        gen = comp._gen
        assert gen is not None
        if fut.cancelled():
            comp._resume = partial(gen.throw, asyncio.CancelledError())
        else:
            exc = fut.exception()
            comp._resume = partial(gen.throw, exc) if exc is not None else partial(
                gen.send, fut.result()
            )
        if self._slice_hooks is not None:
            comp._resume = self._slice_hooks.wrap_resume(comp, comp._resume)
        comp._state = _RUNNABLE
        self._ready.append(comp._task)  # type: ignore[arg-type]
        self._poke()

    # -- endings ------------------------------------------------------------------------------------

    def _finished(self, comp: Component, state: State) -> None:
        comp._state = state
        comp._gen = None
        comp._send = None
        comp._resume = None
        self._live.pop(id(comp), None)
        if state is State.FINISHED:
            self.finished_count += 1
        else:
            self.failed_count += 1
        task = comp._task
        if task is not None:
            self._wake_targets(task)  # what it sent last (even as it failed) is read
            _drop_wake_list(task)  # it sends nothing more: no one need look out for it
        comp._unlink_own()
        fut = comp._future
        if fut is not None:
            comp._future = None
            self._waiting -= 1
            fut.cancel()
        parent = comp._parent
        if parent is not None:
            parent._unfinished -= 1
            parent.child_finished(comp)
            if parent._state is _PAUSED:
                self.wake(parent)
        for hook in self._finish_hooks:
            hook(comp)

    def _failed(self, comp: Component, exc: BaseException) -> None:
        self._finished(comp, State.FAILED)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            self._error = exc
            return
        # an ancestor may take charge (a supervisor); otherwise the whole run fails
        node = comp._parent
        while node is not None:
            handler = getattr(node, "child_failed", None)
            if handler is not None and not node.done and handler(comp, exc):
                return
            node = node._parent
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
        for child in component._children:
            self.stop(child)
        if component.done or component._scheduler is not self:
            return
        gen = component._gen
        if gen is not None and gen.gi_running:  # type: ignore[attr-defined]
            raise RuntimeError(f"{component.path} cannot stop itself; return from main()")
        with contextlib.suppress(ValueError):
            self._ready.remove(component._task)  # type: ignore[arg-type]
        stop_thread = getattr(component, "_stop_thread", None)
        if stop_thread is not None:
            stop_thread()
        gen = component._gen
        try:
            if gen is not None:
                gen.close()
        except BaseException as exc:  # noqa: BLE001 - an error in a finally block propagates
            self._failed(component, exc)
            return
        self._finished(component, State.FINISHED)

    def shutdown(self) -> None:
        """Stop every live component now (their ``finally`` blocks run)."""
        errors: list[BaseException] = []
        for comp in list(self._live.values()):
            gen = comp._gen
            if comp.done:
                continue
            stop = getattr(comp, "_stop_thread", None)
            if stop is not None:
                stop()
            try:
                if gen is not None:
                    gen.close()
            except BaseException as exc:  # noqa: BLE001
                errors.append(ComponentError(comp.path, exc, comp))
            self._finished(comp, State.FINISHED)
        self._ready.clear()
        if errors and self._error is None:
            self._error = errors[0]
        elif errors and self._error is not None:
            for e in errors:
                self._error.add_note(f"also, while shutting down: {e}")


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

