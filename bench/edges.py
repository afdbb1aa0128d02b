"""Backpressure and containment at the I/O edges: what a peer, a child process or a caller
can make a system hold, and what a stalled edge costs while it waits.

Run: ``python -m bench.edges`` (``--quick`` for a smoke run, ``--only NAME`` for one
scenario, ``--soak SECONDS`` for the reconnecting-clients soak).  Prints a table and
writes ``bench/results/edges.json`` (``--out`` to write elsewhere).  Linux only (it reads
``/proc``); loopback only (127.0.0.1).

Scenarios (each system runs in a fresh interpreter whose RSS and CPU time this process
samples from ``/proc``):

- ``slow-protocol``: one client sends 200 MB into a TCPServer whose protocol takes
  100 MB/s.  Figure: the server's RSS growth (peak minus its idle size).
- ``slow-consumer``: a ``Subprocess`` child writes 100 MB to a consumer that takes
  100 MB/s through an inbox bounded to 4 with ``block``.  Figure: RSS growth.
- ``non-reading``: 100 clients each send up to 24 MB to an echo server and never read the
  echo (more than the kernel's socket buffers on loopback hold, about 10 MB a connection).
  Figures: the server's RSS growth, and its CPU use while everything waits.
- ``handle``: plain code puts 200,000 messages through a ``Handle`` into a system that
  takes 50,000 a second.  Figure: the most messages put and not yet taken by the system
  (waiting in the handle or in the system's inbox).
- ``soak`` (with ``--soak``): 50 clients connect, echo a line and disconnect, again and
  again, to a server whose ``events`` outbox nobody reads.  Figures: RSS and open file
  descriptors at the start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import multiprocessing as mp
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
HOST = "127.0.0.1"
MB = 1_000_000
_CTX = mp.get_context("spawn")  # a fresh interpreter per system: clean RSS figures
_TICK = os.sysconf("SC_CLK_TCK")


# -- reading a process from /proc ----------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / MB
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time used by ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class Sampler:
    """Samples a process's RSS every ``every`` seconds in a thread; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.01) -> None:
        self.pid = pid
        self.every = every
        self.peak = 0.0
        self.last = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.last = rss_mb(self.pid)
            except (OSError, RuntimeError):
                return  # the process has ended
            self.peak = max(self.peak, self.last)
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- the systems under test (each runs in a child interpreter) ------------------------------


def _slow_sink(rate: float, *, batches: bool = False) -> Any:
    """A component that takes one message at a time (or, with ``batches``, all that wait)
    at ``rate`` bytes (or items) a second."""
    from axon import Component, ProducerFinished

    class SlowSink(Component):
        def main(self):  # type: ignore[override]
            while True:
                while self.data_ready():
                    msgs = self.recv_all() if batches else [self.recv()]
                    size = sum(len(m) if isinstance(m, (bytes, bytearray)) else 1
                               for m in msgs)
                    yield asyncio.sleep(size / rate)
                if self.finished():
                    break
                self.pause()
                yield
            self.send(ProducerFinished(), "signal")

    return SlowSink()


def _serve(port_q: Any, protocol: str, rate: float) -> None:
    """A TCPServer in this process; reports its pid and port, then serves for ever."""
    from axon import Pipeline, Scheduler
    from components import LineJoiner, LineSplitter, Map, TCPServer

    def factory() -> Any:
        if protocol == "slow":
            return _slow_sink(rate)
        if protocol == "echo":
            return Map(bytes)
        return Pipeline(LineSplitter(), LineJoiner())  # "lines"

    server = TCPServer(factory, host=HOST, port=0)

    async def main() -> None:
        sched = Scheduler()
        sched.activate(server)
        task = asyncio.ensure_future(sched.run_async())
        while not server.address:
            await asyncio.sleep(0.001)
        port_q.put((os.getpid(), server.address[1]))
        await task

    asyncio.run(main())


