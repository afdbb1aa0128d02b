"""One workload in a fresh interpreter: ``python -m bench._child WORKLOAD PEERS OUT [--quick]``.

Measures the peers in the order given (the floor first) and appends one JSON line per event
to OUT: ``{"peer": p, "event": "start"}`` before a peer runs, then ``{"peer": p, "figures":
..., "params": ...}`` or ``{"peer": p, "error": "..."}``. Writing as it goes means a peer
that hangs or kills the interpreter loses only its own result: the parent sees which peer
started and never finished.
"""

import importlib
import json
import sys
import traceback

from bench.peers import module_name
from bench.workloads import measure, interpreter_start_ms


def _emit(out, record):
    out.write(json.dumps(record) + "\n")
    out.flush()


def main():
    workload, peers, path = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    quick = "--quick" in sys.argv[4:]
    with open(path, "a", encoding="utf-8") as out:
        if workload == "process":
            _emit(out, {"meta": {"interpreter_start_ms": interpreter_start_ms()}})
        for peer in peers:
            _emit(out, {"peer": peer, "event": "start"})
            try:
                module = importlib.import_module(module_name(peer))
                figures, params = measure(workload, module, quick)
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                tb = traceback.format_exception(exc)
                _emit(out, {"peer": peer,
                            "error": f"{type(exc).__name__}: {exc}",
                            "traceback": "".join(tb[-3:])})
                continue
            _emit(out, {"peer": peer, "figures": figures, "params": params,
                        "notes": getattr(module, "NOTES", "")})
    return 0


if __name__ == "__main__":
    sys.exit(main())
