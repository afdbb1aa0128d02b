"""A lambda-style live word count: a stream layer, a batch layer and queries merging both.

Lines of text are published to the subject ``words.live``, kept by the JetStream stream
``WORDS`` (the retained log; every line gets a stream sequence number).

- **Stream layer** (:class:`SpeedLayer`): a JetStream consumer feeds each line, as it
  arrives, to a component that counts its words, keeping the counts of each sequence
  number after the batch view's cutoff: a real-time view.
- **Batch layer** (:func:`batch_recount`): recounts the log from its start up to a
  sequence ``S`` (the stream's last, when it starts) by MapReduce: a fresh consumer reads
  lines 1..S, they are cut into shards, and map workers in processes, the shuffle, the
  reducers and the merge of apps/wordcount/mapreduce.py count them.
- **Query** (:class:`LiveCount`): the batch view (lines 1..S) plus the stream view's
  counts of lines after ``S``.  Installing a new batch view and making the stream view
  forget what it covers is one step in the scheduler's thread, so a query never counts a
  line twice or misses one: the merged answer is exact once the stream layer has seen
  every line (and before that, exact for the lines it has seen).

``python -m apps.wordcount.live`` runs it: it publishes lines of a corpus at a rate,
recounts the log every few seconds, prints queries as it goes, and at the end checks the
merged answer against ``collections.Counter`` over every line published.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

from axon import RECEIVE, Component, Graphline, Pipeline, ProducerFinished, Scheduler

from .corpus import Shard, default_corpus, files_of, read_text, words
from .mapreduce import build_mapreduce

__all__ = ["LiveCount", "SpeedLayer", "TextShards", "UpTo", "batch_recount", "main",
           "stream_layer"]

SUBJECT = "words.live"
STREAM_NAME = "WORDS"


def words_stream() -> Any:
    from components.nats import Stream

    return Stream(STREAM_NAME, (SUBJECT,))


class SpeedLayer(Component):
    """The stream layer's counter: counts the words of each line (a ``JetStreamMessage``)
    as it arrives, per stream sequence number; lines at or before :attr:`cutoff` are
    the batch view's and are not counted (a redelivered line is counted once)."""

    Inboxes = {"inbox": "JetStreamMessage records (lines)", "control": "the end"}
    Outboxes = {"outbox": "(unused)", "signal": "the end"}

    def __init__(self) -> None:
        super().__init__()
        self.total: Counter[str] = Counter()  # lines after the cutoff
        self.by_seq: dict[int, Counter[str]] = {}
        self.cutoff = 0
        self.seen = 0  # lines counted or already covered
        self.highest = 0

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for msg in batch:
                seq = msg.sequence
                if seq <= self.cutoff or seq in self.by_seq:
                    continue
                counts = Counter(words(msg.data))
                self.by_seq[seq] = counts
                self.total.update(counts)
                self.highest = max(self.highest, seq)
        self.send(self.end_message, "signal")

    def forget_upto(self, seq: int) -> None:
        """The batch view now covers lines 1..``seq``: drop their counts here."""
        if seq <= self.cutoff:
            return
        for s in [s for s in self.by_seq if s <= seq]:
            self.total.subtract(self.by_seq.pop(s))
        self.total = +self.total  # (drop the zeros)
        self.cutoff = seq

    def has_seen(self, seq: int) -> bool:
        """True once every line up to ``seq`` is counted here or covered by the cutoff."""
        return all(s <= self.cutoff or s in self.by_seq for s in range(1, seq + 1))


class LiveCount:
    """The query side: the batch view (lines 1..:attr:`upto`) merged with the stream view."""

    def __init__(self, speed: SpeedLayer) -> None:
        self.speed = speed
        self.batch: Counter[str] = Counter()
        self.upto = 0
        self.batches = 0

    def install(self, upto: int, counts: Counter[str]) -> None:
        """A new batch view for lines 1..``upto`` (in one step with the stream view's
        forgetting them, so no query sees a line twice or not at all)."""
        if upto < self.upto:
            return  # (an older recount finished late)
        self.batch, self.upto = counts, upto
        self.speed.forget_upto(upto)
        self.batches += 1

    def query(self, word: str) -> int:
        w = word.lower()
        return self.batch.get(w, 0) + self.speed.total.get(w, 0)

    def merged(self) -> Counter[str]:
        return self.batch + self.speed.total

    def explain(self, word: str) -> str:
        w = word.lower()
        return (f"{w}={self.query(w):,} (batch, lines 1..{self.upto}: {self.batch.get(w, 0):,};"
                f" stream, lines after: {self.speed.total.get(w, 0):,})")


