"""The input: which files, what a word is, and how the input is split into shards.

A *word* is a maximal run of Unicode word characters (``\\w+``) in the lower-cased text,
which is read as UTF-8 (undecodable bytes replaced); :func:`reference` counts a corpus
that way with a plain ``collections.Counter``, the answer every other way must equal.

The default corpus is one every machine with Python has: the standard library's source and
documentation files (``.py``, ``.rst``, ``.txt``), without ``site-packages``.
"""

from __future__ import annotations

import os
import re
import sysconfig
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Shard", "default_corpus", "files_of", "read_range", "read_text", "reference",
           "shards_of", "split_text", "words"]

TEXT_SUFFIXES = (".py", ".rst", ".txt")
WORD = re.compile(r"\w+")
SKIP_DIRS = {"site-packages", "__pycache__", ".git", ".hg", ".svn", "node_modules"}
#: Text per shard: big enough that a shard's work dwarfs passing it on, small enough for
#: a NATS message (1 MiB by default) and for a re-done shard to cost little.
SHARD_BYTES = 512 * 1024


def words(text: str) -> list[str]:
    """The words of ``text`` (lower-cased ``\\w+`` runs)."""
    return WORD.findall(text.lower())


def read_text(path: str | Path) -> str:
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def default_corpus() -> list[Path]:
    """The standard library's own folder (the corpus when no path is given)."""
    return [Path(sysconfig.get_paths()["stdlib"])]


def files_of(paths: Iterable[str | Path], suffixes: Sequence[str] | None = None) -> list[Path]:
    """Every file under ``paths`` (a file given by name is always taken; in folders, only
    ``suffixes``, default ``.py .rst .txt``), sorted, each once."""
    suffixes = tuple(suffixes or TEXT_SUFFIXES)
    found: set[Path] = set()
    for p in map(Path, paths):
        if p.is_file():
            found.add(p)
        elif p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                found.update(Path(root, n) for n in names if n.endswith(suffixes)
                             and not os.path.islink(os.path.join(root, n)))
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return sorted(found)


def reference(files: Iterable[str | Path]) -> Counter[str]:
    """The plain single-process count: what MapReduce must give exactly."""
    counts: Counter[str] = Counter()
    for f in files:
        counts.update(words(read_text(f)))
    return counts


Range = tuple[str, int, int]  # a file, and the bytes [start, end) of it


@dataclass(frozen=True, slots=True)
class Shard:
    """A piece of the input for one map task: byte ranges of files to read (cut between
    lines), or text (which travels where the files may not be: another machine)."""

    id: int
    ranges: tuple[Range, ...] = ()
    text: str = ""
    size: int = 0  # bytes

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(path for path, _, _ in self.ranges))

    def read(self) -> str:
        """The shard's text."""
        return self.text or "\n".join(read_range(*r) for r in self.ranges)

    def to_wire(self, reducers: int) -> dict[str, Any]:
        """As plain data for a NATS map service (msgpack): its text, and how many
        reducers to partition for."""
        return {"id": self.id, "text": self.read(), "r": reducers}


def read_range(path: str, start: int, end: int) -> str:
    """Bytes [start, end) of a file as text.  Cut at a newline, a range decodes to exactly
    its part of the whole file's text (a newline byte is never inside a UTF-8 sequence)."""
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(end - start).decode("utf-8", errors="replace")


def _cuts(path: str, size: int, target: int) -> list[Range]:
    """A file as ranges of about ``target`` bytes, each ending just after a newline."""
    if size <= target:
        return [(path, 0, size)]
    out: list[Range] = []
    start = 0
    with open(path, "rb") as f:
        while size - start > target:
            f.seek(start + target)
            ahead = f.read(64 * 1024)
            nl = ahead.find(b"\n")
            while nl < 0 and ahead:  # (a very long line: look further)
                more = f.read(64 * 1024)
                if not more:
                    break
                ahead += more
                nl = ahead.find(b"\n")
            if nl < 0:
                break
            end = start + target + nl + 1
            out.append((path, start, end))
            start = end
    out.append((path, start, size))
    return out


@dataclass
class _Bin:
    ranges: list[Range] = field(default_factory=list)
    size: int = 0


def shards_of(files: Sequence[str | Path], target: int = SHARD_BYTES) -> list[Shard]:
    """The files as shards of about ``target`` bytes: small files grouped, big ones cut
    between lines, in order."""
    out: list[Shard] = []
    cur = _Bin()
    for f in files:
        for rng in _cuts(str(f), os.path.getsize(f), target):
            size = rng[2] - rng[1]
            if cur.ranges and cur.size + size > target:
                out.append(Shard(len(out), tuple(cur.ranges), size=cur.size))
                cur = _Bin()
            cur.ranges.append(rng)
            cur.size += size
    if cur.ranges:
        out.append(Shard(len(out), tuple(cur.ranges), size=cur.size))
    return out


def split_text(texts: Iterable[str], target: int = SHARD_BYTES,
               first_id: int = 0) -> Iterator[Shard]:
    """Text shards of at most about ``target`` characters, cut only between lines (a word
    never spans a line, so no word is cut in two); a longer text is cut at its newlines."""
    parts: list[str] = []
    size = 0
    n = first_id
    for text in texts:
        for piece in _pieces(text, target):
            if parts and size + len(piece) > target:
                yield Shard(n, text="\n".join(parts), size=size)
                n += 1
                parts, size = [], 0
            parts.append(piece)
            size += len(piece) + 1
    if parts:
        yield Shard(n, text="\n".join(parts), size=size)


def _pieces(text: str, target: int) -> Iterator[str]:
    while len(text) > target:
        cut = text.rfind("\n", 0, target)
        if cut <= 0:
            cut = text.find("\n", target)
            if cut < 0:
                break
        yield text[:cut]
        text = text[cut + 1:]
    yield text
