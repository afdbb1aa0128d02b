"""Kamaelia 1.14.32's TopologyViewer measured the way bench.viewer measures Axon's viewer.

Run by ``bench.viewer`` as a child process (Kamaelia's display keeps a non-daemon thread,
so the child ends with ``os._exit``): ``python -m bench.viewer_kamaelia N SECONDS SEED``
feeds a random tree of N nodes (``randompos``) as token lists, times how long the commands
take to apply (Kamaelia applies one per scheduler cycle), then counts redraws for
SECONDS with the layout running, and prints one JSON line.  Needs the ``kamaelia``
package (the bench extra) and SDL's dummy video driver.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def measure(n: int, seconds: float, seed: int) -> dict[str, Any]:
    import Axon  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from Kamaelia.Visualisation.PhysicsGraph.TopologyViewer import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
        TopologyViewer,
    )

    rng = random.Random(seed)
    commands: list[list[str]] = [["ADD", "NODE", f"n{i}", f"node{i}", "randompos", "-"]
                                 for i in range(n)]
    commands += [["ADD", "LINK", f"n{i}", f"n{rng.randrange(i)}"] for i in range(1, n)]
    marks: dict[str, float] = {}
    renders: list[float] = []

    class Counted(TopologyViewer):  # type: ignore[misc]
        def render(self) -> None:
            renders.append(time.perf_counter())
            super().render()

    class Feeder(Axon.Component.component):  # type: ignore[misc]
        def main(self) -> Any:
            marks["start"] = time.perf_counter()
            for cmd in commands:
                self.send(cmd, "outbox")
            yield 1
            while viewer.dataReady("inbox"):
                yield 1
            marks["applied"] = time.perf_counter()
            start = len(renders)
            marks["t0"] = time.perf_counter()
            marks["cpu0"] = time.thread_time()
            while time.perf_counter() - marks["t0"] < seconds:
                yield 1
            marks["t1"] = time.perf_counter()
            marks["cpu1"] = time.thread_time()
            marks["renders"] = len(renders) - start
            result = {"n": n, "commands": len(commands),
                      "commands_per_s": len(commands) / (marks["applied"] - marks["start"]),
                      "fps": marks["renders"] / (marks["t1"] - marks["t0"]),
                      "fps_cpu": marks["renders"] / (marks["cpu1"] - marks["cpu0"])}
            print(json.dumps(result), flush=True)
            os._exit(0)

    viewer = Counted(screensize=(800, 600))
    feeder = Feeder()
    feeder.link((feeder, "outbox"), (viewer, "inbox"))
    viewer.activate()
    feeder.activate()
    Axon.Scheduler.scheduler.run.runThreads()
    return {}


if __name__ == "__main__":
    measure(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
    os._exit(1)  # (only if the scheduler returned without a result)
