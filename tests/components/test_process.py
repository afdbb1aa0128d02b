"""Subprocess: a child process's stdin and stdout as a component's inbox and outbox."""

from __future__ import annotations

import pytest

from axon import ComponentError, Pipeline, ProducerFinished, Shutdown, run
from components import Collector, IterableSource, ProcessExited, Subprocess, SubprocessError
from components.testing import Harness


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
