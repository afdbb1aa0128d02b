"""Networking on asyncio: a TCP server making a protocol component per connection, a TCP
client, and UDP sender and receiver.

Design notes
------------
1. Sockets are asyncio transports.  The transport's callbacks (``data_received``,
   ``eof_received``, ``connection_lost``...) ``put()`` what happened into the component's
   own ``socket`` inbox, which wakes it; the component holds ``keep_alive()`` while the
   transport can still deliver.  So a connection reacts to the network and to its inboxes
   at once, and an idle server uses no CPU.
2. Every way a connection ends is a message, never a stuck system: the peer closing or
   half-closing its side ends the received stream (``ProducerFinished`` on ``signal``, after
   every byte received); a failure (reset, vanished peer) does the same with the error in a
   ``Disconnected`` record on ``events``.  The component finishes once both directions are
   done: at ``ProducerFinished`` in ``control`` it sends what is queued and half-closes its
   side (``write_eof``); ``Shutdown`` closes the connection at once.
3. The server is the "connected server" pattern: each accepted connection becomes a
   ``TCPConnection`` child linked both ways to a fresh protocol component made by the
   factory.  The server is their supervisor: a protocol that raises (bad input, a bug) is
   reported as ``ProtocolFailed`` on ``events``, its connection is closed, and every other
   connection is served on.
4. Flow control: a transport that cannot write fast enough pauses reading from its socket
   (TCP then slows the peer), and the connection's inbox is bounded (its senders block), so
   a slow peer cannot make the server buffer without limit.  Reading also pauses while more
   than ``READ_BACKLOG`` received chunks wait to be forwarded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from axon import BoxSpec, Component, Inbox, ProducerFinished, Shutdown

from ._stage import Stage
from .errors import OnError

__all__ = [
    "Connected",
    "Datagram",
    "Disconnected",
    "ProtocolFailed",
    "SocketError",
    "TCPClient",
    "TCPConnection",
    "TCPServer",
    "UDPReceiver",
    "UDPSender",
]

#: Received chunks waiting in a connection before it stops reading from its socket.
READ_BACKLOG = 64
#: Chunks a connection's inbox holds before the components sending to it block.
SEND_BACKLOG = 256

Address = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Connected:
    """A connection is established: who the peer is, and our end."""

    peer: Address
    local: Address


@dataclass(frozen=True, slots=True)
class Disconnected:
    """A connection has ended: cleanly (``error is None``) or by ``error``."""

    peer: Address
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class ProtocolFailed:
    """A connection's protocol component raised; the server closed that connection."""

    peer: Address
    component: str
    error: BaseException


@dataclass(frozen=True, slots=True)
class Datagram:
    """One UDP datagram and the address it came from (or goes to)."""

    data: bytes
    address: Address


@dataclass(frozen=True, slots=True)
class SocketError:
    """An error the socket reported (e.g. ICMP port unreachable for UDP)."""

    address: Address | None
    error: BaseException


class _Event:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_EOF = _Event("<peer half-closed>")
_WRITABLE = _Event("<can write again>")


@dataclass(slots=True)
class _Lost:
    error: BaseException | None


class _StreamProtocol(asyncio.Protocol):
    """Turns transport callbacks into messages in a component's ``socket`` inbox."""

    def __init__(self, box: Inbox[Any], on_made: Callable[[], None] | None = None) -> None:
        self.box = box
        self.on_made = on_made
        self.transport: asyncio.Transport | None = None
        self.read_paused = False
        self.write_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if self.on_made is not None:
            self.on_made()

    def data_received(self, data: bytes) -> None:
        box = self.box
        box.put(data)
        if len(box.queue) >= READ_BACKLOG and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()  # type: ignore[union-attr]

    def eof_received(self) -> bool:
        self.box.put(_EOF)
        return True  # keep our side open: the peer only half-closed

    def connection_lost(self, exc: Exception | None) -> None:
        self.box.put(_Lost(exc))

    def pause_writing(self) -> None:
        self.write_paused = True
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()  # type: ignore[union-attr]

    def resume_writing(self) -> None:
        self.write_paused = False
        self.box.put(_WRITABLE)

    def maybe_resume_reading(self) -> None:
        if self.read_paused and not self.write_paused and len(self.box.queue) < READ_BACKLOG // 2:
            transport = self.transport
            if transport is not None and not transport.is_closing():
                transport.resume_reading()
            self.read_paused = False


