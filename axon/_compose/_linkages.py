"""Linkages: the table of links by child label that Graphline and Supervisor are wired by.

``{("A", "outbox"): ("B", "inbox")}`` names boxes by child label; ``"self"`` is the
composition itself.  Every linkage is checked before any link is made, so a bad table
fails at construction naming the bad entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._core import Component, LinkError

__all__ = ["SELF", "Linkages", "check_linkages", "linkage_pairs", "make_linkages",
           "pipeline_linkages"]

#: ``{(child label, box): (child label, box)}``; the label ``"self"`` is the composition.
#: A value may also be a list of ``(label, box)`` pairs: that source fans out to each.
Linkages = Mapping[tuple[str, str], "tuple[str, str] | list[tuple[str, str]]"]

SELF = "self"


def _describe(end: Any) -> str:
    return f"({end[0]!r}, {end[1]!r})" if isinstance(end, tuple) and len(end) == 2 else repr(end)


def linkage_pairs(linkages: Linkages) -> list[tuple[Any, Any]]:
    """Every (source, sink) of ``linkages``, a fan-out value giving one pair per sink."""
    pairs: list[tuple[Any, Any]] = []
    for source, sink in linkages.items():
        if isinstance(sink, list):
            pairs.extend((source, s) for s in sink)
        else:
            pairs.append((source, sink))
    return pairs


def check_linkages(owner: Component, linkages: Linkages, children: Mapping[str, Component]) -> None:
    """Raise :class:`LinkError` naming the first bad linkage: unknown label or box, wrong side.

    A source must be a child's outbox or the owner's inbox; a sink a child's inbox or the
    owner's outbox.
    """
    for source, sink in linkage_pairs(linkages):
        where = f"{owner.name} linkage {_describe(source)} -> {_describe(sink)}"
        for end, role in ((source, "source"), (sink, "sink")):
            if not (isinstance(end, tuple) and len(end) == 2 and all(isinstance(x, str) for x in end)):
                raise LinkError(f"{where}: the {role} must be a (label, box name) pair of str")
            label, box = end
            if label == SELF:
                comp, side = owner, "inbox" if role == "source" else "outbox"
                other = "outbox" if side == "inbox" else "inbox"
                hint = f"; declare it with {side}es={{{box!r}: 'description'}}"
            elif label in children:
                comp = children[label]
                side = "outbox" if role == "source" else "inbox"
                other = "inbox" if side == "outbox" else "outbox"
                hint = ""
            else:
                known = ", ".join(sorted(children)) or "none"
                raise LinkError(f"{where}: no child named {label!r} (children: {known}, and 'self')")
            boxes = comp.inboxes if side == "inbox" else comp.outboxes
            if box not in boxes:
                others = comp.outboxes if side == "inbox" else comp.inboxes
                if box in others:
                    raise LinkError(
                        f"{where}: {label}.{box} is an {other}; a link {role} there must be an "
                        f"{side}"
                    )
                raise LinkError(
                    f"{where}: {label} ({comp.name}) has no {side} {box!r} "
                    f"({side}es: {', '.join(boxes)}){hint}"
                )


def make_linkages(
    owner: Component, linkages: Linkages, children: Mapping[str, Component],
    only: str | None = None,
) -> None:
    """Make the links of ``linkages`` (owned by ``owner``); with ``only``, those touching it."""
    for (a, abox), (b, bbox) in linkage_pairs(linkages):
        if only is not None and only not in (a, b):
            continue
        src = owner if a == SELF else children[a]
        dst = owner if b == SELF else children[b]
        owner.link((src, abox), (dst, bbox))


def pipeline_linkages(labels: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """The linkages of a pipeline through ``labels``."""
    links = {(SELF, "inbox"): (labels[0], "inbox"), (SELF, "control"): (labels[0], "control")}
    for a, b in zip(labels, labels[1:]):
        links[(a, "outbox")] = (b, "inbox")
        links[(a, "signal")] = (b, "control")
    links[(labels[-1], "outbox")] = (SELF, "outbox")
    links[(labels[-1], "signal")] = (SELF, "signal")
    return links
