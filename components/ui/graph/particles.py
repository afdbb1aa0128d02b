"""Particle types: how each type of node in the graph viewer looks and weighs.

A node's ``<type>`` (the last word of ``ADD NODE``) names a :class:`ParticleType`.  The
viewer draws in passes so that the picture does not depend on the order of the nodes:
first every link (by its source node's type, :meth:`ParticleType.draw_link`), then every
node (:meth:`ParticleType.draw`), then the labels, then the selection ring.  So links
always run under nodes.  To add a type, subclass :class:`ParticleType` and give the viewer
``particle_types={"name": MyType()}``.

The built-in types: ``-`` (and ``blob``), a disc; ``square`` and ``diamond``; and the
Axon system view's ``component`` (a hexagon labelled with the last part of its path),
``inbox`` (a green square) and ``outbox`` (an orange triangle), whose links are drawn by
kind: ownership thin and grey, outbox to inbox with an arrow, passthroughs (inbox to
inbox, outbox to outbox) dashed in cyan.
"""

from __future__ import annotations

import math

import pygame

__all__ = [
    "AXON_TYPES",
    "DEFAULT_TYPES",
    "Blob",
    "BoxParticle",
    "ComponentParticle",
    "Diamond",
    "ParticleType",
    "Square",
    "compact_count",
    "dashed_line",
]

Colour = tuple[int, int, int]
Point = tuple[int, int]

LINK = (150, 156, 178)
SELECTED = (255, 220, 60)


