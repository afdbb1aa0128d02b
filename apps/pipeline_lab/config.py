"""The lab's configuration: stages S1..Sn with durations and kinds, from TOML or flags.

::

    messages = 400        # messages through the pipeline in one run
    window = 4            # messages waiting at a stage before its producer waits
    in_flight = 16        # messages in the pipeline at once (the source waits beyond)
    rate = 0              # messages a second from the source (0: as fast as it takes them)

    [[stage]]
    name = "S1"
    kind = "io"           # io: sleep-bound; cpu: pure-Python work; mixed: cpu, then sleep
    ms = 4                # the stage's time per message
    # cpu_share = 0.5     # mixed: the part of ms that is CPU work

    [allocation]          # P4 and P5: processes per stage (default 1; P4: 0 = this process)
    S3 = 2

Unknown keys are errors (a typo must not pass silently); every error names the file and
the key.  On the command line ``--stages io:4,cpu:4,mixed:12:0.5,io:4`` replaces the
stages (named S1..Sn), ``--stage S3=cpu:10`` changes one, ``--alloc 1,1,2,1`` or
``--alloc S3=2`` sets the allocation.
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_TOML",
    "Calls",
    "ConfigError",
    "Kind",
    "LabConfig",
    "StageSpec",
    "load",
    "parse_alloc",
    "parse_stage",
]


class ConfigError(ValueError):
    """A configuration that cannot be used; the text names where and what."""


class Kind(enum.Enum):
    """What a stage spends its time on."""

    IO = "io"  #: sleep-bound: waiting (a network call, a disk), no CPU
    CPU = "cpu"  #: pure-Python work, holding the interpreter
    MIXED = "mixed"  #: CPU work, then a wait


class Calls(enum.Enum):
    """How a stage waits: blocking the whole process, or yielding an awaitable."""

    BLOCKING = "blocking"  #: time.sleep: nothing else in the process runs meanwhile
    ASYNC = "async"  #: yield asyncio.sleep(...): the scheduler runs the others meanwhile


@dataclass(frozen=True)
class StageSpec:
    """One stage: its name, kind, time per message and (mixed) the CPU part of it."""

    name: str
    kind: Kind
    ms: float
    cpu_share: float = 0.5

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ConfigError(f"stage name {self.name!r}: letters, digits and _ only")
        if not isinstance(self.kind, Kind):
            try:
                object.__setattr__(self, "kind", Kind(self.kind))
            except ValueError:
                raise ConfigError(f"stage {self.name}: kind {self.kind!r} is not one of "
                                  f"{', '.join(k.value for k in Kind)}") from None
        if not (isinstance(self.ms, int | float) and 0 <= self.ms <= 60_000):
            raise ConfigError(f"stage {self.name}: ms must be a number from 0 to 60000, "
                              f"not {self.ms!r}")
        if not (isinstance(self.cpu_share, int | float) and 0 <= self.cpu_share <= 1):
            raise ConfigError(f"stage {self.name}: cpu_share must be from 0 to 1, "
                              f"not {self.cpu_share!r}")

    @property
    def cpu_ns(self) -> int:
        """Nanoseconds of CPU work per message."""
        share = {Kind.IO: 0.0, Kind.CPU: 1.0, Kind.MIXED: self.cpu_share}[self.kind]
        return round(self.ms * share * 1e6)

    @property
    def io_ns(self) -> int:
        """Nanoseconds of waiting per message."""
        return round(self.ms * 1e6) - self.cpu_ns

    def describe(self) -> str:
        if self.kind is Kind.MIXED:
            return f"mixed {self.ms:g} ms ({self.cpu_ns / 1e6:g} CPU + {self.io_ns / 1e6:g} wait)"
        return f"{self.kind.value} {self.ms:g} ms"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind.value, "ms": self.ms,
                "cpu_share": self.cpu_share}


@dataclass(frozen=True)
class LabConfig:
    """A whole run's settings (what a log's header records)."""

    stages: tuple[StageSpec, ...]
    messages: int = 400
    window: int = 4
    in_flight: int = 16
    rate: float = 0.0
    allocation: tuple[int, ...] = ()  # processes per stage (P4, P5); () = one each
    loops_per_ms: float = 0.0  # the CPU work's calibration (0: measure it)
    source: str = "(embedded default)"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.stages:
            raise ConfigError(f"{self.source}: at least one [[stage]] is needed")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ConfigError(f"{self.source}: stage names repeat: {names}")
        for key, low in (("messages", 1), ("window", 1), ("in_flight", 1)):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{self.source}: {key} must be an integer >= {low}, "
                                  f"not {value!r}")
        if not isinstance(self.rate, int | float) or self.rate < 0:
            raise ConfigError(f"{self.source}: rate must be >= 0, not {self.rate!r}")
        if self.allocation and len(self.allocation) != len(self.stages):
            raise ConfigError(f"{self.source}: the allocation names {len(self.allocation)} "
                              f"stages, the pipeline has {len(self.stages)}")
        if any(n < 0 for n in self.allocation):
            raise ConfigError(f"{self.source}: processes per stage cannot be negative")

    def processes(self, default: int = 1) -> tuple[int, ...]:
        """Processes per stage (the allocation, or ``default`` each)."""
        return self.allocation or (default,) * len(self.stages)

    def with_(self, **changes: Any) -> LabConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stages"] = [s.to_dict() for s in self.stages]
        d["allocation"] = list(self.allocation)
        d.pop("extra")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabConfig:
        d = dict(d)
        d["stages"] = tuple(StageSpec(**s) for s in d["stages"])
        d["allocation"] = tuple(d.get("allocation") or ())
        return cls(**d)


DEFAULT_TOML = """\
# The pipeline lab's default: a wait, CPU work, a slow mixed stage, more CPU work.
# One process can do at most 1000 / 14 messages a second (14 ms of CPU each); with a
# process per stage the slow S3 (10 ms) sets the pace; two processes on S3 leave the
# machine's cores as the limit.
messages = 400
window = 4
in_flight = 16
rate = 0

