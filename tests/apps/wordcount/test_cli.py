"""``python -m apps.wordcount`` and ``python -m apps.wordcount.live``, run as child
processes (bounded by a hard timeout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .corpus_parts import make_corpus

ROOT = Path(__file__).resolve().parents[3]


def wordcount(*args: str, module: str = "apps.wordcount") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True, timeout=120, check=False)


def test_help_names_the_options() -> None:
    out = wordcount("--help")
    text = " ".join(out.stdout.split())
    for option in ("[PATH ...]", "--mappers", "--reducers", "--via {processes,nats}",
                   "--kill-mapper-after K", "--nats URL"):
        assert option in text


def test_a_folder_by_processes_with_a_killed_mapper_then_by_nats(tmp_path: Path) -> None:
    root = make_corpus(tmp_path)
    out = wordcount(str(root), "--mappers", "2", "--reducers", "3", "--shard-kb", "1",
                    "--kill-mapper-after", "2")
    assert out.returncode == 0, out.stderr
    assert "word count of 7 files" in out.stdout and "2 mappers (processes), 3 reducers" \
        in out.stdout
    assert "faults: killed map worker" in out.stdout and "1 worker(s) restarted" in out.stdout
    assert "the answers are the same, word for word" in out.stdout
    assert "most common: the=402, quick=400" in out.stdout
    out = wordcount(str(root), "--via", "nats", "--mappers", "2", "--shard-kb", "2")
    assert out.returncode == 0, out.stderr
    assert "2 mappers (nats)" in out.stdout and "the same, word for word" in out.stdout


def test_lines_still_runs_the_demo_of_the_core_as_this_command_once_did() -> None:
    out = wordcount("--lines", "200")
    assert out.returncode == 0, out.stderr
    assert "Axon word-count demo: 200 lines" in out.stdout and "nothing lost" in out.stdout


def test_a_missing_path_is_an_error_message(tmp_path: Path) -> None:
    out = wordcount(str(tmp_path / "nowhere"))
    assert out.returncode == 2 and "no such file or folder" in out.stderr


def test_the_live_count_merges_to_the_exact_answer(tmp_path: Path) -> None:
    root = make_corpus(tmp_path)
    out = wordcount(str(root), "--lines", "300", "--rate", "2000", "--batch-every", "0.3",
                    module="apps.wordcount.live")
    assert out.returncode == 0, out.stderr
    assert "batch view 1 installed" in out.stdout
    assert "every line published: the same, word for word" in out.stdout
