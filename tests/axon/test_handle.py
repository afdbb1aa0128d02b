"""Handle: a system run in a background thread, driven from plain blocking code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from axon import AxonError, Component, ComponentError, Handle, Pipeline
from tests.axon.parts import Echo, Fail, Forever, Map

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_put_and_get_round_trip_in_order() -> None:
    with Handle(Map(lambda x: x * 2)) as h:
        for i in range(1000):
            h.put(i)
        assert [h.get(timeout=10) for _ in range(1000)] == [2 * i for i in range(1000)]


def test_ping_pong_one_message_at_a_time() -> None:
    with Handle(Pipeline(Echo(), Echo())) as h:
        for i in range(50):
            h.put(i)
            assert h.get(timeout=10) == i


def test_close_ends_the_input_and_what_was_sent_stays_available() -> None:
    h = Handle(Echo())
    h.put_many(range(5))
    h.close()
    assert [h.get(timeout=10) for _ in range(5)] == [0, 1, 2, 3, 4]
    assert h.get(timeout=10, box="signal").__class__.__name__ == "ProducerFinished"
    with pytest.raises(EOFError):
        h.get(timeout=10)
    assert not h.running


def test_get_times_out_when_nothing_comes() -> None:
    with Handle(Echo()) as h:
        with pytest.raises(TimeoutError):
            h.get(timeout=0.01)


def test_a_failure_in_the_system_is_raised_in_the_callers_thread() -> None:
    h = Handle(Fail(at=1))
    h.put(1)
    with pytest.raises(ComponentError, match="Fail raised ValueError"):
        h.get(timeout=10)
    with pytest.raises(ComponentError):
        h.close()


def test_puts_from_several_threads_all_arrive() -> None:
    with Handle(Echo()) as h:
        def producer(base: int) -> None:
            for i in range(200):
                h.put(base + i)

        threads = [threading.Thread(target=producer, args=(k * 1000,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = sorted(h.get(timeout=10) for _ in range(800))
    assert got == sorted(k * 1000 + i for k in range(4) for i in range(200))


def test_bad_box_names_are_clear_errors() -> None:
    with Handle(Echo()) as h:
        with pytest.raises(AxonError, match="no inbox 'nope'"):
            h.put(1, box="nope")
        with pytest.raises(AxonError, match="no outbox 'nope'"):
            h.get(box="nope")


def test_a_system_that_ignores_the_end_is_shut_down_on_close_timeout() -> None:
    class Deaf(Forever):
        def main(self):  # type: ignore[override]
            with self.keep_alive():
                while True:
                    self.recv_all("control")
                    self.pause()
                    yield

    h = Handle(Deaf())
    with pytest.raises(TimeoutError):
        h.close(timeout=0.05)
    assert not h.running


# -- a bounded put: the system's backpressure reaches the calling thread (issue 11) -----------


class Gated(Component):
    """Takes nothing from ``inbox`` until a message reaches ``gate``; then echoes."""

    Inboxes = {"inbox": "data", "gate": "anything: start taking", "control": "the end"}

    def main(self):  # type: ignore[override]
        self.wake_on("gate", "control")  # (waiting data must not keep it awake)
        while not self.data_ready("gate") and not self.finished():
            self.pause()
            yield
        self.recv_all("gate")  # (taken: a message left there would keep it awake, busy)
        self.wake_on("inbox", "gate", "control")
        while not self.finished():
            for x in self.recv_all():
                self.send(x)
            self.pause()
            yield
        self.send(self.end_message, "signal")


def test_a_bounded_put_blocks_until_the_system_takes_and_times_out_when_it_does_not() -> None:
    log: list[Any] = []
    with Handle(Gated(), maxsize=4) as h:
        def producer() -> None:
            for i in range(100):
                h.put(i)
                log.append(("put", i))
            log.append("producer done")

        t = threading.Thread(target=producer)
        t.start()
        time.sleep(0.3)  # the system takes nothing: the producer must be held up
        stuck = len(log)
        assert 0 < stuck <= 2 * 4 + 1, log  # the handle's bound, and the system's inbox
        with pytest.raises(TimeoutError):
            h.put("late", timeout=0.05)
        with pytest.raises(TimeoutError):
            h.put_nowait("late")
        assert len(log) == stuck  # nothing moved meanwhile
        h.put("go", box="gate")  # (another inbox: its own bound, not held up)
        got = [h.get(timeout=10) for _ in range(100)]
        t.join(10)
    assert got == list(range(100)) and log[-1] == "producer done"


def test_a_bounded_put_is_released_when_the_system_ends() -> None:
    h = Handle(Gated(), maxsize=1)
    h.put(1)
    h.put(2)  # (one in the system's inbox, one waiting in the handle)
    errors: list[BaseException] = []

    def producer() -> None:
        try:
            h.put(3)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            errors.append(exc)

    t = threading.Thread(target=producer)
    t.start()
    time.sleep(0.1)
    h.scheduler.call_threadsafe(h.scheduler.shutdown)
    t.join(5)
    assert not t.is_alive()
    assert errors and isinstance(errors[0], AxonError), errors


# -- a handle that is never closed (issue 10, item 9) -----------------------------------------

NEVER_CLOSED = r"""
import os, signal, sys
from axon import Component, Handle, Pipeline
from components import Subprocess

class Guard(Component):
    def main(self):
        try:
            while not self.finished():
                for x in self.recv_all():
                    self.send(x)
                self.pause()
                yield
        finally:
            print("finally ran", flush=True)

h = Handle(Pipeline(Guard(), Subprocess(["sh", "-c", "echo $$; exec sleep 60"])))
print("child", int(h.get(timeout=10)), flush=True)
if sys.argv[1] == "ctrl-c":
    h.get(timeout=30)  # Ctrl-C arrives while the main thread waits here
print("script ends", flush=True)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("how", ["script-ends", "ctrl-c"])
def test_a_handle_never_closed_ends_its_system_at_interpreter_exit(how: str) -> None:
    script = subprocess.Popen([sys.executable, "-c", NEVER_CLOSED, how], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = 0
    try:
        line = script.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("child "), (line, script.stderr.read())  # type: ignore[union-attr]
        child = int(line.split()[1])
        if how == "ctrl-c":
            time.sleep(0.2)
            script.send_signal(signal.SIGINT)
        script.wait(timeout=20)  # (its output is small: the pipes do not fill)
        out = script.stdout.read()  # type: ignore[union-attr]
        err = script.stderr.read()  # type: ignore[union-attr]
    finally:
        script.kill()
        script.wait()
    try:
        assert "finally ran" in out, (out, err)
        for noise in ("Exception ignored", "Event loop is closed", "destroyed", "unclosed"):
            assert noise not in err, err
        deadline = time.monotonic() + 5
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child), "the Subprocess child was orphaned"
    finally:
        if child and _running(child):
            os.kill(child, signal.SIGKILL)
