"""The README's example runs and prints what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_example_runs_and_prints_the_doubled_numbers():
    blocks = python_blocks((ROOT / "README.md").read_text())
    assert blocks, "the README has a Python example"
    example = blocks[0]
    assert len(example.strip().splitlines()) <= 26
    out = subprocess.run(
        [sys.executable, "-c", example], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "2", "4", "6", "8"]


def test_the_readme_names_exactly_two_setup_commands_and_they_exist_in_the_makefile():
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set-up", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", setup, flags=re.M)
    assert commands == ["demo", "test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in commands:
        assert re.search(rf"^{target}:", makefile, flags=re.M)


def test_the_word_count_demo_runs_and_reports_that_nothing_was_lost():
    out = subprocess.run(
        [sys.executable, "-m", "apps.wordcount.demo", "--lines", "2000"], cwd=ROOT,
        capture_output=True,
        text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "nothing lost" in out.stdout
    assert "ComponentError: Faulty[2]:Broken raised ValueError" in out.stdout


def test_every_relative_link_in_the_readme_points_at_a_file():
    text = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\((?!https?:)([^)#]+)", text):
        assert (ROOT / target).exists(), target
