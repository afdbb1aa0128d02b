"""ChildProcess: a component in a child process behaves as it would in this one.

Messages cross in order and in batches, ends keep their place behind the data, bounded
boxes hold their producers back across the boundary, errors and deaths in the child are
raised here naming the place, and no process is left behind by any ending.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Generator
from functools import partial
from typing import Any

import pytest

from axon import (
    RECEIVE, BoxSpec, ChildFailed, ChildProcess, Component, ComponentError, EncodeError,
    Graphline, Pipeline, ProcessDied, ProducerFinished, RemoteError, Shutdown, Supervisor,
    ThreadedComponent, run, snapshot,
)
from tests.axon.core_parts import Source
from tests.axon.parts import Collect, Count
from tests.axon.process_parts import (
    Boom, Bounded, Careful, Die, Double, Endless, First, Flood, Forever, Join, LateReader, RaiseOdd,
    SendLambda, Slow, Spin, Stamped, Tag, ThenShutdownChild, double_in_a_grandchild,
    doubled_twice, gone, nested_boom,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# -- messages cross in order, in batches ------------------------------------------------------


def test_wait_ready_wakes_a_component_once_the_child_runs_its_component() -> None:
    stage = ChildProcess(Double)
    seen: list[Any] = []

    class Waiter(Component):
        def main(self) -> Generator[Any, Any, None]:
            seen.append(("before", stage.ready))
            ok = yield stage.wait_ready()  # no polling: a future the stand-in resolves
            seen.append(("woken", ok, stage.ready))
            self.send(ProducerFinished(), "signal")

    sink = Collect()
    run(Pipeline(Waiter(), stage, sink), timeout=30)
    assert seen == [("before", False), ("woken", True, True)]


def test_a_million_messages_cross_in_order_with_none_lost_or_duplicated() -> None:
    n = 1_000_000
    out = Collect()
    stage = ChildProcess(Double)
    run(Pipeline(Count(n, per_slice=1000), stage, out), timeout=60)
    assert out.items == list(range(0, 2 * n, 2))
    assert out.end == ProducerFinished("count")
    stats = stage.statistics()
    assert stats.sent == {"inbox": n, "control": 1}
    assert stats.received == {"outbox": n, "signal": 1}
    assert stats.writes < n / 100  # batches: one write per round, not per message
    assert stats.exitcode == 0 and gone(stage.pid)
    assert stats.cpu_seconds is not None and 0 < stats.cpu_seconds < 60


def test_one_message_per_timeslice_crosses_in_order() -> None:
    out = Collect()
    run(Pipeline(Count(500), ChildProcess(Double), out), timeout=30)
    assert out.items == list(range(0, 1000, 2))


def test_the_stand_in_has_the_components_boxes_and_name_and_takes_its_place() -> None:
    stage = ChildProcess(Bounded)
    assert stage.name == "Bounded"
    assert list(stage.inboxes) == ["inbox", "control"]
    assert list(stage.outboxes) == ["outbox", "signal"]
    ib = stage.inboxes["inbox"]  # a declared bound keeps its meaning here too
    assert (ib.size, ib.policy.value) == (5, "drop_oldest")
    unbounded = ChildProcess(Double, window=64).inboxes["inbox"]
    assert (unbounded.size, unbounded.policy.value) == (64, "block")
    Pipeline(Count(3), stage, Collect())
    assert stage.path == "Pipeline[1]:Bounded"


def test_a_whole_pipeline_runs_in_one_child_process() -> None:
    out = Collect()
    stage = ChildProcess(doubled_twice)
    assert stage.name == "Pipeline"
    run(Pipeline(Count(1000, per_slice=100), stage, out), timeout=30)
    assert out.items == [4 * i for i in range(1000)]
    child = stage.child_snapshot()  # what ran there, with its counts
    assert [c.path for c in child.components] == ["Pipeline", "Pipeline[0]:Double",
                                                  "Pipeline[1]:Double"]
    assert child.component("Pipeline[1]:Double").received == 1000


def test_a_child_process_can_run_a_stage_in_a_process_of_its_own() -> None:
    out = Collect()
    stage = ChildProcess(double_in_a_grandchild)
    run(Pipeline(Count(1000, per_slice=100), stage, out), timeout=30)
    assert out.items == [4 * i for i in range(1000)]
    inner = [c for c in snapshot(stage).components if c.path.endswith("[1]:Double")]
    # the stand-in in the child, and the Double in the grandchild, each where it ran
    assert len(inner) == 2 and inner[0].pid == stage.pid
    assert inner[0].process is not None and inner[1].pid == inner[0].process.pid != stage.pid


def test_other_codecs_can_be_chosen() -> None:
    for codec in ("msgpack", "json"):
        out = Collect()
        run(Pipeline(Source([(1, "a"), [2], {"k": 3}]), ChildProcess(partial(Tag, "t"),
                                                                     codec=codec), out),
            timeout=30)
        if codec == "msgpack":
            assert out.items == [("t", (1, "a")), ("t", [2]), ("t", {"k": 3})]
        else:  # JSON has no tuples
            assert out.items == [["t", [1, "a"]], ["t", [2]], ["t", {"k": 3}]]


def test_spawn_works_beside_running_threads() -> None:
    class Beside(ThreadedComponent):
        def main(self) -> None:
            while not self.finished():
                self.wait(0.05)

    out = Collect()
    g = Graphline({("src", "outbox"): ("p", "inbox"), ("src", "signal"): [("p", "control"),
                                                                          ("t", "control")],
                   ("p", "outbox"): ("out", "inbox"), ("p", "signal"): ("out", "control")},
                  src=Count(100, per_slice=10), p=ChildProcess(Double, start_method="spawn"),
                  t=Beside(), out=out)
    run(g, timeout=30)
    assert out.items == [2 * i for i in range(100)]


class IdleThenEnd(Component):
    """Waits ``seconds`` (an awaitable: no CPU), noting the CPU both processes used."""

    def __init__(self, seconds: float, stage: ChildProcess) -> None:
        super().__init__()
        self.seconds, self.stage = seconds, stage
        self.here = self.there = -1.0

    def main(self) -> Generator[Any, Any, None]:
        import asyncio

        while not self.stage.ready:
            yield
        here, there = time.process_time(), cpu_ticks(self.stage.pid)  # type: ignore[arg-type]
        yield asyncio.sleep(self.seconds)
        self.here = time.process_time() - here
        self.there = (cpu_ticks(self.stage.pid) - there) / os.sysconf("SC_CLK_TCK")  # type: ignore[arg-type]
        self.send(ProducerFinished(), "signal")


def test_an_idle_boundary_uses_no_cpu_on_either_side() -> None:
    stage = ChildProcess(Forever)
    idle = IdleThenEnd(0.5, stage)
    run(Pipeline(idle, stage, Collect()), timeout=30)
    assert idle.here < 0.05 and idle.there < 0.05  # (no polling: both sleep in select)


# -- fan-out and fan-in ---------------------------------------------------------------------------


def test_fan_out_to_process_stages_and_fan_in_from_them() -> None:
    out = Collect()
    g = Graphline(
        {("src", "outbox"): [("a", "inbox"), ("b", "inbox")],
         ("src", "signal"): [("a", "control"), ("b", "control")],
         ("a", "outbox"): ("join", "inbox"), ("b", "outbox"): ("join", "inbox"),
         ("a", "signal"): ("join", "control"), ("b", "signal"): ("join", "control"),
         ("join", "outbox"): ("out", "inbox"), ("join", "signal"): ("out", "control")},
        src=Count(2000, per_slice=50), a=ChildProcess(partial(Tag, "a")),
        b=ChildProcess(partial(Tag, "b")), join=ChildProcess(partial(Join, 2)), out=out)
    run(g, timeout=30)
    assert sorted(out.items) == sorted([("a", i) for i in range(2000)]
                                       + [("b", i) for i in range(2000)])
    for tag in "ab":  # each stream keeps its order through the fan-in
        assert [i for t, i in out.items if t == tag] == list(range(2000))


# -- ends of stream ----------------------------------------------------------------------------------


def test_data_in_flight_is_delivered_before_the_end_both_ways() -> None:
    out = Collect()
    # everything and ProducerFinished are sent in one timeslice; a small window keeps most
    # of it waiting for credit while the end is already in the stand-in's control
    stage = ChildProcess(Double, window=16)
    run(Pipeline(Count(5000, per_slice=5000), stage, out), timeout=30)
    assert out.items == [2 * i for i in range(5000)] and out.end == ProducerFinished("count")
    back = Collect()
    run(Pipeline(ChildProcess(partial(Flood, 5000, 5000), window=16), back), timeout=30)
    assert back.items == list(range(5000)) and back.end == ProducerFinished("flood")


class ThenShutdown(Component):
    """Sends ``n`` messages, then Shutdown at once."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def main(self) -> Generator[None, None, None]:
        self.send_many(range(self.n))
        yield
        self.send(Shutdown("stop"), "signal")


