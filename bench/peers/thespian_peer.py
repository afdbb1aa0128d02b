"""Thespian 4 with ``simpleSystemBase``: every actor runs in the caller's thread.

In this system base ``ActorSystem.tell`` delivers the message and runs every actor until no
message is pending, so the whole chain runs inside each ``tell``: per-message and burst modes
run the same code. Each stage learns its successor from a set-up message. Counts are read
back with ``ask``. The actor system is a process-wide singleton; it is shut down after every
run so the next starts clean.
"""

from time import perf_counter

from thespian.actors import Actor, ActorExitRequest, ActorSystem

from bench.peers import Run

LABEL = "thespian 4 (simpleSystemBase)"
NOTES = "simpleSystemBase (synchronous, caller's thread); tell() runs the chain to completion"
SCALE = 0.1
TIMEOUT = 300.0


class _Next:
    __slots__ = ("target",)

    def __init__(self, target):
        self.target = target


class _Count:
    pass


class Stage(Actor):
    target = None

    def receiveMessage(self, message, sender):
        if isinstance(message, _Next):
            self.target = message.target
        elif not isinstance(message, ActorExitRequest):
            self.send(self.target, message)


class Sink(Actor):
    count = 0
    items = False

    def receiveMessage(self, message, sender):
        if isinstance(message, _Count):
            self.send(sender, self.count)
        elif isinstance(message, _Next):      # set-up: "count items" flag
            self.items = bool(message.target)
        elif not isinstance(message, ActorExitRequest):
            self.count += len(message) if self.items else 1


class Idle(Actor):
    def receiveMessage(self, message, sender):
        pass


class Publisher(Actor):
    subs = ()

    def receiveMessage(self, message, sender):
        if isinstance(message, _Next):
            self.subs = message.target
        elif isinstance(message, int):
            for i in range(message):
                for sub in self.subs:
                    self.send(sub, i)


def _system():
    return ActorSystem("simpleSystemBase")


def _build(asys, stages, items=False):
    sink = asys.createActor(Sink)
    asys.tell(sink, _Next(items))
    head = sink
    addrs = [sink]
    for _ in range(stages):
        stage = asys.createActor(Stage)
        asys.tell(stage, _Next(head))
        head = stage
        addrs.append(stage)
    return head, sink, addrs


def _count(asys, sink):
    return asys.ask(sink, _Count(), TIMEOUT)


def pipeline(n, stages, burst, batch):
    asys = _system()
    try:
        head, sink, _ = _build(asys, stages, bool(batch))
        payload = list(range(batch)) if batch else None
        tell = asys.tell
        start = perf_counter()
        if payload is None:
            for i in range(n):
                tell(head, i)
        else:
            for _ in range(n):
                tell(head, payload)
        count = _count(asys, sink)
        return Run(perf_counter() - start, count)
    finally:
        asys.shutdown()


def fanout(n, subscribers):
    asys = _system()
    try:
        subs = [asys.createActor(Sink) for _ in range(subscribers)]
        pub = asys.createActor(Publisher)
        asys.tell(pub, _Next(subs))
        start = perf_counter()
        asys.tell(pub, n)
        seconds = perf_counter() - start
        return Run(seconds, [_count(asys, s) for s in subs])
    finally:
        asys.shutdown()


def many(idle, n, stages):
    asys = _system()
    try:
        start = perf_counter()
        for _ in range(idle):
            asys.createActor(Idle)
        setup = perf_counter() - start
        head, sink, _ = _build(asys, stages)
        tell = asys.tell
        start = perf_counter()
        for i in range(n):
            tell(head, i)
        count = _count(asys, sink)
        return Run(perf_counter() - start, count, setup)
    finally:
        asys.shutdown()


def build_teardown(stages, repeats):
    asys = _system()
    try:
        total = 0
        start = perf_counter()
        for _ in range(repeats):
            head, sink, addrs = _build(asys, stages)
            asys.tell(head, 1)
            total += _count(asys, sink)
            for addr in addrs:
                asys.tell(addr, ActorExitRequest())
        return Run(perf_counter() - start, total)
    finally:
        asys.shutdown()


def small(n, stages):
    return pipeline(n, stages, 1, 0).received
