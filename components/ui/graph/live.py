"""The live system view: an Introspector feeding a GraphViewer, to watch Axon run.

Components are hexagons, inboxes green squares, outboxes orange triangles; a thin grey
line joins a component to its boxes, an arrow an outbox to the inbox it feeds, a dashed
cyan arrow a passthrough (a parent's inbox to a child's, a child's outbox to its
parent's).  They appear and go as the system changes, and with ``counts=True`` each link
is labelled with the messages that went through it.  ``axon view script.py`` runs a
script's system with this view; ``include_self=True`` shows the viewer too.

What it cannot show: the display service hands replies and events straight into its
clients' inboxes (return addresses, not links), so no link leads from the display to
its clients.
"""

from __future__ import annotations

from typing import Any

from axon import Component, Graphline, Introspector

from .layout import Laws
from .particles import AXON_TYPES
from .viewer import GraphViewer

__all__ = ["AXON_LAWS", "live_view"]

#: The layout constants of the system view: components push each other well apart, boxes
#: gather close to their component (the link lengths come from the particle types).
AXON_LAWS = Laws(repulsion=1500.0, cutoff=170.0, spring=0.08)


def live_view(*systems: Component, include_self: bool = False, counts: bool = False,
              interval: float = 0.5, min_gap: float = 1 / 30,
              size: tuple[int, int] = (800, 600), clock: Any = None,
              **viewer_args: Any) -> Graphline:
    """A viewer showing ``systems`` (with ``include_self``: everything on the scheduler,
    the view too) as they run.

    ``counts``: label links with their message counts, updated every ``interval``
    seconds.  ``min_gap``: gather changes into one update at most this often (a system
    that makes a child per message changes all the time).  ``viewer_args`` go to the
    :class:`GraphViewer`; ``clock`` to the Introspector.  The view's ``outbox`` gives the viewer's notices (``SELECT
    NODE <id>``; the id is a component's or box's, as in :func:`axon.snapshot`).

    ::

        run(system, Graphline(display=Display(), view=live_view(system)))
    """
    if not systems and not include_self:
        raise ValueError("live_view: give the systems to watch, or include_self=True")
    introspector = Introspector(watch=systems or None, include_own=include_self,
                                counts=counts, interval=interval, min_gap=min_gap,
                                clock=clock)
    viewer_args.setdefault("particle_types", AXON_TYPES)
    viewer_args.setdefault("laws", AXON_LAWS)
    viewer = GraphViewer(size, **viewer_args)
    return Graphline({
        ("introspector", "outbox"): ("viewer", "inbox"),
        ("introspector", "signal"): ("viewer", "control"),
        ("viewer", "outbox"): ("self", "outbox"),
        ("viewer", "signal"): ("self", "signal"),
    }, name="LiveView", introspector=introspector, viewer=viewer)
