"""pygame benchmark: the bouncing-sprites scene with Axon against a plain pygame loop.

Run: ``python -m bench.pygame`` (``--quick`` for a smoke run).  Headless (SDL's dummy
video and audio drivers) unless ``SDL_VIDEODRIVER`` is set.  Prints progress, a table, and
as its last line one JSON object; writes ``bench/results/pygame.json``.

- **Framework overhead** (``ratio_N``): frames per second of the bouncing-cats scene made of
  components (each cat a Graphline of a Sprite and three behaviours, composited by the
  display service) over the fps of a plain pygame loop drawing the same scene with the
  same maths and the same transforms (``rotozoom``, ``blit``, ``fill``, ``event.get``,
  ``flip``).  Both run in one process, eight frames of each in turn (the display runs
  eight frames of the plain loop before every eighth frame of its own): both see the same
  moments of a machine shared with other people's work, and most frames of each run with
  their own data in the caches.  The plain scene is brought to the step the components'
  scene has reached before it starts (checked cat by cat): both draw the same pictures,
  frame for frame, from the same picture surfaces (two copies of the pictures rotozoomed
  several % apart, by where their pixels lay in memory).  fps is one over the median frame's CPU time (see
  ``InterleavedDisplay``); ``ratio_N`` is the median of five runs.  ``mean_ratio_N``: the
  same from the mean frames (every frame's work counted, the cats' chunk work included,
  and a neighbour's bursts too).  ``ratio_chunk1_200``
  and ``ratio_chunk16_200``: the same with shorter chunks (chunk 1 is one message per
  value per frame); ``cold_ratio_N``: a frame of each in turn (each side's caches cold
  from the other's frame, which costs the plain loop more than the components).
  Separate rounds of each (the plain loop alone, then the components alone) moved by
  30% from round to round on this shared machine, so they are not used.
- With ``--model``, the same comparison under valgrind's cachegrind, in estimated cycles
  (``model_ratio_N``): no noise, but a model of a CPU, not one.
- **Idle** (``idle_cpu_pct``): CPU of a process showing an idle window with a few
  widgets, over 3 s, in % of one core (and polling at 60/s throughout).
- **Event flood**: 20,000 mouse-motion events a second drawn on a DrawingBoard: CPU per
  frame with per-frame batches, with one message per event read in bulk, and with one
  message per event read one per timeslice (Kamaelia's idiom).
- **Click latency**: frames (and ms) from a click posted between frames to the Button's
  message, while busy and after the window has gone idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import statistics
import sys
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame

from axon import Component, Graphline, Instrument, Scheduler, run
from components.ui import (
    Button,
    Display,
    DrawingBoard,
    Image,
    KeyEvent,
    Label,
    RequestQuit,
    Textbox,
)

from apps import _art
from apps.bouncing import CHUNK, SIZE, Pictures, make_cat, scene_params
from bench.processes import idle_cpus

RESULTS = Path(__file__).parent / "results"
BACKGROUND = (24, 28, 52)
COUNTS = (50, 100, 200, 500)
BLOCK = 8  # frames of each side in turn (see InterleavedDisplay)


#: What the display does for the components' scene each frame (printed with the figures).
HOW = (
    "each cat is a Graphline of a Sprite and three behaviours that compute 256 frames at a",
    "time; the display plays them inside its compositing loop: per cat per frame it reads",
    "[cx, cy, angle, scale] from one array of doubles (32 adjacent bytes), then rotozoom and",
    "blit as the plain loop does; per frame it calls event.get and its drawing, nothing else,",
    "and the scheduler gives asyncio one turn; the cats' components run once per 256 frames",
    "(eight groups, 32 frames apart).  The plain loop does the same maths inline and the",
    "same event.get / fill / rotozoom / blit / flip; neither side uses Surface.blits.",
)


# -- the scene, two ways --------------------------------------------------------------------------


class Times:
    """Wall-clock and CPU time at the start of every frame from ``first`` to ``last``."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def mark(self, frame: int) -> None:
        if self.first <= frame <= self.last:
            self.wall.append(time.perf_counter())
            self.cpu.append(time.thread_time())

    def fps(self) -> tuple[float, float]:
        """(wall-clock, CPU) frames per second, from the median frame.

        The median frame, not the mean: on a machine shared with others a neighbour's
        burst makes some frames slow, on either side; the scene's own costs are spread
        evenly over its frames (sprites' chunk edges are staggered), so the median keeps
        them.  CPU: time this thread ran (what the fps would be on a core of its own).
        """
        wall = statistics.median(b - a for a, b in zip(self.wall, self.wall[1:]))
        cpu = statistics.median(b - a for a, b in zip(self.cpu, self.cpu[1:]))
        return 1 / wall, 1 / cpu

    def mean_fps(self) -> float:
        """CPU frames per second from the mean frame (every pause included)."""
        return (len(self.cpu) - 1) / (self.cpu[-1] - self.cpu[0])


