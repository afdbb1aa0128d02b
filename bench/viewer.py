"""Graph viewer benchmark: commands applied per second, frames per second with the layout
running, and what the introspector costs the system it watches.

Run: ``python -m bench.viewer`` (``--quick`` for a smoke run).  Headless (SDL's dummy
video driver) unless ``SDL_VIDEODRIVER`` is set.  Prints progress, then as its last line
one JSON object; writes ``bench/results/viewer.json`` and ``viewer.png``.

- **Commands** (``commands_per_s``): a random tree of 2,000 nodes built, renamed,
  labelled, unlinked and deleted (six kinds of command, 12,000 commands a round), sent
  to a running ``GraphViewer`` as one text line per message, all at once, timed until the
  last is applied.  Also as batches of 1,000 lines a message, as the Introspector's
  quoted lines, as token lists and as typed records.
- **Frames** (``fps_N``): a random tree of N nodes (20, 100, 300, 1,000) placed at random
  in an 800x600 window, the layout kept running (it never settles here), the display
  drawing frames back to back: frames per second over ``--seconds``, by wall clock and by
  this thread's CPU time (``fps_cpu_N``: what a core of its own would give), with the
  milliseconds of a frame spent in the layout step and in drawing.  ``fit_fps_1000``:
  1,000 nodes zoomed to fit the window, so that every node is drawn.
- **Kamaelia**: its TopologyViewer (kamaelia 1.14.32), in a child process, fed the same
  trees as token lists, measured the same way in the same run (``kamaelia_*``).  Skipped
  when the ``kamaelia`` package is not installed.
- **Introspector overhead** (``introspector_overhead_pct``): this thread's CPU time per
  message through a busy pipeline (a source and 8 stages, one message a timeslice, for
  ever) over a window of ``1.5`` s, alone and with an Introspector watching it with live
  counts (every 0.5 s) feeding a sink; runs of each in turn (CPU time, so that other
  processes on this shared machine do not count), the median of each.
  ``live_view_overhead_pct``: the same with the whole live view in the process
  (introspector, viewer and display, dummy driver) once its layout is still (from 7 s);
  ``live_view_layout_overhead_pct`` while it still lays out (the first seconds).
  ``churn_overhead_pct``: a Carousel making a child per message, with the introspector
  gathering changes at most 30 times a second.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from axon import (
    RECEIVE,
    Carousel,
    Component,
    Graphline,
    Introspector,
    Pipeline,
    ProducerFinished,
    Scheduler,
)
from components.ui import Display, RequestQuit
from components.ui.graph import AddLink, AddNode, GraphViewer, Laws, parse_line
from components.ui.graph.live import live_view

RESULTS = Path(__file__).parent / "results"
SIZE = (800, 600)
COUNTS = (20, 100, 300, 1000)
KAMAELIA_PAPER = {20: 145, 100: 107, 300: 48}  # redraws/s in ../shared/research (2026)


# -- commands --------------------------------------------------------------------------------


def script(n: int, seed: int = 1, quoted: bool = False) -> list[str]:
    """Build, rename, label, unlink and delete a random tree of ``n`` nodes."""
    rng = random.Random(seed)
    parent = [0] + [rng.randrange(i) for i in range(1, n)]
    if quoted:  # as the Introspector writes them: ids with a dot, names quoted
        node = [f"c{0x7f0000 + i:x}.inbox" for i in range(n)]
        name = [f"'Pipeline[{i}]:Stage {i}'" for i in range(n)]
    else:
        node = [f"n{i}" for i in range(n)]
        name = [f"node{i}" for i in range(n)]
    lines = [f"ADD NODE {node[i]} {name[i]} auto -" for i in range(n)]
    lines += [f"ADD LINK {node[i]} {node[parent[i]]}" for i in range(1, n)]
    lines += [f"UPDATE_NAME NODE {node[i]} renamed{i}" for i in range(n)]
    lines += [f"UPDATE_NAME LINK {node[i]} {node[parent[i]]} {i}" for i in range(1, n)]
    lines += [f"DEL LINK {node[i]} {node[parent[i]]}" for i in range(1, n)]
    lines += [f"DEL NODE {node[i]}" for i in range(n)]
    return lines


class Feeder(Component):
    """Sends ``msgs`` at once, waits until ``viewer`` has applied ``total`` commands,
    records the time, and asks the display to quit."""

    def __init__(self, viewer: GraphViewer, msgs: list[Any], total: int) -> None:
        super().__init__(name="Feeder")
        self.viewer, self.msgs, self.total = viewer, msgs, total
        self.seconds = 0.0

    def main(self) -> Generator[Any, Any, None]:
        yield asyncio.sleep(0.2)  # the window is open, the viewer has its surface
        t0 = time.perf_counter()
        self.send_many(self.msgs)
        while self.viewer.commands < self.total:
            yield asyncio.sleep(0.0005)
        self.seconds = time.perf_counter() - t0
        self.send(RequestQuit("done"), "quit")


def commands_rate(kind: str, n: int, rounds: int) -> float:
    lines = script(n, quoted=kind == "quoted") * rounds
    msgs: list[Any]
    if kind == "lines":
        msgs = lines
    elif kind in ("batched", "quoted"):  # the Introspector sends batches of lines too
        msgs = ["\n".join(lines[i:i + 1000]) for i in range(0, len(lines), 1000)]
    elif kind == "tokens":
        msgs = [line.split() for line in lines]
    else:  # typed records
        msgs = [parse_line(line) for line in lines]
    viewer = GraphViewer(SIZE, seed=1)
    feeder = Feeder(viewer, msgs, len(lines))
    feeder.add_outbox("quit", "RequestQuit")
    system = Graphline({("feeder", "outbox"): ("viewer", "inbox"),
                        ("feeder", "quit"): ("display", "inbox")},
                       display=Display(SIZE), viewer=viewer, feeder=feeder)
    sched = Scheduler()
    sched.activate(system)
    sched.run(timeout=600)
    assert viewer.statistics().errors == 0, viewer.statistics()
    return len(lines) / feeder.seconds


# -- frames ---------------------------------------------------------------------------------------


class FrameMeter(Component):
    """Builds the graph, waits ``warm`` ticks, then measures the viewer's ticks for
    ``seconds`` (wall and CPU), and quits."""

    def __init__(self, viewer: GraphViewer, msgs: list[Any], n: int, seconds: float,
                 fit: bool) -> None:
        super().__init__(name="FrameMeter")
        self.viewer, self.msgs, self.n, self.secs, self.fit = viewer, msgs, n, seconds, fit
        self.result: dict[str, float] = {}

    def main(self) -> Generator[Any, Any, None]:
        v = self.viewer
        yield asyncio.sleep(0.2)
        self.send_many(self.msgs)
        while len(v.g) < self.n or len(v.g.links) < self.n - 1:
            yield asyncio.sleep(0.001)
        if self.fit:
            v.fit()
        start = v.ticks
        while v.ticks < start + 30:  # warm up
            yield asyncio.sleep(0.001)
        step, draw = _time_methods(v)
        t0, c0, k0 = time.perf_counter(), time.thread_time(), v.ticks
        yield asyncio.sleep(self.secs)
        t1, c1, k1 = time.perf_counter(), time.thread_time(), v.ticks
        frames = k1 - k0
        self.result = {"fps": frames / (t1 - t0), "fps_cpu": frames / (c1 - c0),
                       "step_ms": 1000 * sum(step) / max(1, len(step)),
                       "draw_ms": 1000 * sum(draw) / max(1, len(draw)),
                       "frames": frames}
        self.send(RequestQuit("done"), "quit")


def _time_methods(v: GraphViewer) -> tuple[list[float], list[float]]:
    step_times: list[float] = []
    draw_times: list[float] = []

    def timed(fn: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args)
            finally:
                into.append(time.perf_counter() - t)
        return run

    v.g.step = timed(v.g.step, step_times)  # type: ignore[method-assign]
    v._draw = timed(v._draw, draw_times)  # type: ignore[method-assign]
    return step_times, draw_times


def frames_rate(n: int, seconds: float, fit: bool = False) -> dict[str, float]:
    rng = random.Random(n)
    msgs: list[Any] = [AddNode(f"n{i}", f"node{i}", "randompos", "-") for i in range(n)]
    msgs += [AddLink(f"n{i}", f"n{rng.randrange(i)}") for i in range(1, n)]
    running = Laws(rest_speed=0.0, cooling_steps=10**9)  # never settles: always working
    viewer = GraphViewer(SIZE, seed=n, laws=running)
    meter = FrameMeter(viewer, msgs, n, seconds, fit)
    meter.add_outbox("quit", "RequestQuit")
    system = Graphline({("meter", "outbox"): ("viewer", "inbox"),
                        ("meter", "quit"): ("display", "inbox")},
                       display=Display(SIZE, fps=None), viewer=viewer, meter=meter)
    sched = Scheduler()
    sched.activate(system)
    sched.run(timeout=300)
    return meter.result


def kamaelia(n: int, seconds: float) -> dict[str, float] | None:
    """Kamaelia's TopologyViewer in a child process (None if Kamaelia is missing)."""
    try:
        import Kamaelia  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return None
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    try:
        out = subprocess.run([sys.executable, "-m", "bench.viewer_kamaelia", str(n),
                              str(seconds), str(n)], capture_output=True, text=True,
                             env=env, timeout=120 + 2 * n / 150,
                             cwd=Path(__file__).resolve().parents[1])
    except subprocess.TimeoutExpired:
        return None
    lines = [x for x in out.stdout.splitlines() if x.startswith("{")]
    return json.loads(lines[-1]) if lines else None


