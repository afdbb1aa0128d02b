"""Check a learner's answer to a chapter: python -m tutorials.mini_axon.check CHAPTER FILE."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from . import ch01, ch02, ch04, ch05, ch06
from ._harness import CheckFunction, LoadError, Outcome, load, run_checks

__all__ = ["CHAPTERS", "Chapter", "check_file", "main"]


@dataclass(frozen=True)
class Chapter:
    """What the checker does for one chapter; checks is empty for chapter 7."""

    number: int
    title: str
    what: str
    checks: dict[int, list[CheckFunction]]  # chapter -> its checks, earlier chapters first


CHAPTERS = {
    1: Chapter(1, "microprocess", "Microprocess and Greeter", {1: ch01.CHECKS}),
    2: Chapter(2, "scheduler", "chapter 1, plus Scheduler", {1: ch01.CHECKS, 2: ch02.CHECKS}),
    3: Chapter(
        3,
        "interlude",
        "no new exercise (no quiz either): re-runs the checks of chapters 1 and 2",
        {1: ch01.CHECKS, 2: ch02.CHECKS},
    ),
    4: Chapter(
        4,
        "component",
        "chapters 1-2, plus Component and Doubler",
        {1: ch01.CHECKS, 2: ch02.CHECKS, 4: ch04.CHECKS},
    ),
    5: Chapter(
        5,
        "postman",
        "chapter 4, plus ProducerFinished, Postman, link, Producer and Printer",
        {1: ch01.CHECKS, 2: ch02.CHECKS, 4: ch04.CHECKS, 5: ch05.CHECKS},
    ),
    6: Chapter(
        6,
        "interlude two",
        "chapter 5, plus make_parts, pipeline and run_mini: runs FileReader ->\n"
        + " " * 20
        + "LineCounter -> UDPSender on your core (UDP to 127.0.0.1 only)",
        {1: ch01.CHECKS, 2: ch02.CHECKS, 4: ch04.CHECKS, 5: ch05.CHECKS, 6: ch06.CHECKS},
    ),
    7: Chapter(7, "summary", "nothing to check: the summary has no exercise", {}),
}


def check_file(number: int, path: str) -> list[Outcome]:
    """Run chapter `number`'s checks (and those of the chapters before it) on a file.

    Raises:
        LoadError: the file could not be imported.
    """
    module = load(path)
    outcomes: list[Outcome] = []
    for chapter, checks in CHAPTERS[number].checks.items():
        outcomes += run_checks(chapter, checks, module)
    return outcomes


def _parser() -> argparse.ArgumentParser:
    listing = "\n".join(
        f"  {c.number}  {c.title:<15}{c.what}" for c in CHAPTERS.values()
    )
    return argparse.ArgumentParser(
        prog="python -m tutorials.mini_axon.check",
        description="Check your answer to a chapter of the mini-axon tutorial.",
        epilog=f"chapters:\n{listing}\n\nexit status: 0 when every check passes, 1 otherwise",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = _parser()
    parser.add_argument(
        "chapter", type=int, choices=sorted(CHAPTERS), metavar="CHAPTER", help="1 to 7"
    )
    parser.add_argument("file", nargs="?", help="your answer, e.g. mini.py (not needed for 7)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing checks too")
    args = parser.parse_args(argv)
    chapter = CHAPTERS[args.chapter]
    if not chapter.checks:
        print(f"chapter {chapter.number}: {chapter.what}")
        return 0
    if args.file is None:
        parser.error(f"chapter {chapter.number} needs the path of your answer file")
    try:
        outcomes = check_file(chapter.number, args.file)
    except LoadError as error:
        print(f"chapter {chapter.number}: could not check {args.file}: {error}")
        return 1
    failures = [o for o in outcomes if o.problem is not None]
    last_problem = None
    for outcome in outcomes:
        if outcome.problem is not None:
            print(f"FAIL  [chapter {outcome.chapter}] {outcome.description}")
            same = outcome.problem == last_problem
            print(f"      {'(the same problem)' if same else outcome.problem}")
            last_problem = outcome.problem
        elif args.verbose:
            print(f"ok    [chapter {outcome.chapter}] {outcome.description}")
    if failures:
        print(f"chapter {chapter.number}: {len(failures)} of {len(outcomes)} checks failed")
        return 1
    print(f"chapter {chapter.number}: all {len(outcomes)} checks passed")
    return 0
