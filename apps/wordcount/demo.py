"""The word-count demo of the core: a small system that shows it off and prints what it did.

Run with ``python -m apps.wordcount.demo`` (``python -m apps.wordcount --lines N`` runs it
too).  No configuration: every setting has an embedded default; ``--lines N`` changes the
amount of text it pushes through.  (The word count across processes and machines, by
MapReduce, is ``python -m apps.wordcount``; the README's main command, ``make demo``, runs
the audio mixer: ``python -m apps.mixer``.)
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Generator
from typing import Any

from axon import (
    RECEIVE,
    Component,
    ComponentError,
    Pipeline,
    ProducerFinished,
    Scheduler,
    ThreadedComponent,
)

TEXT = (
    "a component is a generator with named inboxes and outboxes "
    "it talks only to its own boxes and knows nothing of who is linked to them "
    "links collapse delivery so a send is one append "
)


class Lines(Component):
    """Produces ``count`` lines of text, ten per timeslice, then ProducerFinished."""

    Outboxes = {"outbox": "lines of text", "signal": "ProducerFinished at the end"}

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def main(self) -> Generator[None, None, None]:
        words = TEXT.split()
        out = self.outboxes["outbox"]
        for i in range(self.count):
            out.push(" ".join(words[(i + k) % len(words)] for k in range(8)))
            if i % 10 == 9:
                yield
        self.send(ProducerFinished(), "signal")


class Words(Component):
    """Splits lines into words (the fast main-loop idiom)."""

    Inboxes = {"inbox": "lines", "control": "end of stream"}
    Outboxes = {"outbox": "single words", "signal": "end of stream, passed on"}

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for line in batch:
                for word in line.split():
                    out.push(word)
        self.send(self.end_message, "signal")


class SlowStemmer(ThreadedComponent):
    """Blocking work in a thread: trims plural 's' (pretend it is an expensive library)."""

    Inboxes = {"inbox": "words", "control": "end of stream"}
    Outboxes = {"outbox": "stemmed words", "signal": "end of stream, passed on"}

    def main(self) -> None:
        while not self.finished():
            for word in self.recv_all():
                self.send(word[:-1] if word.endswith("s") and len(word) > 3 else word)
            self.wait()
        self.send(self.end_message, "signal")


class Tally(Component):
    """Counts words; a bounded inbox (block policy) holds back the thread when it lags."""

    Inboxes = {"inbox": "words", "control": "end of stream"}
    Outboxes = {"outbox": "the final counts", "signal": "end of stream, passed on"}

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.deepest = 0

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.deepest = max(self.deepest, len(batch))
            self.counts.update(batch)
        self.send(self.counts, "outbox")
        self.send(self.end_message, "signal")


class Ticker(Component):
    """Awaits an asyncio timer between ticks while the rest of the system runs."""

    Outboxes = {"outbox": "tick numbers", "signal": "end of stream"}

    def __init__(self, ticks: int, period: float) -> None:
        super().__init__()
        self.ticks, self.period = ticks, period
        self.stamps: list[float] = []

    def main(self) -> Generator[Any, Any, None]:
        t0 = time.monotonic()
        for _ in range(self.ticks):
            yield asyncio.sleep(self.period)
            self.stamps.append(time.monotonic() - t0)


class Broken(Component):
    """Fails on purpose, to show how errors are reported."""

    def main(self) -> Generator[None, None, None]:
        yield
        raise ValueError("this component fails on purpose")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m apps.wordcount.demo", description=__doc__)
    ap.add_argument("--lines", type=int, default=20_000, help="lines of text to push through")
    args = ap.parse_args(argv)

    tally = Tally()
    tally.set_bound("inbox", 1000, "block")  # backpressure: the thread waits when it is full
    stemmer = SlowStemmer(queue_size=500)
    ticker = Ticker(ticks=5, period=0.02)
    system = Pipeline(Lines(args.lines), Words(), stemmer, tally, name="WordCount")

    print(f"Axon word-count demo: {args.lines:,} lines -> Words -> SlowStemmer (thread) -> Tally")
    sched = Scheduler()
    sched.activate(system)
    sched.activate(ticker)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    sched.run(timeout=120)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0

    total = sum(tally.counts.values())
    expected = args.lines * 8
    stats = sched.statistics()
    print(f"  words counted:   {total:,} (expected {expected:,}: "
          f"{'nothing lost' if total == expected else 'LOST DATA'})")
    print(f"  top words:       {', '.join(f'{w}={n}' for w, n in tally.counts.most_common(4))}")
    print(f"  bounded inbox:   never deeper than {tally.deepest} (bound 1000, policy block)")
    print(f"  asyncio timer:   5 ticks at {', '.join(f'{s * 1000:.0f}' for s in ticker.stamps)}"
          " ms, while the pipeline ran")
    print(f"  scheduler:       {stats.timeslices:,} timeslices, {stats.finished} components "
          f"finished, {wall:.2f} s wall, {cpu:.2f} s CPU")

    print("Errors never vanish: a failing component stops its system and is named:")
    try:
        from axon import run

        run(Pipeline(Lines(3), Words(), Broken(), name="Faulty"), timeout=10)
    except ComponentError as exc:
        print(f"  ComponentError: {exc}")
    return 0 if total == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
