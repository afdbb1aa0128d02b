"""Request/reply over a real nats-server: replies in request order, timeouts, no
responders, error replies for bad requests, and a responder that ends cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import nats
import pytest

from axon import Component, ComponentError, Pipeline, ProducerFinished
from components import IterableSource, Map
from components.nats import (
    NatsRequester,
    NatsResponder,
    RequestError,
    RequestFailed,
)

from .helpers import Log, Running, go


class Delayed(Component):
    """Replies ``f(request)`` after ``delay(request)`` seconds, one request at a time."""

    def __init__(self, delay: Any) -> None:
        super().__init__()
        self.delay = delay

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            if self.data_ready():
                request = self.recv()
                yield asyncio.sleep(self.delay(request))
                self.send(request * 10)
                continue
            self.pause()
            yield
        self.send(self.end_message, "signal")


def test_replies_come_back_in_the_order_of_the_requests(url: str) -> None:
    log = Log()
    # a responder per parity, each slower for some requests: replies arrive out of order
    responders = [NatsResponder("rr.order", Delayed(lambda r: 0.02 if r % 3 == 0 else 0.0),
                                queue="q", nats=url) for _ in range(2)]
    requester = NatsRequester("rr.order", nats=url, max_in_flight=16)

    async def main() -> None:
        async with Running(*responders) as run:
            for r in responders:
                await run.wait(r.subscribed)
            run.add(Pipeline(IterableSource(range(60)), requester, log))
            await run.until(lambda: len(log.items) == 60)
            assert isinstance(log.ended, ProducerFinished) or log.ended is None

    go(main())
    assert log.items == [10 * i for i in range(60)]
    assert requester.answered == 60 and requester.failed == 0
    assert sum(r.replied for r in responders) == 60


def test_a_request_without_a_reply_in_time_fails_with_a_timeout_error(url: str) -> None:
    log, errors = Log(), Log()
    responder = NatsResponder("rr.slow", Delayed(lambda r: 1.0 if r == 2 else 0.0), nats=url)
    requester = NatsRequester("rr.slow", nats=url, timeout=0.3, on_error="send")
    requester.link((requester, "error"), (errors, "inbox"))

    async def main() -> None:
        async with Running(responder, errors) as run:
            await run.wait(responder.subscribed)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            run.add(Pipeline(requester, log))  # (fed by hand: it stays for the late reply)
            await run.wait(requester.subscribed)
            for request in (1, 2):
                requester.inboxes["inbox"].put(request)
            await run.until(lambda: errors.items)
            took = loop.time() - t0
            assert 0.3 <= took < 0.8  # when the timeout says, not later
            await run.until(lambda: requester.late == 1, timeout=3)  # the late reply: ignored

    go(main())
    assert log.items == [10]
    (failure,) = errors.items
    assert isinstance(failure, RequestFailed) and failure.request == 2
    assert "no reply within 0.3 s" in failure.reason and failure.subject == "rr.slow"


def test_by_default_a_failed_request_stops_the_system_naming_the_requester(url: str) -> None:
    requester = NatsRequester("rr.nobody", nats=url, timeout=5.0)

    async def main() -> None:
        async with Running(Pipeline(IterableSource([1]), requester, Log())) as run:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            with pytest.raises(ComponentError) as err:
                await run.finished()
            assert loop.time() - t0 < 1.0  # no responders: known at once, not at the timeout
            assert isinstance(err.value.error, RequestError)
            assert "NatsRequester(rr.nobody)" in str(err.value)
            assert "no responders" in str(err.value)

    go(main())


def test_an_undecodable_request_gets_an_error_reply_at_once(url: str) -> None:
    errors = Log()
    responder = NatsResponder("rr.bad", Map(lambda x: x), nats=url)
    responder.link((responder, "error"), (errors, "inbox"))

    async def main() -> None:
        async with Running(responder, errors) as run:
            await run.wait(responder.subscribed)
            nc = await nats.connect(url)
            try:
                reply = await nc.request("rr.bad", b"\xc1not msgpack", timeout=2)
            finally:
                await nc.close()
            assert reply.headers and "could not be decoded" in reply.headers["Axon-Error"]
            await run.until(lambda: errors.items)

    go(main())
    assert "rr.bad" in errors.items[0].problem


def test_a_responder_answers_what_it_was_asked_then_ends_with_its_worker(url: str) -> None:
    log = Log()
    worker = Delayed(lambda r: 0.05)
    responder = NatsResponder("rr.end", worker, nats=url)
    requester = NatsRequester("rr.end", nats=url, max_in_flight=8)

    async def main() -> None:
        async with Running(responder) as run:
            await run.wait(responder.subscribed)
            run.add(Pipeline(IterableSource(range(4)), requester, log))
            await run.until(lambda: responder.requests == 4)
            assert not worker.done
            responder.inboxes["control"].put(ProducerFinished())
            await run.finished()
            assert worker.done and responder.replied == 4  # ended after answering

    go(main())
    assert log.items == [0, 10, 20, 30]