def test_shutdown_crosses_at_once_even_behind_waiting_data() -> None:
    out = Collect()
    t0 = time.monotonic()
    # the child takes 20 ms a message: 1000 would take 20 s.  With a window of 8, most
    # of them wait here for credit, and 8 at a time for room in the child: Shutdown
    # passes them on both sides and the child stops at its next message
    stage = ChildProcess(partial(Careful, 0.02), window=8,
                         inboxes={"inbox": BoxSpec("data", 2000), "control": "the end"})
    run(Pipeline(ThenShutdown(1000), stage, out), timeout=30)
    assert time.monotonic() - t0 < 5
    assert out.end == Shutdown("stop") and len(out.items) < 100
    assert gone(stage.pid)


# -- backpressure ------------------------------------------------------------------------------------


class Producer(Component):
    """Sends 0..n-1 as fast as it may, noting how far it gets ahead of ``sink``."""

    def __init__(self, n: int, sink: Collect) -> None:
        super().__init__()
        self.n, self.sink, self.ahead = n, sink, 0

    def main(self) -> Generator[None, None, None]:
        for i in range(self.n):
            self.send(i)
            self.ahead = max(self.ahead, i + 1 - len(self.sink.items))
            if i % 10 == 0:
                yield
        self.send(ProducerFinished(), "signal")


