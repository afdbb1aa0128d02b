"""Kamaelia Axon 1.14.32 (``kamaelia-axon`` on PyPI, imported as ``Axon``).

Driven with its own API: components are activated and the global scheduler singleton is run
with ``scheduler.run.runThreads()``, which returns once every microprocess has finished.
Kamaelia's ``Pipeline`` and ``Backplane`` live in the separate ``Kamaelia`` package, so this
module carries a ten-line chassis in the style of ``Kamaelia.Chassis.Pipeline`` (it owns the
links and waits for its children), and fans out the way Kamaelia's ``PlugSplitter`` (the
heart of ``Backplane``) does: one adaptive outbox per subscriber. In Kamaelia one outbox
cannot feed several inboxes.

End of stream is Kamaelia's own: ``producerFinished`` on ``signal`` -> ``control``; every
stage drains its inbox before honouring it.
"""

from time import perf_counter

from Axon.AdaptiveCommsComponent import AdaptiveCommsComponent
from Axon.Component import component
from Axon.Ipc import newComponent, producerFinished, shutdownMicroprocess
from Axon.Scheduler import scheduler

from bench.peers import Run

LABEL = "Kamaelia Axon 1.14.32"
NOTES = ("global scheduler driven by scheduler.run.runThreads(); local Pipeline-style "
         "chassis; fan-out through one adaptive outbox per subscriber (PlugSplitter style)")
SCALE = 0.1

_END = (producerFinished, shutdownMicroprocess)


class Source(component):
    def __init__(self, n, burst, payload=None):
        super().__init__()
        self.n, self.burst, self.payload = n, burst, payload

    def main(self):
        n, burst, payload = self.n, self.burst, self.payload
        sent = 0
        while sent < n:
            stop = min(n, sent + burst)
            if payload is None:
                for i in range(sent, stop):
                    self.send(i, "outbox")
            else:
                for _ in range(sent, stop):
                    self.send(payload, "outbox")
            sent = stop
            yield 1
        self.send(producerFinished(self), "signal")
        yield 1


class Identity(component):
    def main(self):
        while True:
            while self.dataReady("inbox"):
                self.send(self.recv("inbox"), "outbox")
            if self.dataReady("control"):
                msg = self.recv("control")
                if isinstance(msg, _END):
                    self.send(msg, "signal")
                    return
            self.pause()
            yield 1


class Sink(component):
    def __init__(self, items=False):
        super().__init__()
        self.count = 0
        self.items = items
        self.ended = None

    def main(self):
        while True:
            while self.dataReady("inbox"):
                msg = self.recv("inbox")
                self.count += len(msg) if self.items else 1
            if self.dataReady("control"):
                if isinstance(self.recv("control"), _END):
                    self.ended = perf_counter()
                    return
            self.pause()
            yield 1


class Idle(component):
    """Waits on its inbox; leaves on shutdown."""

    def main(self):
        while not self.dataReady("control"):
            self.pause()
            yield 1


class Chain(component):
    """Links its children outbox->inbox, signal->control, and waits for them to finish."""

    def __init__(self, *children, then=()):
        super().__init__()
        self.chain = children
        self.then = then   # components to shut down once the chain has finished

    def main(self):
        for a, b in zip(self.chain, self.chain[1:]):
            self.link((a, "outbox"), (b, "inbox"))
            self.link((a, "signal"), (b, "control"))
        self.addChildren(*self.chain)
        yield newComponent(*self.chain)
        while not self._children_done():
            self.pause()
            yield 1
        for c in self.then:
            c._deliver(shutdownMicroprocess(), "control")   # Kamaelia's injection API

    def _children_done(self):
        for child in self.childComponents():
            if child._isStopped():
                self.removeChild(child)
        return not self.childComponents()


class Publisher(AdaptiveCommsComponent):
    def __init__(self, n):
        super().__init__()
        self.n = n
        self.outs = []

    def subscribe(self, sub):
        name = self.addOutbox("out")
        self.outs.append(name)
        self.link((self, name), (sub, "inbox"))

    def main(self):
        outs = self.outs
        for i in range(self.n):
            for box in outs:
                self.send(i, box)
            yield 1
        for box in outs:
            self.send(producerFinished(self), box)
        yield 1


class FanSink(component):
    def __init__(self):
        super().__init__()
        self.count = 0

    def main(self):
        while True:
            while self.dataReady("inbox"):
                msg = self.recv("inbox")
                if isinstance(msg, _END):
                    return
                self.count += 1
            self.pause()
            yield 1


def _run():
    start = perf_counter()
    scheduler.run.runThreads()
    return perf_counter() - start


def pipeline(n, stages, burst, batch):
    sink = Sink(items=bool(batch))
    src = Source(n, burst, list(range(batch)) if batch else None)
    Chain(src, *[Identity() for _ in range(stages)], sink).activate()
    return Run(_run(), sink.count)


def fanout(n, subscribers):
    pub = Publisher(n)
    subs = [FanSink() for _ in range(subscribers)]
    for s in subs:
        pub.subscribe(s)
    pub.activate()
    for s in subs:
        s.activate()
    return Run(_run(), [s.count for s in subs])


def many(idle, n, stages):
    start = perf_counter()
    idlers = [Idle().activate() for _ in range(idle)]
    setup = perf_counter() - start
    sink = Sink()
    Chain(Source(n, 1), *[Identity() for _ in range(stages)], sink, then=idlers).activate()
    start = perf_counter()
    scheduler.run.runThreads()
    return Run(sink.ended - start, sink.count, setup)


def build_teardown(stages, repeats):
    total = 0
    start = perf_counter()
    for _ in range(repeats):
        sink = Sink()
        Chain(Source(1, 1), *[Identity() for _ in range(stages)], sink).activate()
        scheduler.run.runThreads()
        total += sink.count
    return Run(perf_counter() - start, total)


def small(n, stages):
    return pipeline(n, stages, 1, 0).received
