"""guild 1.3.7: one thread per actor, ``@actor_method`` calls queued between them.

Start-up quirk (read in ``guild/actor.py``): ``ActorMixin`` gives every actor a default
``process`` decorated with ``@process_method`` that returns ``False``, and ``Actor.run``
calls ``self.process()`` once before its loop; a ``process_method`` returning ``False``
sets ``killflag``. So an actor that only has ``@actor_method``s -- a stage, a sink, even
guild's own ``components.Splitter`` behind ``Backplane`` -- stops the moment it starts, and
every message later queued to it is silently never handled (``guild.actor.pipeline`` and
``start`` report nothing). Only a generator ``main`` resets the flag, and a ``main`` turns
the actor into a busy loop (it is resumed on every pass, with no sleep).

Workaround used here: reactive actors override ``process`` with a plain, undecorated method
that does nothing, so ``killflag`` stays down and the actor idles in guild's own 10 ms poll
(``time.sleep(0.01)`` when nothing is queued). The source has a generator ``main``, which
guild runs only after applying queued ``bind`` calls (the ``pipeline`` wiring); a
``process_method`` source would emit its first message before being bound, into the
placeholder ``output`` that drops it.

Second quirk: ``Actor`` sets ``daemon = True`` as a class attribute, which shadows
``threading.Thread.daemon``; the thread really is non-daemonic, so an actor left running
keeps the process alive. Every run here stops and joins all its actors.
"""

import threading
from time import perf_counter

from guild.actor import Actor, actor_method, late_bind_safe, pipeline as link_chain
from guild.components import Splitter

from bench.peers import Run

LABEL = "guild 1.3.7 (threads)"
NOTES = ("thread per actor; reactive actors override `process` with a plain no-op method "
         "(guild's default process_method returns False and stops them at start)")
SCALE = 0.1
TIMEOUT = 300.0
# 10,000 actors are 10,000 threads each polling every 10 ms: creating them slows to several ms
# apiece and the run starves the machine, so the many-components workload caps them here
# (the count used is recorded beside the figures).
MAX_IDLE = 1_000


class Reactive(Actor):
    def process(self):
        """Plain (undecorated) no-op: keeps guild's start-up from setting killflag."""


class Source(Actor):
    def __init__(self, n, burst, payload=None):
        super().__init__()
        self.n, self.burst, self.payload = n, burst, payload

    def main(self):
        n, burst, payload = self.n, self.burst, self.payload
        sent = 0
        while sent < n:
            stop = min(n, sent + burst)
            for i in range(sent, stop):
                self.output(i if payload is None else payload)
            sent = stop
            yield 1

    @late_bind_safe
    def output(self, value):
        pass


class Stage(Reactive):
    @actor_method
    def input(self, value):
        self.output(value)

    @late_bind_safe
    def output(self, value):
        pass


class Sink(Reactive):
    def __init__(self, expect, items=False):
        super().__init__()
        self.expect, self.items = expect, items
        self.count = 0
        self.done = threading.Event()

    @actor_method
    def input(self, value):
        self.count += len(value) if self.items else 1
        if self.count >= self.expect:
            self.done.set()


class Idle(Reactive):
    @actor_method
    def input(self, value):
        pass


class WorkingSplitter(Splitter):
    def process(self):
        """Plain no-op, as for Reactive: guild's own Splitter stops at start otherwise."""


def _stop(actors):
    for a in actors:
        a.stop()
    for a in actors:
        a.join()


def _wait(sink):
    if not sink.done.wait(TIMEOUT):
        raise TimeoutError(f"sink had {sink.count} of {sink.expect} after {TIMEOUT}s")


def _chain(src, stages, sink):
    actors = [src, *[Stage() for _ in range(stages)], sink]
    link_chain(*actors)
    return actors


def pipeline(n, stages, burst, batch):
    sink = Sink(n * batch if batch else n, bool(batch))
    actors = _chain(Source(n, burst, list(range(batch)) if batch else None), stages, sink)
    try:
        start = perf_counter()
        for a in reversed(actors):
            a.start()
        _wait(sink)
        return Run(perf_counter() - start, sink.count)
    finally:
        _stop(actors)


class _Publisher(Source):
    pass


def fanout(n, subscribers):
    splitter = WorkingSplitter()
    subs = [Sink(n) for _ in range(subscribers)]
    for s in subs:
        splitter.subscribe(s.input)           # queued actor_method calls, applied at start
    pub = _Publisher(n, 1)
    pub.bind("output", splitter, "publish")
    actors = [pub, splitter, *subs]
    try:
        start = perf_counter()
        for a in reversed(actors):
            a.start()
        for s in subs:
            _wait(s)
        return Run(perf_counter() - start, [s.count for s in subs])
    finally:
        _stop(actors)


def many(idle, n, stages):
    start = perf_counter()
    idlers = [Idle() for _ in range(idle)]
    for a in idlers:
        a.start()
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
        sink = Sink(1)
        actors = _chain(Source(1, 1), stages, sink)
        try:
            for a in reversed(actors):
                a.start()
            _wait(sink)
            total += sink.count
        finally:
            _stop(actors)
    return Run(perf_counter() - start, total)


def small(n, stages):
    return pipeline(n, stages, 1, 0).received
