"""Drawings: a snapshot as a Graphviz graph (the ``graphviz`` package; ``dot`` renders it).

Left to right: each plain component is a node whose inboxes are ports down its left side
and outboxes down its right; a composition is a cluster holding its children, with its
own boxes as small tabs at the cluster's edges.  Data links are solid, ``control`` /
``signal`` links dashed grey; a link is labelled with its message count where known
(see axon/_core/_inspect.py).  Colours tell the state: finished is grey, failed red.

A component in another process (:class:`~axon.ChildProcess`) is a blue, bold-edged cluster
titled with its process id, holding what runs there; the links across the boundary are
bold blue, labelled with the messages that crossed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._core import BoxInfo, Component, ComponentInfo, Scheduler, Snapshot, snapshot

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw", "to_dot"]

CONTROL_BOXES = {"control", "signal"}
PROCESS_COLOUR = "#1f5fa8"
PROCESS_FILL = "#eef4fc"
STATE_COLOURS = {
    "new": "#ffffff", "runnable": "#e8f4e8", "paused": "#f4f4f4", "waiting": "#e8eef8",
    "blocked": "#fbeed5", "finished": "#e6e6e6", "failed": "#f8d0d0",
}
FONT = "Helvetica"


def _port(box: BoxInfo) -> str:
    return ("i_" if box.kind == "inbox" else "o_") + re.sub(r"\W", "_", box.name)


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _title(c: ComponentInfo) -> str:
    label = f"[{c.label}] " if c.label is not None and c.depth > 0 else ""
    return f"{label}{c.name}"


def _box_cell(box: BoxInfo, align: str) -> str:
    s = box.stats
    extra = ""
    if s.depth:
        extra += f" ({s.depth})"
    if s.dropped:
        extra += f" drop {s.dropped}"
    tip = _esc(f"{box.kind} {s.name}: {s.description}")
    colour = "#888888" if box.name in CONTROL_BOXES else "#000000"
    return (f'<td port="{_port(box)}" align="{align}" title="{tip}" tooltip="{tip}">'
            f'<font point-size="9" color="{colour}">{_esc(s.name)}{_esc(extra)}</font></td>')


def _node_label(c: ComponentInfo) -> str:
    rows = max(len(c.inboxes), len(c.outboxes), 1)
    fill = STATE_COLOURS.get(c.state, "#ffffff")
    status = c.state if not c.waiting_on else f"{c.state}: {c.waiting_on}"
    counts = f"in {c.received}" + (f" · out {c.sent}" if c.sent is not None else "")
    if c.process is not None:
        counts += f"<br/>{_process_title(c)}"
    middle = (f'<td rowspan="{rows}" bgcolor="{fill}" cellpadding="6">'
              f'<b>{_esc(_title(c))}</b><br/>'
              f'<font point-size="8" color="#555555">{_esc(c.type if c.type != c.name else "")}'
              f'{"<br/>" if c.type != c.name else ""}{_esc(status)}<br/>'
              f'{_esc(counts).replace("&lt;br/&gt;", "<br/>")}</font></td>')
    out = ['<table border="0" cellborder="1" cellspacing="0" cellpadding="2">']
    for i in range(rows):
        cells = [_box_cell(c.inboxes[i], "left") if i < len(c.inboxes) else '<td border="0"></td>']
        if i == 0:
            cells.append(middle)
        cells.append(_box_cell(c.outboxes[i], "right") if i < len(c.outboxes) else '<td border="0"></td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "<" + "".join(out) + ">"


def to_dot(target: Snapshot | Component | Scheduler, *, title: str | None = None) -> "graphviz.Digraph":
    """A ``graphviz.Digraph`` of ``target`` (a snapshot, a system, or a scheduler's systems)."""
    import graphviz  # an optional dependency: pip install graphviz (and apt-get install graphviz)

    snap = target if isinstance(target, Snapshot) else snapshot(target)
    infos = snap.by_id()
    dot = graphviz.Digraph("axon", graph_attr={
        "rankdir": "LR", "fontname": FONT, "fontsize": "11", "nodesep": "0.3", "ranksep": "0.5",
        "newrank": "true", "compound": "true", "labelloc": "t",
        **({"label": title} if title else {}),
    }, node_attr={"fontname": FONT, "fontsize": "10", "shape": "plain"},
        edge_attr={"fontname": FONT, "fontsize": "8", "arrowsize": "0.6"})

    def add(graph: graphviz.Digraph, c: ComponentInfo) -> None:
        if not c.is_composition:
            graph.node(c.id, label=_node_label(c), tooltip=c.path)
            return
        with graph.subgraph(name=f"cluster_{c.id}") as sub:
            fill = STATE_COLOURS.get(c.state, "#ffffff") if c.state == "failed" else "#fafafa"
            title = f"{_title(c)}  ({c.state})" if c.state not in ("new", "runnable") \
                else _title(c)
            if c.process is not None:  # another process: what runs there is inside
                sub.attr(label=f"{title}  — {_process_title(c)}", style="rounded,filled,bold",
                         fillcolor=PROCESS_FILL if c.state != "failed" else fill,
                         color=PROCESS_COLOUR, penwidth="2", fontcolor=PROCESS_COLOUR,
                         fontsize="11", tooltip=c.path)
            else:
                sub.attr(label=title, style="rounded,filled", fillcolor=fill,
                         color="#9a9a9a", fontsize="11", tooltip=c.path)
            for box in (*c.inboxes, *c.outboxes):
                tab_fill = "#fff6d5" if box.kind == "inbox" else "#dff0ff"
                depth = f" ({box.stats.depth})" if box.stats.depth else ""
                sub.node(_tab(c.id, box), label=f"{box.name}{depth}", shape="box",
                         style="rounded,filled", fillcolor=tab_fill, fontsize="8", height="0.2",
                         margin="0.04,0.02", tooltip=f"{box.kind} {box.name}: {box.stats.description}")
            for child_id in c.children:
                add(sub, infos[child_id])

    for c in snap.components:
        if c.parent is None or c.parent not in infos:
            add(dot, c)

    for lk in snap.links:
        src, dst = _end(infos, lk.source, "e"), _end(infos, lk.sink, "w")
        if src is None or dst is None:
            continue
        box_name = lk.source.split(".", 1)[1]  # component ids have no dot; box names may
        sink_name = lk.sink.split(".", 1)[1]
        ctl = box_name in CONTROL_BOXES or sink_name in CONTROL_BOXES
        attrs = {"style": "dashed", "color": "#9a9a9a"} if ctl else {"color": "#333333"}
        if lk.kind == "process":  # across a process boundary
            attrs.update(color=PROCESS_COLOUR, penwidth="2")
        if lk.count is not None and (lk.count or not ctl):
            attrs["label"] = str(lk.count)
            attrs["fontcolor"] = "#9a9a9a" if ctl else "#1f5fa8"
        if ctl:
            attrs["weight"] = "0"
        dot.edge(src, dst, tooltip=f"{lk.source} -> {lk.sink} ({lk.kind})", **attrs)
    return dot


def _process_title(c: ComponentInfo) -> str:
    p = c.process
    assert p is not None
    if p.pid is None:
        return "a child process (not started)"
    code = f", exit {p.exitcode}" if p.exitcode is not None else ""
    return f"process {p.pid}{code}: {p.messages_out} in, {p.messages_in} out"


def _tab(cid: str, box: BoxInfo) -> str:
    return f"{cid}__{_port(box)}"


def _end(infos: dict[str, ComponentInfo], bid: str, side: str) -> str | None:
    cid, name = bid.split(".", 1)
    c = infos.get(cid)
    if c is None:
        return None
    box = next((b for b in (*c.inboxes, *c.outboxes) if b.name == name), None)
    if box is None:
        return None
    if c.is_composition:
        return _tab(cid, box)
    return f"{cid}:{_port(box)}:{'w' if box.kind == 'inbox' else 'e'}"


def draw(target: Snapshot | Component | Scheduler, path: str | Path, *,
         format: str | None = None, title: str | None = None) -> Path:
    """Render ``target`` to ``path`` (format from the suffix: .svg, .png, .pdf, .dot/.gv).

    Needs the ``dot`` program (Debian package ``graphviz``) for anything but .dot/.gv.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    dot = to_dot(target, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("dot", "gv"):
        path.write_text(dot.source)
    else:
        path.write_bytes(dot.pipe(format=fmt))
    return path
