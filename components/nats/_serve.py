"""``axon serve module:factory --nats URL --subject S [--queue G]``: a component as a NATS
service, so that copies started on any machines share one stage's work.

Three shapes, chosen by the options:

- *service* (the default): a :class:`NatsResponder` answering requests on ``S`` with the
  component's output (one output per input); ``--queue G`` shares the requests among
  every copy in group ``G`` (default: the subject).  Pair it with a ``NatsRequester``.
- *stage* (``--to T``): subscribe to ``S`` in queue group ``G``, publish the component's
  output to ``T`` (core NATS, at most once).
- *at-least-once stage* (``--durable D``): take ``S`` from a JetStream stream through the
  durable consumer ``D`` (shared by every copy; a message is acknowledged once the
  component has processed it); with ``--to`` the output is published too, into the
  stream ``--to-stream`` (made if missing) when given.

``SIGTERM`` or ``SIGINT`` stops taking work, finishes what was taken, and exits 0; a
second one stops at once.  A line ``serving ...`` goes to stderr once subscribed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import runpy
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from axon import Component, Pipeline, ProducerFinished, Scheduler, Shutdown
from axon.cli import CliError, Command

from ._connection import NatsOptions
from ._core import NatsPublisher, NatsSubscriber
from ._jetstream import JetStreamPublisher, JetStreamSubscriber, Stream
from ._link import NatsLink
from ._request import NatsResponder

__all__ = ["COMMAND", "add_serve_arguments", "build_service", "load_factory", "serve"]


class ServeError(CliError):
    """A problem with what ``axon serve`` was asked to do (printed without a traceback)."""


def load_factory(spec: str) -> Callable[[], Component]:
    """The factory named by ``package.module:name`` or ``path/to/file.py:name``."""
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise ServeError(f"give the component as module:factory, not {spec!r}")
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where)
        if not path.exists():
            raise ServeError(f"no such file: {path}")
        sys.path.insert(0, str(path.resolve().parent))
        try:
            namespace = runpy.run_path(str(path), run_name="__axon__")
        finally:
            sys.path.pop(0)
    else:
        try:
            namespace = vars(importlib.import_module(where))
        except ImportError as exc:
            raise ServeError(f"cannot import {where!r}: {exc}") from None
    if name not in namespace:
        raise ServeError(f"{where} has no {name!r}")
    value = namespace[name]
    if isinstance(value, Component):
        raise ServeError(f"{spec} is a component instance: give a factory (a class or a "
                         "function returning a new component), so each copy gets its own")
    if not callable(value):
        raise ServeError(f"{spec} is not callable (a class or a function returning a component)")

    def factory() -> Component:
        made = value()
        if not isinstance(made, Component):
            raise ServeError(f"{spec}() returned {type(made).__name__}, not a Component")
        return made

    return factory


def build_service(factory: Callable[[], Component], *, nats: NatsOptions, subject: str,
                  queue: str | None = None, to: str | None = None, durable: str | None = None,
                  stream: str | None = None, to_stream: str | None = None,
                  codec: str | None = None) -> tuple[Component, NatsLink]:
    """The system ``axon serve`` runs, and its receiving link (to wait for)."""
    worker = factory()
    if durable is not None:
        source: NatsLink = JetStreamSubscriber(subject, durable=durable, stream=stream,
                                               nats=nats, codec=codec, end_on_message=False)
    elif to is not None:
        source = NatsSubscriber(subject, queue=queue or subject, nats=nats, codec=codec,
                                end_on_message=False)
    else:
        responder = NatsResponder(subject, worker, queue=queue or subject, nats=nats,
                                  codec=codec)
        return responder, responder
    parts: list[Component] = [source, worker]
    if to is not None:
        if to_stream is not None:
            parts.append(JetStreamPublisher(to, stream=Stream(to_stream, (to,)), nats=nats,
                                            codec=codec))
        else:
            parts.append(NatsPublisher(to, nats=nats, codec=codec))
    return Pipeline(*parts), source


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("factory", help="module:factory or path/to/file.py:factory (a class or a "
                                   "function returning a component)")
    p.add_argument("--nats", default=None,
                   help="server URL(s), comma-separated (default $NATS_URL or "
                        "nats://127.0.0.1:4222)")
    p.add_argument("--subject", required=True, help="the subject to serve")
    p.add_argument("--queue", default=None,
                   help="queue group shared by every copy (default: the subject)")
    p.add_argument("--to", default=None, help="publish the output to this subject (a stage)")
    p.add_argument("--durable", default=None,
                   help="take the subject from JetStream through this durable consumer")
    p.add_argument("--stream", default=None, help="the stream holding the subject (--durable)")
    p.add_argument("--to-stream", default=None,
                   help="publish the output (--to) into this JetStream stream, at least once")
    p.add_argument("--codec", default=None, choices=["msgpack", "json", "pickle"],
                   help="message encoding (default msgpack; pickle runs code from the "
                        "network: trusted networks only)")
    p.add_argument("--token", default=None, help="authentication token")
    p.add_argument("--user", default=None, help="user name (with --password)")
    p.add_argument("--password", default=None, help="password")
    p.add_argument("--creds", default=None, help="a NATS .creds file")
    p.add_argument("--name", default=None, help="connection name shown by the server")


def serve(args: argparse.Namespace) -> int:
    """Run the service until a signal (or an error); returns the exit status."""
    import importlib.util

    if importlib.util.find_spec("nats") is None:
        raise ServeError("serving needs nats-py: pip install 'axon-components[nats]'")
    options = NatsOptions.of(args.nats).with_(
        token=args.token, user=args.user, password=args.password, credentials=args.creds,
        name=args.name or f"axon serve {args.factory}")
    factory = load_factory(args.factory)
    system, source = build_service(
        factory, nats=options, subject=args.subject, queue=args.queue, to=args.to,
        durable=args.durable, stream=args.stream, to_stream=args.to_stream, codec=args.codec)
    asyncio.run(_run(system, source, args))
    return 0


async def _run(system: Component, source: NatsLink, args: argparse.Namespace) -> None:
    sched = Scheduler()
    sched.activate(system)
    loop = asyncio.get_running_loop()
    signals = 0

    def stop() -> None:
        nonlocal signals
        signals += 1
        end = ProducerFinished("signal") if signals == 1 else Shutdown("signal")
        if not system.done:
            system.inboxes["control"].put(end)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    running = asyncio.ensure_future(sched.run_async())
    ready = source.subscribed
    done, _ = await asyncio.wait([running, ready], return_when=asyncio.FIRST_COMPLETED)
    if ready in done:
        shape = "requests" if isinstance(system, NatsResponder) else "messages"
        group = f" (durable {args.durable})" if args.durable else \
            f" (queue {args.queue or args.subject})"
        to = f" -> {args.to}" if args.to else ""
        print(f"serving {args.factory} on {args.subject}{group}{to}: {shape}, "
              f"{','.join(source.nats.servers)}", file=sys.stderr, flush=True)
    await running


#: ``axon serve``: the entry point ``serve`` of the ``axon.commands`` group (setup.cfg).
COMMAND = Command(help="run a component as a NATS service (copies share the work)",
                  add_arguments=add_serve_arguments, run=serve)
