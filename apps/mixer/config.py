"""The mixer's configuration: a TOML file (read with ``tomllib``), or the embedded default.

::

    seconds = 4                 # stop after this long (leave out: run until Ctrl-C)
    host = "127.0.0.1"          # where every port listens

    [format]                    # s16le; every source and mix in the run uses it
    rate = 44100
    channels = 2
    frame_ms = 10               # one frame per tick of the clock

    [buffer]                    # the jitter buffer of each source in each mix
    start_ms = 20               # play once this much is buffered
    cap_ms = 200                # drop the oldest past this (counted)
    trim_after_ms = 1000        # latency above start_ms less a frame this long: trimmed (0: never)

    [control]
    port = 1705                 # 0: any free port; false: no control port
    console = false             # also take commands typed on stdin

    [output]
    max_backlog_ms = 500        # a TCP client this far behind is dropped (counted)

    [sources]                   # name = spec, or a table with spec and options
    DJ1 = "1701"                # a TCP port (0: any free port), one sender at a time
    bass = { spec = "tone:110", level_db = -12 }
    hiss = { spec = "noise", level_db = -30, seed = 1 }
    jingle = { spec = "file:jingle.wav", loop = false }

    [mixes.main]
    sources = ["DJ1", "bass"]   # on in this mix (the rest are off)
    gain = { bass = -6.0 }      # dB, per source (default 0)
    listen = [1700]             # TCP output ports (0: any free port)
    wav = "main.wav"            # written under --out
    play = false                # local playback through pygame.mixer

    [[script]]                  # a scripted control client (the demo's)
    at = 1.0                    # seconds after the start
    command = "SWITCH main DJ1 OFF"
    # every = 0.1, until = 3.0, quiet = true: repeat it (round trips, not printed)

Unknown keys are errors (a typo must not be ignored); every error names the file and key.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audio import AudioFormat, check_gain_db
from .bus import BufferConfig
from .control import CommandError, check_name

__all__ = [
    "DEFAULT_TOML",
    "ConfigError",
    "MixConfig",
    "MixerConfig",
    "ScriptStep",
    "SourceConfig",
    "default_config",
    "load_config",
    "parse_config",
]

#: The embedded default, run when no configuration is given (``make demo``).
DEFAULT_TOML = """\
# The embedded default: three built-in sources, two mixes with different matrices, and a
# scripted control client that switches sources while it runs, for a few seconds.
seconds = 4.0

[sources]
bass = { spec = "tone:110", level_db = -12 }
lead = { spec = "tone:440", level_db = -18 }
hiss = { spec = "noise", level_db = -30 }

[mixes.main]
sources = ["bass", "lead"]
listen = [0]
wav = "main.wav"

[mixes.monitor]
sources = ["lead", "hiss"]
gain = { hiss = 6.0 }
listen = [0]
wav = "monitor.wav"

[[script]]
at = 0.3
command = "LIST"

[[script]]
at = 0.3
command = "QUERY main ALL"

[[script]]
at = 1.0
command = "SWITCH main hiss ON"

[[script]]
at = 1.0
command = "GAIN main hiss -12"

[[script]]
at = 1.5
command = "SWITCH monitor bass ONLY"

[[script]]
at = 2.0
command = "SWITCH main lead OFF"

[[script]]
at = 2.2
command = "ADD SOURCE chirp tone:880"

[[script]]
at = 2.2
command = "SWITCH main chirp ON"

[[script]]
at = 2.8
command = "DEL SOURCE chirp"

[[script]]
at = 3.0
command = "SWITCH main ALL ON"

[[script]]
at = 3.5
command = "STATS main"

[[script]]
at = 0.2
every = 0.05
until = 3.8
quiet = true
command = "QUERY monitor ALL"
"""


class ConfigError(ValueError):
    """A configuration that cannot be run; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    spec: str  # "1701" | "tone:HZ" | "noise" | "file:PATH"
    level_db: float | None = None  # tones and noise: peak level below full scale
    loop: bool = True  # files
    seed: int = 0  # noise