def test_a_slow_child_holds_its_producer_back_across_the_boundary() -> None:
    out = Collect()
    window = 10
    prod = Producer(400, out)
    stage = ChildProcess(partial(Slow, 0.0005), window=window)
    run(Pipeline(prod, stage, out), timeout=30)
    assert out.items == list(range(400))
    # at most a window each: the stand-in's inbox, what it took from there, what is on the
    # way (credit), the child's inbox and the batch the child works on; plus one timeslice
    # of the producer (10).  Without credit it would be all 400
    assert prod.ahead <= 5 * window + 10


class SlowSink(Component):
    """A bounded consumer in this process that takes 1 ms a message."""

    Inboxes = {"inbox": "values", "control": "the end"}

    def __init__(self, stage: ChildProcess) -> None:
        super().__init__()
        self.set_bound("inbox", 5)
        self.stage, self.items, self.behind, self.read_ahead = stage, [], 0, 0

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            if self.data_ready():
                self.items.append(self.recv())
                time.sleep(0.001)
                stats = self.stage.statistics()
                self.behind = max(self.behind, stats.messages_in - len(self.items))
                self.read_ahead = max(self.read_ahead, stats.frames_waiting)
                yield
            else:
                self.pause()
                yield


def test_a_slow_consumer_here_holds_the_child_back() -> None:
    window = 10
    stage = ChildProcess(partial(Flood, 300, 300), window=window)
    sink = SlowSink(stage)
    run(Pipeline(stage, sink), timeout=30)
    assert sink.items == list(range(300))
    assert sink.behind <= window + 5 + 1  # the credit window and the sink's bound
    assert sink.read_ahead <= window  # read from the pipe: at most a window of frames


# -- errors -------------------------------------------------------------------------------------------


def test_an_exception_in_the_child_is_raised_here_naming_its_place_with_its_traceback() -> None:
    stage = ChildProcess(Boom)
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(10), stage, Collect()), timeout=30)
    err = info.value
    assert err.path == "Pipeline[1]:Boom" and err.component is stage
    assert str(err) == "Pipeline[1]:Boom raised ValueError: bad message 3"
    assert type(err.error) is ValueError and err.__cause__ is err.error
    notes = "\n".join(getattr(err.error, "__notes__", []))
    assert f"child process {stage.pid}" in notes and 'raise ValueError(f"bad message' in notes
    assert "process_parts.py" in err.error.child_traceback  # type: ignore[attr-defined]
    assert gone(stage.pid)


