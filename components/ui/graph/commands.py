"""The graph viewer's command language (Kamaelia's TopologyViewer's), as typed records.

One command per line, words separated by spaces; verbs are case-insensitive::

    ADD NODE <id> <name> [<pos> [<type>]]   pos: auto (default), randompos, or x,y
    DEL NODE <id>                           the node and its links
    ADD LINK <from> <to>                    a directed link
    DEL LINK <from> <to>
    DEL ALL
    GET ALL                                 reply: commands that rebuild this graph
    UPDATE_NAME NODE <id> <name>
    GET_NAME NODE <id>                      reply: UPDATE_NAME NODE <id> <name>
    FREEZE ALL / UNFREEZE ALL               stop / restart the layout
    UPDATE_NAME LINK <from> <to> <label>    (ours) a label on a link, '' for none

A word may be quoted to hold spaces: ``"Hello there"`` (``\\"``, ``\\\\``, ``\\n`` and
``\\t`` escape inside double quotes) or ``'Hello there'`` (taken as it is), and quoted
and plain parts join into one word as in a shell (what ``shlex.quote`` writes reads
back).  Blank lines and lines starting with ``#`` are ignored.  ``<type>`` names a
particle type of the viewer (default ``-``).

Replies, also lines: ``SELECT NODE <id>`` and ``DESELECT NODE <id>`` (a click), ``ERROR
<reason>`` (one per bad command), ``UPDATE_NAME NODE <id> <name>`` (``GET_NAME``) and the
``GET ALL`` dump: ``DEL ALL``, then an ``ADD NODE`` with its exact position for each node,
an ``ADD LINK`` for each link, its label, ``FREEZE ALL`` if frozen, and a closing
``# end of GET ALL`` comment (so a line-reading client knows where it ends).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

__all__ = [
    "COMMANDS",
    "AddLink",
    "AddNode",
    "BadLine",
    "Command",
    "CommandBatch",
    "CommandError",
    "DelAll",
    "DelLink",
    "DelNode",
    "Freeze",
    "GetAll",
    "GetName",
    "Pos",
    "Replies",
    "SetLinkLabel",
    "Unfreeze",
    "UpdateName",
    "format_command",
    "format_pos",
    "parse",
    "parse_line",
    "quote",
    "split",
]

#: Where a new node goes: ``"auto"`` (near what it is linked to, else the middle of the
#: view), ``"randompos"`` (anywhere in the view) or an ``(x, y)`` point on the plane.
Pos: TypeAlias = Literal["auto", "randompos"] | tuple[float, float]


class CommandError(ValueError):
    """A command that cannot be carried out; its text follows ``ERROR`` in the reply."""


@dataclass(frozen=True, slots=True)
class AddNode:
    id: str
    name: str
    pos: Pos = "auto"
    type: str = "-"


@dataclass(frozen=True, slots=True)
class DelNode:
    id: str


@dataclass(frozen=True, slots=True)
class AddLink:
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class DelLink:
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class DelAll:
    pass


@dataclass(frozen=True, slots=True)
class GetAll:
    pass


@dataclass(frozen=True, slots=True)
class UpdateName:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class GetName:
    id: str


@dataclass(frozen=True, slots=True)
class SetLinkLabel:
    source: str
    target: str
    label: str


@dataclass(frozen=True, slots=True)
class Freeze:
    pass


@dataclass(frozen=True, slots=True)
class Unfreeze:
    pass


Command: TypeAlias = (AddNode | DelNode | AddLink | DelLink | DelAll | GetAll | UpdateName
                      | GetName | SetLinkLabel | Freeze | Unfreeze)
#: The command record classes (for isinstance).
COMMANDS = (AddNode, DelNode, AddLink, DelLink, DelAll, GetAll, UpdateName, GetName,
            SetLinkLabel, Freeze, Unfreeze)


# -- records for clients that want their replies back (a TCP session) -----------------------


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line the sender could not even read (not UTF-8, too long): the viewer answers it
    with ``ERROR <reason>`` in its place among the replies."""

    reason: str


