"""The compiled core (axon/_core/_ccore.pyx) behaves as the pure-Python core, its reference.

The scheduling protocol's scenarios (tests/axon/ccore_scenarios.py: wake-ups, the deferred
pause, blocked sends, RECEIVE and RECEIVE_ONE, the end of a stream, awaitables, errors,
instruments) run once under each core, each in a child process (the core is chosen as
``axon`` is imported), and their event logs must be equal: the same events in the same
order, the same states and resumes seen between timeslices, the same timeslice counts.
The rest of the suite runs under both cores in CI (``make test``).

Where the compiled core was not built these tests are skipped, unless
``AXON_REQUIRE_COMPILED=1`` (CI sets it: a build that silently failed must not pass).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import axon
from axon._core import _task
from tests.axon.ccore_scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]


def _env(pure: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AXON_PURE_PYTHON"}
    if pure:
        env["AXON_PURE_PYTHON"] = "1"
    return env


@cache
def _logs(pure: bool) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "tests.axon.ccore_scenarios"], cwd=ROOT,
                         env=_env(pure), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.fixture(scope="module")
def compiled() -> dict[str, Any]:
    run = _logs(False)
    if run["core"] != "compiled":
        if os.environ.get("AXON_REQUIRE_COMPILED", "") not in ("", "0"):
            pytest.fail("the compiled core is not built (python setup.py build_ext --inplace)")
        pytest.skip("the compiled core is not built here")
    return run


def test_the_switch_chooses_the_core(compiled: dict[str, Any]) -> None:
    assert compiled["core"] == "compiled"
    assert _logs(True)["core"] == "python"
    out = subprocess.run([sys.executable, "-m", "axon", "--version"], cwd=ROOT,
                         env=_env(True), capture_output=True, text=True, timeout=60)
    assert "python core" in out.stdout, out
    out = subprocess.run([sys.executable, "-m", "axon", "--version"], cwd=ROOT,
                         env=_env(False), capture_output=True, text=True, timeout=60)
    assert "compiled core" in out.stdout, out


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_both_cores_log_the_same_events_in_the_same_order(
        compiled: dict[str, Any], scenario: str) -> None:
    pure = _logs(True)["logs"][scenario]
    assert compiled["logs"][scenario] == pure


def test_the_logs_show_the_protocol_they_compare(compiled: dict[str, Any]) -> None:
    """The comparison is not vacuous: the states it compares occur in the scenarios."""
    logs = _logs(True)["logs"]

    def seen(name: str) -> set[tuple[str, str, str]]:
        return {(c, s, r) for e in logs[name] if e[0] == "seen" for c, s, r in e[1]}

    assert ("a", "runnable", "PAUSING") in seen("classic_pipeline")  # deferred pauses
    assert ("a", "paused", "None") in seen("classic_pipeline")  # and real sleeps
    assert ("src", "blocked", "None") in seen("blocked_sends")  # a blocked send
    assert ("a", "runnable", "RECEIVE") in seen("receive_pipeline")
    assert ("a", "runnable", "ReceivingOne") in seen("receive_one_pipeline")
    assert ["sleeper", "runs", [6]] in logs["wake_ups"]
    assert ["x", "finished", "Shutdown()"] in logs["end_of_stream"] or any(
        e[:2] == ["x", "finished"] for e in logs["end_of_stream"])
    assert ["slice", "a"] in logs["instrumented"]
    assert [e for e in logs["kept_awake"] if e[0] == "warning"] == [
        ["warning", "RuntimeWarning", "Graphline[a]:a", "'gate'"],
        ["warning", "RuntimeWarning", "Graphline[b]:b", "'gate'"]]


def test_the_compiled_task_has_the_reference_tasks_fields() -> None:
    if _task._ccore is None:
        pytest.skip("this process runs the pure-Python core")
    ref = _task.PyTask(axon.Component())
    fast = _task._ccore.Task(axon.Component())
    for name in _task.PyTask.__slots__:
        assert getattr(fast, name) == getattr(ref, name) or name in ("comp",), name


def test_the_compiled_tasks_object_fields_are_slots_to_python_code() -> None:
    """Python code reads the compiled Task's object fields through member descriptors, as
    it reads the pure Task's __slots__ (CPython specialises those reads, not properties'),
    and they are the same memory the compiled loop uses."""
    if _task._ccore is None:
        pytest.skip("this process runs the pure-Python core")
    Task = _task._ccore.Task
    objects = [n for n in _task.PyTask.__slots__
               if n not in ("pause", "attend", "sticky", "received")]
    for name in objects:
        assert type(Task.__dict__[name]).__name__ == "member_descriptor", name
    t = Task(axon.Component())
    marker = object()
    for name in objects:
        setattr(t, name, marker)
        assert getattr(t, name) is marker, name
        setattr(t, name, None)
    # written through the descriptors, read by compiled code (its __repr__ reads the C fields)
    t.comp = axon.Component(name="probe")
    t.state = axon.State.PAUSED
    assert repr(t) == "<Task probe paused>"