def _child_into_slow_consumer(q: Any, go: Any, megabytes: int, rate: float) -> None:
    from axon import Pipeline, run
    from components import IterableSource, Subprocess

    sink = _slow_sink(rate)
    sink.set_bound("inbox", 4, "block")
    system = Pipeline(IterableSource([]),
                      Subprocess(["head", "-c", str(megabytes * MB), "/dev/zero"]), sink)
    q.put(os.getpid())
    go.wait()
    t0 = time.perf_counter()
    run(system, timeout=600)
    q.put(time.perf_counter() - t0)


def _handle_into_slow_system(q: Any, go: Any, count: int, rate: float) -> None:
    from axon import Handle

    kwargs: dict[str, Any] = {}
    if "maxsize" in inspect.signature(Handle).parameters:
        kwargs["maxsize"] = 100  # the bounded mode (absent before issue 11)
    q.put(os.getpid())
    go.wait()
    sink = _slow_sink(rate, batches=True)
    h = Handle(sink, **kwargs)
    inbox = sink.inboxes["inbox"].queue

    def waiting() -> int:  # put and not yet taken by the system: in the handle, or its inbox
        pend = h._pending
        held = sum(len(d) for d in pend.values()) if isinstance(pend, dict) else len(pend)
        return held + len(inbox)

    most = 0
    t0 = time.perf_counter()
    for i in range(count):
        h.put(i)
        if i % 100 == 0:
            most = max(most, waiting())
    put_s = time.perf_counter() - t0
    h.scheduler.call_threadsafe(h.scheduler.shutdown)
    h._thread.join(30)
    q.put({"most_waiting": most, "put_seconds": put_s,
           "bounded_mode": bool(kwargs)})


def _start_server(protocol: str, rate: float = 0.0) -> tuple[Any, int, int]:
    q: Any = _CTX.Queue()
    proc = _CTX.Process(target=_serve, args=(q, protocol, rate), daemon=True)
    proc.start()
    pid, port = q.get(timeout=60)
    return proc, pid, port


def _stop(proc: Any) -> None:
    proc.terminate()
    proc.join(10)
    if proc.is_alive():
        proc.kill()
        proc.join()


# -- the scenarios --------------------------------------------------------------------------


def slow_protocol(megabytes: int = 200, rate: float = 100 * MB) -> dict[str, Any]:
    """One client sends ``megabytes`` into a protocol taking ``rate`` bytes a second."""
    proc, pid, port = _start_server("slow", rate)
    try:
        time.sleep(0.3)
        base = rss_mb(pid)

        async def client() -> tuple[float, float]:
            reader, writer = await asyncio.open_connection(HOST, port)
            block = b"x" * MB
            t0 = time.perf_counter()
            for _ in range(megabytes):
                writer.write(block)
                await writer.drain()
            accepted = time.perf_counter() - t0
            writer.write_eof()
            await asyncio.wait_for(reader.read(), 600)
            writer.close()
            return accepted, time.perf_counter() - t0

        with Sampler(pid) as s:
            accepted, total = asyncio.run(client())
        return {"rss_growth_mb": s.peak - base, "accepted_s": accepted, "total_s": total,
                "megabytes": megabytes, "protocol_mb_per_s": rate / MB}
    finally:
        _stop(proc)


def slow_consumer(megabytes: int = 100, rate: float = 100 * MB) -> dict[str, Any]:
    """A child writes ``megabytes`` to a consumer taking ``rate`` bytes a second."""
    q: Any = _CTX.Queue()
    go = _CTX.Event()
    proc = _CTX.Process(target=_child_into_slow_consumer, args=(q, go, megabytes, rate),
                        daemon=True)
    proc.start()
    try:
        pid = q.get(timeout=60)
        time.sleep(0.3)
        base = rss_mb(pid)
        with Sampler(pid) as s:
            go.set()
            elapsed = q.get(timeout=600)
        return {"rss_growth_mb": s.peak - base, "total_s": elapsed, "megabytes": megabytes,
                "consumer_mb_per_s": rate / MB}
    finally:
        _stop(proc)


