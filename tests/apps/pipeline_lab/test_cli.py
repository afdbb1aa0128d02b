"""``python -m apps.pipeline_lab``: every command explains itself; run, analyse and plan
work end to end on small settings; the progress bar."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.pipeline_lab import read_log
from apps.pipeline_lab.cli import main
from apps.pipeline_lab.progress import Progress

ROOT = Path(__file__).resolve().parents[3]
SMALL = ["--stages", "io:1,cpu:1,io:3", "--messages", "12", "--window", "2",
         "--in-flight", "4", "--no-progress"]


@pytest.mark.parametrize("command, expected", [
    ("run", ["P0: plain sequential code", "P5: NATS services", "--log FILE", "--alloc",
             "--jetstream", "--stages SPECS", "--rate"]),
    ("analyse", ["LOG", "--out DIR", "--markdown"]),
    ("plan", ["--cores", "--confirm", "--max-processes"]),
    ("worker", ["--serve STAGE", "--nats URL", "--run-id"]),
])
def test_every_command_has_help(command: str, expected: list[str]) -> None:
    out = subprocess.run([sys.executable, "-m", "apps.pipeline_lab", command, "--help"],
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    for phrase in expected:
        assert phrase in text, phrase


def test_run_then_analyse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "p1.jsonl.gz"
    assert main(["run", "p1", "--log", str(log), *SMALL]) == 0
    out = capsys.readouterr()
    assert "P1: 12/12 messages in" in out.out and "io 1 ms, S2 cpu 1 ms" in out.err
    assert len(read_log(log).messages) == 12  # (gzipped)
    assert main(["analyse", str(log), "--out", str(tmp_path / "plots")]) == 0
    text = capsys.readouterr().out
    assert "Findings:" in text and "Blocking calls serialise the pipeline: P1 ran" in text
    assert (tmp_path / "plots" / "throughput.png").exists()


def test_bad_input_is_an_error_message_not_a_traceback(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "P0", "--stages", "io:x", "--log", str(tmp_path / "x")]) == 2
    assert "stage S1: 'io:x': ms and cpu_share are numbers" in capsys.readouterr().err
    (tmp_path / "junk").write_text("junk\n")
    assert main(["analyse", str(tmp_path / "junk")]) == 2
    assert "junk:1: not JSON" in capsys.readouterr().err


def test_plan_confirm_runs_the_recommendation_beside_one_process_per_stage(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "p3.jsonl"
    assert main(["run", "P3", "--log", str(log), *SMALL]) == 0
    code = main(["plan", str(log), "--cores", "2", "--confirm", "--messages", "12",
                 "--log-dir", str(tmp_path / "plan"), "--no-progress"])
    out = capsys.readouterr().out
    assert code in (0, 1)  # (whether it confirms depends on the machine's load)
    assert "Recommended: --alloc " in out and "Confirming:" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  P")]
    assert [r[0] for r in rows][:2] == ["P3", "P4"] and rows[0][1] == "1,1,1"
    for variant, alloc, *_ in rows:
        done = read_log(tmp_path / "plan" / f"{variant.lower()}-{alloc.replace(',', '-')}.jsonl")
        assert done.end["received"] == 12 and done.header["allocation"] == \
            [int(x) for x in alloc.split(",")]
    assert "The recommendation ran" in out


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    stream = io.StringIO()
    bar = Progress(40, "P3", stream=stream, force=True, every=0)
    bar.update(10)
    bar.update(40)
    bar.close()
    text = stream.getvalue()
    assert "P3 [#######.......................] 10/40  25%" in text
    assert "40/40 100%" in text and text.endswith("\n")
    quiet = io.StringIO()
    Progress(5, stream=quiet).update(5)  # (StringIO is not a terminal)
    assert quiet.getvalue() == ""
