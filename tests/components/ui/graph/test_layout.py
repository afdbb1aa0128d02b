"""The layout: repulsion, springs and damping, all pairs or by grid cells, and settling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from components.ui.graph.layout import Laws, Layout


def tree(n: int, seed: int = 1, spread: float = 200.0) -> Layout:
    rng = np.random.default_rng(seed)
    layout = Layout()
    for _ in range(n):
        layout.add(400 + rng.random() * spread, 300 + rng.random() * spread)
    parents = np.array([rng.integers(0, i) for i in range(1, n)], dtype=np.int64)
    layout.set_links(parents, np.arange(1, n, dtype=np.int64))
    return layout


def test_two_unlinked_particles_push_apart_to_the_cutoff():
    layout = Layout()
    layout.add(100, 100)
    layout.add(110, 100)
    while layout.step():
        pass
    gap = float(layout.x[1] - layout.x[0])
    assert layout.laws.cutoff * 0.8 < gap <= layout.laws.cutoff + 1
    assert layout.y.tolist() == [100, 100]  # along the line between them


def test_a_link_holds_two_particles_near_its_rest_length():
    layout = Layout()
    layout.add(0, 0)
    layout.add(300, 0)
    layout.set_links(np.array([0]), np.array([1]), np.array([50.0]))
    while layout.step():
        pass
    d = math.hypot(float(layout.x[1] - layout.x[0]), float(layout.y[1] - layout.y[0]))
    assert 50 < d < 80  # the spring, a little stretched by the repulsion


@pytest.mark.parametrize("n", [20, 300])
def test_a_tree_settles_and_then_steps_cost_nothing(n):
    layout = tree(n)
    steps = 0
    while layout.step():
        steps += 1
        assert steps < 2000, "never settled"
    assert layout.settled
    x = layout.x.copy()
    before = layout.steps
    assert layout.step(10) is False
    assert layout.steps == before  # settled: no work at all
    assert np.array_equal(layout.x, x)
    layout.wake()
    assert layout.step() is True  # a change starts it again


def test_the_grid_gives_the_same_forces_as_every_pair():
    layout = tree(400, spread=1500)
    x, y = layout.x.copy(), layout.y.copy()
    fx1, fy1 = layout._repel_dense(x, y)
    fx2, fy2 = layout._repel_grid(x, y)
    scale = max(np.abs(fx1).max(), np.abs(fy1).max())
    assert scale > 0.1  # (there is something to compare)
    assert np.abs(fx1 - fx2).max() < 1e-4 * scale and np.abs(fy1 - fy2).max() < 1e-4 * scale


def test_a_frozen_particle_stays_where_it_is_put():
    layout = tree(30)
    layout.freeze(5)
    layout.place(5, 1000.0, 1000.0)
    for _ in range(50):
        layout.step()
    assert (float(layout.x[5]), float(layout.y[5])) == (1000.0, 1000.0)
    assert float(layout.x[4]) != 1000.0


def test_remove_moves_the_last_particle_into_the_hole():
    layout = Layout()
    for k in range(3):
        layout.add(k, 10 * k)
    assert layout.remove(0) == 2
    assert layout.n == 2 and layout.x.tolist() == [2, 1] and layout.y.tolist() == [20, 10]
    assert layout.remove(1) is None  # the last one: nothing moves
    assert layout.x.tolist() == [2]


def test_a_crowd_in_one_cell_falls_back_to_every_pair():
    layout = Layout(Laws(dense_below=10))
    for k in range(200):
        layout.add(100 + k % 7, 100 + k % 5)
    fx, fy = layout._repel_grid(layout.x.copy(), layout.y.copy())
    assert fx.shape == (200,) and np.isfinite(fx).all()
