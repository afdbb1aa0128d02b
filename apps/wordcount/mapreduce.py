"""Word count by MapReduce: split, map in other processes or on other machines, shuffle by
the hash of the key to R reducers, reduce, merge.

::

    shards ─▶ map workers ─▶ Shuffle ─┬▶ Reducer 0 ─┐
              (WorkerPool, or          ├▶ Reducer 1 ─┼▶ Gather ─▶ the counts
               NATS map services)      └▶ Reducer R ─┘

- *Split*: the input as shards of about 512 KB (apps/wordcount/corpus.py).
- *Map*: a :class:`MapWorker` counts a shard's words and splits its counts into R parts by
  a stable hash of the word (``crc32``, the same in every process and on every machine:
  Python's own ``hash`` of a str differs between processes).  With ``via="processes"``
  the workers are a :class:`~axon.WorkerPool`: a worker that dies has what it held
  re-sent to a live one (its shard is redone) and the pool passes each shard's result on
  once.  With ``via="nats"`` they are NATS services in a queue group (``axon serve
  apps.wordcount.mapreduce:map_service --subject wc.map --queue wc.mappers``, on any
  machine): the shard travels as text, and a request that gets no answer in time (its
  worker died) is sent again by the :class:`Dispatcher`, which passes each shard's result
  on once.
- *Shuffle*: part ``r`` of each map output goes to reducer ``r``, so each word is reduced
  in exactly one place; copies of a shard's output (a redone shard) are dropped here.
- *Reduce*: each :class:`Reducer` adds up its part of every shard (in this process, or
  each in a child process with ``reduce_in="processes"``).
- *Merge*: :class:`Gather` joins the R disjoint counts into one ``Counter``.
"""

from __future__ import annotations

import os
import signal
import time
import zlib
from collections import Counter, deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from axon import (
    RECEIVE,
    ChildProcess,
    Component,
    EndSignal,
    Graphline,
    ProducerFinished,
    ReaderGone,
    Shutdown,
    WorkerPool,
)

from .corpus import SHARD_BYTES, Shard, files_of, shards_of, words

__all__ = [
    "Dispatcher",
    "Gather",
    "MapOutput",
    "MapReduceResult",
    "MapWorker",
    "Reducer",
    "Shuffle",
    "build_mapreduce",
    "count_words",
    "map_service",
    "map_shard",
    "partition",
]

CRASH_ENV = "AXON_WORDCOUNT_CRASH_AFTER"  # a map service that dies (demonstrations, tests)


def partition(word: str, reducers: int) -> int:
    """The reducer of ``word``: a hash that is the same in every process and machine."""
    return zlib.crc32(word.encode("utf-8", "surrogatepass")) % reducers


@dataclass(frozen=True, slots=True)
class MapOutput:
    """One shard's counts, split into one part per reducer."""

    shard: int
    parts: tuple[dict[str, int], ...]
    words: int
    pid: int  # the process that mapped it

    def to_wire(self) -> list[Any]:
        return [self.shard, list(self.parts), self.words, self.pid]

    @classmethod
    def from_wire(cls, data: Any) -> MapOutput:
        shard, parts, n, pid = data
        return cls(int(shard), tuple(parts), int(n), int(pid))


def map_shard(shard: Shard | dict[str, Any], reducers: int | None = None) -> MapOutput:
    """The map task: count the words of a shard, partitioned for the reducers."""
    if isinstance(shard, dict):  # (from the network: plain data)
        sid, text, r = int(shard["id"]), str(shard["text"]), int(shard["r"])
    else:
        sid, r = shard.id, int(reducers or 1)
        text = shard.read()
    counts = Counter(words(text))
    parts: list[dict[str, int]] = [{} for _ in range(r)]
    if r == 1:
        parts[0] = dict(counts)
    else:
        for word, n in counts.items():
            parts[partition(word, r)][word] = n
    return MapOutput(sid, tuple(parts), sum(counts.values()), os.getpid())