# -- introspector overhead -----------------------------------------------------------------------


class Source(Component):
    """Sends 0, 1, 2 ... one a timeslice, until ``n`` (None: for ever)."""

    def __init__(self, n: int | None = None) -> None:
        super().__init__(name="Source")
        self.n = n

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        i = 0
        while self.n is None or i < self.n:
            out.push(i)
            i += 1
            yield
        self.send(ProducerFinished(), "signal")


class Stage(Component):
    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                out.push(x + 1)
        self.send(self.end_message, "signal")


class Sink(Component):
    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)
        self.count = 0

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.count += len(batch)


def busy() -> tuple[Component, Callable[[], int]]:
    """A source and 8 stages, one message a timeslice, for ever; and messages done."""
    sink = Sink(name="Sink")
    return Pipeline(Source(), *[Stage(name=f"Stage{k}") for k in range(8)], sink,
                    name="Busy"), lambda: sink.count


class Job(Component):
    """One Carousel child: passes messages on until told to end."""

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                out.push(x)
        self.send(self.end_message or ProducerFinished(), "signal")


def churn() -> tuple[Component, Callable[[], int]]:
    """A Carousel making a child per message, for ever; and children made."""
    carousel = Carousel(lambda _msg: Job(name="Job"))
    return Graphline({("source", "outbox"): ("carousel", "next"),
                      ("carousel", "outbox"): ("sink", "inbox")},
                     source=Source(), carousel=carousel, sink=Sink(name="Sink"),
                     name="Churn"), lambda: carousel.made