@dataclass(frozen=True, slots=True)
class CommandBatch:
    """Commands whose replies go to ``reply_to`` (an inbox: a return address) as one
    :class:`Replies` for the whole batch, sent even when empty (an acknowledgement)."""

    commands: Sequence[Any]  # lines, token lists, Command records or BadLine records
    reply_to: Any  # axon.Inbox[Replies]


@dataclass(frozen=True, slots=True)
class Replies:
    """The reply lines to one :class:`CommandBatch`, in order."""

    lines: list[str]


# -- words -----------------------------------------------------------------------------------

_SPECIAL = frozenset("'\"\\")
_WORD = re.compile(r"""(?:[^\s'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+""", re.DOTALL)
_PART = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|([^'"\\]+)""", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t"}
_PLAIN = re.compile(r"[^\s'\"\\#][^\s'\"\\]*\Z")
_DQ_UNSAFE = re.compile(r'["\\\n\t]')
_DQ_ESCAPE = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}


def _unescape_dq(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text,
                  flags=re.DOTALL)


def split(line: str) -> list[str]:
    """The words of a command line (quotes as described in the module docstring)."""
    if not any(c in _SPECIAL for c in line):  # the common case, ten times faster
        return line.split()
    words: list[str] = []
    pos = 0
    for m in _WORD.finditer(line):
        if line[pos:m.start()].strip():
            break
        pos = m.end()
        word = m.group()
        if not any(c in _SPECIAL for c in word):
            words.append(word)
            continue
        parts: list[str] = []
        for p in _PART.finditer(word):
            single, double, escaped, plain = p.groups()
            if single is not None:
                parts.append(single)
            elif double is not None:
                parts.append(_unescape_dq(double))
            elif escaped is not None:
                parts.append(escaped)
            else:
                parts.append(plain)
        words.append("".join(parts))
    rest = line[pos:].strip()
    if rest:
        raise CommandError(f"unbalanced quote or a backslash at the end in {rest[:40]!r}")
    return words


def quote(word: str) -> str:
    """``word`` as it must be written on a command line to read back as itself."""
    if _PLAIN.match(word):
        return word
    return '"' + _DQ_UNSAFE.sub(lambda m: _DQ_ESCAPE[m.group()], word) + '"'


# -- parsing -----------------------------------------------------------------------------------

_USAGE = {
    ("ADD", "NODE"): "ADD NODE <id> <name> [<pos> [<type>]]",
    ("DEL", "NODE"): "DEL NODE <id>",
    ("ADD", "LINK"): "ADD LINK <from> <to>",
    ("DEL", "LINK"): "DEL LINK <from> <to>",
    ("DEL", "ALL"): "DEL ALL",
    ("GET", "ALL"): "GET ALL",
    ("UPDATE_NAME", "NODE"): "UPDATE_NAME NODE <id> <name>",
    ("UPDATE_NAME", "LINK"): "UPDATE_NAME LINK <from> <to> <label>",
    ("GET_NAME", "NODE"): "GET_NAME NODE <id>",
    ("FREEZE", "ALL"): "FREEZE ALL",
    ("UNFREEZE", "ALL"): "UNFREEZE ALL",
}
_VERBS = sorted({v for v, _ in _USAGE})
_ARGS = {  # how many words follow the verb and its object: (fewest, most)
    ("ADD", "NODE"): (2, 4), ("DEL", "NODE"): (1, 1), ("ADD", "LINK"): (2, 2),
    ("DEL", "LINK"): (2, 2), ("DEL", "ALL"): (0, 0), ("GET", "ALL"): (0, 0),
    ("UPDATE_NAME", "NODE"): (2, 2), ("UPDATE_NAME", "LINK"): (3, 3),
    ("GET_NAME", "NODE"): (1, 1), ("FREEZE", "ALL"): (0, 0), ("UNFREEZE", "ALL"): (0, 0),
}


def parse_pos(word: str) -> Pos:
    """``auto``, ``randompos`` or ``x,y`` (numbers, signs and decimals allowed)."""
    low = word.lower()
    if low == "auto":
        return "auto"
    if low == "randompos":
        return "randompos"
    xs, comma, ys = word.partition(",")
    try:
        if not comma:
            raise ValueError
        x, y = float(xs), float(ys)
    except ValueError:
        raise CommandError(f"bad position {word[:40]!r}: auto, randompos or x,y "
                           "(such as 120,-45)") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise CommandError(f"bad position {word[:40]!r}: x and y must be finite")
    return (x, y)


def format_pos(pos: Pos) -> str:
    if isinstance(pos, str):
        return pos
    return f"{_num(pos[0])},{_num(pos[1])}"


def _num(v: float) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(float(v))


def _id(word: str, what: str = "id") -> str:
    if not word:
        raise CommandError(f"an empty {what}")
    return word


def parse(words: Sequence[str]) -> Command | None:
    """The command these words make (None for none: a blank line or a comment); raises
    :class:`CommandError` saying what is wrong."""
    if not words or words[0].startswith("#"):
        return None
    verb = words[0].upper()
    obj = words[1].upper() if len(words) > 1 else ""
    key = (verb, obj)
    limits = _ARGS.get(key)
    if limits is None:
        if verb not in _VERBS:
            raise CommandError(f"unknown command {words[0][:40]!r} (commands: "
                               f"{', '.join(_VERBS)})")
        forms = " | ".join(u for (v, _), u in _USAGE.items() if v == verb)
        raise CommandError(f"usage: {forms}")
    args = words[2:]
    if not limits[0] <= len(args) <= limits[1]:
        raise CommandError(f"usage: {_USAGE[key]}")
    if key == ("ADD", "NODE"):
        pos = parse_pos(args[2]) if len(args) > 2 else "auto"
        return AddNode(_id(args[0]), args[1], pos, _id(args[3], "type") if len(args) > 3
                       else "-")
    if key == ("ADD", "LINK"):
        return AddLink(_id(args[0]), _id(args[1]))
    if key == ("DEL", "NODE"):
        return DelNode(_id(args[0]))
    if key == ("DEL", "LINK"):
        return DelLink(_id(args[0]), _id(args[1]))
    if key == ("UPDATE_NAME", "NODE"):
        return UpdateName(_id(args[0]), args[1])
    if key == ("GET_NAME", "NODE"):
        return GetName(_id(args[0]))
    if key == ("UPDATE_NAME", "LINK"):
        return SetLinkLabel(_id(args[0]), _id(args[1]), args[2])
    return _BARE[key]


_BARE: dict[tuple[str, str], Command] = {
    ("DEL", "ALL"): DelAll(), ("GET", "ALL"): GetAll(), ("FREEZE", "ALL"): Freeze(),
    ("UNFREEZE", "ALL"): Unfreeze(),
}


def parse_line(line: str) -> Command | None:
    """The command on one line (None: blank or a comment)."""
    return parse(split(line))


def format_command(cmd: Command) -> str:
    """The line for ``cmd`` (parsing it gives ``cmd`` back)."""
    q = quote
    if isinstance(cmd, AddNode):
        return f"ADD NODE {q(cmd.id)} {q(cmd.name)} {format_pos(cmd.pos)} {q(cmd.type)}"
    if isinstance(cmd, DelNode):
        return f"DEL NODE {q(cmd.id)}"
    if isinstance(cmd, AddLink):
        return f"ADD LINK {q(cmd.source)} {q(cmd.target)}"
    if isinstance(cmd, DelLink):
        return f"DEL LINK {q(cmd.source)} {q(cmd.target)}"
    if isinstance(cmd, UpdateName):
        return f"UPDATE_NAME NODE {q(cmd.id)} {q(cmd.name)}"
    if isinstance(cmd, GetName):
        return f"GET_NAME NODE {q(cmd.id)}"
    if isinstance(cmd, SetLinkLabel):
        return f"UPDATE_NAME LINK {q(cmd.source)} {q(cmd.target)} {q(cmd.label)}"
    if isinstance(cmd, DelAll):
        return "DEL ALL"
    if isinstance(cmd, GetAll):
        return "GET ALL"
    if isinstance(cmd, Freeze):
        return "FREEZE ALL"
    return "UNFREEZE ALL"
