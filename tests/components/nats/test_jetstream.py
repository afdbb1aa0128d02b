"""JetStream links against a real nats-server: at least once through a consumer killed
with SIGKILL and a broker restarted mid-stream (every message processed, duplicates
counted), de-duplicated publishing, acknowledgement only after processing, and
backpressure from a slow consumer to its producer."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest

from axon import RECEIVE, Component, MsgpackCodec, Pipeline, ProducerFinished
from components import IterableSource, RateLimiter
from components.nats import (
    JetStreamMessage,
    JetStreamPublisher,
    JetStreamSubscriber,
    NatsOptions,
    NatsServer,
    Stream,
)

from .helpers import Log, Running, child, frozen, go, reap


@pytest.fixture(scope="module")
def server() -> Iterator[NatsServer]:
    srv = NatsServer().start()  # (this module restarts it: its own server)
    try:
        yield srv
    finally:
        srv.close()


def options(url: str) -> NatsOptions:
    return NatsOptions(url, reconnect_time_wait=0.1)


def test_a_stream_round_trip_acknowledges_everything(url: str) -> None:
    log = Log()
    stream = Stream("RT", ("rt.>",))
    pub = JetStreamPublisher("rt.a", stream=stream, nats=url, send_end=True)
    sub = JetStreamSubscriber("rt.a", durable="rt", stream=stream, nats=url)

    async def main() -> None:
        async with Running(Pipeline(IterableSource(range(2000)), pub), Pipeline(sub, log)) as run:
            await run.finished()

    go(main())
    assert log.items == list(range(2000)) and isinstance(log.ended, ProducerFinished)
    assert pub.published == 2000 and pub.failed == 0
    assert sub.acked == sub.delivered == 2001 and sub.redelivered == 0  # (and the end)


def test_a_message_id_seen_before_is_stored_once(url: str) -> None:
    stream = Stream("DEDUP", ("dedup.>",))
    first = JetStreamPublisher("dedup.a", stream=stream, nats=url, msg_id=lambda m: f"id-{m}")
    again = JetStreamPublisher("dedup.a", nats=url, msg_id=lambda m: f"id-{m}")

    async def main() -> None:
        async with Running(Pipeline(IterableSource(range(10)), first)) as run:
            await run.finished()
        async with Running(Pipeline(IterableSource(range(5, 15)), again)) as run:
            await run.finished()
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().stream_info("DEDUP")
        finally:
            await nc.close()
        assert info.state.messages == 15  # 0..14 once each

    go(main())
    assert again.duplicates == 5  # 5..9 were already there: acknowledged as duplicates


def test_a_publish_retried_after_its_acknowledgement_was_late_is_stored_once(
        server: NatsServer) -> None:
    """The broker frozen (SIGSTOP) while messages are in flight: the publisher sends them
    again after ``ack_timeout``; once the broker goes on it has each message twice, with
    the same message id, and keeps one of each."""
    url = server.start().url
    stream = Stream("RETRY", ("retry.>",))
    pub = JetStreamPublisher("retry.a", stream=stream, nats=url, ack_timeout=0.1)
    assert server.process is not None

    async def main() -> None:
        async with Running(pub) as run:  # (fed by hand)
            pub.inboxes["inbox"].put(-1)
            await run.until(lambda: pub.published == 1)  # (connected, stream made)
            server.process.send_signal(signal.SIGSTOP)
            try:
                await run.until(lambda: frozen(server.process.pid))  # (not yet answering)
                for i in range(300):
                    pub.inboxes["inbox"].put(i)
                await run.until(lambda: pub.retries >= 300)  # each sent again, unanswered
            finally:
                server.process.send_signal(signal.SIGCONT)
            await run.until(lambda: pub.published == 301)
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().stream_info("RETRY")
        finally:
            await nc.close()
        assert info.state.messages == 301  # not 601: the copies were dropped by id

    go(main())
    assert pub.failed == 0


class Hold(Component):
    """Takes each batch, then waits (awaiting) until :attr:`release` is set: a component
    in the middle of processing."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.processed: list[Any] = []

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            yield self.release.wait()
            self.processed.extend(batch)