def rate_run(make: Callable[[], tuple[Component, Callable[[], int]]], watcher: str,
             warm: float, window: float) -> float:
    """CPU seconds of this thread per item done (``make``'s count), over ``window`` seconds
    after ``warm``, watched by nothing, an introspector (with counts), or the live view.
    CPU time, not wall time: other processes on the machine do not count."""
    gc.collect()
    system, done = make()
    sched = Scheduler()
    sched.activate(system)
    view: Component | None = None
    if watcher == "introspector":
        view = Pipeline(Introspector(watch=[system], counts=True, min_gap=1 / 30),
                        Sink(name="Lines"))
    elif watcher == "live":
        view = Graphline({("view", "outbox"): ("sink", "inbox")},
                         display=Display(SIZE), sink=Sink(),
                         view=live_view(system, counts=True, size=SIZE))
    if view is not None:
        sched.activate(view)
    got: dict[str, float] = {}

    class Meter(Component):
        def main(self) -> Generator[Any, Any, None]:
            yield asyncio.sleep(warm)
            n0, c0 = done(), time.thread_time()
            yield asyncio.sleep(window)
            got["cpu"] = (time.thread_time() - c0) / max(1, done() - n0)
            sched.call_threadsafe(sched.shutdown)  # once this timeslice is over

    sched.activate(Meter(name="Meter"))
    sched.run(timeout=300)
    return got["cpu"]