def test_a_failure_deep_in_a_child_subsystem_names_its_full_place() -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(10), ChildProcess(nested_boom), Collect()), timeout=30)
    assert info.value.path == "Pipeline[1]:Pipeline[1]:Pipeline[1]:Boom"
    assert "bad message ('x', 6)" in str(info.value)


def test_an_exception_that_cannot_be_rebuilt_arrives_as_a_remote_error() -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(1), ChildProcess(RaiseOdd), Collect()), timeout=30)
    err = info.value.error
    assert isinstance(err, RemoteError)
    assert err.type_name == "tests.axon.process_parts.Odd" and "odd 1 2" in str(err)
    assert "raise Odd(1, 2)" in err.child_traceback


@pytest.mark.parametrize("how, code", [("exit", 3), ("kill", -signal.SIGKILL),
                                       ("segfault", -signal.SIGSEGV)])
def test_a_child_that_dies_is_reported_and_never_hangs(how: str, code: int) -> None:
    stage = ChildProcess(partial(Die, 5, how))
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(100), stage, Collect()), timeout=30)
    err = info.value
    assert err.path == "Pipeline[1]:Die" and isinstance(err.error, ProcessDied)
    assert err.error.exitcode == code and err.error.pid == stage.pid
    assert (f"exited with status {code}" if code > 0 else signal.Signals(-code).name) in str(err)
    assert gone(stage.pid)


class KillChild(Component):
    """Passes messages on; kills ``stage``'s process (kill -9) after ``after`` of them."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after, self.stage, self.seen = after, None, 0

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.seen += len(batch)
            self.send_many(batch)
            if self.seen >= self.after and self.stage.pid is not None:
                os.kill(self.stage.pid, signal.SIGKILL)
                self.after = float("inf")


def test_kill_9_of_a_child_under_load_is_reported_as_its_death() -> None:
    killer = KillChild(after=1000)
    stage = ChildProcess(Double)
    killer.stage = stage
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(10**7, per_slice=500), stage, killer, Collect()), timeout=30)
    assert isinstance(info.value.error, ProcessDied)
    assert info.value.error.exitcode == -signal.SIGKILL
    assert gone(stage.pid)


def test_an_unpicklable_message_names_the_box_and_the_type_both_ways() -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Source([1, 2, lambda: 0]), ChildProcess(Double), Collect()), timeout=30)
    err = info.value
    assert err.path == "Pipeline[1]:Double" and isinstance(err.error, EncodeError)
    assert "inbox 'inbox'" in str(err) and "function" in str(err)
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Source([1]), ChildProcess(SendLambda), Collect()), timeout=30)
    err = info.value
    assert err.path == "Pipeline[1]:SendLambda" and isinstance(err.error, EncodeError)
    assert "outbox 'outbox'" in str(err) and "function" in str(err)


def test_a_factory_that_cannot_reach_a_child_is_refused_at_once() -> None:
    with pytest.raises(TypeError, match="cannot be sent to a child process"):
        ChildProcess(lambda: Double())  # noqa: PLW0108 - a lambda on purpose: it cannot pickle
    with pytest.raises(TypeError, match="factory"):
        ChildProcess(Double())  # type: ignore[arg-type]


# -- with a Supervisor ------------------------------------------------------------------------------


def test_a_supervisor_restarts_a_child_process_that_was_killed() -> None:
    # (a window of 1: few messages are in the child when it dies, the rest wait here)
    sup = Supervisor([partial(ChildProcess, partial(Die, 5, "kill"), window=1)],
                     max_restarts=2, within=60)
    out = Collect()
    first = sup.children[0]
    run(Pipeline(Count(20), sup, out), timeout=30)
    assert sup.restarts == 1
    (failed,) = sup.outboxes["failures"].held  # (unlinked: kept)
    assert isinstance(failed, ChildFailed) and isinstance(failed.error, ProcessDied)
    assert failed.path == "Pipeline[1]:Supervisor[0]:Die"
    # what the dead child had taken is lost (as in one process); the rest carries on
    assert 5 not in out.items and out.items[-1] == 19 and out.items == sorted(out.items)
    assert len(out.items) >= 14
    assert out.end == ProducerFinished("count")
    assert gone(first.pid) and gone(sup.children[0].pid if sup.children else first.pid)


# -- every ending leaves no process --------------------------------------------------------------------


def test_a_timeout_stops_and_reaps_a_child_that_will_not_stop() -> None:
    stage = ChildProcess(Spin, stop_grace=0.2)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        run(Pipeline(Count(1), stage, Collect()), timeout=0.5)
    assert time.monotonic() - t0 < 3
    assert gone(stage.pid)


def test_an_error_elsewhere_stops_and_reaps_the_children() -> None:
    a, b = ChildProcess(Forever), ChildProcess(Forever)
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(10), a, b, Boom(at=4)), timeout=30)
    assert info.value.path == "Pipeline[3]:Boom"
    assert gone(a.pid) and gone(b.pid)


SIGINT_SCRIPT = """
import json, os, sys
sys.path.insert(0, {root!r})
from axon import ChildProcess, Component, Pipeline, WorkerPool, run
from tests.axon.process_parts import Forever, Pid, Spin