class ParticleType:
    """A node type: its size, repulsion and drawing.  Override what differs.

    ``radius`` is in pixels of the plane (times the zoom on screen): it is what a click
    must hit.  ``charge`` scales the repulsion from other nodes; :meth:`link_length` gives
    the rest length of a link from a node of this type (None: the layout's default).
    """

    radius: float = 8.0
    charge: float = 1.0
    colour: Colour = (90, 150, 230)
    outline: Colour = (20, 24, 36)
    label_colour: Colour = (225, 228, 236)
    font_size: int = 18
    arrows: bool = True

    def label(self, name: str) -> str:
        """The text shown beside the node."""
        return name

    def link_length(self, target: ParticleType) -> float | None:
        """Rest length of a link from a node of this type to one of ``target``'s."""
        return None

    def draw(self, surface: pygame.Surface, x: int, y: int, r: float, selected: bool) -> None:
        """Draw the node centred at ``(x, y)`` with radius ``r`` on screen."""
        ri = max(2, round(r))
        pygame.draw.circle(surface, self.colour, (x, y), ri)
        pygame.draw.circle(surface, self.outline, (x, y), ri, 1)

    def draw_link(self, surface: pygame.Surface, a: Point, b: Point, target: ParticleType,
                  target_r: float) -> None:
        """Draw a link from a node of this type at ``a`` to one at ``b`` (radius
        ``target_r`` on screen, so an arrow can stop at its edge)."""
        pygame.draw.line(surface, LINK, a, b)
        if self.arrows:
            arrow(surface, LINK, a, b, target_r)

    def draw_label(self, surface: pygame.Surface, label: pygame.Surface, x: int, y: int,
                   r: float) -> None:
        """Put the rendered label near the node (default: to its right)."""
        surface.blit(label, (x + int(r) + 4, y - label.get_height() // 2))


class Blob(ParticleType):
    """The default type (``-``): a blue disc."""


class Square(ParticleType):
    """A square (type ``square``)."""

    colour = (226, 120, 90)

    def draw(self, surface: pygame.Surface, x: int, y: int, r: float, selected: bool) -> None:
        ri = max(2, round(r))
        rect = pygame.Rect(x - ri, y - ri, 2 * ri, 2 * ri)
        pygame.draw.rect(surface, self.colour, rect)
        pygame.draw.rect(surface, self.outline, rect, 1)


class Diamond(ParticleType):
    """A diamond (type ``diamond``)."""

    colour = (120, 200, 120)

    def draw(self, surface: pygame.Surface, x: int, y: int, r: float, selected: bool) -> None:
        ri = max(2, round(r * 1.2))
        pts = [(x, y - ri), (x + ri, y), (x, y + ri), (x - ri, y)]
        pygame.draw.polygon(surface, self.colour, pts)
        pygame.draw.polygon(surface, self.outline, pts, 1)


def arrow(surface: pygame.Surface, colour: Colour, a: Point, b: Point, target_r: float,
          size: float = 7.0) -> None:
    """An arrowhead on the segment a -> b, its tip at the target's edge."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = math.hypot(dx, dy)
    if d <= target_r + size:
        return
    ux, uy = dx / d, dy / d
    tx, ty = b[0] - ux * target_r, b[1] - uy * target_r
    bx, by = tx - ux * size, ty - uy * size
    w = size * 0.45
    pygame.draw.polygon(surface, colour, [(tx, ty), (bx - uy * w, by + ux * w),
                                          (bx + uy * w, by - ux * w)])


def dashed_line(surface: pygame.Surface, colour: Colour, a: Point, b: Point,
                dash: float = 6.0, width: int = 1) -> None:
    """A dashed segment (pygame draws only solid ones)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = math.hypot(dx, dy)
    if d < 1:
        return
    n = max(1, int(d / dash))
    sx, sy = dx / n, dy / n
    lines = pygame.draw.line
    for k in range(0, n, 2):
        lines(surface, colour, (a[0] + sx * k, a[1] + sy * k),
              (a[0] + sx * (k + 1), a[1] + sy * (k + 1)), width)


def compact_count(label: str) -> str:
    """A number label shortened for a link (12345 -> 12.3k); other labels unchanged."""
    if not label.isdigit():
        return label
    n = int(label)
    if n < 10_000:
        return label
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return label  # pragma: no cover


# -- the Axon system view's types --------------------------------------------------------------

OWNS = (92, 98, 118)
FLOWS = (205, 210, 225)
PASSES = (80, 200, 220)
FORWARDS = (210, 110, 210)


class ComponentParticle(ParticleType):
    """An Axon component: a hexagon, labelled with the last part of its path."""

    radius = 15.0
    charge = 3.0
    colour = (70, 110, 200)
    font_size = 18

    def label(self, name: str) -> str:
        return name.rsplit(":", 1)[-1]

    def link_length(self, target: ParticleType) -> float | None:
        return 34.0  # to its own boxes: close

    def draw(self, surface: pygame.Surface, x: int, y: int, r: float, selected: bool) -> None:
        pts = [(x + r * math.cos(k * math.pi / 3), y + r * math.sin(k * math.pi / 3))
               for k in range(6)]
        pygame.draw.polygon(surface, self.colour, pts)
        pygame.draw.polygon(surface, (150, 180, 240), pts, 1)

    def draw_link(self, surface: pygame.Surface, a: Point, b: Point, target: ParticleType,
                  target_r: float) -> None:
        pygame.draw.line(surface, OWNS, a, b)

    def draw_label(self, surface: pygame.Surface, label: pygame.Surface, x: int, y: int,
                   r: float) -> None:
        surface.blit(label, (x - label.get_width() // 2, y + int(r) + 2))


class BoxParticle(ParticleType):
    """An Axon inbox (a green square) or outbox (an orange triangle pointing out)."""

    radius = 6.0
    charge = 0.7
    font_size = 15
    label_colour = (170, 176, 192)

    def __init__(self, kind: str) -> None:
        if kind not in ("inbox", "outbox"):
            raise ValueError(f"a box is an inbox or an outbox, not {kind!r}")
        self.kind = kind
        self.colour = (80, 190, 110) if kind == "inbox" else (240, 160, 60)

    def link_length(self, target: ParticleType) -> float | None:
        return 90.0

    def draw(self, surface: pygame.Surface, x: int, y: int, r: float, selected: bool) -> None:
        ri = max(2, round(r))
        if self.kind == "inbox":
            rect = pygame.Rect(x - ri, y - ri, 2 * ri, 2 * ri)
            pygame.draw.rect(surface, self.colour, rect)
            pygame.draw.rect(surface, self.outline, rect, 1)
        else:
            pts = [(x, y - ri - 1), (x + ri + 1, y + ri), (x - ri - 1, y + ri)]
            pygame.draw.polygon(surface, self.colour, pts)
            pygame.draw.polygon(surface, self.outline, pts, 1)

    def draw_link(self, surface: pygame.Surface, a: Point, b: Point, target: ParticleType,
                  target_r: float) -> None:
        other = target.kind if isinstance(target, BoxParticle) else None
        if other == self.kind:  # inbox -> inbox, outbox -> outbox: a passthrough
            dashed_line(surface, PASSES, a, b, width=2)
            arrow(surface, PASSES, a, b, target_r)
        elif self.kind == "outbox":
            pygame.draw.line(surface, FLOWS, a, b, 2)
            arrow(surface, FLOWS, a, b, target_r, size=9.0)
        else:  # a component's inbox forwarded straight to an outbox
            dashed_line(surface, FORWARDS, a, b, width=2)
            arrow(surface, FORWARDS, a, b, target_r)


#: The types every viewer knows.
DEFAULT_TYPES: dict[str, ParticleType] = {
    "-": Blob(),
    "blob": Blob(),
    "square": Square(),
    "diamond": Diamond(),
    "component": ComponentParticle(),
    "inbox": BoxParticle("inbox"),
    "outbox": BoxParticle("outbox"),
}

#: The types of the Axon system view (a subset of the defaults).
AXON_TYPES = {k: DEFAULT_TYPES[k] for k in ("component", "inbox", "outbox")}
