"""Specification of the scheduler: running, waking, awaiting, ending and failing."""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axon import (
    RECEIVE,
    BoxSpec,
    Component,
    ComponentError,
    Deadlock,
    Pipeline,
    ProducerFinished,
    ReaderGone,
    Scheduler,
    Shutdown,
    State,
    run,
    run_async,
)

from axon._core._task import CROWD

from .core_parts import (
    BusySender, ClassicCollect, Collect, Identity, LogReader, Map, PassEvery, Source, Ticker,
    Timeline,
)


class Recorder(Component):
    """Appends (name, step) to a shared log each timeslice, for ``steps`` timeslices."""

    def __init__(self, log: list, steps: int, name: str) -> None:
        super().__init__(name=name)
        self.log, self.steps = log, steps

    def main(self):
        for i in range(self.steps):
            self.log.append((self.name, i))
            yield


def test_components_take_turns_round_robin():
    log: list = []
    run(Recorder(log, 3, "a"), Recorder(log, 2, "b"), Recorder(log, 3, "c"))
    assert log == [("a", 0), ("b", 0), ("c", 0), ("a", 1), ("b", 1), ("c", 1), ("a", 2), ("c", 2)]


def test_run_returns_when_every_component_has_finished_and_cleans_them_up():
    sched = run(Pipeline(Source(range(3)), Identity(), Collect()))
    stats = sched.statistics()
    assert stats.components == 0 and stats.finished == 4 and stats.failed == 0
    assert sched.components == []


def test_a_pipeline_delivers_everything_in_order():
    sink = Collect()
    run(Pipeline(Source(range(1000), per_slice=7), Identity(), Map(lambda x: x * 2), sink))
    assert sink.items == [2 * i for i in range(1000)]


def test_nothing_is_lost_at_end_of_stream_even_when_control_is_checked_first():
    # the source sends its data and ProducerFinished in the same timeslice
    sink = ClassicCollect()
    run(Pipeline(Source(range(100), per_slice=1000), Map(str), sink))
    assert sink.items == [str(i) for i in range(100)]


def test_shutdown_stops_a_component_now_and_is_passed_on():
    sink = Collect()
    ident = Identity()
    ident.inboxes["inbox"].put("never processed")
    ident.inboxes["control"].put(Shutdown())
    run(Pipeline(ident, sink))
    assert sink.items == [] and sink.end_message == Shutdown()


class Waker(Component):
    """Counts how often it is resumed; pauses whenever its inbox is empty."""

    def __init__(self) -> None:
        super().__init__()
        self.resumes = 0
        self.got: list = []

    def main(self):
        while not self.finished():
            self.resumes += 1
            self.got.extend(self.recv_all())
            self.pause()
            yield


def test_a_paused_component_is_not_run_until_a_message_arrives():
    log: list = []
    w = Waker()

    class Later(Component):
        def main(self):
            for i in range(5):
                log.append(i)
                yield
            self.send("wake", "outbox")
            yield
            self.send(ProducerFinished(), "signal")

    later = Later()
    later.link((later, "outbox"), (w, "inbox"))
    later.link((later, "signal"), (w, "control"))
    run(later, w)
    # ran once, slept through Later's five timeslices, woken once by "wake"; then
    # ProducerFinished ended it
    assert w.resumes == 2 and w.got == ["wake"]


def test_a_sender_is_not_woken_by_its_own_send():
    class Talker(Component):
        def main(self):
            self.resumes = 0
            self.send("x")
            while not self.finished():
                self.resumes += 1
                self.pause()
                yield

    class Answer(Component):
        def main(self):
            while (batch := (yield RECEIVE)) is not None:
                if batch:
                    self.send(Shutdown(), "outbox")
                    return

    talker, answer = Talker(), Answer()
    talker.link((talker, "outbox"), (answer, "inbox"))
    talker.link((answer, "outbox"), (talker, "control"))
    run(talker, answer, timeout=5)
    assert talker.resumes == 1  # slept after its send until the Shutdown came back


def test_through_passthrough_links_only_the_final_owner_is_woken():
    outer, inner = Waker(), Waker()
    outer.add_child(inner)
    outer.link((outer, "inbox"), (inner, "inbox"))
    sched = Scheduler()
    sched.activate(outer)

    async def go():
        with sched.keep_alive():
            task = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()
            o, i = outer.resumes, inner.resumes
            outer.inboxes["inbox"].put("m")
            await sched.next_idle()
            assert (outer.resumes, inner.resumes) == (o, i + 1)
            for c in (inner, outer):
                c.inboxes["control"].put(Shutdown())
        await task

    asyncio.run(go())
    assert inner.got == ["m"] and outer.got == []


def test_wake_is_idempotent_and_never_starts_an_unstarted_component():
    sched = Scheduler()
    c = Waker()
    sched.wake(c)
    sched.wake(c)
    assert c.state is State.NEW
    assert list(sched._ready) == []


