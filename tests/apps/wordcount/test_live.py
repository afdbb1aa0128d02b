"""The lambda-style count: the stream layer counts lines as they arrive, the batch layer
recounts the retained log by MapReduce, and the merged query is exact, also when the
stream layer is behind the batch view."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest

from apps.wordcount.corpus import words
from apps.wordcount.live import (
    SUBJECT,
    LiveCount,
    batch_recount,
    stream_layer,
    words_stream,
)
from axon import Pipeline
from components import Collector, IterableSource
from components.nats import JetStreamPublisher, NatsServer, NatsSubscriber
from tests.components.nats.helpers import Running

FIRST = [f"the line {i} says Alpha and {'beta ' * (i % 3)}done" for i in range(120)]
LATER = [f"later line {i}: alpha GAMMA the end" for i in range(80)]


def count(lines: list[str]) -> Counter[str]:
    return Counter(w for line in lines for w in words(line))


@pytest.fixture
def url() -> Iterator[str]:
    server = NatsServer().start()
    try:
        yield server.url
    finally:
        server.close()


def publish(run: Running, url: str, lines: list[str]) -> JetStreamPublisher:
    pub = JetStreamPublisher(SUBJECT, stream=words_stream(), nats=url)
    run.add(Pipeline(IterableSource(lines), pub))
    return pub


def test_queries_merge_the_batch_view_and_the_stream_view_exactly(url: str) -> None:
    async def main() -> None:
        layer, speed, sub = stream_layer(url)
        live = LiveCount(speed)
        async with Running(layer, timeout=60) as run:
            await run.wait(sub.subscribed)
            publish(run, url, FIRST)
            await run.until(lambda: speed.has_seen(120))
            assert live.merged() == count(FIRST) and live.upto == 0  # the stream view alone
            counts = await run.wait(batch_recount(run.scheduler, url, 120, shard_chars=500))
            assert counts == count(FIRST)  # the batch layer's recount of the log
            live.install(120, counts)
            assert live.speed.total == Counter() and live.merged() == count(FIRST)
            publish(run, url, LATER)
            await run.until(lambda: speed.has_seen(200))
            assert speed.total == count(LATER) and sorted(speed.by_seq) == list(range(121, 201))
            assert live.merged() == count(FIRST + LATER)
            assert live.query("Alpha") == 200 and live.query("the") == 200
            assert live.query("gamma") == 80 and live.query("nowhere") == 0

    asyncio.run(main())


def test_a_stream_layer_behind_the_batch_view_counts_no_line_twice(url: str) -> None:
    async def main() -> None:
        idle = NatsSubscriber("test.idle", nats=url)  # (keeps the scheduler running)
        async with Running(Pipeline(idle, Collector()), timeout=60) as run:
            publish(run, url, FIRST)
            counts = await run.wait(batch_recount(run.scheduler, url, 120, shard_chars=300))
            layer, speed, _ = stream_layer(url, durable="late")
            live = LiveCount(speed)
            live.install(120, counts)  # before the stream layer has seen anything
            publish(run, url, LATER)
            run.add(layer)  # it starts from the first line of the log
            await run.until(lambda: speed.has_seen(200))
            assert sorted(speed.by_seq) == list(range(121, 201))
            assert live.merged() == count(FIRST + LATER)

    asyncio.run(main())
