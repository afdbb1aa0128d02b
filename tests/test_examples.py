"""The docstring examples of axon/ and components/ are run, and must print what they show.

An example is documentation a reader copies: it runs here (real sockets on loopback, a
real nats-server, a fake clock for timers), so it cannot rot.  A module whose optional
extra is missing is skipped, named; no example may be switched off with ``+SKIP``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import axon
import components

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL
NEEDS = {"components.nats": "nats"}  # a module (prefix) and the package its extra brings


def _modules() -> list[str]:
    names = []
    for package in (axon, components):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):
                names.append(info.name)
    return sorted(names)


def _with_examples(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    if not source.exists() and path.with_suffix(".pyx").exists():
        return False  # the compiled core (axon/_core/_ccore.pyx): no examples, nothing to run
    return ">>>" in source.read_text()


MODULES = [n for n in _modules() if _with_examples(n)]


def test_no_example_is_switched_off() -> None:
    for folder in ("axon", "components"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "doctest: +SKIP" not in path.read_text(), path


def test_the_examples_are_where_the_library_is_documented() -> None:
    documented = {n.rsplit(".", 1)[-1] for n in MODULES}
    assert {"framing", "routing", "codecs", "transforms", "process", "sources", "sinks",
            "timing", "net", "_core", "_request", "_server"} <= documented


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_in_each_module_print_what_they_show(name: str) -> None:
    for prefix, package in NEEDS.items():
        if name.startswith(prefix):
            pytest.importorskip(package, reason=f"{name}'s examples need {package} (its extra)")
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    tests = [t for t in finder.find(module) if t.examples]
    assert tests, f"{name} has >>> in its source but no example was found"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
