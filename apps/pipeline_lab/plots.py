"""The lab's figures (matplotlib, written as PNG): one file per question, and a timeline.

- ``throughput.png``: messages a second per run, with the bound the model allows;
- ``latency.png``: end-to-end latency percentiles (p50, p90, p99) per run;
- ``stages.png``: per stage and run, the mean transfer, queueing and service time;
- ``utilisation.png``: how busy each stage's processes were, per run;
- ``timeline.png``: the first messages of each run drawn on a time axis (a bar per stage
  and message), which shows at a glance what ran at the same time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .analysis import RunStats
from .record import END, START, Run

__all__ = ["plot_all"]

STAGE_COLOURS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _labels(stats: list[RunStats]) -> list[str]:
    return [s.label for s in stats]


def throughput(ax: Any, stats: list[RunStats]) -> None:
    xs = range(len(stats))
    values = [s.throughput for s in stats]
    bars = ax.bar(xs, values, color="#4C72B0", label="measured")
    for x, s in zip(xs, stats):
        if s.bound != float("inf"):
            ax.hlines(s.bound, x - 0.4, x + 0.4, colors="#C44E52", linestyles="--",
                      label="bound" if x == 0 else None)
    for b, v in zip(bars, values):
        ax.annotate(f"{v:.0f}", (b.get_x() + b.get_width() / 2, v), ha="center",
                    va="bottom", fontsize=8)
    ax.set_xticks(list(xs), _labels(stats), rotation=20, ha="right")
    ax.set_ylabel("messages / s")
    ax.set_title("Throughput per variant (dashed: what the stages and cores allow)")
    ax.legend(fontsize=8, loc="upper left")


def latency(ax: Any, stats: list[RunStats]) -> None:
    width = 0.27
    for i, (q, colour) in enumerate((("p50", "#55A868"), ("p90", "#DD8452"),
                                     ("p99", "#C44E52"))):
        xs = [x + (i - 1) * width for x in range(len(stats))]
        ax.bar(xs, [s.latency_ms[q] for s in stats], width, label=q, color=colour)
    ax.set_xticks(range(len(stats)), _labels(stats), rotation=20, ha="right")
    ax.set_ylabel("ms from sent to done")
    ax.set_title("End-to-end latency percentiles")
    ax.legend(fontsize=8)


def stage_times(ax: Any, stats: list[RunStats]) -> None:
    n_st = max(len(s.stages) for s in stats)
    group = n_st + 1
    ticks, labels = [], []
    for i, run in enumerate(stats):
        for k, st in enumerate(run.stages):
            x = i * group + k
            bottom = 0.0
            for value, colour, name in ((st.transfer_ms, "#BBBBBB", "transfer"),
                                        (st.queue_ms, "#DD8452", "queueing"),
                                        (st.service_ms, "#4C72B0", "service")):
                ax.bar(x, value, bottom=bottom, color=colour,
                       label=name if i == 0 and k == 0 else None)
                bottom += value
            ticks.append(x)
            labels.append(st.name)
        ax.text(i * group + (n_st - 1) / 2, -0.12, run.label, ha="center", va="top",
                transform=ax.get_xaxis_transform(), fontsize=8)
    ax.set_xticks(ticks, labels, fontsize=7)
    ax.set_ylabel("ms per message (mean)")
    ax.set_title("Where each stage's time goes")
    ax.legend(fontsize=8)


def utilisation(ax: Any, stats: list[RunStats]) -> None:
    n_st = max(len(s.stages) for s in stats)
    grid = [[(s.stages[k].utilisation if k < len(s.stages) else 0.0) for k in range(n_st)]
            for s in stats]
    im = ax.imshow(grid, cmap="YlOrRd", vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(grid):
        for k, u in enumerate(row):
            procs = stats[i].stages[k].processes if k < len(stats[i].stages) else 0
            ax.text(k, i, f"{u:.0%}" + (f"\n{procs} procs" if procs > 1 else ""),
                    ha="center", va="center", fontsize=8,
                    color="white" if u > 0.6 else "black")
    ax.set_xticks(range(n_st), [st.name for st in stats[0].stages])
    ax.set_yticks(range(len(stats)), _labels(stats))
    ax.set_title("Stage utilisation (busy time / span / processes)")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)


def timeline(runs: list[Run], path: Path, messages: int = 12) -> None:
    """A panel per run: the first ``messages`` messages, a bar per stage's service."""
    plt = _plt()
    fig, axes = plt.subplots(len(runs), 1, figsize=(10, 1.4 + 1.15 * len(runs)),
                             squeeze=False)
    for ax, run in zip(axes[:, 0], runs):
        msgs = sorted(run.messages, key=lambda m: m["sent"])[:messages]
        if not msgs:
            continue
        t0 = min(m["sent"] for m in msgs)
        for row, m in enumerate(msgs):
            ax.hlines(row, (m["sent"] - t0) / 1e6, (m["done"] - t0) / 1e6, colors="#DDDDDD",
                      linewidth=1)
            for st in m["stages"]:
                ax.barh(row, (st[END] - st[START]) / 1e6, left=(st[START] - t0) / 1e6,
                        height=0.8, color=STAGE_COLOURS[st[0] % len(STAGE_COLOURS)])
        ax.set_ylabel(run.label, rotation=0, ha="right", va="center", fontsize=9)
        ax.set_yticks([])
        ax.invert_yaxis()
    axes[-1, 0].set_xlabel("ms since the first message was sent")
    names = runs[0].stage_names
    handles = [plt.Rectangle((0, 0), 1, 1, color=STAGE_COLOURS[k % len(STAGE_COLOURS)])
               for k in range(len(names))]
    fig.legend(handles, names, loc="upper right", ncol=len(names), fontsize=8)
    fig.suptitle(f"The first {messages} messages of each run (a row per message, a bar per "
                 "stage at work; grey: waiting)", fontsize=10, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_all(stats: list[RunStats], runs: list[Run], out: str | Path) -> list[Path]:
    """Write every figure into directory ``out``; returns their paths."""
    plt = _plt()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    n = len(stats)
    for name, draw, size in (("throughput", throughput, (1.6 + 1.1 * n, 4.2)),
                             ("latency", latency, (1.6 + 1.1 * n, 4.2)),
                             ("stages", stage_times, (2 + 1.9 * n, 4.4)),
                             ("utilisation", utilisation, (6, 1.6 + 0.5 * n))):
        fig, ax = plt.subplots(figsize=size)
        draw(ax, stats)
        fig.tight_layout()
        path = out / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    path = out / "timeline.png"
    timeline(runs, path)
    written.append(path)
    return written
