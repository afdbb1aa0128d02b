"""Networking on asyncio: a TCP server making a protocol component per connection, a TCP
client, and UDP sender and receiver.

Design notes
------------
1. Sockets are asyncio transports.  What a transport reports (the peer's end, a failure,
   room to write again) arrives as a message in the component's own ``socket`` inbox,
   which wakes it; the bytes it reads go into an :class:`~components._intake.Intake`.  The
   component holds ``keep_alive()`` while the transport can still deliver.  So a
   connection reacts to the network and to its inboxes at once, and an idle server uses
   no CPU.
2. Every way a connection ends is a message, never a stuck system: the peer closing or
   half-closing its side ends the received stream (``ProducerFinished`` on ``signal``, after
   every byte received); a failure (reset, vanished peer) does the same with the error in a
   ``Disconnected`` record on ``events``.  The component finishes once both directions are
   done: at ``ProducerFinished`` in ``control`` it sends what is queued and half-closes its
   side (``write_eof``); ``Shutdown`` closes the connection at once.  What its protocol
   sends after the connection is lost cannot be sent: it is counted as dropped in the
   ``inbox`` statistics.
3. The server is the "connected server" pattern: each accepted connection becomes a
   ``TCPConnection`` child linked both ways to a fresh protocol component made by the
   factory.  The server is their supervisor: a protocol that fails (its factory or its
   ``on_activate`` raising, bad input, a bug) is reported as ``ProtocolFailed`` on
   ``events``, its connection is closed, and every other connection is served on.
4. Flow control, both ways, with fixed bounds per connection (the design notes of
   ``axon/_core/_flow.py``).  Reading: the connection holds at most ``read_limit`` bytes it has
   received and not yet passed on, and passes chunks on only while the protocol's inbox
   holds fewer than ``read_limit // read_chunk`` (at least one); past that it stops reading
   its socket (``pause_reading``), so TCP slows the peer.  Writing: while the transport's
   buffer is over ``write_limit`` (asyncio's ``pause_writing``) the connection takes
   nothing from its inbox, bounded to ``send_backlog`` messages with ``block``, so its
   protocol waits; it sleeps until ``resume_writing``.  A peer can make a connection hold
   at most about ``2 * read_limit + read_chunk`` received bytes and ``send_backlog``
   messages plus ``write_limit`` bytes to send, whatever it does.  A protocol made of
   several stages passes that backpressure on only if its inner inboxes are bounded: the
   server bounds each of them that is not (``protocol_backlog`` messages, ``block``),
   so a client that sends lines and never reads the replies stops being read once the
   stages are full, instead of filling the last stage's inbox with millions of lines.
   The bound is in messages: about 64 KiB for 64-byte lines at the default, but up to
   ``protocol_backlog`` chunks for stages that pass chunks on (set it lower for those;
   much lower than the lines one chunk holds makes every chunk block: slower, still
   correct).
5. A server's ``events`` nobody reads do not pile up: its ``events`` outbox keeps at most
   :attr:`TCPServer.events_hold` records for a link made later, and counts the rest as
   dropped (its statistics), so a long-running server's memory stays flat.
6. UDP has no flow control of its own: a ``UDPReceiver`` whose consumer falls behind
   holds at most ``backlog`` datagrams and then stops reading, so datagrams wait in the
   kernel's receive buffer (sized by ``receive_buffer``) and, past it, are lost as UDP
   loses them.  A ``UDPSender`` stops taking input while its transport cannot send.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from axon import BoxSpec, Component, Inbox, ProducerFinished, Shutdown

from ._intake import Intake
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

#: Bytes a connection reads from its socket at a time (the largest chunk it passes on).
READ_CHUNK = 64 * 1024
#: Bytes received and not yet taken by the protocol before a connection stops reading.
READ_LIMIT = 64 * 1024
#: Messages a connection's inbox holds before the components sending to it block.
SEND_BACKLOG = 16
#: Bytes buffered by a connection's transport before it stops taking from its inbox.
WRITE_LIMIT = 64 * 1024
#: Messages each data inbox inside a server's protocol holds (see TCPServer).
PROTOCOL_BACKLOG = 1024

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
    """A connection's protocol component failed (or could not be made or started); the
    server closed that connection."""

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
    """An error the socket reported, and the address involved (if known): a datagram
    that could not be sent (e.g. too long: ``EMSGSIZE``), or an ICMP error."""

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


class _StreamProtocol(asyncio.BufferedProtocol):
    """Reads into a buffer of its own (so no chunk is larger than it) and hands the bytes
    to the connection's intake; the transport's events go to its ``socket`` inbox."""

    def __init__(self, events: Inbox[Any], chunk: int, write_limit: int,
                 on_made: Callable[[], None] | None = None) -> None:
        self.events = events
        self.chunk = chunk
        self.buffer: memoryview | None = None  # made on the first read, let go at the end
        self.write_limit = write_limit
        self.on_made = on_made
        self.intake: Intake | None = None
        self.transport: asyncio.Transport | None = None
        self.write_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.set_write_buffer_limits(high=self.write_limit)  # type: ignore[attr-defined]
        if self.on_made is not None:
            self.on_made()

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.buffer is None:
            self.buffer = memoryview(bytearray(self.chunk))
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.intake.put(bytes(self.buffer[:nbytes]))  # type: ignore[index, union-attr]

    def release(self) -> None:
        """The connection has ended: let go of the read buffer (64 KiB each, which would
        otherwise wait for the cyclic garbage collector with the component)."""
        self.buffer = None

    def eof_received(self) -> bool:
        self.events.put(_EOF)
        return True  # keep our side open: the peer only half-closed

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.put(_Lost(exc))

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self.events.put(_WRITABLE)

    # the intake's pause and resume
    def pause_reading(self) -> None:
        tr = self.transport
        if tr is not None and not tr.is_closing():
            tr.pause_reading()

    def resume_reading(self) -> None:
        tr = self.transport
        if tr is not None and not tr.is_closing():
            tr.resume_reading()


class TCPConnection(Stage):
    """One TCP connection as a component: ``inbox`` bytes go out, received bytes come out.

    Made by ``TCPServer`` for each accepted connection (``TCPClient`` is the connecting
    kind).  ``events`` reports ``Connected`` then ``Disconnected``; ``signal`` carries
    ``ProducerFinished`` when the peer's stream ends (closed, half-closed or failed).  At
    ``ProducerFinished`` on ``control`` everything queued is sent, then our side is
    half-closed; the component ends when both sides are done.  ``Shutdown`` aborts.

    Its bounds (see the module's design notes; the defaults are the module's constants):

    - ``read_limit``: received bytes it holds, not yet taken downstream, before it stops
      reading the socket; the inbox it feeds may hold ``read_limit // read_chunk`` chunks.
    - ``read_chunk``: the most bytes read at a time (the largest chunk sent on).
    - ``send_backlog``: messages its ``inbox`` holds before their senders block.
    - ``write_limit``: bytes the transport buffers before the connection stops writing.

    >>> from axon import Handle, Pipeline
    >>> from components import LineJoiner, LineSplitter
    >>> echo = TCPServer(lambda: Pipeline(LineSplitter(), LineJoiner()), port=0)
    >>> with Handle(echo) as server:
    ...     host, port = server.get(timeout=5, box="ready")  # port=0: a free one
    >>> echo.address == (host, port) and port > 0
    True
    """

    Inboxes = {
        "inbox": BoxSpec("bytes to send", SEND_BACKLOG),
        "control": "ProducerFinished: send what is queued, then half-close; Shutdown: abort",
        "socket": "(fed by the transport) the peer's end, a failure, room to write again",
    }
    Outboxes = {
        "outbox": "bytes received, in order",
        "signal": "ProducerFinished when the peer's stream has ended; or Shutdown passed on",
        "events": "Connected, then Disconnected (with the error if the connection failed)",
        "error": "BadInput records: non-bytes given to send (on_error='send')",
    }

    peer: Address = ()
    read_limit: int = READ_LIMIT
    read_chunk: int = READ_CHUNK
    write_limit: int = WRITE_LIMIT
    _protocol: _StreamProtocol | None = None
    _intake: Intake | None = None

    def __init__(self, *, read_limit: int = READ_LIMIT, read_chunk: int = READ_CHUNK,
                 send_backlog: int = SEND_BACKLOG, write_limit: int = WRITE_LIMIT,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if min(read_limit, read_chunk, send_backlog, write_limit) < 1:
            raise ValueError(f"{self.path}: read_limit, read_chunk, send_backlog and "
                             "write_limit are positive")
        self.read_limit = read_limit
        self.read_chunk = read_chunk
        self.write_limit = write_limit
        if send_backlog != SEND_BACKLOG:
            self.set_bound("inbox", send_backlog, "block")

    @property
    def buffered(self) -> int:
        """Bytes received and not yet passed on (at most about ``read_limit``)."""
        return self._intake.level if self._intake is not None else 0

    def _make_protocol(self, on_made: Callable[[], None] | None = None) -> _StreamProtocol:
        proto = _StreamProtocol(self.inboxes["socket"], self.read_chunk, self.write_limit,
                                on_made)
        proto.intake = self._intake = Intake(
            self, "outbox", limit=self.read_limit, room=max(1, self.read_limit // self.read_chunk),
            weigh=len, pause=proto.pause_reading, resume=proto.resume_reading)
        self._protocol = proto
        return proto

    def main(self) -> Generator[Any, Any, None]:
        proto = self._protocol
        assert proto is not None and proto.transport is not None
        yield from self._serve(proto, proto.transport)

    def _serve(self, proto: _StreamProtocol, tr: asyncio.Transport) -> Generator[Any, Any, None]:
        self.peer = tr.get_extra_info("peername") or ()
        self.send(Connected(self.peer, tr.get_extra_info("sockname") or ()), "events")
        intake = self._intake
        assert intake is not None
        inq = self.inboxes["inbox"].queue
        everything = tuple(self.inboxes)
        end = None
        error: BaseException | None = None
        peer_done = lost = wrote_eof = signalled = narrowed = False
        try:
            with self.keep_alive():  # the transport may deliver at any time
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    for ev in self.recv_all("socket"):
                        if ev is _EOF:
                            peer_done = True
                        elif type(ev) is _Lost:
                            peer_done = lost = True
                            error = ev.error
                    if intake:
                        intake.forward()  # as far as the protocol has room
                    if peer_done and not signalled and not intake:
                        signalled = True  # (after every byte received)
                        reason = "peer closed" if error is None else f"connection lost: {error!r}"
                        self.send(ProducerFinished(reason), "signal")
                    if inq:
                        if lost:
                            self._drop_unsendable()
                        elif wrote_eof:
                            for data in self.recv_all("inbox"):
                                self.reject("bytes sent after the end of the stream "
                                            "(ProducerFinished) cannot be sent", data)
                        else:
                            self._write(proto, tr)
                    if (end is not None and not inq and not wrote_eof and not lost
                            and not proto.write_paused):
                        wrote_eof = True
                        if tr.can_write_eof():
                            tr.write_eof()
                        else:
                            tr.close()
                            peer_done = True
                    if peer_done and not intake and (lost or wrote_eof):
                        break
                    # while the transport cannot take more, what waits in the inbox must
                    # not wake us (that would be every round); resume_writing will
                    if proto.write_paused and not lost and not wrote_eof:
                        if not narrowed:
                            narrowed = True
                            self.wake_on("control", "socket")
                    elif narrowed:
                        narrowed = False
                        self.wake_on(*everything)
                    self.pause()
                    yield
        finally:
            intake.clear()
            proto.release()
            if not tr.is_closing():
                if wrote_eof and peer_done:
                    tr.close()  # sends anything still buffered first
                else:
                    tr.abort()
        self.send(Disconnected(self.peer, error), "events")
        if not signalled:
            self.send(end if end is not None else ProducerFinished("closed"), "signal")

    def _write(self, proto: _StreamProtocol, tr: asyncio.Transport) -> None:
        """Write from ``inbox`` while the transport takes more (one message past its limit
        at most), leaving the rest queued, so the protocol is held up."""
        write = tr.write
        q = self.inboxes["inbox"].queue
        while q and not proto.write_paused:
            data = self.recv()
            if type(data) is bytes or isinstance(data, (bytearray, memoryview)):
                write(data)
            else:
                self.reject(f"expected bytes to send, got {type(data).__name__}", data)

    def _drop_unsendable(self) -> None:
        """The connection is gone: what the protocol still sends is counted as dropped."""
        ib = self.inboxes["inbox"]
        ib.dropped += len(ib.queue)
        ib.queue.clear()
        if ib.blocked and self.scheduler is not None:
            self.scheduler.unblock(ib)


class TCPClient(TCPConnection):
    """Connects to ``host:port``; then behaves as a ``TCPConnection`` (with its bounds).

    A failure to connect raises (``ConnectionRefusedError``...), stopping the system with a
    ``ComponentError`` that names this component; later failures become messages.

    >>> from axon import Handle, Pipeline, run
    >>> from components import Collector, IterableSource, LineJoiner, LineSplitter
    >>> echo = TCPServer(lambda: Pipeline(LineSplitter(), LineJoiner()), port=0)
    >>> got = Collector()
    >>> with Handle(echo) as server:
    ...     host, port = server.get(timeout=5, box="ready")
    ...     _ = run(Pipeline(IterableSource([b"hi\\n"]), TCPClient(host, port), got), timeout=5)
    >>> got.items
    [b'hi\\n']
    """

    def __init__(self, host: str, port: int, *, read_limit: int = READ_LIMIT,
                 read_chunk: int = READ_CHUNK, send_backlog: int = SEND_BACKLOG,
                 write_limit: int = WRITE_LIMIT, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(read_limit=read_limit, read_chunk=read_chunk,
                         send_backlog=send_backlog, write_limit=write_limit,
                         on_error=on_error, name=name)
        self.host = host
        self.port = port

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        tr, proto = yield loop.create_connection(self._make_protocol, self.host, self.port)
        yield from self._serve(proto, tr)


class TCPServer(Stage):
    """Listens on ``host:port``; each connection gets its own ``protocol()`` component.

    ``protocol`` is a factory (a class, or any callable returning a component): the
    component's ``inbox`` receives the connection's bytes, its ``outbox`` is sent back, its
    ``control`` receives ``ProducerFinished`` when the peer's stream ends, and when it
    finishes (``signal``) the connection is half-closed.  A factory with one required
    positional parameter is called with the peer's address, ``(host, port)`` as asyncio
    reports it (a chat server can label speakers); with two, with ``host, port``.  ``ready`` sends the bound
    ``(host, port)`` (also :attr:`address`) once listening; ``port=0`` picks a free port.

    ``ProducerFinished`` on ``control`` stops accepting and ends the server once its
    connections have ended; ``Shutdown`` closes everything now.  A protocol that fails (its
    factory or its ``on_activate`` raising included) is reported as ``ProtocolFailed`` on
    ``events`` and its connection is closed; the other connections carry on.

    ``read_limit``, ``read_chunk``, ``send_backlog`` and ``write_limit`` bound each
    connection (see :class:`TCPConnection`): what one client can make the server hold.
    ``protocol_backlog`` bounds every unbounded inbox inside each protocol (``control``
    excepted) to that many messages with ``block``, so the backpressure crosses a protocol
    made of several stages; ``None`` leaves the protocol's inboxes as they are.

    >>> from axon import Handle, Pipeline, run
    >>> from components import Collector, IterableSource, LineJoiner, LineSplitter
    >>> echo = TCPServer(lambda: Pipeline(LineSplitter(), LineJoiner()), port=0)  # an echo
    >>> got = Collector()
    >>> with Handle(echo) as server:
    ...     address = server.get(timeout=5, box="ready")
    ...     _ = run(Pipeline(IterableSource([b"a\\nb\\n"]), TCPClient(*address), got), timeout=5)
    >>> b"".join(got.items)
    b'a\\nb\\n'
    """

    Inboxes = {
        "control": "ProducerFinished: stop accepting, end after the connections; Shutdown: now",
        "accepted": "(fed by the listening socket) new connections",
    }
    Outboxes = {
        "ready": "the bound (host, port), once listening",
        "events": "Connected / Disconnected for every connection, and ProtocolFailed "
                  "(while unlinked: the first events_hold kept, the rest counted as dropped)",
        "signal": "the end of stream, once every connection has ended",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    #: Records the ``events`` outbox keeps while it is not linked (the rest are counted).
    events_hold = 100

    address: Address = ()

    def __init__(self, protocol: Callable[..., Component], *, host: str = "127.0.0.1",
                 port: int = 0, backlog: int = 128,
                 protocol_backlog: int | None = PROTOCOL_BACKLOG, read_limit: int = READ_LIMIT,
                 read_chunk: int = READ_CHUNK, send_backlog: int = SEND_BACKLOG,
                 write_limit: int = WRITE_LIMIT, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if not callable(protocol):
            raise TypeError(f"{self.path}: protocol must be a factory (a class or a callable "
                            f"returning a component), not {protocol!r}")
        self.protocol = protocol
        self._peer_args = _peer_parameters(protocol)
        self.host = host
        self.port = port
        self.backlog = backlog
        if protocol_backlog is not None and protocol_backlog < 1:
            raise ValueError(f"{self.path}: protocol_backlog is positive (or None)")
        self.protocol_backlog = protocol_backlog
        self.read_limit = read_limit
        self.read_chunk = read_chunk
        self.send_backlog = send_backlog
        self.write_limit = write_limit
        self._new_connection()  # (checks the bounds now, not per connection)
        self.outboxes["events"].hold_limit = self.events_hold
        self._pairs: dict[int, tuple[TCPConnection, Component]] = {}  # by id(connection)
        self._pair_of: dict[int, int] = {}  # id(connection or protocol) -> its pair's key
        self._ended: set[int] = set()  # pairs with a finished member, to look at
        self._closing: set[int] = set()  # pairs the server is closing (failure, Shutdown)
        self._count = 0
        self._adopting: Component | None = None  # a protocol being started (see _adopt)
        self._adopt_error: BaseException | None = None

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        accepted = self.inboxes["accepted"]

        def make_connection() -> _StreamProtocol:
            conn = self._new_connection()
            return conn._make_protocol(lambda: accepted.put(conn))

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
                            for key in self._pairs:
                                self._close_pair(key)
                    for conn in self.recv_all("accepted"):
                        if server is None:  # accepted just before we stopped listening
                            conn._protocol.transport.abort()
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

    def _new_connection(self) -> TCPConnection:
        return TCPConnection(read_limit=self.read_limit, read_chunk=self.read_chunk,
                             send_backlog=self.send_backlog, write_limit=self.write_limit)

    def _adopt(self, conn: TCPConnection) -> None:
        """Make, start and link ``conn``'s protocol; a protocol that cannot be made or
        started fails only this connection."""
        self._count += 1
        n = self._count
        try:
            proto = self._make(conn)
            if not isinstance(proto, Component):
                raise TypeError(f"protocol() must return a Component, not {proto!r}")
        except Exception as exc:  # noqa: BLE001 - contained: reported as ProtocolFailed
            self._refuse(conn, f"{self.path}.protocol()", exc)
            return
        if self.protocol_backlog is not None:
            _bound_data_inboxes(proto, self.protocol_backlog)
        # it activates as it is adopted, and its on_activate may raise: child_failed takes
        # that failure in charge (self._adopting) and it is refused below
        self._adopting, self._adopt_error = proto, None
        try:
            self.add_child(proto, f"protocol{n}")
        finally:
            self._adopting = None
        failure = self._adopt_error
        if failure is not None:
            self._adopt_error = None
            path = proto.path
            if self.scheduler is not None:
                self.scheduler.stop(proto)  # whatever of it did start
            self.remove_child(proto)
            self._refuse(conn, path, failure)
            return
        link = self.link
        link((conn, "outbox"), (proto, "inbox"))
        link((conn, "signal"), (proto, "control"))
        link((proto, "outbox"), (conn, "inbox"))
        link((proto, "signal"), (conn, "control"))
        link((conn, "events"), (self, "events"))
        self.add_child(conn, f"conn{n}")
        key = id(conn)
        self._pairs[key] = (conn, proto)
        self._pair_of[id(conn)] = self._pair_of[id(proto)] = key

    def _make(self, conn: TCPConnection) -> Any:
        """Call the protocol factory, with the peer's address if it takes it."""
        if not self._peer_args:
            return self.protocol()
        tr = conn._protocol.transport if conn._protocol is not None else None
        peer = tuple(tr.get_extra_info("peername") or ()) if tr is not None else ()
        if self._peer_args == 1:
            return self.protocol(peer)
        return self.protocol(*peer[:2])

    def _refuse(self, conn: TCPConnection, component: str, exc: BaseException) -> None:
        tr = conn._protocol.transport if conn._protocol is not None else None
        peer = (tr.get_extra_info("peername") or ()) if tr is not None else ()
        if tr is not None:
            tr.abort()
        self.send(ProtocolFailed(peer, component, exc), "events")
        self.send(Disconnected(peer, exc), "events")

    def child_finished(self, child: Component) -> None:
        key = self._pair_of.get(id(child))
        if key is not None:
            self._ended.add(key)

    def _close_pair(self, key: int) -> None:
        """Close a connection and its protocol (a failure, or the server's Shutdown)."""
        conn, proto = self._pairs[key]
        self._closing.add(key)
        self._ended.add(key)  # (_reap looks at it again: its connection may be gone)
        _stop_tree(conn)
        _stop_tree(proto)

    def _reap(self) -> None:
        """Let go of the connections whose two halves have both finished (only those
        ``child_finished`` named: no scan of every connection per wake).

        A protocol the server is closing that still runs once its connection has ended
        is stopped there (its ``finally`` blocks run): it may be blocked sending to that
        connection, where it cannot see its ``Shutdown``.
        """
        ended, self._ended = self._ended, set()
        for key in ended:
            pair = self._pairs.get(key)
            if pair is None:  # (reaped already: named twice)
                continue
            conn, proto = pair
            if conn.done and not proto.done and key in self._closing and self.scheduler:
                self.scheduler.stop(proto)
            if conn.done and proto.done:
                self._closing.discard(key)
                del self._pairs[key], self._pair_of[id(conn)], self._pair_of[id(proto)]
                self.remove_child(conn)
                self.remove_child(proto)

    def child_failed(self, child: Component, exc: BaseException) -> bool:
        """Supervise the connections: a failure closes its own connection only."""
        top: Component | None = child
        while top is not None and top.parent is not self:
            top = top.parent
        if top is not None and top is self._adopting:  # failed as it started: see _adopt
            self._adopt_error = exc
            return True
        key = self._pair_of.get(id(top))
        if key is None:
            return False
        conn, proto = self._pairs[key]
        self.send(ProtocolFailed(conn.peer, child.path, exc), "events")
        self._close_pair(key)
        sched = self.scheduler
        if sched is not None:
            sched.wake(self)
        return True


