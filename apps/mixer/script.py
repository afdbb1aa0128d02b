"""A scripted control client: connects to the mixer's control port over TCP (as any client
would), sends each command at its time, and measures every round trip.

It waits for the control port's ``Listening`` record on its ``inbox`` (link the mixer's
``events`` there), then makes its connection: ``TCPClient`` -> ``LineSplitter`` -> its own
``replies`` inbox.  Replies come back in order, so each is matched to the oldest command
still unanswered.  ``log`` sends one line of text per step that is not ``quiet`` (progress
for the console).  It ends when the connection closes (the mixer stops).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from axon import ProducerFinished
from components import Clock, LineSplitter, TCPClient, Timed

from .config import ScriptStep
from .messages import ListenerKind, Listening

__all__ = ["Exchange", "ScriptedClient"]


@dataclass(slots=True)
class Exchange:
    """One command sent and its reply."""

    at: float  # seconds after the script started
    command: str
    quiet: bool
    sent: float = 0.0  # time.perf_counter()
    reply: str | None = None
    rtt: float | None = None  # seconds


@dataclass(slots=True)
class _State:
    t0: float = 0.0
    next: int = 0
    unanswered: deque[Exchange] = field(default_factory=deque)
    hung_up: bool = False


class ScriptedClient(Timed):
    """Runs ``steps`` (``ScriptStep``: seconds after it starts, command) against the mixer."""

    Inboxes = {
        "inbox": "Listening records (the mixer's events): it connects to the control port",
        "control": "the end: the connection closed, or ProducerFinished / Shutdown",
        "replies": "reply lines (bytes) from the control connection",
    }
    Outboxes = {
        "outbox": "(unused)",
        "signal": "the end, passed on",
        "error": "(unused)",
        "log": "a line of text per command that is not quiet, as its reply comes",
        "commands": "command lines (bytes), to the control connection",
        "hangup": "ProducerFinished to the control connection, as the script ends",
    }

    def __init__(self, steps: Sequence[ScriptStep], *, clock: Clock | None = None) -> None:
        super().__init__(clock=clock, name="ScriptedClient")
        self.steps = list(steps)
        self.exchanges: list[Exchange] = []
        self.address: tuple[str, int] | None = None
        self._run = _State()

    @property
    def round_trips(self) -> list[float]:
        return [e.rtt for e in self.exchanges if e.rtt is not None]

    def start(self) -> None:
        self._run.t0 = self.clock.now()

    def main(self) -> Generator[Any, Any, None]:
        try:
            yield from super().main()
        finally:  # ended by a Shutdown (or its readers gone): the connection goes with it
            sched = self.scheduler
            for child in self.children:
                if sched is not None and not child.done:
                    sched.stop(child)

    def _connect(self, address: tuple[str, int]) -> None:
        self.address = address
        client = TCPClient(address[0], address[1], name="ControlClient")
        split = LineSplitter(max_line=64 * 1024, strip_cr=True)
        self.add_child(client, "tcp")
        self.add_child(split, "lines")
        self.link((self, "commands"), (client, "inbox"))
        self.link((self, "hangup"), (client, "control"))
        self.link((client, "outbox"), (split, "inbox"))
        self.link((client, "signal"), (split, "control"))
        self.link((split, "outbox"), (self, "replies"))
        self.link((split, "signal"), (self, "control"))  # the connection's end is ours

    def step(self, alarm: Any, now: float, end: Any) -> bool:
        st = self._run
        for event in self.recv_all("inbox"):
            if (isinstance(event, Listening) and event.kind is ListenerKind.CONTROL
                    and self.address is None):
                self._connect(event.address)
        for line in self.recv_all("replies"):
            stamp = time.perf_counter()
            if not st.unanswered:
                continue  # (nothing asked: cannot happen with this mixer)
            ex = st.unanswered.popleft()
            ex.reply = line.decode("ascii", "replace")
            ex.rtt = stamp - ex.sent
            if not ex.quiet:
                self.send(f"  {ex.at:5.2f} s  {ex.command:<26} -> {ex.reply}  "
                          f"({ex.rtt * 1000:.1f} ms)", "log")
        if end is not None:
            if not st.hung_up:
                st.hung_up = True
                self.send(ProducerFinished("script over"), "hangup")  # close our side too
            return self.children_done()  # (a finishing child wakes us to look again)
        if self.address is None:
            return False  # waiting for the control port
        out = self.outboxes["commands"]
        while st.next < len(self.steps):
            step = self.steps[st.next]
            due = st.t0 + step.at
            if due > now:
                alarm.set_at(due)
                break
            ex = Exchange(step.at, step.command, step.quiet, time.perf_counter())
            out.push(step.command.encode("ascii") + b"\n")
            st.unanswered.append(ex)
            self.exchanges.append(ex)
            st.next += 1
        return False