class MapWorker(Component):
    """Maps each shard it is sent to one :class:`MapOutput` (one result per message, as a
    pool's worker and a NATS responder's worker must).  ``wire=True`` takes and sends
    plain data (NATS).  ``crash_after=K`` kills its own process when shard K+1 arrives
    (to show a worker dying mid-run)."""

    Inboxes = {"inbox": "shards", "control": "the end of stream"}
    Outboxes = {"outbox": "one MapOutput per shard", "signal": "the end, passed on"}

    def __init__(self, reducers: int | None = None, wire: bool = False,
                 crash_after: int | None = None) -> None:
        super().__init__()
        self.reducers, self.wire, self.crash_after = reducers, wire, crash_after
        self.mapped = 0
        self.receive_limit = 1  # (a shard is ~0.1 s of work: one a timeslice)

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for shard in batch:
                if self.crash_after is not None and self.mapped >= self.crash_after:
                    os.kill(os.getpid(), signal.SIGKILL)
                result = map_shard(shard, self.reducers)
                self.mapped += 1
                out.push(result.to_wire() if self.wire else result)
        self.send(self.end_message, "signal")


def map_service() -> Component:
    """The factory ``axon serve`` runs for a NATS map service (``$AXON_WORDCOUNT_CRASH_AFTER``
    makes it die when it is given that many shards plus one)."""
    crash = os.environ.get(CRASH_ENV)
    return MapWorker(wire=True, crash_after=int(crash) if crash else None)


class Shuffle(Component):
    """Sends part ``r`` of each map output to outbox ``r<r>``; drops a shard's second
    output (a redone shard); ends every reducer once its input has ended."""

    Inboxes = {"inbox": "MapOutput records (or their wire form)", "control": "the end"}
    Outboxes = {"outbox": "(unused)", "signal": "the end, to every reducer"}

    def __init__(self, reducers: int) -> None:
        super().__init__()
        self.reducers = reducers
        for r in range(reducers):
            self.add_outbox(f"r{r}", f"reducer {r}'s part of each shard's counts")
        self.shards: set[int] = set()
        self.duplicates = 0
        self.words = 0
        self.by_pid: Counter[int] = Counter()

    def main(self) -> Generator[Any, Any, None]:
        pushes = [self.outboxes[f"r{r}"].push for r in range(self.reducers)]
        while (batch := (yield RECEIVE)) is not None:
            for item in batch:
                out = item if isinstance(item, MapOutput) else MapOutput.from_wire(item)
                if out.shard in self.shards:
                    self.duplicates += 1
                    continue
                if len(out.parts) != self.reducers:
                    raise ValueError(f"shard {out.shard} was mapped for {len(out.parts)} "
                                     f"reducers, not {self.reducers}")
                self.shards.add(out.shard)
                self.words += out.words
                self.by_pid[out.pid] += 1
                for push, part in zip(pushes, out.parts):
                    if part:
                        push(part)
        self.send(self.end_message, "signal")


class Reducer(Component):
    """Adds up the parts it is sent; at the end sends ``(index, counts)``."""

    Inboxes = {"inbox": "dicts word -> count", "control": "the end"}
    Outboxes = {"outbox": "(index, Counter) at the end", "signal": "the end"}

    def __init__(self, index: int) -> None:
        super().__init__(name=f"Reducer{index}")
        self.index = index

    def main(self) -> Generator[Any, Any, None]:
        counts: Counter[str] = Counter()
        while (batch := (yield RECEIVE)) is not None:
            for part in batch:
                counts.update(part)
        if not isinstance(self.end_message, Shutdown):
            self.send((self.index, counts))
        self.send(self.end_message, "signal")


