"""The graph viewer's layout: particles pushed apart, pulled together along links, damped.

Each step, for particles ``i`` and ``j`` at distance ``d``:

- **repulsion** ``k_r * q_i * q_j / d^2``, tapered by ``(1 - d^2 / R^2)`` to nothing at
  the cut-off ``R`` (so the force has no step there, which would keep the layout shaking);
- **springs** along links, ``k_s * (d - L)`` towards the rest length ``L`` of that link;
- **damping**: ``v = (v + F) * damping``, the speed capped at a limit that starts at
  ``max_speed`` pixels a step after every change and falls to ``rest_speed`` over
  ``cooling_steps`` steps (more for big graphs), so the layout settles in seconds
  (without it the last slow creep of a 300-node tree took 3,600 steps).

All of it is numpy over arrays: the repulsion of every pair for small graphs (n x n
arrays), and above ``dense_below`` particles a grid of ``R``-sized cells, each particle
meeting only those in its own and the eight cells around it, each pair once (built by
sorting cell keys, so it stays vectorised: 2-13 ms a step for 1,000 particles here,
spread out or crowded into an 800x600 window, against 15-50 ms for all pairs).  The
layout **settles**: once no particle has moved faster than ``rest_speed`` for
``rest_steps`` steps, :attr:`Layout.settled` is true and the owner stops stepping (and
drawing) until something changes.  Frozen particles (being dragged) keep their place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Laws", "Layout"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Laws:
    """The simulation's constants (lengths in pixels of the plane, per step)."""

    repulsion: float = 2000.0  #: k_r
    cutoff: float = 160.0  #: R: no repulsion beyond this distance
    spring: float = 0.06  #: k_s
    rest_length: float = 70.0  #: L of a link, unless the viewer gives one per link
    damping: float = 0.75
    max_speed: float = 12.0
    rest_speed: float = 0.08  #: slower than this (px a step) counts as still
    rest_steps: int = 8  #: still for this many steps in a row: settled
    cooling_steps: int = 300  #: steps for the speed limit to fall to rest_speed after a
    #: change (times sqrt(n / 100) above 100 particles: big graphs need longer to unfold)
    dense_below: int = 150  #: all pairs below this many particles; the grid above


