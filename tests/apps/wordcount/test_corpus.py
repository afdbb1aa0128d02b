"""The input side: what a word is, which files, shards that never cut a word, and a
partition of words to reducers that every process agrees on."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from apps.wordcount.corpus import (
    files_of,
    read_text,
    reference,
    shards_of,
    split_text,
    words,
)
from apps.wordcount.mapreduce import partition

from .corpus_parts import make_corpus


def test_words_are_lower_cased_unicode_word_runs() -> None:
    assert words("Straße, naïve_CAFÉ 42x — Δέλτα!") == ["straße", "naïve_café", "42x", "δέλτα"]


def test_files_are_text_files_under_folders_and_any_file_named(tmp_path: Path) -> None:
    root = make_corpus(tmp_path)
    names = [f.relative_to(root).as_posix() for f in files_of([root])]
    assert names == ["a.py", "b.txt", "bytes.txt", "c.rst", "empty.txt", "sub/d.py",
                     "sub/deeper/e.txt"]
    assert files_of([root / "skip.bin"]) == [root / "skip.bin"]
    assert "\ufffd" in read_text(root / "bytes.txt")  # undecodable bytes replaced


def test_shards_group_small_files_and_cut_big_ones_between_lines(tmp_path: Path) -> None:
    files = files_of([make_corpus(tmp_path)])
    shards = shards_of(files, target=1000)
    assert [s.id for s in shards] == list(range(len(shards))) and len(shards) >= 15
    assert sorted({p for s in shards for p in s.paths}) == sorted(map(str, files))
    # the big file is cut between lines, and the pieces give back exactly its words
    big = [r for s in shards for r in s.ranges if r[0].endswith("d.py")]
    assert len(big) > 10 and all(b[2] - b[1] < 1100 for b in big)
    assert all(read_text(big[0][0]).encode()[r[2] - 1:r[2]] == b"\n" for r in big[:-1])
    assert Counter(w for s in shards for w in words(s.read())) == reference(files)
    assert all(s.size <= 1000 or len(s.ranges) == 1 for s in shards)


def test_text_shards_are_cut_between_lines_only(tmp_path: Path) -> None:
    files = files_of([make_corpus(tmp_path)])
    texts = [read_text(f) for f in files]
    shards = list(split_text(texts, target=300))
    # (a line longer than a shard cannot be cut: it is a shard of its own)
    assert len(shards) > 10 and all(len(s.text) <= 400 or "\n" not in s.text for s in shards)
    assert Counter(w for s in shards for w in words(s.text)) == reference(files)


def test_the_partition_is_the_same_in_every_process() -> None:
    sample = ["the", "straße", "δέλτα", "x" * 50, "42"]
    here = [partition(w, 7) for w in sample]
    assert all(0 <= r < 7 for r in here) and len(set(here)) > 1
    code = ("from apps.wordcount.mapreduce import partition; "
            f"print([partition(w, 7) for w in {sample!r}])")
    for seed in ("1", "2"):  # (str hashes differ between these processes: crc32 does not)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONHASHSEED=seed,
                                      PYTHONPATH=str(Path(__file__).resolve().parents[3])),
                             timeout=60, check=False)
        assert out.stdout.strip() == str(here), out.stderr
