"""Core NATS links against a real nats-server: round trips, batching, wildcards, queue
groups, bad payloads, pickle only on request, and a slow consumer's drops counted."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import nats
import pytest

from axon import (
    Component,
    MsgpackCodec,
    Pipeline,
    ProducerFinished,
    Shutdown,
    snapshot,
)
from components import BadInput, IterableSource
from components.nats import (
    ConnectionState,
    NatsConnection,
    NatsMessage,
    NatsPublisher,
    NatsSubscriber,
    SlowConsumer,
)

from .helpers import Log, Running, Slow, go


def test_messages_cross_one_per_nats_message_in_order(url: str) -> None:
    log = Log()
    sub = NatsSubscriber("core.one", nats=url)

    async def main() -> None:
        async with Running(Pipeline(sub, log)) as run:
            await run.wait(sub.subscribed)
            pub = NatsPublisher("core.one", nats=url, batch=False)
            run.add(Pipeline(IterableSource(range(500)), pub))
            await run.until(lambda: len(log.items) == 500)
            assert pub.payloads == 500 and sub.payloads == 500  # one message per NATS message

    go(main())
    assert log.items == list(range(500))


def test_a_busy_link_carries_many_messages_per_nats_message(url: str) -> None:
    log = Log()
    sub = NatsSubscriber("core.batched", nats=url)
    items = [{"n": i, "name": f"item{i}", "pair": (i, -i)} for i in range(20_000)]

    async def main() -> None:
        async with Running(Pipeline(sub, log)) as run:
            await run.wait(sub.subscribed)
            pub = NatsPublisher("core.batched", nats=url)
            run.add(Pipeline(IterableSource(items), pub))
            await run.until(lambda: len(log.items) == len(items))
            assert pub.published == len(items)
            assert sub.payloads <= len(items) // 10  # batches, not one per message

    go(main())
    assert log.items == items  # in order, tuples still tuples


def test_a_wildcard_subscription_with_envelopes_says_where_each_message_came_from(
        url: str) -> None:
    log = Log()
    sub = NatsSubscriber("sensors.*.temp", nats=url, envelope=True)

    async def main() -> None:
        async with Running(Pipeline(sub, log)) as run:
            await run.wait(sub.subscribed)
            for room, value in (("kitchen", 21), ("hall", 18), ("kitchen", 22)):
                run.add(Pipeline(IterableSource([value]), NatsPublisher(f"sensors.{room}.temp",
                                                                       nats=url)))
                await run.until(lambda n=len(log.items): len(log.items) == n + 1)  # noqa: B008
            run.add(Pipeline(IterableSource([99]), NatsPublisher("sensors.kitchen.humidity",
                                                                 nats=url)))
            await asyncio.sleep(0.05)

    go(main())
    assert [(m.subject, m.data) for m in log.items] == [
        ("sensors.kitchen.temp", 21), ("sensors.hall.temp", 18), ("sensors.kitchen.temp", 22)]
    assert all(isinstance(m, NatsMessage) for m in log.items)


def test_one_connection_is_shared_and_its_state_shows_in_snapshot(url: str) -> None:
    log = Log()
    sub = NatsSubscriber("core.shared", nats=url)
    pub = NatsPublisher("core.shared", nats=url)
    source = Component()  # a publisher fed by nothing yet: it stays connected

    async def main() -> None:
        async with Running(Pipeline(sub, log), Pipeline(source, pub)) as run:
            await run.wait(sub.subscribed)
            snap = snapshot(run.scheduler)
            conns = [c for c in snap.components if c.type == "NatsConnection"]
            assert len(conns) == 1  # one TCP connection for both links
            assert conns[0].details["state"] == "connected"
            assert conns[0].details["users"] == 2
            assert conns[0].details["server"] == url
            assert snap.component(sub.path).details["connection"] == "connected"
            assert sub.connection is pub.connection
            sub.inboxes["control"].put(Shutdown())
            pub.inboxes["control"].put(Shutdown())
            await run.finished()
            conn = sub.connection
            assert conn is not None and conn.done and conn.status is ConnectionState.CLOSED
            assert conn.client is not None and conn.client.is_closed  # no socket left

    go(main())


def test_an_end_published_on_the_subject_ends_the_subscriber_after_the_data(url: str) -> None:
    log = Log()
    sub = NatsSubscriber("core.end", nats=url)

    async def main() -> None:
        async with Running(Pipeline(sub, log)) as run:
            await run.wait(sub.subscribed)
            run.add(Pipeline(IterableSource(range(100)), NatsPublisher("core.end", nats=url,
                                                                     send_end=True)))
            await run.finished()

    go(main())
    assert log.items == list(range(100))
    assert isinstance(log.ended, ProducerFinished)


def test_undecodable_payloads_are_reported_with_subject_and_reason_and_the_link_goes_on(
        url: str) -> None:
    log, errors = Log(), Log()
    sub = NatsSubscriber("core.bad", nats=url)
    sub.link((sub, "error"), (errors, "inbox"))
    good = MsgpackCodec().encode_batch(["after"])

    async def main() -> None:
        async with Running(Pipeline(sub, log), errors) as run:
            await run.wait(sub.subscribed)
            nc = await nats.connect(url)
            try:
                for payload in (MsgpackCodec().encode_batch(["before"]), b"\xc1garbage",
                                b"\x93\x01", b"", good):
                    await nc.publish("core.bad", payload)
                await nc.flush()
            finally:
                await nc.close()
            await run.until(lambda: "after" in log.items)

    go(main())
    assert log.items == ["before", "after"]
    assert len(errors.items) == 3 and sub.decode_errors == 3
    for record in errors.items:
        assert isinstance(record, BadInput)
        assert "core.bad" in record.problem and "msgpack" in record.problem


def test_a_message_that_cannot_be_encoded_is_reported_and_the_others_are_sent(url: str) -> None:
    log, errors = Log(), Log()
    sub = NatsSubscriber("core.encode", nats=url)
    pub = NatsPublisher("core.encode", nats=url)
    pub.link((pub, "error"), (errors, "inbox"))

    async def main() -> None:
        async with Running(Pipeline(sub, log), errors) as run:
            await run.wait(sub.subscribed)
            run.add(Pipeline(IterableSource([1, 2, object(), 4, {5}, 6]), pub))
            await run.until(lambda: len(log.items) == 4)

    go(main())
    assert log.items == [1, 2, 4, 6]
    assert [type(r.data).__name__ for r in errors.items] == ["object", "set"]
    assert all("core.encode" in r.problem for r in errors.items)


class Boom:
    """Unpickling it would run code (here: it would record that it did)."""

    ran: list[str] = []

    def __reduce__(self) -> Any:
        return (Boom.ran.append, ("unpickled",))


class Point:
    def __init__(self, x: int) -> None:
        self.x = x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and other.x == self.x

    def __hash__(self) -> int:
        return hash(self.x)


def test_pickle_is_used_only_when_asked_for(url: str) -> None:
    safe, trusted, errors = Log(), Log(), Log()
    default_sub = NatsSubscriber("core.pickle", nats=url)
    default_sub.link((default_sub, "error"), (errors, "inbox"))
    pickle_sub = NatsSubscriber("core.pickle2", nats=url, codec="pickle")

    async def main() -> None:
        async with Running(Pipeline(default_sub, safe), Pipeline(pickle_sub, trusted),
                           errors) as run:
            await run.wait(default_sub.subscribed)
            await run.wait(pickle_sub.subscribed)
            nc = await nats.connect(url)
            try:  # a pickle sent to a link that did not ask for pickle: never unpickled
                await nc.publish("core.pickle", pickle.dumps([Boom()]))
                await nc.flush()
            finally:
                await nc.close()
            await run.until(lambda: errors.items)
            run.add(Pipeline(IterableSource([Point(3)]),
                             NatsPublisher("core.pickle2", nats=url, codec="pickle")))
            await run.until(lambda: trusted.items)

    go(main())
    assert Boom.ran == [] and safe.items == []
    assert "cannot decode" in errors.items[0].problem
    assert trusted.items == [Point(3)]


def test_a_slow_consumers_drops_are_bounded_counted_and_reported(url: str) -> None:
    slow, events = Slow(0.02), Log()
    sub = NatsSubscriber("core.slow", nats=url, max_pending=50)
    sub.link((sub, "events"), (events, "inbox"))
    depths: list[int] = []

    async def main() -> None:
        async with Running(Pipeline(sub, slow), events) as run:
            await run.wait(sub.subscribed)
            nc = await nats.connect(url)
            try:
                codec = MsgpackCodec()
                for i in range(1000):
                    await nc.publish("core.slow", codec.encode_batch([i]))
                    if i % 100 == 0:
                        await nc.flush()
                        depths.append(len(sub.inboxes["nats"].queue)
                                      + len(slow.inboxes["inbox"].queue))
                await nc.flush()
            finally:
                await nc.close()
            await run.until(lambda: len(slow.taken) + sub.dropped == 1000)
            await asyncio.sleep(0.05)  # (a report is sent at the subscriber's next turn)

    go(main())
    assert max(depths) <= 50  # bounded: what waits for the slow consumer never passes 50
    assert sub.dropped >= 800  # most of the burst could not be kept...
    assert slow.taken == sorted(slow.taken) and len(set(slow.taken)) == len(slow.taken)
    reports = [e for e in events.items if isinstance(e, SlowConsumer)]
    assert reports and reports[-1].total == sub.dropped  # ...and every drop was reported
    assert sum(r.dropped for r in reports) == sub.dropped


def test_queue_group_members_share_the_messages_each_exactly_once(url: str) -> None:
    logs = [Log() for _ in range(3)]
    subs = [NatsSubscriber("core.work", queue="workers", nats=url) for _ in logs]

    async def main() -> None:
        async with Running(*(Pipeline(s, lg) for s, lg in zip(subs, logs))) as run:
            for s in subs:
                await run.wait(s.subscribed)
            run.add(Pipeline(IterableSource(range(3000)),
                             NatsPublisher("core.work", nats=url, batch=False)))
            await run.until(lambda: sum(len(lg.items) for lg in logs) == 3000)
            await asyncio.sleep(0.05)

    go(main())
    got = [x for lg in logs for x in lg.items]
    assert sorted(got) == list(range(3000))  # nothing lost, nothing twice
    assert all(len(lg.items) > 300 for lg in logs)  # every member took a share


def test_subjects_are_checked_when_the_link_is_made() -> None:
    with pytest.raises(ValueError, match="wildcards are for subscriptions"):
        NatsPublisher("a.*")
    with pytest.raises(ValueError, match="token 1"):
        NatsSubscriber("a..b")
    NatsSubscriber("a.>")


def test_a_connection_that_cannot_be_made_fails_the_system_naming_the_server() -> None:
    from components.nats import NatsOptions
    from components.nats._server import free_port

    dead = f"nats://127.0.0.1:{free_port()}"
    opts = NatsOptions(dead, connect_wait=0.5)
    with pytest.raises(Exception) as err:
        go(_run_until_done(Pipeline(NatsSubscriber("x", nats=opts), Log())))
    text = str(err.value)
    assert "NatsConnection" in text and dead in text and "cannot connect" in text


async def _run_until_done(system: Component) -> None:
    async with Running(system) as run:
        await run.finished()


def test_a_shutdown_subscriber_stops_promptly_and_leaves_no_interest(url: str) -> None:
    log = Log()
    sub = NatsSubscriber("core.stop", nats=url)

    async def main() -> None:
        async with Running(Pipeline(sub, log)) as run:
            await run.wait(sub.subscribed)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            sub.inboxes["control"].put(Shutdown())
            await run.finished()
            assert loop.time() - t0 < 1.0
        nc = await nats.connect(url)
        try:
            with pytest.raises(nats.errors.NoRespondersError):
                await nc.request("core.stop", b"", timeout=2)
        finally:
            await nc.close()

    go(main())
    assert isinstance(log.ended, Shutdown)
    assert isinstance(sub.connection, NatsConnection) and sub.connection.done
