"""The mini-axon tutorial: its checker, its answers, its wrong answers and its pages."""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import re
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "tutorials" / "mini_axon"
ANSWERS = TUTORIAL / "answers"
WRONG = TUTORIAL / "wrong"
PAGES = sorted(TUTORIAL.glob("0*.md"))

# the answer file each chapter is checked against (chapter 3 re-checks chapter 2's file)
ANSWER_FOR = {1: "ch01", 2: "ch02", 3: "ch02", 4: "ch04", 5: "ch05", 6: "ch06"}
# the answer module that `from mini import ...` means in each page's code blocks
MINI_FOR_PAGE = {"01": "ch01", "02": "ch02", "03": "ch02", "04": "ch04", "05": "ch05"}
MINI_FOR_PAGE |= {"06": "ch06", "07": "ch06"}


WRONG_ANSWERS = [
    (1, "ch01_no_super", "does Greeter.__init__ call super().__init__()?"),
    (2, "ch02_keeps_finished", "Drop a microprocess from the scheduler when its step() raises"),
    (4, "ch04_recv_returns_none", "on an empty box should raise IndexError, it returned None"),
    (4, "ch04_send_reversed", "send takes the message first and the box second"),
    (5, "ch05_postman_loses_order", "delivered [3, 2, 1] but the messages were sent as [1, 2"),
    (6, "ch06_counts_from_zero", "it sent ['0: alpha', '1: beta', '2: gamma', 'total: 3']"),
]


def checker_args(chapter: int, path: Path | None = None) -> tuple[str, ...]:
    extra = (str(path),) if path is not None else ()
    return ("-m", "tutorials.mini_axon.check", str(chapter), *extra)


@functools.cache
def started_together() -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    """Every fixed command the tests run, started at once so their start-up costs overlap."""
    commands = [checker_args(n, ANSWERS / f"{name}.py") for n, name in ANSWER_FOR.items()]
    commands += [checker_args(n, WRONG / f"{name}.py") for n, name, _ in WRONG_ANSWERS]
    commands += [("-m", f"tutorials.mini_axon.answers.{p.stem}") for p in ANSWERS.glob("ch*.py")]
    commands += [checker_args(7), ("-m", "tutorials.mini_axon.check", "--help")]
    running = {
        command: subprocess.Popen(
            [sys.executable, *command], cwd=ROOT, stdout=PIPE, stderr=PIPE, text=True
        )
        for command in commands
    }
    finished = {}
    for command, process in running.items():
        stdout, stderr = process.communicate(timeout=60)
        finished[command] = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return finished


