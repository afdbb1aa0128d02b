"""Issue 13's "beyond": two ideas for the per-message cost, measured, not adopted.

Run: ``python -m bench.beyond`` (needs ``valgrind``; about two minutes).  Instruction counts
per hop under callgrind, as ``bench.instructions`` counts them (two sizes, the difference over
the extra hops), for the README idiom's 10-stage pipeline (``bench.core.Identity``).

1. *Hand a message straight to a sole paused RECEIVE reader.*  A prototype push, installed
   on every stage's outbox after the pipeline is built: if the reader sleeps in ``yield
   RECEIVE`` with nothing waiting, the sender runs it at once, nested, with ``[msg]``
   (as the floor's push chain does); otherwise it appends to the inbox as today.  What it
   leaves out is what the product would have to add, and what the measurement shows it
   would cost: a nested timeslice is not the scheduler's (``Scheduler.current``, the
   instruments and the timeslice counts do not see it), an error in the reader surfaces in
   the sender's ``send`` (it must be caught there and charged to the reader), a chain of
   N stages nests N deep (a depth cap, then the queue), and a bounded or watched inbox
   cannot be skipped.
2. *Let stages drain several messages per turn.*  Scheduling a pipeline's stages in order
   does not by itself batch anything: with a source that sends one message per timeslice,
   each stage still finds one message per turn.  Batching needs messages to wait: the cost
   per hop when each timeslice carries ``k`` messages (the source's ``per_slice``) is what
   a scheduler that held a stage back until ``k`` had gathered would pay, and ``k - 1``
   timeslices of the sender is the latency it would add to the first of them.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.instructions import instructions

PROGRAM_HANDOFF = """
import gc, sys
import axon._core._scheduler as s
s.Scheduler.__init__.__kwdefaults__["io_slice"] = 1e9
from axon import Pipeline, Scheduler, RECEIVE
from bench.core import Source, Identity, Counter, STAGES
n = int(sys.argv[1])
gc.collect()

def handoff(rt, q):
    def push(msg):
        if rt.resume is RECEIVE and not q and not rt.control:  # asleep, or queued to sleep
            rt.received += 1.0
            y = rt.send([msg])  # the reader's timeslice, nested in the sender's
            assert y is RECEIVE
        else:
            q.append(msg)
    return push

sched = Scheduler()
source, counter = Source(n, 1), Counter(stop=[])
stages = [Identity() for _ in range(STAGES)]
sched.activate(Pipeline(source, *stages, counter))
for a, b in zip([source, *stages], [*stages, counter]):
    ob, ib = a.outboxes["outbox"], b.inboxes["inbox"]
    ob.push = a._axon_pushes["outbox"] = handoff(b._axon_task, ib.own_queue())
sched.run()
assert counter.count == n, counter.count
"""


def per_hop(program: str, small: int, large: int) -> float:
    return (instructions(program, large) - instructions(program, small)) / ((large - small) * 10)


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=4000)
    ap.add_argument("--large", type=int, default=8000)
    ap.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "beyond.json")
    args = ap.parse_args(argv)
    rows = {
        "floor": "floor_ns_per_hop(n)",
        "today, 1 message a timeslice": "axon_ns_per_hop(n, 1)",
        **{f"today, {k} messages a timeslice": f"axon_ns_per_hop(n, {k})" for k in (2, 4, 8, 16, 100)},
    }
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(per_hop, call, args.small, args.large) for name, call in rows.items()}
        # (instructions() formats its call into bench.instructions' program: pass the whole
        # program through the same hook by making the call a no-op after it)
        futures["hand-off, 1 message a timeslice"] = pool.submit(
            per_hop, "pass\n" + PROGRAM_HANDOFF, args.small, args.large)
        counts = {name: f.result() for name, f in futures.items()}
    floor = counts["floor"]
    result = {name: round(v, 1) for name, v in counts.items()}
    print(f"{'README idiom, 10 stages':36} {'instr/hop':>10} {'x floor':>8}")
    for name, value in counts.items():
        print(f"{name:36} {value:10.0f} {value / floor:8.2f}")
    args.output.write_text(json.dumps({"instructions_per_hop": result,
                                       "x_floor": {k: round(v / floor, 2) for k, v in counts.items()}},
                                      indent=2) + "\n")
    print(json.dumps({k: round(v / floor, 2) for k, v in counts.items()}))
    return result


if __name__ == "__main__":
    main()
