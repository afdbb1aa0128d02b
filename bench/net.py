"""Network benchmark: a ``components`` TCP echo server against a plain asyncio-streams echo
server, side by side in one run; and line framing throughput.

Run: ``python -m bench.net`` (``--quick`` for a smoke run).  Prints a table and writes
``bench/results/net.json``.  Each server runs in its own process (loopback only, 127.0.0.1)
and the same asyncio load generator drives both, so the ratio is fair on a 2-core machine.
Best of ``--repeat`` runs each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
HOST = "127.0.0.1"
TARGETS = {"throughput_ratio": 0.70}
CLIENT_TIMEOUT = 120.0  # seconds one load-generator client may take to get its echo back


# -- the servers (each in a child process) ------------------------------------------------


def _plain_server(port_q: Any) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(echo, HOST, 0)
        port_q.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def _components_server(port_q: Any, protocol: str) -> None:
    from axon import Pipeline, Scheduler
    from components import LineJoiner, LineSplitter, Map, TCPServer

    def raw() -> Any:
        return Map(bytes)

    def lines() -> Any:
        return Pipeline(LineSplitter(), LineJoiner())

    server = TCPServer(raw if protocol == "raw" else lines, host=HOST, port=0)

    async def main() -> None:
        sched = Scheduler()
        sched.activate(server)
        task = asyncio.ensure_future(sched.run_async())
        while not server.address:
            await asyncio.sleep(0.001)
        port_q.put(server.address[1])
        await task

    asyncio.run(main())


def _start(target: Any, *args: Any) -> tuple[mp.Process, int]:
    q: Any = mp.Queue()
    proc = mp.Process(target=target, args=(q, *args), daemon=True)
    proc.start()
    return proc, q.get(timeout=30)


# -- the load generator ------------------------------------------------------------------------


async def _throughput(port: int, clients: int, lines: int, line: bytes) -> float:
    """Bytes echoed per second with ``clients`` concurrent clients sending ``lines`` each."""

    async def client() -> int:
        reader, writer = await asyncio.open_connection(HOST, port)
        block = line * 100
        total = len(block) * (lines // 100)

        async def send() -> None:
            for _ in range(lines // 100):
                writer.write(block)
                await writer.drain()

        got = 0

        async def receive() -> None:
            nonlocal got
            while got < total:
                data = await reader.read(1 << 20)
                if not data:  # EOF: without this check the loop would spin for ever
                    raise ConnectionError(
                        f"echo server on port {port} closed the connection early: "
                        f"got {got} of {total} bytes")
                got += len(data)

        sender = asyncio.ensure_future(send())
        try:
            try:
                await asyncio.wait_for(receive(), CLIENT_TIMEOUT)
            except TimeoutError:
                raise TimeoutError(
                    f"echo server on port {port}: got {got} of {total} bytes "
                    f"in {CLIENT_TIMEOUT:g}s") from None
            await sender
        finally:
            sender.cancel()  # (a no-op once it has finished)
            writer.close()
        return got

    t0 = time.perf_counter()
    done = await asyncio.gather(*(client() for _ in range(clients)))
    return sum(done) / (time.perf_counter() - t0)


async def _latency(port: int, rounds: int) -> list[float]:
    reader, writer = await asyncio.open_connection(HOST, port)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        writer.write(b"ping\n")
        await reader.readexactly(5)
        times.append(time.perf_counter() - t0)
    writer.close()
    return times


def measure_server(kind: str, clients: int, lines: int, rounds: int, repeat: int) -> dict[str, float]:
    if kind == "asyncio":
        proc, port = _start(_plain_server)
    else:
        proc, port = _start(_components_server, kind.split("-")[1])
    try:
        line = b"x" * 63 + b"\n"
        best = 0.0
        for _ in range(repeat):
            best = max(best, asyncio.run(_throughput(port, clients, lines, line)))
        lat = asyncio.run(_latency(port, rounds))
        lat.sort()
        return {
            "mb_per_s": best / 1e6,
            "latency_median_us": statistics.median(lat) * 1e6,
            "latency_p99_us": lat[int(len(lat) * 0.99) - 1] * 1e6,
        }
    finally:
        proc.terminate()
        proc.join(5)


# -- line framing ---------------------------------------------------------------------------


def framing_mb_per_s(megabytes: int, repeat: int) -> float:
    from axon import ProducerFinished
    from components import LineSplitter
    from components.testing import run_component

    line = b"y" * 59 + b"\n"
    chunk = line * (65536 // len(line))
    chunks = [chunk] * (megabytes * 1_000_000 // len(chunk))
    best = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run_component(LineSplitter(), inbox=chunks, control=[ProducerFinished()],
                            timeout=600)
        elapsed = time.perf_counter() - t0
        assert len(out["outbox"]) == len(chunks) * (65536 // len(line))
        best = max(best, len(chunk) * len(chunks) / elapsed / 1e6)
    return best


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    clients, lines, rounds, mb = (20, 2000, 500, 5) if args.quick else (50, 20000, 5000, 50)
    repeat = 1 if args.quick else args.repeat

    servers = {kind: measure_server(kind, clients, lines, rounds, repeat)
               for kind in ("asyncio", "components-raw", "components-lines")}
    ratio = servers["components-raw"]["mb_per_s"] / servers["asyncio"]["mb_per_s"]
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "clients": clients,
        "lines_per_client": lines,
        "line_bytes": 64,
        "servers": servers,
        "throughput_ratio": ratio,
        "lines_throughput_ratio": servers["components-lines"]["mb_per_s"]
        / servers["asyncio"]["mb_per_s"],
        "line_framing_mb_per_s": framing_mb_per_s(mb, repeat),
        "targets": TARGETS,
    }
    print(f"TCP echo on 127.0.0.1: {clients} clients x {lines} lines of 64 bytes (best of {repeat})")
    print(f"{'server':<22}{'MB/s':>10}{'vs asyncio':>12}{'median µs':>12}{'p99 µs':>10}")
    for kind, r in servers.items():
        rel = r["mb_per_s"] / servers["asyncio"]["mb_per_s"]
        print(f"{kind:<22}{r['mb_per_s']:>10.1f}{rel:>11.0%}{r['latency_median_us']:>12.0f}"
              f"{r['latency_p99_us']:>10.0f}")
    print(f"throughput ratio (components-raw / asyncio): {ratio:.0%} "
          f"(target >= {TARGETS['throughput_ratio']:.0%})")
    print(f"line framing (LineSplitter): {results['line_framing_mb_per_s']:.0f} MB/s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "net.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
