"""Subprocess: a child process's stdin and stdout as a component's inbox and outbox."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tracemalloc

import pytest

from axon import (
    Component,
    ComponentError,
    Pipeline,
    ProducerFinished,
    Scheduler,
    Shutdown,
    run,
)
from components import (
    BadInputError,
    Collector,
    IterableSource,
    ProcessExited,
    Subprocess,
    SubprocessError,
)
from components.testing import Harness, feed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_a_sort_then_tr_pipeline_end_to_end():
    got = Collector()
    words = [b"pear\n", b"apple\n", b"fig\n"] * 200
    run(Pipeline(IterableSource(words, chunk=7), Subprocess(["sort"]),
                 Subprocess(["tr", "a-z", "A-Z"]), got), timeout=30)
    assert b"".join(got.items) == b"APPLE\n" * 200 + b"FIG\n" * 200 + b"PEAR\n" * 200


def test_all_output_comes_before_producer_finished_and_the_exit_status():
    proc = Subprocess(["cat"])
    with Harness(proc, timeout=30) as h:
        h.feed("inbox", b"a", b"b")
        h.feed("control", ProducerFinished())
        out = h.run_until_finished()
    assert b"".join(out["outbox"]) == b"ab"
    assert out["status"] == [ProcessExited(("cat",), 0)]
    assert out["signal"] == [ProducerFinished()]


def test_a_failing_child_raises_naming_the_component_and_its_stderr():
    with pytest.raises(ComponentError) as info:
        run(Pipeline(IterableSource([]), Subprocess(["sh", "-c", "echo broken >&2; exit 3"])),
            timeout=30)
    assert isinstance(info.value.error, SubprocessError)
    assert "Pipeline[1]:Subprocess" in str(info.value) and "status 3: broken" in str(info.value)


def test_with_check_false_a_failure_is_only_reported():
    with Harness(Subprocess(["sh", "-c", "exit 4"], check=False), timeout=30) as h:
        h.feed("control", ProducerFinished())
        out = h.run_until_finished()
    assert out["status"][0].returncode == 4 and out["signal"] == [ProducerFinished()]


def test_shutdown_kills_a_child_that_would_run_for_ever():
    with Harness(Subprocess(["sleep", "100"]), timeout=30) as h:
        h.feed("control", Shutdown())
        out = h.run_until_finished()
    assert out["signal"] == [Shutdown()]


def test_non_bytes_for_stdin_is_bad_input():
    with Harness(Subprocess(["cat"], on_error="send"), timeout=30) as h:
        h.feed("inbox", "text", b"bytes")
        h.feed("control", ProducerFinished())
        out = h.run_until_finished()
    assert b"".join(out["outbox"]) == b"bytes"
    assert "expected bytes for stdin, got str" in out["error"][0].problem


def test_argv_must_be_a_list_not_a_shell_string():
    with pytest.raises(ValueError):
        Subprocess("sort -r")  # type: ignore[arg-type]


def test_a_slow_child_holds_up_a_fast_producer_without_buffering_or_busy_waking():
    # 2 MB: far more than the pipe and the stdin transport hold while the child sleeps
    lines = [b"%06d " % i + b"x" * 92 + b"\n" for i in range(20_000)]
    proc = Subprocess(["sh", "-c", "sleep 0.3; cat"])
    got = Collector()
    sched = Scheduler()

    async def main() -> None:
        sched.activate(Pipeline(IterableSource(lines, chunk=64), proc, got))
        await asyncio.wait_for(sched.run_async(timeout=30), 30)

    asyncio.run(main())
    assert b"".join(got.items) == b"".join(lines)  # all of it, in order
    # it really was backed up, and held no more than its bound (plus one line)
    assert proc.write_limit <= proc.stdin_high_water <= proc.write_limit + 100
    # while the child sleeps, input waiting in the (full) inbox must not keep waking it:
    # busy waking costs a timeslice per scheduler round for 0.3 s (100,000 or more here);
    # the real work is under a thousand
    assert sched.timeslices < 5_000, sched.timeslices


def test_with_unread_input_reject_and_on_error_send_unread_input_is_one_report():
    proc = Subprocess(["true"], on_error="send", unread_input="reject")
    with Harness(proc, timeout=30) as h:
        # ~4 MB, within the inbox's bound of 256, and the end, delivered together
        feed(proc, inbox=[b"y" * 16_384] * 240, control=[ProducerFinished()])
        out = h.run_until_finished()
    assert out["outbox"] == [] and out["status"] == [ProcessExited(("true",), 0)]
    assert out["signal"] == [ProducerFinished()]
    (report,) = out["error"]
    assert "did not read" in report.problem and str(proc.unread) in report.problem
    assert proc.inboxes["inbox"].statistics().dropped > 200  # not queued, counted
    assert proc.stdin_high_water <= proc.write_limit + 16_384


# -- backpressure and containment (issue 11) ----------------------------------------------------


class SlowConsumer(Component):
    """Takes one chunk every ``delay`` seconds and counts the bytes."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.total = 0

    def main(self):  # type: ignore[override]
        while True:
            if self.data_ready():
                self.total += len(self.recv())
                yield asyncio.sleep(self.delay)
                continue
            if self.finished():
                break
            self.pause()
            yield
        self.send(self.end_message, "signal")