class Announce(Component):
    def __init__(self, stages, pool):
        super().__init__()
        self.stages, self.pool = stages, pool
    def main(self):
        while not all(s.ready for s in self.stages + self.pool.workers):
            yield
        pids = [s.pid for s in self.stages] + [w.pid for w in self.pool.workers]
        print(json.dumps(pids), flush=True)
        while not self.finished():
            self.pause()
            yield

class Ticks(Component):
    def main(self):
        self.send(1)
        while not self.finished():
            self.pause()
            yield

if __name__ == "__main__":  # (each child imports this script)
    stages = [ChildProcess(Forever), ChildProcess(Spin, stop_grace=0.3)]
    pool = WorkerPool(Pid, 2)
    run(Pipeline(Ticks(), stages[0], stages[1]), pool, Announce(stages, pool))
"""


def session_processes(sid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid:  # (fields after the name: state, ppid, pgrp, session)
                found.append(int(entry))
    return found


def start_parent(tmp_path: Any) -> tuple[subprocess.Popen[str], list[int]]:
    """The script above in a process of its own session, and its children's pids."""
    script = tmp_path / "parent.py"
    script.write_text(SIGINT_SCRIPT.format(root=ROOT))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    assert line, proc.stderr.read()  # type: ignore[union-attr]
    pids = json.loads(line)
    missing = [p for p in pids if not os.path.exists(f"/proc/{p}")]
    assert len(pids) == 4 and not missing, (missing, proc.poll())
    spin = pids[1]  # it is busy (it will not notice its pipe close)
    before = cpu_ticks(spin)
    deadline = time.monotonic() + 5
    while cpu_ticks(spin) <= before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cpu_ticks(spin) > before
    return proc, pids


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def assert_none_left(proc: subprocess.Popen[str], pids: list[int]) -> None:
    for pid in pids:
        assert gone(pid), f"child {pid} is still there"
    deadline = time.monotonic() + 5  # (multiprocessing's helpers follow their parent)
    while session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session_processes(proc.pid) == []


def clean_up(proc: subprocess.Popen[str]) -> None:
    """(Only does something if the test failed: kill whatever is left, hard.)"""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    for pid in session_processes(proc.pid):
        os.kill(pid, signal.SIGKILL)


def test_ctrl_c_to_the_parent_leaves_no_child_process(tmp_path: Any) -> None:
    proc, pids = start_parent(tmp_path)
    try:
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        assert time.monotonic() - t0 < 5
        assert "KeyboardInterrupt" in proc.stderr.read()  # type: ignore[union-attr]
        assert_none_left(proc, pids)
    finally:
        clean_up(proc)


def test_a_parent_killed_outright_leaves_no_child_process(tmp_path: Any) -> None:
    # no finally block runs in the parent: its children go by themselves, the busy one too
    proc, pids = start_parent(tmp_path)
    try:
        proc.kill()
        proc.wait(timeout=10)
        assert_none_left(proc, pids)
    finally:
        clean_up(proc)


