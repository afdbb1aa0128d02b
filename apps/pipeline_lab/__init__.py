"""The pipeline lab: one staged pipeline run six ways, timed, analysed and planned.

Four stages S1..S4 (configurable: sleep-bound, CPU-bound pure Python, or mixed) run as
plain code (P0), as Axon components in one process with blocking (P1) or non-blocking
(P2) calls, with a process per stage (P3), N processes per stage (P4), and as NATS
services in separate processes (P5, optionally on JetStream).  Every message carries
per-stage timestamps into a JSONL log; ``analyse`` turns logs into a table, findings and
plots, ``plan`` recommends processes per stage for a core budget and can confirm it.
A reproduction, with Axon, of the "Python-Nats Pipeline Exploration" study.
"""

from .analysis import RunStats, StageStats, analyse, findings, format_table
from .config import Calls, ConfigError, Kind, LabConfig, StageSpec, load
from .plan import Plan, make_plan
from .record import LogWriter, Run, read_log
from .variants import RunOptions, RunResult, Variant, run_variant

__all__ = [
    "Calls",
    "ConfigError",
    "Kind",
    "LabConfig",
    "LogWriter",
    "Plan",
    "Run",
    "RunOptions",
    "RunResult",
    "RunStats",
    "StageSpec",
    "StageStats",
    "Variant",
    "analyse",
    "findings",
    "format_table",
    "load",
    "make_plan",
    "read_log",
    "run_variant",
]
