"""The timing log: one JSON object a line (JSONL, optionally gzipped).

- ``{"type": "run", ...}`` first: the variant, the configuration, the machine (host,
  CPUs, load average), the driver's pid and clock offset.
- ``{"type": "msg", "id": 7, "sent": S, "done": D, "stages": [[k, enter, start, end,
  cpu, pid], ...]}`` for each message that came through: ``sent`` when the source sent
  it, then for each stage ``k`` (0-based, in the order passed) when it reached the stage
  (``enter``), when the stage began on it (``start``) and finished (``end``), the CPU
  nanoseconds the stage's work took and the process that did it; ``done`` when the sink
  had it.  Stamps are ``time.perf_counter_ns()``; see apps/pipeline_lab/work.py.
- ``{"type": "end", ...}`` last: wall time, counts (received, missing, duplicates), the
  CPU seconds of every process and what each process was (stage, host, clock offset).
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .work import clock_offset_ns

__all__ = ["LogWriter", "Run", "StageStamp", "idle_cpus", "machine", "new_message", "read_log",
           "stamps"]

#: Indexes into a stage stamp ``[k, enter, start, end, cpu, pid]``.
K, ENTER, START, END, CPU, PID = range(6)

StageStamp = list[int]


def new_message(i: int) -> dict[str, Any]:
    """A message as the source sends it."""
    return {"id": i, "sent": time.perf_counter_ns(), "stages": []}


def machine() -> dict[str, Any]:
    """What a log records about the machine a process ran on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"host": socket.gethostname(), "pid": os.getpid(), "cpus": os.cpu_count(),
            "load": [round(x, 2) for x in load], "clock_offset_ns": clock_offset_ns(),
            "python": platform.python_version(),
            "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}


def idle_cpus(seconds: float = 0.5) -> float | None:
    """How many CPUs sat idle over ``seconds`` (from /proc/stat; None where there is none):
    what other work on a shared machine leaves for a run."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # all, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return round((os.cpu_count() or 1) * (idle1 - idle0) / max(1, total1 - total0), 2)


def _open(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")


class LogWriter:
    """Writes a run's log: :meth:`header`, then :meth:`message` per message, :meth:`end`.

    ``path=None`` keeps the records in :attr:`records` only (tests, dry runs)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.records: list[dict[str, Any]] = []
        self._file: IO[str] | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = _open(self.path, "w")

    def _write(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        if self._file is not None:
            self._file.write(json.dumps(record, separators=(",", ":")) + "\n")

    def header(self, variant: str, config: dict[str, Any], **extra: Any) -> None:
        self._write({"type": "run", "variant": variant, "config": config, **machine(),
                     **extra})

    def message(self, msg: dict[str, Any]) -> None:
        self._write({"type": "msg", **msg})

    def end(self, **fields: Any) -> None:
        load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
        self._write({"type": "end", "load_after": [round(x, 2) for x in load], **fields})
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class Run:
    """One log read back."""

    path: str
    header: dict[str, Any]
    messages: list[dict[str, Any]]
    end: dict[str, Any] = field(default_factory=dict)

    @property
    def variant(self) -> str:
        return str(self.header.get("variant", "?"))

    @property
    def label(self) -> str:
        """The variant with what tells runs of it apart (the allocation, JetStream)."""
        label = self.variant
        alloc = self.header.get("allocation")
        if alloc and self.variant in ("P4", "P5"):
            label += " " + ",".join(map(str, alloc))
        if self.header.get("jetstream"):
            label += " JS"
        rate = self.header.get("config", {}).get("rate")
        if rate:
            label += f" @{rate:g}/s"
        return label

    @property
    def stage_names(self) -> list[str]:
        return [s["name"] for s in self.header["config"]["stages"]]


def read_log(path: str | Path) -> Run:
    """A log as a :class:`Run`; raises ValueError naming the file and line if it is not one."""
    p = Path(path)
    header: dict[str, Any] | None = None
    end: dict[str, Any] = {}
    messages: list[dict[str, Any]] = []
    with _open(p, "r") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                raise ValueError(f"{p}:{n}: not JSON") from None
            kind = rec.get("type") if isinstance(rec, dict) else None
            if kind == "run":
                header = rec
            elif kind == "msg":
                messages.append(rec)
            elif kind == "end":
                end = rec
            else:
                raise ValueError(f"{p}:{n}: not a lab record (no type run, msg or end)")
    if header is None:
        raise ValueError(f"{p}: no run header: not a pipeline-lab log")
    return Run(str(p), header, messages, end)


def stamps(msg: dict[str, Any]) -> Iterator[int]:
    """Every timestamp of a message in the order they should be: sent, then each stage's
    enter, start and end, then done."""
    yield msg["sent"]
    for st in msg["stages"]:
        yield st[ENTER]
        yield st[START]
        yield st[END]
    yield msg["done"]