# -- seeing the boundary ------------------------------------------------------------------------------


def test_a_snapshot_shows_what_runs_in_which_process_and_what_crossed() -> None:
    stage = ChildProcess(doubled_twice)
    system = Pipeline(Count(100, per_slice=10), stage, Collect())
    run(system, timeout=30)
    snap = snapshot(system)
    here = snap.component("Pipeline[1]:Pipeline")
    assert here.process is not None and here.process.pid == stage.pid
    assert here.process.sent == {"inbox": 100, "control": 1}
    assert here.process.received == {"outbox": 100, "signal": 1}
    inner = snap.component("Pipeline[1]:Pipeline[1]:Double")
    assert inner.pid == stage.pid and inner.received == 100
    assert snap.component("Pipeline[0]:Count").pid is None  # (this process)
    text = snap.format()
    assert f"[1] Pipeline (stand-in, pid {stage.pid})" in text
    assert f"[1] Double (pid {stage.pid})" in text


# -- adjacent process stages talk directly ---------------------------------------------------------


def test_adjacent_process_stages_send_child_to_child_in_order_with_the_end_last() -> None:
    n = 50_000
    out = Collect()
    a, b = ChildProcess(Double, window=64), ChildProcess(Double, window=64)
    c = ChildProcess(Double, window=64, start_method="spawn")  # (the pipes reach either)
    run(Pipeline(Count(n, per_slice=1000), a, b, c, out), timeout=60)
    assert out.items == [8 * i for i in range(n)]  # none lost, none twice, in order
    assert out.end == ProducerFinished("count")  # behind all the data
    sa, sb, sc = (s.statistics() for s in (a, b, c))
    # a -> b and b -> c went straight between the children: b's pipes to and from this
    # process carried no data (the counts are the children's own)
    assert sa.direct == {"outbox": b.path, "signal": b.path}
    assert sb.direct == {"inbox": a.path, "control": a.path, "outbox": c.path,
                         "signal": c.path}
    assert sc.direct == {"inbox": b.path, "control": b.path}
    assert sb.frames_out == 0 and sb.frames_in == 2  # HELLO and DONE only
    assert sa.received == {"outbox": n, "signal": 1} and sb.sent == {"inbox": n, "control": 1}
    assert sb.received == {"outbox": n, "signal": 1} and sc.sent == {"inbox": n, "control": 1}
    assert all(gone(s.pid) for s in (a, b, c))


def test_direct_false_keeps_a_stages_traffic_in_this_process() -> None:
    out = Collect()
    a, b = ChildProcess(Double), ChildProcess(Double, direct=False)
    run(Pipeline(Count(1000, per_slice=100), a, b, out), timeout=30)
    assert out.items == [4 * i for i in range(1000)]
    assert a.statistics().direct == {} and b.statistics().direct == {}
    assert b.statistics().sent == {"inbox": 1000, "control": 1}  # relayed from here


def test_a_slow_stage_holds_back_the_stage_before_it_child_to_child() -> None:
    window, n = 32, 5000
    out = Collect()
    a = ChildProcess(partial(Stamped, n), window=window)
    b = ChildProcess(partial(LateReader, 1.0), window=window)
    run(Pipeline(a, b, out), timeout=30)
    assert a.statistics().direct == {"outbox": b.path, "signal": b.path}
    (early, count), = out.items
    assert count == n
    # while b's process slept, a sent at most: the credit window on the pipe, its own
    # send box (a window) and one timeslice (50).  Without credit it would be all 5000
    assert early <= 2 * window + 50, early


def test_a_stage_that_dies_is_reported_and_the_stage_after_it_does_not_hang() -> None:
    a, b = ChildProcess(partial(Die, 500, "kill")), ChildProcess(Double)
    t0 = time.monotonic()
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(10**6, per_slice=100), a, b, Collect()), timeout=30)
    assert time.monotonic() - t0 < 10
    err = info.value
    assert err.path == "Pipeline[1]:Die" and isinstance(err.error, ProcessDied)
    assert err.error.exitcode == -signal.SIGKILL
    assert a.statistics().direct == {"outbox": b.path, "signal": b.path}
    assert gone(a.pid) and gone(b.pid)