def test_pause_rechecks_so_a_message_already_waiting_is_not_slept_through():
    class PauseWithData(Component):
        def __init__(self):
            super().__init__()
            self.seen: list = []

        def main(self):
            self.inboxes["inbox"].put("already here")
            self.pause()  # asks to sleep although a message is waiting
            yield
            self.seen.extend(self.recv_all())

    c = PauseWithData()
    run(c, timeout=5)
    assert c.seen == ["already here"]


def test_awaiting_an_asyncio_awaitable_resumes_with_its_result_while_others_run():
    log: list = []

    class Sleeper(Component):
        def main(self):
            log.append("sleep")
            value = yield asyncio.sleep(0.05, result="rested")
            log.append(value)

    class Busy(Component):
        def main(self):
            for _ in range(3):
                log.append("busy")
                yield asyncio.sleep(0)

    run(Sleeper(), Busy(), timeout=5)
    assert log[0] == "sleep" and log[-1] == "rested"
    assert log.count("busy") == 3 and log.index("rested") > log.index("busy")


def test_an_awaitable_that_fails_throws_into_the_component():
    seen: list = []

    async def broken():
        raise KeyError("gone")

    class Catcher(Component):
        def main(self):
            try:
                yield broken()
            except KeyError as exc:
                seen.append(exc.args[0])

    run(Catcher(), timeout=5)
    assert seen == ["gone"]


def test_yielding_something_that_is_not_awaitable_is_an_error_naming_the_component():
    class Confused(Component):
        def main(self):
            yield 42

    with pytest.raises(ComponentError, match="Confused raised TypeError: Confused yielded 42"):
        run(Confused(), timeout=5)


def test_main_must_be_a_generator():
    class NotAGenerator(Component):
        def main(self):
            return None

    with pytest.raises(ComponentError, match="NotAGenerator: main\\(\\) must be a generator") as info:
        run(NotAGenerator())
    assert isinstance(info.value.error, TypeError)


class BadStart(Component):
    """Fails as it is activated."""

    def on_activate(self, scheduler):
        raise LookupError("no such service")


def test_an_error_in_on_activate_names_the_component_and_its_place():
    started: list = []

    class Child(Component):
        def on_activate(self, scheduler):
            started.append(self)

    bad = BadStart()
    bad.add_child(Child())
    with pytest.raises(ComponentError, match="Pipeline\\[1\\]:BadStart raised LookupError") as info:
        run(Pipeline(Source([1]), bad, Collect()), timeout=5)
    assert info.value.path == "Pipeline[1]:BadStart"
    assert isinstance(info.value.__cause__, LookupError)
    assert started == []  # the children of a component that failed to start never start


def test_a_child_that_fails_to_start_at_run_time_is_blamed_not_its_parent():
    class Starter(Component):
        def main(self):
            yield
            self.add_child(BadStart(), "late")
            self.parent_went_on = True
            while not self.children_done():
                self.pause()
                yield

    starter = Starter(name="Starter")
    with pytest.raises(ComponentError) as info:
        run(starter, timeout=5)
    assert info.value.path == "Starter[late]:BadStart"
    assert starter.parent_went_on and starter.state is State.FINISHED


def test_an_error_stops_the_system_and_names_the_component_and_its_place():
    cleaned: list = []

    class Parser(Component):
        def main(self):
            yield
            raise ValueError("bad token")

    class Forever(Component):
        def main(self):
            try:
                while True:
                    yield asyncio.sleep(10)
            finally:
                cleaned.append("forever closed")

    with pytest.raises(ComponentError) as info:
        run(Pipeline(Source([1], end=False), Identity(), Parser()), Forever(), timeout=5)
    err = info.value
    assert str(err) == "Pipeline[2]:Parser raised ValueError: bad token"
    assert isinstance(err.__cause__, ValueError) and err.path == "Pipeline[2]:Parser"
    assert cleaned == ["forever closed"]


def test_a_runtime_error_in_a_component_is_an_error_too():
    class Sub(Component):
        def main(self):
            yield
            raise RuntimeError("real problem")

    with pytest.raises(ComponentError, match="RuntimeError: real problem"):
        run(Sub(), timeout=5)


def test_an_ancestor_with_child_failed_takes_charge_of_the_error():
    handled: list = []

    class Boom(Component):
        def main(self):
            yield
            raise OSError("disk")

    class Guardian(Component):
        def child_failed(self, child, exc):
            handled.append((child.path, type(exc).__name__))
            return True

    g = Guardian(name="G")
    g.add_child(Boom())
    run(g, timeout=5)
    assert handled == [("G[0]:Boom", "OSError")]


def test_a_system_that_can_never_finish_is_reported_as_a_deadlock():
    with pytest.raises(Deadlock, match="Pipeline\\[1\\]:Collect \\(paused\\)") as info:
        # Identity never receives ProducerFinished: nothing will ever wake the sink
        run(Pipeline(Source([1, 2], end=False), Collect()), timeout=5)
    assert "Pipeline[1]:Collect (paused)" in info.value.stuck


