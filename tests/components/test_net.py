"""TCP and UDP on loopback (127.0.0.1 only): the connected-server pattern end to end."""

from __future__ import annotations

import asyncio
import errno
import gc
import itertools
import os
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from axon import (
    Component,
    ComponentError,
    Pipeline,
    ProducerFinished,
    Scheduler,
    Shutdown,
    State,
)
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
    TCPConnection,
    TCPServer,
    TextDecoder,
    TextEncoder,
    UDPReceiver,
    UDPSender,
)

from components.net import SEND_BACKLOG

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
                           Coroutine[Any, Any, None]], **options: Any) -> EventLog:
    """Run a server (with ``options``) and ``body(port, server, log, task)`` against it
    (``task`` runs the scheduler); then shut the server down."""
    server = TCPServer(protocol, host=HOST, port=0, **options)
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


# -- containment and backpressure at the edge (issue 11) --------------------------------------


async def closed_on_us(port: int, payload: bytes) -> bytes:
    """Like :func:`talk`, but a reset counts as being closed on (returns what came first)."""
    try:
        return await talk(port, payload)
    except ConnectionResetError:
        return b""


class Session(Component):
    """An echo that registers the service "session" as it starts: one at a time."""

    def on_activate(self, scheduler: Scheduler) -> None:
        scheduler.services.register("session", self)

    def main(self):  # type: ignore[override]
        try:
            while not self.finished():
                for data in self.recv_all():
                    self.send(data)
                self.pause()
                yield
        finally:
            self.scheduler.services.unregister("session", self)  # type: ignore[union-attr]
        self.send(self.end_message, "signal")


def test_a_protocol_factory_that_raises_fails_only_its_own_connection():
    calls = 0

    def factory() -> Component:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("no protocol for connection 2")
        return line_echo()

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"one\n")
        assert await reader.readline() == b"one\n"
        assert await closed_on_us(port, b"two\n") == b""
        writer.write(b"three\n")  # the first connection is still served
        assert await reader.readline() == b"three\n"
        assert await talk(port, b"four\n") == b"four\n"  # and new ones are accepted
        writer.close()

    log = serving(factory, body)
    (failed,) = [e for e in log.events if isinstance(e, ProtocolFailed)]
    assert "no protocol for connection 2" in str(failed.error)
    assert "TCPServer" in failed.component


def test_a_protocol_whose_on_activate_raises_fails_only_its_own_connection():
    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"first\n")
        assert await reader.readline() == b"first\n"  # holds the "session" service
        assert await closed_on_us(port, b"second\n") == b""  # ServiceError in on_activate
        writer.write(b"still\n")
        assert await reader.readline() == b"still\n"
        writer.write_eof()
        assert await reader.read() == b""
        writer.close()
        await until(lambda: server.children == [], task)
        assert await talk(port, b"third\n") == b"third\n"  # the service is free again

    log = serving(Session, body)
    (failed,) = [e for e in log.events if isinstance(e, ProtocolFailed)]
    assert "already registered" in str(failed.error)
    assert sum(isinstance(e, Disconnected) for e in log.events) == 3


def download(chunks: int = 512) -> Component:
    """A protocol that streams ``chunks`` x 64 KB to its client, whatever it sends."""
    return IterableSource(itertools.repeat(b"d" * 65536, chunks), chunk=16)


