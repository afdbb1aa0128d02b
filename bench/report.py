"""Writing results: ratios to the floor, the JSON file, the Markdown table, the bar chart."""

from __future__ import annotations

import json
import math
import os
import platform
from datetime import datetime, timezone

from bench.workloads import WORKLOADS

FLOOR = "floor"


def machine() -> dict:
    """CPU model (from /proc/cpuinfo), cores, Python version, platform."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform()}


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def add_ratios(workload: str, peers: dict) -> None:
    """Give every figure a ratio to the floor's: how many times the floor's cost (>1 = slower).

    For times that is peer/floor; for rates (items/s) floor/peer, so that every ratio reads
    the same way.
    """
    floor = peers.get(FLOOR, {}).get("figures")
    for record in peers.values():
        figures = record.get("figures")
        if not figures or not floor:
            continue
        ratios = {}
        for fig in WORKLOADS[workload].figures:
            v, f = figures.get(fig.key), floor.get(fig.key)
            if v is None or f is None or v <= 0 or f <= 0:
                continue
            ratios[fig.key] = v / f if fig.lower_is_better else f / v
        record["ratios"] = ratios


def write_json(results: dict, path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def _fmt(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.0f}k"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _ratio(r: float) -> str:
    return f"{r:.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def markdown(results: dict) -> str:
    peers = results["peers"]
    m = results["machine"]
    lines = [
        "# Axon side-by-side benchmark",
        "",
        f"- Date: {results['date']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores; {m['implementation']} {m['python']} "
        f"on {m['platform']}",
        f"- Mode: {'quick (smoke-test sizes, not for comparison)' if results['quick'] else 'full'}",
        f"- Command: `{results['command']}`",
        "",
        "Each cell: the figure, then in brackets its ratio to the raw generator chain measured "
        "in the same process run (how many times the floor's cost; lower is better, 1x = the "
        "floor). Message counts were checked: a peer whose sinks missed a message shows an error.",
        "",
        "| workload | figure | unit | " + " | ".join(peers) + " |",
        "|---|---|---|" + "---|" * len(peers),
    ]
    errors = []
    for name, w in results["workloads"].items():
        for fig in WORKLOADS[name].figures:
            cells = []
            for peer in peers:
                rec = w["peers"].get(peer, {})
                if "error" in rec:
                    cells.append("error")
                    errors.append((name, peer, rec["error"]))
                    continue
                v = rec.get("figures", {}).get(fig.key)
                if v is None:
                    cells.append("-")
                    continue
                r = rec.get("ratios", {}).get(fig.key)
                cells.append(_fmt(v) if peer == FLOOR or r is None else f"{_fmt(v)} ({_ratio(r)})")
            lines.append(f"| {name} | {fig.label} | {fig.unit} | " + " | ".join(cells) + " |")
    lines += ["", "## Sizes used", ""]
    for name, w in results["workloads"].items():
        sizes = []
        for peer in peers:
            params = w["peers"].get(peer, {}).get("params")
            if params:
                sizes.append(f"{peer}: " + ", ".join(f"{k}={v}" for k, v in params.items()))
        lines.append(f"- **{name}** ({w['title']}): " + "; ".join(sizes))
        if w.get("meta"):
            lines.append("  - " + ", ".join(f"{k}={_fmt(v)}" for k, v in w["meta"].items()))
    if errors:
        lines += ["", "## Errors", ""]
        seen = set()
        for name, peer, err in errors:
            if (name, peer) not in seen:
                seen.add((name, peer))
                lines.append(f"- {name} / {peer}: {err.strip().splitlines()[-1][:400]}")
    lines += ["", "## How each peer is driven", ""]
    for peer, note in results.get("notes", {}).items():
        lines.append(f"- **{peer}**: {note}")
    return "\n".join(lines) + "\n"


def chart(results: dict, path: str) -> None:
    """Log-scale bars: ratio to the floor, per workload figure, per peer."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    peers = [p for p in results["peers"] if p != FLOOR]
    rows = [(name, fig) for name, w in results["workloads"].items()
            for fig in WORKLOADS[name].figures]
    fig_, ax = plt.subplots(figsize=(max(8, 1.3 * len(rows) + 3), 6), dpi=100)
    width = 0.8 / max(1, len(peers))
    lowest = 1.0
    cmap = plt.get_cmap("tab10")
    for j, peer in enumerate(peers):
        xs, ys = [], []
        for i, (name, fig) in enumerate(rows):
            r = results["workloads"][name]["peers"].get(peer, {}).get("ratios", {}).get(fig.key)
            if r is not None and r > 0 and math.isfinite(r):
                xs.append(i - 0.4 + width * (j + 0.5))
                ys.append(r)
                lowest = min(lowest, r)
        ax.bar(xs, ys, width=width, label=peer, color=cmap(j % 10))
    ax.set_yscale("log")
    ax.set_ylim(bottom=lowest / 2)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([f"{n}\n{f.label}" for n, f in rows], rotation=35, ha="right",
                       fontsize=7)
    ax.set_ylabel("cost as a multiple of the raw generator chain (log)")
    m = results["machine"]
    ax.set_title(f"Axon and peers vs the raw generator chain - {results['date']}\n"
                 f"{m['cpu']}, {m['cores']} cores, Python {m['python']}"
                 + (" (quick sizes)" if results["quick"] else ""), fontsize=9)
    ax.legend(fontsize=8, ncol=min(4, len(peers)))
    fig_.tight_layout()
    fig_.savefig(path)
    plt.close(fig_)