def test_keep_alive_means_outside_code_may_still_wake_the_system():
    sink = Collect()
    sched = Scheduler()
    sched.activate(sink)

    async def go():
        with sched.keep_alive():
            task = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()
            assert sink.state is State.PAUSED
            sink.inboxes["inbox"].put("late")
            sink.inboxes["control"].put(ProducerFinished())
            await task

    asyncio.run(go())
    assert sink.items == ["late"]


def test_timeout_shuts_the_system_down_and_raises():
    closed: list = []

    class Slow(Component):
        def main(self):
            try:
                yield asyncio.sleep(30)
            finally:
                closed.append(True)

    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match="within 0.1 s.*Slow"):
        run(Slow(), timeout=0.1)
    assert closed == [True] and time.monotonic() - t0 < 10


def test_run_async_runs_inside_a_running_event_loop():
    async def go():
        sink = Collect()
        await run_async(Pipeline(Source("abc"), sink), timeout=5)
        return sink.items

    assert asyncio.run(go()) == ["a", "b", "c"]


def test_a_busy_system_still_lets_timers_and_io_in():
    """A component that never pauses must not starve one waiting on a timer."""
    order: list = []

    class Spinner(Component):
        def __init__(self):
            super().__init__()
            self.stop = False
            self.spins = 0

        def main(self):
            while not self.stop:
                self.spins += 1
                yield

    spinner = Spinner()

    class Timer(Component):
        def main(self):
            yield asyncio.sleep(0.01)
            order.append(spinner.spins)
            spinner.stop = True

    run(spinner, Timer(), timeout=10)
    assert order and order[0] > 0  # the timer fired while the spinner was still spinning


def test_slow_timeslices_do_not_hold_io_back_beyond_one_timeslice():
    """With timeslices longer than io_slice the event loop gets a turn after each one,
    not only after a fixed number of them."""
    log: list = []

    class Slow(Component):
        def main(self):
            for _ in range(40):
                time.sleep(0.002)  # a timeslice of real work, longer than io_slice (1 ms)
                log.append("slice")
                yield

    async def go():
        loop = asyncio.get_running_loop()
        stop = False

        def turn():
            log.append("turn")
            if not stop:
                loop.call_soon(turn)

        loop.call_soon(turn)
        await run_async(Slow(), Slow())
        stop = True

    asyncio.run(go())
    runs = [len(list(g)) for k, g in itertools.groupby(log) if k == "slice"]
    assert max(runs) <= 2, runs


def test_an_idle_system_uses_almost_no_cpu():
    class Waiter(Component):
        def main(self):
            yield asyncio.sleep(1.0)

    sink = Collect()
    cpu0 = time.process_time()
    with pytest.raises(Deadlock):  # sink waits for an end that never comes: found at once
        run(Pipeline(Source([], end=False), Collect()))
    run(Waiter(), Pipeline(Source([1]), sink), timeout=10)  # a 1 s idle wait
    used = time.process_time() - cpu0
    assert used < 0.02 + 0.01, f"{used * 1000:.1f} ms of CPU for a 1 s idle wait"


def test_scheduler_is_an_object_with_no_global_state():
    a, b = Scheduler(), Scheduler()
    ca, cb = Collect(), Collect()
    a.activate(ca)
    b.activate(cb)
    assert a.components == [ca] and b.components == [cb]
    with pytest.raises(ValueError, match="already started"):
        a.activate(ca)


def test_a_finished_component_removes_the_links_it_made():
    class Linker(Component):
        def __init__(self, src, dst):
            super().__init__()
            self.src, self.dst = src, dst

        def main(self):
            self.link((self.src, "outbox"), (self.dst, "inbox"))
            yield

    src, dst = Component(), Component()
    run(Linker(src, dst), timeout=5)
    src.send("after")
    assert dst.recv_all() == []
    assert src.outboxes["outbox"].links_out == []


def test_receive_resumes_with_each_batch_then_none_at_the_end():
    batches: list = []

    class Batches(Component):
        def main(self):
            while (batch := (yield RECEIVE)) is not None:
                batches.append(batch)

    b = Batches()
    run(Pipeline(Source(range(6), per_slice=3), b), timeout=5)
    assert [x for batch in batches for x in batch] == list(range(6))
    assert b.end_message == ProducerFinished()


# -- wake-ups are never lost, whatever the pattern of pausing --------------------------------


class Dawdler(Component):
    """Passes messages on after holding each batch for ``holds[k]`` bare timeslices (its
    readers pause and wake at moments chosen by the test); ends on ProducerFinished."""

    def __init__(self, holds: list[int]) -> None:
        super().__init__()
        self.holds = holds

    def main(self):
        out = self.outboxes["outbox"]
        k = 0
        while (batch := (yield RECEIVE)) is not None:
            for _ in range(self.holds[k % len(self.holds)]):
                yield  # busy, not paused: the stage before may pause meanwhile
            k += 1
            for msg in batch:
                out.push(msg)
        self.send(self.end_message, "signal")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 3), min_size=1, max_size=4), min_size=1, max_size=5),
    st.integers(1, 40),
    st.integers(1, 5),
)
def test_no_wake_up_is_lost_whatever_mix_of_busy_and_paused_stages(holds, n, per_slice):
    sink = Collect()
    run(Pipeline(Source(range(n), per_slice), *[Dawdler(h) for h in holds], sink), timeout=10)
    assert sink.items == list(range(n))