class PlainScene:
    """The scene of ``n`` cats drawn by a plain pygame loop, one frame per call: the maths
    of Bounce, Spin and Pulse (each coordinate's course folded back at the edges) written
    inline, and the display's transforms and blits.  Give it the components' ``pictures``
    to draw from the same surfaces (see ``interleaved``)."""

    def __init__(self, n: int, pictures: Pictures | None = None) -> None:
        pictures = pictures if pictures is not None else Pictures()
        self.cats: list[list[Any]] = []
        for p in scene_params(n):
            low, high, step = p.pulse
            self.cats.append([pictures(p), p.position[0], p.position[1], p.velocity[0],
                              p.velocity[1], p.start_angle, p.spin, p.start_scale, step,
                              low, high])

    def advance(self) -> None:
        """One frame's maths without drawing (to line the scene up with the components')."""
        for c in self.cats:
            c[1] += c[3]
            c[2] += c[4]
            c[5] = (c[5] + c[6]) % 360.0
            c[7] += c[8]

    def geometry(self, i: int) -> tuple[float, float, float, float]:
        """Cat ``i``'s centre, angle and scale as last drawn."""
        w, h = SIZE
        _, px, py, _, _, a, _, ps, _, low, high = self.cats[i]
        span = high - low
        return (w - abs(px % (w + w) - w), h - abs(py % (h + h) - h), a,
                high - abs((ps - low) % (span + span) - span))

    def frame(self, screen: pygame.Surface) -> None:
        w, h = SIZE
        w2, h2 = w + w, h + h
        rotozoom = pygame.transform.rotozoom
        blit = screen.blit
        pygame.event.get()
        screen.fill(BACKGROUND)
        for c in self.cats:
            img, px, py, vx, vy, a, spin, ps, step, low, high = c
            px += vx
            py += vy
            a = (a + spin) % 360.0
            ps += step
            c[1] = px
            c[2] = py
            c[5] = a
            c[7] = ps
            span = high - low
            x = w - abs(px % w2 - w)
            y = h - abs(py % h2 - h)
            s = high - abs((ps - low) % (span + span) - span)
            out = rotozoom(img, a, s)
            ow, oh = out.get_size()
            blit(out, (x - ow / 2, y - oh / 2))
        pygame.display.flip()