@pytest.mark.parametrize("bounded", [True, False], ids=["bounded-consumer", "unbounded-consumer"])
def test_a_child_writing_fast_is_slowed_to_its_consumers_pace(bounded: bool):
    size = 12_000_000
    consumer = SlowConsumer(0.002)  # about 30 MB/s in 64 KB chunks: far slower than the child
    if bounded:
        consumer.set_bound("inbox", 4, "block")
    proc = Subprocess(["head", "-c", str(size), "/dev/zero"])
    tracemalloc.start()
    try:
        run(Pipeline(IterableSource([]), proc, consumer), timeout=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert consumer.total == size  # all of it
    # the child was held back (a pipe's worth, a few chunks), not read into memory
    assert peak < 2_000_000, f"{peak / 1e6:.1f} MB held for a {size / 1e6:.0f} MB stream"


def test_a_child_that_exits_without_reading_its_input_is_not_an_error():
    for _ in range(10):
        got = Collector()
        proc = Subprocess(["echo", "hi"])
        run(Pipeline(IterableSource([b"x" * 100]), proc, got), timeout=10)
        assert got.items == [b"hi\n"]
        assert proc.inboxes["inbox"].statistics().dropped in (0, 1)  # counted if unread


def test_input_a_child_never_reads_is_dropped_and_counted():
    chunks = [b"y" * 16_384] * 256  # 4 MB: cannot all fit in the pipe before `true` exits
    proc = Subprocess(["true"])
    run(Pipeline(IterableSource(chunks), proc), timeout=30)
    stats = proc.inboxes["inbox"].statistics()
    assert 200 <= stats.dropped <= 256  # at most a pipe's worth went to the child
    assert stats.received + stats.dropped == 256 and stats.depth == 0
    assert proc.unread >= stats.dropped * 16_384


def test_the_childs_own_failure_is_reported_after_all_its_output_not_the_unread_input():
    for _ in range(10):
        got = Collector()
        with pytest.raises(ComponentError) as info:
            run(Pipeline(IterableSource([b"x" * 100] * 100),
                         Subprocess(["sh", "-c", "echo last; ls /no/such/dir"]), got),
                timeout=10)
        assert isinstance(info.value.error, SubprocessError), info.value
        assert "status 2" in str(info.value) and "No such file" in str(info.value)
        assert b"".join([*got.items, *got.inboxes["inbox"].queue]) == b"last\n"


def test_a_failing_childs_output_is_all_sent_to_a_slow_consumer_before_its_failure():
    consumer = SlowConsumer(0.002)
    consumer.set_bound("inbox", 2, "block")
    with pytest.raises(ComponentError) as info:
        run(Pipeline(IterableSource([]),
                     Subprocess(["sh", "-c", "head -c 2000000 /dev/zero; exit 3"]), consumer),
            timeout=30)
    assert isinstance(info.value.error, SubprocessError) and "status 3" in str(info.value)
    waiting = sum(len(c) for c in consumer.inboxes["inbox"].queue)
    assert consumer.total + waiting == 2_000_000  # none of it lost to the failure


def test_with_unread_input_reject_a_child_not_reading_is_bad_input():
    chunks = [b"y" * 16_384] * 256
    with pytest.raises(ComponentError) as info:
        run(Pipeline(IterableSource(chunks), Subprocess(["true"], unread_input="reject")),
            timeout=30)
    assert isinstance(info.value.error, BadInputError)
    assert "Pipeline[1]:Subprocess" in str(info.value)
    assert "did not read" in str(info.value)


NOISE_SCRIPT = r"""
import asyncio, gc, os, sys
from axon import Pipeline, Scheduler, run
from components import Collector, IterableSource, Subprocess
from components.testing import Harness

children = []

def child(argv):
    children.append(Subprocess(argv))
    return children[-1]

def ended(system, **kw):
    try:
        run(system, **kw)
    except Exception as exc:
        print(type(exc).__name__)
    gc.collect()

ended(Pipeline(IterableSource([b"x" * 100] * 50), child(["ls", "/no/such/dir"]), Collector()))
ended(Pipeline(IterableSource([b"x" * 100] * 50), child(["echo", "hi"]), Collector()))
ended(child(["sleep", "100"]), timeout=0.3)

async def shut_down():
    sched = Scheduler()
    sched.activate(child(["sleep", "100"]))
    task = asyncio.ensure_future(sched.run_async())
    await asyncio.sleep(0.3)
    sched.shutdown()
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

asyncio.run(shut_down())
h = Harness(child(["sleep", "100"]), timeout=5)
h.run_until_idle()
h.close()
gc.collect()
print("reaped" if not any(os.path.exists(f"/proc/{c.pid}") for c in children) else "left")
"""


def test_every_way_a_system_ends_reaps_its_children_without_noise():
    proc = subprocess.run([sys.executable, "-X", "dev", "-c", NOISE_SCRIPT], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.split() == ["ComponentError", "TimeoutError", "reaped"], proc.stdout
    assert proc.stderr == "", proc.stderr  # no unreaped child, unclosed transport, closed loop