class Layout:
    """Positions, velocities and links of ``n`` particles; :meth:`step` moves them.

    Particles are slots ``0 .. n-1``; :meth:`remove` moves the last one into the hole and
    returns its old slot (the owner renumbers it).  Links are set all at once with
    :meth:`set_links` (slot arrays), after any change.
    """

    def __init__(self, laws: Laws | None = None) -> None:
        self.laws = laws if laws is not None else Laws()
        self.n = 0
        cap = 64
        self._x = np.zeros(cap)
        self._y = np.zeros(cap)
        self._vx = np.zeros(cap)
        self._vy = np.zeros(cap)
        self._q = np.ones(cap)  # charge: repulsion scale
        self._frozen = np.zeros(cap, dtype=bool)
        self._a: I64 = np.zeros(0, dtype=np.int64)
        self._b: I64 = np.zeros(0, dtype=np.int64)
        self._rest: F64 = np.zeros(0)
        self._still = 0
        self._limit = self.laws.max_speed  # the speed limit now (see Laws.cooling)
        self.steps = 0  # steps taken
        self.settled = True

    # -- particles -------------------------------------------------------------------------

    @property
    def x(self) -> F64:
        return self._x[:self.n]

    @property
    def y(self) -> F64:
        return self._y[:self.n]

    @property
    def frozen(self) -> npt.NDArray[np.bool_]:
        return self._frozen[:self.n]

    def _grow(self) -> None:
        cap = 2 * len(self._x)
        for name in ("_x", "_y", "_vx", "_vy", "_q", "_frozen"):
            old = getattr(self, name)
            new = np.zeros(cap, dtype=old.dtype)
            new[:self.n] = old[:self.n]
            setattr(self, name, new)

    def add(self, x: float, y: float, charge: float = 1.0) -> int:
        """A new particle at rest at ``(x, y)``; returns its slot."""
        if self.n == len(self._x):
            self._grow()
        i = self.n
        self._x[i], self._y[i] = x, y
        self._vx[i] = self._vy[i] = 0.0
        self._q[i] = charge
        self._frozen[i] = False
        self.n = i + 1
        self.wake()
        return i

    def remove(self, i: int) -> int | None:
        """Remove slot ``i``; the last particle moves into it: returns the slot it had (None
        if ``i`` was the last).  Links must be set again."""
        last = self.n - 1
        moved: int | None = None
        if i != last:
            for arr in (self._x, self._y, self._vx, self._vy, self._q, self._frozen):
                arr[i] = arr[last]
            moved = last
        self.n = last
        self.wake()
        return moved

    def clear(self) -> None:
        self.n = 0
        self.set_links(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))

    def place(self, i: int, x: float, y: float) -> None:
        """Put particle ``i`` at ``(x, y)``, at rest."""
        self._x[i], self._y[i] = x, y
        self._vx[i] = self._vy[i] = 0.0
        self.wake()

    def set_charge(self, i: int, charge: float) -> None:
        self._q[i] = charge

    def freeze(self, i: int, frozen: bool = True) -> None:
        self._frozen[i] = frozen
        self._vx[i] = self._vy[i] = 0.0
        self.wake()

    def set_links(self, a: I64, b: I64, rest: F64 | None = None) -> None:
        """Springs between slots ``a[k]`` and ``b[k]`` (rest lengths ``rest``, or the laws')."""
        self._a = np.asarray(a, dtype=np.int64)
        self._b = np.asarray(b, dtype=np.int64)
        self._rest = (np.full(len(self._a), self.laws.rest_length) if rest is None
                      else np.asarray(rest, dtype=np.float64))
        self.wake()

    def wake(self) -> None:
        """Something changed: run until still again."""
        self.settled = False
        self._still = 0
        self._limit = self.laws.max_speed

    # -- simulation -----------------------------------------------------------------------------

    def step(self, steps: int = 1) -> bool:
        """Advance ``steps`` steps (none once settled); True while anything moves."""
        for _ in range(steps):
            if self.settled:
                break
            self._step()
        return not self.settled

    def _step(self) -> None:
        n = self.n
        laws = self.laws
        self.steps += 1
        if n == 0:
            self.settled = True
            return
        x, y = self._x[:n], self._y[:n]
        if n < laws.dense_below:
            fx, fy = self._repel_dense(x, y)
        else:
            fx, fy = self._repel_grid(x, y)
        if len(self._a):
            a, b = self._a, self._b
            dx = x[b] - x[a]
            dy = y[b] - y[a]
            d = np.sqrt(dx * dx + dy * dy)
            np.maximum(d, 1e-6, out=d)
            f = laws.spring * (d - self._rest) / d
            sx, sy = dx * f, dy * f
            fx += np.bincount(a, sx, n) - np.bincount(b, sx, n)
            fy += np.bincount(a, sy, n) - np.bincount(b, sy, n)
        vx = (self._vx[:n] + fx) * laws.damping
        vy = (self._vy[:n] + fy) * laws.damping
        frozen = self._frozen[:n]
        vx[frozen] = 0.0
        vy[frozen] = 0.0
        speed2 = vx * vx + vy * vy
        limit = self._limit
        self._limit = limit * self._cooling(n)
        fast = speed2 > limit * limit
        if fast.any():
            k = limit / np.sqrt(speed2[fast])
            vx[fast] *= k
            vy[fast] *= k
            speed2[fast] = limit * limit
        self._vx[:n] = vx
        self._vy[:n] = vy
        x += vx
        y += vy
        if float(speed2.max()) < laws.rest_speed * laws.rest_speed or limit < laws.rest_speed:
            self._still += 1
            if self._still >= laws.rest_steps:
                self.settled = True
                self._vx[:n] = 0.0
                self._vy[:n] = 0.0
        else:
            self._still = 0

    def _cooling(self, n: int) -> float:
        laws = self.laws
        steps = laws.cooling_steps * max(1.0, (n / 100) ** 0.5)
        return float((laws.rest_speed / laws.max_speed) ** (1.0 / steps))

    def _pair_force(self, dx: F64, dy: F64, qq: F64) -> tuple[F64, F64]:
        laws = self.laws
        r2 = laws.cutoff * laws.cutoff
        d2 = dx * dx + dy * dy
        np.maximum(d2, 1.0, out=d2)
        taper = 1.0 - d2 / r2
        np.maximum(taper, 0.0, out=taper)
        f = laws.repulsion * qq * taper / (d2 * np.sqrt(d2))
        return dx * f, dy * f

    def _repel_dense(self, x: F64, y: F64) -> tuple[F64, F64]:
        n = len(x)
        q = self._q[:n]
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        qq = q[:, None] * q[None, :]
        np.fill_diagonal(qq, 0.0)
        ex, ey = self._pair_force(dx, dy, qq)
        return ex.sum(axis=1), ey.sum(axis=1)

    def _repel_grid(self, x: F64, y: F64) -> tuple[F64, F64]:
        """Repulsion by cells of the cut-off's size: each pair of particles in the same or
        neighbouring cells once (the own cell and the four cells ahead of it), in float32
        (3x faster than every pair from both ends in float64 for 1,000 crowded particles)."""
        n = len(x)
        cut = self.laws.cutoff
        cx = np.floor(x / cut).astype(np.int64)
        cy = np.floor(y / cut).astype(np.int64)
        cx -= cx.min() - 1  # cell numbers from 1, so the neighbours of edge cells are >= 0
        cy -= cy.min() - 1
        width = int(cy.max()) + 2
        key = cx * width + cy
        order = np.argsort(key, kind="stable").astype(np.int32)
        skey = key[order]
        offsets = np.array([0, 1, width - 1, width, width + 1])
        qkey = (key[None, :] + offsets[:, None]).ravel()
        lo = np.searchsorted(skey, qkey, "left")
        cnt = np.searchsorted(skey, qkey, "right") - lo
        total = int(cnt.sum())
        if total > n * n // 2 + n:  # crowded into one cell: every pair is cheaper
            return self._repel_dense(x, y)
        ii = np.repeat(np.tile(np.arange(n, dtype=np.int32), 5), cnt)
        jj = order[np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(total)]
        own = int(cnt[:n].sum())  # pairs within a cell: each once, not with itself
        keep = np.ones(total, dtype=bool)
        keep[:own] = ii[:own] < jj[:own]
        ii, jj = ii[keep], jj[keep]
        xs, ys = x.astype(np.float32), y.astype(np.float32)
        q = self._q[:n].astype(np.float32)
        dx = xs[ii] - xs[jj]
        dy = ys[ii] - ys[jj]
        d2 = dx * dx + dy * dy
        np.maximum(d2, np.float32(1.0), out=d2)
        taper = np.float32(1.0) - d2 * np.float32(1.0 / (cut * cut))
        np.maximum(taper, np.float32(0.0), out=taper)
        f = np.float32(self.laws.repulsion) * q[ii] * q[jj] * taper / (d2 * np.sqrt(d2))
        ex = dx * f
        ey = dy * f
        fx = np.bincount(ii, ex, n) - np.bincount(jj, ex, n)
        fy = np.bincount(ii, ey, n) - np.bincount(jj, ey, n)
        return fx.astype(np.float64, copy=False), fy.astype(np.float64, copy=False)
