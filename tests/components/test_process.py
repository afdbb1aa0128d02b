"""Subprocess: a child process's stdin and stdout as a component's inbox and outbox."""

from __future__ import annotations

import asyncio

import pytest

from axon import ComponentError, Pipeline, ProducerFinished, Scheduler, Shutdown, run
from components import (
    BadInputError,
    Collector,
    IterableSource,
    ProcessExited,
    Subprocess,
    SubprocessError,
)
from components.testing import Harness, feed


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
    assert 1 <= proc.stdin_high_water <= Subprocess.stdin_limit
    assert proc.stdin_high_water == Subprocess.stdin_limit  # it really was backed up
    # while the child sleeps, input waiting in the (full) inbox must not keep waking it:
    # busy waking costs a timeslice per scheduler round for 0.3 s (millions here); the
    # real work is a few thousand
    assert sched.timeslices < 100_000, sched.timeslices


def test_a_child_that_does_not_read_its_stdin_is_reported_and_the_system_ends():
    chunks = [b"y" * 16_384] * 256  # 4 MB: cannot all fit in the pipe before `true` exits
    with pytest.raises(ComponentError) as info:
        run(Pipeline(IterableSource(chunks), Subprocess(["true"])), timeout=30)
    assert isinstance(info.value.error, BadInputError)
    assert "Pipeline[1]:Subprocess" in str(info.value)
    assert "stopped reading stdin" in str(info.value)


def test_with_on_error_send_a_stdin_failure_and_later_input_are_reported_not_queued():
    proc = Subprocess(["true"], on_error="send")
    with Harness(proc, timeout=30) as h:
        # ~4 MB, within the inbox's bound of 256, and the end, delivered together
        feed(proc, inbox=[b"y" * 16_384] * 240, control=[ProducerFinished()])
        out = h.run_until_finished()
    assert out["outbox"] == [] and out["status"] == [ProcessExited(("true",), 0)]
    assert out["signal"] == [ProducerFinished()]
    problems = [e.problem for e in out["error"]]
    assert problems, "the stdin failure was silently dropped"
    assert "stopped reading stdin" in problems[0]
    assert all("stopped reading stdin" in p for p in problems[1:])
    # what came after the failure was dropped, each chunk reported: nothing was queued
    assert all(p.endswith("bytes input dropped") for p in problems[1:])
    assert len(problems) > 200  # at most ~130 KB (8 chunks) went into the pipe and buffer
    assert proc.stdin_high_water <= Subprocess.stdin_limit
