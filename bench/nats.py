"""NATS benchmark: Axon's NATS links against raw nats-py, side by side in one run.

Run: ``python -m bench.nats`` (``--quick`` for a smoke run).  Starts its own nats-server
(loopback, JetStream in a temp dir), prints a line per measurement and a table, writes
``bench/results/nats.json``, and prints as its last line one JSON object with at least
``core_msgs_per_s``, ``batched_items_per_s``, ``jetstream_msgs_per_s`` and
``request_p50_us``.  Best of ``--repeat`` runs for throughputs.

- raw: nats-py alone, publisher and callback subscriber (two connections) in one process.
- core: ``Source -> NatsPublisher(batch=False) -> server -> NatsSubscriber -> Count`` in
  one process, one message per NATS message, end to end.
- batched: the same with batching (many messages per NATS message).
- jetstream: ``JetStreamPublisher -> stream (file) -> JetStreamSubscriber -> Count``, one
  message per stream message, every one acknowledged by the stream and, once processed,
  by the consumer (at least once).
- request: sequential request/reply round trips (one in flight), ``NatsRequester`` to a
  ``NatsResponder(Map)``, against nats-py's ``request`` and ``respond``; p50 and p99.
- backplane: messages through a Backplane to a subscriber in the same process, and over
  NATS to a subscriber in another process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parent.parent
TARGETS = {"core_msgs_per_s": 100_000, "batched_items_per_s": 1_000_000,
           "jetstream_msgs_per_s": 20_000}
PAYLOAD = b"0123456789abcdef"  # 16 bytes, as the research figures


def _progress(text: str) -> None:
    print(text, flush=True)


# -- raw nats-py ------------------------------------------------------------------------------


async def raw_pubsub(url: str, n: int) -> float:
    import nats

    pub = await nats.connect(url)
    sub_conn = await nats.connect(url)
    done = asyncio.get_running_loop().create_future()
    count = 0

    async def cb(msg: Any) -> None:
        nonlocal count
        count += 1
        if count == n:
            done.set_result(None)

    await sub_conn.subscribe("raw.x", cb=cb, pending_msgs_limit=2 * n)
    await sub_conn.flush()
    t0 = time.perf_counter()
    for _ in range(n):
        await pub.publish("raw.x", PAYLOAD)
    await asyncio.wait_for(done, 120)
    rate = n / (time.perf_counter() - t0)
    await pub.close()
    await sub_conn.close()
    return rate


async def raw_jetstream_publish(url: str, n: int, name: str) -> float:
    """nats-py's own asynchronous JetStream publishing, with a message id each (what our
    publisher does), until every message is acknowledged: publishing alone."""
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name=name, subjects=[f"{name.lower()}.>"])
    t0 = time.perf_counter()
    for i in range(n):
        await js.publish_async(f"{name.lower()}.x", PAYLOAD, headers={"Nats-Msg-Id": f"r-{i}"})
    await js.publish_async_completed()
    rate = n / (time.perf_counter() - t0)
    await nc.close()
    return rate


async def raw_request(url: str, n: int) -> list[float]:
    import nats

    server = await nats.connect(url)
    client = await nats.connect(url)

    async def respond(msg: Any) -> None:
        await msg.respond(msg.data)

    await server.subscribe("raw.req", cb=respond)
    await server.flush()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await client.request("raw.req", PAYLOAD, timeout=5)
        times.append(time.perf_counter() - t0)
    await client.close()
    await server.close()
    return times


# -- Axon --------------------------------------------------------------------------------------


def _count_component(n: int, done: asyncio.Future[float], stamps: list[float] | None = None
                     ) -> Any:
    from axon import RECEIVE, Component

    class Count(Component):
        def main(self) -> Generator[Any, Any, None]:
            seen = 0
            clock = time.perf_counter
            while (batch := (yield RECEIVE)) is not None:
                seen += len(batch)
                if stamps is not None:
                    stamps.append(clock())
                if seen >= n and not done.done():
                    done.set_result(clock())

    return Count()


def _source(items: Any) -> Any:
    from components import IterableSource

    return IterableSource(items)


async def _run_link(build: Any, n: int) -> float:
    """Messages per second through ``build(count) -> (receiving system, sending system,
    receiving link)``: the sender is started once the receiver is subscribed."""
    from axon import Scheduler, Shutdown

    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    receiver, sender, link = build(_count_component(n, done))
    sched = Scheduler()
    sched.activate(receiver)
    running = asyncio.ensure_future(sched.run_async(timeout=300))
    await asyncio.wait_for(link.subscribed, 30)
    t0 = time.perf_counter()
    sched.activate(sender)
    t1 = await asyncio.wait_for(done, 300)
    receiver.inboxes["control"].put(Shutdown())
    await asyncio.wait_for(running, 60)
    return n / (t1 - t0)


def core_link(url: str, n: int, batch: bool) -> float:
    from axon import Pipeline
    from components.nats import NatsPublisher, NatsSubscriber

    subject = "bench.batched" if batch else "bench.core"

    def build(count: Any) -> Any:
        sub = NatsSubscriber(subject, nats=url, max_pending=4 * n)
        return (Pipeline(sub, count),
                Pipeline(_source([PAYLOAD] * n), NatsPublisher(subject, nats=url, batch=batch)),
                sub)

    return asyncio.run(_run_link(build, n))


def jetstream_link(url: str, n: int, name: str, batch: bool = False) -> float:
    from axon import Pipeline
    from components.nats import JetStreamPublisher, JetStreamSubscriber, Stream

    stream = Stream(name, (f"{name.lower()}.>",))
    subject = f"{name.lower()}.x"

    def build(count: Any) -> Any:
        sub = JetStreamSubscriber(subject, durable="bench", stream=stream, nats=url,
                                  max_ack_pending=2000, pull_batch=500)
        return (Pipeline(sub, count),
                Pipeline(_source([PAYLOAD] * n), JetStreamPublisher(subject, stream=stream,
                                                                   nats=url, batch=batch)),
                sub)

    return asyncio.run(_run_link(build, n))


def axon_request(url: str, n: int) -> list[float]:
    from axon import Pipeline, Scheduler, Shutdown
    from components import Map
    from components.nats import NatsRequester, NatsResponder

    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[float] = loop.create_future()
        stamps: list[float] = []
        responder = NatsResponder("bench.req", Map(lambda x: x), nats=url)
        sched = Scheduler()
        sched.activate(responder)
        running = asyncio.ensure_future(sched.run_async(timeout=300))
        await asyncio.wait_for(responder.subscribed, 30)
        requester = NatsRequester("bench.req", nats=url, max_in_flight=1)
        t0 = time.perf_counter()
        sched.activate(Pipeline(_source([PAYLOAD] * n), requester,
                                _count_component(n, done, stamps)))
        await asyncio.wait_for(done, 300)
        responder.inboxes["control"].put(Shutdown())
        await asyncio.wait_for(running, 60)
        # one in flight: each reply's arrival is the next request's departure
        return [b - a for a, b in zip([t0, *stamps], stamps)]

    return asyncio.run(main())


def backplane_in_process(n: int) -> float:
    from axon import Backplane, Pipeline, PublishTo, Scheduler, Shutdown, SubscribeTo

    async def main() -> float:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        sched = Scheduler()
        bp = Backplane("bench")
        sched.activate(bp)
        sched.activate(Pipeline(SubscribeTo("bench"), _count_component(n, done)))
        with sched.keep_alive():  # (between the end of publishing and the Shutdown below)
            running = asyncio.ensure_future(sched.run_async(timeout=300))
            await asyncio.sleep(0)
            t0 = time.perf_counter()
            sched.activate(Pipeline(_source([PAYLOAD] * n), PublishTo("bench")))
            t1 = await asyncio.wait_for(done, 300)
            bp.inboxes["control"].put(Shutdown())
        await asyncio.wait_for(running, 60)
        return n / (t1 - t0)

    return asyncio.run(main())


def backplane_across_processes(url: str, n: int) -> float:
    """Messages per second from a publisher here to a subscriber in another process."""
    from axon import Backplane, Pipeline, PublishTo, Scheduler, Shutdown
    from components.nats import NatsBridge, NatsTransport

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    peer = subprocess.Popen([sys.executable, "-m", "bench.nats", "--backplane-peer", url, str(n)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert peer.stdout is not None
        if peer.stdout.readline().strip() != "READY":
            raise RuntimeError("the backplane peer did not start")

        async def main() -> float:
            bp = Backplane("bench", transport=NatsTransport(url))
            sched = Scheduler()
            sched.activate(bp)
            running = asyncio.ensure_future(sched.run_async(timeout=300))
            assert isinstance(bp.bridge, NatsBridge)
            await asyncio.wait_for(bp.bridge.subscribed, 30)
            t0 = time.perf_counter()
            sched.activate(Pipeline(_source([PAYLOAD] * n), PublishTo("bench")))
            assert peer.stdout is not None
            line = await asyncio.get_running_loop().run_in_executor(None, peer.stdout.readline)
            t1 = time.perf_counter()
            if line.strip() != "DONE":
                raise RuntimeError(f"the backplane peer said {line!r}")
            bp.inboxes["control"].put(Shutdown())
            await asyncio.wait_for(running, 60)
            return n / (t1 - t0)

        return asyncio.run(main())
    finally:
        peer.kill()
        peer.wait(10)


def _backplane_peer(url: str, n: int) -> None:
    from axon import Backplane, Pipeline, Scheduler, SubscribeTo
    from components.nats import NatsBridge, NatsTransport

    async def main() -> None:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        bp = Backplane("bench", transport=NatsTransport(url))
        sched = Scheduler()
        sched.activate(bp)
        sched.activate(Pipeline(SubscribeTo("bench"), _count_component(n, done)))
        running = asyncio.ensure_future(sched.run_async(timeout=300))
        assert isinstance(bp.bridge, NatsBridge)
        await bp.bridge.subscribed
        print("READY", flush=True)
        await done
        print("DONE", flush=True)
        running.cancel()

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        pass


# -- the run ---------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))] * 1e6


def run(quick: bool, repeat: int) -> dict[str, Any]:
    from components.nats import NatsServer

    sizes = {"core": 20_000 if quick else 200_000, "batched": 200_000 if quick else 2_000_000,
             "js": 5_000 if quick else 50_000, "req": 300 if quick else 3000,
             "bp": 50_000 if quick else 500_000}
    repeat = 1 if quick else repeat
    out: dict[str, Any] = {}
    with NatsServer() as server:
        url = server.url
        out["raw_msgs_per_s"] = max(asyncio.run(raw_pubsub(url, sizes["core"]))
                                    for _ in range(repeat))
        _progress(f"[raw nats-py] {out['raw_msgs_per_s']:,.0f} msg/s")
        out["core_msgs_per_s"] = max(core_link(url, sizes["core"], False) for _ in range(repeat))
        _progress(f"[core link, 1 per NATS message] {out['core_msgs_per_s']:,.0f} msg/s")
        out["batched_items_per_s"] = max(core_link(url, sizes["batched"], True)
                                         for _ in range(repeat))
        _progress(f"[core link, batched] {out['batched_items_per_s']:,.0f} items/s")
        out["raw_jetstream_publish_per_s"] = max(
            asyncio.run(raw_jetstream_publish(url, sizes["js"], f"RAW{i}")) for i in range(repeat))
        out["jetstream_msgs_per_s"] = max(jetstream_link(url, sizes["js"], f"BENCH{i}")
                                          for i in range(repeat))
        _progress(f"[JetStream, at least once] {out['jetstream_msgs_per_s']:,.0f} msg/s "
                  f"published, stored, consumed and acknowledged (raw nats-py publishing "
                  f"alone: {out['raw_jetstream_publish_per_s']:,.0f} msg/s)")
        out["jetstream_batched_items_per_s"] = jetstream_link(url, sizes["batched"], "BATCHED",
                                                              batch=True)
        _progress(f"[JetStream, batched] {out['jetstream_batched_items_per_s']:,.0f} items/s")
        raw_rtt = asyncio.run(raw_request(url, sizes["req"]))
        rtt = axon_request(url, sizes["req"])
        out.update(request_p50_us=_pct(rtt, 0.5), request_p99_us=_pct(rtt, 0.99),
                   raw_request_p50_us=_pct(raw_rtt, 0.5), raw_request_p99_us=_pct(raw_rtt, 0.99))
        _progress(f"[request/reply] p50 {out['request_p50_us']:.0f} us, p99 "
                  f"{out['request_p99_us']:.0f} us (raw nats-py p50 "
                  f"{out['raw_request_p50_us']:.0f} us, p99 {out['raw_request_p99_us']:.0f} us)")
        out["backplane_in_process_msgs_per_s"] = max(backplane_in_process(sizes["bp"])
                                                     for _ in range(repeat))
        out["backplane_across_processes_msgs_per_s"] = max(
            backplane_across_processes(url, sizes["bp"]) for _ in range(repeat))
        _progress(f"[backplane] in process {out['backplane_in_process_msgs_per_s']:,.0f} msg/s, "
                  f"across processes {out['backplane_across_processes_msgs_per_s']:,.0f} msg/s")
    out["core_vs_raw"] = out["core_msgs_per_s"] / out["raw_msgs_per_s"]
    out["jetstream_vs_raw_publish"] = (out["jetstream_msgs_per_s"]
                                       / out["raw_jetstream_publish_per_s"])
    out["targets_met"] = {k: out[k] >= v for k, v in TARGETS.items()}
    out["sizes"] = sizes
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.nats",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (a few seconds)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=None, help="directory for nats.json "
                                                    "(default bench/results; none with --quick)")
    parser.add_argument("--backplane-peer", nargs=2, metavar=("URL", "N"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.backplane_peer:
        _backplane_peer(args.backplane_peer[0], int(args.backplane_peer[1]))
        return {}
    results = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "python": sys.version.split()[0],
               "machine": platform.machine(), "cores": os.cpu_count(), "quick": args.quick,
               **run(args.quick, args.repeat)}
    rows = [("measure", "result", "target"),
            ("raw nats-py pub/sub", f"{results['raw_msgs_per_s']:,.0f} msg/s", ""),
            ("core link, 1 msg per NATS msg", f"{results['core_msgs_per_s']:,.0f} msg/s "
             f"({results['core_vs_raw']:.2f}x raw)", ">= 100k"),
            ("core link, batched", f"{results['batched_items_per_s']:,.0f} items/s", ">= 1M"),
            ("JetStream, at least once", f"{results['jetstream_msgs_per_s']:,.0f} msg/s",
             ">= 20k"),
            ("raw nats-py JetStream publishing", f"{results['raw_jetstream_publish_per_s']:,.0f}"
             " msg/s", ""),
            ("JetStream, batched", f"{results['jetstream_batched_items_per_s']:,.0f} items/s",
             ""),
            ("request/reply p50 / p99", f"{results['request_p50_us']:.0f} / "
             f"{results['request_p99_us']:.0f} us", ""),
            ("raw nats-py request p50 / p99", f"{results['raw_request_p50_us']:.0f} / "
             f"{results['raw_request_p99_us']:.0f} us", ""),
            ("backplane, in process", f"{results['backplane_in_process_msgs_per_s']:,.0f} msg/s",
             ""),
            ("backplane, across processes",
             f"{results['backplane_across_processes_msgs_per_s']:,.0f} msg/s", "")]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    out_dir = Path(args.out) if args.out else (None if args.quick else RESULTS)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "nats.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
