"""The NATS connection service: one nats-py connection per scheduler and server set.

Design notes
------------
1. A connection is a component, :class:`NatsConnection`, registered in its scheduler's
   service registry under a key made from its :class:`NatsOptions`.  The first link
   component that needs one starts it (:meth:`NatsConnection.shared`); the others with
   the same options find it there, so a process holds one TCP connection however many
   publishers and subscribers it runs.  Being a component, it shows in ``snapshot()`` and
   drawings, its ``statistics()`` (state, server, reconnects, traffic) included.
2. Reconnecting is nats-py's own: it retries the server list, replays subscriptions and
   buffers what is published meanwhile (up to ``pending_size``).  The connection only
   records the state and tells the components that asked (:meth:`listen`) with a
   :class:`ConnectionEvent` in an inbox of theirs.  If nats-py gives up (closed), the
   connection fails with :class:`NatsError`, which stops the system naming it.
3. Lifetime: it closes (flushing what is buffered) when the last component using it lets
   go, or at ``ProducerFinished`` / ``Shutdown`` on its ``control``.  If the system is shut
   down under it, the socket is closed at once, so nothing is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import ssl
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from axon import (
    AxonError,
    Component,
    EndSignal,
    Inbox,
    ProducerFinished,
    Scheduler,
)

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = [
    "ConnectionEvent",
    "ConnectionState",
    "NatsConnection",
    "NatsError",
    "NatsOptions",
    "NatsSpec",
]

DEFAULT_URL = "nats://127.0.0.1:4222"
SERVICE_PREFIX = "nats:"


class NatsError(AxonError):
    """A NATS connection could not be made, or was lost for good."""


class ConnectionState(enum.Enum):
    """Where a NATS connection is in its life."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # lost the server; nats-py is trying the others
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """Sent to the components that :meth:`NatsConnection.listen`: the new state, and the
    server now used (for ``CONNECTED``) or the error that caused it."""

    state: ConnectionState
    server: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class NatsOptions:
    """How to connect: server URLs, credentials, TLS and reconnecting.

    ``servers`` may list several URLs (a cluster): nats-py picks one and moves to another
    when it fails, retrying for ever by default (``max_reconnect_attempts=-1``), waiting
    ``reconnect_time_wait`` between rounds.  ``connect_wait`` bounds the *first* connection:
    past it the system fails with :class:`NatsError` naming the servers.  ``token``,
    ``user``/``password`` or ``credentials`` (a ``.creds`` file; needs the ``nkeys``
    package) authenticate; ``tls`` is an ``ssl.SSLContext`` (``tls://`` URLs).
    ``pending_size`` is how many bytes of outgoing messages are kept while reconnecting
    (past it, a publisher waits for the connection to come back).
    """

    servers: tuple[str, ...] = (DEFAULT_URL,)
    name: str | None = None
    token: str | None = field(default=None, repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    credentials: str | None = None
    tls: ssl.SSLContext | None = field(default=None, compare=True)
    tls_hostname: str | None = None
    connect_wait: float = 10.0
    connect_timeout: float = 2.0
    reconnect_time_wait: float = 0.25
    max_reconnect_attempts: int = -1
    ping_interval: float = 20.0
    max_outstanding_pings: int = 2
    pending_size: int = 8 * 1024 * 1024
    dont_randomize: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.servers, str):
            object.__setattr__(self, "servers", (self.servers,))
        else:
            object.__setattr__(self, "servers", tuple(self.servers))
        if not self.servers:
            raise ValueError("NatsOptions: give at least one server URL")

    @classmethod
    def of(cls, spec: NatsSpec) -> NatsOptions:
        """Options from a URL, a list of URLs, options, or None (``$NATS_URL`` if set, else
        ``nats://127.0.0.1:4222``)."""
        if isinstance(spec, NatsOptions):
            return spec
        if spec is None:
            spec = os.environ.get("NATS_URL", DEFAULT_URL)
        if isinstance(spec, str):
            return cls(tuple(u.strip() for u in spec.split(",") if u.strip()))
        if isinstance(spec, Sequence):
            return cls(tuple(spec))
        raise TypeError(f"nats= takes a URL, a list of URLs or NatsOptions, not {spec!r}")

    def with_(self, **changes: Any) -> NatsOptions:
        """A copy with some fields changed."""
        return replace(self, **changes)

    @property
    def key(self) -> str:
        """The service-registry name of the shared connection with these options."""
        return f"{SERVICE_PREFIX}{','.join(self.servers)}#{hash(self) & 0xFFFFFFFF:08x}"

    def connect_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "servers": list(self.servers), "name": self.name,
            "connect_timeout": self.connect_timeout,
            "reconnect_time_wait": self.reconnect_time_wait,
            "max_reconnect_attempts": self.max_reconnect_attempts,
            "ping_interval": self.ping_interval,
            "max_outstanding_pings": self.max_outstanding_pings,
            "pending_size": self.pending_size, "dont_randomize": self.dont_randomize,
            "allow_reconnect": True,
        }
        if self.token is not None:
            kw["token"] = self.token
        if self.user is not None:
            kw["user"] = self.user
            kw["password"] = self.password
        if self.credentials is not None:
            kw["user_credentials"] = self.credentials
        if self.tls is not None:
            kw["tls"] = self.tls
        if self.tls_hostname is not None:
            kw["tls_hostname"] = self.tls_hostname
        return kw


