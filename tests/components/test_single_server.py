"""SingleServer on loopback: one client at a time, its bytes on outbox; what the others get."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Generator
from typing import Any

from axon import Component, Graphline, ProducerFinished, Scheduler, Shutdown
from components import Collector, Connected, Disconnected, IterableSource, Refused, SingleServer

HOST = "127.0.0.1"
WAIT = 30.0


class Address(Component):
    """Resolves :attr:`future` with the server's bound address."""

    Inboxes = {"inbox": "the address", "control": "(unused)"}

    def __init__(self) -> None:
        super().__init__()
        self.future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def main(self) -> Generator[None, Any, None]:
        while not self.data_ready():
            self.pause()
            yield
        self.future.set_result(self.recv())


Body = Callable[[int, SingleServer, asyncio.Task[None]], Coroutine[Any, Any, None]]


def serve(server: SingleServer, body: Body, *, source: Component | None = None,
          out: Collector | None = None) -> tuple[Collector, Collector]:
    """Run ``server`` (fed by ``source``, if given) with its outbox and events collected,
    and ``body(port, server, task)`` beside it; wait for the server to end by itself."""
    out = out if out is not None else Collector()
    events = Collector()

    async def main() -> None:
        addr = Address()
        links: dict[Any, Any] = {("S", "outbox"): ("O", "inbox"),
                                 ("S", "signal"): [("O", "control"), ("E", "control")],
                                 ("S", "events"): ("E", "inbox"), ("S", "ready"): ("A", "inbox")}
        kids: dict[str, Component] = {"S": server, "O": out, "E": events, "A": addr}
        if source is not None:
            kids["I"] = source
            links[("I", "outbox")] = ("S", "inbox")
            links[("I", "signal")] = ("S", "control")
        system = Graphline(links, **kids)
        sched = Scheduler()
        sched.activate(system)
        task = asyncio.ensure_future(sched.run_async(timeout=60))
        done, _ = await asyncio.wait({addr.future, task}, timeout=WAIT,
                                     return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        port = addr.future.result()[1]
        try:
            await asyncio.wait_for(body(port, server, task), WAIT)
            await asyncio.wait_for(asyncio.shield(task), WAIT)
        finally:
            if not task.done():
                server.inboxes["control"].put(Shutdown("test over"))
                await asyncio.wait_for(task, WAIT)

    asyncio.run(main())
    return out, events


def test_one_clients_bytes_come_out_in_order_then_the_end() -> None:
    payload = bytes(range(256)) * 400  # 100 KiB, written in pieces

    async def body(port: int, server: SingleServer, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        for i in range(0, len(payload), 7000):
            writer.write(payload[i:i + 7000])
            await writer.drain()
        writer.write_eof()
        assert await reader.read() == b""  # our side closes once the client's stream ends
        writer.close()

    out, events = serve(SingleServer(), body)
    assert b"".join(out.items) == payload
    assert isinstance(out.end_message, ProducerFinished)  # after the last byte
    kinds = [type(e) for e in events.items]
    assert kinds == [Connected, Disconnected]


def test_what_reaches_its_inbox_before_a_client_connects_waits_for_that_client() -> None:
    async def body(port: int, server: SingleServer, task: asyncio.Task[None]) -> None:
        await asyncio.sleep(0.05)  # the source has sent everything, and its end
        assert server.data_ready("inbox") == 2 and not server.done
        reader, writer = await asyncio.open_connection(HOST, port)
        assert await reader.read() == b"hello world"  # then our half-close
        writer.close()

    out, _ = serve(SingleServer(), body, source=IterableSource([b"hello ", b"world"]))
    assert out.items == [] and isinstance(out.end_message, ProducerFinished)


def test_a_second_client_gets_busy_and_is_closed_while_the_first_is_undisturbed() -> None:
    async def body(port: int, server: SingleServer, task: asyncio.Task[None]) -> None:
        r1, w1 = await asyncio.open_connection(HOST, port)
        w1.write(b"first ")
        await w1.drain()
        while not server.served:
            await asyncio.sleep(0.005)
        r2, w2 = await asyncio.open_connection(HOST, port)
        w2.write(b"ignored bytes")  # read and discarded, counted
        assert await r2.read() == b"BUSY\n"  # the busy line, then our side closes
        w2.close()
        w1.write(b"still streaming")
        w1.write_eof()
        assert await r1.read() == b""
        w1.close()
        server.inboxes["control"].put(ProducerFinished())  # (it serves any number)

    server = SingleServer(busy=b"BUSY\n", clients=None)
    out, events = serve(server, body)
    assert b"".join(out.items) == b"first still streaming"
    assert server.served == 1 and server.refused == 1
    assert server.discarded == len(b"ignored bytes")
    kinds = [type(e) for e in events.items]
    assert kinds.count(Connected) == 1 and kinds.count(Disconnected) == 1
    assert kinds.count(Refused) == 1


def test_a_refused_client_that_never_closes_is_aborted_after_the_linger() -> None:
    async def body(port: int, server: SingleServer, task: asyncio.Task[None]) -> None:
        r1, w1 = await asyncio.open_connection(HOST, port)
        while not server.served:
            await asyncio.sleep(0.005)
        r2, w2 = await asyncio.open_connection(HOST, port)
        assert await r2.read(100) == b""  # no busy bytes: just our half-close
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:  # it keeps its side open: aborted (reset) after the linger
            while True:
                w2.write(b"x")
                await w2.drain()
                await asyncio.sleep(0.01)
        except (ConnectionError, OSError):
            pass
        assert 0.1 <= loop.time() - start < 5
        w1.write_eof()
        assert await r1.read() == b""
        w1.close()
        w2.close()

    server = SingleServer(linger=0.2)
    serve(server, body)
    assert server.refused == 1


def test_clients_one_after_another_follow_each_other_on_outbox() -> None:
    async def body(port: int, server: SingleServer, task: asyncio.Task[None]) -> None:
        for word in (b"one", b"two", b"three"):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(word)
            writer.write_eof()
            assert await reader.read() == b""
            writer.close()
            while server._serving() or server.served < (b"one", b"two", b"three").index(word) + 1:
                await asyncio.sleep(0.005)

    server = SingleServer(clients=3)
    out, events = serve(server, body)
    assert out.items == [b"one", b"two", b"three"]
    kinds = [type(e).__name__ for e in events.items]
    assert kinds == ["Connected", "Disconnected"] * 3
    assert isinstance(out.end_message, ProducerFinished)


def test_shutdown_closes_the_client_at_once_and_is_passed_on() -> None:
    async def body(port: int, server: SingleServer, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"some")
        await writer.drain()
        while not server.served:
            await asyncio.sleep(0.005)
        server.inboxes["control"].put(Shutdown("stop"))
        try:
            assert await reader.read() == b""
        except ConnectionError:
            pass
        await asyncio.wait_for(asyncio.shield(task), WAIT)
        writer.close()

    out, _ = serve(SingleServer(clients=None), body)
    assert out.end_message == Shutdown("stop")


def test_a_consumer_that_does_not_read_stops_the_client_within_the_bounds() -> None:
    class Stalled(Collector):
        """Reads nothing until told to (its inbox holds what arrives)."""

        def main(self) -> Generator[Any, Any, None]:
            self.wake_on("control")  # (asleep meanwhile: a pause with its inbox full and
            while not self.go:  # every inbox waking it would run it on every turn)
                self.pause()
                yield
            self.wake_on("inbox", "control")
            yield from super().main()

        go = False

    out = Stalled()

    async def body(port: int, server: SingleServer, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        chunk = b"z" * 65536
        sent = 0
        try:
            async with asyncio.timeout(1.0):  # it blocks once the bounds are reached
                while sent < (64 << 20):
                    writer.write(chunk)
                    sent += len(chunk)
                    await writer.drain()
        except TimeoutError:
            pass
        held = sum(len(b) for b in out.inboxes["inbox"].queue)
        assert sent < (16 << 20), "the client was never held back"
        assert held <= 3 * 16384  # what the stalled consumer's inbox was handed
        out.go = True
        server.scheduler.wake(out)  # type: ignore[union-attr]
        writer.write_eof()
        await reader.read()
        writer.close()
        await asyncio.wait_for(asyncio.shield(task), WAIT)
        assert sum(len(b) for b in out.items) == sent  # and nothing was lost

    serve(SingleServer(read_limit=16384, read_chunk=16384), body, out=out)