class Gather(Component):
    """Joins the reducers' counts (each word is in exactly one) into :attr:`counts`."""

    Inboxes = {"inbox": "(index, Counter) from each reducer", "control": "their ends"}
    Outboxes = {"outbox": "the final Counter", "signal": "the end"}

    def __init__(self, reducers: int) -> None:
        super().__init__()
        self.reducers = reducers
        self.counts: Counter[str] = Counter()
        self.sizes: dict[int, int] = {}
        self.finished_at = 0.0
        self.done_future: Any = None  # set to an asyncio future to hear of the end

    def main(self) -> Generator[Any, Any, None]:
        ends = 0
        end: EndSignal | None = None
        while True:
            for index, part in self.recv_all():
                overlap = self.counts.keys() & part.keys()
                if overlap:
                    raise ValueError(f"reducer {index} has words another reducer has too: "
                                     f"{sorted(overlap)[:5]}")
                self.counts.update(part)
                self.sizes[int(index)] = len(part)
            for msg in self.recv_all("control"):
                if isinstance(msg, Shutdown):
                    end = msg
                elif isinstance(msg, ProducerFinished):
                    ends += 1
            if isinstance(end, Shutdown) or (ends >= self.reducers and not self.data_ready()):
                break
            self.pause()
            yield
        self.finished_at = time.perf_counter()
        if end is None:
            if len(self.sizes) != self.reducers:
                raise ValueError(f"{self.reducers - len(self.sizes)} reducer(s) sent nothing")
            self.send(self.counts)
            end = ProducerFinished("counted")
        if self.done_future is not None and not self.done_future.done():
            self.done_future.set_result(self.counts)
        self.send(end, "signal")


class Dispatcher(Component):
    """Sends shards to the map requests (a NATS requester) and passes each shard's output
    on once; a request that failed (no answer in time: its worker died; no worker yet) is
    sent again after ``retry_delay`` seconds, at most ``attempts`` times in all.  Ends the
    requester, then itself, once every shard has its output."""

    Inboxes = {
        "inbox": "shards (wire form) from the splitter",
        "control": "the splitter's end",
        "results": "the requester's replies (MapOutput wire form)",
        "failed": "the requester's RequestFailed records",
        "requester_signal": "the requester's end",
    }
    Outboxes = {
        "to_requester": "shards to request",
        "requester_control": "the end, once every shard has its output",
        "outbox": "each shard's output, once",
        "signal": "the end",
    }

    def __init__(self, attempts: int = 5, retry_delay: float = 0.2) -> None:
        super().__init__()
        self.attempts, self.retry_delay = attempts, retry_delay
        self.outstanding: dict[int, Any] = {}
        self.tries: Counter[int] = Counter()
        self.redone = 0
        self.duplicates = 0

    def main(self) -> Generator[Any, Any, None]:
        import asyncio

        to_req = self.outboxes["to_requester"]
        out = self.outboxes["outbox"]
        done: set[int] = set()
        later: deque[tuple[float, Any]] = deque()
        source_ended = False
        told_requester = False
        while True:
            for msg in self.recv_all("control"):
                if isinstance(msg, ReaderGone) and told_requester:
                    continue  # (the requester finished, as told)
                if isinstance(msg, Shutdown):
                    self.send(msg, "requester_control")
                    self.send(msg, "signal")
                    return
                if isinstance(msg, ProducerFinished):
                    source_ended = True
            for shard in self.recv_all():
                self.outstanding[int(shard["id"])] = shard
                self.tries[int(shard["id"])] += 1
                to_req.push(shard)
            for data in self.recv_all("results"):
                sid = int(data[0])
                if sid in done:
                    self.duplicates += 1
                    continue
                done.add(sid)
                self.outstanding.pop(sid, None)
                out.push(data)
            now = time.monotonic()
            for failure in self.recv_all("failed"):
                shard = getattr(failure, "request", None)
                if not isinstance(shard, dict) or int(shard["id"]) in done:
                    continue
                sid = int(shard["id"])
                if self.tries[sid] >= self.attempts:
                    raise RuntimeError(f"shard {sid} failed {self.tries[sid]} times; the "
                                       f"last: {failure.reason}")
                later.append((now + self.retry_delay, shard))
            while later and later[0][0] <= now:
                _, shard = later.popleft()
                sid = int(shard["id"])
                if sid not in done:
                    self.tries[sid] += 1
                    self.redone += 1
                    to_req.push(shard)
            if source_ended and not self.outstanding and not told_requester:
                told_requester = True
                self.send(ProducerFinished("every shard mapped"), "requester_control")
            if told_requester and self.recv_all("requester_signal"):
                break
            if later:
                yield asyncio.sleep(max(0.0, later[0][0] - time.monotonic()))
                continue
            self.pause()
            yield
        self.send(ProducerFinished("every shard mapped"), "signal")