def test_a_message_is_acknowledged_only_once_the_component_it_feeds_has_processed_it(
        url: str) -> None:
    stream = Stream("ACK", ("ack.>",))
    hold = Hold()
    sub = JetStreamSubscriber("ack.a", durable="ack", stream=stream, nats=url)

    async def pending() -> int:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().consumer_info("ACK", "ack")
            return int(info.num_ack_pending)
        finally:
            await nc.close()

    async def main() -> None:
        async with Running(Pipeline(sub, hold)) as run:
            await run.wait(sub.subscribed)
            run.add(Pipeline(IterableSource(range(20)), JetStreamPublisher("ack.a", nats=url)))
            await run.until(lambda: sub.delivered == 20)
            await asyncio.sleep(0.1)
            assert sub.acked == 0 and await pending() == 20  # taken, not processed: no ack
            hold.release.set()
            await run.until(lambda: sub.acked == 20)
            assert await pending() == 0 and hold.processed == list(range(20))

    go(main())


def test_a_consumer_killed_with_sigkill_loses_nothing(url: str, tmp_path: Path) -> None:
    """kill -9 of the consuming process mid-stream: a second one (the same durable
    consumer) gets what the first had not acknowledged; every message is processed at
    least once, and the duplicates are the ones delivered again."""
    total = 1500
    out = tmp_path / "processed.txt"
    stream = Stream("KILL", ("kill.>",))
    pub = JetStreamPublisher("kill.a", stream=stream, nats=url, batch=False)

    async def publish() -> None:
        async with Running(Pipeline(IterableSource(range(total)), pub)) as run:
            await run.finished()

    go(publish())
    first = child(["tests.components.nats.peer", "consume", url, "kill.a", "workers", str(out),
                   "0.01"])
    second = None
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "READY"
        deadline = time.monotonic() + 20
        while _lines(out) < 300:  # mid-stream
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(5) == -signal.SIGKILL
        killed_at = _lines(out)
        assert killed_at < total
        second = child(["tests.components.nats.peer", "consume", url, "kill.a", "workers",
                        str(out), "0"])
        assert second.stdout is not None and second.stdout.readline().strip() == "READY"
        while len(_values(out)) < total:
            assert time.monotonic() < deadline + 10 and second.poll() is None, _lines(out)
            time.sleep(0.02)
    finally:
        reap(first, *([second] if second else []))
    records = [line.split() for line in out.read_text().splitlines()]
    values = [int(v) for v, _ in records]
    assert sorted(set(values)) == list(range(total))  # every message processed
    duplicates = len(values) - total
    redelivered = {int(v) for v, d in records if int(d) > 1}
    seen: set[int] = set()
    for v, _ in records:  # a value processed twice came again as a redelivery
        if int(v) in seen:
            assert int(v) in redelivered
        seen.add(int(v))
    assert redelivered  # the first consumer's unacknowledged messages came again
    print(f"killed after {killed_at} lines; duplicates {duplicates}, "
          f"redelivered {len(redelivered)}")


def _lines(path: Path) -> int:
    try:
        return path.read_text().count("\n")
    except FileNotFoundError:
        return 0


def _values(path: Path) -> set[int]:
    try:
        return {int(line.split()[0]) for line in path.read_text().splitlines() if line}
    except FileNotFoundError:
        return set()


class Count(Component):
    """Counts how many times each value was processed."""

    def __init__(self) -> None:
        super().__init__()
        self.times: dict[int, int] = {}

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for v in batch:
                self.times[v] = self.times.get(v, 0) + 1


def test_a_broker_restarted_mid_stream_loses_nothing(server: NatsServer) -> None:
    """The broker killed (kill -9) and started again on the same store while messages
    flow both in and out: every message is stored once (publish retries de-duplicated)
    and processed at least once."""
    total = 3000
    url = server.start().url
    stream = Stream("RESTART", ("restart.>",))
    count = Count()
    pub = JetStreamPublisher("restart.a", stream=stream, nats=options(url), ack_timeout=1.0)
    sub = JetStreamSubscriber("restart.a", durable="restart", stream=stream,
                              nats=options(url), ack_wait=1.0, expires=1.0)

    async def main() -> None:
        async with Running(Pipeline(sub, count)) as run:
            await run.wait(sub.subscribed)
            run.add(Pipeline(IterableSource(range(total)), RateLimiter(3000, burst=30), pub))
            await run.until(lambda: len(count.times) > 600)
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: server.restart(hard=True))
            await run.until(lambda: len(count.times) == total, timeout=30)
            await run.until(lambda: pub.done)
            nc = await nats.connect(url)
            try:
                info = await nc.jetstream().stream_info("RESTART")
            finally:
                await nc.close()
            assert info.state.messages == total  # stored once each: retries de-duplicated

    go(main())
    duplicates = sum(n - 1 for n in count.times.values())
    assert sorted(count.times) == list(range(total))
    assert pub.failed == 0
    assert sub.connection is not None and sub.connection.disconnects >= 1
    print(f"retries {pub.retries}, duplicate acks {pub.duplicates}, processed twice "
          f"{duplicates}, redelivered {sub.redelivered}")


