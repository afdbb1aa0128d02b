"""One real nats-server (loopback, free port, JetStream in a temp dir) per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("nats", reason="the nats extra is not installed: pip install -e '.[nats]'")

from components.nats import NatsServer


@pytest.fixture(scope="module")
def server() -> Iterator[NatsServer]:
    srv = NatsServer().start()
    try:
        yield srv
    finally:
        srv.close()
        assert not srv.running


@pytest.fixture
def url(server: NatsServer) -> str:
    if not server.running:  # a test stopped it: the next one gets it back
        server.start()
    return server.url
