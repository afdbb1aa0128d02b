"""apps.gallery, headless: the widgets wired together (textbox to ticker, a button that
clears it, keys that switch the picture, the log, the last key)."""

from __future__ import annotations

import pygame

from apps import gallery
from components.testing import FakeClock
from components.ui.testing import UIHarness


def start(*argv: str):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    system = gallery.build(gallery.parse(["--welcome", "hi", *argv]), clock)
    ui = UIHarness(system, clock=clock, display=system.child("display"))
    return ui, system


def test_every_widget_is_in_it():
    ui, system = start()
    with ui:
        kinds = {type(c).__name__ for c in system.children}
        assert {"Button", "KeyEvent", "Label", "TextDisplayer", "Textbox", "Ticker", "Image",
                "DrawingBoard"} <= kinds


def test_typed_lines_go_to_the_ticker_word_by_word_and_to_the_log():
    ui, system = start()
    with ui:
        ticker, log = system.child("ticker"), system.child("log")
        ui.frames(5)
        shown = ticker.shown
        ui.type("one two three")
        ui.key(pygame.K_RETURN, "\r")
        ui.frames(2)
        assert log.lines[-1] == "textbox: one two three"
        ui.frames(30)  # half a second at 8 words a second: all three
        assert ticker.shown == shown + 3 and ticker.lines[-1].endswith("one two three")


def test_the_clear_button_clears_the_ticker():
    ui, system = start()
    with ui:
        ticker, clear = system.child("ticker"), system.child("clear")
        ui.frames(10)
        assert ticker.lines != [""]
        ui.click((int(clear.position[0]) + 10, int(clear.position[1]) + 10))
        ui.frames(2)
        assert ticker.lines == [""] and system.child("log").lines[-1] == "button: Clear ticker"


def test_arrow_keys_switch_the_picture():
    ui, system = start()
    with ui:
        before = ui.pixel(680, 100)
        ui.key(pygame.K_RIGHT)
        ui.frames(3)
        after = ui.pixel(680, 100)
        assert after != before and system.child("log").lines[-1] == "image: picture 2 of 3"
        ui.key(pygame.K_LEFT)
        ui.frames(3)
        assert ui.pixel(680, 100) == before
        assert system.child("lastkey").text == "last key: left"


def test_the_board_logs_its_strokes_and_escape_quits():
    ui, system = start()
    with ui:
        ui.click((600, 450), release=False)
        ui.motion((650, 480), buttons=(1, 0, 0))
        ui.post(pygame.MOUSEBUTTONUP, pos=(650, 480), button=1)
        ui.frames(2)
        assert system.child("log").lines[-1] == "board: a stroke of 2 points"
        ui.key(pygame.K_ESCAPE, "\x1b")
        ui.frames(2)
        ui.run_until_idle()
        assert ui.harness.finished
