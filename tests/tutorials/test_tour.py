"""The guided tour's pages: every script they run prints exactly what the page shows, and
every link between pages leads somewhere."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "tutorials"
PAGES = sorted(TUTORIALS.glob("*.md"))
RUN = re.compile(r"<!-- run: (.+?) -->\s*```text\n(.*?)```", re.S)


def runs(page: Path) -> list[tuple[str, str]]:
    return RUN.findall(page.read_text())


@pytest.mark.parametrize(
    "command,expected",
    [case for page in PAGES for case in runs(page)],
    ids=[f"{page.stem}:{cmd}" for page in PAGES for cmd, _ in runs(page)],
)
def test_each_tour_script_prints_what_its_page_shows(command: str, expected: str):
    argv = shlex.split(command)
    assert argv[0] in ("python", "axon")
    if argv[0] == "python":
        argv[0] = sys.executable
    else:
        argv[:1] = [sys.executable, "-m", "axon"]
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected.strip()


def test_the_tour_pages_run_something():
    assert sum(len(runs(p)) for p in PAGES) >= 2


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_on_a_page_points_at_a_file(page: Path):
    for target in re.findall(r"\]\((?!https?:)([^)#]+)", page.read_text()):
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
