"""The mixer: sources, mixes, outputs and the control port, as one component.

::

    source DJ1:  TCPSource ─▶ PublishTo ─▶ Backplane(mixer/src/DJ1) ─┐ (each mix subscribes
    source bass: Tone      ─▶ PublishTo ─▶ Backplane(mixer/src/bass) ┤  to every source)
                                                                       ▼
    mix main:    SubscribeTo×N ─▶ MixBus(main) ─▶ PublishTo ─▶ Backplane(mixer/mix/main)
                                                     ├─▶ SubscribeTo ─▶ MixListener (TCP)
                                                     ├─▶ SubscribeTo ─▶ WavWriter
                                                     └─▶ SubscribeTo ─▶ PygamePlayer
    control:     TCPServer ─▶ LineSplitter ─▶ ControlSession ─▶ Request ─▶ Mixer (this)

The :class:`Mixer` is the parent of all of it and the only place the matrix changes: the
control sessions (TCP, the console, a script) send it ``Request`` records, it executes them
one at a time and puts each ``Reply`` into the asking session's ``replies`` inbox.  A
change to the matrix goes to the mix buses as ``Route`` records before the reply, so the
next frame a mix emits after an ``OK`` already has it.  Sources and mixes are added and
removed while it runs; each is a ``Graphline`` child whose removal stops all of its parts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from axon import (
    Backplane,
    Component,
    EndSignal,
    Graphline,
    Pipeline,
    ProducerFinished,
    PublishTo,
    Shutdown,
    Snapshot,
    SubscribeTo,
    snapshot,
)
from components import (
    Clock,
    ConsoleEcho,
    ConsoleReader,
    Periodic,
    SystemClock,
    TCPServer,
)
from components.timing import Alarm

from .audio import AudioFormat, db_to_gain
from .bus import MixBus, RouteState
from .config import MixConfig, MixerConfig, SourceConfig
from .control import (
    ALL,
    HELP,
    AddMix,
    AddSource,
    Command,
    CommandError,
    ControlSession,
    DelMix,
    DelSource,
    Gain,
    Help,
    ListAll,
    Mode,
    Query,
    Stats,
    Switch,
    parse,
    tcp_session,
)
from .messages import (
    ListenerKind,
    Listening,
    Reply,
    Request,
    Route,
    Subscribe,
    Unsubscribe,
)
from .outputs import MixListener, PygamePlayer, WavWriter
from .sources import (
    ClockedSource,
    NoiseSource,
    SourceStats,
    TCPSource,
    ToneSource,
    WavFileSource,
)

__all__ = ["STOP_GRACE", "MixEntry", "Mixer", "SourceEntry", "make_source"]

#: Seconds the parts have to end by themselves when the mixer stops (then they are stopped).
STOP_GRACE = 2.0


def make_source(cfg: SourceConfig, fmt: AudioFormat, *, host: str = "127.0.0.1",
                clock: Clock | None = None) -> TCPSource | ClockedSource:
    """The source component for ``cfg.spec``; ValueError says what is wrong with it."""
    spec = cfg.spec.strip()
    if spec.isdigit():
        port = int(spec)
        if port > 65535:
            raise ValueError(f"bad port {port}: 0 (any free port) to 65535")
        return TCPSource(cfg.name, fmt, host=host, port=port, clock=clock, spec=spec)
    kind, _, arg = spec.partition(":")
    kind = kind.lower()
    level: dict[str, float] = {} if cfg.level_db is None else {"level_db": cfg.level_db}
    if kind == "tone":
        try:
            freq = float(arg)
        except ValueError:
            raise ValueError(f"bad tone {spec!r}: tone:HZ, such as tone:440") from None
        return ToneSource(cfg.name, fmt, freq, clock=clock, spec=spec, **level)
    if kind == "noise" and not arg:
        return NoiseSource(cfg.name, fmt, seed=cfg.seed, clock=clock, spec=spec, **level)
    if kind == "file" and arg:
        return WavFileSource(cfg.name, fmt, arg, loop=cfg.loop, clock=clock, spec=spec)
    raise ValueError(f"bad source {spec!r}: a port, tone:HZ, noise or file:PATH")


@dataclass(slots=True)
class SourceEntry:
    name: str
    part: Graphline  # the source, its publisher and its backplane
    source: TCPSource | ClockedSource
    backplane: str

    @property
    def stats(self) -> SourceStats:
        return self.source.stats

    def describe(self) -> str:
        if isinstance(self.source, TCPSource):
            addr = self.source.address
            return f"{self.name}(tcp {addr[0]}:{addr[1]})" if addr else f"{self.name}(tcp)"
        return f"{self.name}({self.stats.spec})"


@dataclass(slots=True)
class MixEntry:
    name: str
    part: Graphline  # the bus, its publisher, its backplane and its outputs
    bus: MixBus
    backplane: str
    listeners: list[MixListener] = field(default_factory=list)
    wav: WavWriter | None = None
    player: PygamePlayer | None = None

    def describe(self) -> str:
        ports = ",".join(f"{lst.address[0]}:{lst.address[1]}" for lst in self.listeners)
        return f"{self.name}(tcp {ports})" if ports else self.name


class Mixer(Component):
    """The networked audio mixer matrix, built from ``config``.

    ``clock`` drives every frame (inject ``components.testing.FakeClock`` in tests);
    ``out_dir`` is where WAV files go; the console (``config.console``) reads commands
    from ``console_in`` (default stdin) and writes replies to ``console_out`` (stdout).
    It runs until ``control`` gets an end, or for ``seconds`` (default
    ``config.seconds``; None or 0: no limit).  ``events`` reports every port it opens.
    """

    Inboxes = {
        "inbox": "(unused)",
        "control": "ProducerFinished or Shutdown: stop everything",
        "commands": "Request records from control sessions",
        "from_parts": "(from the parts) Listening records",
        "control_ready": "(from the control server) its address",
        "control_events": "(from the control server) connection events",
    }
    Outboxes = {
        "outbox": "(unused)",
        "signal": "the end, once everything has stopped",
        "events": "Listening records: the control port, each TCP source, each mix output",
        "matrix": "Route / Subscribe / Unsubscribe records, to every mix bus",
    }

    def __init__(self, config: MixerConfig, *, clock: Clock | None = None,
                 out_dir: str | Path = ".", seconds: float | None = None,
                 console_in: IO[str] | None = None, console_out: IO[str] | None = None,
                 name: str = "Mixer") -> None:
        super().__init__(name=name)
        self.config = config
        self.fmt = config.format
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.out_dir = Path(out_dir)
        self.sources: dict[str, SourceEntry] = {}
        self.mixes: dict[str, MixEntry] = {}
        self.matrix: dict[str, dict[str, RouteState]] = {}  # mix -> source -> route
        self.addresses: dict[tuple[ListenerKind, str], tuple[str, int]] = {}
        self.control_server: TCPServer | None = None
        self.console: Component | None = None
        self.last_snapshot: Snapshot | None = None
        self.requests = 0
        self.started_at: float | None = None  # time.perf_counter()
        self.stopped_at: float | None = None
        self.cpu_at_start = 0.0
        self._awaiting: dict[str, list[Request]] = {}  # TCP source -> ADD requests to answer
        self._failed: list[tuple[str, BaseException]] = []
        self.wake_on("control", "commands", "from_parts", "control_ready", "control_events")
        for s in config.sources:
            self._add_source(s)
        for m in config.mixes:
            self._add_mix(m)
        if config.control_port is not None:
            server = TCPServer(self._control_session, host=config.host, port=config.control_port,
                               name="ControlServer")
            self.add_child(server, "control")
            self.link((server, "ready"), (self, "control_ready"))
            self.link((server, "events"), (self, "control_events"))
            self.control_server = server
        if config.console:
            self.console = Pipeline(ConsoleReader(console_in),
                                    ControlSession(text=True, name="Console"),
                                    ConsoleEcho(console_out), name="Console")
            session = self.console.children[1]
            session.link((session, "requests"), (self, "commands"))
            self.add_child(self.console, "console")
            self.link((self.console, "signal"), (self, "control"))  # end of input: stop
        seconds = config.seconds if seconds is None else seconds
        if seconds:
            timer = Periodic(seconds, count=1, clock=self.clock, name="StopTimer")
            self.add_child(timer, "stop")
            self.link((timer, "signal"), (self, "control"))

    # -- building ------------------------------------------------------------------------------

    def _backplane(self, kind: str, name: str) -> str:
        return f"{self.name}/{kind}/{name}"

    def _add_source(self, cfg: SourceConfig) -> SourceEntry:
        """Build and adopt source ``cfg`` (started at once if running); ValueError if bad."""
        source = make_source(cfg, self.fmt, host=self.config.host, clock=self.clock)
        bp = self._backplane("src", cfg.name)
        linkages: dict[Any, Any] = {("source", "outbox"): ("publish", "inbox")}
        if isinstance(source, TCPSource):
            linkages[("source", "events")] = ("self", "events")
        part = Graphline(linkages, backplane=Backplane(bp), source=source, publish=PublishTo(bp),
                         outboxes={"events": "Listening, once a TCP source listens"},
                         name=f"Source({cfg.name})")
        self.add_child(part, f"source {cfg.name}")
        self.link((part, "events"), (self, "from_parts"))
        entry = SourceEntry(cfg.name, part, source, bp)
        self.sources[cfg.name] = entry
        for row in self.matrix.values():
            row[cfg.name] = RouteState()
        if self.scheduler is not None and self.mixes:  # (the mixes made later know it)
            self.send(Subscribe(cfg.name, bp), "matrix")
        return entry

    def _add_mix(self, cfg: MixConfig) -> MixEntry:
        """Build and adopt mix ``cfg``; ValueError if a port cannot be bound."""
        fmt = self.fmt
        bp = self._backplane("mix", cfg.name)
        row = {s: RouteState() for s in self.sources}
        for s, (on, db) in cfg.routes.items():
            row[s] = RouteState()
            _set_route(row[s], on, db)
        bus = MixBus(cfg.name, fmt, sources={s: e.backplane for s, e in self.sources.items()},
                     routes={s: (r.on, r.gain_db) for s, r in row.items()},
                     buffers=self.config.buffers, clock=self.clock)
        children: dict[str, Component] = {"backplane": Backplane(bp), "bus": bus,
                                          "publish": PublishTo(bp)}
        listeners: list[MixListener] = []
        try:
            for i, port in enumerate(cfg.listen):
                lst = MixListener(cfg.name, fmt, host=self.config.host, port=port,
                                  max_backlog_ms=self.config.max_backlog_ms)
                listeners.append(lst)
                children[f"tcp{i}"] = Pipeline(SubscribeTo(bp), lst, name="TCPOut")
        except OSError as exc:
            for lst in listeners:
                lst.close()
            raise ValueError(f"mix {cfg.name} cannot listen on port {port}: "
                             f"{exc.strerror or exc}") from None
        wav = player = None
        if cfg.wav:
            wav = WavWriter(self.out_dir / cfg.wav, fmt)
            children["wav"] = Pipeline(SubscribeTo(bp), wav, name="WavOut")
        if cfg.play:
            player = PygamePlayer(cfg.name, fmt)
            children["play"] = Pipeline(SubscribeTo(bp), player, name="PlayOut")
        part = Graphline({("bus", "outbox"): ("publish", "inbox"),
                          ("self", "matrix"): ("bus", "matrix")},
                         inboxes={"matrix": "Route / Subscribe / Unsubscribe, for the bus"},
                         name=f"Mix({cfg.name})", **cast("dict[str, Any]", children))
        entry = MixEntry(cfg.name, part, bus, bp, listeners, wav, player)
        self.add_child(part, f"mix {cfg.name}")
        self.link((self, "matrix"), (part, "matrix"))
        self.mixes[cfg.name] = entry
        self.matrix[cfg.name] = row
        for lst in listeners:
            self.addresses[(ListenerKind.MIX, cfg.name)] = lst.address
            if self.scheduler is not None:
                self.send(Listening(ListenerKind.MIX, cfg.name, lst.address), "events")
        return entry

    def _control_session(self) -> Component:
        return tcp_session((self, "commands"))

    # -- running ---------------------------------------------------------------------------------

    def main(self) -> Generator[Any, Any, None]:
        self.started_at = time.perf_counter()
        self.cpu_at_start = time.process_time()
        for entry in self.mixes.values():
            for lst in entry.listeners:
                self.send(Listening(ListenerKind.MIX, entry.name, lst.address), "events")
        end: EndSignal | None = None
        try:
            while True:
                end = self.take_control(end)
                if end is not None:
                    break
                for address in self.recv_all("control_ready"):
                    self._listening(Listening(ListenerKind.CONTROL, "control",
                                              (address[0], address[1])))
                self.recv_all("control_events")
                for event in self.recv_all("from_parts"):
                    if isinstance(event, Listening):
                        self._listening(event)
                while self._failed:
                    self._source_failed(*self._failed.pop(0))
                for request in self.recv_all("commands"):
                    self._serve(request)
                self.pause()
                yield
            self.last_snapshot = snapshot(self.scheduler) if self.scheduler else None
            self.stopped_at = time.perf_counter()
            # the mixes end first and their outputs take what was sent before the end (the
            # last frame reaches the WAV file); the rest stops now.  What has not ended
            # after STOP_GRACE seconds is stopped by force.
            self._answer_awaiting("ERR the mixer stopped")
            mixes = {id(e.part) for e in self.mixes.values()}
            for child in self.children:
                if not child.done and "control" in child.inboxes:
                    child.inboxes["control"].put(
                        ProducerFinished("mixer stopping") if id(child) in mixes
                        else Shutdown("mixer stopping"))
            alarm = Alarm(self, self.clock)
            alarm.set_at(self.clock.now() + STOP_GRACE)
            try:
                while not self.children_done() and alarm.deadline is not None:
                    self.recv_all("commands")  # (sessions are closing: no more replies)
                    self.pause()
                    yield
            finally:
                alarm.cancel()
        finally:
            if self.stopped_at is None:
                self.stopped_at = time.perf_counter()
            self._stop_all()
        self.send(end, "signal")

    def _answer_awaiting(self, text: str) -> None:
        for waiting in self._awaiting.values():
            for req in waiting:
                req.reply.put(Reply(req.seq, text))
        self._awaiting.clear()

    def _stop_all(self) -> None:
        sched = self.scheduler
        for child in reversed(self.children):
            if sched is not None and not child.done:
                sched.stop(child)
        self._answer_awaiting("ERR the mixer stopped")

    def _listening(self, event: Listening) -> None:
        self.addresses[(event.kind, event.name)] = event.address
        self.send(event, "events")
        for req in self._awaiting.pop(event.name, []):
            host, port = event.address
            req.reply.put(Reply(req.seq, f"OK ADD SOURCE {event.name} listening {host}:{port}"))

    def child_failed(self, child: Component, exc: BaseException) -> bool:
        """A TCP source added by a command that cannot listen (a busy port): its request
        gets an ``ERR`` and the source goes; any other failure stops the system."""
        top: Component | None = child
        while top is not None and top.parent is not self:
            top = top.parent
        for name, entry in self.sources.items():
            if entry.part is top and name in self._awaiting:
                self._failed.append((name, exc))
                if self.scheduler is not None:
                    self.scheduler.wake(self)
                return True
        return False

    def _source_failed(self, name: str, exc: BaseException) -> None:
        for req in self._awaiting.pop(name, []):
            req.reply.put(Reply(req.seq, f"ERR source {name} cannot listen: {exc}"))
        if name in self.sources:
            self._remove_source(name)

    # -- commands ---------------------------------------------------------------------------------

    def _serve(self, request: Request) -> None:
        self.requests += 1
        try:
            text = self.execute(parse(request.line), request)
        except CommandError as exc:
            text = f"ERR {exc}"
        if text is not None:
            request.reply.put(Reply(request.seq, text))

    def execute(self, cmd: Command, request: Request | None = None) -> str | None:
        """Carry out ``cmd``; the reply line (None: it comes later, for ``request``)."""
        if isinstance(cmd, Switch):
            return self._switch(cmd)
        if isinstance(cmd, Gain):
            row = self._row(cmd.mix)
            self._source(cmd.source)
            self._set(cmd.mix, cmd.source, row[cmd.source].on, cmd.db)
            return f"OK GAIN {cmd.mix} {cmd.source} {_db(cmd.db)}"
        if isinstance(cmd, Query):
            row = self._row(cmd.mix)
            names = list(row) if cmd.source == ALL else [self._source(cmd.source)]
            return "OK " + " ".join(f"{s}={row[s].describe()}" for s in names)
        if isinstance(cmd, ListAll):
            return (f"OK sources {' '.join(e.describe() for e in self.sources.values()) or '-'}"
                    f"; mixes {' '.join(e.describe() for e in self.mixes.values()) or '-'}")
        if isinstance(cmd, Stats):
            return self._stats(cmd.target)
        if isinstance(cmd, Help):
            return HELP
        if isinstance(cmd, AddMix):
            self._new_name(cmd.name)
            try:
                mix = self._add_mix(MixConfig(cmd.name, listen=(cmd.port,)))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            host, port = mix.listeners[0].address
            return f"OK ADD MIX {cmd.name} listening {host}:{port}"
        if isinstance(cmd, DelMix):
            self._row(cmd.name)
            self._remove_mix(cmd.name)
            return f"OK DEL MIX {cmd.name}"
        if isinstance(cmd, AddSource):
            self._new_name(cmd.name)
            try:
                entry = self._add_source(SourceConfig(cmd.name, cmd.spec))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            if isinstance(entry.source, TCPSource):
                if request is None:
                    return f"OK ADD SOURCE {cmd.name} {cmd.spec}"
                self._awaiting.setdefault(cmd.name, []).append(request)
                return None  # replied once it listens (or cannot)
            return f"OK ADD SOURCE {cmd.name} {entry.stats.spec}"
        if isinstance(cmd, DelSource):
            self._source(cmd.name)
            self._remove_source(cmd.name)
            return f"OK DEL SOURCE {cmd.name}"
        raise CommandError(f"cannot execute {cmd!r}")  # (parse() makes nothing else)

    def _switch(self, cmd: Switch) -> str:
        row = self._row(cmd.mix)
        if cmd.source != ALL:
            self._source(cmd.source)
        for s, route in row.items():
            if cmd.source == ALL or s == cmd.source:
                on = cmd.mode is not Mode.OFF
            elif cmd.mode is Mode.ONLY:
                on = False
            else:
                continue
            if route.on != on:
                self._set(cmd.mix, s, on, route.gain_db)
        return f"OK SWITCH {cmd.mix} {cmd.source} {cmd.mode.value}"

    def _set(self, mix: str, source: str, on: bool, gain_db: float) -> None:
        _set_route(self.matrix[mix][source], on, gain_db)
        self.send(Route(mix, source, on, gain_db), "matrix")

    def _row(self, mix: str) -> dict[str, RouteState]:
        row = self.matrix.get(mix)
        if row is None:
            raise CommandError(f"no mix named {mix!r} (mixes: {', '.join(self.mixes) or 'none'})")
        return row

    def _source(self, name: str) -> str:
        if name not in self.sources:
            raise CommandError(f"no source named {name!r} "
                               f"(sources: {', '.join(self.sources) or 'none'})")
        return name

    def _new_name(self, name: str) -> None:
        if name in self.sources or name in self.mixes:
            kind = "source" if name in self.sources else "mix"
            raise CommandError(f"{name!r} is already a {kind}")

    def _remove_source(self, name: str) -> None:
        entry = self.sources.pop(name)
        for row in self.matrix.values():
            row.pop(name, None)
        if self.mixes:
            self.send(Unsubscribe(name), "matrix")
        self._remove_part(entry.part)
        self.addresses.pop((ListenerKind.SOURCE, name), None)

    def _remove_mix(self, name: str) -> None:
        entry = self.mixes.pop(name)
        del self.matrix[name]
        self._remove_part(entry.part)  # (and the links to it: the matrix feed among them)
        self.addresses.pop((ListenerKind.MIX, name), None)

    def _remove_part(self, part: Component) -> None:
        """Stop ``part`` and every component in it; forget it and the links made to it."""
        sched = self.scheduler
        if sched is not None and not part.done:
            sched.stop(part)
        self.remove_child(part)

    # -- statistics ---------------------------------------------------------------------------------

    def uptime(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.stopped_at or time.perf_counter()) - self.started_at

    def _stats(self, target: str | None) -> str:
        if target is None:
            frames = sum(e.bus.stats.frames for e in self.mixes.values())
            totals = [e.bus.totals() for e in self.mixes.values()]
            return ("OK " + " ".join(f"{k}={v}" for k, v in {
                "sources": len(self.sources), "mixes": len(self.mixes),
                "bytes_in": sum(e.stats.bytes_in for e in self.sources.values()),
                "frames": frames,
                "bytes_out": sum(e.bus.stats.bytes_out for e in self.mixes.values()),
                "underruns": sum(t.underruns for t in totals),
                "inserted": sum(t.inserted_samples for t in totals),
                "dropped": sum(t.dropped_samples for t in totals),
                "requests": self.requests,
                "uptime_s": f"{self.uptime():.3f}",
                "cpu_s": f"{time.process_time() - self.cpu_at_start:.3f}",
            }.items()))
        if target in self.mixes:
            e = self.mixes[target]
            s, t = e.bus.stats, e.bus.totals()
            ratio = s.realtime_ratio(self.fmt.frame_seconds)
            fields = {
                "frames": s.frames, "bytes_out": s.bytes_out,
                "on": sum(r.on for r in self.matrix[target].values()),
                "underruns": t.underruns, "inserted": t.inserted_samples,
                "dropped": t.dropped_samples, "padded": t.padded_samples,
                "discarded": t.discarded_samples, "trimmed": t.trimmed_samples,
                "clipped": s.clipped_values, "late_wakes": s.late_wakes,
                "max_late_ms": f"{s.max_lateness * 1000:.1f}",
                "skipped": s.skipped_frames,
                "clients": sum(lst.stats.clients for lst in e.listeners),
                "slow_dropped": sum(lst.stats.slow_dropped for lst in e.listeners),
                "realtime": f"{ratio:.4f}" if ratio is not None else "-",
            }
            return f"OK mix {target} " + " ".join(f"{k}={v}" for k, v in fields.items())
        if target in self.sources:
            src = self.sources[target].stats
            fields2: dict[str, Any] = {"kind": src.kind, "bytes_in": src.bytes_in,
                                       "chunks": src.chunks}
            if src.kind == "tcp":
                fields2.update(senders=src.senders, refused=src.refused,
                               connected="yes" if src.connected else "no",
                               partial_bytes=src.partial_bytes, errors=src.connection_errors)
            rate = self.fmt.rate
            depths = [f"{m}:{e.bus.buffers[target].depth_samples * 1000 / rate:.0f}"
                      for m, e in self.mixes.items() if target in e.bus.buffers]
            fields2["depth_ms"] = ",".join(depths) or "-"  # buffered in each mix, now
            return f"OK source {target} " + " ".join(f"{k}={v}" for k, v in fields2.items())
        raise CommandError(f"no mix or source named {target!r}")


def _set_route(route: RouteState, on: bool, gain_db: float) -> None:
    route.on = on
    route.gain_db = gain_db
    route.gain = db_to_gain(gain_db)


def _db(db: float) -> str:
    return "-inf dB" if db == -math.inf else f"{db:+.1f} dB"