def test_a_reader_is_woken_by_a_sender_that_was_busy_when_the_reader_paused():
    # Busy runs every timeslice (so it stops looking for sleeping readers); the reader
    # pauses later; Busy's next send must still wake it
    class Busy(Component):
        def main(self):
            for _ in range(20):
                yield
            self.send("late")
            yield
            self.send(ProducerFinished(), "signal")

    busy, sink = Busy(), Collect()
    run(Pipeline(busy, sink), timeout=5)
    assert sink.items == ["late"]


def test_a_sender_linked_to_a_sleeping_reader_mid_run_wakes_it():
    class Relinker(Component):
        """Sends to one reader, then links its outbox to another (paused) one too."""

        def __init__(self, first: Component, second: Component) -> None:
            super().__init__()
            self.first, self.second = first, second

        def main(self):
            self.link((self, "outbox"), (self.first, "inbox"))
            self.send(1)
            for _ in range(5):
                yield  # the second reader pauses meanwhile
            self.link((self, "outbox"), (self.second, "inbox"))
            self.send(2)
            yield
            for r in (self.first, self.second):
                r.inboxes["control"].put(ProducerFinished())

    a, b = Collect(), Collect()
    run(Relinker(a, b), a, b, timeout=5)
    assert (a.items, b.items) == ([1, 2], [2])


def test_what_a_failing_component_sent_before_failing_still_wakes_its_reader():
    class SendsThenFails(Component):
        def main(self):
            for _ in range(3):
                yield  # the reader is asleep by now
            self.send("last words")
            raise OSError("disk")

    class Guardian(Component):
        def child_failed(self, child, exc):
            return True  # taken charge of: the run goes on

    class FirstThenStop(Component):
        def main(self):
            self.got = yield RECEIVE

    g, reader = Guardian(), FirstThenStop()
    failing = SendsThenFails()
    g.add_child(failing)
    g.link((failing, "outbox"), (reader, "inbox"))
    run(g, reader, timeout=5)
    assert reader.got == ["last words"]


def test_a_finished_sender_is_not_kept_alive_by_its_readers():
    class TakeThree(Component):
        def main(self):
            self.items: list = []
            while len(self.items) < 3:
                self.items += yield RECEIVE

    sink = TakeThree()
    senders = [Source([i], end=False) for i in range(3)]
    for s in senders:
        s.link((s, "outbox"), (sink, "inbox"))
    refs = [weakref.ref(s) for s in senders]
    sched = Scheduler()
    for c in (sink, *senders):
        sched.activate(c)
    sink_task = sink._axon_task
    del senders, s, c
    sched.run(timeout=5)
    assert sorted(sink.items) == [0, 1, 2]
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    assert sink_task.senders == set()


class Trickle(Component):
    """Sends its items, one every ``gap + 1`` timeslices (its reader sleeps in between)."""

    def __init__(self, items: list, gap: int) -> None:
        super().__init__()
        self.items, self.gap = items, gap

    def main(self):
        for item in self.items:
            for _ in range(self.gap):
                yield
            self.send(item)
            yield


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([1, 2, 16, 17, 40]), st.integers(0, 4), st.integers(1, 4))
def test_a_reader_with_many_senders_is_woken_by_each_of_them(senders, gap, each):
    # past CROWD senders a pausing reader no longer flags each one: they always look
    class Gather(Component):
        def main(self):
            self.items: list = []
            while len(self.items) < senders * each:
                self.items += yield RECEIVE

    hub = Gather()
    trickles = [Trickle([(s, k) for k in range(each)], gap + s % 3) for s in range(senders)]
    for t in trickles:
        t.link((t, "outbox"), (hub, "inbox"))
    assert [t._axon_task.sticky for t in trickles] == [senders > CROWD] * senders
    run(hub, *trickles, timeout=10)
    assert sorted(hub.items) == [(s, k) for s in range(senders) for k in range(each)]


def test_next_idle_is_done_when_nothing_can_run_and_when_the_run_ends():
    sched = Scheduler()
    sink = Collect()
    sched.activate(sink)
    seen: list = []

    async def go():
        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()  # the sink has paused: nothing can run
            seen.append(sink.state)
            sink.inboxes["inbox"].put(1)
            await sched.next_idle()  # it took the message and paused again
            seen.append(list(sink.items))
            last = sched.next_idle()
            sink.inboxes["control"].put(Shutdown())
        await running
        assert last.done()

    asyncio.run(go())
    assert seen == [State.PAUSED, [1]]