class KillMapper(Component):
    """Passes map outputs on; after ``after`` of them, kills one live pool worker's process
    with SIGKILL (a map worker dying mid-run, to show its shard being redone)."""

    def __init__(self, pool: WorkerPool, after: int) -> None:
        super().__init__()
        self.pool, self.after = pool, after
        self.killed: int | None = None

    def main(self) -> Generator[Any, Any, None]:
        seen = 0
        while (batch := (yield RECEIVE)) is not None:
            seen += len(batch)
            self.send_many(batch)
            if self.killed is None and seen >= self.after:
                live = [w for w in self.pool.workers if w.pid is not None and not w.done]
                if live:
                    self.killed = live[0].pid
                    os.kill(live[0].pid, signal.SIGKILL)  # type: ignore[arg-type]
        self.send(self.end_message, "signal")


@dataclass
class MapReduceResult:
    counts: Counter[str]
    seconds: float  # from the first shard sent to the merged counts
    shards: int
    words: int
    mappers: int
    reducers: int
    via: str
    redone: int = 0  # shards sent again (a worker died or did not answer)
    duplicates: int = 0  # shard outputs dropped as copies
    restarts: int = 0  # map workers restarted (processes)
    killed: int | None = None  # the map worker killed on purpose (--kill-mapper-after)
    per_mapper: list[int] = field(default_factory=list)  # shards mapped per process
    reducer_sizes: list[int] = field(default_factory=list)  # distinct words per reducer


class _Start(Component):
    """Sends the shards once every map worker is ready (their start is not timed)."""

    def __init__(self, items: Any, ready: Sequence[Any]) -> None:
        super().__init__()
        self.items, self.ready = items, list(ready)
        self.t0 = 0.0

    def main(self) -> Generator[Any, Any, None]:
        import asyncio

        waiting = [w.wait_ready() for w in self.ready if not w.ready]
        if waiting:  # (start-up: processes starting)
            yield asyncio.gather(*waiting)
        self.t0 = time.perf_counter()
        out = self.outboxes["outbox"]
        for item in self.items:
            for msg in self.recv_all("control"):
                if isinstance(msg, Shutdown):
                    self.send(msg, "signal")
                    return
            out.push(item)
            yield
        self.send(ProducerFinished("every shard sent"), "signal")


