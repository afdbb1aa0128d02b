"""The compiled core against the pure-Python core, wall clock, side by side in one run.

Run: ``python -m bench.ccore`` (``--quick`` for a smoke run; the compiled core must be
built: ``python setup.py build_ext --inplace``, or ``pip install`` with a C compiler).
Prints a table and writes ``bench/results/ccore.json``.

The core is chosen as ``axon`` is imported, so each round runs one child process per core
(``AXON_PURE_PYTHON=1`` for the pure one), alternately, and each child measures the
floor (bench.core's raw generator chain) before and after each workload: a figure is the
median over the rounds of its ratio to the floor beside it.  The rows are bench.core's:
one message per timeslice and bursts of 100, in the README idiom (``yield RECEIVE``, a
cached ``out.push``) and the classic one (``finished()`` / ``recv_all()`` /
``self.send()`` / ``pause()`` / ``yield``).  ``python -m bench.instructions`` counts the
same rows in instructions, which do not move with the machine's load.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"

#: row -> (messages per timeslice, stage class in bench.core), and the issue's targets
#: for the compiled core (x the floor)
ROWS: dict[str, tuple[int, str, float]] = {
    "per-message, README idiom": (1, "Identity", 8.0),
    "per-message, classic idiom": (1, "SendIdentity", 12.0),
    "burst, README idiom": (100, "Identity", 1.5),
    "burst, classic idiom": (100, "SendIdentity", 1.5),
}
CORES = ("python", "compiled")


def child(messages: int) -> dict[str, Any]:
    """In a child process: each row's ratio to the floor measured around it."""
    import axon
    from bench import core

    out: dict[str, Any] = {"core": axon.core_implementation, "ratios": {}, "ns": {}}
    for row, (per_slice, stage, _) in ROWS.items():
        gc.collect()
        before = core.floor_ns_per_hop(messages)
        gc.collect()
        ns = core.axon_ns_per_hop(messages, per_slice, getattr(core, stage))
        gc.collect()
        after = core.floor_ns_per_hop(messages)
        out["ratios"][row] = ns / math.sqrt(before * after)
        out["ns"][row] = ns
    return out


def run_child(core_name: str, messages: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "AXON_PURE_PYTHON"}
    if core_name == "python":
        env["AXON_PURE_PYTHON"] = "1"
    proc = subprocess.run([sys.executable, "-m", "bench.ccore", "--child", str(messages)],
                          capture_output=True, text=True, env=env, timeout=900,
                          cwd=Path(__file__).resolve().parents[1])
    if proc.returncode != 0:
        raise RuntimeError(f"bench.ccore child ({core_name}) failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    if result["core"] != core_name:
        raise SystemExit(f"the {core_name} core is not available here (got {result['core']}): "
                         "build it with python setup.py build_ext --inplace")
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--output", type=Path, default=RESULTS / "ccore.json")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return {}
    if args.quick:
        args.messages, args.rounds = 2_000, 1
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in CORES}
    for r in range(args.rounds):  # alternately, so drift in the machine's speed hits both
        for c in (CORES if r % 2 == 0 else CORES[::-1]):
            print(f"  .. round {r + 1}/{args.rounds}: {c} core", file=sys.stderr, flush=True)
            runs[c].append(run_child(c, args.messages))
    table: dict[str, dict[str, float]] = {}
    print(f"\nThe compiled core beside the pure-Python one: {args.messages:,} messages, 10 "
          f"stages, {args.rounds} rounds (median ratio to the floor measured beside each)")
    print(f"{'workload':28} {'python':>8} {'compiled':>9} {'compiled/python':>16} "
          f"{'target':>8}")
    for row, (_, _, target) in ROWS.items():
        py = statistics.median(x["ratios"][row] for x in runs["python"])
        cc = statistics.median(x["ratios"][row] for x in runs["compiled"])
        table[row] = {"python_x_floor": py, "compiled_x_floor": cc, "compiled_vs_python": cc / py,
                      "target_compiled_x_floor": target, "met": cc <= target}
        print(f"{row:28} {py:7.2f}x {cc:8.2f}x {cc / py:16.2f} {'<= ' + format(target, 'g'):>7}x")
    result = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "python": sys.version.split()[0],
              "messages": args.messages, "rounds": args.rounds, "rows": table,
              "runs": runs}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
