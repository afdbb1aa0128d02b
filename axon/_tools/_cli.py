"""The ``axon`` command: run or draw a system that a script defines.

    axon run path/to/script.py[:name] [--stats] [--timeout S]
    axon graph path/to/script.py[:name] -o system.svg
    axon serve module:factory --nats URL --subject S [--queue G] [--to T | --durable D]

The script is run as a module named ``__axon__`` (so its ``if __name__ == "__main__":``
block does not run), then ``name`` (default ``system``) is taken from it: a Component, or
a function that takes no arguments and returns one.

Other packages add commands through the ``axon.commands`` entry-point group: each entry
names a :class:`Command` (this distribution adds ``serve`` from ``components.nats``, a
layer above this one, which the command line therefore never imports by name).  A
command is loaded only when it is the one run, so the others cost no import time.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (imported where used: ``import axon`` does not pay for them, ~13 ms
    import argparse  # with importlib.metadata's zipfile, email and csv; python -X importtime)
    from importlib.metadata import EntryPoint

from .._core import (
    Component, Profiler, Scheduler, component_id, core_implementation, snapshot, walk,
)

__all__ = ["COMMANDS_GROUP", "CliError", "Command", "load_system", "main"]

DEFAULT_NAME = "system"
SCRIPT_MODULE = "__axon__"  # the name a script runs under (its __main__ block does not run)

#: The entry-point group of the commands other packages add (``name = module:OBJECT``).
COMMANDS_GROUP = "axon.commands"


class CliError(Exception):
    """A problem with what the command was asked to do (printed without a traceback)."""


@dataclass(frozen=True, slots=True)
class Command:
    """A command another package adds to ``axon``: an ``axon.commands`` entry point names
    one.  ``run`` returns the exit status and raises :class:`CliError` for a problem the
    user can fix (printed without a traceback, exit status 2)."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def load_system(spec: str) -> Component:
    """The system named by ``path/to/script.py[:name]``."""
    path_text, _, name = spec.partition(":")
    if len(path_text) == 1 and name and name[0] in "\\/":  # a Windows drive letter
        drive, _, name = spec[2:].partition(":")
        path_text = spec[:2] + drive
    path = Path(path_text)
    if not path.exists():
        raise CliError(f"no such file: {path}")
    if path.is_dir():
        raise CliError(f"{path} is a directory; give a Python script")
    namespace = vars(_load_script(path))
    explicit = bool(name)
    name = name or DEFAULT_NAME
    if name not in namespace:
        candidates = sorted(
            k for k, v in namespace.items() if not k.startswith("_") and _system_like(v)
        )
        found = f"; it defines: {', '.join(candidates)}" if candidates else ""
        if explicit:
            raise CliError(f"{path} has no {name!r}{found}")
        raise CliError(
            f"{path} defines no system: add `system = ...` (a Component, or a function "
            f"returning one), or name one with {path}:NAME{found}"
        )
    value = namespace[name]
    if isinstance(value, Component):
        return value
    if isinstance(value, type) and not issubclass(value, Component):
        raise CliError(f"{path}:{name} is the class {value.__name__}, not a Component")
    if callable(value):
        try:
            system = value()
        except TypeError as exc:
            raise CliError(f"{path}:{name} could not be called with no arguments: {exc}") from exc
        if not isinstance(system, Component):
            raise CliError(f"{path}:{name}() returned {type(system).__name__}, not a Component")
        return system
    raise CliError(f"{path}:{name} is of type {type(value).__name__}, not a Component or a factory")


def _load_script(path: Path) -> Any:
    """Run the script as the module ``__axon__``, kept in ``sys.modules`` so that what it
    defines can be pickled by name (a ChildProcess's child loads the script again)."""
    loader = importlib.machinery.SourceFileLoader(SCRIPT_MODULE, str(path))
    spec = importlib.util.spec_from_loader(SCRIPT_MODULE, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[SCRIPT_MODULE] = module
    sys.path.insert(0, str(path.resolve().parent))
    try:
        loader.exec_module(module)
    except BaseException:
        sys.modules.pop(SCRIPT_MODULE, None)
        raise
    finally:
        sys.path.pop(0)
    return module


def _system_like(value: Any) -> bool:
    """A component, or a function or component class the script itself defines."""
    if isinstance(value, Component):
        return True
    if getattr(value, "__module__", None) != "__axon__":
        return False
    return (isinstance(value, type) and issubclass(value, Component)) or callable(value)


def _stats_table(system: Component, profiler: Profiler, elapsed: float) -> str:
    snap = snapshot(system)
    here = {component_id(c): c for c in walk([system], live_only=False)}
    remote: dict[str, tuple[int, float, int | None]] = {}  # what the children profiled
    from .._processes import ChildProcess, child_id  # (here: ``import axon`` does not load it)
    stand_ins = [c for c in here.values() if isinstance(c, ChildProcess)]
    for sp in stand_ins:
        for cid, figures in sp.child_profile().items():
            remote[child_id(sp, cid)] = figures
    rows = [("component", "where", "state", "in", "out", "dropped", "slices", "ms")]
    for info in snap.components:
        comp = here.get(info.id)
        if comp is not None:
            sent = profiler.sent.get(comp, info.sent)
            slices, secs = profiler.timeslices.get(comp, 0), profiler.seconds.get(comp, 0.0)
        else:
            slices, secs, sent = remote.get(info.id, (0, 0.0, info.sent))
        where = "" if info.pid is None else f"pid {info.pid}"
        if info.process is not None:
            where = "stand-in"
        rows.append((
            "  " * info.depth + (f"[{info.label}] " if info.label is not None else "") + info.name,
            where, info.state, str(info.received), "-" if sent is None else str(sent),
            str(info.dropped), str(slices), f"{secs * 1000:.2f}",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) if i < 3 else v.rjust(w) for i, (v, w) in
                       enumerate(zip(r, widths))) for r in rows]
    lines.append(f"total {elapsed * 1000:.1f} ms")
    for sp in stand_ins:
        p = sp.statistics()
        if p.pid is None:
            lines.append(f"process boundary {p.path}: not started")
            continue
        lines.append(
            f"process boundary {p.path}: pid {p.pid} ({p.start_method}, exit {p.exitcode}): "
            f"{p.messages_out} messages to it, {p.messages_in} from it, in {p.frames_out} + "
            f"{p.frames_in} frames, {p.writes} writes, {p.bytes_out + p.bytes_in} bytes")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    system = load_system(args.script)
    sched = Scheduler()
    profiler = Profiler() if args.stats else None
    if profiler is not None:
        sched.add_instrument(profiler)
    sched.activate(system)
    t0 = time.perf_counter()
    try:
        sched.run(timeout=args.timeout)
    finally:
        if profiler is not None:
            print(_stats_table(system, profiler, time.perf_counter() - t0), file=sys.stderr)
    return 0