def overhead(make: Callable[[], tuple[Component, Callable[[], int]]],
             cases: dict[str, tuple[str, float]], window: float,
             runs: int) -> dict[str, float]:
    """Median CPU per message of each case (watcher, warm-up seconds), the cases taken in
    turn (in a different order each round); overhead % of each over 'none'."""
    per: dict[str, list[float]] = {k: [] for k in cases}
    order = list(cases)
    for r in range(runs):
        for k in order[r % len(order):] + order[:r % len(order)]:
            watcher, warm = cases[k]
            per[k].append(rate_run(make, watcher, warm, window))
    med = {k: statistics.median(v) for k, v in per.items()}
    return {k: 100.0 * (med[k] / med["none"] - 1.0) for k in cases if k != "none"} | {
        f"{k}_us": 1e6 * med[k] for k in cases}


# -- report ------------------------------------------------------------------------------------------


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = [n for n in COUNTS]
    a.plot(xs, [result[f"fps_{n}"] for n in xs], "o-", label="Axon (wall clock)")
    a.plot(xs, [result[f"fps_cpu_{n}"] for n in xs], "o--", label="Axon (CPU time)", alpha=0.6)
    kx = [n for n in xs if result.get(f"kamaelia_fps_{n}")]
    if kx:
        a.plot(kx, [result[f"kamaelia_fps_{n}"] for n in kx], "s-",
               label="Kamaelia 1.14 (same run)")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("nodes (layout running)")
    a.set_ylabel("frames per second")
    a.set_title("frames per second, 800x600, dummy video driver")
    a.legend()
    a.grid(True, which="both", alpha=0.3)
    labels = ["lines", "batched", "quoted", "tokens", "records"]
    vals = [result[f"commands_per_s_{k}"] for k in labels]
    if result.get("kamaelia_commands_per_s"):
        labels.append("Kamaelia")
        vals.append(result["kamaelia_commands_per_s"])
    b.barh(labels, vals, color=["C0"] * 5 + ["C2"] * (len(labels) - 5))
    b.set_xscale("log")
    b.set_xlabel("commands applied per second")
    b.set_title("commands per second (2,000-node trees)")
    for y, v in enumerate(vals):
        b.text(v, y, f" {v:,.0f}", va="center")
    b.grid(True, axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.viewer",
                                 description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run (a few seconds)")
    ap.add_argument("--seconds", type=float, default=None, help="seconds per fps figure (4)")
    ap.add_argument("--runs", type=int, default=None, help="runs per overhead figure (5)")
    ap.add_argument("--no-kamaelia", action="store_true", help="skip Kamaelia's viewer")
    ap.add_argument("--out", default=str(RESULTS / "viewer.json"), help="where to write JSON")
    args = ap.parse_args(argv)
    quick = args.quick
    seconds = args.seconds or (0.4 if quick else 4.0)
    runs = args.runs or (1 if quick else 5)
    rounds = 1 if quick else 5
    t_start = time.perf_counter()
    print(f"bench.viewer: video driver {os.environ['SDL_VIDEODRIVER']}, pygame "
          f"{pygame.version.ver}, numpy {__import__('numpy').__version__}", flush=True)
    result: dict[str, Any] = {"bench": "viewer", "quick": quick,
                              "python": platform.python_version(),
                              "driver": os.environ["SDL_VIDEODRIVER"]}
    n_tree = 300 if quick else 2000
    print(f"commands applied per second ({rounds} round(s) of a {n_tree}-node tree, "
          f"{len(script(n_tree)) * rounds:,} commands, sent at once):", flush=True)
    for kind in ("lines", "batched", "quoted", "tokens", "records"):
        rate = commands_rate(kind, n_tree, rounds)
        result[f"commands_per_s_{kind}"] = round(rate)
        print(f"  {kind:8s} {rate:12,.0f} commands/s", flush=True)
    result["commands_per_s"] = result["commands_per_s_lines"]
    print(f"frames per second with the layout running ({seconds} s each):", flush=True)
    for n in COUNTS:
        f = frames_rate(n, seconds)
        result[f"fps_{n}"] = round(f["fps"], 1)
        result[f"fps_cpu_{n}"] = round(f["fps_cpu"], 1)
        result[f"step_ms_{n}"] = round(f["step_ms"], 3)
        result[f"draw_ms_{n}"] = round(f["draw_ms"], 3)
        print(f"  {n:5d} nodes: {f['fps']:7.1f} fps ({f['fps_cpu']:.1f} by CPU time); a frame: "
              f"layout {f['step_ms']:.2f} ms, drawing {f['draw_ms']:.2f} ms", flush=True)
    f = frames_rate(1000, seconds, fit=True)
    result["fit_fps_1000"] = round(f["fps"], 1)
    result["fit_draw_ms_1000"] = round(f["draw_ms"], 3)
    print(f"   1000 nodes zoomed to fit (all drawn): {f['fps']:.1f} fps, drawing "
          f"{f['draw_ms']:.2f} ms", flush=True)
    if not args.no_kamaelia:
        print("Kamaelia 1.14.32's TopologyViewer, same trees, same machine, same run:",
              flush=True)
        for n in (COUNTS[:2] if quick else COUNTS[:3]):
            k = kamaelia(n, seconds)
            if k is None:
                print("  (kamaelia is not installed or did not answer: pip install "
                      "kamaelia==1.14.32)", flush=True)
                break
            result[f"kamaelia_fps_{n}"] = round(k["fps"], 1)
            if n == COUNTS[1]:
                result["kamaelia_commands_per_s"] = round(k["commands_per_s"], 1)
            print(f"  {n:5d} nodes: {k['fps']:7.1f} redraws/s; its {k['commands']} commands "
                  f"at {k['commands_per_s']:.0f}/s", flush=True)
    window = 0.4 if quick else 1.5
    settle = 1.0 if quick else 7.0
    print(f"introspector overhead on a busy pipeline (source + 8 stages + sink, one message "
          f"a timeslice): CPU per message over {window} s, median of {runs} runs each, in "
          "turn:", flush=True)
    o = overhead(busy, {"none": ("none", 0.3), "introspector": ("introspector", 0.3),
                        "live_early": ("live", 0.3), "live": ("live", settle)}, window, runs)
    result["introspector_overhead_pct"] = round(o["introspector"], 2)
    result["live_view_overhead_pct"] = round(o["live"], 2)
    result["live_view_layout_overhead_pct"] = round(o["live_early"], 2)
    result["busy_us_per_message"] = round(o["none_us"], 3)
    print(f"  alone {o['none_us']:.2f} us a message; with the introspector (counts on) "
          f"{o['introspector_us']:.2f} us ({o['introspector']:+.1f}%); with the live view "
          f"{o['live_us']:.2f} us ({o['live']:+.1f}%) once its layout is still (from "
          f"{settle:.0f} s), {o['live_early_us']:.2f} us ({o['live_early']:+.1f}%) while it "
          "lays out", flush=True)
    print("introspector overhead on a Carousel making a child per message (changes "
          "gathered at most 30 times a second):", flush=True)
    c = overhead(churn, {"none": ("none", 0.3), "introspector": ("introspector", 0.3)},
                 window, runs)
    result["churn_overhead_pct"] = round(c["introspector"], 2)
    result["churn_children_per_s"] = round(1e6 / c["none_us"])
    print(f"  alone {c['none_us']:.1f} us a child ({1e6 / c['none_us']:,.0f} children a "
          f"second of CPU); with the introspector {c['introspector_us']:.1f} us "
          f"({c['introspector']:+.1f}%)", flush=True)
    result["kamaelia_paper_fps"] = KAMAELIA_PAPER
    result["seconds"] = round(time.perf_counter() - t_start, 1)
    if not quick:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        chart(result, out.with_suffix(".png"))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
