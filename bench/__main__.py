"""``python -m bench``: run the workloads on Axon and its peers, side by side, and report.

One fresh interpreter per workload measures the floor (a raw generator chain) and every peer;
this process collects the results, prints a progress line per workload and writes
``bench/results/latest.json``, ``latest.md`` and ``latest.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from time import perf_counter

from bench import report
from bench.peers import PEERS
from bench.workloads import WORKLOADS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _parse(argv):
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="small sizes for a smoke test (whole run well under a minute)")
    ap.add_argument("--only", action="append", choices=list(WORKLOADS), metavar="WORKLOAD",
                    help=f"run only this workload (repeatable; one of {', '.join(WORKLOADS)})")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help=f"comma-separated peers (default: all: {','.join(PEERS)}); "
                         "the floor is always measured")
    ap.add_argument("--out", default=os.path.join(HERE, "results"),
                    help="directory for latest.json/.md/.png (default: bench/results)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds allowed per workload process (default 60 quick, 1800 full)")
    return ap.parse_args(argv)


def _peers(arg: str) -> list[str]:
    asked = [p.strip() for p in arg.split(",") if p.strip()]
    unknown = [p for p in asked if p not in PEERS]
    if unknown:
        raise SystemExit(f"unknown peer(s): {', '.join(unknown)} (known: {', '.join(PEERS)})")
    return [report.FLOOR] + [p for p in PEERS if p in asked and p != report.FLOOR]


def run_workload(name: str, peers: list[str], quick: bool, timeout: float) -> dict:
    """Run one workload in a fresh interpreter; every peer ends with figures or an error."""
    fd, path = tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".jsonl")
    os.close(fd)
    cmd = [sys.executable, "-m", "bench._child", name, ",".join(peers), path]
    if quick:
        cmd.append("--quick")
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    failure = None
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            failure = f"workload process exited {proc.returncode}: {proc.stderr.strip()[-600:]}"
    except subprocess.TimeoutExpired:
        failure = f"workload process killed after {timeout:.0f} s"
    with open(path, encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    os.unlink(path)
    results: dict = {}
    meta: dict = {}
    started = None
    for ev in events:
        if "meta" in ev:
            meta.update(ev["meta"])
        elif ev.get("event") == "start":
            started = ev["peer"]
        else:
            peer = ev.pop("peer")
            results[peer] = ev
            started = None
    for peer in peers:
        if peer not in results:
            if peer == started:
                why = failure or "workload process ended while this peer ran"
                results[peer] = {"error": f"no result: {why} (while running this peer)"}
            else:
                results[peer] = {"error": f"not run: {failure or 'workload process ended early'}"}
    report.add_ratios(name, results)
    return {"title": WORKLOADS[name].title, "meta": meta,
            "peers": {p: results[p] for p in peers}}


def _progress(name: str, w: dict, seconds: float) -> str:
    first = WORKLOADS[name].figures[0]
    parts = []
    for peer, rec in w["peers"].items():
        if "error" in rec:
            parts.append(f"{peer}=ERROR")
        elif peer == report.FLOOR:
            parts.append(f"floor={rec['figures'][first.key]:.3g} {first.unit}")
        else:
            r = rec.get("ratios", {}).get(first.key)
            parts.append(f"{peer}={r:.3g}x" if r is not None else f"{peer}=?")
    return f"[{name}] {seconds:.1f}s  " + "  ".join(parts)


def main(argv=None) -> int:
    args = _parse(argv if argv is not None else sys.argv[1:])
    peers = _peers(args.peers)
    names = args.only or list(WORKLOADS)
    timeout = args.timeout or (60.0 if args.quick else 1800.0)
    os.makedirs(args.out, exist_ok=True)
    results = {
        "date": report.now(),
        "machine": report.machine(),
        "quick": args.quick,
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "peers": peers,
        "ratio": "figure's cost as a multiple of the floor's (raw generator chain) in the same run",
        "workloads": {},
        "notes": {},
    }
    total = perf_counter()
    for name in names:
        start = perf_counter()
        w = run_workload(name, peers, args.quick, timeout)
        results["workloads"][name] = w
        for peer, rec in w["peers"].items():
            if rec.get("notes"):
                results["notes"][peer] = rec["notes"]
        print(_progress(name, w, perf_counter() - start), flush=True)
    base = os.path.join(args.out, "latest")
    report.write_json(results, base + ".json")
    with open(base + ".md", "w", encoding="utf-8") as f:
        f.write(report.markdown(results))
    report.chart(results, base + ".png")
    print(f"wrote {base}.json, .md, .png in {perf_counter() - total:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
