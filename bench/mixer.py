"""Benchmark of the audio mixer (``python -m apps.mixer``), run as its own process.

Run: ``python -m bench.mixer`` (``--seconds 60`` by default; ``--seconds 3 --quick`` for a
smoke run).  The last line of output is one JSON object; the full results go to
``bench/results/mixer.json``.

1. **Soak** (``--seconds``): 3 TCP sources fed by paced senders (10 ms chunks on a
   drift-free schedule) and 4 mixes with 0, 1, 2 and 3 of them on, each heard by a TCP
   client.  It measures each mix's real-time accuracy as its client sees it (bytes /
   (elapsed x 176,400); Kamaelia's sketch: 2.7), the input-to-output latency of a marker
   injected into source 1 every half second and found in mix 1's output, the samples
   dropped or inserted (jitter buffers), and the control round trip (``QUERY`` every
   100 ms).  ``latency_ms`` is the median marker (p99 and max beside it), each split at
   the deadline of the frame that carried it (from the marker's place in the stream: the
   mix never drifts): before it, the way in and the jitter buffer; after it, the mixer's
   lateness (``max_late_ms``), the way out and the client.  How many frames each read of
   mix 1 brought shows frames held and sent in lumps (Nagle's algorithm did this, until
   the mix listener turned it off).  The load average is noted: the machine is shared.
2. **CPU sweep** (``--sweep-seconds`` each): 8 / 32 / 64 / 128 TCP sources x 1 / 4 mixes,
   every source on in every mix (at -12 dB: the gain path), senders in a process of their
   own.  The mixer's CPU (its process time, from ``STATS``) per source, and whether it kept
   real time: output rate within 0.5 %, no sample inserted or dropped, under one core.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
RATE = 44_100
CHANNELS = 2
BYTES_PER_SECOND = RATE * CHANNELS * 2
CHUNK_SAMPLES = 441  # 10 ms
CHUNK_SECONDS = CHUNK_SAMPLES / RATE
MARKER = 32_767  # a value the test signal never reaches; the next sample is its number:
MARK_BASE = 2_000  # MARK_BASE + n (the signal stays within +-1000)
MARK_EVERY = 50  # chunks (half a second)
SWEEP_START_MS = 50  # the sweep's jitter buffers: dozens of senders on a shared machine
REALTIME_RANGE = (0.995, 1.005)
TARGETS: dict[str, Any] = {"realtime_ratio": REALTIME_RANGE, "latency_ms": 30.0,
                           "max_sources_4_mixes": 64, "dropped_samples": 0}


def progress(text: str) -> None:
    print(text, flush=True)


# -- the mixer process ------------------------------------------------------------------------


class MixerProcess:
    """``python -m apps.mixer`` with a generated config; its ports read from its output."""

    def __init__(self, config: str, workdir: Path) -> None:
        self.path = workdir / "bench.toml"
        self.path.write_text(config)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "apps.mixer", "--config", str(self.path), "--seconds", "0",
             "--out", str(workdir / "out"), "--no-draw"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ports: dict[tuple[str, str], int] = {}

    def wait_listening(self, count: int, timeout: float = 60.0) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        pattern = re.compile(r"listening: (control port|source (\S+)|mix (\S+)) .*:(\d+)$")
        while len(self.ports) < count:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"the mixer did not start: {self.stop()}")
            line = self.proc.stdout.readline()
            m = pattern.search(line.rstrip())
            if m:
                kind = "control" if m.group(1) == "control port" else (
                    "source" if m.group(2) else "mix")
                name = m.group(2) or m.group(3) or "control"
                self.ports[(kind, name)] = int(m.group(4))

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                _, err = self.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                _out, err = self.proc.communicate()
            return err
        return self.proc.stderr.read() if self.proc.stderr else ""


def mixer_config(sources: list[str], mixes: dict[str, list[str]], gain_db: float = 0.0,
                 start_ms: float | None = None) -> str:
    lines = [f"[buffer]\nstart_ms = {start_ms}\ncap_ms = {10 * start_ms}"] if start_ms else []
    lines += ["[sources]"] + [f'{s} = "0"' for s in sources]
    for name, on in mixes.items():
        lines += [f"[mixes.{name}]", f"sources = {json.dumps(on)}", "listen = [0]"]
        if gain_db and on:
            lines.append("gain = { " + ", ".join(f"{s} = {gain_db}" for s in on) + " }")
    return "\n".join(lines) + "\n"


# -- clients -----------------------------------------------------------------------------------


class Control:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> Control:
        return cls(*await asyncio.open_connection(HOST, port))

    async def ask(self, command: str) -> tuple[str, float]:
        t = time.perf_counter()
        self.writer.write(command.encode() + b"\n")
        line = await asyncio.wait_for(self.reader.readline(), 30)
        return line.decode().strip(), time.perf_counter() - t

    async def stats(self, target: str | None = None) -> dict[str, float]:
        reply, _ = await self.ask("STATS" + (f" {target}" if target else ""))
        if not reply.startswith("OK"):
            raise RuntimeError(reply)
        out: dict[str, float] = {}
        for item in reply.split()[1:]:
            key, _, value = item.partition("=")
            try:
                out[key] = float(value)
            except ValueError:
                pass
        return out


@dataclass
class Listener:
    """A TCP client of one mix: counts bytes and times; finds markers."""

    port: int
    find_markers: bool = False
    received: int = 0  # bytes
    first: float | None = None  # time.monotonic() of the first read
    first_bytes: int = 0
    last: float = 0.0
    markers: dict[int, float] = field(default_factory=dict)  # marker number -> arrival time
    offsets: dict[int, int] = field(default_factory=dict)  # marker number -> byte in stream
    reads: list[tuple[float, int]] = field(default_factory=list)  # (time, bytes so far)
    closed: bool = False  # the mixer closed it (it fell behind: dropped as a slow client)
    task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.port)
        carry = b""
        try:
            while data := await reader.read(1 << 16):
                now = time.monotonic()
                if self.first is None:
                    self.first, self.first_bytes = now, len(data)
                self.received += len(data)
                self.last = now
                self.reads.append((now, self.received))
                if self.find_markers:
                    carry = self._find_markers(carry + data, now,
                                               self.received - len(data) - len(carry))
            self.closed = True
        except ConnectionError:
            self.closed = True
        finally:
            writer.close()

    def _find_markers(self, buf: bytes, now: float, start: int) -> bytes:
        """Note each marker (its number is in the next sample) in whole samples of ``buf``
        (byte ``start`` of the stream on); returns what to look at again with the next read."""
        whole = len(buf) - len(buf) % 4
        left = np.frombuffer(buf[:whole], "<i2")[0::2]
        for i in np.flatnonzero(left == MARKER):
            if i + 1 >= len(left):  # its number has not come yet
                return buf[4 * int(i):]
            n = int(left[i + 1]) - MARK_BASE
            self.markers.setdefault(n, now)
            self.offsets.setdefault(n, start + 4 * int(i))
        return buf[whole:]

    def first_deadline(self) -> float:
        """When this client's first frame fell due, as it sees it: the mix emits its frame
        ``j`` at ``t0 + j * CHUNK_SECONDS`` (never drifting), so a read that ends with frame
        ``j`` came at or after that; the quickest read pins ``t0`` (plus the least delivery
        time, tens of microseconds on loopback)."""
        return min(t - b / BYTES_PER_SECOND for t, b in self.reads) + CHUNK_SECONDS

    def frames_per_read(self) -> dict[int, int]:
        """How many reads brought 1, 2, 3... frames: frames arriving in lumps were held."""
        frame_bytes = BYTES_PER_SECOND * CHUNK_SECONDS
        counts: dict[int, int] = {}
        before = 0
        for _, b in self.reads:
            n = max(1, round((b - before) / frame_bytes))
            counts[n] = counts.get(n, 0) + 1
            before = b
        return dict(sorted(counts.items()))

    def ratio_between(self, t1: float, t2: float) -> float:
        """The output rate between the first read after ``t1`` and the last before ``t2``."""
        inside = [(t, b) for t, b in self.reads if t1 <= t <= t2]
        if len(inside) < 2:
            return 0.0
        (ta, ba), (tb, bb) = inside[0], inside[-1]
        return (bb - ba) / ((tb - ta) * BYTES_PER_SECOND)

    def ratio(self) -> float | None:
        if self.first is None or self.last <= self.first:
            return None
        return (self.received - self.first_bytes) / ((self.last - self.first) * BYTES_PER_SECOND)


def chunk_for(source: int, k: int) -> bytes:
    """Chunk ``k`` of paced source ``source``: a quiet tone; source 0 carries a marker."""
    n = np.arange(k * CHUNK_SAMPLES, (k + 1) * CHUNK_SAMPLES)
    x = np.rint(1000 * np.sin(2 * np.pi * (200 + 100 * source) * n / RATE)).astype(np.int16)
    if source == 0 and k % MARK_EVERY == 0:
        x[0] = MARKER
    return np.repeat(x, CHANNELS).astype("<i2").tobytes()


async def paced_senders(ports: list[int], seconds: float, sent_marks: list[float] | None = None,
                        *, start_at: float | None = None) -> int:
    """One connection per port; a 10 ms chunk to each, every 10 ms on a drift-free schedule;
    marker ``n`` (every MARK_EVERY chunks of the first port) sent at ``sent_marks[n]``.
    Returns the chunks that were sent late by more than one chunk period."""
    conns = [await asyncio.open_connection(HOST, p) for p in ports]
    writers = [w for _, w in conns]
    chunks = {i: [chunk_for(i, k) for k in range(MARK_EVERY)] for i in range(min(3, len(ports)))}
    quiet = chunk_for(5, 0)
    t0 = (start_at or time.monotonic()) + 0.05
    late = 0
    k = 0
    total = int(seconds / CHUNK_SECONDS)
    while k < total:
        due = t0 + k * CHUNK_SECONDS
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -CHUNK_SECONDS:
            late += 1
        for i, w in enumerate(writers):
            data = chunks[i][k % MARK_EVERY] if i in chunks else quiet
            if i == 0 and k % MARK_EVERY == 0:  # the marker's number, after it
                n = MARK_BASE + k // MARK_EVERY
                data = data[:4] + np.array([n, n], "<i2").tobytes() + data[8:]
            w.write(data)
        if sent_marks is not None and k % MARK_EVERY == 0:
            sent_marks.append(time.monotonic())
        k += 1
    for w in writers:
        w.close()
    return late


def _sender_process(ports: list[int], seconds: float, start_at: float | None) -> None:
    marks: list[float] = []
    late = asyncio.run(paced_senders(ports, seconds, marks, start_at=start_at))
    print(json.dumps({"late_chunks": late, "marks": marks}), flush=True)


def start_senders(ports: list[int], seconds: float,
                  start_at: float | None) -> subprocess.Popen[str]:
    """The paced senders, in a process of their own (their stalls are not the mixer's);
    ``start_at`` None: as soon as connected (no burst to catch up a slow start)."""
    return subprocess.Popen(
        [sys.executable, "-c", "import sys, json; from bench.mixer import _sender_process; "
         "_sender_process(*json.loads(sys.argv[1]))", json.dumps([ports, seconds, start_at])],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True)


def senders_report(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=60)
    lines = out.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"late_chunks": None, "marks": []}


# -- 1. the soak --------------------------------------------------------------------------------


def split(values: list[float]) -> dict[str, Any]:
    """One part of the marker latency: its series, p50, p99 and max."""
    return {"series": [round(x, 2) for x in values], "p50": percentile(values, 50),
            "p99": percentile(values, 99), "max": max(values) if values else None}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))]


async def soak(seconds: float, workdir: Path) -> dict[str, Any]:
    mixes = {"m0": [], "m1": ["s1"], "m2": ["s1", "s2"], "m3": ["s1", "s2", "s3"]}
    mixer = MixerProcess(mixer_config(["s1", "s2", "s3"], mixes), workdir)
    try:
        mixer.wait_listening(1 + 3 + 4)
        ctl = await Control.connect(mixer.ports[("control", "control")])
        listeners = {m: Listener(mixer.ports[("mix", m)], find_markers=(m == "m1"))
                     for m in mixes}
        for lst in listeners.values():
            lst.task = asyncio.ensure_future(lst.run())
        await asyncio.sleep(0.2)
        before = {m: await ctl.stats(m) for m in mixes}
        load = [os.getloadavg()[0]]
        sending = start_senders([mixer.ports[("source", s)] for s in ("s1", "s2", "s3")],
                                seconds, None)
        rtts: list[float] = []
        t_end = time.monotonic() + seconds + 0.3
        next_progress = time.monotonic() + 10
        while time.monotonic() < t_end:
            _, rtt = await ctl.ask("QUERY m3 ALL")
            rtts.append(rtt * 1000)
            await asyncio.sleep(0.1)
            if time.monotonic() >= next_progress:
                next_progress += 10
                load.append(os.getloadavg()[0])
                progress(f"  soak: {seconds - (t_end - time.monotonic()):.0f} of {seconds:g} s")
        sent = await asyncio.get_running_loop().run_in_executor(None, senders_report, sending)
        late_sends, marks = sent["late_chunks"], sent["marks"]
        await asyncio.sleep(0.3)
        after = {m: await ctl.stats(m) for m in mixes}
        whole = await ctl.stats()
        for lst in listeners.values():
            assert lst.task is not None
            lst.task.cancel()
    finally:
        mixer.stop()
    # each marker: its send time, and the arrival of the mix 1 frame that carried it; split
    # at that frame's deadline: before it, the way in and the jitter buffer; after it, the
    # mixer's lateness, the way out and the client (where Nagle's algorithm held frames)
    m1 = listeners["m1"]
    arrivals = m1.markers
    found = [n for n in range(len(marks)) if n in arrivals]
    latencies = [(arrivals[n] - marks[n]) * 1000 for n in found]
    t0 = m1.first_deadline() if m1.reads else 0.0
    frame_bytes = round(BYTES_PER_SECOND * CHUNK_SECONDS)
    deadlines = {n: t0 + (m1.offsets[n] // frame_bytes) * CHUNK_SECONDS for n in found}
    to_deadline = [(deadlines[n] - marks[n]) * 1000 for n in found]
    after_deadline = [(arrivals[n] - deadlines[n]) * 1000 for n in found]

    def delta(m: str, key: str) -> int:
        return int(after[m].get(key, 0) - before[m].get(key, 0))

    per_mix = {m: {"sources_on": len(on), "realtime_ratio": listeners[m].ratio(),
                   "mixer_realtime": after[m].get("realtime"),
                   "bytes_heard": listeners[m].received,
                   "inserted_samples": delta(m, "inserted"),
                   "dropped_samples": delta(m, "dropped"), "underruns": delta(m, "underruns"),
                   "trimmed_samples": delta(m, "trimmed"),
                   "client_dropped": listeners[m].closed,
                   "late_wakes": delta(m, "late_wakes"), "skipped_frames": delta(m, "skipped"),
                   "max_late_ms": after[m].get("max_late_ms")}
               for m, on in mixes.items()}
    return {
        "seconds": seconds,
        "mixes": per_mix,
        "latency_ms": {"markers": len(marks), "found": len(latencies),
                       # not heard: trimmed with the audio around it, or not out by the end
                       "missing": [n for n in range(len(marks)) if n not in arrivals],
                       "series": [round(x, 2) for x in latencies],
                       "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
                       "max": max(latencies) if latencies else None,
                       "to_frame_deadline": split(to_deadline),
                       "after_frame_deadline": split(after_deadline)},
        "frames_per_read_m1": m1.frames_per_read(),
        "control_rtt_ms": {"count": len(rtts), "p50": percentile(rtts, 50),
                           "p99": percentile(rtts, 99), "max": max(rtts) if rtts else None},
        "sender_late_chunks": late_sends,
        "mixer_cpu_fraction": whole.get("cpu_s", 0) / whole["uptime_s"],
        "load_average": load,  # 1-minute, at the start and every 10 s
    }


# -- 2. the CPU sweep ----------------------------------------------------------------------------


async def cpu_run(n: int, m: int, seconds: float, workdir: Path) -> dict[str, Any]:
    sources = [f"s{i}" for i in range(n)]
    mixes = {f"m{j}": list(sources) for j in range(m)}
    mixer = MixerProcess(mixer_config(sources, mixes, gain_db=-12.0, start_ms=SWEEP_START_MS),
                         workdir)
    sender: subprocess.Popen[str] | None = None
    try:
        mixer.wait_listening(1 + n + m)
        ctl = await Control.connect(mixer.ports[("control", "control")])
        listeners = [Listener(mixer.ports[("mix", name)]) for name in mixes]
        for lst in listeners:
            lst.task = asyncio.ensure_future(lst.run())
        warm = 1.0
        ports = [mixer.ports[("source", s)] for s in sources]
        sender = start_senders(ports, warm + seconds + 2.0, None)
        deadline = time.monotonic() + 30
        while (await ctl.stats())["bytes_in"] == 0:  # the senders are up
            if time.monotonic() > deadline:
                raise RuntimeError("the senders did not start")
            await asyncio.sleep(0.05)
        await asyncio.sleep(warm)
        s1 = {name: await ctl.stats(name) for name in mixes}
        w1 = await ctl.stats()
        t1 = time.monotonic()
        await asyncio.sleep(seconds)
        s2 = {name: await ctl.stats(name) for name in mixes}
        w2 = await ctl.stats()
        t2 = time.monotonic()
        late = senders_report(sender)["late_chunks"]
        for lst in listeners:
            assert lst.task is not None
            lst.task.cancel()
    finally:
        if sender is not None and sender.poll() is None:
            sender.kill()
        mixer.stop()
    cpu = (w2["cpu_s"] - w1["cpu_s"]) / (w2["uptime_s"] - w1["uptime_s"])
    ratios = [lst.ratio_between(t1, t2) for lst in listeners]
    inserted = sum(int(s2[k]["inserted"] - s1[k]["inserted"]) for k in mixes)
    dropped = sum(int(s2[k]["dropped"] - s1[k]["dropped"]) for k in mixes)
    skipped = sum(int(s2[k]["skipped"] - s1[k]["skipped"]) for k in mixes)
    late_wakes = sum(int(s2[k]["late_wakes"] - s1[k]["late_wakes"]) for k in mixes)
    trimmed = sum(int(s2[k]["trimmed"] - s1[k]["trimmed"]) for k in mixes)
    clients_dropped = sum(lst.closed for lst in listeners)
    lo, hi = REALTIME_RANGE
    # real time: the mix kept the clock within 0.5 %, lost nothing and skipped nothing, with
    # a core to spare; "clean" also had no underrun (no late audio from the senders, which
    # share this machine's two cores with the mixer and with everything else running)
    realtime = (all(lo <= r <= hi for r in ratios) and dropped == 0 and skipped == 0
                and cpu < 0.9 and not clients_dropped)
    return {"sources": n, "mixes": m, "cpu_fraction": cpu, "cpu_pct_per_source": 100 * cpu / n,
            "output_ratio_min": min(ratios), "output_ratio_max": max(ratios),
            "inserted_samples": inserted, "dropped_samples": dropped, "skipped_frames": skipped,
            "trimmed_samples": trimmed, "clients_dropped": clients_dropped,
            "late_wakes": late_wakes, "sender_late_chunks": late, "realtime": realtime,
            "clean": realtime and inserted == 0,
            "max_late_ms": max(s2[k].get("max_late_ms", 0) for k in mixes),
            "load_average": os.getloadavg()[0]}


def plot(sweep: list[dict[str, Any]], soaked: dict[str, Any], path: Path) -> Path | None:
    """CPU of the mixer process against sources, per mix count; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    for m, colour in ((1, "#1f77b4"), (4, "#d62728")):
        runs = [r for r in sweep if r["mixes"] == m]
        if not runs:
            continue
        xs = [r["sources"] for r in runs]
        ys = [100 * r["cpu_fraction"] for r in runs]
        ax.plot(xs, ys, marker="o", color=colour, label=f"{m} mix{'es' if m > 1 else ''}")
        for r, x, y in zip(runs, xs, ys, strict=True):
            if not r["realtime"]:
                ax.plot([x], [y], marker="x", color="black", markersize=9)
    ax.axhline(100, color="#888888", linestyle="--", linewidth=1)
    ax.text(90, 102, "one core", color="#666666", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_xticks([8, 16, 32, 64, 128])
    ax.set_xticklabels(["8", "16", "32", "64", "128"])
    ax.set_ylim(0, 110)
    ax.set_xlabel("TCP sources, paced at 44.1 kHz stereo (each on in every mix)")
    ax.set_ylabel("mixer process CPU, % of a core")
    ax.set_title("python -m bench.mixer: CPU against sources (x: missed real time)",
                 fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# -- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    # this process times the mixer's output: its own garbage-collection pauses (which grow
    # with the reads it keeps) would show as latency spikes that are not the mixer's
    gc.disable()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="soak length (default 60)")
    ap.add_argument("--sweep-seconds", type=float, default=6.0,
                    help="measuring window of each CPU run (default 6)")
    ap.add_argument("--sources", default="8,32,64,128", help="CPU sweep source counts")
    ap.add_argument("--mixes", default="1,4", help="CPU sweep mix counts")
    ap.add_argument("--quick", action="store_true", help="a smoke run: --sources 8 --mixes 1")
    ap.add_argument("--output", type=Path, default=RESULTS / "mixer.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.sources, args.mixes = "8", "1"
    counts = [int(x) for x in args.sources.split(",")]
    mix_counts = [int(x) for x in args.mixes.split(",")]

    progress(f"bench.mixer: soak of {args.seconds:g} s (3 paced TCP sources, 4 mixes with "
             "0-3 sources on)")
    with tempfile.TemporaryDirectory() as tmp:
        soaked = asyncio.run(soak(args.seconds, Path(tmp)))
    for name, m in soaked["mixes"].items():
        progress(f"  {name}: {m['sources_on']} on  real-time {m['realtime_ratio']:.5f}  "
                 f"inserted {m['inserted_samples']}  dropped {m['dropped_samples']}  trimmed "
                 f"{m['trimmed_samples']}" + ("  CLIENT DROPPED" if m["client_dropped"] else ""))
    lat, rtt = soaked["latency_ms"], soaked["control_rtt_ms"]
    over = sum(x > TARGETS["latency_ms"] for x in lat["series"])
    progress(f"  latency (marker, {lat['found']}/{lat['markers']}): p50 {lat['p50']:.1f} ms, "
             f"p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms; {over} over "
             f"{TARGETS['latency_ms']:g} ms; the mixer's latest frame "
             f"{max(m['max_late_ms'] or 0 for m in soaked['mixes'].values()):.0f} ms late; "
             f"load average {min(soaked['load_average']):.1f}-{max(soaked['load_average']):.1f}")
    before, after = lat["to_frame_deadline"], lat["after_frame_deadline"]
    if lat["found"]:
        progress(f"    to its frame's deadline (way in, jitter buffer): p50 {before['p50']:.1f} ms, "
                 f"p99 {before['p99']:.1f} ms; after it (mixer late, way out, client): p50 "
                 f"{after['p50']:.1f} ms, p99 {after['p99']:.1f} ms; reads of m1 by frames: "
                 f"{soaked['frames_per_read_m1']}")
    progress(f"  control round trip ({rtt['count']}): p50 {rtt['p50']:.2f} ms, "
             f"p99 {rtt['p99']:.2f} ms;  mixer CPU {soaked['mixer_cpu_fraction'] * 100:.1f}% "
             "of a core")

    progress(f"CPU sweep: {args.sources} sources x {args.mixes} mixes, "
             f"{args.sweep_seconds:g} s each")
    sweep = []
    for m in mix_counts:
        for n in counts:
            with tempfile.TemporaryDirectory() as tmp:
                r = asyncio.run(cpu_run(n, m, args.sweep_seconds, Path(tmp)))
            sweep.append(r)
            progress(f"  {n:4d} sources x {m} mixes: CPU {r['cpu_fraction'] * 100:5.1f}% "
                     f"({r['cpu_pct_per_source']:.2f}% per source)  out "
                     f"{r['output_ratio_min']:.4f}-{r['output_ratio_max']:.4f}  inserted "
                     f"{r['inserted_samples']}  dropped {r['dropped_samples']}  late ticks "
                     f"{r['late_wakes']} (max {r['max_late_ms']:.0f} ms)  late sends "
                     f"{r['sender_late_chunks']}  trimmed {r['trimmed_samples']}  clients "
                     f"dropped {r['clients_dropped']}  load {r['load_average']:.1f}  "
                     f"{'real time' if r['realtime'] else 'NOT real time'}"
                     f"{', clean' if r['clean'] else ''}")

    ratios = [m["realtime_ratio"] for m in soaked["mixes"].values() if m["realtime_ratio"]]
    worst = max(ratios, key=lambda r: abs(r - 1)) if ratios else None
    four = [r["sources"] for r in sweep if r["mixes"] == 4 and r["realtime"]]
    four_clean = [r["sources"] for r in sweep if r["mixes"] == 4 and r["clean"]]
    summary = {
        "realtime_ratio": worst,
        "realtime_ratio_per_mix": {k: m["realtime_ratio"] for k, m in soaked["mixes"].items()},
        "latency_ms": lat["p50"],  # the typical marker; the tail is below, and in the series
        "latency_ms_p99": lat["p99"],
        "latency_ms_max": lat["max"],
        "max_sources_4_mixes": max(four) if four else 0,
        "max_sources_4_mixes_no_underrun": max(four_clean) if four_clean else 0,
        "cpu_fraction_64x4": next((r["cpu_fraction"] for r in sweep
                                   if (r["sources"], r["mixes"]) == (64, 4)), None),
        # every sample received and not played: at the cap, or trimmed (latency after a gap)
        "dropped_samples": sum(m["dropped_samples"] + m["trimmed_samples"]
                               for m in soaked["mixes"].values()),
        "inserted_samples": sum(m["inserted_samples"] for m in soaked["mixes"].values()),
        "trimmed_samples": sum(m["trimmed_samples"] for m in soaked["mixes"].values()),
        "load_average": os.getloadavg()[0],
        "control_rtt_ms_p50": rtt["p50"],
        "control_rtt_ms_p99": rtt["p99"],
        "cpu_pct_per_source": {f"{r['sources']}x{r['mixes']}": round(r["cpu_pct_per_source"], 3)
                               for r in sweep},
        "soak_seconds": args.seconds,
    }
    lo, hi = REALTIME_RANGE
    met = {
        "realtime_ratio": all(lo <= r <= hi for r in ratios) and len(ratios) == 4,
        "latency_ms": lat["p50"] is not None and lat["p50"] <= TARGETS["latency_ms"],
        "max_sources_4_mixes": summary["max_sources_4_mixes"] >= TARGETS["max_sources_4_mixes"],
        "dropped_samples": summary["dropped_samples"] == 0,
    }
    results = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                           "platform": platform.platform()},
               "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "targets": TARGETS, "met": met,
               "soak": soaked, "sweep": sweep, "summary": summary}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    chart = plot(sweep, soaked, args.output.with_suffix(".png"))
    if chart is not None:
        progress(f"chart: {chart}")
    progress("targets met: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in met.items()))
    print(json.dumps(summary))
    return results


if __name__ == "__main__":
    main()
