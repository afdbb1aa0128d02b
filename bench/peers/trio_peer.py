"""trio: one task per stage in a nursery, a memory channel per link.

Channels are unbounded (``max_buffer_size=math.inf``) to match the other peers' queues.
A timeslice is a checkpoint: per-message mode uses ``await send`` (always a checkpoint),
burst mode ``send_nowait`` ``burst`` times, then ``await trio.lowlevel.checkpoint()``. The
stages use the idiomatic ``async for``/``await send``. End of stream is closing the send
channel, which trio propagates as the end of the ``async for``.
"""

import math
from time import perf_counter

import trio

from bench.peers import Run

LABEL = "trio memory channels"
NOTES = "task per stage in a nursery, unbounded memory channel per link, close ends stream"
SCALE = 0.1


async def _source(tx, n, burst, payload):
    async with tx:
        if burst == 1:
            if payload is None:
                for i in range(n):
                    await tx.send(i)
            else:
                for _ in range(n):
                    await tx.send(payload)
            return
        sent = 0
        put = tx.send_nowait
        while sent < n:
            stop = min(n, sent + burst)
            if payload is None:
                for i in range(sent, stop):
                    put(i)
            else:
                for _ in range(sent, stop):
                    put(payload)
            sent = stop
            await trio.lowlevel.checkpoint()


async def _stage(rx, tx):
    async with rx, tx:
        async for msg in rx:
            await tx.send(msg)


async def _sink(rx, box, items):
    async with rx:
        async for msg in rx:
            box[0] += len(msg) if items else 1


def _start_pipeline(nursery, n, stages, burst, batch, box):
    tx, rx = trio.open_memory_channel(math.inf)
    payload = list(range(batch)) if batch else None
    nursery.start_soon(_source, tx, n, burst, payload)
    for _ in range(stages):
        tx2, rx2 = trio.open_memory_channel(math.inf)
        nursery.start_soon(_stage, rx, tx2)
        rx = rx2
    nursery.start_soon(_sink, rx, box, bool(batch))


def pipeline(n, stages, burst, batch):
    async def main():
        box = [0]
        start = perf_counter()
        async with trio.open_nursery() as nursery:
            _start_pipeline(nursery, n, stages, burst, batch, box)
        return Run(perf_counter() - start, box[0])
    return trio.run(main)


async def _fan_sink(rx, box):
    async with rx:
        async for _ in rx:
            box[0] += 1


async def _publisher(txs, n):
    sends = [tx.send_nowait for tx in txs]
    for i in range(n):
        for send in sends:
            send(i)
        await trio.lowlevel.checkpoint()
    for tx in txs:
        await tx.aclose()


def fanout(n, subscribers):
    async def main():
        boxes = [[0] for _ in range(subscribers)]
        start = perf_counter()
        async with trio.open_nursery() as nursery:
            txs = []
            for box in boxes:
                tx, rx = trio.open_memory_channel(math.inf)
                txs.append(tx)
                nursery.start_soon(_fan_sink, rx, box)
            nursery.start_soon(_publisher, txs, n)
        return Run(perf_counter() - start, [b[0] for b in boxes])
    return trio.run(main)


async def _idle(rx):
    async with rx:
        async for _ in rx:
            pass


def many(idle, n, stages):
    async def main():
        async with trio.open_nursery() as outer:
            start = perf_counter()
            txs = []
            for _ in range(idle):
                tx, rx = trio.open_memory_channel(math.inf)
                txs.append(tx)
                outer.start_soon(_idle, rx)
            await trio.lowlevel.checkpoint()     # let every idle task start and block
            setup = perf_counter() - start
            box = [0]
            start = perf_counter()
            async with trio.open_nursery() as nursery:
                _start_pipeline(nursery, n, stages, 1, 0, box)
            seconds = perf_counter() - start
            for tx in txs:
                await tx.aclose()
        return Run(seconds, box[0], setup)
    return trio.run(main)


def build_teardown(stages, repeats):
    async def main():
        box = [0]
        start = perf_counter()
        for _ in range(repeats):
            async with trio.open_nursery() as nursery:
                _start_pipeline(nursery, 1, stages, 1, 0, box)
        return Run(perf_counter() - start, box[0])
    return trio.run(main)


def small(n, stages):
    return pipeline(n, stages, 1, 0).received
