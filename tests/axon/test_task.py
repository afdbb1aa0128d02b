"""The scheduling protocol (axon/_core/_task.py): its invariants hold between timeslices,
and the scheduler loop's inline copies of fall_asleep and wake_readers are those functions.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
from collections.abc import Callable, Generator
from typing import Any

import pytest

from axon import (
    RECEIVE, Component, Instrument, Pipeline, Scheduler, State, Supervisor,
    ProducerFinished, ThreadedComponent, run,
)
from axon._core import _scheduler, _task
from axon._core._task import CROWD, NO_ROOM, Task
from tests.axon.core_parts import (
    BusySender, ClassicCollect, Collect, LogReader, Map, PassEvery, Source, Timeline,
)

# -- the inline copies are the functions -------------------------------------------------------


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.copy_location(ast.Name(self.names.get(node.id, node.id), node.ctx), node)


def _body(fn: Callable[..., Any]) -> list[ast.stmt]:
    node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    assert isinstance(node, ast.FunctionDef)
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return body


def _same(a: list[ast.stmt], b: list[ast.stmt], names: dict[str, str]) -> bool:
    renamed = [_Rename(names).visit(s) for s in a]
    return [ast.dump(s) for s in renamed] == [ast.dump(s) for s in b]


def _main_loop() -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(Scheduler._main_loop)))
    node = tree.body[0]
    assert isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
    return node  # type: ignore[return-value]


def test_the_loops_inline_wake_readers_is_wake_readers() -> None:
    # after a timeslice: `if t.attend:` + the body of wake_readers(t, append)
    blocks = [n.body for n in ast.walk(_main_loop()) if isinstance(n, ast.If)
              and ast.unparse(n.test) == "t.attend"]
    assert len(blocks) == 1
    names = {"task": "t", "_PAUSED": "PAUSED", "_RUNNABLE": "_RUNNABLE"}
    assert _same(_body(_task.wake_readers), blocks[0], names), ast.unparse(blocks[0])


def test_the_loops_inline_fall_asleep_is_fall_asleep() -> None:
    # the classic idiom's deferred pause (invariant 10): the else of
    # `for q in t.pause_queues:` starts with fall_asleep's body, then skips the resume
    blocks = [n.orelse for n in ast.walk(_main_loop()) if isinstance(n, ast.For)
              and ast.unparse(n.iter) == "t.pause_queues"]
    assert len(blocks) == 1
    names = {"task": "t", "_PAUSED": "PAUSED", "s": "sender"}
    body = _body(_task.fall_asleep)
    assert _same(body, blocks[0][:len(body)], names), ast.unparse(blocks[0])
    assert [ast.unparse(s) for s in blocks[0][len(body):]] == ["self._asleep += 1", "continue"]


def test_the_function_paths_are_used_where_the_loop_does_not_inline() -> None:
    source = inspect.getsource(_scheduler)
    assert "fall_asleep(t)" in inspect.getsource(Scheduler._receive)  # RECEIVE, nothing there
    assert "wake_readers(task, self._ready.append)" in inspect.getsource(Scheduler._finished)
    assert source.count("INLINE") >= 3  # the measured gain is stated where they are copied


# -- ... and behave as the functions do, by event logs -------------------------------------------


class SendOnce(Component):
    """Logs each timeslice; sends 1 in its second; then ends, or (``goes_on``) runs on."""

    def __init__(self, log: Timeline, goes_on: bool) -> None:
        super().__init__(name="Sender")
        self.log, self.goes_on = log, goes_on

    def main(self) -> Generator[None, None, None]:
        self.log.append(("Sender", ("sent", [])))
        yield
        self.send(1)
        self.log.append(("Sender", ("sent", [1])))
        if self.goes_on:  # its timeslice ends in the loop: the inline wake_readers
            for _ in range(4):
                yield
        # else it ends here: Scheduler._finished's wake_readers


class FirstOnly(Component):
    """Logs the first batch it gets and ends; RECEIVE or (``classic``) pause()/yield.

    Either way it is awake during its sender's first look (which then stops looking) and
    falls asleep in the next round: only the flag its falling asleep sets on the sender
    makes the sender look again, and wake it, when it sends."""

    def __init__(self, log: Timeline, classic: bool) -> None:
        super().__init__(name="Reader")
        self.log, self.classic = log, classic

    def main(self) -> Generator[Any, Any, None]:
        if self.classic:  # sleeps through the loop's inline fall_asleep
            yield
            while not self.data_ready():
                self.pause()
                yield
            batch = self.recv_all()
        else:  # sleeps through Scheduler._receive's fall_asleep
            batch = yield RECEIVE
        self.log.append(("Reader", ("got", batch)))


def _run_beside_a_clock(*systems: Component, log: Timeline) -> list[Any]:
    clock = BusySender(log, at=[], slices=8, name="Clock")
    sched = Scheduler()
    for s in (*systems, clock):
        sched.activate(s)
    sched.run(timeout=5)
    return [e for e in log if e[0] != "Sender" or e[1][1]]  # (the sender's quiet slices out)


def _within_the_round(log: Timeline) -> None:
    """The reader got what was sent before anything ran twice after the send."""
    sent = log.index(("Sender", ("sent", [1])))
    got = log.index(("Reader", ("got", [1])))
    between = [who for who, _ in log[sent + 1:got]]
    assert sent < got and len(between) == len(set(between)), log


@pytest.mark.parametrize("classic", [False, True], ids=["receive", "classic"])
def test_a_sender_wakes_its_reader_in_the_same_round_whether_its_slice_ends_or_it_ends(
        classic: bool) -> None:
    logs = []
    for goes_on in (True, False):
        log = Timeline()
        sender, reader = SendOnce(log, goes_on), FirstOnly(log, classic)
        sender.link((sender, "outbox"), (reader, "inbox"))
        logs.append(_run_beside_a_clock(reader, sender, log=log))
        _within_the_round(log)
    assert logs[0] == logs[1]  # the inline copy and the function: the same interleaving


@pytest.mark.parametrize("goes_on", [True, False], ids=["sender-goes-on", "sender-ends"])
def test_a_reader_falls_asleep_alike_whichever_idiom_puts_it_to_sleep(goes_on: bool) -> None:
    logs = []
    for classic in (True, False):
        log = Timeline()
        sender, reader = SendOnce(log, goes_on), FirstOnly(log, classic)
        sender.link((sender, "outbox"), (reader, "inbox"))
        logs.append(_run_beside_a_clock(reader, sender, log=log))
        _within_the_round(log)
    assert logs[0] == logs[1]


# -- the invariants hold between timeslices, in many kinds of system ----------------------------


class CheckInvariants(Instrument):
    """After every timeslice, checks the invariants of axon/_core/_task.py on every task
    but the one that just ran (its timeslice is not over for the scheduler yet)."""

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.checks = 0

    def after_timeslice(self, component: Component) -> None:
        sched = self.sched
        ready = list(sched._ready)
        live = [c._axon_task for c in sched._live.values() if c._axon_task is not None]
        for t in live:
            if t.comp is component:
                continue
            self.check(t, ready)
        self.checks += 1

    def check(self, t: Task, ready: list[Task]) -> None:
        where = f"{t!r} after a timeslice"
        # 1. RUNNABLE exactly when in the run queue, once
        assert ready.count(t) == (1 if t.state is State.RUNNABLE else 0), where
        # 4. readers and senders mirror each other; readers are the owners of its targets
        assert len(set(t.readers)) == len(t.readers), where
        for r in t.readers:
            assert t in r.senders, where
        for s in t.senders:
            assert t in s.readers, where
        # ... of its one-target outboxes; its fan-outs' fans are in fans_of(t)
        outs = list(t.comp.outboxes.values())
        targets = {ob.targets[0].owner._axon_task for ob in outs if len(ob.targets) == 1
                   and not ob.targets[0].closed and not ob.targets[0].owner.done}
        assert targets <= set(t.readers), where
        assert all(r in targets or r.comp.done for r in t.readers), where
        fans = [ob.fan for ob in outs if len(ob.targets) > 1]
        assert all(f is not None for f in fans), where
        assert {id(f) for f in _task.fans_of(t)} == {id(f) for f in fans}, where
        for f in _task.fans_of(t):
            assert f.stops and len(f.stops) == len(f.delivers) == len(f.tasks) == len(f.ids)
            assert [s.owner._axon_task for s in f.stops] == f.tasks, where
        # 5. who a falling-asleep reader flags
        if len(t.senders) <= CROWD:
            assert set(t.notify) == t.senders and len(t.notify) == len(t.senders), where
        else:
            assert t.notify == [] and all(s.sticky for s in t.senders), where
        # 6. no lost wake-up: a sleeper with a message to wake on has a sender that looks
        # (a thread's proxy sleeps beside what its thread is to read: not its to wake on)
        if t.state is State.PAUSED and t.pause_queues and any(t.wake_queues):
            assert any(s.attend or s.sticky for s in t.senders) or any(
                f.sent and s.attend for s in self.sched._fan_senders().get(t, ())
                for f in _task.fans_of(s) if t in f.tasks), where
        # 7. blocked sends: BLOCKED (or released by control), watching the first inbox
        if t.blocked_sends is not None:
            assert t.state in (State.BLOCKED, State.RUNNABLE), where
            assert t.comp in t.blocked_sends[0][0].blocked, where
        # 10. a deferred pause: runnable (in the queue, checked by 1), its pause taken
        if t.resume is _task.PAUSING:
            assert t.state is State.RUNNABLE and not t.pause, where
        # 8. RECEIVE's hot path takes from the inbox only while nobody waits for room
        ib = t.inbox
        assert ib is not None
        assert (t.inq is ib.queue) == (not ib.blocked and t.limit is None), where
        if t.inq is not ib.queue:
            assert t.inq is NO_ROOM, where


class Bounded(Collect):
    Inboxes = {"inbox": "data (bounded)", "control": "the end"}

    def __init__(self, size: int) -> None:
        super().__init__()
        self.set_bound("inbox", size)


class Slow(Component):
    """Takes one message per timeslice from a bounded inbox (its senders block)."""

    def main(self) -> Generator[None, None, None]:
        self.items: list[Any] = []
        while not self.finished():
            if self.data_ready():
                self.items.append(self.recv())
            else:
                self.pause()
            yield
        self.send(self.end_message, "signal")


class Threaded(ThreadedComponent):
    def main(self) -> None:
        while not self.finished():
            for m in self.recv_all():
                self.send(m)
            self.wait(0.01)
        self.send(self.end_message, "signal")


class FailsOnce(Component):
    failed = False

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            if not FailsOnce.failed and 7 in batch:
                FailsOnce.failed = True
                raise ValueError("seven")
            self.send_many(batch)
        self.send(self.end_message, "signal")


class TakeAll(Component):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def main(self) -> Generator[Any, Any, None]:
        self.items: list[Any] = []
        while len(self.items) < self.n:
            self.items += yield RECEIVE


def _crowd() -> Component:
    reader = TakeAll(200)
    senders = [Source(range(k, 200, CROWD + 3), per_slice=2, end=False) for k in range(CROWD + 3)]
    top = Component()
    for s in senders:
        top.add_child(s)
        top.link((s, "outbox"), (reader, "inbox"))
    top.add_child(reader)
    return top


def _backplane_churn() -> Component:
    """A backplane whose subscribers (readers of a fan-out) join and leave under traffic,
    some feeding readers that sleep in the classic idiom."""
    from axon import Backplane, PublishTo, Shutdown, SubscribeTo
    from tests.axon.core_parts import ClassicCollect

    early = [SubscribeTo("churn") for _ in range(4)]

    class Director(Component):
        def main(self) -> Generator[None, Any, None]:
            for step in range(40):
                if step % 8 == 3:
                    self.add_child(Pipeline(SubscribeTo("churn"), ClassicCollect()))
                if step % 10 == 5:
                    early[step // 10].inboxes["control"].put(Shutdown("leave"))
                yield

    top = Component()
    top.add_children(Backplane("churn"), Pipeline(Source(range(300), per_slice=3),
                                                  PublishTo("churn", end_backplane=True)),
                     *[Pipeline(sub, Collect() if i % 2 else ClassicCollect())
                       for i, sub in enumerate(early)], Director())
    return top


def _tee() -> Component:
    from tests.axon.core_parts import ClassicCollect

    src, a, b = Source(range(200), per_slice=3), Collect(), ClassicCollect()
    top = Component()
    top.add_children(src, a, b)
    for r in (a, b):
        top.link((src, "outbox"), (r, "inbox"))
        top.link((src, "signal"), (r, "control"))
    return top


SYSTEMS: dict[str, Callable[[], Component]] = {
    "a backplane, subscribers joining and leaving": _backplane_churn,
    "a tee (a fan-out of two)": _tee,
    "pipeline, batches": lambda: Pipeline(Source(range(500), per_slice=7), PassEvery(
        Timeline(), keep=range(0, 500, 3)), Collect()),
    "one message a timeslice": lambda: Pipeline(Source(range(200)), Collect()),
    "a crowd of senders": _crowd,
    "blocked senders": lambda: Pipeline(Source(range(300), per_slice=50), Slow()),
    "bounded, blocking": lambda: Pipeline(Source(range(300), per_slice=20), Bounded(3)),
    "a thread": lambda: Pipeline(Source(range(100), per_slice=5), Threaded(), Collect()),
    "supervised": lambda: Supervisor([lambda: Source(range(20), per_slice=3), FailsOnce,
                                      Collect]),
    "a classic pipeline": lambda: Pipeline(Source(range(300), per_slice=3), Map(abs), Map(abs),
                                           ClassicCollect()),
    "a classic reader": lambda: Pipeline(BusySender(Timeline(), at=range(0, 60, 7), slices=60,
                                                    name="S"), LogReader(Timeline(),
                                                                         classic=True)),
}


@pytest.mark.parametrize("make", SYSTEMS.values(), ids=SYSTEMS.keys())
def test_the_invariants_hold_between_timeslices(make: Callable[[], Component]) -> None:
    FailsOnce.failed = False
    sched = Scheduler()
    checker = CheckInvariants(sched)
    sched.add_instrument(checker)
    sched.activate(make())
    sched.run(timeout=20)
    assert checker.checks > 10


def test_the_checker_finds_a_planted_lost_wake_up() -> None:
    # a reader that fell asleep without flagging its senders (a broken fall_asleep)
    sched = Scheduler()
    checker = CheckInvariants(sched)
    sender, reader = Source(range(3), end=False), Collect()
    sender.link((sender, "outbox"), (reader, "inbox"))
    sched.activate(sender)
    sched.activate(reader)
    rt, st = reader._axon_task, sender._axon_task
    assert rt is not None and st is not None
    sched._ready.remove(rt)
    rt.state = State.PAUSED  # asleep, and nobody told the sender
    st.attend = st.sticky = False
    reader.inboxes["inbox"].queue.append("waiting")
    with pytest.raises(AssertionError, match="Task Collect paused"):
        checker.check(rt, list(sched._ready))


def test_the_checker_finds_a_planted_stale_inq() -> None:
    sched = Scheduler()
    checker = CheckInvariants(sched)
    c = Collect()
    sched.activate(c)
    t = c._axon_task
    assert t is not None
    c.inboxes["inbox"].blocked = [Source([])]  # someone waits for room, inq not told
    with pytest.raises(AssertionError):
        checker.check(t, list(sched._ready))


# -- the deferred pause (invariant 10): pause() + yield sleeps at the next turn -----------------


class PausesOnce(Component):
    """Logs each timeslice; pauses in its first.  ``meanwhile`` runs between its pause()
    and its yield (as a callback or a thread could)."""

    def __init__(self, log: list[Any], meanwhile: Callable[[Component], None] = lambda c: None,
                 ) -> None:
        super().__init__(name="Pauser")
        self.log, self.meanwhile = log, meanwhile

    def main(self) -> Generator[None, None, None]:
        self.log.append(("Pauser", "slice", self.recv_all()))
        self.pause()
        self.meanwhile(self)
        yield
        self.log.append(("Pauser", "slice", self.recv_all()))


class Poke(Component):
    """In its first timeslice logs the pauser's task as it is then, and does ``act``."""

    def __init__(self, log: list[Any], target: Component, act: Callable[[Component], None],
                 ) -> None:
        super().__init__(name="Poke")
        self.log, self.target, self.act = log, target, act

    def main(self) -> Generator[None, None, None]:
        t = self.target._axon_task
        assert t is not None
        self.log.append(("Poke", t.state, t.resume))
        self.act(self.target)
        yield


