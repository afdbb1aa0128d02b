"""P5: each stage a NATS service in separate processes, started here or on other machines.

A stage service (``python -m apps.pipeline_lab worker --serve S3 --nats URL --run-id ID``)
is ``Pipeline(subscriber, Arrival, Stage, publisher)``: it takes messages from the
subject ``lab.ID.data.s3`` in the queue group ``s3`` (each message goes to one of the
stage's processes) and publishes what it has done to the next stage's subject (the last
to ``lab.ID.data.done``).  With ``--jetstream`` the subjects are kept in a work-queue
stream ``LAB_ID`` and each stage's processes share a durable pull consumer: a message is
acknowledged once the stage has processed it (at least once; the sink drops the copies,
counted as duplicates).  There is no :class:`Arrival` on JetStream (the stage takes its
messages straight from the consumer, so that the acknowledgement waits for the work):
there ``enter`` is when the stage took the message.

Roll call: the driver publishes on ``lab.ID.roll`` until every service it expects has
answered on ``lab.ID.ready`` with its pid, host, stage and clock offset (a service
answers only once it is subscribed to its stage's subject), so services may start before
or after the driver, here or elsewhere (``--external``).  Services started here die with
the driver (``PR_SET_PDEATHSIG``), get ``SIGTERM`` at the end (they finish what they took
and print their CPU time as a JSON line), and are killed if they do not exit in 5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axon import Component, Graphline, Pipeline, ProducerFinished, Scheduler, Shutdown
from components import Collector, Map, Periodic

from .config import Calls, LabConfig
from .progress import Progress
from .record import LogWriter
from .stages import Sink, Source, Stage, stage_system
from .work import calibrate, clock_offset_ns

__all__ = ["Subjects", "run_services", "serve_stage"]

ROOT = Path(__file__).resolve().parents[2]  # (the repository: workers import apps from it)
START_TIMEOUT = 30.0
STOP_GRACE = 5.0


@dataclass(frozen=True)
class Subjects:
    """The subjects of one run (``run_id`` keeps runs on a shared server apart)."""

    run_id: str

    def stage(self, k: int) -> str:
        return f"lab.{self.run_id}.data.s{k + 1}"

    def after(self, k: int, stages: int) -> str:
        return self.stage(k + 1) if k + 1 < stages else self.done

    @property
    def done(self) -> str:
        return f"lab.{self.run_id}.data.done"

    @property
    def roll(self) -> str:
        return f"lab.{self.run_id}.roll"

    @property
    def ready(self) -> str:
        return f"lab.{self.run_id}.ready"

    @property
    def stream_name(self) -> str:
        return f"LAB_{self.run_id}"

    def stream(self) -> Any:
        from components.nats import Stream

        return Stream(self.stream_name, (f"lab.{self.run_id}.data.>",), retention="workqueue")


# -- a stage service (the ``worker`` command) --------------------------------------------------


def _stage_links(cfg: LabConfig, k: int, url: str, subj: Subjects, jetstream: bool,
                 calls: Calls) -> tuple[Component, Component, Stage]:
    """The service's data pipeline, its receiving link and its Stage."""
    from components.nats import (
        JetStreamPublisher,
        JetStreamSubscriber,
        NatsPublisher,
        NatsSubscriber,
    )

    spec = cfg.stages[k]
    w = cfg.window
    work = stage_system(k, spec, cfg.loops_per_ms, calls, w, arrival=not jetstream)
    stage = work if isinstance(work, Stage) else work.children[-1]
    assert isinstance(stage, Stage)
    nxt = subj.after(k, len(cfg.stages))
    source: Component
    out: Component
    if jetstream:
        stream = subj.stream()
        source = JetStreamSubscriber(subj.stage(k), durable=f"s{k + 1}", stream=stream,
                                     nats=url, max_ack_pending=2 * w, pull_batch=w,
                                     expires=1.0, end_on_message=False)
        out = JetStreamPublisher(nxt, stream=stream, nats=url, batch=False)
    else:
        source = NatsSubscriber(subj.stage(k), queue=f"s{k + 1}", nats=url,
                                end_on_message=False)
        out = NatsPublisher(nxt, nats=url, batch=False)
    return Pipeline(source, work, out, name=f"{spec.name}Service"), source, stage


def serve_stage(cfg: LabConfig, k: int, url: str, run_id: str, *, jetstream: bool = False,
                calls: Calls = Calls.ASYNC) -> dict[str, Any]:
    """Serve stage ``k`` until SIGTERM/SIGINT; returns (and the command prints) what it did."""
    if not cfg.loops_per_ms:
        cfg = cfg.with_(loops_per_ms=calibrate())
    return asyncio.run(_serve(cfg, k, url, Subjects(run_id), jetstream, calls))