@dataclass(frozen=True, slots=True)
class MixConfig:
    name: str
    routes: dict[str, tuple[bool, float]] = field(default_factory=dict)  # source -> (on, dB)
    listen: tuple[int, ...] = ()
    wav: str | None = None
    play: bool = False


@dataclass(frozen=True, slots=True)
class ScriptStep:
    at: float
    command: str
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class MixerConfig:
    format: AudioFormat = AudioFormat()
    buffers: BufferConfig = BufferConfig()
    host: str = "127.0.0.1"
    control_port: int | None = 0  # None: no control port
    console: bool = False
    max_backlog_ms: float = 500.0
    sources: tuple[SourceConfig, ...] = ()
    mixes: tuple[MixConfig, ...] = ()
    seconds: float | None = None
    script: tuple[ScriptStep, ...] = ()


def default_config() -> MixerConfig:
    """The embedded default (:data:`DEFAULT_TOML`)."""
    return parse_config(tomllib.loads(DEFAULT_TOML), "<embedded default>")


def load_config(path: str | Path) -> MixerConfig:
    """Read and check a TOML configuration file."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, str(path))


class _Table:
    """Reads one TOML table, naming the file and the key in every error."""

    def __init__(self, data: Any, where: str, origin: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{origin}: {where} must be a table, not {type(data).__name__}")
        self.data = data
        self.where = where
        self.origin = origin
        self.used: set[str] = set()

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.origin}: {self.where}{key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        self.used.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.error(key, f"expected a number, not {value!r}")
        if not isinstance(value, kind):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.error(key, f"expected {names}, not {value!r}")
        return value

    def table(self, key: str) -> _Table:
        self.used.add(key)
        return _Table(self.data.get(key, {}), f"{self.where}{key}.", self.origin)

    def done(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            known = ", ".join(sorted(self.used))
            raise ConfigError(f"{self.origin}: unknown key {self.where}{extra[0]} "
                              f"(known here: {known})")


def _port(t: _Table, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise t.error(key, f"a port is a number from 0 (any free port) to 65535, not {value!r}")
    return value


def parse_config(data: dict[str, Any], origin: str = "<config>") -> MixerConfig:
    """A :class:`MixerConfig` from parsed TOML ``data``; ConfigError names what is wrong."""
    top = _Table(data, "", origin)
    seconds = top.get("seconds", (int, float), None)
    if seconds is not None and seconds < 0:
        raise top.error("seconds", f"must be >= 0 (0: until Ctrl-C), not {seconds}")
    host = top.get("host", str, "127.0.0.1")

    f = top.table("format")
    try:
        fmt = AudioFormat(rate=f.get("rate", int, 44_100), channels=f.get("channels", int, 2),
                          frame_ms=float(f.get("frame_ms", (int, float), 10.0)))
    except ValueError as exc:
        raise ConfigError(f"{origin}: [format]: {exc}") from None
    f.done()

    b = top.table("buffer")
    start_ms = float(b.get("start_ms", (int, float), 20.0))
    cap_ms = float(b.get("cap_ms", (int, float), 200.0))
    trim_ms = float(b.get("trim_after_ms", (int, float), 1000.0))
    b.done()
    if trim_ms < 0:
        raise b.error("trim_after_ms", "must be >= 0 (0: never trim)")
    if start_ms <= 0:
        raise b.error("start_ms", "must be > 0")
    if cap_ms < max(start_ms, fmt.frame_seconds * 1000):
        raise b.error("cap_ms", f"must hold the start threshold ({start_ms:g} ms) and a frame "
                                f"({fmt.frame_seconds * 1000:g} ms), not {cap_ms:g}")

    c = top.table("control")
    port_value = c.get("port", (int, bool), 0)
    if port_value is False:
        control_port: int | None = None
    elif port_value is True:
        raise c.error("port", "a port number, or false for no control port")
    else:
        control_port = _port(c, "port", port_value)
    console = c.get("console", bool, False)
    c.done()

    o = top.table("output")
    backlog = float(o.get("max_backlog_ms", (int, float), 500.0))
    o.done()
    if backlog <= 0:
        raise o.error("max_backlog_ms", "must be > 0")

    sources: list[SourceConfig] = []
    st = top.table("sources")
    for name, value in st.data.items():
        st.used.add(name)
        sources.append(_source(st, name, value))
    names = [s.name for s in sources]

    mixes: list[MixConfig] = []
    mt = top.table("mixes")
    for name, value in mt.data.items():
        mt.used.add(name)
        mixes.append(_mix(mt, name, value, names))
    clash = set(names) & {m.name for m in mixes}
    if clash:
        raise ConfigError(f"{origin}: {sorted(clash)[0]!r} is both a source and a mix "
                          "(STATS <name> must know which)")

    top.used.add("script")
    steps = top.data.get("script", [])
    if not isinstance(steps, list):
        raise top.error("script", "must be an array of tables ([[script]])")
    script: list[ScriptStep] = []
    for i, step in enumerate(steps):
        script.extend(_steps(_Table(step, f"script[{i}].", origin)))
    script.sort(key=lambda s: s.at)
    top.done()
    return MixerConfig(
        format=fmt, buffers=BufferConfig(start_ms, cap_ms, trim_ms), host=host,
        control_port=control_port, console=console, max_backlog_ms=backlog,
        sources=tuple(sources), mixes=tuple(mixes),
        seconds=float(seconds) if seconds is not None else None, script=tuple(script),
    )


def _source(st: _Table, name: str, value: Any) -> SourceConfig:
    try:
        check_name(name, "source")
    except CommandError as exc:
        raise st.error(name, str(exc)) from None
    if isinstance(value, str):
        return SourceConfig(name, value)
    t = _Table(value, f"sources.{name}.", st.origin)
    spec = t.get("spec", str, None)
    if spec is None:
        raise t.error("spec", "missing (\"PORT\", \"tone:HZ\", \"noise\" or \"file:PATH\")")
    level = t.get("level_db", (int, float), None)
    loop = t.get("loop", bool, True)
    seed = t.get("seed", int, 0)
    t.done()
    return SourceConfig(name, spec, float(level) if level is not None else None, loop, seed)


def _mix(mt: _Table, name: str, value: Any, sources: list[str]) -> MixConfig:
    try:
        check_name(name, "mix")
    except CommandError as exc:
        raise mt.error(name, str(exc)) from None
    t = _Table(value, f"mixes.{name}.", mt.origin)
    on = t.get("sources", list, [])
    gains = t.table("gain")
    routes: dict[str, tuple[bool, float]] = {}
    for s in on:
        if s not in sources:
            raise t.error("sources", f"unknown source {s!r} (sources: {', '.join(sources)})")
        routes[s] = (True, 0.0)
    for s, db in gains.data.items():
        gains.used.add(s)
        if s not in sources:
            raise gains.error(s, f"unknown source (sources: {', '.join(sources)})")
        if isinstance(db, bool) or not isinstance(db, (int, float)):
            raise gains.error(s, f"a gain in dB, not {db!r}")
        try:
            check_gain_db(float(db))
        except ValueError as exc:
            raise gains.error(s, str(exc)) from None
        routes[s] = (routes.get(s, (False, 0.0))[0], float(db))
    listen = t.get("listen", list, [])
    ports = tuple(_port(t, "listen", p) for p in listen)
    wav = t.get("wav", str, None)
    play = t.get("play", bool, False)
    t.done()
    return MixConfig(name, routes, ports, wav, play)


def _steps(t: _Table) -> list[ScriptStep]:
    at = float(t.get("at", (int, float), 0.0))
    command = t.get("command", str, None)
    every = t.get("every", (int, float), None)
    until = t.get("until", (int, float), None)
    quiet = t.get("quiet", bool, every is not None)
    t.done()
    if command is None:
        raise t.error("command", "missing")
    if at < 0 or not math.isfinite(at):
        raise t.error("at", f"seconds after the start, >= 0, not {at}")
    if every is None:
        return [ScriptStep(at, command, quiet)]
    if every <= 0 or until is None or until < at:
        raise t.error("every", "needs every > 0 and until >= at")
    count = int((until - at) / every + 1e-9) + 1
    return [ScriptStep(at + i * every, command, quiet) for i in range(count)]
