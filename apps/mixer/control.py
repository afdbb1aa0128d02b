"""The control protocol: line-based ASCII, one reply line per command, ``OK ...`` or
``ERR <reason>``.  A bad command gets its ``ERR`` and the connection carries on.

::

    SWITCH <mix> <src|ALL> ON|OFF|ONLY     GAIN <mix> <src> <dB>
    QUERY <mix> <src|ALL>                  LIST
    STATS [<mix|src>]                      HELP
    ADD MIX <name> [<port>]                DEL MIX <name>
    ADD SOURCE <name> <port|tone:HZ|noise|file:PATH>
    DEL SOURCE <name>

Verbs and keywords are case-insensitive; names are case-sensitive (letters, digits and
``_.-``, at most 32, never ``ALL``); tokens may be quoted (a path with spaces).  Blank lines
are ignored.  This module parses lines into typed commands and holds the per-client
:class:`ControlSession`; the :class:`~apps.mixer.mixer.Mixer` executes the commands.
"""

from __future__ import annotations

import enum
import math
import re
import shlex
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from axon import Component, EndSignal, ProducerFinished, Shutdown
from components import BadInput, line_session

from .audio import check_gain_db
from .messages import Request

__all__ = [
    "ALL",
    "HELP",
    "MAX_LINE",
    "AddMix",
    "AddSource",
    "Command",
    "CommandError",
    "ControlSession",
    "DelMix",
    "DelSource",
    "Gain",
    "Help",
    "ListAll",
    "Mode",
    "Query",
    "Stats",
    "Switch",
    "check_name",
    "parse",
    "tcp_session",
]

ALL = "ALL"
#: The longest control line taken (bytes, without the newline); longer ones get an ERR.
MAX_LINE = 1024

HELP = ("OK commands: SWITCH <mix> <src|ALL> ON|OFF|ONLY; GAIN <mix> <src> <dB>; "
        "QUERY <mix> <src|ALL>; LIST; STATS [<mix|src>]; ADD MIX <name> [<port>]; "
        "DEL MIX <name>; ADD SOURCE <name> <port|tone:HZ|noise|file:PATH>; "
        "DEL SOURCE <name>; HELP")

_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,32}\Z")


class CommandError(ValueError):
    """A line that is not a valid command; its text is the reason given after ``ERR``."""


class Mode(enum.Enum):
    ON = "ON"
    OFF = "OFF"
    ONLY = "ONLY"


@dataclass(frozen=True, slots=True)
class Switch:
    mix: str
    source: str  # a source, or ALL
    mode: Mode


@dataclass(frozen=True, slots=True)
class Gain:
    mix: str
    source: str
    db: float


@dataclass(frozen=True, slots=True)
class Query:
    mix: str
    source: str  # a source, or ALL


@dataclass(frozen=True, slots=True)
class ListAll:
    pass


@dataclass(frozen=True, slots=True)
class Stats:
    target: str | None  # a mix, a source, or None for everything


@dataclass(frozen=True, slots=True)
class AddMix:
    name: str
    port: int = 0


@dataclass(frozen=True, slots=True)
class DelMix:
    name: str


@dataclass(frozen=True, slots=True)
class AddSource:
    name: str
    spec: str  # "1701", "tone:440", "noise", "file:PATH"


@dataclass(frozen=True, slots=True)
class DelSource:
    name: str


@dataclass(frozen=True, slots=True)
class Help:
    pass


Command = Switch | Gain | Query | ListAll | Stats | AddMix | DelMix | AddSource | DelSource | Help

_USAGE = {
    "SWITCH": "SWITCH <mix> <src|ALL> ON|OFF|ONLY",
    "GAIN": "GAIN <mix> <src> <dB>",
    "QUERY": "QUERY <mix> <src|ALL>",
    "LIST": "LIST",
    "STATS": "STATS [<mix|src>]",
    "ADD": "ADD MIX <name> [<port>] | ADD SOURCE <name> <port|tone:HZ|noise|file:PATH>",
    "DEL": "DEL MIX <name> | DEL SOURCE <name>",
    "HELP": "HELP",
}


def check_name(name: str, what: str = "name") -> str:
    """``name`` if it is a valid mix or source name, else CommandError saying why."""
    if name.upper() == ALL:
        raise CommandError(f"{what} {name!r} is reserved (ALL means every source)")
    if not _NAME.match(name):
        raise CommandError(f"bad {what} {name!r}: use 1-32 letters, digits, '_', '.' or '-'")
    return name


def _port(token: str) -> int:
    if not token.isdigit() or not 0 <= int(token) <= 65535:
        raise CommandError(f"bad port {token!r}: a number from 0 (any free port) to 65535")
    return int(token)