def run_python(*args: str) -> subprocess.CompletedProcess[str]:
    if args in started_together():
        return started_together()[args]
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def check(chapter: int, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_python(*checker_args(chapter, path))


def answer(name: str) -> ModuleType:
    return importlib.import_module(f"tutorials.mini_axon.answers.{name}")


# -- the checker ----------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", sorted(ANSWER_FOR))
def test_checker_passes_the_model_answer(chapter: int) -> None:
    result = check(chapter, ANSWERS / f"{ANSWER_FOR[chapter]}.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.fullmatch(rf"chapter {chapter}: all \d+ checks passed\n", result.stdout)


@pytest.mark.parametrize(("chapter", "wrong", "says"), WRONG_ANSWERS)
def test_checker_explains_what_a_wrong_answer_gets_wrong(
    chapter: int, wrong: str, says: str
) -> None:
    result = check(chapter, WRONG / f"{wrong}.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert says in result.stdout
    failures = result.stdout.count("FAIL  ")
    assert re.search(rf"^chapter {chapter}: {failures} of \d+ checks failed$", result.stdout, re.M)


def test_checker_lists_each_failure_with_its_chapter() -> None:
    result = check(2, ANSWERS / "ch01.py")
    assert result.returncode == 1
    assert "FAIL  [chapter 2] Scheduler is a subclass of Microprocess" in result.stdout
    assert "your file has no class called Scheduler" in result.stdout
    assert "[chapter 1]" not in result.stdout  # chapter 1's part of the file is fine


def test_checker_reports_a_file_python_cannot_read(tmp_path: Path) -> None:
    broken = tmp_path / "mini.py"
    broken.write_text("class Microprocess:\n    def main(self)\n        yield\n")
    result = check(1, broken)
    assert result.returncode == 1
    assert "Python cannot read your file: expected ':' (line 2)" in result.stdout


def test_checker_points_at_the_line_that_raised(tmp_path: Path) -> None:
    source = (ANSWERS / "ch01.py").read_text()
    broken = tmp_path / "mini.py"
    broken.write_text(source.replace("return next(self.generator)", "return self.generator.next()"))
    result = check(1, broken)
    assert result.returncode == 1
    assert "your code raised AttributeError" in result.stdout
    assert re.search(r"\(line \d+, in step\)", result.stdout)


def test_checker_reports_a_missing_file(tmp_path: Path) -> None:
    result = check(4, tmp_path / "nowhere.py")
    assert result.returncode == 1
    assert "there is no file at" in result.stdout


def test_summary_chapter_has_nothing_to_check() -> None:
    result = check(7)
    assert result.returncode == 0
    assert "nothing to check" in result.stdout


def test_checker_help_says_which_chapters_are_interludes() -> None:
    result = run_python("-m", "tutorials.mini_axon.check", "--help")
    assert result.returncode == 0
    assert re.search(r"3\s+interlude\s+no new exercise", result.stdout)
    assert re.search(r"7\s+summary\s+nothing to check", result.stdout)
    assert "127.0.0.1" in result.stdout


# -- the answers ----------------------------------------------------------------------------


INTRODUCED_IN = {
    "Microprocess": "ch01",
    "Greeter": "ch01",
    "Scheduler": "ch02",
    "Component": "ch04",
    "Doubler": "ch04",
    "ProducerFinished": "ch05",
    "Postman": "ch05",
    "link": "ch05",
    "Producer": "ch05",
    "Printer": "ch05",
}


@pytest.mark.parametrize("later", ["ch02", "ch04", "ch05", "ch06"])
def test_each_answer_contains_the_earlier_answers_unchanged(later: str) -> None:
    for name, first in INTRODUCED_IN.items():
        if first < later:
            assert inspect.getsource(getattr(answer(later), name)) == inspect.getsource(
                getattr(answer(first), name)
            ), f"{name} in {later}.py differs from {first}.py"


def test_every_answer_has_a_page_that_shows_its_output() -> None:
    marker = r"<!-- output of (answers/\w+\.py) -->"
    shown = {found for page in PAGES for found in re.findall(marker, page.read_text())}
    assert shown == {f"answers/{p.name}" for p in ANSWERS.glob("ch*.py")}


def expected_outputs() -> list[tuple[str, str]]:
    pairs = []
    for page in PAGES:
        for module, text in re.findall(
            r"<!-- output of answers/(\w+)\.py -->\n```text\n(.*?)```", page.read_text(), re.S
        ):
            if module != "ch06_axon":  # tested below, against the real axon
                pairs.append((module, text))
    return pairs


@pytest.mark.parametrize(("module", "expected"), expected_outputs())
def test_answer_prints_what_its_page_says(module: str, expected: str) -> None:
    result = run_python("-m", f"tutorials.mini_axon.answers.{module}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected


# -- the pages ------------------------------------------------------------------------------


def python_blocks() -> list[tuple[str, int, str, str | None]]:
    """(page, block number, code, expected output or None) for every python block."""
    blocks = []
    for page in PAGES:
        found = re.finditer(
            r"```python\n(.*?)```(\n\n<!-- output -->\n```text\n(.*?)```)?", page.read_text(), re.S
        )
        for number, match in enumerate(found, 1):
            blocks.append((page.name, number, match.group(1), match.group(3)))
    return blocks


@pytest.mark.parametrize(
    ("page", "number", "code", "expected"),
    python_blocks(),
    ids=[f"{page}-{number}" for page, number, _, _ in python_blocks()],
)
def test_python_blocks_in_pages_run(
    page: str, number: int, code: str, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mini", answer(MINI_FOR_PAGE[page[:2]]))
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, f"{page} block {number}", "exec"), {"__name__": "snippet"})
    if expected is not None:
        assert output.getvalue() == expected


def test_pages_link_previous_and_next_and_the_index_links_them_all() -> None:
    index = (TUTORIAL / "README.md").read_text()
    names = [page.name for page in PAGES]
    assert len(names) == 7
    for position, name in enumerate(names):
        assert f"({name})" in index
        text = PAGES[position].read_text()
        previous = names[position - 1] if position else "README.md"
        following = names[position + 1] if position + 1 < len(names) else None
        for navigation in (text.splitlines()[2], text.rstrip().splitlines()[-1]):
            assert re.search(rf"Previous: \[[^]]+\]\({re.escape(previous)}\)", navigation), name
            if following:
                assert re.search(rf"Next: \[[^]]+\]\({re.escape(following)}\)", navigation), name


def test_links_in_pages_point_at_files_that_exist() -> None:
    for page in [TUTORIAL / "README.md", *PAGES]:
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_each_exercise_page_hides_its_answer_and_names_its_checker() -> None:
    hidden = "<details>\n<summary>Show the answer (try first!)</summary>\n\n[answers/ch0{}.py]"
    for chapter in [1, 2, 4, 5, 6]:
        text = next(TUTORIAL.glob(f"0{chapter}_*.md")).read_text()
        assert hidden.format(chapter) in text
        assert f"python -m tutorials.mini_axon.check {chapter} mini.py" in text


# -- the real axon ----------------------------------------------------------------------------


def test_chapter_6_components_run_unchanged_on_the_real_axon() -> None:
    """Not skipped when axon is missing: the tutorial promises this works, so it must fail."""
    import axon

    needed = ("Component", "ProducerFinished", "Pipeline", "run")
    missing = [name for name in needed if not hasattr(axon, name)]
    if missing:
        pytest.fail(f"the real axon does not export {missing}: chapter 6's promise is broken")
    page = (TUTORIAL / "06_interlude_two.md").read_text()
    expected = re.search(r"<!-- output of answers/ch06_axon\.py -->\n```text\n(.*?)```", page, re.S)
    assert expected is not None
    result = run_python("-m", "tutorials.mini_axon.answers.ch06_axon")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.group(1)
    real = importlib.import_module("tutorials.mini_axon.answers.ch06_axon")
    for part in (real.FileReader, real.LineCounter, real.UDPSender):
        assert issubclass(part, axon.Component)
