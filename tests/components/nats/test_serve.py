"""``axon serve``: copies of a component in separate processes share a stage's work
through a queue group (nothing lost, nothing twice), or serve requests; SIGTERM drains."""

from __future__ import annotations

import signal
import subprocess

from axon import Pipeline
from components import IterableSource
from components.nats import NatsPublisher, NatsRequester, NatsSubscriber

from .helpers import Log, Running, child, go, reap


def serve(url: str, *args: str) -> subprocess.Popen[str]:
    p = child(["axon", "serve", *args, "--nats", url])
    assert p.stderr is not None
    line = p.stderr.readline()
    assert line.startswith("serving "), line + (p.stderr.read() if p.poll() is not None else "")
    return p


def stop(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        assert p.wait(10) == 0, p.stderr.read() if p.stderr else ""


def test_queue_group_workers_in_three_processes_share_the_work_exactly_once(url: str) -> None:
    total = 3000
    workers = []
    results = Log()
    collect = NatsSubscriber("serve.results", nats=url)
    try:
        for _ in range(3):
            workers.append(serve(url, "tests.components.nats.workers:tagged",
                                 "--subject", "serve.jobs", "--queue", "taggers",
                                 "--to", "serve.results"))

        async def main() -> None:
            async with Running(Pipeline(collect, results)) as run:
                await run.wait(collect.subscribed)
                run.add(Pipeline(IterableSource(range(total)),
                                 NatsPublisher("serve.jobs", nats=url, batch=False)))
                await run.until(lambda: len(results.items) >= total)

        go(main())
        stop(*workers)
    finally:
        reap(*workers)
    done = sorted(x for _, x in results.items)
    assert done == list(range(total))  # nothing lost, nothing done twice
    shares = {}
    for pid, _ in results.items:
        shares[pid] = shares.get(pid, 0) + 1
    assert sorted(shares) == sorted(w.pid for w in workers)  # every process took part
    assert min(shares.values()) > total // 10


def test_requests_served_by_two_processes_come_back_in_order(url: str) -> None:
    log = Log()
    servers = []
    try:
        for _ in range(2):
            servers.append(serve(url, "tests.components.nats.workers:double",
                                 "--subject", "serve.double"))
        requester = NatsRequester("serve.double", nats=url, max_in_flight=32)

        async def main() -> None:
            async with Running(Pipeline(IterableSource(range(500)), requester, log)) as run:
                await run.finished()

        go(main())
        stop(*servers)
    finally:
        reap(*servers)
    assert log.items == [2 * i for i in range(500)] and requester.failed == 0


def test_serve_explains_a_bad_factory() -> None:
    p = child(["axon", "serve", "tests.components.nats.workers:nothing", "--subject", "x"])
    _, err = p.communicate(timeout=20)
    assert p.returncode == 2 and "has no 'nothing'" in err