def _db(token: str) -> float:
    text = token.lower().removesuffix("db")
    try:
        db = -math.inf if text == "-inf" else float(text)
    except ValueError:
        raise CommandError(f"bad gain {token!r}: a number of dB such as -6 or 3.5") from None
    try:
        return check_gain_db(db)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def parse(line: str) -> Command:
    """The command on ``line``; raises :class:`CommandError` with the reason it is not one."""
    try:
        tokens = shlex.split(line)
    except ValueError as exc:
        raise CommandError(f"cannot split the line into words: {exc}") from None
    if not tokens:
        raise CommandError("empty command (try HELP)")
    verb, args = tokens[0].upper(), tokens[1:]
    usage = _USAGE.get(verb)
    if usage is None:
        raise CommandError(f"unknown command {tokens[0][:40]!r} (try HELP)")

    def need(n: int) -> None:
        if len(args) != n:
            raise CommandError(f"usage: {usage}")

    if verb == "SWITCH":
        need(3)
        try:
            mode = Mode(args[2].upper())
        except ValueError:
            raise CommandError(f"bad switch {args[2][:20]!r}: ON, OFF or ONLY") from None
        source = ALL if args[1].upper() == ALL else check_name(args[1], "source")
        return Switch(check_name(args[0], "mix"), source, mode)
    if verb == "GAIN":
        need(3)
        return Gain(check_name(args[0], "mix"), check_name(args[1], "source"), _db(args[2]))
    if verb == "QUERY":
        need(2)
        source = ALL if args[1].upper() == ALL else check_name(args[1], "source")
        return Query(check_name(args[0], "mix"), source)
    if verb == "LIST":
        need(0)
        return ListAll()
    if verb == "STATS":
        if len(args) > 1:
            raise CommandError(f"usage: {usage}")
        return Stats(check_name(args[0]) if args else None)
    if verb == "HELP":
        return Help()
    if not args or args[0].upper() not in ("MIX", "SOURCE"):
        raise CommandError(f"usage: {usage}")
    what, rest = args[0].upper(), args[1:]
    if verb == "ADD" and what == "MIX":
        if len(rest) not in (1, 2):
            raise CommandError(f"usage: {usage}")
        return AddMix(check_name(rest[0], "mix"), _port(rest[1]) if len(rest) == 2 else 0)
    if verb == "ADD":
        if len(rest) != 2:
            raise CommandError(f"usage: {usage}")
        return AddSource(check_name(rest[0], "source"), rest[1])
    if len(rest) != 1:
        raise CommandError(f"usage: {usage}")
    return DelMix(check_name(rest[0], "mix")) if what == "MIX" else DelSource(
        check_name(rest[0], "source"))


class ControlSession(Component):
    """One control client's conversation: lines in, one reply line out per command, in order.

    Lines (``bytes``, or ``str`` from a console) become ``Request`` records on
    ``requests``; the mixer puts each ``Reply`` into this session's ``replies`` inbox.
    A ``BadInput`` record (an over-long line, from the line splitter in front) or a line
    that is not ASCII gets its ``ERR`` here, in its place among the replies.  At the end of
    the client's stream the session waits for the replies still due, sends them, and ends.
    """

    Inboxes = {
        "inbox": "command lines (bytes or str) and BadInput records, in order",
        "control": "ProducerFinished: finish the replies, then end; Shutdown: end now",
        "replies": "Reply records from the mixer",
    }
    Outboxes = {
        "outbox": "reply lines: bytes ending in a newline (or str, with text=True)",
        "signal": "the end, once every reply is out",
        "requests": "Request records, to the mixer",
    }

    def __init__(self, *, text: bool = False, name: str | None = None) -> None:
        super().__init__(name=name or "ControlSession")
        self.text = text
        self.commands = 0
        self.errors = 0  # ERR replies made here (bad bytes, over-long lines)

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        requests = self.outboxes["requests"]
        reply_box = self.inboxes["replies"]
        due: deque[int] = deque()  # sequence numbers awaiting their turn, in order
        ready: dict[int, str] = {}
        seq = 0
        end: EndSignal | None = None
        while True:
            end = self.take_control(end)
            if isinstance(end, Shutdown):
                break
            for item in self.recv_all("inbox"):
                if isinstance(item, BadInput):
                    seq += 1
                    due.append(seq)
                    ready[seq] = f"ERR {_bad_input_reason(item)}"
                    self.errors += 1
                    continue
                line = _decode(item)
                if line is None:
                    seq += 1
                    due.append(seq)
                    ready[seq] = "ERR not ASCII text: commands are ASCII lines"
                    self.errors += 1
                    continue
                if not line.strip():
                    continue
                seq += 1
                due.append(seq)
                self.commands += 1
                requests.push(Request(seq, line, reply_box))
            for reply in self.recv_all("replies"):
                ready[reply.seq] = reply.text
            while due and due[0] in ready:
                text = ready.pop(due.popleft())
                out.push(text if self.text else text.encode("ascii", "replace") + b"\n")
            if end is not None and not due and not self.inboxes["inbox"].queue:
                break
            self.pause()
            yield
        self.send(end if end is not None else ProducerFinished(), "signal")


def _decode(item: Any) -> str | None:
    if isinstance(item, str):
        return item if item.isascii() else None
    if isinstance(item, (bytes, bytearray)):
        try:
            return bytes(item).decode("ascii")
        except UnicodeDecodeError:
            return None
    return None


def _bad_input_reason(record: BadInput) -> str:
    if "longer than" in record.problem:
        return f"line too long (over {MAX_LINE} bytes); ignored"
    return record.problem


def tcp_session(requests_to: tuple[Component, str]) -> Component:
    """A control session for one TCP connection: a :func:`~components.line_session`
    (over-long lines become ``BadInput`` records, in order with the lines) of a
    :class:`ControlSession` whose requests go to ``requests_to``."""
    session = ControlSession()
    g = line_session(session, max_line=MAX_LINE, name="ControlSession")
    session.link((session, "requests"), requests_to)  # goes when the session ends
    return g
