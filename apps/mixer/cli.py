"""The command line: ``python -m apps.mixer [--config FILE] [--seconds S] [--out DIR]``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

from axon import Component, ComponentError, Pipeline, ProducerFinished, Scheduler
from components import ConsoleEcho, Map

from .config import DEFAULT_TOML, ConfigError, MixerConfig, default_config, load_config
from .messages import Listening
from .mixer import Mixer
from .report import draw_system, plot_mixes, report, stats_table, write_json
from .script import ScriptedClient

DESCRIPTION = """\
The networked audio mixer matrix.  Sources (TCP senders of raw s16le PCM, tones, noise,
WAV files) are mixed into named mixes by a matrix of on/off and gain, on a clock; each mix
goes to TCP listeners, a WAV file and/or the sound card.  A line-based control protocol
(TCP, and --console) switches the matrix while it runs; send HELP for the commands.

With no --config it runs the embedded default (--show-config prints it): three built-in
sources, two mixes and a scripted control client, for a few seconds.  At the end it writes
each mix's WAV, stats.json, a drawing of the running system (mixer.svg, mixer.png) and,
with matplotlib, spectrograms of the mixes (mixes.png) to --out, and prints a stats table.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m apps.mixer", description=DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", metavar="FILE", help="a TOML configuration (default: the "
                    "embedded default)")
    ap.add_argument("--seconds", metavar="S", type=float, help="stop after S seconds "
                    "(0: run until Ctrl-C; default: the configuration's, else until Ctrl-C)")
    ap.add_argument("--out", metavar="DIR", default="mixer-out",
                    help="where the WAV files, the drawing and stats.json go (default: "
                    "%(default)s)")
    ap.add_argument("--console", action="store_true", help="also take control commands "
                    "typed on stdin (end of input stops the mixer)")
    ap.add_argument("--play", metavar="MIX", action="append", default=[],
                    help="play MIX through pygame.mixer (needs pygame; repeatable)")
    ap.add_argument("--no-draw", action="store_true",
                    help="draw neither the system nor the mixes' spectrograms")
    ap.add_argument("--show-config", action="store_true",
                    help="print the embedded default configuration and exit")
    return ap.parse_args(argv)


def _with_options(config: MixerConfig, args: argparse.Namespace) -> MixerConfig:
    mixes = {m.name: m for m in config.mixes}
    for name in args.play:
        if name not in mixes:
            raise ConfigError(f"--play {name}: no such mix (mixes: {', '.join(mixes)})")
        mixes[name] = replace(mixes[name], play=True)
    return replace(config, mixes=tuple(mixes.values()),
                   console=config.console or args.console)


def _describe(event: Listening) -> str:
    host, port = event.address
    what = {"control": "control port", "source": f"source {event.name} (send raw PCM)",
            "mix": f"mix {event.name} (listen)"}[event.kind.value]
    return f"  listening: {what} on {host}:{port}"


async def _run(sched: Scheduler, mixer: Mixer) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        mixer.inboxes["control"].put(ProducerFinished("interrupted"))

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError):  # (not on this platform / thread)
            pass
    await sched.run_async()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.show_config:
        print(DEFAULT_TOML, end="")
        return 0
    try:
        config = load_config(args.config) if args.config else default_config()
        config = _with_options(config, args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = args.seconds if args.seconds is not None else config.seconds
    if seconds is not None and seconds < 0:
        print("error: --seconds must be >= 0", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        mixer = Mixer(config, out_dir=out, seconds=seconds)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    print(f"Axon audio mixer: {len(config.sources)} sources, {len(config.mixes)} mixes, "
          f"{config.format.describe()}")
    print("  " + ("stops after " + f"{seconds:g} s" if seconds else "runs until Ctrl-C")
          + f"; output in {out}/")
    sched = Scheduler()
    announce: Component = Pipeline(Map(_describe), ConsoleEcho(), name="Announcer")
    systems: list[Component] = [mixer, announce]
    script: ScriptedClient | None = None
    if config.script and config.control_port is not None:
        script = ScriptedClient(config.script)
        log = ConsoleEcho(name="ScriptLog")
        script.link((script, "log"), (log, "inbox"))
        systems += [script, log]
        mixer.link((mixer, "events"), (script, "inbox"))
        print("  scripted control client: command -> reply (round trip)")
    mixer.link((mixer, "events"), (announce, "inbox"))
    mixer.link((mixer, "signal"), (announce, "control"))
    if script is not None:
        mixer.link((mixer, "signal"), (log, "control"))
    for system in systems:
        sched.activate(system)
    gc.freeze()  # what was built lives for the run: later collections need not scan it
    cpu0 = time.process_time()
    try:
        asyncio.run(_run(sched, mixer))
    except ComponentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    cpu = time.process_time() - cpu0

    data = report(mixer, script, cpu)
    print(stats_table(data))
    files = [write_json(data, out / "stats.json")]
    files += [e.wav.file for e in mixer.mixes.values() if e.wav is not None]
    wavs = {e.name: e.wav.file for e in mixer.mixes.values() if e.wav is not None}
    marks = [(st.at, st.command) for st in config.script
             if not st.quiet and st.command.split()[0].upper() in ("SWITCH", "GAIN", "ADD", "DEL")]
    if not args.no_draw and wavs:
        chart = plot_mixes(wavs, marks, out / "mixes.png")
        if chart is not None:
            files.append(chart)
    if not args.no_draw and mixer.last_snapshot is not None:
        drawn, problem = draw_system(mixer.last_snapshot, out,
                                     title="The audio mixer, running (python -m apps.mixer)")
        files += drawn
        if problem:
            print(problem)
    print("Wrote " + ", ".join(str(f) for f in files))
    return 0
