"""What a run did: the stats table, ``stats.json`` and the drawing of the running system."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from axon import Snapshot, draw

from .mixer import Mixer
from .script import ScriptedClient

__all__ = ["draw_system", "percentile", "report", "stats_table"]


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values`` (nearest rank), None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def report(mixer: Mixer, script: ScriptedClient | None, cpu_seconds: float) -> dict[str, Any]:
    """Every figure of the run, as plain data (written to ``stats.json``)."""
    fmt = mixer.fmt
    sources = {
        name: {"kind": e.stats.kind, "spec": e.stats.spec, "bytes_in": e.stats.bytes_in,
               "chunks": e.stats.chunks, "senders": e.stats.senders, "refused": e.stats.refused,
               "partial_bytes": e.stats.partial_bytes}
        for name, e in mixer.sources.items()
    }
    mixes = {}
    for name, e in mixer.mixes.items():
        s, t = e.bus.stats, e.bus.totals()
        mixes[name] = {
            "frames": s.frames, "bytes_out": s.bytes_out,
            "realtime_ratio": s.realtime_ratio(fmt.frame_seconds),
            "sources_on": sum(r.on for r in mixer.matrix[name].values()),
            "underruns": t.underruns, "inserted_samples": t.inserted_samples,
            "dropped_samples": t.dropped_samples, "padded_samples": t.padded_samples,
            "discarded_samples": t.discarded_samples, "trimmed_samples": t.trimmed_samples,
            "clipped_values": s.clipped_values, "late_wakes": s.late_wakes,
            "max_lateness_ms": s.max_lateness * 1000,
            "skipped_frames": s.skipped_frames,
            "tcp_clients": sum(lst.stats.accepted for lst in e.listeners),
            "tcp_bytes_out": sum(lst.stats.bytes_out for lst in e.listeners),
            "slow_clients_dropped": sum(lst.stats.slow_dropped for lst in e.listeners),
            "wav": ({"path": e.wav.stats.path, "samples": e.wav.stats.samples}
                    if e.wav is not None else None),
        }
    rtts = [r * 1000 for r in script.round_trips] if script is not None else []
    control = {
        "requests": mixer.requests,
        "round_trips": len(rtts),
        "rtt_ms_p50": percentile(rtts, 50),
        "rtt_ms_p99": percentile(rtts, 99),
        "rtt_ms_max": max(rtts) if rtts else None,
        "rtt_ms_mean": statistics.fmean(rtts) if rtts else None,
    }
    wall = mixer.uptime()
    return {"format": fmt.describe(), "wall_s": wall, "cpu_s": cpu_seconds,
            "cpu_fraction": cpu_seconds / wall if wall else None,
            "sources": sources, "mixes": mixes, "control": control}


def _n(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def stats_table(data: dict[str, Any]) -> str:
    """The report as text tables, for the console."""
    rows: list[str] = []

    def table(title: str, head: list[str], body: list[list[Any]]) -> None:
        cells = [head] + [[_n(v) for v in r] for r in body]
        widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
        rows.append(title)
        for r in cells:
            rows.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                         for i, (c, w) in enumerate(zip(r, widths, strict=True))))

    table("Sources", ["source", "kind", "bytes in", "chunks", "senders", "refused", "odd bytes"],
          [[n, s["kind"], s["bytes_in"], s["chunks"],
            s["senders"] if s["kind"] == "tcp" else None,
            s["refused"] if s["kind"] == "tcp" else None,
            s["partial_bytes"] if s["kind"] == "tcp" else None]
           for n, s in data["sources"].items()])
    table("Mixes", ["mix", "frames", "bytes out", "real-time", "on", "underruns", "inserted",
                    "dropped", "clipped", "late ticks", "tcp bytes out", "slow dropped"],
          [[n, m["frames"], m["bytes_out"], m["realtime_ratio"], m["sources_on"],
            m["underruns"], m["inserted_samples"], m["dropped_samples"], m["clipped_values"],
            m["late_wakes"], m["tcp_bytes_out"], m["slow_clients_dropped"]]
           for n, m in data["mixes"].items()])
    c = data["control"]
    rtt = (f"{c['round_trips']} round trips: p50 {c['rtt_ms_p50']:.2f} ms, "
           f"p99 {c['rtt_ms_p99']:.2f} ms, max {c['rtt_ms_max']:.2f} ms"
           if c["round_trips"] else "no scripted round trips")
    rows.append(f"Control: {c['requests']} requests; {rtt}")
    frac = data["cpu_fraction"]
    rows.append(f"Run: {data['wall_s']:.2f} s wall, {data['cpu_s']:.2f} s CPU"
                + (f" ({frac * 100:.1f}% of one core)" if frac is not None else ""))
    return "\n".join(rows)


def draw_system(snap: Snapshot, out_dir: Path, *, title: str) -> tuple[list[Path], str | None]:
    """Draw ``snap`` as ``mixer.svg`` and ``mixer.png`` in ``out_dir``; returns the files
    written and, if the drawing could not be rendered, why (the DOT source is written then)."""
    try:
        import graphviz  # type: ignore[import-untyped]
    except ImportError:
        return [], ("drawing skipped: the graphviz Python package is missing "
                    "(pip install -e '.[graph]')")
    written: list[Path] = []
    try:
        for suffix in ("svg", "png"):
            written.append(draw(snap, out_dir / f"mixer.{suffix}", title=title))
    except graphviz.ExecutableNotFound:
        dot = draw(snap, out_dir / "mixer.dot", title=title)
        return [dot], ("drawing not rendered: graphviz's `dot` program is missing "
                       f"(apt-get install graphviz); wrote its DOT source to {dot}")
    return written, None


def write_json(data: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def plot_mixes(wavs: dict[str, Path], marks: list[tuple[float, str]], path: Path) -> Path | None:
    """Spectrograms of each mix's WAV file, one above the other, with ``marks`` (seconds,
    label: the script's commands) drawn across them.  None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError:
        return None
    import wave

    if not wavs:
        return None
    fig, axes = plt.subplots(len(wavs), 1, figsize=(7.5, 1.2 + 1.6 * len(wavs)), dpi=110,
                             sharex=True, squeeze=False)
    for ax, (name, wav) in zip(axes[:, 0], wavs.items(), strict=True):
        with wave.open(str(wav), "rb") as w:
            rate, channels = w.getframerate(), w.getnchannels()
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, channels)
        ax.specgram(x[:, 0].astype(float), NFFT=2048, Fs=rate, noverlap=1536, cmap="magma",
                    vmin=-40, vmax=60)
        ax.set_ylim(0, 1500)
        ax.set_ylabel(f"{name}\nHz", fontsize=8)
        ax.tick_params(labelsize=7)
        for t, _ in marks:
            ax.axvline(t, color="white", lw=0.6, ls="--")
    top = axes[0, 0]
    for i, (t, label) in enumerate(marks):
        top.text(t + 0.02, 1450 - 170 * (i % 4), label, color="white", fontsize=6, va="top",
                 bbox={"facecolor": "black", "alpha": 0.55, "linewidth": 0, "pad": 1})
    top.set_title("the mixes, with the control commands that changed them", fontsize=9)
    axes[-1, 0].set_xlabel("seconds", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
