"""asyncio: one task per stage, an unbounded ``asyncio.Queue`` per link.

A timeslice is a turn of the event loop: the source puts ``burst`` messages, then
``await asyncio.sleep(0)``. End of stream is a sentinel passed down the chain. Each run gets
a fresh loop from ``asyncio.run``; the loop's creation is outside the timed region.
"""

import asyncio
from time import perf_counter

from bench.peers import Run

LABEL = "asyncio + Queue"
NOTES = "task per stage, unbounded asyncio.Queue per link, sentinel ends the stream"
SCALE = 0.25

_END = object()


async def _source(out, n, burst, payload):
    put = out.put_nowait
    sent = 0
    while sent < n:
        stop = min(n, sent + burst)
        if payload is None:
            for i in range(sent, stop):
                put(i)
        else:
            for _ in range(sent, stop):
                put(payload)
        sent = stop
        await asyncio.sleep(0)
    put(_END)


async def _stage(inq, out):
    while True:
        msg = await inq.get()
        out.put_nowait(msg)
        if msg is _END:
            return


async def _sink(inq, box, items):
    while True:
        msg = await inq.get()
        if msg is _END:
            return
        box[0] += len(msg) if items else 1


def _spawn_pipeline(n, stages, burst, batch, box):
    queues = [asyncio.Queue() for _ in range(stages + 1)]
    payload = list(range(batch)) if batch else None
    tasks = [asyncio.create_task(_source(queues[0], n, burst, payload))]
    for i in range(stages):
        tasks.append(asyncio.create_task(_stage(queues[i], queues[i + 1])))
    tasks.append(asyncio.create_task(_sink(queues[-1], box, bool(batch))))
    return tasks


def pipeline(n, stages, burst, batch):
    async def main():
        box = [0]
        start = perf_counter()
        await asyncio.gather(*_spawn_pipeline(n, stages, burst, batch, box))
        return Run(perf_counter() - start, box[0])
    return asyncio.run(main())


async def _fan_sink(inq, box):
    while True:
        msg = await inq.get()
        if msg is _END:
            return
        box[0] += 1


async def _publisher(queues, n):
    puts = [q.put_nowait for q in queues]
    for i in range(n):
        for put in puts:
            put(i)
        await asyncio.sleep(0)
    for put in puts:
        put(_END)


def fanout(n, subscribers):
    async def main():
        boxes = [[0] for _ in range(subscribers)]
        queues = [asyncio.Queue() for _ in range(subscribers)]
        start = perf_counter()
        tasks = [asyncio.create_task(_fan_sink(q, b)) for q, b in zip(queues, boxes)]
        tasks.append(asyncio.create_task(_publisher(queues, n)))
        await asyncio.gather(*tasks)
        return Run(perf_counter() - start, [b[0] for b in boxes])
    return asyncio.run(main())


async def _idle(inq):
    await inq.get()


def many(idle, n, stages):
    async def main():
        start = perf_counter()
        queues = [asyncio.Queue() for _ in range(idle)]
        idlers = [asyncio.create_task(_idle(q)) for q in queues]
        await asyncio.sleep(0)          # let every idle task start and block
        setup = perf_counter() - start
        box = [0]
        start = perf_counter()
        await asyncio.gather(*_spawn_pipeline(n, stages, 1, 0, box))
        seconds = perf_counter() - start
        for q in queues:
            q.put_nowait(_END)
        await asyncio.gather(*idlers)
        return Run(seconds, box[0], setup)
    return asyncio.run(main())


def build_teardown(stages, repeats):
    async def main():
        box = [0]
        start = perf_counter()
        for _ in range(repeats):
            await asyncio.gather(*_spawn_pipeline(1, stages, 1, 0, box))
        return Run(perf_counter() - start, box[0])
    return asyncio.run(main())


def small(n, stages):
    return pipeline(n, stages, 1, 0).received