NatsSpec = str | Sequence[str] | NatsOptions | None


class NatsConnection(Component):
    """One shared NATS connection (nats-py), as a component and a scheduler service.

    Link components find it with :meth:`shared`, hold it with :meth:`acquire` /
    :meth:`release`, and wait for :attr:`ready`; :attr:`client` is the nats-py client.
    ``statistics()`` reports its state, the server in use, reconnects and traffic.
    """

    Inboxes = {
        "control": "ProducerFinished or Shutdown: close the connection",
        "changes": "(fed by nats-py's callbacks) state changes",
    }
    Outboxes = {
        "events": "ConnectionEvent records: connected, reconnecting, closed",
        "signal": "the end, once the connection is closed",
    }

    def __init__(self, nats: NatsSpec = None, *, name: str | None = None) -> None:
        self.options = NatsOptions.of(nats)
        super().__init__(name=name or f"NatsConnection({','.join(self.options.servers)})")
        self.status = ConnectionState.CONNECTING
        self.client: Client | None = None
        self._ready: asyncio.Future[Client] | None = None
        self._users: set[int] = set()
        self._had_users = False
        self._listeners: list[Inbox[Any]] = []
        self._slow: dict[int, Callable[[], None]] = {}
        self._connected_waiters: list[asyncio.Future[None]] = []
        self.disconnects = 0
        self.errors = 0
        self.last_error: str | None = None
        self.connected_at: float | None = None

    # -- the service -------------------------------------------------------------------------

    @classmethod
    def shared(cls, component: Component, nats: NatsSpec = None) -> NatsConnection:
        """The connection for ``nats`` on ``component``'s scheduler, started if need be."""
        sched = component.scheduler
        if sched is None:
            raise AxonError(f"{component.path}: a NATS link needs a running scheduler")
        options = NatsOptions.of(nats)
        found = sched.services.get(options.key)
        if isinstance(found, NatsConnection) and not found.done and \
                found.status is not ConnectionState.CLOSING:
            return found
        conn = cls(options)
        sched.activate(conn)
        return conn

    def on_activate(self, scheduler: Scheduler) -> None:
        key = self.options.key
        old = scheduler.services.get(key)
        if old is not None and old is not self:
            scheduler.services.unregister(key)
        scheduler.services.register(key, self)

    @property
    def ready(self) -> asyncio.Future[Client]:
        """Done (with the client) once connected for the first time."""
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
        return self._ready

    def acquire(self, user: Component) -> None:
        """``user`` relies on this connection until it calls :meth:`release`."""
        self._users.add(id(user))
        self._had_users = True

    def release(self, user: Component) -> None:
        """``user`` no longer needs the connection; the last one to go closes it."""
        self._users.discard(id(user))
        if not self._users and self.scheduler is not None:
            self.scheduler.wake(self)

    def listen(self, inbox: Inbox[Any]) -> Callable[[], None]:
        """Put a :class:`ConnectionEvent` in ``inbox`` at every change of state; returns a
        function that stops it."""
        self._listeners.append(inbox)

        def stop() -> None:
            if inbox in self._listeners:
                self._listeners.remove(inbox)

        return stop

    def on_slow_consumer(self, sub: Any, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` each time nats-py drops a message of subscription ``sub``
        (its pending limits were reached); returns a function that stops it."""
        key = id(sub)
        self._slow[key] = callback

        def stop() -> None:
            self._slow.pop(key, None)

        return stop

    def wait_connected(self) -> asyncio.Future[None]:
        """Done once the connection is (again) connected."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.status is ConnectionState.CONNECTED:
            fut.set_result(None)
        else:
            self._connected_waiters.append(fut)
        return fut

    # -- nats-py's callbacks (in the event loop, outside timeslices) ------------------------------

    def _set_state(self, state: ConnectionState, error: str | None = None) -> None:
        self.status = state
        server = None
        if state is ConnectionState.CONNECTED and self.client is not None:
            url = self.client.connected_url
            server = url.geturl() if url is not None else None
        if state is ConnectionState.CONNECTED:
            waiters, self._connected_waiters = self._connected_waiters, []
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)
        event = ConnectionEvent(state, server, error)
        self.inboxes["changes"].put(event)
        for box in list(self._listeners):
            box.put(event)

    async def _on_error(self, exc: Exception) -> None:
        from nats.errors import SlowConsumerError

        if isinstance(exc, SlowConsumerError):
            callback = self._slow.get(id(exc.sub))
            if callback is not None:
                callback()
            return
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"

    async def _on_disconnected(self) -> None:
        if self.status in (ConnectionState.CONNECTED, ConnectionState.CONNECTING):
            self.disconnects += 1
            self._set_state(ConnectionState.RECONNECTING, self.last_error)

    async def _on_reconnected(self) -> None:
        self._set_state(ConnectionState.CONNECTED)

    async def _on_closed(self) -> None:
        if self.status is not ConnectionState.CLOSING:
            self._set_state(ConnectionState.CLOSED, self.last_error)

    # -- the component ----------------------------------------------------------------------

    def main(self) -> Generator[Any, Any, None]:
        from nats.aio.client import Client

        opts = self.options
        nc = Client()
        self.client = nc
        ready = self.ready
        closed_cleanly = False
        end: EndSignal | None = None
        try:
            with self.keep_alive():  # nats-py's callbacks wake us
                try:
                    yield asyncio.wait_for(nc.connect(
                        error_cb=self._on_error, disconnected_cb=self._on_disconnected,
                        reconnected_cb=self._on_reconnected, closed_cb=self._on_closed,
                        **opts.connect_kwargs()), opts.connect_wait)
                except Exception as exc:  # noqa: BLE001 - any failure to connect
                    why = self.last_error or f"{type(exc).__name__}: {exc}"
                    error = NatsError(f"cannot connect to {', '.join(opts.servers)} within "
                                      f"{opts.connect_wait} s ({why})")
                    if not ready.done():
                        ready.set_exception(error)
                        ready.exception()  # (read: no "never retrieved" warning)
                    raise error from None
                self.connected_at = time.time()
                self._set_state(ConnectionState.CONNECTED)
                ready.set_result(nc)
                while True:
                    for ev in self.recv_all("changes"):
                        self.send(ev, "events")
                    end = self.take_control(end)  # (anything but an end is counted as dropped)
                    if end is not None or (self._had_users and not self._users):
                        break
                    if self.status is ConnectionState.CLOSED:
                        raise NatsError(f"the connection to {', '.join(opts.servers)} was "
                                        f"closed: reconnecting gave up ({self.last_error})")
                    self.pause()
                    yield
                self.status = ConnectionState.CLOSING
                with contextlib.suppress(Exception):
                    yield _close_within(nc, 5.0)
                closed_cleanly = True
                self._set_state(ConnectionState.CLOSED)
                for ev in self.recv_all("changes"):
                    self.send(ev, "events")
        finally:
            if not closed_cleanly:
                _abort(nc)
                self.status = ConnectionState.CLOSED
            sched = self.scheduler
            if sched is not None:
                with contextlib.suppress(AxonError):
                    sched.services.unregister(opts.key, self)
        self.send(end or ProducerFinished("connection closed"), "signal")

    def statistics(self) -> dict[str, Any]:
        """State, server in use, users, reconnects, errors and traffic (nats-py's counters)."""
        nc = self.client
        url = nc.connected_url if nc is not None and nc.is_connected else None
        stats: dict[str, Any] = {
            "state": self.status.value,
            "server": url.geturl() if url is not None else None,
            "servers": list(self.options.servers),
            "users": len(self._users),
            "disconnects": self.disconnects,
            "errors": self.errors,
            "last_error": self.last_error,
        }
        if nc is not None:
            stats.update(nc.stats)
        return stats


def _abort(nc: Any) -> None:
    """Close a connection now, without waiting (the system is going down under it):
    no reconnecting, the socket closed, nats-py's own clean-up left to the loop."""
    with contextlib.suppress(Exception):
        nc.options["allow_reconnect"] = False
    transport = getattr(nc, "_transport", None)  # (nats-py has no synchronous close)
    if transport is not None:
        with contextlib.suppress(Exception):
            transport.close()
    with contextlib.suppress(RuntimeError):
        task = asyncio.get_running_loop().create_task(_quietly(nc.close()))
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)


_CLOSING: set[asyncio.Task[None]] = set()


async def _close_within(nc: Any, seconds: float) -> None:
    """nats-py's close, given ``seconds``.  (The close coroutine is made only once this
    runs: a wait cancelled before it starts leaves no coroutine that was never awaited.)"""
    async with asyncio.timeout(seconds):
        await nc.close()


async def _quietly(coro: Any) -> None:
    """Await ``coro``, ignoring its failure (closing a connection that is already gone)."""
    try:
        await coro
    except Exception:  # noqa: BLE001
        pass