def test_a_parent_is_told_which_child_finished_before_it_is_woken():
    told: list = []

    class Parent(Component):
        def child_finished(self, child):
            told.append((child.name, self.state))

    p = Parent()
    p.add_children(Recorder([], 1, "quick"), Recorder([], 3, "slow"))
    run(p, timeout=5)
    assert told == [("quick", State.PAUSED), ("slow", State.PAUSED)]


# -- wake-ups happen at once: event logs of timeslices, senders that stay alive ---------------
#
# A finishing sender always wakes its readers, which hides a wake-up lost earlier; so these
# senders keep running long after they send, and the log checks WHEN the reader ran: before
# its sender's next timeslice (Timeline.check_prompt).


@pytest.mark.parametrize("classic", [False, True], ids=["receive", "classic"])
def test_a_busy_sender_wakes_its_paused_reader_before_its_own_next_timeslice(classic):
    log = Timeline()
    sender = BusySender(log, at=[3, 9, 10, 24], slices=40, name="Sender")
    reader = LogReader(log, classic=classic)
    run(Pipeline(sender, reader), timeout=10)
    assert reader.items == [3, 9, 10, 24]
    log.check_prompt("Reader")


@pytest.mark.parametrize("classic", [False, True], ids=["receive", "classic"])
def test_a_receive_stage_kept_busy_by_its_input_wakes_its_paused_reader_at_once(classic):
    log = Timeline()
    stage = PassEvery(log, keep=[5, 17, 18, 40])
    reader = LogReader(log, classic=classic)
    run(Pipeline(Source(range(60)), stage, reader), timeout=10)
    assert reader.items == [5, 17, 18, 40]
    assert all(len(b) == 1 for b in stage.took[1:])  # one message a round: it never pauses
    log.check_prompt("Reader")


@pytest.mark.parametrize("classic", [False, True], ids=["receive", "classic"])
@pytest.mark.parametrize("senders", [CROWD, CROWD + 1, 2 * CROWD + 3])
def test_a_reader_with_a_crowd_of_busy_senders_is_woken_by_each_at_once(senders, classic):
    # past CROWD senders a pausing reader no longer flags each of them: they always look
    log = Timeline()
    reader = LogReader(log, classic=classic)
    crowd = [BusySender(log, at=[4 + 2 * k], slices=2 * senders + 10, name=f"S{k}")
             for k in range(senders)]
    for s in crowd:
        s.link((s, "outbox"), (reader, "inbox"))
    crowd[-1].link((crowd[-1], "signal"), (reader, "control"))
    run(reader, *crowd, timeout=10)
    assert sorted(reader.items) == [4 + 2 * k for k in range(senders)]
    log.check_prompt("Reader")


class BadCleanup(Component):
    """Waits for ever; its finally block raises."""

    def main(self):
        try:
            while True:
                self.pause()
                yield
        finally:
            raise OSError("cleanup failed")


def test_an_error_in_a_finally_block_during_a_timed_out_shutdown_is_a_note_on_the_timeout():
    sched = Scheduler()
    sched.activate(BadCleanup())
    with sched.keep_alive(), pytest.raises(TimeoutError) as info:
        sched.run(timeout=0.05)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "BadCleanup raised OSError: cleanup failed" in notes
    assert sched._error is None  # nothing left behind for a later run


def test_an_error_in_a_finally_block_while_a_deadlock_is_reported_is_a_note_on_it():
    sched = Scheduler()
    sched.activate(BadCleanup())
    with pytest.raises(Deadlock) as info:
        sched.run(timeout=5)
    assert "cleanup failed" in "\n".join(info.value.__notes__)
    assert sched._error is None


def test_an_error_in_a_finally_block_when_shut_down_from_outside_is_raised():
    sched = Scheduler()
    sched.activate(BadCleanup())

    async def go():
        with sched.keep_alive():
            task = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()
            sched.shutdown()
            await task

    with pytest.raises(ComponentError, match="BadCleanup raised OSError: cleanup failed"):
        asyncio.run(go())
    assert sched._error is None


# -- nothing is left waiting for what cannot come ---------------------------------------------


class Producer(Component):
    """Sends 0, 1, 2, ... (``per_slice`` a timeslice) until its end-of-stream idiom says stop."""

    def __init__(self, per_slice: int = 10) -> None:
        super().__init__()
        self.per_slice = per_slice
        self.sent = 0

    def main(self):
        while not self.finished():
            for _ in range(self.per_slice):
                self.send(self.sent)
                self.sent += 1
            yield
        self.send(self.end_message, "signal")