def _deferred(meanwhile: Callable[[Component], None] = lambda c: None,
              act: Callable[[Component], None] | None = None) -> tuple[list[Any], Scheduler]:
    log: list[Any] = []
    pauser = PausesOnce(log, meanwhile)
    sched = Scheduler()
    sched.activate(pauser)
    if act is not None:
        sched.activate(Poke(log, pauser, act))
    sched.run(timeout=5)
    return log, sched


def test_a_message_arriving_between_pause_and_yield_keeps_it_awake() -> None:
    log, _ = _deferred(meanwhile=lambda c: c.inboxes["inbox"].put("mid-slice"))
    assert log == [("Pauser", "slice", []), ("Pauser", "slice", ["mid-slice"])]


def test_a_message_sent_before_its_next_turn_runs_it_on_that_turn_without_sleeping() -> None:
    log, _ = _deferred(act=lambda c: c.inboxes["inbox"].put("next"))
    # the pauser had not been put to sleep when the message came: it was to sleep on
    # its next turn, which ran it instead
    assert log == [("Pauser", "slice", []), ("Poke", State.RUNNABLE, _task.PAUSING),
                   ("Pauser", "slice", ["next"])]


def test_a_wake_during_the_pending_sleep_is_not_lost() -> None:
    # (what a thread's kick, a finishing child or room in a full inbox do)
    log, _ = _deferred(act=lambda c: c.scheduler.wake(c))  # type: ignore[union-attr]
    assert log == [("Pauser", "slice", []), ("Poke", State.RUNNABLE, _task.PAUSING),
                   ("Pauser", "slice", [])]


