"""TCP and UDP on loopback (127.0.0.1 only): the connected-server pattern end to end."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from axon import Component, ComponentError, Pipeline, ProducerFinished, Scheduler, Shutdown
from components import (
    Collector,
    Connected,
    Datagram,
    Disconnected,
    IterableSource,
    LengthPrefixDecoder,
    LengthPrefixEncoder,
    LineJoiner,
    LineSplitter,
    Map,
    ProtocolFailed,
    TCPClient,
    TCPServer,
    TextDecoder,
    TextEncoder,
    UDPReceiver,
    UDPSender,
)

HOST = "127.0.0.1"


def line_echo() -> Component:
    """Echoes lines of UTF-8 text; garbage (undecodable bytes) fails the protocol."""
    return Pipeline(LineSplitter(max_line=200), TextDecoder(), TextEncoder(), LineJoiner())


def frame_echo() -> Component:
    return Pipeline(LengthPrefixDecoder(max_size=1000), LengthPrefixEncoder())


class EventLog(Component):
    """Keeps the server's events."""

    Inboxes = {"inbox": "events", "control": "end"}

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []

    def main(self):  # type: ignore[override]
        while not self.finished():
            self.events.extend(self.recv_all())
            self.pause()
            yield


class FirstMessage(Component):
    """Resolves :attr:`future` with the first message to reach its inbox, then ends."""

    Inboxes = {"inbox": "the message awaited"}
    Outboxes = {}

    def __init__(self) -> None:
        super().__init__()
        self.future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def main(self):  # type: ignore[override]
        while not self.data_ready():
            self.pause()
            yield
        self.future.set_result(self.recv())


WAIT = 30.0  # seconds any one wait in these tests may take before it fails (never a hang)


async def watched(awaitable: Any, task: asyncio.Future[Any], timeout: float = WAIT, *,
                  scheduler_may_end: bool = False) -> Any:
    """Await ``awaitable``, failing after ``timeout`` seconds, and at once if the scheduler
    ``task`` fails (with its error) or, unless ``scheduler_may_end``, ends first."""
    fut = asyncio.ensure_future(awaitable)
    try:
        async with asyncio.timeout(timeout):
            await asyncio.wait({fut, task}, return_when=asyncio.FIRST_COMPLETED)
            if not fut.done():
                task.result()  # raises the scheduler's error, if it failed
                if not scheduler_may_end:
                    raise AssertionError("the scheduler ended while the test was waiting")
            return await fut
    finally:
        fut.cancel()


