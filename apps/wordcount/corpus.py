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

__all__ = ["Shard", "default_corpus", "files_of", "read_text", "reference", "shards_of",
           "split_text", "words"]

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


@dataclass(frozen=True, slots=True)
class Shard:
    """A piece of the input for one map task: files to read, or text (which travels where
    the files may not be: another machine)."""

    id: int
    paths: tuple[str, ...] = ()
    text: str = ""
    size: int = 0  # bytes

    def to_wire(self, reducers: int) -> dict[str, Any]:
        """As plain data for a NATS map service (msgpack): its text, and how many
        reducers to partition for."""
        text = self.text or "\n".join(read_text(p) for p in self.paths)
        return {"id": self.id, "text": text, "r": reducers}


@dataclass
class _Bin:
    paths: list[str] = field(default_factory=list)
    size: int = 0


def shards_of(files: Sequence[str | Path], target: int = SHARD_BYTES) -> list[Shard]:
    """Files grouped into shards of about ``target`` bytes (a bigger file is a shard of its
    own), in order."""
    out: list[Shard] = []
    cur = _Bin()
    for f in files:
        size = os.path.getsize(f)
        if cur.paths and cur.size + size > target:
            out.append(Shard(len(out), tuple(cur.paths), size=cur.size))
            cur = _Bin()
        cur.paths.append(str(f))
        cur.size += size
    if cur.paths:
        out.append(Shard(len(out), tuple(cur.paths), size=cur.size))
    return out


def split_text(texts: Iterable[str], target: int = SHARD_BYTES, first_id: int = 0) -> Iterator[Shard]:
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