def stream_layer(nats: str, durable: str = "speed") -> tuple[Component, SpeedLayer, Any]:
    """The stream layer's system, its counter, and its consumer (whose ``subscribed`` says
    when it is in place)."""
    from components.nats import JetStreamSubscriber

    sub = JetStreamSubscriber(SUBJECT, durable=durable, stream=words_stream(), nats=nats,
                              envelope=True, end_on_message=False)
    speed = SpeedLayer()
    return Pipeline(sub, speed, name="StreamLayer"), speed, sub


class UpTo(Component):
    """Passes on the text of stream lines 1..``last`` (each once), then ends and tells the
    consumer (on ``stop``) to end too."""

    Inboxes = {"inbox": "JetStreamMessage records", "control": "the end"}
    Outboxes = {"outbox": "the lines' text", "signal": "the end, once all are in",
                "stop": "ProducerFinished for the consumer"}

    def __init__(self, last: int) -> None:
        super().__init__()
        self.last = last
        self.seen: set[int] = set()

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while len(self.seen) < self.last:
            batch = yield RECEIVE
            if batch is None:
                self.send(self.end_message, "signal")
                return
            for msg in batch:
                if msg.sequence <= self.last and msg.sequence not in self.seen:
                    self.seen.add(msg.sequence)
                    out.push(msg.data)
        self.send(ProducerFinished("log read"), "stop")
        self.send(ProducerFinished("log read"), "signal")


class TextShards(Component):
    """Groups lines into text :class:`Shard` records of about ``target`` characters."""

    Inboxes = {"inbox": "lines of text", "control": "the end"}
    Outboxes = {"outbox": "Shard records", "signal": "the end"}

    def __init__(self, target: int = 64 * 1024) -> None:
        super().__init__()
        self.target = target
        self.shards = 0

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        lines: list[str] = []
        size = 0
        while (batch := (yield RECEIVE)) is not None:
            for line in batch:
                lines.append(line)
                size += len(line) + 1
                if size >= self.target:
                    out.push(Shard(self.shards, text="\n".join(lines), size=size))
                    self.shards += 1
                    lines, size = [], 0
        if lines:
            out.push(Shard(self.shards, text="\n".join(lines), size=size))
            self.shards += 1
        self.send(self.end_message, "signal")


_runs = itertools.count(1)


async def batch_recount(scheduler: Scheduler, nats: str, upto: int, *, mappers: int = 2,
                        reducers: int = 2, shard_chars: int = 64 * 1024,
                        timeout: float = 120.0) -> Counter[str]:
    """The batch layer: recount lines 1..``upto`` of the log by MapReduce (on
    ``scheduler``, which must be running); returns the counts."""
    from components.nats import JetStreamSubscriber

    if upto <= 0:
        return Counter()
    reader = JetStreamSubscriber(SUBJECT, durable=f"batch{next(_runs)}x{time.time_ns()}",
                                 stream=words_stream(), nats=nats, envelope=True,
                                 end_on_message=False, pull_batch=500, max_ack_pending=2000)
    upto_c = UpTo(upto)
    shards = TextShards(shard_chars)
    source = Graphline({
        ("reader", "outbox"): ("upto", "inbox"), ("reader", "signal"): ("upto", "control"),
        ("upto", "stop"): ("reader", "control"),
        ("upto", "outbox"): ("shards", "inbox"), ("upto", "signal"): ("shards", "control"),
        ("shards", "outbox"): ("self", "outbox"), ("shards", "signal"): ("self", "signal"),
    }, name="Log", reader=reader, upto=upto_c, shards=shards)
    system, parts = build_mapreduce(source, mappers, reducers, "processes")
    done: asyncio.Future[Counter[str]] = asyncio.get_running_loop().create_future()
    parts["gather"].done_future = done
    scheduler.activate(system)
    return await asyncio.wait_for(done, timeout)


# -- the demonstration ---------------------------------------------------------------------------