class Head(Component):
    """Takes the first ``n`` messages, one a timeslice, and returns (as ``head`` does),
    leaving what else was sent in its inbox."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.items: list = []

    def main(self):
        while len(self.items) < self.n:
            if self.data_ready():
                self.items.append(self.recv())
            else:
                self.pause()
            yield


def test_a_producer_into_a_finished_reader_is_told_and_stops():
    producer, head = Producer(), Head(25)
    sched = run(Pipeline(producer, head), timeout=5)
    assert head.items == list(range(25))
    assert isinstance(producer.end_message, ReaderGone)
    assert "Pipeline[1]:Head" in producer.end_message.reason
    inbox = head.inboxes["inbox"].statistics()
    assert inbox.closed and inbox.depth == 0
    # everything it sent arrived: taken, or counted as dropped (none left queued for ever)
    assert inbox.received + inbox.dropped == producer.sent
    assert inbox.dropped > 0 and sched.statistics().components == 0


def test_the_end_of_a_reader_travels_up_a_pipeline_to_its_source():
    producer = Producer()
    stages = [Identity(), Map(str), Identity()]
    run(Pipeline(producer, *stages, Head(3)), timeout=5)
    assert all(isinstance(s.end_message, ReaderGone) for s in (producer, *stages))


def test_drops_at_a_finished_reader_are_visible_in_a_snapshot():
    from axon import snapshot

    system = Pipeline(Producer(), Head(5))
    run(system, timeout=5)
    info = snapshot(system).component("Pipeline[1]:Head")
    box = next(b for b in info.inboxes if b.name == "inbox")
    assert box.stats.dropped > 0 and box.stats.closed and box.stats.depth == 0
    assert info.dropped == box.stats.dropped + 1  # and the ReaderGone passed on to control


def test_a_sender_with_one_live_reader_left_is_not_told():
    producer, head, keep = Producer(per_slice=1), Head(3), Head(40)
    producer.link((producer, "outbox"), (head, "inbox"))
    producer.link((producer, "outbox"), (keep, "inbox"))
    run(producer, head, keep, timeout=5)
    assert keep.items == list(range(40))  # it went on after the first reader went...
    assert isinstance(producer.end_message, ReaderGone)  # ...until it had none left


def test_a_sender_that_ended_its_stream_is_not_told_when_its_reader_then_finishes():
    log: list = []

    class Asker(Component):
        """Sends its items and the end, then stays to wait for a reply on ``replies``."""

        Inboxes = {"inbox": "", "control": "ends", "replies": "the answer"}

        def main(self):
            self.send_many([1, 2, 3])
            self.send(ProducerFinished(), "signal")
            while not self.recv_all("replies"):
                if self.recv_all("control"):
                    log.append("told")
                self.pause()
                yield
            log.append("answered")

    class Answer(Component):
        def main(self):
            yield asyncio.sleep(0.05)  # (well after the reader has finished)
            self.send("42")

    asker, sink, answer = Asker(), Collect(), Answer()
    answer.link((answer, "outbox"), (asker, "replies"))
    run(Pipeline(asker, sink), answer, timeout=5)
    assert sink.items == [1, 2, 3] and isinstance(sink.end, ProducerFinished)
    assert log == ["answered"]  # its reader's normal end was no news to it


class Slow(Component):
    """Reads its inbox only when told "go" on ``gate`` (so senders block); ends on Shutdown."""

    Inboxes = {"inbox": "data", "control": "ends", "gate": "go"}

    def __init__(self) -> None:
        super().__init__()
        self.wake_on("control", "gate")  # a full inbox alone does not keep it awake

    def main(self):
        self.items: list = []
        while not self.finished():
            if self.recv_all("gate"):
                self.items += self.recv_all()
            self.pause()
            yield


def test_a_blocked_sender_sees_shutdown_on_its_control_at_once():
    producer, slow = Producer(), Slow()
    slow.set_bound("inbox", 3, "block")
    sched = Scheduler()
    sched.activate(Pipeline(producer, slow))

    async def go():
        with sched.keep_alive():
            task = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()
            assert producer.state is State.BLOCKED
            producer.inboxes["control"].put(Shutdown("stop"))
            await sched.next_idle()
            assert producer.done and producer.end_message == Shutdown("stop")
            assert slow.done and slow.end_message == Shutdown("stop")  # passed on at once
        await task

    asyncio.run(asyncio.wait_for(go(), 10))


def test_a_sender_blocked_on_a_reader_that_finishes_is_released_and_its_sends_counted():
    class TakeOne(Component):
        def main(self):
            while not self.data_ready():
                self.pause()
                yield
            self.recv()  # and ends, its inbox full

    producer, reader = Producer(per_slice=50), TakeOne()
    reader.set_bound("inbox", 2, "block")
    ticker = Ticker()  # something that holds keep-alive: before, this hung for ever
    run(Pipeline(producer, reader), ticker, timeout=5)
    inbox = reader.inboxes["inbox"].statistics()
    assert isinstance(producer.end_message, ReaderGone)
    assert inbox.received == 1 and inbox.received + inbox.dropped == producer.sent


# -- Shutdown reaches what a component awaits ---------------------------------------------


def test_shutdown_cancels_an_await_runs_finally_blocks_and_is_passed_on():
    log: list = []

    class Napper(Component):
        def main(self):
            try:
                yield asyncio.sleep(30)
                log.append("woke")
            finally:
                log.append("finally")

    nap, after = Napper(), Collect()
    sched = Scheduler()
    sched.activate(Pipeline(nap, after))

    async def go():
        task = asyncio.ensure_future(sched.run_async())
        await sched.next_idle()
        assert nap.state is State.WAITING
        nap.inboxes["control"].put(Shutdown("now"))
        await asyncio.wait_for(task, 5)  # not the 30 s nap

    asyncio.run(go())
    assert log == ["finally"]
    assert nap.state is State.FINISHED and nap.end_message == Shutdown("now")
    assert after.end == Shutdown("now")


def test_shutdown_cancels_a_read_on_an_idle_socket():
    log: list = []

    class LineReader(Component):
        def __init__(self, port):
            super().__init__()
            self.port = port

        def main(self):
            reader, writer = yield asyncio.open_connection("127.0.0.1", self.port)
            log.append("connected")
            try:
                while not self.finished():
                    line = yield reader.readline()  # the peer never sends
                    log.append(line)
            except asyncio.CancelledError:
                log.append("cancelled")
                raise
            finally:
                writer.close()
                log.append("closed")

    async def go():
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        comp = LineReader(port)
        sched = Scheduler()
        sched.activate(comp)
        task = asyncio.ensure_future(sched.run_async())
        while not log:  # connecting
            await asyncio.wait_for(sched.next_idle(), 5)
        assert comp.state is State.WAITING  # for a line that never comes
        comp.inboxes["control"].put(Shutdown())
        await asyncio.wait_for(task, 5)
        server.close()

    asyncio.run(go())
    assert log == ["connected", "cancelled", "closed"]


def test_a_component_may_catch_the_cancellation_and_end_in_its_own_way():
    class Careful(Component):
        def main(self):
            try:
                yield asyncio.sleep(30)
            except asyncio.CancelledError:
                self.note = "caught"
            assert self.finished() and isinstance(self.end_message, Shutdown)
            self.send(Shutdown("careful, passed on"), "signal")

    careful, after = Careful(), Collect()
    careful.inboxes["control"].put(Shutdown())  # there before it awaits: cancels it at once
    run(Pipeline(careful, after), timeout=5)
    assert careful.note == "caught" and after.end == Shutdown("careful, passed on")


def test_a_component_already_ending_is_not_cancelled_while_it_cleans_up():
    class Flusher(Component):
        def main(self):
            while not self.finished():
                self.pause()
                yield
            self.flushed = yield asyncio.sleep(0.05, result="flushed")  # its cleanup

    f = Flusher()
    f.inboxes["control"].put(Shutdown())

    class Again(Component):
        def main(self):
            while f.state is not State.WAITING:
                yield
            f.inboxes["control"].put(Shutdown("again"))

    run(f, Again(), timeout=5)
    assert f.flushed == "flushed"


# -- deadlocks are found whatever else runs ---------------------------------------------------


class Relay(Component):
    """Sends ``n`` messages, then passes on whatever arrives (never pausing for long)."""

    def __init__(self, n: int, name: str) -> None:
        super().__init__(name=name)
        self.n = n

    def main(self):
        for i in range(self.n):
            self.send(i)
        yield
        while not self.finished():
            self.send_many(self.recv_all())
            self.pause()
            yield


def blocked_cycle() -> tuple[Relay, Relay]:
    a, b = Relay(5, "A"), Relay(5, "B")
    for x, y in ((a, b), (b, a)):
        y.set_bound("inbox", 2, "block")
        x.link((x, "outbox"), (y, "inbox"))
    return a, b


@pytest.mark.parametrize("beside", ["ticker", "spinner", "nothing"])
def test_a_cycle_of_blocked_senders_is_a_deadlock_whatever_else_runs(beside):
    class Spinner(Component):
        def main(self):
            while True:
                yield  # never idle: the scheduler never waits

    a, b = blocked_cycle()
    others = {"ticker": [Ticker()], "spinner": [Spinner()], "nothing": []}[beside]
    with pytest.raises(Deadlock, match="cycle") as info:
        run(a, b, *others, timeout=5)
    assert sorted(info.value.stuck) == ["A (blocked)", "B (blocked)"]


def test_components_blocked_for_good_are_a_deadlock_beside_a_timer():
    class Deaf(Component):
        """Reads only its ``other`` inbox, which nothing feeds: its bounded inbox fills."""

        Inboxes = {"inbox": BoxSpec("never read", 2, "block"), "control": "", "other": ""}

        def main(self):
            self.wake_on("other")
            while not self.recv_all("other"):
                self.pause()
                yield

    with pytest.raises(Deadlock, match="nothing can ever wake") as info:
        run(Pipeline(Source(range(10), end=False), Deaf()), Ticker(), timeout=5)
    assert sorted(info.value.stuck) == [
        "Pipeline (paused)", "Pipeline[0]:Source (blocked)", "Pipeline[1]:Deaf (paused)"]


def test_an_idle_component_nothing_will_wake_beside_live_parts_is_not_a_deadlock():
    # (a server may idle until Ctrl-C: stopping it would stop everything it serves)
    sink = Collect()
    with pytest.raises(TimeoutError):
        run(Pipeline(Source([1, 2], end=False), sink), Ticker(), timeout=0.5)
    assert sink.items == [1, 2]


def test_components_that_become_stuck_just_after_a_search_are_found_by_its_timer():
    # the search runs at most every 20 ms or so; the components below become stuck just
    # after one found nothing, beside a long sleep: the timer set then must run it again
    class LateStuck(Component):
        def main(self):
            yield asyncio.sleep(0.001)  # (the idle search runs now, and finds nothing)
            for i in range(3):  # then it blocks on an inbox nothing will read
                self.send(i)
            yield

    class Deaf(Component):
        def main(self):
            self.wake_on()
            self.pause()
            yield

    class Sleeper(Component):
        def main(self):
            yield asyncio.sleep(30)

    start = time.perf_counter()
    with pytest.raises(Deadlock, match="nothing can ever wake"):
        deaf = Deaf()
        deaf.set_bound("inbox", 1, "block")
        run(Pipeline(LateStuck(), deaf), Sleeper(), timeout=10)
    assert time.perf_counter() - start < 5  # found by the timer, not once the sleep ends


def test_a_component_that_outside_code_may_still_wake_is_not_a_deadlock():
    class Door(Component):
        """Holds a keep-alive (outside code may put into its inbox) and passes messages on."""

        def main(self):
            with self.keep_alive():
                while not self.finished():
                    self.send_many(self.recv_all())
                    self.pause()
                    yield

    door, sink = Door(), Collect()
    with pytest.raises(TimeoutError):  # waits for the outside: idle, not a deadlock
        run(Pipeline(door, sink), Ticker(), timeout=0.3)


def test_a_cycle_of_blocked_senders_inside_a_handle_is_reported_not_a_hang():
    from axon import Graphline, Handle

    a, b = Relay(5, "A"), Relay(5, "B")
    for x in (a, b):
        x.set_bound("inbox", 2, "block")
    system = Graphline({("A", "outbox"): ("B", "inbox"), ("B", "outbox"): ("A", "inbox")},
                       A=a, B=b)
    with pytest.raises(Deadlock, match="cycle"):  # (as it starts, or soon after)
        h = Handle(system)  # its feeder holds a keep-alive: before, this hung for ever
        h.get(timeout=5)  # (nothing comes out: it returns when the run stops, raising)


def test_a_wide_fan_out_is_told_its_readers_are_gone_only_when_the_last_goes():
    producer = Producer(per_slice=1)
    heads = [Head(n) for n in range(3, 43)]
    for h in heads:
        producer.link((producer, "outbox"), (h, "inbox"))
    run(producer, *heads, timeout=10)
    for h in heads:  # each had an unbroken run while the others went
        assert h.items == list(range(h.n))
    assert isinstance(producer.end_message, ReaderGone)  # once the last one (42) went
    assert "Head" in producer.end_message.reason
    assert producer.sent >= 42


def test_a_deadlock_of_thousands_is_summarised_and_the_full_list_kept():
    # 3,000 idle readers and, among them late in the list, one sender blocked on a full
    # inbox: the message names the count, the blocked one first with what it waits on,
    # a few more, and how many it left out; Deadlock.stuck has every one
    class Full(Component):
        Inboxes = {"inbox": BoxSpec("never read", 1, "block"), "control": ""}

        def main(self):
            self.wake_on("control")
            while True:
                self.pause()
                yield

    idle = [Collect() for _ in range(3000)]
    pipe = Pipeline(Source(range(5), end=False), Full())
    with pytest.raises(Deadlock) as info:
        run(*idle, pipe, timeout=20)
    msg = str(info.value)
    assert len(msg) < 800, len(msg)
    assert "3,003 components wait: Pipeline[0]:Source (blocked) on <Inbox Pipeline[1]:Full.inbox>" in msg
    assert msg.count("(paused)") == 4 and "and 2,998 more (Deadlock.stuck lists them)" in msg
    assert len(info.value.stuck) == 3003
    assert info.value.stuck.count("Collect (paused)") == 3000


def test_a_scheduler_keeps_its_attributes_in_its_classes_shared_keys():
    """CPython 3.11 gives an instance a dict of its own once it sets a name its class's
    shared keys cannot take (30 at most), and then every ``self.x`` in the run loop misses
    its fast path (RECEIVE_ONE 5,993 -> 6,251 instructions per hop).  A scheduler that has
    run a system still has none: what it keeps stays in the attributes __init__ sets."""
    from .core_parts import Collect, Source
    sched = Scheduler()
    sink = Collect()
    sched.activate(Pipeline(Source([1, 2, 3]), sink))
    sched.run()
    assert sink.items == [1, 2, 3]
    assert not any(type(r) is dict and "_ready" in r for r in gc.get_referents(sched))
