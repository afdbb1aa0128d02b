"""Three hosts with their own addresses (Linux network namespaces), a nats-server cluster
across them, Axon components on each, and one host's server stopped under traffic.

Run as root: ``python -m bench.nats_hosts`` (``--messages N``, ``--rate R``, ``--delay-ms D``
to add latency on every host's link with ``tc netem`` if available).  It makes three
namespaces ``axn1``..``axn3`` joined by a bridge ``axbr0`` (10.77.0.1-3/24), starts a
nats-server in each (routes between them, JetStream replicated on all three), then:

- host 1 publishes N messages at R per second to a JetStream stream (R3) and the same N
  on a core subject, connected to its own server (failing over to the others);
- host 2 consumes the stream (durable consumer) through its own server;
- host 3 subscribes to the core subject through its own server;
- once a quarter of the stream is processed, host 2's *server* is stopped: the consumer
  moves to another server and carries on.

It prints what each host saw and, last, one JSON line: every stream message processed at
least once (``js_missing`` 0), the duplicates, and the core messages received.  Everything
it made (processes, namespaces, bridge) is removed at the end, also after an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent
NET = "10.77.0"
BRIDGE = "axbr0"
HOSTS = 3


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def ns(i: int) -> str:
    return f"axn{i}"


def addr(i: int) -> str:
    return f"{NET}.{i}"


def make_network(delay_ms: float) -> float:
    """Make the bridge and the namespaces; returns the delay applied (0 if ``tc netem`` is
    not available in this kernel)."""
    applied = 0.0
    sh("ip", "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "addr", "add", f"{NET}.254/24", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")
    for i in range(1, HOSTS + 1):
        sh("ip", "netns", "add", ns(i))
        sh("ip", "link", "add", f"axv{i}", "type", "veth", "peer", "name", f"axv{i}p")
        sh("ip", "link", "set", f"axv{i}p", "netns", ns(i))
        sh("ip", "link", "set", f"axv{i}", "master", BRIDGE, "up")
        run_in = ("ip", "netns", "exec", ns(i))
        sh(*run_in, "ip", "addr", "add", f"{addr(i)}/24", "dev", f"axv{i}p")
        sh(*run_in, "ip", "link", "set", f"axv{i}p", "up")
        sh(*run_in, "ip", "link", "set", "lo", "up")
        if delay_ms > 0 and shutil.which("tc"):
            done = sh(*run_in, "tc", "qdisc", "add", "dev", f"axv{i}p", "root", "netem",
                      "delay", f"{delay_ms}ms", check=False)
            applied = delay_ms if done.returncode == 0 else 0.0
            if done.returncode:
                print(f"(no added delay: tc netem failed: {done.stderr.strip()})", flush=True)
    return applied


def remove_network() -> None:
    for i in range(1, HOSTS + 1):
        sh("ip", "netns", "del", ns(i), check=False)
        sh("ip", "link", "del", f"axv{i}", check=False)
    sh("ip", "link", "del", BRIDGE, check=False)


# -- the roles (run inside a namespace) ---------------------------------------------------------


def _options(first: int) -> Any:
    from components.nats import NatsOptions

    order = [first] + [i for i in range(1, HOSTS + 1) if i != first]
    return NatsOptions(tuple(f"nats://{addr(i)}:4222" for i in order), dont_randomize=True,
                       reconnect_time_wait=0.1)


def role_publish(n: int, rate: float) -> None:
    from axon import Pipeline, Scheduler
    from components import IterableSource, RateLimiter
    from components.nats import JetStreamPublisher, NatsPublisher, Stream

    stream = Stream("HOSTS", ("hosts.>",), replicas=3)
    js = JetStreamPublisher("hosts.js", stream=stream, nats=_options(1), ack_timeout=1.0)
    core = NatsPublisher("hosts.core", nats=_options(1), batch=False)

    async def main() -> None:
        sched = Scheduler()
        sched.activate(Pipeline(IterableSource(range(n)), RateLimiter(rate, burst=20), js))
        sched.activate(Pipeline(IterableSource(range(n)), RateLimiter(rate, burst=20), core))
        await sched.run_async(timeout=300)

    asyncio.run(main())
    print("DONE " + json.dumps({"host": 1, "js_published": js.published,
                                "js_retries": js.retries, "js_duplicate_acks": js.duplicates,
                                "core_published": core.published}), flush=True)


def _count(n: int, label: str, done: asyncio.Future[None], times: dict[int, int]) -> Any:
    from axon import RECEIVE, Component

    class Count(Component):
        def main(self) -> Generator[Any, Any, None]:
            step = max(1, n // 20)
            while (batch := (yield RECEIVE)) is not None:
                before = len(times)
                for v in batch:
                    times[v] = times.get(v, 0) + 1
                if len(times) // step != before // step:
                    print(f"PROGRESS {label} {len(times)}", flush=True)
                if len(times) >= n and not done.done():
                    done.set_result(None)

    return Count()


def role_consume(kind: str, n: int, first: int) -> None:
    from axon import Pipeline, Scheduler, Shutdown
    from components.nats import JetStreamSubscriber, NatsSubscriber, Stream

    times: dict[int, int] = {}
    where: list[str] = []
    if kind == "js":
        stream = Stream("HOSTS", ("hosts.>",), replicas=3)
        sub: Any = JetStreamSubscriber("hosts.js", durable="hosts", stream=stream,
                                       nats=_options(first), ack_wait=2.0, expires=1.0)
    else:
        sub = NatsSubscriber("hosts.core", nats=_options(first))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        sched = Scheduler()
        system = Pipeline(sub, _count(n, kind, done, times))
        sched.activate(system)
        running = asyncio.ensure_future(sched.run_async(timeout=300))
        await asyncio.wait_for(sub.subscribed, 60)
        print("READY", flush=True)
        await asyncio.wait({done, running}, timeout=240, return_when=asyncio.FIRST_COMPLETED)
        conn = sub.connection
        if conn and conn.client and conn.client.connected_url:
            where.append(conn.client.connected_url.geturl())
        system.inboxes["control"].put(Shutdown())
        await running

    asyncio.run(main())
    conn = sub.connection
    url = where[0] if where else None
    print("DONE " + json.dumps({
        "host": first, "kind": kind, "distinct": len(times),
        "missing": n - len(times), "duplicates": sum(v - 1 for v in times.values()),
        "disconnects": conn.disconnects if conn else None, "server_at_end": url,
        **({"redelivered": sub.redelivered} if kind == "js" else {"dropped": sub.dropped})}),
        flush=True)


# -- the orchestration (in the root namespace) ------------------------------------------------------


def _child(i: int, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(["ip", "netns", "exec", ns(i), sys.executable, "-m",
                             "bench.nats_hosts", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)


def _expect(proc: subprocess.Popen[str], prefix: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"a host process ended early (status {proc.wait()})")
        if line.startswith(prefix):
            return line.strip()
        print("   ", line.rstrip(), flush=True)
    raise TimeoutError(f"no {prefix!r} within {timeout} s")


def orchestrate(n: int, rate: float, delay_ms: float) -> dict[str, Any]:
    from components.nats import NatsServer

    servers: list[NatsServer] = []
    procs: list[subprocess.Popen[str]] = []
    remove_network()  # (left over from an interrupted run)
    try:
        delay_ms = make_network(delay_ms)
        print(f"3 hosts: {', '.join(f'{ns(i)}={addr(i)}' for i in range(1, 4))} "
              f"(bridge {BRIDGE}{f', +{delay_ms} ms each way' if delay_ms else ''})",
              flush=True)
        for i in range(1, HOSTS + 1):
            routes = [f"nats://{addr(j)}:6222" for j in range(1, HOSTS + 1) if j != i]
            servers.append(NatsServer(host=addr(i), port=4222, name=f"host{i}",
                                      cluster_port=6222, routes=routes, monitor=True,
                                      prefix=("ip", "netns", "exec", ns(i))))
        for s in servers:
            s.start(20)
        deadline = time.monotonic() + 30
        while not all(s.healthy() for s in servers):
            if time.monotonic() > deadline:
                raise TimeoutError("the cluster did not become healthy")
            time.sleep(0.1)
        print("cluster up: " + ", ".join(f"{s.name} pid {s.pid} {s.url}" for s in servers),
              flush=True)
        js_sub = _child(2, "--role", "consume", "js", str(n), "2")
        core_sub = _child(3, "--role", "consume", "core", str(n), "3")
        procs += [js_sub, core_sub]
        _expect(js_sub, "READY")
        _expect(core_sub, "READY")
        t0 = time.monotonic()
        pub = _child(1, "--role", "publish", str(n), str(rate))
        procs.append(pub)
        while True:  # a quarter of the stream processed: stop host 2's server
            line = _expect(js_sub, "PROGRESS")
            print("   ", line, flush=True)
            if int(line.split()[-1]) >= n // 4:
                break
        print(f"stopping {servers[1].name}'s server (pid {servers[1].pid}) at "
              f"{time.monotonic() - t0:.2f} s", flush=True)
        servers[1].stop()
        results = [json.loads(_expect(p, "DONE", 300)[5:]) for p in (pub, js_sub, core_sub)]
        for r in results:
            print("   ", r, flush=True)
        publisher, consumer, core = results
        return {"messages": n, "rate": rate, "delay_ms": delay_ms,
                "seconds": round(time.monotonic() - t0, 2),
                "js_missing": consumer["missing"], "js_duplicates": consumer["duplicates"],
                "js_redelivered": consumer["redelivered"],
                "js_consumer_moved_to": consumer["server_at_end"],
                "js_publish_retries": publisher["js_retries"],
                "core_received": core["distinct"], "core_missing": core["missing"]}
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for s in servers:
            s.close()
        remove_network()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.nats_hosts",
                                description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--rate", type=float, default=5_000)
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--role", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.role:
        kind, *rest = args.role
        if kind == "publish":
            role_publish(int(rest[0]), float(rest[1]))
        else:
            role_consume(rest[0], int(rest[1]), int(rest[2]))
        return
    if os.geteuid() != 0 or shutil.which("ip") is None:
        sys.exit("needs root and iproute2's `ip` (network namespaces)")
    print(json.dumps(orchestrate(args.messages, args.rate, args.delay_ms)))


if __name__ == "__main__":
    main()
