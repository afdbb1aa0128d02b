"""Instruction counts per hop, under valgrind's callgrind: a noise-free view of bench.core.

Run: ``python -m bench.instructions`` (needs ``valgrind``; takes a minute or two).

Wall-clock ratios on these shared machines move by a third from run to run; instruction
counts repeat exactly.  Each workload runs at two sizes and the difference is divided by
the extra hops, which removes start-up (interpreter, imports, building the system).
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


def instructions(call: str, n: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", PROGRAM.format(call=call), str(n)],
        capture_output=True, text=True, env=env, check=True,
    ).stderr
    match = re.search(r"Collected : (\d+)", out)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind: {out[-500:]}")
    return int(match.group(1))


def per_hop(call: str, small: int, large: int) -> float:
    return (instructions(call, large) - instructions(call, small)) / ((large - small) * 10)


def per_component(call: str, small: int = 2, large: int = 6) -> float:
    return (instructions(call, large) - instructions(call, small)) / (
        (large - small) * SETUP_COMPONENTS)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--small", type=int, default=4000)
    ap.add_argument("--large", type=int, default=8000)
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("bench.instructions needs valgrind (apt-get install valgrind)")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(per_hop, call, args.small, args.large)
                   for name, call in WORKLOADS.items()}
        setups = {name: pool.submit(per_component, call) for name, call in SETUP.items()}
        counts = {name: f.result() for name, f in futures.items()}
        setup_counts = {name: f.result() for name, f in setups.items()}
    floor = counts["floor"]
    print(f"{'workload':34} {'instr/hop':>10} {'x floor':>8}")
    for name, value in counts.items():
        print(f"{name:34} {value:10.0f} {value / floor:8.2f}")
    asyncio_setup = setup_counts["set-up, per component, asyncio"]
    print(f"{'workload':34} {'instr/comp':>10} {'x asyncio':>9}")
    for name, value in setup_counts.items():
        print(f"{name:34} {value:10.0f} {value / asyncio_setup:9.2f}")
    out = Path(__file__).parent / "results" / "instructions.json"
    rows: dict[str, dict[str, float]] = {
        k: {"instructions_per_hop": v, "x_floor": v / floor} for k, v in counts.items()}
    rows.update({k: {"instructions_per_component": v, "x_asyncio": v / asyncio_setup}
                 for k, v in setup_counts.items()})
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