async def stalled_download(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client of :func:`download` that does not read: returns once the server's
    connection has had to stop writing to it."""
    reader, writer = await asyncio.open_connection(HOST, port)
    await asyncio.sleep(0.5)  # the kernel's buffers and the transport's fill in far less
    return reader, writer


def test_a_connection_whose_peer_does_not_read_sleeps_until_it_can_write():
    spent: list[int] = []

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await stalled_download(port)
        (conn,) = [c for c in server.children if isinstance(c, TCPConnection)]
        assert conn.data_ready() > 0  # what it cannot write waits in its (bounded) inbox
        sched = server.scheduler
        assert sched is not None
        before = sched.timeslices
        await asyncio.sleep(0.5)
        spent.append(sched.timeslices - before)  # it waits to write: nothing should run
        assert len(await reader.read()) == 512 * 65536  # then it is woken: all of it comes
        writer.close()

    serving(download, body)
    assert spent[0] < 100, f"{spent[0]} timeslices in 0.5 s while waiting to write"


class Stream(Component):
    """A protocol that sends ``chunks`` x 64 KB, whatever happens, then ends."""

    def __init__(self, chunks: int) -> None:
        super().__init__()
        self.chunks = chunks

    def main(self):  # type: ignore[override]
        block = b"s" * 65536
        for i in range(self.chunks):
            self.send(block)
            if i % 16 == 15:
                yield
        self.send(ProducerFinished(), "signal")


def test_a_protocol_blocked_on_a_reset_connection_is_released_and_the_server_ends():
    server = TCPServer(lambda: Stream(2048), host=HOST, port=0)
    conns: list[TCPConnection] = []

    async def main() -> None:
        sched = Scheduler()
        sched.activate(server)
        task = asyncio.ensure_future(sched.run_async(timeout=60))
        try:
            await until(lambda: server.address, task)
            clients = [await stalled_download(server.address[1]) for _ in range(3)]
            protocols = [c for c in server.children if isinstance(c, Stream)]
            conns.extend(c for c in server.children if isinstance(c, TCPConnection))
            assert len(protocols) == 3
            assert all(p.state is State.BLOCKED for p in protocols)  # on full connections
            for _, writer in clients:
                writer.transport.abort()  # RST
            await until(lambda: server.children == [], task, timeout=3)  # all reaped
            assert all(p.done for p in protocols)
            server.inboxes["control"].put(ProducerFinished())
            await until(lambda: server.done, task, timeout=3, scheduler_may_end=True)
        finally:
            if not task.done():  # (a failed run: stop it here, not by a 30 s timeout)
                sched.shutdown()
                task.cancel()
            await asyncio.wait([task])

    asyncio.run(main())
    # what could not be sent is counted, not silently gone
    assert all(c.inboxes["inbox"].statistics().dropped > 0 for c in conns)


def test_what_a_protocol_sends_after_its_connection_is_lost_is_counted_as_dropped():
    conns: list[TCPConnection] = []

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        _, writer = await stalled_download(port)
        conns.extend(c for c in server.children if isinstance(c, TCPConnection))
        queued = conns[0].data_ready()
        assert queued > 0
        writer.transport.abort()  # RST
        await until(lambda: conns[0].done, task, timeout=5)
        assert conns[0].inboxes["inbox"].statistics().dropped >= queued
        await until(lambda: server.children == [], task, timeout=5)

    log = serving(download, body)
    (end,) = [e for e in log.events if isinstance(e, Disconnected)]
    assert isinstance(end.error, ConnectionError)


class SlowReader(Component):
    """Takes one chunk (or Datagram) every ``delay`` seconds, keeping the bytes; ``most``
    is the most bytes ever waiting in its inbox."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.data = bytearray()
        self.most = 0

    def main(self):  # type: ignore[override]
        q = self.inboxes["inbox"].queue
        while True:
            self.most = max(self.most, sum(len(getattr(c, "data", c)) for c in q))
            if q:
                msg = self.recv()
                self.data += getattr(msg, "data", msg)
                yield asyncio.sleep(self.delay)
                continue
            if self.finished():
                break
            self.pause()
            yield
        self.send(self.end_message, "signal")


def test_a_slow_protocol_stops_its_connection_reading_within_the_configured_bound():
    limit = 128 * 1024
    payload = bytes(range(256)) * (4 * 4096)  # 4 MB
    readers: list[SlowReader] = []
    held: list[int] = []

    def protocol() -> Component:
        readers.append(SlowReader(0.005))
        return readers[-1]

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)

        async def watch() -> None:
            while True:
                conns = [c for c in server.children if isinstance(c, TCPConnection)]
                if conns and readers:
                    q = readers[0].inboxes["inbox"].queue
                    held.append(conns[0].buffered + sum(len(c) for c in q))
                await asyncio.sleep(0.002)

        watcher = asyncio.ensure_future(watch())
        writer.write(payload)
        await writer.drain()
        writer.write_eof()
        assert await reader.read() == b""  # the protocol ended: our side is closed
        watcher.cancel()
        writer.close()

    serving(protocol, body, read_limit=limit)
    assert bytes(readers[0].data) == payload  # all of it, in order: nothing lost
    # received but not yet taken by the protocol: within the documented bound
    assert max(held) <= 2 * limit + TCPConnection.read_chunk, max(held)
    assert readers[0].most <= limit + TCPConnection.read_chunk, readers[0].most


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_soak_of_reconnecting_clients_leaves_memory_and_descriptors_flat():
    # nobody reads the server's events: they must not pile up (a short soak, bounded by
    # count; bench.edges runs a long one)
    server = TCPServer(line_echo, host=HOST, port=0)
    objects: list[int] = []

    async def client(port: int, rounds: int) -> None:
        for n in range(rounds):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(b"hello %d\n" % n)
            assert await reader.readline() == b"hello %d\n" % n
            writer.close()
            await writer.wait_closed()

    async def clients(rounds: int) -> None:
        port = server.address[1]
        await asyncio.gather(*(client(port, rounds) for _ in range(50)))
        await until(lambda: server.children == [], task)
        gc.collect()
        objects.append(len(gc.get_objects()))

    async def main() -> None:
        nonlocal task
        sched = Scheduler()
        sched.activate(server)
        task = asyncio.ensure_future(sched.run_async(timeout=60))
        await until(lambda: server.address, task)
        fds = open_fds()
        await watched(clients(10), task)  # warmed up: from here on nothing may accumulate
        await watched(clients(20), task)  # 1,000 more connections
        assert open_fds() <= fds + 2, (fds, open_fds())
        server.inboxes["control"].put(Shutdown())
        await asyncio.wait_for(task, WAIT)

    task: asyncio.Future[None]
    asyncio.run(main())
    events = server.outboxes["events"]
    assert len(events.held) <= TCPServer.events_hold
    # every record it could not keep is counted, none silently gone
    assert len(events.held) + events.overflowed == 2 * 50 * 30
    assert objects[1] - objects[0] < 1000, objects  # (not one per connection)