def test_a_child_finishing_during_its_parents_pending_sleep_wakes_the_parent() -> None:
    class EndsAtOnce(Component):
        def main(self) -> Generator[None, None, None]:
            return
            yield

    parent = Component()  # main(): pause until every child has finished
    sched = Scheduler()
    sched.activate(parent)
    sched.activate(EndsAtOnce())  # (its turn comes after the parent's pause)
    parent.add_child(sched.components[-1])
    sched.run(timeout=5)
    assert parent.done


def test_a_shutdown_during_the_pending_sleep_ends_it() -> None:
    from axon import Shutdown

    class Classic(Component):
        def main(self) -> Generator[None, None, None]:
            while not self.finished():
                self.pause()
                yield

    c = Classic()
    log: list[Any] = []
    sched = Scheduler()
    sched.activate(c)
    sched.activate(Poke(log, c, lambda c: c.inboxes["control"].put(Shutdown())))
    sched.run(timeout=5)
    assert log == [("Poke", State.RUNNABLE, _task.PAUSING)] and c.done
    assert sched.timeslices == 4  # its pause, its end and the Poke's two: no sleep between


def test_the_deferred_sleep_is_no_timeslice_and_leaves_it_paused_and_idle() -> None:
    async def scenario() -> tuple[Any, ...]:
        log: list[Any] = []
        pauser = PausesOnce(log)
        sched = Scheduler()
        sched.activate(pauser)
        with sched.keep_alive():  # (outside code, this test, wakes it)
            running = asyncio.ensure_future(sched.run_async(timeout=5))
            await sched.next_idle()
            seen = (pauser.state, sched.timeslices, sched.statistics().paused,
                    pauser.caught_up)
            pauser.inboxes["inbox"].put("wake")
        await running
        return seen, log

    seen, log = asyncio.run(scenario())
    assert seen == (State.PAUSED, 1, 1, True)
    assert log == [("Pauser", "slice", []), ("Pauser", "slice", ["wake"])]


