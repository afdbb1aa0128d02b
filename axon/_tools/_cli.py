"""The ``axon`` command: run or draw a system that a script defines.

    axon run path/to/script.py[:name] [--stats] [--timeout S]
    axon graph path/to/script.py[:name] -o system.svg
    axon serve module:factory --nats URL --subject S [--queue G] [--to T | --durable D]
    axon view path/to/script.py[:name] [--counts] [--self] [--introspect HOST:PORT]

The script is run as a module named ``__axon__`` (so its ``if __name__ == "__main__":``
block does not run), then ``name`` (default ``system``) is taken from it: a Component, or
a function that takes no arguments and returns one.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._core._component import Component
from .._core._inspect import Profiler, _walk, child_id, component_id, snapshot
from .._processes._process import ChildProcess
from .._core._scheduler import Scheduler

__all__ = ["CliError", "load_system", "main"]

DEFAULT_NAME = "system"
SCRIPT_MODULE = "__axon__"  # the name a script runs under (its __main__ block does not run)


class CliError(Exception):
    """A problem with what the command was asked to do (printed without a traceback)."""


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
    here = {component_id(c): c for c in _walk([system], live_only=False)}
    remote: dict[str, tuple[int, float, int | None]] = {}  # what the children profiled
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


def _serve(args: argparse.Namespace) -> int:
    try:  # (the NATS links live in the component library, an optional extra)
        from components.nats._serve import ServeError, serve
    except ImportError as exc:
        raise CliError(f"serving needs the NATS links: pip install 'axon-components[nats]' "
                       f"({exc})") from None
    try:
        return serve(args)
    except ServeError as exc:
        raise CliError(str(exc)) from None


def _serve_arguments(p: argparse.ArgumentParser, full: bool) -> None:
    """The serve command's options: imported only when that is the command (the NATS
    links are an optional extra, and importing them costs the other commands time)."""
    if full:
        try:
            from components.nats._serve import add_serve_arguments
        except ImportError:  # the command then explains what is missing
            pass
        else:
            add_serve_arguments(p)
            return
    p.add_argument("rest", nargs=argparse.REMAINDER)


def _view(args: argparse.Namespace) -> int:
    try:  # (the viewer lives in the component library, with the pygame extra)
        from components.ui.graph._view import view
    except ImportError as exc:
        raise CliError(f"viewing needs the pygame extra: pip install 'axon-components[pygame]' "
                       f"({exc})") from None
    return view(args)


def _view_arguments(p: argparse.ArgumentParser, full: bool) -> None:
    """As _serve_arguments: the view command's options load only for that command."""
    if full:
        try:
            from components.ui.graph._view import add_view_arguments
        except ImportError:
            pass
        else:
            add_view_arguments(p)
            return
    p.add_argument("rest", nargs=argparse.REMAINDER)


def _parser(serve: bool = True, view: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="axon",
                                description="Run, draw, serve or view an Axon system.")
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
    s = sub.add_parser("serve", help="run a component as a NATS service (copies share the work)")
    _serve_arguments(s, serve)
    s.set_defaults(func=_serve)
    v = sub.add_parser("view", help="run the system a script defines and watch it live")
    _view_arguments(v, view)
    v.set_defaults(func=_view)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``axon`` console script; returns the exit status."""
    if argv is None:
        argv = sys.argv[1:]
    args = _parser(serve=bool(argv) and argv[0] == "serve",
                   view=bool(argv) and argv[0] == "view").parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"axon: error: {exc}", file=sys.stderr)
        return 2