def test_udp_sender_raises_on_a_datagram_it_cannot_send():
    sender = UDPSender(remote=(HOST, 9))  # (discard: nothing need listen)
    with pytest.raises(ComponentError, match="UDPSender") as info:
        from axon import run

        run(Pipeline(IterableSource([b"x" * 70_000]), sender), timeout=10)
    assert isinstance(info.value.error, OSError)
    assert info.value.error.errno == errno.EMSGSIZE


def test_udp_sender_with_on_error_send_reports_the_datagram_and_carries_on():
    got = Collector()
    receiver = UDPReceiver(host=HOST, port=0)
    errors = Collector()
    sender_box: list[UDPSender] = []

    async def main() -> None:
        sched = Scheduler()
        ready = FirstMessage()
        ready.link((receiver, "ready"), (ready, "inbox"))
        sched.activate(Pipeline(receiver, Map(lambda d: d.data), got))
        sched.activate(ready)
        task = asyncio.ensure_future(sched.run_async(timeout=30))
        address = await watched(ready.future, task)
        sender = UDPSender(remote=address, on_error="send")
        sender_box.append(sender)
        system = Pipeline(IterableSource([b"before", b"x" * 70_000, b"after"]), sender)
        system.link((sender, "error"), (errors, "inbox"))
        sched.activate(system)
        sched.activate(errors)
        try:
            await until(lambda: len(got.items) >= 2, task)
        finally:
            receiver.inboxes["control"].put(ProducerFinished())
            errors.inboxes["control"].put(ProducerFinished())
        await asyncio.wait_for(task, WAIT)

    asyncio.run(main())
    assert got.items == [b"before", b"after"]
    (record,) = errors.items
    assert record.error.errno == errno.EMSGSIZE
    assert record.address == receiver.address  # where the datagram was going


