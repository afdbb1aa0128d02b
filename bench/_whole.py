"""Whole-process probe: ``python -m bench._whole PEER N STAGES``; prints one JSON line.

Imports the peer (timed), runs N messages through STAGES stages, and reports the peak RSS
from ``resource.getrusage``. The parent measures the wall time around the whole process.
"""

import importlib
import json
import resource
import sys
from time import perf_counter


def main():
    peer, n, stages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    start = perf_counter()
    module = importlib.import_module(f"bench.peers.{peer}_peer")
    imported = perf_counter()
    received = module.small(n, stages)
    done = perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux
    print(json.dumps({"import_s": imported - start, "run_s": done - imported,
                      "received": received, "maxrss_kb": rss}))


if __name__ == "__main__":
    main()
