"""The floor: a raw generator chain, each stage ``while True: target.send((yield))``.

There is no scheduler, so per-message and burst modes run the same code: every figure of
every other peer is divided by this one, measured in the same process run.
"""

from time import perf_counter

from bench.peers import Run

LABEL = "raw generator chain"
NOTES = "each stage `while True: target.send((yield))`; the caller drives the first stage"
SCALE = 1.0


def _stage(target):
    send = target.send
    while True:
        send((yield))


def _count(box):
    while True:
        yield
        box[0] += 1


def _count_items(box):
    while True:
        box[0] += len((yield))


def _idle():
    yield


def _chain(stages, box, batch=0):
    head = _count_items(box) if batch else _count(box)
    next(head)
    gens = [head]
    for _ in range(stages):
        head = _stage(head)
        next(head)
        gens.append(head)
    return head, gens


def pipeline(n, stages, burst, batch):
    box = [0]
    head, _gens = _chain(stages, box, batch)
    send = head.send
    payload = list(range(batch)) if batch else None
    start = perf_counter()
    if payload is None:
        for i in range(n):
            send(i)
    else:
        for _ in range(n):
            send(payload)
    return Run(perf_counter() - start, box[0])


def fanout(n, subscribers):
    boxes = [[0] for _ in range(subscribers)]
    sinks = [_count(b) for b in boxes]
    for s in sinks:
        next(s)
    sends = [s.send for s in sinks]
    start = perf_counter()
    for i in range(n):
        for send in sends:
            send(i)
    return Run(perf_counter() - start, [b[0] for b in boxes])


def many(idle, n, stages):
    start = perf_counter()
    idlers = [_idle() for _ in range(idle)]
    for g in idlers:
        next(g)
    setup = perf_counter() - start
    run = pipeline(n, stages, 1, 0)
    for g in idlers:
        g.close()
    run.setup_seconds = setup
    return run


def build_teardown(stages, repeats):
    box = [0]
    start = perf_counter()
    for _ in range(repeats):
        head, gens = _chain(stages, box)
        head.send(1)
        for g in gens:
            g.close()
    return Run(perf_counter() - start, box[0])


def small(n, stages):
    return pipeline(n, stages, 1, 0).received