class TCPConnection(Stage):
    """One TCP connection as a component: ``inbox`` bytes go out, received bytes come out.

    Made by ``TCPServer`` for each accepted connection (``TCPClient`` is the connecting
    kind).  ``events`` reports ``Connected`` then ``Disconnected``; ``signal`` carries
    ``ProducerFinished`` when the peer's stream ends (closed, half-closed or failed).  At
    ``ProducerFinished`` on ``control`` everything queued is sent, then our side is
    half-closed; the component ends when both sides are done.  ``Shutdown`` aborts.

    >>> TCPServer(protocol=Echo).events  # each TCPConnection reports here  # doctest: +SKIP
    """

    Inboxes = {
        "inbox": BoxSpec("bytes to send", SEND_BACKLOG),
        "control": "ProducerFinished: send what is queued, then half-close; Shutdown: abort",
        "socket": "(fed by the transport) bytes received and connection events",
    }
    Outboxes = {
        "outbox": "bytes received, in order",
        "signal": "ProducerFinished when the peer's stream has ended; or Shutdown passed on",
        "events": "Connected, then Disconnected (with the error if the connection failed)",
        "error": "BadInput records: non-bytes given to send (on_error='send')",
    }

    peer: Address = ()
    _protocol: _StreamProtocol | None = None

    def main(self) -> Generator[Any, Any, None]:
        proto = self._protocol
        assert proto is not None and proto.transport is not None
        yield from self._serve(proto, proto.transport)

    def _serve(self, proto: _StreamProtocol, tr: asyncio.Transport) -> Generator[Any, Any, None]:
        self.peer = tr.get_extra_info("peername") or ()
        self.send(Connected(self.peer, tr.get_extra_info("sockname") or ()), "events")
        sockq = self.inboxes["socket"].queue
        inq = self.inboxes["inbox"].queue
        end = None
        error: BaseException | None = None
        peer_done = lost = wrote_eof = signalled = False
        try:
            with self.keep_alive():  # the transport may deliver at any time
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    if sockq:
                        out = self.outboxes["outbox"]
                        for ev in self.recv_all("socket"):
                            if type(ev) is bytes:
                                out.push(ev)
                            elif ev is _EOF:
                                peer_done = True
                            elif type(ev) is _Lost:
                                peer_done = lost = True
                                error = ev.error
                        proto.maybe_resume_reading()
                    if peer_done and not signalled:
                        signalled = True
                        reason = "peer closed" if error is None else f"connection lost: {error!r}"
                        self.send(ProducerFinished(reason), "signal")
                    if lost:
                        break
                    if inq and not proto.write_paused and not wrote_eof:
                        write = tr.write
                        for data in self.recv_all("inbox"):
                            if type(data) is bytes or isinstance(data, (bytearray, memoryview)):
                                write(data)
                            else:
                                self.reject(f"expected bytes to send, got {type(data).__name__}",
                                            data)
                    if end is not None and not inq and not wrote_eof and not proto.write_paused:
                        wrote_eof = True
                        if tr.can_write_eof():
                            tr.write_eof()
                        else:
                            tr.close()
                            peer_done = True
                    if wrote_eof and peer_done:
                        break
                    self.pause()
                    yield
        finally:
            if not tr.is_closing():
                if wrote_eof and peer_done:
                    tr.close()  # sends anything still buffered first
                else:
                    tr.abort()
        self.send(Disconnected(self.peer, error), "events")
        if not signalled:
            self.send(end if end is not None else ProducerFinished("closed"), "signal")


