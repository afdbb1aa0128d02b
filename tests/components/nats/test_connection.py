"""The connection service: reconnecting with nats-py's own mechanism (state visible in
snapshot() and as events), credentials (token), TLS, and the server helper itself."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from axon import Component, Pipeline, snapshot
from components import IterableSource
from components.nats import (
    ConnectionEvent,
    ConnectionState,
    NatsCluster,
    NatsOptions,
    NatsPublisher,
    NatsServer,
    NatsSubscriber,
)

from .helpers import Log, Running, go


def test_a_lost_server_is_reconnected_and_the_state_shows_on_the_way(
        server: NatsServer) -> None:
    url = server.start().url
    opts = NatsOptions(url, reconnect_time_wait=0.05)
    log, events = Log(), Log()
    sub = NatsSubscriber("conn.re", nats=opts)
    states: list[str] = []

    def state() -> str:
        snap = snapshot(run.scheduler)
        (conn,) = [c for c in snap.components if c.type == "NatsConnection"]
        return str(conn.details["state"])

    async def main() -> None:
        nonlocal run
        async with Running(Pipeline(sub, log)) as run:
            await run.wait(sub.subscribed)
            conn = sub.connection
            assert conn is not None
            conn.link((conn, "events"), (events, "inbox"))
            run.add(events)
            states.append(state())
            server.kill()
            await run.until(lambda: conn.status is ConnectionState.RECONNECTING)
            states.append(state())
            server.start()
            await run.until(lambda: conn.status is ConnectionState.CONNECTED)
            states.append(state())
            await asyncio.sleep(0.1)  # (nats-py replays the subscription)
            run.add(Pipeline(IterableSource(["after"]), NatsPublisher("conn.re", nats=opts)))
            await run.until(lambda: log.items == ["after"])
            assert conn.disconnects == 1 and conn.statistics()["reconnects"] == 1

    run: Running
    go(main())
    assert states == ["connected", "reconnecting", "connected"]
    kinds = [e.state for e in events.items if isinstance(e, ConnectionEvent)]
    assert kinds[-2:] == [ConnectionState.RECONNECTING, ConnectionState.CONNECTED]


def test_a_token_is_required_and_given() -> None:
    with NatsServer(token="s3cret", jetstream=False) as srv:
        log = Log()
        sub = NatsSubscriber("tok", nats=NatsOptions(srv.url, token="s3cret"))

        async def main() -> None:
            async with Running(Pipeline(sub, log)) as run:
                await run.wait(sub.subscribed)
                run.add(Pipeline(IterableSource([1]), NatsPublisher(
                    "tok", nats=NatsOptions(srv.url, token="s3cret"))))
                await run.until(lambda: log.items == [1])

        go(main())
        bad = NatsOptions(srv.url, token="wrong", connect_wait=1.0)
        # the server answers -ERR 'Authorization Violation' and closes; the client may read
        # that, time out, or see the reset of the close first (it races): each is named
        with pytest.raises(Exception, match="cannot connect.*(uthoriz|timeout|Timeout|reset)"):
            go(_run(Pipeline(NatsSubscriber("tok", nats=bad), Log())))


async def _run(system: Component) -> None:
    async with Running(system) as run:
        await run.finished()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a cert")
def test_tls(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(cafile=str(cert))
    with NatsServer(tls=(str(cert), str(key)), jetstream=False) as srv:
        assert srv.url.startswith("tls://")
        opts = NatsOptions(srv.url, tls=context)
        log = Log()
        sub = NatsSubscriber("tls.a", nats=opts)

        async def main() -> None:
            async with Running(Pipeline(sub, log)) as run:
                await run.wait(sub.subscribed)
                run.add(Pipeline(IterableSource(["secret"]), NatsPublisher("tls.a", nats=opts)))
                await run.until(lambda: log.items == ["secret"])

        go(main())


def test_the_server_helper_starts_restarts_and_stops_servers_by_pid() -> None:
    srv = NatsServer()
    assert not srv.running
    srv.start()
    pid, port = srv.pid, srv.port
    assert srv.running and srv.url == f"nats://127.0.0.1:{port}"
    srv.restart()
    assert srv.port == port and srv.pid != pid and srv.running  # same port, same store
    srv.kill()
    assert not srv.running and srv.process is not None and srv.process.returncode == -9
    srv.start()
    directory = srv.directory
    srv.close()
    assert not srv.running and not directory.exists()
    with pytest.raises(ProcessLookupError):
        import os
        os.kill(pid, 0)


def test_a_cluster_of_three_routes_messages_between_its_servers() -> None:
    with NatsCluster(3, jetstream=False) as cluster:
        a, b, _ = cluster.servers
        log = Log()
        sub = NatsSubscriber("cl.x", nats=b.url)

        async def main() -> None:
            async with Running(Pipeline(sub, log)) as run:
                await run.wait(sub.subscribed)
                await asyncio.sleep(0.1)  # (interest reaches the other servers)
                run.add(Pipeline(IterableSource(range(10)), NatsPublisher("cl.x", nats=a.url)))
                await run.until(lambda: len(log.items) == 10)

        go(main())
        assert log.items == list(range(10))


def test_a_connection_that_gives_up_reconnecting_stops_the_system_naming_it() -> None:
    from axon import ComponentError

    with NatsServer(jetstream=False) as srv:
        opts = NatsOptions(srv.url, max_reconnect_attempts=2, reconnect_time_wait=0.05)
        sub = NatsSubscriber("gone", nats=opts)

        async def main() -> None:
            async with Running(Pipeline(sub, Log())) as run:
                await run.wait(sub.subscribed)
                srv.kill()
                with pytest.raises(ComponentError) as err:
                    await run.finished(timeout=10)
                assert "NatsConnection" in str(err.value)
                assert "reconnecting gave up" in str(err.value)

        go(main())
