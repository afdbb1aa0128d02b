"""A cluster of three nats-servers (routes between them, JetStream replicated on all
three): components connected to different servers, and one server stopped under
traffic.  The JetStream link loses nothing (its consumer moves to another server); the
core link between the two servers left keeps flowing."""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from axon import RECEIVE, Component, Pipeline
from components import IterableSource, RateLimiter
from components.nats import (
    JetStreamPublisher,
    JetStreamSubscriber,
    NatsCluster,
    NatsOptions,
    NatsPublisher,
    NatsSubscriber,
    Stream,
)

from .helpers import Log, Running, go


@pytest.fixture(scope="module")
def cluster() -> Iterator[NatsCluster]:
    with NatsCluster(3) as c:
        yield c


class Count(Component):
    def __init__(self) -> None:
        super().__init__()
        self.times: dict[int, int] = {}

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for v in batch:
                self.times[v] = self.times.get(v, 0) + 1


def via(*urls: str) -> NatsOptions:
    """Connect to the first; fail over to the others (in this order)."""
    return NatsOptions(urls, dont_randomize=True, reconnect_time_wait=0.1)


def test_one_server_stopped_under_traffic(cluster: NatsCluster) -> None:
    s1, s2, s3 = (s.url for s in cluster.servers)
    total = 2000
    stream = Stream("CL", ("cl.>",), replicas=3)
    count, core_log = Count(), Log()
    js_pub = JetStreamPublisher("cl.js", stream=stream, nats=via(s1, s3, s2),
                                ack_timeout=1.0)
    js_sub = JetStreamSubscriber("cl.js", durable="cl", stream=stream, nats=via(s2, s3, s1),
                                 ack_wait=2.0, expires=1.0)
    core_sub = NatsSubscriber("cl.core", nats=via(s3))
    core_pub = NatsPublisher("cl.core", nats=via(s1), batch=False)

    async def main() -> None:
        async with Running(Pipeline(js_sub, count), Pipeline(core_sub, core_log),
                           timeout=90) as run:
            await run.wait(js_sub.subscribed, timeout=30)
            await run.wait(core_sub.subscribed)
            await asyncio.sleep(0.2)  # (the core subscription's interest reaches s1)
            run.add(Pipeline(IterableSource(range(total)), RateLimiter(2500, burst=25),
                             js_pub))
            run.add(Pipeline(IterableSource(range(total)), RateLimiter(2500, burst=25),
                             core_pub))
            await run.until(lambda: len(count.times) > total // 4, timeout=30)
            conn = js_sub.connection
            assert conn is not None and conn.client is not None
            assert conn.client.connected_url.port == cluster.servers[1].port  # on s2
            await asyncio.get_running_loop().run_in_executor(None, cluster.servers[1].stop)
            await run.until(lambda: len(count.times) == total, timeout=60)
            await run.until(lambda: len(core_log.items) == total, timeout=10)
            assert conn.client.connected_url.port != cluster.servers[1].port  # moved
            assert conn.disconnects == 1

    try:
        go(main())
    finally:
        cluster.servers[1].start()
    assert sorted(count.times) == list(range(total))  # at least once through the failover
    assert core_log.items == list(range(total))  # s1 -> s3 never went through s2
    print(f"JetStream: processed twice {sum(n - 1 for n in count.times.values())}, "
          f"publish retries {js_pub.retries}, redelivered {js_sub.redelivered}")