def _graph(args: argparse.Namespace) -> int:
    from ._draw import draw

    system = load_system(args.script)
    try:
        import graphviz
    except ImportError:
        raise CliError("drawing needs the graphviz package: pip install graphviz") from None
    try:
        out = draw(system, args.output, format=args.format, title=args.title)
    except graphviz.ExecutableNotFound:
        raise CliError("drawing needs Graphviz's `dot` program: apt-get install graphviz") from None
    print(out)
    return 0


def _version() -> str:
    """``axon --version``: the package's version and which core runs (the compiled one,
    axon/_core/_ccore.pyx, or pure Python: ``axon.core_implementation``)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        v = version("axon-components")
    except PackageNotFoundError:
        v = "(not installed)"
    return f"axon {v}, {core_implementation} core (Python {sys.version.split()[0]})"


def plugin_commands() -> dict[str, EntryPoint]:
    """The installed packages' commands by name (the first of a name wins), not loaded."""
    from importlib.metadata import entry_points
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=COMMANDS_GROUP):
        found.setdefault(ep.name, ep)
    return found


def _load_command(ep: EntryPoint) -> Command:
    try:
        command = ep.load()
    except ImportError as exc:
        raise CliError(f"the {ep.name} command ({ep.value}) cannot be loaded: {exc}") from None
    if not isinstance(command, Command):
        raise CliError(f"the {ep.name} command ({ep.value}) is {command!r}, not an "
                       "axon.cli.Command")
    return command


def _not_loaded(args: argparse.Namespace) -> int:
    raise AssertionError("a command that was not loaded cannot run")


def _parser(command: str | None = None,
            plugins: dict[str, EntryPoint] | None = None) -> argparse.ArgumentParser:
    """The parser; of the ``plugins`` (default: those installed), the one named ``command``
    (the one to run) is loaded, the others only listed."""
    import argparse
    p = argparse.ArgumentParser(prog="axon", description="Run, draw or serve an Axon system.",
                                epilog="Installed packages may add commands "
                                       f"(entry points of {COMMANDS_GROUP!r}).")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the system a script defines")
    r.add_argument("script", help="path/to/script.py[:name] (default name: system)")
    r.add_argument("--stats", action="store_true",
                   help="print per-component message counts and time at exit (to stderr)")
    r.add_argument("--timeout", type=float, default=None, help="give up after S seconds")
    r.set_defaults(func=_run)
    g = sub.add_parser("graph", help="draw the system a script defines, without running it")
    g.add_argument("script", help="path/to/script.py[:name] (default name: system)")
    g.add_argument("-o", "--output", default="system.svg",
                   help="output file; .svg, .png, .pdf or .dot (default system.svg)")
    g.add_argument("--format", default=None, help="output format (default: from -o's suffix)")
    g.add_argument("--title", default=None, help="a title above the drawing")
    g.set_defaults(func=_graph)
    for name, ep in (plugin_commands() if plugins is None else plugins).items():
        if name in ("run", "graph"):
            continue  # (a plugin cannot replace a built-in command)
        if name == command:
            plugin = _load_command(ep)
            s = sub.add_parser(name, help=plugin.help)
            plugin.add_arguments(s)
            s.set_defaults(func=plugin.run)
        else:
            s = sub.add_parser(name, help=f"(from {ep.value})", add_help=False)
            s.add_argument("rest", nargs=argparse.REMAINDER)
            s.set_defaults(func=_not_loaded)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``axon`` console script; returns the exit status."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        plugins = plugin_commands()
        command = argv[0] if argv and not argv[0].startswith("-") else None
        if command is not None and command not in ("run", "graph", *plugins):
            raise CliError(f"no command {command!r} (commands: run, graph"
                           + "".join(f", {n}" for n in plugins) + "; installed packages add "
                           f"commands as entry points of {COMMANDS_GROUP!r})")
        args = _parser(command, plugins).parse_args(argv)
        return int(args.func(args))
    except CliError as exc:
        print(f"axon: error: {exc}", file=sys.stderr)
        return 2