def test_a_slow_consumer_of_a_bounded_work_queue_slows_its_producer(url: str) -> None:
    """Backpressure end to end: a work-queue stream of at most 50 messages (new ones
    refused when full), a consumer taking 5 ms per message: the producer is held back to
    the consumer's pace, memory stays bounded, and nothing is lost."""
    stream = Stream("BP", ("bp.>",), retention="workqueue", max_msgs=50, discard="new")
    slow = Log()
    produced: list[float] = []
    consumed: list[float] = []

    class Produce(Component):
        def main(self) -> Generator[Any, Any, None]:
            for item in range(300):
                produced.append(time.monotonic())
                self.send(item)  # (blocks while the publisher's inbox is full)
                yield
            self.send(ProducerFinished(), "signal")

    class Work(Component):
        def main(self) -> Generator[Any, Any, None]:
            while (batch := (yield RECEIVE)) is not None:
                for item in batch:
                    yield asyncio.sleep(0.005)
                    consumed.append(time.monotonic())
                    self.send(item)
            self.send(self.end_message, "signal")

    pub = JetStreamPublisher("bp.a", stream=stream, nats=url, max_in_flight=20)
    pub.set_bound("inbox", 10)
    sub = JetStreamSubscriber("bp.a", durable="bp", stream=stream, nats=url, max_ack_pending=10)

    async def main() -> None:
        async with Running(Pipeline(sub, Work(), slow)) as run:
            await run.wait(sub.subscribed)
            run.add(Pipeline(Produce(), pub))
            await run.until(lambda: len(slow.items) == 300, timeout=30)

    go(main())
    assert sorted(slow.items) == list(range(300))
    assert pub.retries > 0  # the full stream refused messages: they were retried, not lost
    # the producer was held to the consumer's pace: its messages were accepted (acked by
    # the stream) no faster than the consumer made room, so it finished near the end
    # ahead of the consumer by no more than what the bounds allow: its inbox (10), the
    # messages waiting for the stream's acknowledgement (20), the stream (50) and the
    # consumer's unacknowledged ones (10), give or take a batch in passing
    for k, t in enumerate(produced):
        consumed_by_then = sum(1 for c in consumed if c <= t)
        assert k - consumed_by_then <= 10 + 20 + 50 + 10 + 10, (k, consumed_by_then)


def test_redeliveries_are_visible_to_the_component_fed(url: str) -> None:
    stream = Stream("REDO", ("redo.>",))
    log = Log()

    async def main() -> None:
        nc = await nats.connect(url)
        try:  # deliver one message to a consumer that never acknowledges it
            js = nc.jetstream()
            await js.add_stream(stream.config())
            await js.publish("redo.a", MsgpackCodec().encode_batch(["x"]))
            psub = await js.pull_subscribe("redo.a", durable="redo",
                                           config=_consumer_config(ack_wait=0.5))
            (_delivered,) = await psub.fetch(1, timeout=2)
        finally:
            await nc.close()
        sub = JetStreamSubscriber("redo.a", durable="redo", stream="REDO", nats=url,
                                  envelope=True)
        async with Running(Pipeline(sub, log)) as run:
            await run.until(lambda: log.items)
            await run.until(lambda: sub.acked == 1)

    go(main())
    (msg,) = log.items
    assert isinstance(msg, JetStreamMessage) and msg.data == "x" and msg.delivered == 2


def _consumer_config(ack_wait: float) -> Any:
    from nats.js import api

    return api.ConsumerConfig(ack_policy=api.AckPolicy.EXPLICIT, ack_wait=ack_wait)