[[stage]]
name = "S1"
kind = "io"
ms = 4

[[stage]]
name = "S2"
kind = "cpu"
ms = 7

[[stage]]
name = "S3"
kind = "mixed"
ms = 10
cpu_share = 0.3

[[stage]]
name = "S4"
kind = "cpu"
ms = 4

[allocation]
S3 = 2
"""

_TOP = {"messages", "window", "in_flight", "rate", "stage", "allocation"}
_STAGE = {"name", "kind", "ms", "cpu_share"}


def _from_toml(data: dict[str, Any], source: str) -> LabConfig:
    unknown = set(data) - _TOP
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(_TOP))})")
    raw_stages = data.get("stage", [])
    if not isinstance(raw_stages, list):
        raise ConfigError(f"{source}: 'stage' must be an array of tables ([[stage]])")
    stages = []
    for i, st in enumerate(raw_stages, 1):
        where = f"{source}: stage {i}"
        if not isinstance(st, dict):
            raise ConfigError(f"{where}: must be a table")
        bad = set(st) - _STAGE
        if bad:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(bad))} "
                              f"(known: {', '.join(sorted(_STAGE))})")
        if "kind" not in st or "ms" not in st:
            raise ConfigError(f"{where}: needs kind and ms")
        try:
            stages.append(StageSpec(st.get("name", f"S{i}"), st["kind"], st["ms"],
                                    st.get("cpu_share", 0.5)))
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    alloc_table = data.get("allocation", {})
    if not isinstance(alloc_table, dict):
        raise ConfigError(f"{source}: [allocation] must be a table of stage = processes")
    names = [s.name for s in stages]
    allocation: tuple[int, ...] = ()
    if alloc_table:
        counts = dict.fromkeys(names, 1)
        for name, n in alloc_table.items():
            if name not in counts:
                raise ConfigError(f"{source}: [allocation] names stage {name!r}, which is not "
                                  f"one of {names}")
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise ConfigError(f"{source}: [allocation] {name} must be an integer >= 0, "
                                  f"not {n!r}")
            counts[name] = n
        allocation = tuple(counts.values())
    kw = {k: data[k] for k in ("messages", "window", "in_flight", "rate") if k in data}
    return LabConfig(tuple(stages), allocation=allocation, source=source, **kw)


def load(path: str | Path | None = None) -> LabConfig:
    """The configuration in TOML file ``path`` (None: the embedded default)."""
    if path is None:
        return _from_toml(tomllib.loads(DEFAULT_TOML), "(embedded default)")
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read it: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return _from_toml(data, str(p))


def parse_stage(text: str, name: str) -> StageSpec:
    """``kind:ms[:cpu_share]`` (e.g. ``mixed:12:0.5``) as a stage called ``name``."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ConfigError(f"stage {name}: {text!r} is not kind:ms or mixed:ms:cpu_share")
    try:
        ms = float(parts[1])
        share = float(parts[2]) if len(parts) == 3 else 0.5
    except ValueError:
        raise ConfigError(f"stage {name}: {text!r}: ms and cpu_share are numbers") from None
    return StageSpec(name, parts[0], ms, share)  # type: ignore[arg-type]


def parse_alloc(text: str, names: list[str]) -> tuple[int, ...]:
    """``1,1,2,1`` (one count per stage) or ``S3=2[,S1=0]`` (the others 1)."""
    try:
        if "=" in text:
            counts = dict.fromkeys(names, 1)
            for item in text.split(","):
                name, _, n = item.partition("=")
                name = name.strip()
                if name not in counts:
                    raise ConfigError(f"--alloc names stage {name!r}, not one of {names}")
                counts[name] = int(n)
            values = tuple(counts.values())
        else:
            values = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise ConfigError(f"--alloc {text!r}: give counts like 1,1,2,1 or S3=2") from None
    if len(values) != len(names):
        raise ConfigError(f"--alloc {text!r} gives {len(values)} counts for "
                          f"{len(names)} stages")
    if any(v < 0 for v in values):
        raise ConfigError(f"--alloc {text!r}: counts cannot be negative")
    return values