def test_a_stage_that_dies_after_a_direct_link_is_reported_and_its_sender_stops() -> None:
    a, b = ChildProcess(partial(Flood, 10**7, 500)), ChildProcess(partial(Die, 1000, "exit"))
    with pytest.raises(ComponentError) as info:
        run(Pipeline(a, b, Collect()), timeout=30)
    err = info.value
    assert err.path == "Pipeline[1]:Die" and isinstance(err.error, ProcessDied)
    assert gone(a.pid) and gone(b.pid)


def test_an_exception_in_a_directly_fed_stage_names_its_place() -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(100), ChildProcess(Double), ChildProcess(partial(Boom, 6)),
                     Collect()), timeout=30)
    assert info.value.path == "Pipeline[2]:Boom" and isinstance(info.value.error, ValueError)


def test_an_unpicklable_message_on_a_direct_link_names_the_box_and_the_type() -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(3), ChildProcess(SendLambda), ChildProcess(Double), Collect()),
            timeout=30)
    err = info.value
    assert err.path == "Pipeline[1]:SendLambda" and isinstance(err.error, EncodeError)
    assert "'outbox'" in str(err.error) and "function" in str(err.error)


def test_shutdown_goes_straight_ahead_of_waiting_data_child_to_child() -> None:
    out = Collect()
    t0 = time.monotonic()
    a = ChildProcess(partial(ThenShutdownChild, 1000), window=8)
    b = ChildProcess(partial(Careful, 0.02), window=8,
                     inboxes={"inbox": BoxSpec("data", 2000), "control": "the end"})
    run(Pipeline(a, b, out), timeout=30)
    assert a.statistics().direct == {"outbox": b.path, "signal": b.path}
    assert time.monotonic() - t0 < 5
    assert out.end == Shutdown("stop") and len(out.items) < 100


def test_data_waiting_for_credit_goes_before_the_end_child_to_child() -> None:
    back = Collect()
    # all 5000 and the end are sent in one timeslice; a window of 16 keeps most of them
    # waiting for credit in a's process while the end is already there
    a = ChildProcess(partial(Flood, 5000, 5000), window=16)
    b = ChildProcess(partial(Slow, 0.0), window=16)
    run(Pipeline(a, b, back), timeout=30)
    assert a.statistics().direct == {"outbox": b.path, "signal": b.path}
    assert back.items == list(range(5000)) and back.end == ProducerFinished("flood")


def test_a_stage_that_ends_early_releases_the_stage_feeding_it_directly() -> None:
    out = Collect()
    a, b = ChildProcess(Endless, window=16), ChildProcess(partial(First, 10))
    t0 = time.monotonic()
    run(Pipeline(a, b, out), timeout=30)
    assert time.monotonic() - t0 < 10  # (a sends for ever unless told its reader left)
    assert a.statistics().direct == {"outbox": b.path, "signal": b.path}
    assert out.items == list(range(10)) and out.end == ProducerFinished("first")
    sa, sb = a.statistics(), b.statistics()
    # what a sent that b's process never read (b had finished) is counted, as a finished
    # reader's inbox counts what reaches it: nothing vanishes unseen
    assert sa.received["outbox"] > sb.sent["inbox"] >= 10
    assert sb.sent["inbox"] + sa.dropped["outbox"] >= sa.received["outbox"]
    assert gone(a.pid) and gone(b.pid)


def test_what_a_finished_stage_never_read_is_counted_as_dropped() -> None:
    n = 20_000
    out = Collect()
    a = ChildProcess(partial(Flood, n, 1000), window=64)
    b = ChildProcess(partial(First, 10), window=64)
    run(Pipeline(a, b, out), timeout=30)
    sa, sb = a.statistics(), b.statistics()
    assert out.items == list(range(10))
    # every message a's component sent was read by b's process or counted as dropped
    # (sent after b's process had gone, or left unread in the pipe as it ended)
    assert sb.sent["inbox"] + sa.dropped.get("outbox", 0) == n
    assert sa.received["outbox"] <= n
