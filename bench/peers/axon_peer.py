"""Axon (this project), written the way its API contract shows.

``Pipeline`` for pipelines; ``run`` for whole systems; stages in the README's idiom
(``yield RECEIVE``, ``out.push``); end of stream by ``ProducerFinished`` on ``signal``.
Fan-out links one outbox to every subscriber's inbox. The
idle components of the ``many`` workload are activated on a ``Scheduler`` one by one (that
is the creation cost); once the stream has ended the sink notes the time and stops them
with ``Scheduler.stop``.
"""

from time import perf_counter

from axon import RECEIVE, Component, Pipeline, ProducerFinished, Scheduler, run

from bench.peers import Run

LABEL = "Axon"
NOTES = "Pipeline + run(); source yields after each message (or after send_many of 100)"
SCALE = 1.0


class Source(Component):
    def __init__(self, n, burst, payload=None):
        super().__init__()
        self.n, self.burst, self.payload = n, burst, payload

    def main(self):
        n, burst, payload = self.n, self.burst, self.payload
        if burst == 1:
            if payload is None:
                for i in range(n):
                    self.send(i)
                    yield
            else:
                for _ in range(n):
                    self.send(payload)
                    yield
        else:
            for start in range(0, n, burst):
                stop = min(n, start + burst)
                if payload is None:
                    self.send_many(range(start, stop))
                else:
                    self.send_many([payload] * (stop - start))
                yield
        self.send(ProducerFinished(), "signal")


class Identity(Component):
    """The README's idiom: ``yield RECEIVE`` for each batch, ``out.push`` per message."""

    def main(self):
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for msg in batch:
                out.push(msg)
        self.send(self.end_message, "signal")


class Sink(Component):
    def __init__(self, items=False, then=()):
        super().__init__()
        self.count = 0
        self.items = items
        self.then = then          # components to stop once the stream has ended
        self.ended = None

    def main(self):
        while (batch := (yield RECEIVE)) is not None:
            if self.items:
                self.count += sum(map(len, batch))
            else:
                self.count += len(batch)
        self.ended = perf_counter()
        for comp in self.then:
            comp.scheduler.stop(comp)


class Idle(Component):
    """Waits for input; leaves on ProducerFinished/Shutdown."""

    def main(self):
        while not self.finished():
            self.recv_all()
            self.pause()
            yield


class Fan(Component):
    """Owns the fan-out links: one publisher outbox to every subscriber inbox."""

    def __init__(self, publisher, subscribers):
        super().__init__()
        self.add_children(publisher, *subscribers)
        for sub in subscribers:
            self.link((publisher, "outbox"), (sub, "inbox"))
            self.link((publisher, "signal"), (sub, "control"))


def _pipeline(n, stages, burst, payload=None, items=False, then=()):
    sink = Sink(items, then)
    return Pipeline(Source(n, burst, payload), *[Identity() for _ in range(stages)], sink), sink


def pipeline(n, stages, burst, batch):
    system, sink = _pipeline(n, stages, burst, list(range(batch)) if batch else None, bool(batch))
    start = perf_counter()
    run(system)
    return Run(perf_counter() - start, sink.count)


def fanout(n, subscribers):
    subs = [Sink() for _ in range(subscribers)]
    system = Fan(Source(n, 1), subs)
    start = perf_counter()
    run(system)
    return Run(perf_counter() - start, [s.count for s in subs])


def many(idle, n, stages):
    sched = Scheduler()
    start = perf_counter()
    idlers = [sched.activate(Idle()) for _ in range(idle)]
    setup = perf_counter() - start
    system, sink = _pipeline(n, stages, 1, then=idlers)
    sched.activate(system)
    start = perf_counter()
    sched.run()
    return Run(sink.ended - start, sink.count, setup)


def build_teardown(stages, repeats):
    total = 0
    start = perf_counter()
    for _ in range(repeats):
        system, sink = _pipeline(1, stages, 1)
        run(system)
        total += sink.count
    return Run(perf_counter() - start, total)


def small(n, stages):
    return pipeline(n, stages, 1, 0).received
