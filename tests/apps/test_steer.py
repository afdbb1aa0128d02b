"""apps.steer, headless: two key sets steer two sprites, one frame from key to motion."""

from __future__ import annotations

import pygame

from apps import steer
from components.testing import FakeClock
from components.ui import KeyEvent, Sprite, Steering
from components.ui.testing import UIHarness


def start(*argv: str):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    system = steer.build(steer.parse(list(argv)), clock)
    ui = UIHarness(system, clock=clock, display=system.child("display"))
    cat: Sprite = system.child("cat").children[-1]  # type: ignore[assignment]
    mouse: Sprite = system.child("mouse").children[-1]  # type: ignore[assignment]
    return ui, system, cat, mouse


def centre(ui: UIHarness, s: Sprite) -> tuple[float, float]:
    x, y, _, _ = ui.display.geometry(s.handle)
    w, h = s.image.get_size()
    return x + w / 2, y + h / 2


def test_each_sprite_is_a_pipeline_of_input_and_logic():
    ui, system, cat, mouse = start()
    with ui:
        for name in ("cat", "mouse"):
            kinds = [type(c) for c in system.child(name).children]
            assert kinds == [KeyEvent, Steering, Sprite]
        assert centre(ui, cat) == (200, 300) and centre(ui, mouse) == (600, 300)


def test_wasd_steers_the_cat_and_the_arrows_the_mouse():
    ui, system, cat, mouse = start("--speed", "5")
    with ui:
        ui.key(pygame.K_d, "d", up=False)  # cat right
        ui.key(pygame.K_UP, up=False)  # mouse up
        ui.frames(1)
        assert centre(ui, cat) == (200, 300)  # the frame that reads the keys
        ui.frames(10)
        assert centre(ui, cat) == (250, 300)
        assert centre(ui, mouse) == (600, 300 - 10 * 5 * 1.25)
        ui.post(pygame.KEYUP, key=pygame.K_d, mod=0, unicode="d")
        ui.frames(5)
        assert centre(ui, cat) == (255, 300)  # one more step, then it stops
        ui.key(pygame.K_s, "s", up=False)
        ui.key(pygame.K_a, "a", up=False)  # down and left together: diagonal
        ui.frames(3)
        assert centre(ui, cat) == (245, 310)


def test_sprites_stay_in_the_window():
    ui, system, cat, mouse = start("--speed", "20")
    with ui:
        ui.key(pygame.K_LEFT, up=False)
        ui.frames(60)
        x, _ = centre(ui, mouse)
        assert x == mouse.image.get_width() / 2


def test_q_quits():
    ui, system, cat, mouse = start()
    with ui:
        ui.key(pygame.K_q, "q")
        ui.frames(2)
        ui.run_until_idle()
        assert ui.harness.finished and cat.done and mouse.done