def test_pause_then_receive_leaves_no_pause_behind() -> None:
    # pause() in a timeslice that began with a RECEIVE batch and ends on RECEIVE again
    # (RECEIVE's fast path): the next bare yields must not sleep
    log: list[Any] = []

    class Mixed(Component):
        def main(self) -> Generator[Any, Any, None]:
            batch = yield RECEIVE
            self.pause()
            batch += yield RECEIVE
            for i in range(3):
                log.append(i)
                yield
            log.append(batch)

    m = Mixed()
    src = BusySender(Timeline(), at=[0, 2], slices=3, name="S")
    src.link((src, "outbox"), (m, "inbox"))
    run = Scheduler()
    run.activate(src)
    run.activate(m)
    run.run(timeout=5)
    assert log == [0, 1, 2, [0, 2]]


def test_a_component_about_to_sleep_has_caught_up() -> None:
    # (edges acknowledge input once the system downstream has handled it: Component.caught_up)
    seen: list[bool] = []
    _deferred(act=lambda c: (seen.append(c.caught_up), c.scheduler.wake(c)))  # type: ignore[union-attr]
    assert seen == [True]


# -- a fan-out is looked at only after a timeslice that sent through it -----------------------


class IdleThenSend(Component):
    """Sends once, runs ``idle`` timeslices sending nothing, sends once more, then ends."""

    def __init__(self, idle: int) -> None:
        super().__init__(name="Fan")
        self.idle = idle

    def main(self) -> Generator[None, None, None]:
        self.send("first")
        for _ in range(self.idle):
            yield
        self.send("second")
        yield
        self.send(ProducerFinished(), "signal")