async def _serve(cfg: LabConfig, k: int, url: str, subj: Subjects, jetstream: bool,
                 calls: Calls) -> dict[str, Any]:
    from components.nats import NatsPublisher, NatsSubscriber

    data, source, stage = _stage_links(cfg, k, url, subj, jetstream, calls)
    sched = Scheduler()
    sched.activate(data)
    running = asyncio.ensure_future(sched.run_async())
    ready = source.subscribed  # type: ignore[attr-defined]
    await asyncio.wait([running, ready], return_when=asyncio.FIRST_COMPLETED)
    if running.done():
        running.result()  # (it failed: raise why)
    hello = {"pid": os.getpid(), "host": socket.gethostname(), "stage": k,
             "spec": cfg.stages[k].to_dict(), "clock_offset_ns": clock_offset_ns(),
             "jetstream": jetstream}
    roll = Pipeline(NatsSubscriber(subj.roll, nats=url), Map(lambda _: hello),
                    NatsPublisher(subj.ready, nats=url, batch=False), name="RollCall")
    sched.activate(roll)
    signals = 0

    def stop() -> None:
        nonlocal signals
        signals += 1
        end = ProducerFinished("signal") if signals == 1 else Shutdown("signal")
        for system in (data, roll):
            if not system.done:
                system.inboxes["control"].put(end)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    print(f"serving {cfg.stages[k].name} on {subj.stage(k)} "
          f"({'JetStream' if jetstream else 'queue group'}), {url}", file=sys.stderr,
          flush=True)
    await running
    return {"pid": os.getpid(), "stage": k, "processed": stage.processed,
            "cpu": round(time.process_time(), 4)}


# -- the driver (``run P5``) ----------------------------------------------------------------


def _prctl() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None


_PRCTL = _prctl()  # (found here: the child, forked, only calls it)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """In the child: SIGKILL when the parent dies (Linux ``PR_SET_PDEATHSIG``)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)


def _spawn(cfg: LabConfig, k: int, url: str, run_id: str, jetstream: bool,
           calls: Calls) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    argv = [sys.executable, "-m", "apps.pipeline_lab", "worker", "--nats", url,
            "--run-id", run_id, "--serve", cfg.stages[k].name,
            "--config-json", json.dumps(cfg.to_dict()), "--calls", calls.value]
    if jetstream:
        argv.append("--jetstream")
    tie = _die_with_parent if _PRCTL is not None else None
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=tie)  # noqa: PLW1509 - it only calls prctl


