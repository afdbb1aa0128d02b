"""SingleServer: a TCP server for one client at a time, whose bytes are the stream.

Design notes
------------
1. It is a ``TCPServer`` (its child ``listener``) whose protocol factory makes a *session*
   for the client being served and a *refusal* for any other.  The session is two
   forwarding links, so a client's bytes land straight in whatever the server's
   ``outbox`` feeds (the connection's flow control then reaches that inbox: a slow
   consumer slows the client), and a send to the server's ``inbox`` lands straight in the
   connection's bounded inbox (its sender waits while the client is slow to read).
2. What a second client gets is fixed and visible: the ``busy`` bytes (if given), then
   our side of its connection half-closes; what it sends is read and discarded (counted
   in :attr:`SingleServer.discarded`) until it closes, or for ``linger`` seconds, after
   which it is aborted.  (Closing at once, with its bytes unread, would make the kernel
   reset the connection and the client could lose the ``busy`` line.)  It is reported
   as ``Refused`` on ``events``, never as ``Connected``.
3. A client's session ends when it closes its side (or the connection fails): what was
   sent to it until then is delivered, then our side closes.  What reaches ``inbox``
   while no client is served waits there for the next one.
4. ``ProducerFinished`` on ``control`` is the end of the server's input: what was sent
   before it still goes to a client (the current one, or, if none is connected and
   something waits, the next to connect), then our side half-closes and the server stops
   accepting; it ends once that client has closed its side.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from axon import Component, EndSignal, ProducerFinished, Shutdown

from .net import (
    READ_CHUNK, READ_LIMIT, SEND_BACKLOG, WRITE_LIMIT, Address, Connected, Disconnected,
    TCPServer,
)
from .timing import Alarm, Clock, SystemClock

__all__ = ["Refused", "SingleServer"]


@dataclass(frozen=True, slots=True)
class Refused:
    """A client that connected while another was served (or after the last): it was sent
    the server's ``busy`` bytes, if any, and closed."""

    peer: Address


class _Session(Component):
    """The client being served: its two directions are forwarding links (design note 1);
    this component only decides when our side of the connection ends."""

    Inboxes = {
        "inbox": "(forwarded) the client's bytes, straight to the server's outbox",
        "control": "the end of the client's stream (ProducerFinished), or Shutdown",
        "finish": "ProducerFinished from the server: send what is queued, then half-close",
    }
    Outboxes = {
        "outbox": "(forwarded) the server's inbox, to the client",
        "signal": "to the connection: ProducerFinished half-closes it, Shutdown aborts it",
    }

    def __init__(self, server: SingleServer) -> None:
        super().__init__(name="Session")
        # owned by the session: they go when it ends, and new input waits in the server
        self.link((self, "inbox"), (server, "outbox"))
        self.link((server, "inbox"), (self, "outbox"))

    def main(self) -> Generator[None, Any, None]:
        told = False
        while not self.finished():
            if self.recv_all("finish") and not told:
                told = True
                self.send(ProducerFinished("server input ended"), "signal")
            self.pause()
            yield
        if not told or isinstance(self.end_message, Shutdown):
            self.send(self.end_message, "signal")


class _Refusal(Component):
    """A client that is not served: ``busy``, a half-close, its bytes discarded until it
    closes or ``linger`` seconds pass (design note 2)."""

    Inboxes = {
        "inbox": "what the refused client sends (discarded, counted)",
        "control": "the end of its stream, or Shutdown",
    }
    Outboxes = {
        "outbox": "the busy bytes",
        "signal": "ProducerFinished (half-close) at once; Shutdown (abort) after the linger",
    }

    def __init__(self, server: SingleServer) -> None:
        super().__init__(name="Refusal")
        self.server = server

    def main(self) -> Generator[None, Any, None]:
        server = self.server
        if server.busy:
            self.send(server.busy)
        self.send(ProducerFinished("refused: one client at a time"), "signal")
        clock = server.clock
        deadline = clock.now() + server.linger
        alarm = Alarm(self, clock)
        try:
            while True:
                server.discarded += sum(len(b) for b in self.recv_all())
                if self.finished():
                    break
                if clock.now() >= deadline:
                    self.send(Shutdown("refused client did not close"), "signal")
                    break
                alarm.set_at(deadline)
                self.pause()
                yield
        finally:
            alarm.cancel()


