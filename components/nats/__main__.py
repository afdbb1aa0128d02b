"""``python -m components.nats``: run a local nats-server in the foreground until Ctrl-C.

    python -m components.nats [--port 4222] [--no-jetstream] [--store DIR] [--token T]

Prints the URL to connect to (and the PID to stop it with); JetStream keeps its store in
a temporary directory removed at exit unless ``--store`` names one.
"""

from __future__ import annotations

import argparse
import signal
import sys

from ._server import NatsServer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m components.nats",
                                description="Run a local nats-server until Ctrl-C.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=None, help="default: a free port")
    p.add_argument("--no-jetstream", action="store_true")
    p.add_argument("--store", default=None, help="JetStream store directory (kept)")
    p.add_argument("--token", default=None, help="require this token from clients")
    args = p.parse_args(argv)
    server = NatsServer(host=args.host, port=args.port, jetstream=not args.no_jetstream,
                        directory=args.store, token=args.token).start()
    print(f"nats-server {server.url} (pid {server.pid}, store {server.directory}); "
          "Ctrl-C to stop", flush=True)
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM}) if hasattr(signal, "sigwait") \
            else signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    sys.exit(main())