def _fan_looks(readers: int, idle: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[Any]]:
    """How many readers the fan's owner looked at after its timeslices, in all."""
    looked = [0]
    real = _task.wake_fan

    def counting(f: Any) -> None:
        looked[0] += len(f.tasks)
        real(f)

    monkeypatch.setattr(_task, "wake_fan", counting)
    fan = IdleThenSend(idle)
    sinks = [Collect() for _ in range(readers)]
    for s in sinks:
        fan.link((fan, "outbox"), (s, "inbox"))
        fan.link((fan, "signal"), (s, "control"))
    ft = fan._axon_task
    assert ft is not None
    assert list(ft.readers) == [] and len(_task.fans_of(ft)) == 2  # (all its fans')
    run(fan, *sinks, timeout=10)
    return looked[0], [s.items for s in sinks]


def test_a_fan_out_looks_at_its_sleeping_readers_only_after_it_sends(
        monkeypatch: pytest.MonkeyPatch) -> None:
    looked, got = _fan_looks(50, idle=200, monkeypatch=monkeypatch)
    assert got == [["first", "second"]] * 50  # every sleeper woken for each message
    # one look per reader per timeslice that sent (first, second; the end: two fans),
    # none in the 200 idle timeslices while all 50 slept
    assert looked == 50 * 3


def test_unlinking_a_live_reader_drops_it_from_readers_and_senders() -> None:
    # O feeds A and a passthrough outbox H that leads nowhere yet (a fan of one inbox):
    # taking A away is done in place (no relink), and A is no longer O's reader
    src, parent, a = Component(), Component(), Component()
    lk = src.link((src, "outbox"), (a, "inbox"))
    src.link((src, "outbox"), (parent, "outbox"))
    st, at = src._axon_task, a._axon_task
    assert st is not None and at is not None
    assert st.readers == [at] and at.senders == {st}
    src.unlink(lk)
    assert st.readers == [] and at.senders == set() and at.notify == []
    src.send(1)
    assert a.recv_all() == [] and list(parent.outboxes["outbox"].held) == [1]