def test_udp_receiver_receive_buffer_holds_a_burst_sent_while_it_is_not_reading():
    received = Collector()
    receiver = UDPReceiver(host=HOST, port=0, receive_buffer=4 << 20)
    burst = [b"%05d" % i + b"." * 27 for i in range(2048)]  # 64 KB in 2,048 datagrams

    async def main() -> None:
        sched = Scheduler()
        ready = FirstMessage()
        ready.link((receiver, "ready"), (ready, "inbox"))
        sched.activate(Pipeline(receiver, Map(lambda d: d.data), received))
        sched.activate(ready)
        task = asyncio.ensure_future(sched.run_async(timeout=30))
        address = await watched(ready.future, task)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for data in burst:  # the event loop is not running: the kernel holds them
                s.sendto(data, address)
        try:
            await until(lambda: len(received.items) >= len(burst), task, timeout=5)
        finally:
            receiver.inboxes["control"].put(ProducerFinished())
        await asyncio.wait_for(task, WAIT)

    asyncio.run(main())
    assert received.items == burst
    assert receiver.receive_buffer >= 4 << 20  # what the kernel granted (Linux doubles it)


def test_udp_receiver_stops_reading_while_its_consumer_is_full():
    slow = SlowReader(0.01)
    receiver = UDPReceiver(host=HOST, port=0, backlog=32)
    most: list[int] = []

    async def main() -> None:
        sched = Scheduler()
        ready = FirstMessage()
        ready.link((receiver, "ready"), (ready, "inbox"))
        sched.activate(Pipeline(receiver, slow))
        sched.activate(ready)
        task = asyncio.ensure_future(sched.run_async(timeout=30))
        address = await watched(ready.future, task)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(3000):
                s.sendto(b"%05d" % i, address)
                if i % 100 == 0:
                    await asyncio.sleep(0.001)
                    most.append(receiver.buffered + slow.data_ready())
        await asyncio.sleep(0.2)
        receiver.inboxes["control"].put(Shutdown())
        await asyncio.wait_for(task, WAIT)

    asyncio.run(main())
    assert 0 < max(most) <= 2 * 32 + 1, max(most)


def test_udp_receiver_at_producer_finished_passes_on_what_it_holds_and_reads_no_more():
    slow = SlowReader(0.005)
    receiver = UDPReceiver(host=HOST, port=0, backlog=16)
    held: list[int] = []

    async def main() -> None:
        sched = Scheduler()
        ready = FirstMessage()
        ready.link((receiver, "ready"), (ready, "inbox"))
        sched.activate(Pipeline(receiver, slow))
        sched.activate(ready)
        task = asyncio.ensure_future(sched.run_async(timeout=30))
        address = await watched(ready.future, task)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(200):
                s.sendto(b"early", address)
            await until(lambda: receiver.buffered == 16, task)  # it holds its backlog
            receiver.inboxes["control"].put(ProducerFinished())
            await until(lambda: not receiver.data_ready("control"), task)
            held.append(receiver.buffered + slow.data_ready())
            for _ in range(50):
                s.sendto(b"late!", address)
            await asyncio.wait_for(task, WAIT)

    asyncio.run(main())
    got = bytes(slow.data)
    assert b"late!" not in got
    assert len(got) >= 5 * held[0] > 0  # what it held was passed on


def messages_waiting(component: Component) -> int:
    """Messages waiting in the inboxes of ``component`` and every component inside it."""
    return sum(len(ib.queue) for ib in component.inboxes.values()) + sum(
        messages_waiting(c) for c in component.children)