def build_mapreduce(shards: Any, mappers: int, reducers: int, via: str = "processes", *,
                    nats: str | None = None, reduce_in: str = "here",
                    kill_mapper_after: int | None = None, map_timeout: float = 10.0,
                    max_restarts: int = 3, subject: str = "wc.map"
                    ) -> tuple[Component, dict[str, Any]]:
    """The MapReduce system over ``shards`` (an iterable of :class:`Shard`, or with
    ``via="processes"`` a component sending them), and its parts by name (``start``,
    ``map``, ``shuffle``, ``gather``, ...)."""
    if mappers < 1 or reducers < 1:
        raise ValueError("at least one mapper and one reducer")
    if via not in ("processes", "nats"):
        raise ValueError(f"via is 'processes' or 'nats', not {via!r}")
    parts: dict[str, Any] = {}
    links: dict[tuple[str, str], Any] = {}
    given = shards if isinstance(shards, Component) else None
    if via == "processes":
        pool = WorkerPool(partial(MapWorker, reducers), mappers, ordered=False,
                          max_in_flight=2 * mappers, max_restarts=max_restarts, within=60,
                          name="Mappers")
        parts["start"] = given if given is not None else _Start(shards, pool.workers)
        parts["map"] = pool
        links[("start", "outbox")] = ("map", "inbox")
        links[("start", "signal")] = ("map", "control")
        last = "map"
        if kill_mapper_after is not None:
            parts["chaos"] = KillMapper(pool, kill_mapper_after)
            links[("map", "outbox")] = ("chaos", "inbox")
            links[("map", "signal")] = ("chaos", "control")
            last = "chaos"
    else:
        from components.nats import NatsRequester

        if given is not None:
            raise ValueError("via='nats' takes shards, not a component")
        parts["start"] = _Start((s.to_wire(reducers) for s in shards), [])
        parts["map"] = Dispatcher()
        parts["requests"] = NatsRequester(subject, nats=nats, timeout=map_timeout,
                                          max_in_flight=2 * mappers, on_error="send")
        links.update({
            ("start", "outbox"): ("map", "inbox"), ("start", "signal"): ("map", "control"),
            ("map", "to_requester"): ("requests", "inbox"),
            ("map", "requester_control"): ("requests", "control"),
            ("requests", "outbox"): ("map", "results"),
            ("requests", "error"): ("map", "failed"),
            ("requests", "signal"): ("map", "requester_signal"),
        })
        last = "map"
    parts["shuffle"] = Shuffle(reducers)
    links[(last, "outbox")] = ("shuffle", "inbox")
    links[(last, "signal")] = ("shuffle", "control")
    names = [f"reduce{r}" for r in range(reducers)]
    for r, name in enumerate(names):
        parts[name] = (ChildProcess(partial(Reducer, r), name=f"Reducer{r}")
                       if reduce_in == "processes" else Reducer(r))
        links[("shuffle", f"r{r}")] = (name, "inbox")
        links[(name, "outbox")] = ("gather", "inbox")
        links[(name, "signal")] = ("gather", "control")
    links[("shuffle", "signal")] = [(name, "control") for name in names]
    parts["gather"] = Gather(reducers)
    return Graphline(links, name="WordCount", **parts), parts


def count_words(inputs: Sequence[str | Path] | Sequence[Shard], mappers: int = 2,
                reducers: int = 2, via: str = "processes", *, nats: str | None = None,
                workers: int | None = None, reduce_in: str = "here",
                shard_bytes: int = SHARD_BYTES, kill_mapper_after: int | None = None,
                map_timeout: float = 10.0, timeout: float = 600.0) -> MapReduceResult:
    """Count the words of ``inputs`` (files and folders, or shards) by MapReduce.

    ``via="nats"``: with ``nats=None`` a local server is started and ``workers`` (default
    ``mappers``) map services with it; with a URL, that server's services in the queue
    group ``wc.mappers`` do the work (``workers=0``: start none here).
    """
    from axon import run

    shards: list[Shard] = [s for s in inputs if isinstance(s, Shard)]
    if len(shards) != len(inputs):
        shards = shards_of(files_of([p for p in inputs if not isinstance(p, Shard)]),
                           shard_bytes)
    server = None
    services: list[Any] = []
    try:
        if via == "nats":
            from .services import start_map_services

            if nats is None:
                from components.nats import NatsServer

                server = NatsServer().start()
                nats = server.url
            n = mappers if workers is None else workers
            services = start_map_services(nats, n) if n else []
        system, parts = build_mapreduce(shards, mappers, reducers, via, nats=nats,
                                        reduce_in=reduce_in,
                                        kill_mapper_after=kill_mapper_after,
                                        map_timeout=map_timeout)
        run(system, timeout=timeout)
    finally:
        if services:
            from .services import stop_map_services

            stop_map_services(services)
        if server is not None:
            server.close()
    gather, shuffle, start = parts["gather"], parts["shuffle"], parts["start"]
    result = MapReduceResult(
        gather.counts, gather.finished_at - start.t0, len(shards), shuffle.words, mappers,
        reducers, via, duplicates=shuffle.duplicates,
        per_mapper=sorted(shuffle.by_pid.values(), reverse=True),
        reducer_sizes=[gather.sizes.get(r, 0) for r in range(reducers)])
    if via == "processes":
        stats = parts["map"].statistics()
        result.redone, result.restarts = stats.resent, stats.restarts
        result.duplicates += stats.duplicates
        if "chaos" in parts:
            result.killed = parts["chaos"].killed
    else:
        result.redone = parts["map"].redone
        result.duplicates += parts["map"].duplicates
    return result