def corpus_lines(paths: Iterable[str | Path], limit: int) -> Iterator[str]:
    """Up to ``limit`` non-empty lines of the files under ``paths``."""
    n = 0
    for f in files_of(paths):
        for line in read_text(f).splitlines():
            if line.strip():
                yield line
                n += 1
                if n >= limit:
                    return


async def _delete_stream(nats: str) -> None:
    """Start from an empty log: remove the stream left by an earlier run on this server."""
    import nats as nats_py
    from nats.js.errors import NotFoundError

    nc = await nats_py.connect(nats)
    try:
        await nc.jetstream().delete_stream(STREAM_NAME)
    except NotFoundError:
        pass
    finally:
        await nc.close()


async def _last_seq(nats: str) -> int:
    import nats as nats_py

    nc = await nats_py.connect(nats)
    try:
        info = await nc.jetstream().stream_info(STREAM_NAME)
        return int(info.state.last_seq)
    finally:
        await nc.close()


async def _demo(args: argparse.Namespace, nats: str) -> int:
    from components import IterableSource, RateLimiter
    from components.nats import JetStreamPublisher

    lines = list(corpus_lines(args.paths or default_corpus(), args.lines))
    await _delete_stream(nats)
    expected = Counter(w for line in lines for w in words(line))
    sched = Scheduler()
    layer, speed, sub = stream_layer(nats)
    live = LiveCount(speed)
    publisher = JetStreamPublisher(SUBJECT, stream=words_stream(), nats=nats)
    sched.activate(layer)
    running = asyncio.ensure_future(sched.run_async())
    await asyncio.wait_for(sub.subscribed, 30)
    sched.activate(Pipeline(IterableSource(lines), RateLimiter(args.rate, burst=50), publisher,
                            name="Producer"))
    print(f"live: publishing {len(lines):,} lines at {args.rate:g}/s to {SUBJECT} "
          f"(JetStream {STREAM_NAME}); a batch recount every {args.batch_every:g} s")
    t0 = time.monotonic()
    watch = [w for w, _ in expected.most_common(3)]

    def report(label: str) -> None:
        print(f"  {time.monotonic() - t0:5.1f} s {label}: "
              + "; ".join(live.explain(w) for w in watch))

    recount: asyncio.Task[Counter[str]] | None = None
    upto = 0
    while True:
        await asyncio.sleep(args.batch_every)
        if recount is not None and recount.done():
            live.install(upto, recount.result())
            report(f"batch view {live.batches} installed")
            recount = None
        if recount is None and upto < len(lines):
            upto = await _last_seq(nats)
            recount = asyncio.ensure_future(batch_recount(
                sched, nats, upto, mappers=args.mappers, reducers=args.reducers))
        report("query")
        if publisher.published >= len(lines) and speed.has_seen(len(lines)):
            break
        if time.monotonic() - t0 > args.timeout:
            print("live: the stream layer did not catch up in time", file=sys.stderr)
            break
    if recount is not None:
        live.install(upto, await recount)
        report(f"batch view {live.batches} installed")
    merged = live.merged()
    same = merged == expected
    print(f"merged view: {sum(merged.values()):,} words; batch view covers lines 1..{live.upto}"
          f", stream view {len(speed.by_seq)} lines after; against collections.Counter over "
          f"every line published: {'the same, word for word' if same else 'DIFFERENT'}")
    layer.inboxes["control"].put(ProducerFinished("demo over"))
    await asyncio.wait_for(running, 30)
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m apps.wordcount.live", description=__doc__)
    ap.add_argument("paths", nargs="*", metavar="PATH", help="where the lines come from "
                                                             "(default: the standard library)")
    ap.add_argument("--lines", type=int, default=4000, help="lines to publish")
    ap.add_argument("--rate", type=float, default=1000.0, help="lines a second")
    ap.add_argument("--batch-every", type=float, default=1.5, help="seconds between recounts")
    ap.add_argument("--mappers", type=int, default=2)
    ap.add_argument("--reducers", type=int, default=2)
    ap.add_argument("--nats", metavar="URL", help="a server with JetStream (default: start "
                                                  "one); its stream WORDS is emptied first")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    server = None
    try:
        url = args.nats
        if url is None:
            from components.nats import NatsServer

            server = NatsServer().start()
            url = server.url
        return asyncio.run(_demo(args, url))
    finally:
        if server is not None:
            server.close()


if __name__ == "__main__":
    raise SystemExit(main())
