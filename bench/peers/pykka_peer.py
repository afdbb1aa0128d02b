"""pykka 4: one ``ThreadingActor`` (so one thread) per stage, ``tell`` between them.

The source is the calling thread, which ``tell``s every message to the first stage; threads
have no timeslice we control, so the per-message and burst modes run the same code. The sink
sets a ``threading.Event`` once it has counted what it expects.
"""

import threading
from time import perf_counter

import pykka

from bench.peers import Run

LABEL = "pykka 4 (threads)"
NOTES = "ThreadingActor per stage, tell(); source is the caller thread (no burst mode)"
SCALE = 0.1
TIMEOUT = 300.0


class Stage(pykka.ThreadingActor):
    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_receive(self, message):
        self.target.tell(message)


class Sink(pykka.ThreadingActor):
    def __init__(self, expect, done, items=False):
        super().__init__()
        self.expect, self.done, self.items = expect, done, items
        self.count = 0

    def on_receive(self, message):
        self.count += len(message) if self.items else 1
        if self.count >= self.expect:
            self.done.set()


def _build(stages, expect, items=False):
    done = threading.Event()
    sink = Sink.start(expect, done, items)
    refs = [sink]
    head = sink
    for _ in range(stages):
        head = Stage.start(head)
        refs.append(head)
    return head, refs, sink, done


def _wait(done, sink, expect):
    if not done.wait(TIMEOUT):
        raise TimeoutError(f"sink had {sink.proxy().count.get()} of {expect} after {TIMEOUT}s")


def _stop(refs):
    for ref in reversed(refs):
        ref.stop()


def pipeline(n, stages, burst, batch):
    expect = n * batch if batch else n
    head, refs, sink, done = _build(stages, expect, bool(batch))
    payload = list(range(batch)) if batch else None
    tell = head.tell
    start = perf_counter()
    if payload is None:
        for i in range(n):
            tell(i)
    else:
        for _ in range(n):
            tell(payload)
    _wait(done, sink, expect)
    seconds = perf_counter() - start
    count = sink.proxy().count.get()
    _stop(refs)
    return Run(seconds, count)


def fanout(n, subscribers):
    dones = [threading.Event() for _ in range(subscribers)]
    subs = [Sink.start(n, d) for d in dones]
    tells = [s.tell for s in subs]
    start = perf_counter()
    for i in range(n):
        for tell in tells:
            tell(i)
    for d, s in zip(dones, subs):
        _wait(d, s, n)
    seconds = perf_counter() - start
    counts = [s.proxy().count.get() for s in subs]
    _stop(subs)
    return Run(seconds, counts)


class Idle(pykka.ThreadingActor):
    def on_receive(self, message):
        pass


def many(idle, n, stages):
    start = perf_counter()
    idlers = [Idle.start() for _ in range(idle)]
    setup = perf_counter() - start
    try:
        run = pipeline(n, stages, 1, 0)
    finally:
        _stop(idlers)
    run.setup_seconds = setup
    return run


def build_teardown(stages, repeats):
    total = 0
    start = perf_counter()
    for _ in range(repeats):
        head, refs, sink, done = _build(stages, 1)
        head.tell(1)
        _wait(done, sink, 1)
        total += sink.proxy().count.get()
        _stop(refs)
    return Run(perf_counter() - start, total)


def small(n, stages):
    return pipeline(n, stages, 1, 0).received
