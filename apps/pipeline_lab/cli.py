"""``python -m apps.pipeline_lab``: run the variants, analyse their logs, plan processes.

::

    python -m apps.pipeline_lab run P3 --messages 200 --log runs/p3.jsonl
    python -m apps.pipeline_lab run all --log-dir runs       # P0..P5 one after another
    python -m apps.pipeline_lab analyse runs/*.jsonl --out runs/plots
    python -m apps.pipeline_lab plan runs/p3.jsonl --cores 2 --confirm
    python -m apps.pipeline_lab worker --serve S3 --nats URL --run-id ID  # a P5 service
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .config import Calls, ConfigError, LabConfig, load, parse_alloc, parse_stage

__all__ = ["main"]

VARIANTS = ["P0", "P1", "P2", "P3", "P4", "P5"]


def _config_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("configuration (a TOML file, then flags on top)")
    g.add_argument("--config", metavar="FILE", help="TOML file (default: the embedded one; "
                                                    "see apps/pipeline_lab/config.py)")
    g.add_argument("--stages", metavar="SPECS",
                   help="replace the stages: kind:ms[,...] named S1..Sn, e.g. "
                        "io:4,cpu:4,mixed:12:0.5,io:4")
    g.add_argument("--stage", action="append", default=[], metavar="NAME=SPEC",
                   help="change one stage, e.g. S3=cpu:10 (repeatable)")
    g.add_argument("--alloc", metavar="COUNTS",
                   help="processes per stage for P4/P5: 1,1,2,1 or S3=2 (P4: 0 keeps a "
                        "stage in the driver's process)")
    g.add_argument("--messages", type=int, help="messages in the run")
    g.add_argument("--window", type=int, help="messages waiting at a stage before its "
                                              "producer waits")
    g.add_argument("--in-flight", type=int, help="messages in the pipeline at once")
    g.add_argument("--rate", type=float, help="messages a second from the source "
                                              "(0: as fast as the pipeline takes them)")
    g.add_argument("--config-json", help=argparse.SUPPRESS)  # (the driver to its services)


def _config(args: argparse.Namespace) -> LabConfig:
    if getattr(args, "config_json", None):
        return LabConfig.from_dict(json.loads(args.config_json))
    cfg = load(args.config)
    if args.stages:
        stages = tuple(parse_stage(text, f"S{i}")
                       for i, text in enumerate(args.stages.split(","), 1))
        cfg = cfg.with_(stages=stages, allocation=())
    for item in args.stage:
        name, sep, text = item.partition("=")
        names = [s.name for s in cfg.stages]
        if not sep or name not in names:
            raise ConfigError(f"--stage {item!r}: give NAME=kind:ms with NAME one of {names}")
        cfg = cfg.with_(stages=tuple(parse_stage(text, name) if s.name == name else s
                                     for s in cfg.stages))
    if args.alloc:
        cfg = cfg.with_(allocation=parse_alloc(args.alloc, [s.name for s in cfg.stages]))
    changes = {k: v for k, v in (("messages", args.messages), ("window", args.window),
                                 ("in_flight", args.in_flight), ("rate", args.rate))
               if v is not None}
    return cfg.with_(**changes) if changes else cfg


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m apps.pipeline_lab",
        description="The pipeline lab: the same stages S1..Sn run as plain code (P0), in one "
                    "process blocking (P1) or not (P2), a process per stage (P3), N per "
                    "stage (P4) and as NATS services (P5); each run writes a JSONL timing "
                    "log that 'analyse' turns into a table and plots and 'plan' into an "
                    "allocation of processes to stages.")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a variant (or all of them) and log its timings",
                       description="Run one variant (P0..P5) or 'all' (P0..P5 in turn), "
                                   "writing a JSONL log of every message's stage timings.")
    r.add_argument("variant", choices=[*VARIANTS, "ALL"], type=str.upper, metavar="VARIANT",
                   help="; ".join(f"{v}: {_summary(v)}" for v in VARIANTS)
                   + "; all: P0 to P5 in turn")
    r.add_argument("--log", metavar="FILE", help="the JSONL log (.gz: compressed); default "
                                                 "lab-runs/<variant>.jsonl")
    r.add_argument("--log-dir", metavar="DIR", default="lab-runs",
                   help="where logs go when --log is not given (default lab-runs)")
    r.add_argument("--calls", choices=[c.value for c in Calls], default="async",
                   help="P3-P5: how a stage waits in its process (default async)")
    r.add_argument("--jetstream", action="store_true",
                   help="P5: stages linked through a JetStream work-queue stream (at least "
                        "once); with 'all': P5 both ways")
    r.add_argument("--nats", metavar="URL", help="P5: use this server (default: start one)")
    r.add_argument("--external", action="store_true",
                   help="P5: do not start the services; wait for them (run 'worker' with the "
                        "same --run-id on any machine)")
    r.add_argument("--run-id", help="P5: the subjects' prefix (default: a fresh one)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--timeout", type=float, default=600.0, help="seconds a run may take")
    r.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                   help="before each run, wait up to this long for 90%% of the CPUs to be "
                        "idle (a shared machine)")
    r.add_argument("--analyse", action="store_true",
                   help="after 'all': analyse the logs (table and plots in <log-dir>/plots)")
    _config_args(r)

    a = sub.add_parser("analyse", aliases=["analyze"], help="table and plots from logs",
                       description="Read run logs, print a table (and the findings they "
                                   "support) and draw plots: throughput, latency "
                                   "percentiles, per-stage times, utilisation, a timeline.")
    a.add_argument("logs", nargs="+", metavar="LOG")
    a.add_argument("--out", metavar="DIR", help="where to write the plots (default: "
                                                "<first log's folder>/plots)")
    a.add_argument("--no-plots", action="store_true")
    a.add_argument("--markdown", action="store_true", help="the table in Markdown")

    p = sub.add_parser("plan", help="recommend processes per stage for a core budget",
                       description="From a measured run, recommend how many processes to "
                                   "give each stage for a core budget; --confirm runs it.")
    p.add_argument("log", metavar="LOG")
    p.add_argument("--cores", type=float, default=float(os.cpu_count() or 1),
                   help="the core budget (default: this machine's CPUs)")
    p.add_argument("--max-processes", type=int, default=16)
    p.add_argument("--confirm", action="store_true",
                   help="run the recommendation (P4) beside one process per stage (P3) and "
                        "the same processes spread evenly, and compare")
    p.add_argument("--messages", type=int, help="messages in each confirming run "
                                                "(default: the log's)")
    p.add_argument("--log-dir", default="lab-runs/plan", help="where the confirming runs' "
                                                              "logs go")
    p.add_argument("--no-progress", action="store_true")

    w = sub.add_parser("worker", help="serve one stage over NATS (a P5 service)",
                       description="Serve one stage as a NATS service for P5 runs with the "
                                   "same --run-id (start as many as the allocation says, on "
                                   "any machine that reaches the server).")
    w.add_argument("--serve", required=True, metavar="STAGE", help="the stage to serve (S1..Sn)")
    w.add_argument("--nats", required=True, metavar="URL")
    w.add_argument("--run-id", required=True)
    w.add_argument("--jetstream", action="store_true")
    w.add_argument("--calls", choices=[c.value for c in Calls], default="async")
    _config_args(w)
    return ap


def _summary(v: str) -> str:
    from .variants import Variant

    return Variant(v).summary


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command in ("analyse", "analyze"):
            return _analyse(args.logs, args.out, not args.no_plots, args.markdown)
        if args.command == "plan":
            return _plan(args)
        if args.command == "worker":
            return _worker(args)
    except ConfigError as exc:
        print(f"pipeline_lab: {exc}", file=sys.stderr)
        return 2
    return 2


def _run(args: argparse.Namespace) -> int:
    from .variants import RunOptions, Variant, run_variant
    from .work import calibrate

    cfg = _config(args)
    cfg = cfg.with_(loops_per_ms=cfg.loops_per_ms or calibrate())
    todo: list[tuple[str, bool]]
    if args.variant == "ALL":
        todo = [(v, False) for v in VARIANTS]
        if args.jetstream:
            todo.append(("P5", True))
    else:
        todo = [(args.variant, args.jetstream)]
    print(f"pipeline lab: {', '.join(s.name + ' ' + s.describe() for s in cfg.stages)}; "
          f"{cfg.messages} messages, window {cfg.window}, in flight {cfg.in_flight}"
          + (f", {cfg.rate:g} msg/s" if cfg.rate else "")
          + f"; CPU work calibrated at {cfg.loops_per_ms:.0f} loops/ms", file=sys.stderr)
    logs = []
    worst = 0
    for variant, js in todo:
        if args.wait_quiet:
            _wait_quiet(args.wait_quiet)
        log = args.log if args.log and len(todo) == 1 else str(
            Path(args.log_dir) / f"{variant.lower()}{'-js' if js else ''}.jsonl")
        opts = RunOptions(Variant(variant), cfg, log=log, calls=Calls(args.calls),
                          progress=not args.no_progress, jetstream=js, nats=args.nats,
                          external=args.external, run_id=args.run_id, timeout=args.timeout,
                          measure_idle=True)
        result = run_variant(opts)
        missing = result.messages - result.received
        print(f"{variant}{' JetStream' if js else ''}: {result.received}/{result.messages} "
              f"messages in {result.seconds:.2f} s, {result.throughput:.1f} msg/s"
              + (f", {missing} MISSING" if missing else "")
              + (f", {result.duplicates} duplicates dropped" if result.duplicates else "")
              + f" -> {log}")
        worst = max(worst, 1 if missing else 0)
        logs.append(log)
    if args.variant == "ALL" and args.analyse:
        _analyse(logs, str(Path(args.log_dir) / "plots"), True, False)
    return worst


def _wait_quiet(limit: float) -> None:
    """Wait (up to ``limit`` seconds) until 90% of the CPUs are idle."""
    import time

    from .record import idle_cpus

    cpus = os.cpu_count() or 1
    deadline = time.monotonic() + limit
    idle = idle_cpus(1.0)
    while idle is not None and idle < 0.9 * cpus and time.monotonic() < deadline:
        idle = idle_cpus(1.0)
    print(f"  ({idle if idle is not None else '?'} of {cpus} CPUs idle)", file=sys.stderr)


def _analyse(paths: list[str], out: str | None, plots: bool, markdown: bool) -> int:
    from .analysis import analyse, findings, format_table
    from .record import read_log

    try:
        runs = [read_log(p) for p in paths]
        stats = [analyse(r) for r in runs]
    except (OSError, ValueError) as exc:
        print(f"pipeline_lab analyse: {exc}", file=sys.stderr)
        return 2
    first = runs[0].header
    print(f"{len(runs)} run(s) on {first.get('host')} ({first.get('cpus')} CPUs, python "
          f"{first.get('python')}), {first.get('when')}")
    print(format_table(stats, markdown))
    found = findings(stats)
    if found:
        print("\nFindings:")
        for line in found:
            print(f"- {line}")
    if plots:
        from .plots import plot_all

        target = Path(out) if out else Path(paths[0]).parent / "plots"
        written = plot_all(stats, runs, target)
        print("\nPlots: " + ", ".join(str(p) for p in written))
    return 0


def _plan(args: argparse.Namespace) -> int:
    from .analysis import analyse
    from .plan import even_spread, make_plan
    from .record import read_log
    from .variants import RunOptions, Variant, run_variant

    try:
        run = read_log(args.log)
        stats = analyse(run)
    except (OSError, ValueError) as exc:
        print(f"pipeline_lab plan: {exc}", file=sys.stderr)
        return 2
    plan = make_plan(stats, args.cores, args.max_processes)
    print(f"plan from {args.log} ({stats.label}, {stats.messages} messages):")
    print(plan.describe())
    if not args.confirm:
        print("\nRun it (with the run's configuration): python -m apps.pipeline_lab run P4 "
              f"--alloc {','.join(map(str, plan.allocation))}; or plan --confirm")
        return 0
    cfg = LabConfig.from_dict(run.header["config"])
    if args.messages:
        cfg = cfg.with_(messages=args.messages)
    from .plan import predict

    even = even_spread(sum(plan.allocation), len(plan.stages))
    trials = [("P3", [1] * len(plan.stages)), ("P4", plan.allocation)]
    if even != plan.allocation:
        trials.append(("P4", even))
    print(f"\nConfirming: {len(trials)} runs of {cfg.messages} messages, side by side")
    rows = []
    for variant, alloc in trials:
        predicted, _, _ = predict(alloc, plan.cpu_ms, plan.wait_ms, plan.overhead_ms,
                                    plan.cores, plan.stages)
        log = str(Path(args.log_dir) / f"{variant.lower()}-{'-'.join(map(str, alloc))}.jsonl")
        result = run_variant(RunOptions(Variant(variant), cfg.with_(allocation=tuple(alloc)),
                                        log=log, progress=not args.no_progress,
                                        measure_idle=True))
        rows.append((variant, alloc, predicted, result.throughput, log))
    print(f"\n  {'run':<4} {'processes':<12} {'predicted':>10} {'measured':>10}")
    for variant, alloc, predicted, measured, _ in rows:
        print(f"  {variant:<4} {','.join(map(str, alloc)):<12} {predicted:8.1f}/s "
              f"{measured:8.1f}/s")
    base, rec = rows[0][3], rows[1][3]
    verdict = max(rows, key=lambda r: r[3])
    confirmed = verdict[1] == plan.allocation or verdict[3] <= rec * 1.05
    print(f"\nThe recommendation ran {rec:.1f} msg/s, {rec / base:.2f}x one process per "
          f"stage, {rec / plan.predicted:.0%} of its prediction"
          + (f"; the same {sum(plan.allocation)} processes spread evenly ran "
             f"{rows[2][3]:.1f} msg/s" if len(rows) > 2 else "")
          + (". Confirmed." if confirmed else ". NOT confirmed: see the logs in "
             f"{args.log_dir}."))
    return 0 if confirmed else 1


def _worker(args: argparse.Namespace) -> int:
    from .services import serve_stage

    cfg = _config(args)
    names = [s.name for s in cfg.stages]
    if args.serve not in names:
        raise ConfigError(f"--serve {args.serve!r} is not one of {names}")
    report = serve_stage(cfg, names.index(args.serve), args.nats, args.run_id,
                         jetstream=args.jetstream, calls=Calls(args.calls))
    print(json.dumps(report), flush=True)
    return 0
