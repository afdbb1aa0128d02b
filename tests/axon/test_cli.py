"""The ``axon`` command, run as a subprocess."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.entry_points import source_tree_metadata, write_distribution

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = '''
from axon import Pipeline
from tests.axon.parts import Collect, Count, Echo

def system():
    return Pipeline(Count(100, per_slice=10), Echo(), Collect(name="Sink"))

other = Pipeline(Count(3), Collect())
number = 3
if __name__ == "__main__":
    raise SystemExit("the script's main block must not run")
'''


def axon(*args: str, path: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m axon ARGS`` from the source tree (``path``: more of PYTHONPATH)."""
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), path]),
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run([sys.executable, "-m", "axon", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "demo.py"
    path.write_text(SCRIPT)
    return path


def test_run_runs_the_system_and_stats_prints_counts(script: Path) -> None:
    r = axon("run", str(script), "--stats")
    assert r.returncode == 0, r.stderr
    sink = next(line for line in r.stderr.splitlines() if "Sink" in line)
    assert sink.split()[2:4] == ["finished", "100"]
    assert "total" in r.stderr


def test_run_takes_a_named_system(script: Path) -> None:
    r = axon("run", f"{script}:other")
    assert r.returncode == 0, r.stderr


def test_helpful_errors(script: Path, tmp_path: Path) -> None:
    r = axon("run", str(tmp_path / "missing.py"))
    assert r.returncode == 2 and "no such file" in r.stderr
    r = axon("run", f"{script}:nope")
    assert r.returncode == 2 and "has no 'nope'" in r.stderr and "other" in r.stderr
    r = axon("run", f"{script}:number")
    assert r.returncode == 2 and "not a Component" in r.stderr
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    r = axon("run", str(empty))
    assert r.returncode == 2 and "defines no system" in r.stderr


def test_a_failing_system_exits_non_zero_naming_the_component(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from axon import Pipeline\nfrom tests.axon.parts import Count, Fail\n"
                   "system = Pipeline(Count(3), Fail(at=1))\n")
    r = axon("run", str(bad))
    assert r.returncode != 0 and "Pipeline[1]:Fail raised ValueError" in r.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graph_draws_without_running(script: Path, tmp_path: Path) -> None:
    out = tmp_path / "system.svg"
    r = axon("graph", str(script), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "<svg" in out.read_text() and "Sink" in out.read_text()


PROCESS_SCRIPT = '''
from axon import RECEIVE, ChildProcess, Component, Pipeline
from tests.axon.parts import Collect, Count

class Square(Component):  # defined here: the child process loads this script too
    def main(self):
        while (batch := (yield RECEIVE)) is not None:
            self.send_many(n * n for n in batch)
        self.send(self.end_message, "signal")

system = Pipeline(Count(100, per_slice=10), ChildProcess(Square), Collect(name="Sink"))
'''


def test_run_stats_shows_what_ran_in_a_child_process_and_what_crossed(tmp_path: Path) -> None:
    path = tmp_path / "procs.py"
    path.write_text(PROCESS_SCRIPT)
    r = axon("run", str(path), "--stats")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    stand_in = next(line for line in lines if "[1] Square" in line)
    # it took 100 messages and the end; also the notice that its reader had gone
    # (ReaderGone) when the reader finished while it still waited for its child to exit
    assert stand_in.split()[2:4] == ["stand-in", "finished"]
    assert stand_in.split()[4] in ("101", "102")
    boundary = next(line for line in lines if line.startswith("process boundary"))
    pid = int(boundary.split("pid ")[1].split()[0])
    assert "Pipeline[1]:Square" in boundary and "exit 0" in boundary
    assert "101 messages to it, 101 from it" in boundary
    inside = next(line for line in lines if f"pid {pid}" in line and "Square" in line
                  and "boundary" not in line)
    name, _pid, _num, state, taken, sent, dropped, slices, _ms = inside.split()
    assert (name, state, taken, sent) == ("Square", "finished", "100", "101")
    assert int(slices) > 0  # profiled in the child


PLUGIN = """
import sys
from axon.cli import CliError, Command

print("plugin imported", file=sys.stderr)

def add(p):
    p.add_argument("who")

def run(args):
    if args.who == "nobody":
        raise CliError("say hello to somebody")
    print(f"hello {args.who}")
    return 0

COMMAND = Command(help="say hello", add_arguments=add, run=run)
NOT_A_COMMAND = 42
"""


@pytest.fixture
def plugin(tmp_path: Path) -> str:
    """An installed package adding ``hello`` (and a broken ``oops``) to the command."""
    (tmp_path / "hello_plugin.py").write_text(PLUGIN)
    write_distribution(tmp_path, "hello-plugin", {"axon.commands": [
        "hello = hello_plugin:COMMAND", "oops = hello_plugin:NOT_A_COMMAND",
        "gone = no_such_module:COMMAND", "run = hello_plugin:COMMAND"]})
    return str(tmp_path)


def test_an_installed_package_adds_a_command_loaded_only_when_run(plugin: str) -> None:
    r = axon("hello", "world", path=plugin)
    assert (r.returncode, r.stdout, r.stderr) == (0, "hello world\n", "plugin imported\n")
    r = axon("--help", path=plugin)
    assert r.returncode == 0 and "hello" in r.stdout and "plugin imported" not in r.stderr
    r = axon("hello", "nobody", path=plugin)  # its CliError: a message, exit status 2
    assert r.returncode == 2 and "axon: error: say hello to somebody" in r.stderr


def test_a_broken_or_unknown_command_is_named_and_built_ins_stay(plugin: str, script: Path
                                                                 ) -> None:
    r = axon("oops", path=plugin)
    assert r.returncode == 2 and "oops command (hello_plugin:NOT_A_COMMAND) is 42" in r.stderr
    r = axon("gone", path=plugin)
    assert r.returncode == 2 and "cannot be loaded" in r.stderr and "no_such_module" in r.stderr
    r = axon("nothing", path=plugin)
    assert r.returncode == 2 and "no command 'nothing'" in r.stderr and "hello" in r.stderr
    r = axon("run", str(script), path=plugin)  # a plugin named "run" does not replace it
    assert r.returncode == 0 and "plugin imported" not in r.stderr


def test_setup_cfg_adds_serve_from_the_nats_links() -> None:
    r = axon("serve", "--help", path=source_tree_metadata())
    assert r.returncode == 0 and "--subject" in r.stdout and "queue group" in r.stdout
    installed = {e.name for e in importlib.metadata.entry_points(group="axon.commands")}
    if "serve" not in installed:  # (make test installs the project: then it is known)
        r = axon("serve", "--help")  # not installed: the command line does not know the library
        assert r.returncode == 2 and "no command 'serve'" in r.stderr
