"""Child processes for the NATS tests (``python -m tests.components.nats.peer KIND ...``).

- ``consume URL SUBJECT DURABLE OUT DELAY``: a JetStream consumer whose processing writes
  ``value delivered`` lines to OUT (flushed), sleeping DELAY seconds per batch; prints
  READY once subscribed; runs until killed.
- ``backplane URL NAME ID COUNT PEERS``: a process on backplane NAME over NATS: prints
  READY once its bridge hears the others, waits for a line on stdin, publishes COUNT
  messages ``(ID, n)``, and once it has received COUNT from each of PEERS processes
  (itself included) prints one JSON line of what it got and exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Generator
from typing import Any

from axon import (
    RECEIVE,
    Backplane,
    Component,
    Pipeline,
    ProducerFinished,
    PublishTo,
    Scheduler,
    SubscribeTo,
)
from components import IterableSource
from components.nats import (
    JetStreamMessage,
    JetStreamSubscriber,
    NatsOptions,
    NatsTransport,
)


class Record(Component):
    """Writes each message's value and delivery count to a file: its processing."""

    def __init__(self, path: str, delay: float) -> None:
        super().__init__()
        self.file = open(path, "a", buffering=1)
        self.delay = delay

    def main(self) -> Generator[Any, Any, None]:
        try:
            while (batch := (yield RECEIVE)) is not None:
                for msg in batch:
                    assert isinstance(msg, JetStreamMessage)
                    self.file.write(f"{msg.data} {msg.delivered}\n")
                self.file.flush()
                if self.delay:
                    yield asyncio.sleep(self.delay)  # (mid-processing: not acknowledged yet)
        finally:
            self.file.close()


def consume(url: str, subject: str, durable: str, out: str, delay: str) -> None:
    sub = JetStreamSubscriber(subject, durable=durable, nats=NatsOptions(
        url, reconnect_time_wait=0.1), envelope=True, ack_wait=1.0, max_ack_pending=100,
        pull_batch=50, expires=1.0, end_on_message=False)
    system = Pipeline(sub, Record(out, float(delay)))

    async def main() -> None:
        sched = Scheduler()
        sched.activate(system)
        running = asyncio.ensure_future(sched.run_async())
        await sub.subscribed
        print("READY", flush=True)
        await running

    asyncio.run(main())


class Tally(Component):
    """Counts what reaches it per sender; ends the run once every peer's COUNT is in."""

    def __init__(self, count: int, peers: int, done: asyncio.Future[None]) -> None:
        super().__init__()
        self.count = count
        self.peers = peers
        self.got: dict[str, list[int]] = {}
        self.complete = done

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for sender, n in batch:
                self.got.setdefault(str(sender), []).append(n)
            if len(self.got) == self.peers and all(len(v) >= self.count
                                                   for v in self.got.values()):
                if not self.complete.done():
                    self.complete.set_result(None)


def backplane(url: str, name: str, ident: str, count: str, peers: str) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        bp = Backplane(name, transport=NatsTransport(url))
        tally = Tally(int(count), int(peers), done)
        sched = Scheduler()
        sched.activate(bp)
        sched.activate(Pipeline(SubscribeTo(name), tally))
        running = asyncio.ensure_future(sched.run_async(timeout=60))
        assert bp.bridge is not None
        await bp.bridge.subscribed
        print("READY", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        sched.activate(Pipeline(IterableSource([(ident, n) for n in range(int(count))]),
                                PublishTo(name)))
        await asyncio.wait({done, running}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        stats = bp.bridge.statistics()
        bp.inboxes["control"].put(ProducerFinished())
        await running
        print(json.dumps({"got": tally.got, "sent": stats["sent"],
                          "received": stats["received"], "dropped": stats["dropped"]}),
              flush=True)

    asyncio.run(main())


if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    {"consume": consume, "backplane": backplane}[kind](*rest)