def test_backpressure_crosses_a_protocol_made_of_several_stages():
    most: list[int] = []

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        _, writer = await asyncio.open_connection(HOST, port)
        lines = b"".join(b"line %06d\n" % i for i in range(100_000))  # 1.2 MB, 100k lines

        async def send() -> None:
            for _ in range(20):
                writer.write(lines)
                await writer.drain()

        sender = asyncio.ensure_future(send())  # and never read the echo
        for _ in range(10):
            await asyncio.sleep(0.1)
            most.append(messages_waiting(server))
        assert not sender.done()  # held up: the server stopped reading
        sender.cancel()
        writer.transport.abort()

    serving(lambda: Pipeline(LineSplitter(), LineJoiner()), body, protocol_backlog=64)
    # each stage's inbox holds 64 lines at most (unbounded, the joiner's took millions)
    assert max(most) <= 2 * 64 + 2 * SEND_BACKLOG, max(most)


def test_server_shutdown_ends_protocols_blocked_on_their_connections():
    server = TCPServer(lambda: Stream(2048), host=HOST, port=0)

    async def main() -> None:
        sched = Scheduler()
        sched.activate(server)
        task = asyncio.ensure_future(sched.run_async(timeout=60))
        await until(lambda: server.address, task)
        clients = [await stalled_download(server.address[1]) for _ in range(3)]
        protocols = [c for c in server.children if isinstance(c, Stream)]
        assert len(protocols) == 3 and all(p.state is State.BLOCKED for p in protocols)
        server.inboxes["control"].put(Shutdown())
        await watched(task, task, 5, scheduler_may_end=True)  # everything ends, promptly
        assert all(p.done for p in protocols) and server.children == []
        for _, writer in clients:
            writer.close()

    asyncio.run(main())


def test_a_tcp_client_reads_only_as_fast_as_its_consumer_takes():
    slow = SlowReader(0.002)
    held: list[int] = []

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        client = TCPClient(HOST, port, read_limit=128 * 1024)
        sched = Scheduler()
        sched.activate(Pipeline(client, slow))
        run = asyncio.ensure_future(sched.run_async(timeout=30))
        ended = False
        while not run.done():
            held.append(client.buffered + sum(len(c) for c in slow.inboxes["inbox"].queue))
            if len(slow.data) == 64 * 65536 and not ended:
                ended = True
                client.inboxes["control"].put(ProducerFinished())  # all in: our side ends
            await asyncio.sleep(0.005)
        run.result()

    serving(lambda: download(64), body)  # 4 MB, streamed at the client
    assert len(slow.data) == 64 * 65536
    assert max(held) <= 2 * 128 * 1024 + 65536, max(held)


def test_a_protocol_factory_may_take_the_peers_address_to_label_what_it_says():
    def labelled(peer: tuple[str, int]) -> Component:
        host, port = peer
        return Pipeline(LineSplitter(), Map(lambda line: b"%s:%d said %s" % (
            host.encode(), port, line)), LineJoiner())

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        me = writer.get_extra_info("sockname")
        writer.write(b"hello\n")
        assert await reader.readline() == b"%s:%d said hello\n" % (me[0].encode(), me[1])
        writer.close()

    serving(labelled, body)


def test_a_protocol_factory_may_take_host_and_port_as_two_arguments():
    seen: list[tuple[str, int]] = []

    def two(host: str, port: int, banner: bytes = b"hi") -> Component:
        seen.append((host, port))
        return Pipeline(LineSplitter(), LineJoiner())

    async def body(port: int, server: TCPServer, log: EventLog, task: asyncio.Task[None]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        me = writer.get_extra_info("sockname")
        writer.write(b"x\n")
        assert await reader.readline() == b"x\n"
        assert seen == [(me[0], me[1])]
        writer.close()

    serving(two, body)
    with pytest.raises(TypeError, match="needs 3 arguments"):
        TCPServer(lambda a, b, c: Map(str))
    with pytest.raises(TypeError, match="must be a factory"):
        TCPServer(Map(str))  # type: ignore[arg-type]  # a component, not a factory
