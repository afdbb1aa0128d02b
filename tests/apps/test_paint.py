"""apps.paint, headless: drawing, the palette, clearing, and a flood of motion in batches."""

from __future__ import annotations

import pygame

from apps import paint
from components.testing import FakeClock
from components.ui import DrawingBoard, Label
from components.ui.testing import UIHarness

WHITE = (250, 250, 245)


def start(*argv: str):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    system = paint.build(paint.parse(list(argv)), clock)
    ui = UIHarness(system, clock=clock, display=system.child("display"))
    board: DrawingBoard = system.child("board")  # type: ignore[assignment]
    return ui, system, board


def drag(ui: UIHarness, points: list[tuple[int, int]]) -> None:
    ui.click(points[0], release=False)
    for p in points[1:]:
        ui.motion(p, buttons=(1, 0, 0))
    ui.post(pygame.MOUSEBUTTONUP, pos=points[-1], button=1)


def button_centre(system, name: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    b = system.child(name)
    return int(b.position[0] + b.size[0] / 2), int(b.position[1] + b.size[1] / 2)


def test_drawing_with_the_palette_and_clearing():
    ui, system, board = start()
    with ui:
        drag(ui, [(100, 200), (300, 200)])
        ui.frames(2)
        assert ui.pixel(200, 200) == (20, 20, 20)  # black to start with
        ui.click(button_centre(system, "red"))
        ui.click(button_centre(system, "thick"))
        ui.frames(1)
        drag(ui, [(100, 300), (300, 300)])
        ui.frames(2)
        assert ui.pixel(200, 300) == (220, 40, 40) and ui.pixel(200, 303) == (220, 40, 40)
        ui.click(button_centre(system, "clear"))
        ui.frames(3)
        assert ui.pixel(200, 200) == WHITE and ui.pixel(200, 300) == WHITE
        ui.key(pygame.K_c, "c")  # C clears too (a key table routes it to the board)
        ui.frames(2)


def test_a_flood_of_motion_arrives_in_one_batch_a_frame_and_is_all_drawn():
    ui, system, board = start()
    with ui:
        meter = system.child("meter")
        ui.click((400, 300), release=False)
        for i in range(3000):
            ui.motion((100 + i % 600, 100 + (i * 7) % 400), buttons=(1, 0, 0))
        batches = board.batches
        ui.frames(1)
        assert board.motions == 3000 and board.batches == batches + 1
        ui.frames(60)  # a second: the meter reports
        status: Label = system.child("status")  # type: ignore[assignment]
        assert "largest batch 3000" in status.text and meter.largest == 3000


def test_q_quits():
    ui, system, board = start()
    with ui:
        ui.key(pygame.K_q, "q")
        ui.frames(2)
        ui.run_until_idle()
        assert ui.harness.finished and board.done