def _stop(procs: list[subprocess.Popen[str]]) -> dict[int, dict[str, Any]]:
    """SIGTERM every service (they finish what they took), kill those that do not exit;
    returns what each printed at its end."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    reports: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + STOP_GRACE
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        for line in reversed(out.strip().splitlines()):
            with contextlib.suppress(ValueError):
                reports[p.pid] = json.loads(line)
                break
        if p.returncode not in (0, -signal.SIGKILL) and p.pid not in reports:
            reports[p.pid] = {"error": err.strip()[-2000:], "returncode": p.returncode}
    return reports


def run_services(opts: Any, cfg: LabConfig, alloc: tuple[int, ...], calls: Calls,
                 log: LogWriter, progress: Progress) -> Any:
    """Run P5 (see the module docstring)."""
    return asyncio.run(_drive(opts, cfg, alloc, calls, log, progress))


class ServiceError(RuntimeError):
    """A stage service did not start, or failed."""


async def _drive(opts: Any, cfg: LabConfig, alloc: tuple[int, ...], calls: Calls,
                 log: LogWriter, progress: Progress) -> Any:
    from components.nats import (
        JetStreamPublisher,
        JetStreamSubscriber,
        NatsPublisher,
        NatsServer,
        NatsSubscriber,
    )

    from .variants import RunResult

    server = None
    url = opts.nats
    if url is None:
        server = NatsServer(jetstream=True).start()
        url = server.url
    subj = Subjects(opts.run_id or uuid.uuid4().hex[:8])
    jetstream = opts.jetstream
    procs: list[subprocess.Popen[str]] = []
    sched = Scheduler()
    running: asyncio.Future[None] | None = None
    try:
        loop = asyncio.get_running_loop()
        go: asyncio.Future[None] = loop.create_future()
        complete: asyncio.Future[None] = loop.create_future()
        n = cfg.messages
        source = Source(n, cfg.in_flight, cfg.rate, go=go)
        sink = Sink(log, n, progress, complete)
        if jetstream:
            stream = subj.stream()
            pub: Component = JetStreamPublisher(subj.stage(0), stream=stream, nats=url,
                                                batch=False)
            sub: Component = JetStreamSubscriber(subj.done, durable="sink", stream=stream,
                                                 nats=url, max_ack_pending=4 * cfg.in_flight,
                                                 pull_batch=cfg.in_flight, expires=1.0)
        else:
            pub = NatsPublisher(subj.stage(0), nats=url, batch=False)
            sub = NatsSubscriber(subj.done, nats=url)
        roller = Periodic(0.2)
        hellos = Collector()
        ready_sub = NatsSubscriber(subj.ready, nats=url)
        system = Graphline({
            ("source", "outbox"): ("pub", "inbox"), ("source", "signal"): ("pub", "control"),
            ("sub", "outbox"): ("sink", "inbox"), ("sub", "signal"): ("sink", "control"),
            ("sink", "credit"): ("source", "done"),
            ("roller", "outbox"): ("roll", "inbox"), ("roller", "signal"): ("roll", "control"),
            ("ready", "outbox"): ("hellos", "inbox"), ("ready", "signal"): ("hellos", "control"),
        }, name="P5", source=source, pub=pub, sub=sub, sink=sink, roller=roller,
            roll=NatsPublisher(subj.roll, nats=url, batch=False), ready=ready_sub,
            hellos=hellos)
        sched.activate(system)
        running = asyncio.ensure_future(sched.run_async(timeout=opts.timeout))
        links: list[Any] = [sub, ready_sub]
        await _wait_for(running, [link.subscribed for link in links])
        if not opts.external:
            for k, count in enumerate(alloc):
                procs.extend(_spawn(cfg, k, url, subj.run_id, jetstream, calls)
                             for _ in range(count))
        else:
            print(f"P5: waiting for {sum(alloc)} services: python -m apps.pipeline_lab worker "
                  f"--nats {url} --run-id {subj.run_id} --serve STAGE [config]",
                  file=sys.stderr, flush=True)
        services = await _roll_call(hellos, alloc, cfg, procs, running)
        roller.inboxes["control"].put(ProducerFinished("all here"))
        cpu0 = time.process_time()
        go.set_result(None)
        try:
            await _wait_for(running, [complete], opts.timeout)
        except TimeoutError:
            pass  # (recorded as missing)
        driver_cpu = time.process_time() - cpu0
        if not running.done():
            system.inboxes["control"].put(ProducerFinished("run over"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(running), 10)
        if not running.done():
            system.inboxes["control"].put(Shutdown("run over"))
        await running
    finally:
        if running is not None and not running.done():
            running.cancel()
            with contextlib.suppress(BaseException):
                await running
        reports = _stop(procs)
        if server is not None:
            server.close()
        elif jetstream and not opts.external:
            await _delete_stream(url, subj.stream_name)  # (a server that is not ours)
    failed = {pid: r for pid, r in reports.items() if "error" in r}
    if failed:
        raise ServiceError("stage service(s) failed: " + "; ".join(
            f"pid {pid}: {r['error']}" for pid, r in failed.items()))
    seconds = (sink.last_ns - source.started_ns) / 1e9 if sink.count else 0.0
    processes = {str(h["pid"]): {"stage": cfg.stages[h["stage"]].name, "host": h["host"],
                                 "clock_offset_ns": h["clock_offset_ns"]}
                 for h in services.values()}
    children = {str(pid): r.get("cpu") for pid, r in reports.items()}
    log.end(seconds=seconds, received=sink.count, missing=n - sink.count,
            duplicates=sink.duplicates, cpu_seconds={"driver": round(driver_cpu, 4),
                                                     "children": children},
            processes=processes, run_id=subj.run_id, nats=url)
    return RunResult("P5", n, sink.count, seconds, sink.duplicates)


async def _delete_stream(url: str, name: str) -> None:
    """Remove this run's stream from a server we did not start (best effort)."""
    import nats as nats_py

    with contextlib.suppress(Exception):
        nc = await nats_py.connect(url)
        try:
            await nc.jetstream().delete_stream(name)
        finally:
            await nc.close()


async def _wait_for(running: asyncio.Future[None], futures: list[Any],
                    timeout: float = START_TIMEOUT) -> None:
    """Wait for ``futures``; raise at once if the scheduler ends first (with its error)."""
    async with asyncio.timeout(timeout):
        pending = set(futures)
        while pending:
            done, _ = await asyncio.wait({*pending, running},
                                         return_when=asyncio.FIRST_COMPLETED)
            if running in done:
                running.result()
                if pending - done:
                    raise ServiceError("the driver's system ended before the run was ready")
            pending -= done


async def _roll_call(hellos: Collector, alloc: tuple[int, ...], cfg: LabConfig,
                     procs: list[subprocess.Popen[str]],
                     running: asyncio.Future[None]) -> dict[int, dict[str, Any]]:
    """Wait until every expected service has answered the roll call (bounded)."""
    want = sum(alloc)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        services = {h["pid"]: h for h in hellos.items}
        per_stage = [sum(1 for h in services.values() if h["stage"] == k)
                     for k in range(len(alloc))]
        if all(have >= need for have, need in zip(per_stage, alloc)) and \
                len(services) >= want:
            break
        for p in procs:
            if p.poll() is not None:
                _, err = p.communicate()
                raise ServiceError(f"a stage service exited at start (status {p.returncode}):"
                                   f" {err.strip()[-2000:]}")
        if running.done():
            running.result()
            raise ServiceError("the driver's system ended during the roll call")
        if time.monotonic() > deadline:
            raise ServiceError(f"only {len(services)} of {want} stage services answered "
                               f"within {START_TIMEOUT} s (per stage: {per_stage})")
        await asyncio.sleep(0.05)  # (start-up: services take a few hundred ms to come up)
    for h in services.values():
        mine = cfg.stages[h["stage"]].to_dict()
        if h["spec"] != mine:
            raise ServiceError(f"the service pid {h['pid']} on {h['host']} runs stage "
                               f"{h['stage'] + 1} as {h['spec']}, this run as {mine}")
    return services