def _peer_parameters(factory: Callable[..., Any]) -> int:
    """How many of the peer's ``host, port`` a protocol factory takes: its required
    positional parameters (0, 1: the address tuple, or 2: host and port)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # (a builtin without a signature: call it plainly)
        return 0
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = sum(1 for p in params if p.kind in positional and p.default is p.empty)
    if required > 2:
        raise TypeError(f"a protocol factory is called with nothing, the peer's address or "
                        f"its host and port; {factory!r} needs {required} arguments")
    return required


def _bound_data_inboxes(component: Component, size: int) -> None:
    """Bound every unbounded inbox in ``component``'s tree where messages stay (no
    passthrough), other than ``control``, to ``size`` with ``block``: so backpressure
    crosses a protocol made of several stages, from the connection back to its socket."""
    todo = [component]
    while todo:
        c = todo.pop()
        todo.extend(c.children)
        for name, ib in c.inboxes.items():
            if name != "control" and ib.size is None and not ib.links_out:
                ib.set_bound(size, "block")


def _stop_tree(component: Component) -> None:
    """Send ``Shutdown`` to a component and every live descendant that has a control box."""
    todo = [component]
    while todo:
        c = todo.pop()
        todo.extend(c.children)
        if not c.done and "control" in c.inboxes:
            c.inboxes["control"].put(Shutdown("connection closed by the server"))


class _DatagramProtocol(asyncio.DatagramProtocol):
    """A sending datagram endpoint's events, as messages in a component's ``socket`` inbox."""

    def __init__(self, box: Inbox[Any]) -> None:
        self.box = box
        self.sending_to: Address | None = None  # set around each sendto, for its errors
        self.write_paused = False

    def error_received(self, exc: Exception) -> None:
        self.box.put(SocketError(self.sending_to, exc))

    def connection_lost(self, exc: Exception | None) -> None:
        self.box.put(_Lost(exc))

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self.box.put(_WRITABLE)


class UDPReceiver(Stage):
    """Receives UDP datagrams on ``host:port`` and sends each on as a ``Datagram``.

    ``ready`` sends the bound ``(host, port)`` (``port=0`` picks one).  It runs until
    ``ProducerFinished`` (it stops reading and sends on what it holds) or ``Shutdown``
    arrives on ``control``; socket errors are sent on ``error`` as ``SocketError`` records.

    ``backlog``: the most datagrams it holds, and lets wait in its consumer's inbox, before
    it stops reading; datagrams then wait in the kernel's receive buffer, whose size
    ``receive_buffer`` sets (``SO_RCVBUF``; :attr:`receive_buffer` is what the kernel
    granted, which Linux doubles and caps at ``net.core.rmem_max`` unless run as root).
    A larger buffer absorbs a larger burst; beyond it the kernel drops datagrams, as UDP
    does.  ``max_size`` is the largest datagram taken whole.  It reads with the event
    loop's ``add_reader`` (every loop on Linux and macOS; not Windows' proactor loop).

    >>> from axon import Handle, Pipeline, run
    >>> from components import IterableSource
    >>> with Handle(UDPReceiver(port=0, receive_buffer=1 << 20)) as udp:
    ...     address = udp.get(timeout=5, box="ready")
    ...     _ = run(Pipeline(IterableSource([b"ping"]), UDPSender(remote=address)), timeout=5)
    ...     udp.get(timeout=5).data
    b'ping'
    """

    Inboxes = {
        "inbox": "(unused: a source; anything sent here is bad input)",
        "control": "ProducerFinished or Shutdown: stop receiving",
        "socket": "(fed by the socket) errors",
    }
    Outboxes = {
        "outbox": "Datagram(data, address) records",
        "ready": "the bound (host, port), once listening",
        "signal": "the end of stream, passed on",
        "error": "SocketError records; BadInput for stray control messages",
    }

    address: Address = ()
    #: Bytes of the socket's receive buffer, as granted by the kernel (once bound).
    receive_buffer: int = 0
    _intake: Intake | None = None

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, backlog: int = 256,
                 receive_buffer: int | None = None, max_size: int = 65535,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if backlog < 1 or max_size < 1 or (receive_buffer is not None and receive_buffer < 1):
            raise ValueError(f"{self.path}: backlog, max_size and receive_buffer are positive")
        self.host = host
        self.port = port
        self.backlog = backlog
        self.requested_buffer = receive_buffer
        self.max_size = max_size

    @property
    def buffered(self) -> int:
        """Datagrams received and not yet passed on (at most ``backlog``)."""
        return len(self._intake) if self._intake is not None else 0

    def _open(self) -> socket.socket:
        family, kind, proto, _, addr = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            if self.requested_buffer is not None:
                size = self.requested_buffer
                force = getattr(socket, "SO_RCVBUFFORCE", None)  # (Linux: root may exceed
                try:  # net.core.rmem_max)
                    if force is None:
                        raise OSError
                    sock.setsockopt(socket.SOL_SOCKET, force, size)
                except OSError:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            sock.bind(addr)
        except BaseException:
            sock.close()
            raise
        return sock

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        sock = self._open()
        fd = sock.fileno()
        self.address = sock.getsockname()[:2]
        self.receive_buffer = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        errors = self.inboxes["socket"]
        reading = False
        end = None

        def readable() -> None:
            recvfrom = sock.recvfrom
            size = self.max_size
            for _ in range(64):  # then let the loop do other work
                try:
                    data, addr = recvfrom(size)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:  # e.g. an ICMP error reported on the socket
                    errors.put(SocketError(None, exc))
                    return
                intake.put(Datagram(data, addr))
                if intake.paused:
                    return

        def start() -> None:
            nonlocal reading
            if not reading and end is None:  # (once the end has come, it reads no more)
                loop.add_reader(fd, readable)
                reading = True

        def stop() -> None:
            nonlocal reading
            if reading:
                loop.remove_reader(fd)
                reading = False

        intake = self._intake = Intake(self, "outbox", limit=self.backlog, room=self.backlog,
                                       pause=stop, resume=start)
        start()
        self.send(self.address, "ready")
        try:
            with self.keep_alive():  # the socket may deliver at any time
                while True:
                    self.refuse_input()
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    if end is not None:
                        stop()  # and pass on what it holds
                    intake.forward()
                    for ev in self.recv_all("socket"):
                        self.send(SocketError(self.address, ev.error), "error")
                    if end is not None and not intake:
                        break
                    self.pause()
                    yield
        finally:
            stop()
            intake.clear()
            sock.close()
        self.send(end, "signal")


class UDPSender(Stage):
    """Sends each ``bytes`` message as a datagram to ``remote``, or each ``Datagram`` to its
    own address.

    Bound to ``local`` (default an ephemeral port on 127.0.0.1).  At ``ProducerFinished``
    what is queued is sent and the socket closed.  A message of another type, or bytes with
    no ``remote`` to send them to, is bad input.  A datagram the socket refuses (too long:
    ``EMSGSIZE``; no route...) follows ``on_error``: ``raise`` raises the ``OSError``
    (stopping the system, naming this component), ``send`` sends a ``SocketError`` with the
    datagram's address on ``error`` and carries on.  While the socket cannot send, it takes
    nothing from its inbox (bounded to 256: its producer waits).

    >>> from axon import Handle, Pipeline, run
    >>> from components import IterableSource
    >>> with Handle(UDPReceiver(port=0)) as udp:
    ...     address = udp.get(timeout=5, box="ready")
    ...     _ = run(Pipeline(IterableSource([b"ping", Datagram(b"pong", address)]),
    ...                      UDPSender(remote=address)), timeout=5)
    ...     [udp.get(timeout=5).data for _ in range(2)]
    [b'ping', b'pong']
    """

    Inboxes = {"inbox": BoxSpec("bytes (to remote) or Datagram records", 256),
               "control": "ProducerFinished or Shutdown",
               "socket": "(fed by the transport) errors, room to send again, its end"}
    Outboxes = {
        "outbox": "(unused) kept so UDPSender can sit inside a Pipeline",
        "signal": "the end of stream, once everything is sent",
        "error": "SocketError records and BadInput (on_error='send')",
    }

    def __init__(self, remote: Address | None = None, *, local: Address = ("127.0.0.1", 0),
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.remote = tuple(remote) if remote is not None else None
        self.local = tuple(local)

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        box = self.inboxes["socket"]
        tr, proto = yield loop.create_datagram_endpoint(lambda: _DatagramProtocol(box),
                                                        local_addr=self.local)
        inq = self.inboxes["inbox"].queue
        everything = tuple(self.inboxes)
        end = None
        closed = narrowed = False
        try:
            with self.keep_alive():
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    while inq and not proto.write_paused and not closed:
                        msg = self.recv()
                        data: bytes | bytearray | memoryview
                        if isinstance(msg, Datagram):
                            data, address = msg.data, msg.address
                        elif not isinstance(msg, (bytes, bytearray, memoryview)):
                            self.reject(f"expected bytes or Datagram, got {type(msg).__name__}",
                                        msg)
                            continue
                        elif self.remote is None:
                            self.reject("bytes to send but no remote address (send Datagram "
                                        "records, or give remote=)", msg)
                            continue
                        else:
                            data, address = msg, self.remote
                        proto.sending_to = address
                        tr.sendto(data, address)  # its errors come to error_received
                        proto.sending_to = None
                        if box.queue:
                            self._socket_events(closed)
                    lost = self._socket_events(closed)
                    if end is not None and not inq and not closed:
                        closed = True
                        tr.close()  # once what the transport holds is sent
                    if closed and lost:
                        break
                    if proto.write_paused and not closed:
                        if not narrowed:
                            narrowed = True  # data waiting in inbox must not wake us
                            self.wake_on("control", "socket")
                    elif narrowed:
                        narrowed = False
                        self.wake_on(*everything)
                    self.pause()
                    yield
        finally:
            tr.abort() if isinstance(end, Shutdown) else tr.close()
        self.send(end, "signal")

    def _socket_events(self, closed: bool) -> bool:
        """Handle what the transport reported; True once it has closed."""
        lost = False
        for ev in self.recv_all("socket"):
            if type(ev) is SocketError:
                if self.on_error is OnError.RAISE:
                    err = ev.error
                    err.add_note(f"{self.path}: sending a datagram to {ev.address}")
                    raise err
                self.send(ev, "error")
            elif type(ev) is _Lost:
                lost = True
        return lost