async def until(condition: Callable[[], Any], task: asyncio.Future[Any],
                timeout: float = WAIT, *, scheduler_may_end: bool = False) -> None:
    """Wait until ``condition()`` holds (the scheduler and the time watched as above)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await watched(poll(), task, timeout, scheduler_may_end=scheduler_may_end)


def serving(protocol: Callable[[], Component],
            body: Callable[[int, TCPServer, EventLog, asyncio.Task[None]],
                           Coroutine[Any, Any, None]]) -> EventLog:
    """Run a server and ``body(port, server, log, task)`` against it (``task`` runs the
    scheduler); then shut the server down."""
    server = TCPServer(protocol, host=HOST, port=0)
    log = EventLog()

    async def main() -> None:
        sched = Scheduler()
        ready = FirstMessage()
        log.link((server, "events"), (log, "inbox"))
        log.link((server, "signal"), (log, "control"))
        log.link((server, "ready"), (ready, "inbox"))
        sched.activate(server)
        sched.activate(log)
        sched.activate(ready)
        task = asyncio.ensure_future(sched.run_async(timeout=60))
        address = await watched(ready.future, task)
        try:
            await watched(body(address[1], server, log, task), task, scheduler_may_end=True)
        finally:
            server.inboxes["control"].put(Shutdown())
            await asyncio.wait_for(task, WAIT)

    asyncio.run(main())
    return log


async def talk(port: int, payload: bytes, *, read: bool = True) -> bytes:
    """Send ``payload``, half-close, read everything until the server closes."""
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(payload)
    await writer.drain()
    writer.write_eof()
    data = await reader.read() if read else b""
    writer.close()
    return data


def test_echo_server_serves_200_concurrent_clients_1000_lines_each_in_order():
    async def client(port: int, i: int) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        expected = [f"client {i} line {k}".encode() for k in range(1000)]

        async def send() -> None:
            for k in range(0, 1000, 50):
                writer.write(b"".join(line + b"\n" for line in expected[k:k + 50]))
                await writer.drain()
            writer.write_eof()

        sender = asyncio.ensure_future(send())
        got = await reader.read()
        await sender
        writer.close()
        assert got.split(b"\n")[:-1] == expected

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        await asyncio.gather(*(client(port, i) for i in range(200)))

    log = serving(line_echo, body)
    assert sum(isinstance(e, Connected) for e in log.events) == 200
    ends = [e for e in log.events if isinstance(e, Disconnected)]
    assert len(ends) == 200 and all(e.error is None for e in ends)


def test_a_client_vanishing_mid_line_leaves_the_server_serving_others():
    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        _, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"complete line\nhalf a li")
        await writer.drain()
        writer.transport.abort()  # gone without a goodbye (RST)
        assert await talk(port, b"still here\n") == b"still here\n"

    log = serving(line_echo, body)
    assert sum(isinstance(e, Disconnected) for e in log.events) == 2
    assert not any(isinstance(e, ProtocolFailed) for e in log.events)


def test_garbage_bytes_fail_only_their_own_connection():
    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        good = asyncio.ensure_future(talk(port, b"".join(b"line %d\n" % i for i in range(100))))
        assert await talk(port, b"\xff\xfe\x00garbage\n") == b""  # closed on us
        assert (await good).count(b"\n") == 100
        assert await talk(port, b"after\n") == b"after\n"

    log = serving(line_echo, body)
    (failed,) = [e for e in log.events if isinstance(e, ProtocolFailed)]
    assert "TextDecoder" in failed.component and "utf-8" in str(failed.error)


def test_the_server_lets_go_of_each_connection_once_it_has_ended():
    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        for i in range(5):
            assert await talk(port, b"line %d\n" % i) == b"line %d\n" % i
        assert await talk(port, b"\xff garbage\n") == b""  # a failed protocol, too
        await until(lambda: server.children == [], task)
        assert await talk(port, b"and on\n") == b"and on\n"
        await until(lambda: server.children == [], task)

    log = serving(line_echo, body)
    assert sum(isinstance(e, Disconnected) for e in log.events) == 7


def test_an_oversized_frame_is_refused_while_other_clients_keep_being_served():
    def frame(payload: bytes) -> bytes:
        return len(payload).to_bytes(4, "big") + payload

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)  # a long-lived client
        writer.write(frame(b"first"))
        assert await reader.readexactly(9) == frame(b"first")
        assert await talk(port, frame(b"x" * 5000)) == b""  # refused: connection closed
        writer.write(frame(b"second"))
        assert await reader.readexactly(10) == frame(b"second")
        writer.write_eof()
        assert await reader.read() == b""
        writer.close()

    log = serving(frame_echo, body)
    (failed,) = [e for e in log.events if isinstance(e, ProtocolFailed)]
    assert "max_size 1000" in str(failed.error)


def test_a_half_closed_client_still_receives_the_whole_reply():
    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        payload = b"".join(b"%d\n" % i for i in range(5000))
        assert await talk(port, payload) == payload

    serving(line_echo, body)


def test_the_server_protocol_finishing_first_half_closes_the_connection():
    def greeter() -> Component:
        return Pipeline(IterableSource([b"hello\n"]))

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        assert await reader.read() == b"hello\n"  # then EOF: the server's side is closed
        writer.close()

    serving(greeter, body)


def test_tcp_client_talks_to_the_server_and_ends_with_producer_finished():
    got = Collector()

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        client = Pipeline(
            IterableSource([b"one\n", b"two\n"]), TCPClient(HOST, port), LineSplitter(), got)
        sched = Scheduler()
        sched.activate(client)
        await sched.run_async(timeout=30)

    serving(line_echo, body)
    assert got.items == [b"one", b"two"]


def test_tcp_client_connection_refused_raises_naming_the_component():
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        client = TCPClient(HOST, port)
        with pytest.raises(ComponentError, match="TCPClient") as info:
            from axon import run

            run(client, timeout=10)
    assert isinstance(info.value.error, ConnectionRefusedError)


def test_server_producer_finished_stops_accepting_and_ends_after_its_connections():
    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"before\n")
        assert await reader.readline() == b"before\n"
        server.inboxes["control"].put(ProducerFinished())
        # the server closes its listening socket as it takes the message from control
        await until(lambda: not server.data_ready("control"), task)
        with pytest.raises(OSError):
            await talk(port, b"new\n")
        writer.write(b"after\n")  # the existing connection is still served
        assert await reader.readline() == b"after\n"
        writer.write_eof()
        assert await reader.read() == b""
        writer.close()
        await until(lambda: server.done, task, scheduler_may_end=True)

    log = serving(line_echo, body)
    assert sum(isinstance(e, Disconnected) for e in log.events) == 1


def test_udp_round_trip():
    received = Collector()
    receiver = UDPReceiver(host=HOST, port=0)

    async def main() -> None:
        sched = Scheduler()
        ready = FirstMessage()
        ready.link((receiver, "ready"), (ready, "inbox"))
        sched.activate(Pipeline(receiver, Map(lambda d: d.data), received))
        sched.activate(ready)
        task = asyncio.ensure_future(sched.run_async(timeout=30))
        address = await watched(ready.future, task)
        sender = Pipeline(
            IterableSource([b"ping", Datagram(b"pong", address)]),
            UDPSender(remote=address),
        )
        sched.activate(sender)
        try:
            # a lost datagram (or a failed scheduler) fails the test instead of hanging it
            await until(lambda: len(received.items) >= 2, task)
        finally:
            receiver.inboxes["control"].put(ProducerFinished())
        await asyncio.wait_for(task, WAIT)

    asyncio.run(main())
    assert received.items == [b"ping", b"pong"]
