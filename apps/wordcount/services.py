"""NATS map services for ``--via nats``: ``axon serve`` processes in one queue group.

Each is ``axon serve apps.wordcount.mapreduce:map_service --nats URL --subject wc.map
--queue wc.mappers``: the same command starts one on another machine.  Those started
here die with this process (``PR_SET_PDEATHSIG``), are ready once they say ``serving``,
get SIGTERM at the end and are killed if they have not exited 5 s later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .mapreduce import CRASH_ENV

__all__ = ["SERVE", "start_map_services", "stop_map_services"]

ROOT = Path(__file__).resolve().parents[2]
SUBJECT, QUEUE = "wc.map", "wc.mappers"
SERVE = ["axon", "serve", "apps.wordcount.mapreduce:map_service", "--subject", SUBJECT,
         "--queue", QUEUE]


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


def start_map_services(url: str, n: int, *, crash_after: dict[int, int] | None = None,
                       timeout: float = 30.0) -> list[subprocess.Popen[str]]:
    """Start ``n`` map services on ``url`` and wait until each is subscribed;
    ``crash_after={i: K}`` makes service ``i`` die when given its shard K+1."""
    procs: list[subprocess.Popen[str]] = []
    try:
        for i in range(n):
            env = dict(os.environ)
            env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
            if crash_after and i in crash_after:
                env[CRASH_ENV] = str(crash_after[i])
            procs.append(subprocess.Popen(
                [sys.executable, "-m", *SERVE, "--nats", url], cwd=ROOT, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True,
                preexec_fn=_die_with_parent if _PRCTL is not None else None))  # noqa: PLW1509
        deadline = time.monotonic() + timeout
        for p in procs:
            assert p.stderr is not None
            while True:  # (the first line once subscribed; a blocking read, bounded below)
                if time.monotonic() > deadline:
                    raise RuntimeError(f"a map service did not start within {timeout} s")
                line = p.stderr.readline()
                if line.startswith("serving "):
                    break
                if not line and p.poll() is not None:
                    raise RuntimeError(f"a map service exited at start ({p.returncode}): "
                                       f"{p.stderr.read()[-2000:]}")
    except BaseException:
        stop_map_services(procs)
        raise
    return procs


def stop_map_services(procs: list[subprocess.Popen[str]], grace: float = 5.0) -> None:
    """SIGTERM each service (it finishes what it took), then kill what is left."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if p.stderr is not None:
            p.stderr.close()