def non_reading(clients: int = 100, megabytes_each: int = 24, settle: float = 15.0,
                window: float = 3.0) -> dict[str, Any]:
    """``clients`` send ``megabytes_each`` to an echo server and never read the echo."""
    proc, pid, port = _start_server("echo")
    try:
        time.sleep(0.3)
        base = rss_mb(pid)

        async def load() -> dict[str, Any]:
            conns = [await asyncio.open_connection(HOST, port) for _ in range(clients)]
            block = b"y" * (64 * 1024)
            sent = [0] * clients

            async def send(i: int, writer: asyncio.StreamWriter) -> None:
                for _ in range(megabytes_each * MB // len(block)):
                    writer.write(block)
                    await writer.drain()  # returns as fast as the server takes it
                    sent[i] += len(block)

            senders = [asyncio.ensure_future(send(i, w)) for i, (_, w) in enumerate(conns)]
            # let the server take what it will, until its RSS stops growing
            t0 = time.perf_counter()
            last, still = rss_mb(pid), 0
            while time.perf_counter() - t0 < settle and still < 5:
                await asyncio.sleep(0.2)
                now = rss_mb(pid)
                still = still + 1 if abs(now - last) < 1.0 else 0
                last = now
            cpu0, w0 = cpu_seconds(pid), time.perf_counter()
            await asyncio.sleep(window)
            cpu = (cpu_seconds(pid) - cpu0) / (time.perf_counter() - w0)
            held = sum(w.transport.get_write_buffer_size() for _, w in conns)
            for task in senders:
                task.cancel()
            for _, writer in conns:
                writer.transport.abort()
            return {"cpu_percent_waiting": 100 * cpu,
                    "taken_by_server_mb": (sum(sent) - held) / MB}

        with Sampler(pid) as s:
            got = asyncio.run(load())
        return {"rss_growth_mb": s.peak - base, "clients": clients,
                "megabytes_each": megabytes_each, **got}
    finally:
        _stop(proc)


def handle(count: int = 200_000, rate: float = 50_000) -> dict[str, Any]:
    """Plain code puts ``count`` messages into a system taking ``rate`` a second."""
    q: Any = _CTX.Queue()
    go = _CTX.Event()
    proc = _CTX.Process(target=_handle_into_slow_system, args=(q, go, count, rate),
                        daemon=True)
    proc.start()
    try:
        pid = q.get(timeout=60)
        time.sleep(0.3)
        base = rss_mb(pid)
        with Sampler(pid) as s:
            go.set()
            got = q.get(timeout=600)
        return {"rss_growth_mb": s.peak - base, "count": count, **got}
    finally:
        _stop(proc)


def soak(seconds: float = 30.0, clients: int = 50, warmup: float = 3.0) -> dict[str, Any]:
    """``clients`` reconnect again and again for ``seconds``, each echoing one line."""
    proc, pid, port = _start_server("lines")
    try:
        async def client(stop: float) -> int:
            n = 0
            while time.perf_counter() < stop:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(b"hello %d\n" % n)
                await reader.readline()
                writer.close()
                await writer.wait_closed()
                n += 1
            return n

        async def run() -> dict[str, Any]:
            await asyncio.sleep(0.3)
            idle = rss_mb(pid)
            t0 = time.perf_counter()
            stop = t0 + seconds
            tasks = [asyncio.ensure_future(client(stop)) for _ in range(clients)]
            await asyncio.sleep(warmup)
            start = (rss_mb(pid), open_fds(pid))
            samples = []
            while time.perf_counter() < stop:
                await asyncio.sleep(1.0)
                samples.append((rss_mb(pid), open_fds(pid)))
            total = sum(await asyncio.gather(*tasks))
            await asyncio.sleep(0.5)
            end = (rss_mb(pid), open_fds(pid))
            return {"connections": total, "rss_mb_idle": idle, "rss_mb_start": start[0],
                    "rss_mb_end": end[0], "rss_mb_max": max(r for r, _ in samples),
                    "fds_start": start[1],
                    "fds_end": end[1], "seconds": seconds, "clients": clients,
                    "warmup": warmup}

        return asyncio.run(run())
    finally:
        _stop(proc)


SCENARIOS = {
    "slow-protocol": (slow_protocol, {"megabytes": 20}),
    "slow-consumer": (slow_consumer, {"megabytes": 10}),
    "non-reading": (non_reading, {"clients": 10, "megabytes_each": 4, "settle": 3.0,
                                  "window": 1.0}),
    "handle": (handle, {"count": 20_000}),
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (small sizes)")
    parser.add_argument("--only", action="append", choices=[*SCENARIOS, "soak"])
    parser.add_argument("--soak", type=float, default=0.0, metavar="SECONDS",
                        help="also run the reconnecting-clients soak for SECONDS")
    parser.add_argument("--label", default="", help="a label stored with the figures")
    parser.add_argument("--out", type=Path, default=RESULTS / "edges.json")
    parser.add_argument("--before", type=Path, metavar="JSON",
                        help="a previous run's figures to print beside these "
                             "(e.g. bench/results/edges-before.json)")
    args = parser.parse_args(argv)
    names = args.only or list(SCENARIOS)
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S"),
                               "python": sys.version.split()[0], "label": args.label,
                               "quick": args.quick, "scenarios": {}}
    for name in names:
        if name == "soak":
            continue
        fn, quick_kwargs = SCENARIOS[name]
        print(f"[{name}] ...", flush=True)
        results["scenarios"][name] = fn(**(quick_kwargs if args.quick else {}))
        print(f"[{name}] {json.dumps(results['scenarios'][name])}", flush=True)
    if args.soak or "soak" in names:
        seconds = args.soak or (3.0 if args.quick else 30.0)
        print(f"[soak] {seconds:g} s ...", flush=True)
        results["scenarios"]["soak"] = soak(seconds, warmup=min(3.0, seconds / 3))
        print(f"[soak] {json.dumps(results['scenarios']['soak'])}", flush=True)
    before = json.loads(args.before.read_text())["scenarios"] if args.before else None
    _table(results["scenarios"], before)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def rows(s: dict[str, Any]) -> list[tuple[str, str, float, str]]:
    """The figures of a run's scenarios, as (scenario, figure, value, unit) rows."""
    out: list[tuple[str, str, float, str]] = []
    if "slow-protocol" in s:
        r = s["slow-protocol"]
        out += [("slow-protocol", f"server RSS growth, {r['megabytes']} MB sent",
                 r["rss_growth_mb"], "MB"),
                ("slow-protocol", "time until the server had taken it all", r["accepted_s"], "s")]
    if "slow-consumer" in s:
        r = s["slow-consumer"]
        out += [("slow-consumer", f"RSS growth, child writes {r['megabytes']} MB",
                 r["rss_growth_mb"], "MB")]
    if "non-reading" in s:
        r = s["non-reading"]
        out += [("non-reading", f"server RSS growth, {r['clients']} clients",
                 r["rss_growth_mb"], "MB"),
                ("non-reading", "server CPU while they wait", r["cpu_percent_waiting"], "%"),
                ("non-reading", "bytes the server took from them", r["taken_by_server_mb"], "MB")]
    if "handle" in s:
        r = s["handle"]
        out += [("handle", f"most put, not yet taken ({r['count']} put)", r["most_waiting"], ""),
                ("handle", "RSS growth", r["rss_growth_mb"], "MB")]
    if "soak" in s:
        r = s["soak"]
        out += [("soak", f"RSS growth, {r['seconds']:g} s of reconnecting",
                 r["rss_mb_end"] - r["rss_mb_idle"], "MB"),
                ("soak", f"of which after the first {r['warmup']:g} s",
                 r["rss_mb_end"] - r["rss_mb_start"], "MB"),
                ("soak", "open fds at the end, minus at the start",
                 r["fds_end"] - r["fds_start"], ""),
                ("soak", "connections served", r["connections"], "")]
    return out


def _table(s: dict[str, Any], before: dict[str, Any] | None = None) -> None:
    old = {(n, f): v for n, f, v, _ in rows(before)} if before else {}
    print()
    print(f"{'scenario':<16}{'figure':<44}{'value':>12}" + (f"{'before':>15}" if old else ""))
    last = ""
    for name, fig, val, unit in rows(s):
        line = f"{name if name != last else '':<16}{fig:<44}{val:>10.1f} {unit:<3}"
        last = name
        if (name, fig) in old:
            line += f"{old[name, fig]:>11.1f} {unit}"
        print(line.rstrip())


if __name__ == "__main__":
    main()
