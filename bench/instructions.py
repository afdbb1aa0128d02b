"""Instruction counts per hop, under valgrind's callgrind: a noise-free view of bench.core.

Run: ``python -m bench.instructions`` (needs ``valgrind``; takes a minute or two).

Wall-clock ratios on these shared machines move by a third from run to run; instruction
counts repeat exactly.  Each workload runs at two sizes and the difference is divided by
the extra hops, which removes start-up (interpreter, imports, building the system).

Each Axon workload runs on both cores side by side: the pure-Python one
(``AXON_PURE_PYTHON=1``) and the compiled one (axon/_core/_ccore.pyx), when it is built
(``python setup.py build_ext --inplace``); ``--core`` picks one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

WORKLOADS = {
    "floor": "floor_ns_per_hop(n)",
    "per-message": "axon_ns_per_hop(n, 1)",
    "per-message, 10k paused beside": "axon_ns_per_hop(n, 1, idle=10000)",
    "burst": "axon_ns_per_hop(n, 100)",
    "per-message, RECEIVE_ONE": "axon_ns_per_hop(n, 1, OneIdentity)",
    "burst, RECEIVE_ONE": "axon_ns_per_hop(n, 100, OneIdentity)",
    "per-message, classic idiom": "axon_ns_per_hop(n, 1, SendIdentity)",
    "burst, classic idiom": "axon_ns_per_hop(n, 100, SendIdentity)",
    "ref: round-robin, pause/wake": "round_robin_ns_per_hop(n, True)",
}

#: Long pipelines (name: call, stages): their stages' class is made 200 times before any
#: is linked, as a real program makes them, which is what once gave every such component
#: a dict of its own (CPython 3.11's shared keys: ``_seed_instance_keys`` in
#: axon/_core/_component.py); fewer messages, as each crosses 200 stages.
LONG = {
    "per-message, classic idiom, 200 stages": ("axon_ns_per_hop(n, 1, SendIdentity, stages=200)",
                                               200),
    "per-message, 200 stages": ("axon_ns_per_hop(n, 1, stages=200)", 200),
}
LONG_SIZES = (200, 600)

#: Per component, not per hop: a 100-stage pipeline (and a source and a sink) made, run
#: with one message and torn down, ``n`` times; asyncio's tasks and queues beside it.
SETUP = {
    "set-up, per component": "full_setup_us(n)",
    "set-up, per component, asyncio": "asyncio_setup_us(n)",
}
SETUP_COMPONENTS = 102

PROGRAM = """
import gc, sys
import axon._core._scheduler as s
s.Scheduler.__init__.__kwdefaults__["io_slice"] = 1e9  # no event-loop turns: they are
from bench.core import *                              # slowed by valgrind, not by Axon
n = int(sys.argv[1])
gc.collect()
{call}
"""


CORES = ("python", "compiled")


def instructions(call: str, n: int, core: str = "python") -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("AXON_PURE_PYTHON", None)
    if core == "python":
        env["AXON_PURE_PYTHON"] = "1"
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", PROGRAM.format(call=call), str(n)],
        capture_output=True, text=True, env=env, check=True,
    ).stderr
    match = re.search(r"Collected : (\d+)", out)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind: {out[-500:]}")
    return int(match.group(1))


def per_hop(call: str, small: int, large: int, core: str = "python", stages: int = 10) -> float:
    return (instructions(call, large, core) - instructions(call, small, core)) / (
        (large - small) * stages)


def per_component(call: str, small: int = 2, large: int = 6, core: str = "python") -> float:
    return (instructions(call, large, core) - instructions(call, small, core)) / (
        (large - small) * SETUP_COMPONENTS)


def compiled_core_built() -> bool:
    """True if the compiled core is built where this runs (a child process checks)."""
    env = {k: v for k, v in os.environ.items() if k != "AXON_PURE_PYTHON"}
    out = subprocess.run([sys.executable, "-c", "import axon; print(axon.core_implementation)"],
                         capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip() == "compiled"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--small", type=int, default=4000)
    ap.add_argument("--large", type=int, default=8000)
    ap.add_argument("--core", choices=("both", *CORES), default="both",
                    help="which core(s) to count (default: both, if the compiled one is built)")
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("bench.instructions needs valgrind (apt-get install valgrind)")
    cores = list(CORES) if args.core == "both" else [args.core]
    if "compiled" in cores and not compiled_core_built():
        if args.core == "compiled":
            raise SystemExit("the compiled core is not built (python setup.py build_ext --inplace)")
        print("(the compiled core is not built here: the pure-Python core only)")
        cores.remove("compiled")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {(name, core): pool.submit(per_hop, call, args.small, args.large, core)
                   for name, call in WORKLOADS.items()
                   for core in (cores[:1] if name == "floor" else cores)}
        setups = {(name, core): pool.submit(per_component, call, core=core)
                  for name, call in SETUP.items()
                  for core in (cores[:1] if "asyncio" in name else cores)}
        futures.update({(name, core): pool.submit(per_hop, call, *LONG_SIZES, core, stages)
                        for name, (call, stages) in LONG.items() for core in cores})
        counts = {key: f.result() for key, f in futures.items()}
        setup_counts = {key: f.result() for key, f in setups.items()}
    floor = counts["floor", cores[0]]
    head = "".join(f" {c + ' instr':>15} {'x floor':>8}" for c in cores)
    print(f"{'workload':34}{head}" + (f" {'compiled/python':>16}" if len(cores) == 2 else ""))
    for name in [*WORKLOADS, *LONG]:
        vals = [counts.get((name, c), counts.get((name, cores[0]), 0.0)) for c in cores]
        row = "".join(f" {v:15.0f} {v / floor:8.2f}" for v in vals)
        if len(cores) == 2:
            row += f" {vals[1] / vals[0]:16.2f}"
        print(f"{name:34}{row}")
    asyncio_setup = setup_counts["set-up, per component, asyncio", cores[0]]
    print(f"{'workload':34}" + "".join(f" {c + ' /comp':>15} {'x asyncio':>9}" for c in cores))
    for name in SETUP:
        vals = [setup_counts.get((name, c), setup_counts.get((name, cores[0]), 0.0))
                for c in cores]
        print(f"{name:34}" + "".join(f" {v:15.0f} {v / asyncio_setup:9.2f}" for v in vals))
    out = Path(__file__).parent / "results" / "instructions.json"
    rows: dict[str, dict[str, float]] = {}
    for (name, core), v in counts.items():
        key = name if core == "python" or name == "floor" else f"{name} [compiled core]"
        rows[key] = {"instructions_per_hop": v, "x_floor": v / floor}
    for (name, core), v in setup_counts.items():
        key = name if core == "python" or "asyncio" in name else f"{name} [compiled core]"
        rows[key] = {"instructions_per_component": v, "x_asyncio": v / asyncio_setup}
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