class InterleavedDisplay(Display):
    """The display, running ``block`` frames of the plain loop before every ``block``-th
    of its own: both see the same machine within a fraction of a second (a neighbour's
    burst hits both), and most frames of each run with their own data in the caches.

    Before its first block the plain scene is brought to the step the components' scene
    has reached (checked cat by cat), so the two draw the same pictures, frame for frame:
    a frame's cost depends on the cats' scales and angles (the size of each rotozoom),
    and the plain loop started at step 0 while the components' cats were already 27
    frames on.
    """

    def __init__(self, plain: PlainScene, first: int, last: int, block: int, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plain = plain
        self.first, self.last, self.block = first, last, block
        self.plain_times: list[float] = []
        self.axon_times: list[float] = []
        self._end: float | None = None

    def on_frame(self, number: int) -> None:
        clock = time.thread_time
        t0 = clock()
        if self._end is not None and self.first < number <= self.last:
            self.axon_times.append(t0 - self._end)  # since the end of the last on_frame
        if number == self.first:
            self.align()
        if self.first <= number < self.last and (number - self.first) % self.block == 0:
            if not self.in_step(0):  # (outside both timed stretches)
                raise RuntimeError(f"bench.pygame: the scenes went out of step at {number}")
            assert self.screen is not None
            for _ in range(self.block):
                a = clock()
                self.plain.frame(self.screen)
                self.plain_times.append(clock() - a)
        self._end = clock()

    def align(self) -> None:
        """Advance the plain scene to the components' step; raise if none matches."""
        for _ in range(self.first + 1):
            self.plain.advance()
            if self.in_step(0) and all(self.in_step(i) for i in range(len(self.plain.cats))):
                return
        raise RuntimeError("bench.pygame: the plain scene never matched the components'")

    def in_step(self, i: int) -> bool:
        """Cat ``i`` is drawn at the same place, angle and scale by both."""
        g = self.geometry(i + 1)  # (cat i asked first for a surface: handle i + 1)
        if g is None:
            return False
        x, y, a, s = g
        half = self.plain.cats[i][0].get_width() / 2  # (the display keeps the top left)
        return all(abs(u - v) < 1e-6 for u, v in
                   zip(self.plain.geometry(i), (x + half, y + half, a, s)))


def interleaved(n: int, frames: int, warm: int, chunk: int = CHUNK,
                block: int = BLOCK) -> tuple[float, float, float, float]:
    """(ratio, plain fps, axon fps) from the median frames of one interleaved run, and the
    ratio of the mean frames (every frame's work counted, a neighbour's bursts too)."""
    params = scene_params(n)
    pictures = Pictures()
    cats = [make_cat(p, pictures(p), number=i, chunk=chunk, orders=None)
            for i, p in enumerate(params)]
    # both sides rotozoom the same picture surfaces: two copies of the same pictures, made
    # one after the other, rotozoomed 4% and 7% apart in one process (a loaded run: 25%),
    # and which copy was faster changed from run to run (where their pixels lie): as
    # much as the framework's whole cost
    display = InterleavedDisplay(PlainScene(n, pictures), warm, warm + frames, block, SIZE,
                                 fps=None, frames=warm + frames, background=BACKGROUND)
    run(display, *cats)
    plain = statistics.median(display.plain_times)
    axon = statistics.median(display.axon_times)
    mean = statistics.mean(display.plain_times) / statistics.mean(display.axon_times)
    return plain / axon, 1 / plain, 1 / axon, mean


def plain_fps(n: int, frames: int, warm: int) -> tuple[float, float, float]:
    """The scene in a plain pygame loop on its own (see PlainScene; --model runs it)."""
    scene = PlainScene(n)
    times = Times(warm, warm + frames)
    pygame.display.init()
    screen = pygame.display.set_mode(SIZE)
    try:
        for frame in range(1, warm + frames + 1):
            times.mark(frame)
            scene.frame(screen)
        return (*times.fps(), times.mean_fps())
    finally:
        pygame.display.quit()


class TimedDisplay(Display):
    """The display, noting the time at two of its frames."""

    def __init__(self, times: Times, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.times = times

    def on_frame(self, number: int) -> None:
        self.times.mark(number)


def framework_fps(n: int, frames: int, warm: int,
                  chunk: int = CHUNK) -> tuple[float, float, float]:
    """The scene as components on their own (--model runs it): each cat a Graphline of a
    Sprite, Bounce, Spin and Pulse."""
    params = scene_params(n)
    pictures = Pictures()
    cats = [make_cat(p, pictures(p), number=i, chunk=chunk, orders=None)
            for i, p in enumerate(params)]
    times = Times(warm, warm + frames)
    display = TimedDisplay(times, SIZE, fps=None, frames=warm + frames, background=BACKGROUND)
    run(display, *cats)
    return (*times.fps(), times.mean_fps())


def wait_quiet(seconds: float) -> tuple[float | None, float]:
    """Wait up to ``seconds`` for 90% of the CPUs to sit idle (other people's work on a
    shared machine); (idle CPUs, 1-minute load average) as the wait ended."""
    idle = idle_cpus(0.5)
    deadline = time.monotonic() + seconds
    while (seconds and idle is not None and idle < 0.9 * (os.cpu_count() or 1)
           and time.monotonic() < deadline):
        idle = idle_cpus(0.5)
    return idle, os.getloadavg()[0]


def interleaved_ratios(counts: tuple[int, ...], runs: int, frames: int, warm: int,
                       chunk: int = CHUNK, block: int = BLOCK,
                       quiet: float = 0.0) -> dict[int, dict[str, float]]:
    """Per sprite count: the median of ``runs`` interleaved runs (ratio, fps both ways),
    after waiting up to ``quiet`` seconds for idle CPUs (the load is noted either way)."""
    out: dict[int, dict[str, float]] = {}
    for n in counts:
        k = max(20, 2 * frames * 100 // max(n, 100))
        k -= k % block
        idle, load = wait_quiet(quiet)
        results = [interleaved(n, k, warm, chunk, block) for _ in range(runs)]
        ratio = statistics.median(r[0] for r in results)
        out[n] = {"ratio": ratio, "plain_fps": statistics.median(r[1] for r in results),
                  "axon_fps": statistics.median(r[2] for r in results),
                  "mean_ratio": statistics.median(r[3] for r in results),
                  "load": load, "load_after": os.getloadavg()[0],
                  "runs": [round(r[0], 4) for r in results]}
        runs_text = ", ".join(f"{r[0]:.3f}" for r in results)
        idle_text = "" if idle is None else f", {idle:.1f} CPUs idle"
        print(f"  {n:4d} sprites (chunk {chunk:3d}): plain {out[n]['plain_fps']:7.1f} fps, "
              f"axon {out[n]['axon_fps']:7.1f} fps, ratio {ratio:.3f} [runs {runs_text}]; "
              f"mean frames {out[n]['mean_ratio']:.3f} (load {load:.2f} -> "
              f"{out[n]['load_after']:.2f}{idle_text})", flush=True)
    return out


# -- the same comparison under cachegrind (no noise) ----------------------------------------------

MODEL_PROGRAM = """
import os, sys
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
import bench.pygame as b
side, n, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b.plain_fps(n, frames, 1) if side == "plain" else b.framework_fps(n, frames, 1)
"""


def _cachegrind(side: str, n: int, frames: int) -> float:
    """Estimated cycles of a run under cachegrind: Ir + 10 * D1 misses + 100 * LL misses."""
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", MODEL_PROGRAM, side, str(n), str(frames)],
        capture_output=True, text=True, check=True,
        env=dict(os.environ, PYTHONHASHSEED="0",
                 PYTHONPATH=str(Path(__file__).resolve().parents[1]))).stderr

    def count(label: str) -> int:
        m = re.search(label + r"\s*:\s*([\d,]+)", out)
        if m is None:
            raise RuntimeError(f"no {label} from cachegrind: {out[-500:]}")
        return int(m.group(1).replace(",", ""))

    return count("I   refs") + 10 * count("D1  misses") + 100 * count("LL misses")


def model_ratio(n: int, short: int = 40, long: int = 100) -> float:
    """plain / framework in estimated cycles per frame (two lengths: start-up cancels)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        runs = {(side, k): pool.submit(_cachegrind, side, n, k)
                for side in ("plain", "axon") for k in (short, long)}
        cost = {key: f.result() for key, f in runs.items()}
    plain = cost["plain", long] - cost["plain", short]
    axon = cost["axon", long] - cost["axon", short]
    return plain / axon


# -- idle -----------------------------------------------------------------------------------------


class Stopwatch(Component):
    """Measures process CPU between ``start`` and ``start + seconds``, then quits."""

    Outboxes = {"outbox": "RequestQuit at the end", "signal": "the end"}

    def __init__(self, start: float, seconds: float) -> None:
        super().__init__(name="Stopwatch")
        self.start, self.seconds = start, seconds
        self.cpu_pct = 0.0

    def main(self) -> Generator[Any, Any, None]:
        yield asyncio.sleep(self.start)
        c0, t0 = time.process_time(), time.perf_counter()
        yield asyncio.sleep(self.seconds)
        c1, t1 = time.process_time(), time.perf_counter()
        self.cpu_pct = 100.0 * (c1 - c0) / (t1 - t0)
        self.send(RequestQuit("measured"))


def idle_cpu(seconds: float, idle_fps: float | None = 20.0) -> float:
    """CPU % of one core while a window with widgets sits idle (60 fps when busy)."""
    watch = Stopwatch(1.5, seconds)  # from 1.5 s on: idle for 1 s, so polling slower
    run(Graphline(
        {("watch", "outbox"): ("display", "inbox")},
        display=Display((640, 480), fps=60, idle_fps=idle_fps),
        watch=watch,
        button=Button("Press me", (20, 20)),
        label=Label("idle", (20, 80)),
        box=Textbox((300, 32), (20, 120)),
        keys=KeyEvent({pygame.K_a: "a"}),
        image=Image(_art.scene(0, (200, 150)), (400, 20)),
    ))
    return watch.cpu_pct


# -- the event flood ------------------------------------------------------------------------------


class Flood(Component):
    """Posts ``rate`` mouse-motion events a second, button held, tracing curves over the
    board; after ``warm`` s it measures for ``seconds`` s, then quits."""

    Outboxes = {"outbox": "RequestQuit at the end", "signal": "the end"}

    def __init__(self, rate: int, seconds: float, warm: float, meter: FrameMeter) -> None:
        super().__init__(name="Flood")
        self.rate, self.seconds, self.warm, self.meter = rate, seconds, warm, meter
        self.posted = 0
        self.wall = self.cpu = 0.0
        self.frames = 0

    def main(self) -> Generator[Any, Any, None]:
        yield asyncio.sleep(0.2)
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(200, 150), button=1))
        loop = asyncio.get_running_loop()
        start = loop.time()
        measured = False
        t0 = c0 = 0.0
        k = 0
        display: Any = self.scheduler.services.get("pygame-display")  # type: ignore[union-attr]
        f0 = 0
        while True:
            now = loop.time()
            if not measured and now - start >= self.warm:
                measured = self.meter.on = True
                t0, c0 = time.perf_counter(), time.thread_time()
                f0 = display.statistics().frames
                self.posted = 0
            if now - start >= self.warm + self.seconds:
                break
            due = int((now - start) * self.rate)  # catch up with the clock: the rate holds
            while k < due:
                k += 1
                a = k * 0.01
                pos = (int(200 + 120 * math.cos(a)), int(150 + 100 * math.sin(a * 1.3)))
                pygame.event.post(pygame.event.Event(
                    pygame.MOUSEMOTION, pos=pos, rel=(1, 1), buttons=(1, 0, 0)))
                self.posted += 1
            yield asyncio.sleep(0.004)
        self.meter.on = False
        self.wall = time.perf_counter() - t0
        self.cpu = time.thread_time() - c0 - self.meter.excluded
        self.frames = display.statistics().frames - f0
        self.send(RequestQuit("flood measured"))


class FrameMeter(Instrument):
    """CPU time of the thread while on, less what the timeslices of ``exclude`` took
    (the flood's poster): the display, the board, and the scheduler between them."""

    def __init__(self, exclude: str) -> None:
        self.exclude = exclude
        self.on = False
        self.excluded = 0.0
        self._t0 = 0.0

    def before_timeslice(self, component: Component) -> None:
        self._t0 = time.thread_time()

    def after_timeslice(self, component: Component) -> None:
        if self.on and component.name == self.exclude:
            self.excluded += time.thread_time() - self._t0


class OneAtATimeBoard(DrawingBoard):
    """A DrawingBoard that reads one event message per timeslice (Kamaelia's idiom)."""

    def recv_all(self, box: str = "inbox") -> list[Any]:
        if box == "events":
            return [self.recv("events")] if self.data_ready("events") else []
        return super().recv_all(box)


def flood(mode: str, rate: int, seconds: float) -> dict[str, float]:
    """``mode``: "batched" (a list per frame), "per-event" (a message per event, read in
    bulk) or "one-at-a-time" (a message per event, one read per timeslice)."""
    board = (OneAtATimeBoard if mode == "one-at-a-time" else DrawingBoard)(
        (400, 300), (0, 0), name="board")
    meter = FrameMeter("Flood")
    f = Flood(rate, seconds, 0.5, meter)
    sched = Scheduler()
    sched.add_instrument(meter)
    sched.activate(Graphline({("flood", "outbox"): ("display", "inbox")},
                             display=Display((400, 300), fps=60, batch_events=mode == "batched"),
                             flood=f, board=board))
    sched.run()
    return {"frame_ms": 1000 * f.cpu / max(1, f.frames), "fps": f.frames / f.wall,
            "motions_read": board.motions, "posted": f.posted, "batches_read": board.batches}


# -- click latency --------------------------------------------------------------------------------


class Clicker(Component):
    """Clicks the button at random moments between frames; notes the frames (and ms)
    from the click to the button's message.  With ``pause`` it lets the window go idle
    (no events) before each click."""

    Inboxes = {"inbox": "the button's messages", "control": "the end"}
    Outboxes = {"outbox": "RequestQuit at the end", "signal": "the end"}

    def __init__(self, clicks: int, pause: tuple[float, float]) -> None:
        super().__init__(name="Clicker")
        self.clicks = clicks
        self.pause_range = pause
        self.frames: list[int] = []
        self.ms: list[float] = []

    def main(self) -> Generator[Any, Any, None]:
        display: Any = self.scheduler.services.get("pygame-display")  # type: ignore[union-attr]
        rnd = random.Random(3)
        yield asyncio.sleep(0.2)
        for _ in range(self.clicks):
            yield asyncio.sleep(rnd.uniform(*self.pause_range))
            f0, t0 = display.statistics().frames, time.perf_counter()
            pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(30, 30), button=1))
            while not self.recv_all():
                self.pause()
                yield
            self.frames.append(display.statistics().frames - f0)
            self.ms.append(1000 * (time.perf_counter() - t0))
        self.send(RequestQuit("latency measured"))


def click_latency(clicks: int, pause: tuple[float, float]) -> Clicker:
    c = Clicker(clicks, pause)
    run(Graphline({("button", "outbox"): ("clicker", "inbox"),
                   ("clicker", "outbox"): ("display", "inbox")},
                  display=Display((200, 100), fps=60), button=Button("Go", (10, 10)),
                  clicker=c))
    return c


# -- a picture ------------------------------------------------------------------------------------


def chart(result: dict[str, Any], main: dict[int, dict[str, Any]], path: Path) -> None:
    """fps against sprites, both ways, with the ratios; and the flood's frame times."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    counts = sorted(main)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100,
                                      gridspec_kw={"width_ratios": [3, 2]})
    plain = [main[n]["plain_fps"] for n in counts]
    axon = [main[n]["axon_fps"] for n in counts]
    left.plot(counts, plain, "o-", label="plain pygame loop", color="#555555")
    left.plot(counts, axon, "s-", label=f"Axon components (chunk {result['chunk']})",
              color="#2a6fdb")
    for n, a in zip(counts, axon):
        left.annotate(f"{main[n]['ratio']:.2f}", (n, a), textcoords="offset points",
                      xytext=(6, -14), fontsize=8, color="#2a6fdb")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlim(40, 700)
    left.set_xticks(counts)
    left.set_xticklabels([str(n) for n in counts])
    left.xaxis.set_minor_formatter(NullFormatter())
    left.set_yticks([t for t in (25, 50, 100, 200, 400, 800)
                     if min(axon) / 1.5 <= t <= max(plain) * 1.5])
    left.yaxis.set_major_formatter(ScalarFormatter())
    left.yaxis.set_minor_formatter(NullFormatter())
    left.set_xlabel("sprites (each rotated and scaled every frame)")
    left.set_ylabel("frames per CPU-second (median frame)")
    left.set_title("bouncing cats: Axon's fps / the plain loop's (labels)", fontsize=9)
    left.legend(fontsize=8)
    modes = ["batched", "per_event", "one_at_a_time"]
    times = [result[f"flood_{m}_ms_per_frame"] for m in modes]
    labels = ["one list\na frame", "a message\nper event",
              "a message per\nevent, one a\ntimeslice"]
    right.bar(labels, times, color=["#2a6fdb", "#9bb7e6", "#cccccc"])
    right.set_ylabel("CPU ms per frame (display, board, scheduler)")
    right.set_title("20,000 mouse motions a second into a DrawingBoard", fontsize=9)
    fig.suptitle(f"bench.pygame, SDL {result['driver']} driver, Python {result['python']}, "
                 f"pygame {result['pygame']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(str(path))
    plt.close(fig)


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pygame", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run (a few seconds)")
    ap.add_argument("--runs", type=int, default=None, help="runs per sprite count (5)")
    ap.add_argument("--out", default=str(RESULTS / "pygame.json"), help="where to write JSON")
    ap.add_argument("--model", action="store_true",
                    help="also compare under valgrind's cachegrind (noise-free; a few minutes)")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="before each sprite count, wait up to this long for 90%% of the CPUs "
                         "to be idle (a shared machine); the load average is printed anyway")
    ap.add_argument("--overhead-only", action="store_true",
                    help="only the framework overhead at 100 and 200 sprites (a JSON line, "
                         "nothing written unless --out is given)")
    args = ap.parse_args(argv)
    quick = args.quick
    runs = args.runs or (1 if quick else 5)
    frames, warm = (30, 5) if quick else (150, 30)
    print(f"bench.pygame: video driver {os.environ['SDL_VIDEODRIVER']}, pygame "
          f"{pygame.version.ver}, SDL {'.'.join(map(str, pygame.get_sdl_version()))}, "
          f"{runs} run(s) per figure", flush=True)
    t_start = time.perf_counter()
    load_start = os.getloadavg()[0]
    print(f"framework overhead: fps of the component scene (chunk {CHUNK}) over fps of the "
          f"plain loop, {BLOCK} frames of each in turn (1 / median frame CPU time):",
          flush=True)
    for line in HOW:
        print("  " + line, flush=True)
    if args.overhead_only:
        only = interleaved_ratios((100, 200), runs, frames, warm, quiet=args.wait_quiet)
        brief: dict[str, Any] = {"bench": "pygame", "overhead_only": True, "runs": runs}
        for n, m in only.items():
            brief[f"ratio_{n}"] = round(m["ratio"], 4)
            brief[f"mean_ratio_{n}"] = round(m["mean_ratio"], 4)
            brief[f"runs_{n}"] = m["runs"]
            brief[f"load_{n}"] = round(m["load"], 2)
        if "--out" in (argv if argv is not None else sys.argv):
            Path(args.out).write_text(json.dumps(brief, indent=2) + "\n")
        print(json.dumps(brief), flush=True)
        return 0
    main = interleaved_ratios(COUNTS, runs, frames, warm, quiet=args.wait_quiet)
    print("the same scene with shorter chunks (chunk 1: one message per value per frame):",
          flush=True)
    chunks = {c: interleaved_ratios((200,), max(1, runs // 2), frames, warm, chunk=c)
              for c in ((1,) if quick else (1, 16))}
    print("a frame of each in turn (caches cold for both):", flush=True)
    cold = interleaved_ratios((100, 200), max(1, runs // 2), frames, warm, block=1)
    models: dict[int, float] = {}
    if args.model:
        if shutil.which("valgrind") is None:
            raise SystemExit("--model needs valgrind (apt-get install valgrind)")
        print("the same comparison in cachegrind's estimated cycles (Ir + 10 D1 misses + "
              "100 LL misses), which repeat exactly:", flush=True)
        for n in (100, 200):
            models[n] = model_ratio(n)
            print(f"  {n:4d} sprites: ratio {models[n]:.3f}", flush=True)
    seconds = 0.3 if quick else 3.0
    print(f"idle window (a few widgets, nothing happening, {seconds} s):", flush=True)
    idle = idle_cpu(seconds)
    idle_60 = idle_cpu(seconds, idle_fps=None)
    print(f"  {idle:.2f}% of a core (polling at 20/s once idle); {idle_60:.2f}% polling at "
          "60/s throughout", flush=True)
    print("event flood: 20,000 mouse motions a second drawn on a DrawingBoard "
          "(CPU per frame of the display, the board and the scheduler):", flush=True)
    modes = ("batched", "per-event", "one-at-a-time")
    trials: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    for _ in range(1 if quick else 3):  # the modes in turn, three times: the median of each
        for mode in modes:
            trials[mode].append(flood(mode, 20_000, 0.3 if quick else 1.5))
    floods = {}
    for mode in modes:
        ranked = sorted(trials[mode], key=lambda t: t["frame_ms"])
        f = floods[mode] = ranked[len(ranked) // 2]
        each = ", ".join(f"{t['frame_ms']:.2f}" for t in trials[mode])
        print(f"  {mode:14s}: {f['frame_ms']:6.2f} ms per frame (runs {each}), "
              f"{f['fps']:5.1f} fps, {f['motions_read']} motions read in "
              f"{f['batches_read']} messages", flush=True)
    print("click to message:", flush=True)
    busy = click_latency(5 if quick else 20, (0.02, 0.05))
    idle_clicks = click_latency(1 if quick else 5, (1.3, 1.6))
    print(f"  while busy: {busy.frames} frames ({statistics.median(busy.ms):.1f} ms median); "
          f"after 1.5 s idle: {idle_clicks.frames} frames "
          f"({statistics.median(idle_clicks.ms):.1f} ms median)", flush=True)
    result: dict[str, Any] = {
        "bench": "pygame",
        "driver": os.environ["SDL_VIDEODRIVER"],
        "python": platform.python_version(),
        "pygame": pygame.version.ver,
        "quick": quick,
        "runs": runs,
        "block": BLOCK,
        "chunk": CHUNK,
        "fps_measure": "1 / the median frame's CPU time; 8 frames of each in turn; median "
                       "of runs",
    }
    result["load_average_start"] = round(load_start, 2)
    for n, m in main.items():
        result[f"load_{n}"] = round(m["load"], 2)
        result[f"runs_{n}"] = m["runs"]
    for n, m in main.items():
        result[f"ratio_{n}"] = round(m["ratio"], 4)
        result[f"plain_fps_{n}"] = round(m["plain_fps"], 1)
        result[f"axon_fps_{n}"] = round(m["axon_fps"], 1)
        result[f"mean_ratio_{n}"] = round(m["mean_ratio"], 4)
    for n, m in cold.items():
        result[f"cold_ratio_{n}"] = round(m["ratio"], 4)
    for c, r in chunks.items():
        result[f"ratio_chunk{c}_200"] = round(r[200]["ratio"], 4)
    for n, model in models.items():
        result[f"model_ratio_{n}"] = round(model, 4)
    result["idle_cpu_pct"] = round(idle, 3)
    result["idle_cpu_pct_polling_60"] = round(idle_60, 3)
    for mode, f in floods.items():
        key = mode.replace("-", "_")
        result[f"flood_{key}_ms_per_frame"] = round(f["frame_ms"], 3)
    result["flood_per_event_over_batched"] = round(
        floods["per-event"]["frame_ms"] / floods["batched"]["frame_ms"], 3)
    result["flood_one_at_a_time_over_batched"] = round(
        floods["one-at-a-time"]["frame_ms"] / floods["batched"]["frame_ms"], 3)
    result["click_latency_frames_median"] = statistics.median(busy.frames)
    result["click_latency_frames_max"] = max(busy.frames)
    result["click_latency_ms_median"] = round(statistics.median(busy.ms), 2)
    result["click_latency_after_idle_frames_max"] = max(idle_clicks.frames)
    result["click_latency_after_idle_ms_median"] = round(statistics.median(idle_clicks.ms), 2)
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    result["seconds"] = round(time.perf_counter() - t_start, 1)
    if not quick:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        chart(result, main, out.with_suffix(".png"))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