class SingleServer(Component):
    """Listens on ``host:port`` and serves one client at a time (Kamaelia's
    ``SingleServer``): its bytes come out of ``outbox``, what reaches ``inbox`` is sent
    to it.  For a stream with one source at a time, such as one audio sender.

    ``clients`` is how many clients it serves, one after another, before it ends
    (``None``: until told to stop); their bytes follow each other on ``outbox``, and
    ``events`` says where one ends (``Disconnected``) and the next begins
    (``Connected``).  A client that connects while another is served, or after the last,
    is refused: it gets ``busy`` (bytes, if given), our side closes, and it is reported
    as ``Refused`` (see the module's design notes for exactly what it sees).

    Ends: ``ProducerFinished`` on ``control`` (the end of its input): what was sent
    before it still goes to a client, then it stops accepting and ends once that client
    has closed; ``Shutdown`` closes everything now.  Its ``signal`` carries the end after
    the last client's bytes.  What waits in ``inbox`` when it ends, and what was handed to
    a client's connection that it did not read before leaving, is counted as dropped.
    The connection bounds (``read_limit`` ...) are ``TCPConnection``'s.

    >>> import socket
    >>> from axon import Handle
    >>> with Handle(SingleServer(port=0, busy=b"ERR busy\\n")) as server:
    ...     address = server.get(timeout=5, box="ready")  # port=0: a free one
    ...     first = socket.create_connection(address, timeout=5)
    ...     second = socket.create_connection(address, timeout=5)  # while first is served
    ...     second.recv(100)  # refused: it gets busy, then our side closes
    ...     first.sendall(b"hello\\n")
    ...     server.get(timeout=5)  # the served client's bytes
    ...     first.close()
    ...     second.close()
    ...     [type(server.get(timeout=5, box="events")).__name__ for _ in range(3)]
    b'ERR busy\\n'
    b'hello\\n'
    ['Connected', 'Refused', 'Disconnected']
    """

    Inboxes = {
        "inbox": "bytes to send to the client being served (they wait while none is)",
        "control": "ProducerFinished: serve what was sent, then stop; Shutdown: close now",
        "tcp": "(from the listener) Connected / Disconnected / ProtocolFailed",
        "listener_signal": "(from the listener) its end",
    }
    Outboxes = {
        "outbox": "the bytes of the client being served, in order",
        "signal": "the end, after the last client's bytes",
        "events": "Connected / Disconnected for each client served, Refused for the others",
        "ready": "the bound (host, port), once listening",
        "listener_control": "(to the listener) its end",
    }

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, clients: int | None = 1,
                 busy: bytes | None = None, linger: float = 2.0, clock: Clock | None = None,
                 read_limit: int = READ_LIMIT, read_chunk: int = READ_CHUNK,
                 send_backlog: int = SEND_BACKLOG, write_limit: int = WRITE_LIMIT,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if clients is not None and clients < 1:
            raise ValueError(f"{self.name}: clients is at least 1 (or None: no limit)")
        if busy is not None and not isinstance(busy, bytes):
            raise TypeError(f"{self.name}: busy is bytes (or None), not {busy!r}")
        if linger < 0:
            raise ValueError(f"{self.name}: linger is at least 0 seconds")
        self.clients = clients
        self.busy = busy
        self.linger = linger
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.served = 0  # clients served so far
        self.refused = 0  # clients refused
        self.discarded = 0  # bytes refused clients sent (read and discarded)
        self._session: _Session | None = None
        self._refused_peers: set[Address] = set()
        self._ending: EndSignal | None = None
        self.listener = TCPServer(
            self._protocol, host=host, port=port, protocol_backlog=None,
            read_limit=read_limit, read_chunk=read_chunk, send_backlog=send_backlog,
            write_limit=write_limit, name="Listener")
        self.add_child(self.listener, "listener")
        self.link((self.listener, "ready"), (self, "ready"))
        self.link((self.listener, "events"), (self, "tcp"))
        self.link((self.listener, "signal"), (self, "listener_signal"))
        self.link((self, "listener_control"), (self.listener, "control"))
        # what waits in inbox is for the next client: it must not keep us awake
        self.wake_on("control", "tcp", "listener_signal")

    @property
    def address(self) -> Address:
        """The bound ``(host, port)`` once listening (``()`` before)."""
        return self.listener.address

    def _serving(self) -> bool:
        return self._session is not None and not self._session.done

    def _protocol(self, peer: Address) -> Component:
        full = self.clients is not None and self.served >= self.clients
        if self._serving() or full or isinstance(self._ending, Shutdown):
            self.refused += 1
            self._refused_peers.add(peer)
            return _Refusal(self)
        self.served += 1
        self._session = _Session(self)
        return self._session

    def main(self) -> Generator[None, Any, None]:
        stopping = False
        end: Any = None
        while True:
            self._ending = self.take_control(self._ending)
            for ev in self.recv_all("tcp"):
                peer = getattr(ev, "peer", None)
                if peer in self._refused_peers:
                    if isinstance(ev, Connected):
                        self.send(Refused(peer), "events")
                    elif isinstance(ev, Disconnected):
                        self._refused_peers.discard(peer)
                    continue
                self.send(ev, "events")
            for msg in self.recv_all("listener_signal"):
                end = msg
            if self.listener.done:
                break
            if not stopping:
                stopping = self._should_stop()
            self.pause()
            yield
        ending = self._ending
        if isinstance(ending, Shutdown) or isinstance(end, Shutdown):
            self.send(ending if isinstance(ending, Shutdown) else end, "signal")
        else:
            self.send(ProducerFinished("single server"), "signal")

    def _should_stop(self) -> bool:
        """Tell the listener (and the session) to end when it is time; True once told."""
        ending = self._ending
        session = self._session
        if isinstance(ending, Shutdown):
            self.send(ending, "listener_control")  # closes every connection now
            return True
        if isinstance(ending, ProducerFinished):
            if self._serving():
                session.inboxes["finish"].put(ending)  # type: ignore[union-attr]
            elif self.data_ready("inbox"):
                return False  # it goes to the next client to connect
            self.send(ProducerFinished("single server input ended"), "listener_control")
            return True
        if self.clients is not None and self.served >= self.clients and not self._serving():
            self.send(ProducerFinished("single server: served its clients"), "listener_control")
            return True
        return False
