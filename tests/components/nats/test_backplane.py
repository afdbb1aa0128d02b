"""A Backplane over NATS: one backplane shared by three processes; local subscribers
served without the network; messages from elsewhere counted when nobody listens."""

from __future__ import annotations

import json

from axon import Backplane, Pipeline, ProducerFinished, PublishTo, SubscribeTo, snapshot
from components import IterableSource
from components.nats import NatsServer, NatsTransport

from .helpers import Log, Running, child, go, reap


def test_a_backplane_shared_by_three_processes(url: str) -> None:
    count, peers = 400, 3
    procs = [child(["tests.components.nats.peer", "backplane", url, "news", f"p{i}",
                    str(count), str(peers)]) for i in range(peers)]
    try:
        for p in procs:  # every process hears the others before anyone publishes
            assert p.stdout is not None and p.stdout.readline().strip() == "READY"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=30)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        reap(*procs)
    for i, r in enumerate(results):
        assert sorted(r["got"]) == [f"p{j}" for j in range(peers)]
        for sender, ns in r["got"].items():
            assert ns == list(range(count)), (i, sender)  # all, once, in order per sender
        assert r["sent"] == count  # its own went out once...
        assert r["received"] == (peers - 1) * count  # ...and came back to nobody: no echo
        assert r["dropped"] == 0


def test_local_subscribers_are_served_without_a_network_round_trip(server: NatsServer) -> None:
    """With the server gone, publishing and subscribing in one process still works: what
    is published here reaches the subscribers here through in-process links."""
    url = server.start().url
    log = Log()
    bp = Backplane("local", transport=NatsTransport(url))

    async def main() -> None:
        async with Running(bp, Pipeline(SubscribeTo("local"), log)) as run:
            assert bp.bridge is not None
            await run.wait(bp.bridge.subscribed)
            server.kill()
            run.add(Pipeline(IterableSource(range(100)), PublishTo("local")))
            await run.until(lambda: len(log.items) == 100, timeout=2)
            assert snapshot(run.scheduler).component(bp.bridge.path).details["sent"] == 100
            bp.inboxes["control"].put(ProducerFinished())  # (its flush fails: reported)
            await run.finished()

    try:
        go(main())
    finally:
        server.start()
    assert log.items == list(range(100)) and isinstance(log.ended, ProducerFinished)


def test_what_others_publish_while_nobody_here_listens_is_counted_as_unheard(url: str) -> None:
    here = Backplane("quiet", transport=NatsTransport(url))
    there = Backplane("quiet", transport=NatsTransport(url))

    async def main() -> None:
        async with Running(here) as run_here, Running(there) as run_there:
            assert here.bridge is not None and there.bridge is not None
            await run_here.wait(here.bridge.subscribed)
            await run_there.wait(there.bridge.subscribed)
            run_there.add(Pipeline(IterableSource(range(7)), PublishTo("quiet")))
            await run_here.until(lambda: here.unheard == 7)
            # there, they were not dropped: they went to the other processes
            assert there.unheard == 0 and there.bridge.sent == 7

    go(main())