class TCPClient(TCPConnection):
    """Connects to ``host:port``; then behaves as a ``TCPConnection``.

    A failure to connect raises (``ConnectionRefusedError``...), stopping the system with a
    ``ComponentError`` that names this component; later failures become messages.

    >>> Pipeline(IterableSource([b"hi\\n"]), TCPClient("127.0.0.1", 8000), Collector())
    ... # doctest: +SKIP
    """

    def __init__(self, host: str, port: int, *, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.host = host
        self.port = port

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        box = self.inboxes["socket"]
        tr, proto = yield loop.create_connection(lambda: _StreamProtocol(box), self.host, self.port)
        self._protocol = proto
        yield from self._serve(proto, tr)


class TCPServer(Stage):
    """Listens on ``host:port``; each connection gets its own ``protocol()`` component.

    ``protocol`` is a factory (a class, or any callable returning a component): the
    component's ``inbox`` receives the connection's bytes, its ``outbox`` is sent back, its
    ``control`` receives ``ProducerFinished`` when the peer's stream ends, and when it
    finishes (``signal``) the connection is half-closed.  ``ready`` sends the bound
    ``(host, port)`` (also :attr:`address`) once listening; ``port=0`` picks a free port.

    ``ProducerFinished`` on ``control`` stops accepting and ends the server once its
    connections have ended; ``Shutdown`` closes everything now.  A protocol component that
    raises is reported as ``ProtocolFailed`` on ``events`` and its connection is closed;
    the other connections carry on.

    >>> TCPServer(lambda: Pipeline(LineSplitter(), LineJoiner()), port=8000)  # an echo
    ... # doctest: +SKIP
    """

    Inboxes = {
        "control": "ProducerFinished: stop accepting, end after the connections; Shutdown: now",
        "accepted": "(fed by the listening socket) new connections",
    }
    Outboxes = {
        "ready": "the bound (host, port), once listening",
        "events": "Connected / Disconnected for every connection, and ProtocolFailed",
        "signal": "the end of stream, once every connection has ended",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    address: Address = ()

    def __init__(self, protocol: Callable[[], Component], *, host: str = "127.0.0.1",
                 port: int = 0, backlog: int = 128, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.protocol = protocol
        self.host = host
        self.port = port
        self.backlog = backlog
        self._pairs: dict[int, tuple[TCPConnection, Component]] = {}  # by id(connection)
        self._pair_of: dict[int, int] = {}  # id(connection or protocol) -> its pair's key
        self._ended: set[int] = set()  # pairs with a finished member, to look at
        self._count = 0

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        accepted = self.inboxes["accepted"]

        def make_connection() -> _StreamProtocol:
            conn = TCPConnection()
            conn._protocol = _StreamProtocol(conn.inboxes["socket"], lambda: accepted.put(conn))
            return conn._protocol

        server: asyncio.Server | None = yield loop.create_server(
            make_connection, self.host, self.port, backlog=self.backlog, reuse_address=True)
        assert server is not None
        self.address = server.sockets[0].getsockname()[:2]
        self.send(self.address, "ready")
        end = None
        try:
            with self.keep_alive():  # the listening socket may deliver at any time
                while True:
                    end = self.take_control(end)
                    if end is not None and server is not None:
                        server.close()
                        server = None
                        if isinstance(end, Shutdown):
                            for conn, proto in self._pairs.values():
                                _stop_tree(conn)
                                _stop_tree(proto)
                    for conn in self.recv_all("accepted"):
                        if server is None:  # accepted just before we stopped listening
                            conn._protocol.transport.abort()  # type: ignore[union-attr]
                        else:
                            self._adopt(conn)
                    self._reap()
                    if end is not None and not self._pairs:
                        break
                    self.pause()
                    yield
        finally:
            if server is not None:
                server.close()
            for conn, _ in self._pairs.values():
                tr = conn._protocol.transport if conn._protocol else None
                if tr is not None and not tr.is_closing():
                    tr.abort()
        self.send(end, "signal")

    def _adopt(self, conn: TCPConnection) -> None:
        proto = self.protocol()
        if not isinstance(proto, Component):
            raise TypeError(f"{self.path}: protocol() must return a Component, not {proto!r}")
        link = self.link
        link((conn, "outbox"), (proto, "inbox"))
        link((conn, "signal"), (proto, "control"))
        link((proto, "outbox"), (conn, "inbox"))
        link((proto, "signal"), (conn, "control"))
        link((conn, "events"), (self, "events"))
        self._count += 1
        self.add_child(conn, f"conn{self._count}")
        self.add_child(proto, f"protocol{self._count}")
        key = id(conn)
        self._pairs[key] = (conn, proto)
        self._pair_of[id(conn)] = self._pair_of[id(proto)] = key

    def child_finished(self, child: Component) -> None:
        key = self._pair_of.get(id(child))
        if key is not None:
            self._ended.add(key)

    def _reap(self) -> None:
        """Let go of the connections whose two halves have both finished (only those
        ``child_finished`` named: no scan of every connection per wake)."""
        ended, self._ended = self._ended, set()
        for key in ended:
            conn, proto = self._pairs[key]
            if conn.done and proto.done:
                del self._pairs[key], self._pair_of[id(conn)], self._pair_of[id(proto)]
                self.remove_child(conn)
                self.remove_child(proto)

    def child_failed(self, child: Component, exc: BaseException) -> bool:
        """Supervise the connections: a failure closes its own connection only."""
        top: Component | None = child
        while top is not None and top.parent is not self:
            top = top.parent
        key = self._pair_of.get(id(top))
        if key is None:
            return False
        conn, proto = self._pairs[key]
        self.send(ProtocolFailed(conn.peer, child.path, exc), "events")
        _stop_tree(conn)
        _stop_tree(proto)
        sched = self.scheduler
        if sched is not None:
            sched.wake(self)
        return True


def _stop_tree(component: Component) -> None:
    """Send ``Shutdown`` to a component and every live descendant that has a control box."""
    todo = [component]
    while todo:
        c = todo.pop()
        todo.extend(c.children)
        if not c.done and "control" in c.inboxes:
            c.inboxes["control"].put(Shutdown("connection closed by the server"))


class _DatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, box: Inbox[Any]) -> None:
        self.box = box

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.box.put(Datagram(data, addr))

    def error_received(self, exc: Exception) -> None:
        self.box.put(SocketError(None, exc))

    def connection_lost(self, exc: Exception | None) -> None:
        self.box.put(_Lost(exc))


class UDPReceiver(Stage):
    """Receives UDP datagrams on ``host:port`` and sends each on as a ``Datagram``.

    ``ready`` sends the bound ``(host, port)`` (``port=0`` picks one).  It runs until
    ``ProducerFinished`` or ``Shutdown`` arrives on ``control``; socket errors are sent on
    ``error`` as ``SocketError`` records.

    >>> Pipeline(UDPReceiver(port=9999), Map(lambda d: d.data), ConsoleEcho())  # doctest: +SKIP
    """

    Inboxes = {
        "inbox": "(unused: a source; anything sent here is bad input)",
        "control": "ProducerFinished or Shutdown: stop receiving",
        "socket": "(fed by the transport) datagrams and errors",
    }
    Outboxes = {
        "outbox": "Datagram(data, address) records",
        "ready": "the bound (host, port), once listening",
        "signal": "the end of stream, passed on",
        "error": "SocketError records; BadInput for stray control messages",
    }

    address: Address = ()

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.host = host
        self.port = port

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        box = self.inboxes["socket"]
        tr, _ = yield loop.create_datagram_endpoint(
            lambda: _DatagramProtocol(box), local_addr=(self.host, self.port))
        self.address = tr.get_extra_info("sockname")[:2]
        self.send(self.address, "ready")
        end = None
        try:
            with self.keep_alive():
                while True:
                    self.refuse_input()
                    end = self.take_control(end)
                    out = self.outboxes["outbox"]
                    for ev in self.recv_all("socket"):
                        if type(ev) is Datagram:
                            out.push(ev)
                        elif type(ev) is SocketError:
                            self.send(SocketError(self.address, ev.error), "error")
                        elif type(ev) is _Lost and end is None:
                            end = ProducerFinished("socket closed")
                    if end is not None:
                        break
                    self.pause()
                    yield
        finally:
            tr.close()
        self.send(end, "signal")


class UDPSender(Stage):
    """Sends each ``bytes`` message as a datagram to ``remote``, or each ``Datagram`` to its
    own address.

    Bound to ``local`` (default an ephemeral port on 127.0.0.1).  At ``ProducerFinished``
    what is queued is sent and the socket closed.  A message of another type, or bytes with
    no ``remote`` to send them to, is bad input; socket errors go out on ``error`` as
    ``SocketError`` records.

    >>> Pipeline(IterableSource([b"ping"]), UDPSender(remote=("127.0.0.1", 9999)))
    ... # doctest: +SKIP
    """

    Inboxes = {"inbox": "bytes (to remote) or Datagram records", "control": "ProducerFinished or Shutdown",
               "socket": "(fed by the transport) errors"}
    Outboxes = {
        "outbox": "(unused) kept so UDPSender can sit inside a Pipeline",
        "signal": "the end of stream, once everything is sent",
        "error": "BadInput for unsendable messages; SocketError records",
    }

    def __init__(self, remote: Address | None = None, *, local: Address = ("127.0.0.1", 0),
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.remote = tuple(remote) if remote is not None else None
        self.local = tuple(local)

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        box = self.inboxes["socket"]
        tr, _ = yield loop.create_datagram_endpoint(lambda: _DatagramProtocol(box),
                                                    local_addr=self.local)
        end = None
        try:
            with self.keep_alive():
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    for msg in self.recv_all():
                        if isinstance(msg, Datagram):
                            tr.sendto(msg.data, msg.address)
                        elif not isinstance(msg, (bytes, bytearray, memoryview)):
                            self.reject(f"expected bytes or Datagram, got {type(msg).__name__}",
                                        msg)
                        elif self.remote is None:
                            self.reject("bytes to send but no remote address (send Datagram "
                                        "records, or give remote=)", msg)
                        else:
                            tr.sendto(msg, self.remote)
                    for ev in self.recv_all("socket"):
                        if type(ev) is SocketError:
                            self.send(ev, "error")
                    if end is not None:
                        break
                    self.pause()
                    yield
        finally:
            tr.close()
        self.send(end, "signal")
