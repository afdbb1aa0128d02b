"""Each widget, headless: posted events in, messages and pixels out, and the library's
end-of-stream rules (ProducerFinished after the work given, Shutdown at once, the surface
returned as it ends)."""

from __future__ import annotations

import inspect

import pygame
import pytest

import components.ui as ui_lib
from axon import Component, ComponentError, Pipeline, ProducerFinished, Shutdown
from components import BadInput
from components.testing import FakeClock
from components.ui import (
    Button,
    Clear,
    Clicked,
    DrawingBoard,
    Image,
    Key,
    KeyEvent,
    Label,
    Pen,
    Stroke,
    TextDisplayer,
    Textbox,
    Ticker,
    Widget,
)
from components.ui.testing import UIHarness

WHITE = (250, 250, 245)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def widget_classes() -> list[type[Component]]:
    return [c for c in vars(ui_lib).values()
            if inspect.isclass(c) and issubclass(c, Component) and c.__module__ != "axon"]


@pytest.mark.parametrize("cls", widget_classes(), ids=lambda c: c.__name__)
def test_every_ui_component_describes_its_boxes_and_shows_a_use(cls):
    for name, spec in {**cls.Inboxes, **cls.Outboxes}.items():
        description = spec if isinstance(spec, str) else spec.description
        assert description.strip(), f"{cls.__name__}.{name} has no description"
    assert "control" in cls.Inboxes and "signal" in cls.Outboxes
    doc = inspect.getdoc(cls) or ""
    assert ">>>" in doc or "::" in doc, f"{cls.__name__} docstring shows no use"


# -- Button -----------------------------------------------------------------------------------


def test_button_sends_its_message_for_a_left_click_on_it_only(clock):
    button = Button("OK", (10, 10), clock=clock)
    with UIHarness(button, clock=clock) as ui:
        out = ui.watch(button)
        w, h = button.size
        ui.click((10 + w // 2, 10 + h // 2))  # on it
        ui.click((10 + w + 5, 10))  # beside it
        ui.click((12, 12), button=3)  # on it, right button
        ui.frames(1)
        assert list(out) == [Clicked("OK")]


def test_button_key_and_custom_message_and_pressed_look(clock):
    button = Button("Go", (0, 0), key=pygame.K_SPACE, message=("go", 1), clock=clock)
    with UIHarness(button, clock=clock) as ui:
        out = ui.watch(button)
        normal = ui.pixel(5, 5)
        ui.key(pygame.K_SPACE, " ")
        ui.key(pygame.K_a, "a")
        ui.frames(2)  # the message at once; the lit look drawn at the next frame
        assert list(out) == [("go", 1)]
        assert ui.pixel(5, 5) == (250, 200, 60)
        ui.frames(12)  # 0.2 s later it is back to normal (its own timer)
        assert ui.pixel(5, 5) == normal


def test_button_under_another_surface_gets_no_click(clock):
    under = Button("Under", (0, 0), size=(80, 40), clock=clock)
    over = Button("Over", (40, 0), size=(80, 40), clock=clock)
    with UIHarness(under, over, clock=clock) as ui:
        got_under, got_over = ui.watch(under), ui.watch(over)
        ui.click((60, 20))
        ui.click((20, 20))
        ui.frames(1)
        assert list(got_under) == [Clicked("Under")] and list(got_over) == [Clicked("Over")]


def test_button_caption_changes_and_bad_captions_are_bad_input(clock):
    button = Button("One", (0, 0), size=(80, 30), clock=clock, on_error="send")
    with UIHarness(button, clock=clock) as ui:
        errors = ui.watch(button, "error")
        before = pygame.image.tostring(ui.display.screen.subsurface((0, 0, 80, 30)), "RGB")
        button.inboxes["inbox"].put("Two")
        button.inboxes["inbox"].put(2)
        ui.frames(2)
        after = pygame.image.tostring(ui.display.screen.subsurface((0, 0, 80, 30)), "RGB")
        assert before != after and button.caption == "Two"
        assert [type(e) for e in errors] == [BadInput]


# -- KeyEvent ----------------------------------------------------------------------------------


def test_key_event_maps_keys_to_messages_and_outboxes_as_data(clock):
    keys = KeyEvent({pygame.K_LEFT: "left", pygame.K_q: ("bye", "quit"),
                     pygame.K_x: ("a", "tuple")},
                    key_up={pygame.K_LEFT: "left up"}, outboxes={"quit": "quitting"},
                    all_keys=True)
    with UIHarness(keys, clock=clock) as ui:
        out, quit_, every = ui.watch(keys), ui.watch(keys, "quit"), ui.watch(keys, "allkeys")
        ui.key(pygame.K_LEFT)
        ui.key(pygame.K_q)
        ui.key(pygame.K_x)
        ui.key(pygame.K_z)
        ui.frames(1)
        assert list(out) == ["left", "left up", ("a", "tuple")]
        assert list(quit_) == ["bye"]
        assert [(k.kind.name, k.key) for k in every] == [
            ("KEY_DOWN", pygame.K_LEFT), ("KEY_UP", pygame.K_LEFT), ("KEY_DOWN", pygame.K_q),
            ("KEY_UP", pygame.K_q), ("KEY_DOWN", pygame.K_x), ("KEY_UP", pygame.K_x),
            ("KEY_DOWN", pygame.K_z), ("KEY_UP", pygame.K_z)]
        assert all(isinstance(k, Key) for k in every)
    assert "quit" not in KeyEvent.Outboxes  # extra outboxes belong to the instance only
    assert "quit" not in KeyEvent().outboxes


# -- text ---------------------------------------------------------------------------------------


def region(ui: UIHarness, rect: tuple[int, int, int, int]) -> bytes:
    return pygame.image.tostring(ui.display.screen.subsurface(rect), "RGB")


def test_label_shows_new_text(clock):
    label = Label("hello", (0, 0), size=(120, 30))
    with UIHarness(label, clock=clock) as ui:
        first = region(ui, (0, 0, 120, 30))
        assert first != bytes(len(first))  # text drawn
        label.inboxes["inbox"].put("bye")
        ui.frames(2)
        assert region(ui, (0, 0, 120, 30)) != first and label.text == "bye"


def test_text_displayer_scrolls_keeping_the_newest_lines(clock):
    shown = TextDisplayer((200, 60), (0, 0), font_size=20)
    with UIHarness(shown, clock=clock) as ui:
        for i in range(10):
            shown.inboxes["inbox"].put(f"line {i}")
        shown.inboxes["inbox"].put("two\nlines")
        ui.frames(2)
        room = 56 // shown.font.get_linesize()
        assert shown.lines == [f"line {i}" for i in range(10)][-(room - 2):] + ["two", "lines"]


def test_textbox_types_edits_and_sends_on_enter(clock):
    box = Textbox((200, 30), (0, 0))
    with UIHarness(box, clock=clock) as ui:
        out = ui.watch(box)
        ui.type("helo")
        ui.key(pygame.K_BACKSPACE)
        ui.type("lo world")
        ui.frames(1)
        assert box.text == "hello world" and list(out) == []
        ui.key(pygame.K_RETURN, "\r")
        ui.type("x")
        ui.key(pygame.K_ESCAPE, "\x1b")
        ui.type("y")
        ui.frames(1)
        assert list(out) == ["hello world"] and box.text == "y"


# -- Ticker ---------------------------------------------------------------------------------------


def test_ticker_shows_one_word_at_a_time_on_its_timer(clock):
    ticker = Ticker((300, 100), (0, 0), words_per_second=10, clock=clock)
    with UIHarness(ticker, clock=clock) as ui:
        ticker.inboxes["inbox"].put("one two three four five")
        ui.run_until_idle()
        assert ticker.shown == 1  # the first word at once
        clock.advance(0.25)
        ui.run_until_idle()
        assert ticker.shown == 3 and ticker.lines == ["one two three"]
        clock.advance(1.0)
        ui.run_until_idle()
        assert ticker.shown == 5 and ticker.alarm.deadline is None  # done: no timer left


def test_ticker_clear_and_wrapping_and_scrolling(clock):
    ticker = Ticker((120, 60), (0, 0), words_per_second=100, font_size=20, clock=clock)
    with UIHarness(ticker, clock=clock) as ui:
        ticker.inboxes["inbox"].put(" ".join(f"w{i}" for i in range(40)))
        ui.frames(60)
        room = 56 // ticker.font.get_linesize()
        assert len(ticker.lines) == room and ticker.lines[-1].endswith("w39")
        ticker.inboxes["inbox"].put("more words coming")
        ticker.inboxes["clear"].put(None)
        ui.frames(5)
        assert ticker.lines == [""] and not ticker.waiting


def test_ticker_shows_every_word_before_passing_producer_finished_on(clock):
    ticker = Ticker((300, 100), (0, 0), words_per_second=4, clock=clock)
    with UIHarness(ticker, clock=clock) as ui:
        signals = ui.watch(ticker, "signal")
        ticker.inboxes["inbox"].put("a b c d")
        ticker.inboxes["control"].put(ProducerFinished())
        ui.run_until_idle()  # the first word at once
        ui.frames(32)  # 0.53 s: three words shown
        assert not ticker.done and ticker.shown == 3
        ui.frames(40)
        assert ticker.done and ticker.shown == 4 and list(signals) == [ProducerFinished()]
        assert ui.statistics().surfaces == 0  # its surface was given back


# -- Image ---------------------------------------------------------------------------------------


def test_image_switches_on_a_message_and_scales_to_fit(clock, tmp_path):
    red = pygame.Surface((20, 10))
    red.fill((255, 0, 0))
    blue = pygame.Surface((10, 10))
    blue.fill((0, 0, 255))
    path = tmp_path / "blue.png"
    pygame.image.save(blue, str(path))
    image = Image(red, (0, 0), size=(40, 40), background=(0, 80, 0), on_error="send")
    with UIHarness(image, clock=clock) as ui:
        errors = ui.watch(image, "error")
        assert ui.pixel(20, 20) == (255, 0, 0) and ui.pixel(20, 5) == (0, 80, 0)  # letterboxed
        image.inboxes["inbox"].put(str(path))
        ui.frames(2)
        assert ui.pixel(20, 5) == (0, 0, 255)  # square: fills the box
        image.inboxes["inbox"].put(str(tmp_path / "missing.png"))
        image.inboxes["inbox"].put(42)
        ui.frames(2)
        assert ui.pixel(20, 5) == (0, 0, 255)  # the old picture stays
        assert ["cannot load picture" in e.problem for e in errors] == [True, False]


def test_image_needs_a_size_or_a_picture():
    with pytest.raises(ValueError, match="give a size"):
        Image()


# -- DrawingBoard --------------------------------------------------------------------------------


def drag(ui: UIHarness, points: list[tuple[int, int]], button: int = 1) -> None:
    ui.click(points[0], button, release=False)
    for p in points[1:]:
        ui.motion(p, buttons=(1, 0, 0) if button == 1 else (0, 0, 1))
    ui.post(pygame.MOUSEBUTTONUP, pos=points[-1], button=button)


def test_drawing_board_draws_strokes_and_reports_them(clock):
    board = DrawingBoard((200, 100), (10, 10), colour=(0, 0, 0), width=3)
    with UIHarness(board, clock=clock) as ui:
        strokes = ui.watch(board)
        drag(ui, [(20, 20), (60, 20), (60, 60)])
        ui.frames(2)
        assert ui.pixel(40, 20) == (0, 0, 0) and ui.pixel(60, 40) == (0, 0, 0)
        assert ui.pixel(40, 40) == WHITE
        (stroke,) = strokes
        assert stroke == Stroke(((10, 10), (50, 10), (50, 50)), (0, 0, 0), 3, False)


def test_drawing_board_pen_eraser_and_clear(clock):
    board = DrawingBoard((200, 100), (0, 0))
    with UIHarness(board, clock=clock) as ui:
        board.inboxes["inbox"].put(Pen(colour=(200, 0, 0), width=5))
        ui.frames(1)
        drag(ui, [(10, 50), (190, 50)])
        ui.frames(2)
        assert ui.pixel(100, 50) == (200, 0, 0)
        drag(ui, [(100, 30), (100, 70)], button=3)  # the right button erases
        ui.frames(2)
        assert ui.pixel(100, 50) == WHITE and ui.pixel(50, 50) == (200, 0, 0)
        board.inboxes["inbox"].put(Clear())
        ui.frames(2)
        assert ui.pixel(50, 50) == WHITE


def test_drawing_board_starts_strokes_only_on_it(clock):
    board = DrawingBoard((100, 100), (100, 0))
    with UIHarness(board, clock=clock) as ui:
        drag(ui, [(50, 50), (150, 50)])  # pressed outside: no stroke
        ui.frames(2)
        assert ui.pixel(140, 50) == WHITE and board.strokes == 0


def test_drawing_board_reads_a_whole_flood_of_motion_in_one_batch(clock):
    board = DrawingBoard((300, 300), (0, 0), colour=(0, 0, 0), width=1)
    with UIHarness(board, size=(300, 300), clock=clock) as ui:
        ui.click((0, 150), release=False)
        for x in range(1, 300):
            ui.motion((x, 150), buttons=(1, 0, 0))
        ui.frames(2)
        assert board.motions == 299 and board.batches == 1
        assert all(ui.pixel(x, 150) == (0, 0, 0) for x in range(0, 300, 7))


# -- end-of-stream rules --------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda c: Button("B", (0, 0), clock=c), lambda c: KeyEvent(), lambda c: Label("L", (0, 0)),
    lambda c: TextDisplayer((50, 50)), lambda c: Textbox((50, 20)),
    lambda c: Ticker((50, 50), clock=c), lambda c: Image(size=(10, 10)),
    lambda c: DrawingBoard((50, 50))], ids=lambda m: "")
def test_widgets_end_on_producer_finished_or_shutdown_and_give_their_surface_back(clock, make):
    for end in (ProducerFinished(), Shutdown()):
        widget = make(clock)
        with UIHarness(widget, clock=clock) as ui:
            signals = ui.watch(widget, "signal")
            assert ui.statistics().surfaces == 1
            widget.inboxes["control"].put(end)
            ui.frames(2)
            assert widget.done and list(signals) == [end]
            assert ui.statistics().surfaces == 0


def test_a_widget_ends_with_shutdown_when_the_window_closes(clock):
    label = Label("x", (0, 0))
    with UIHarness(label, clock=clock, on_quit="close") as ui:
        signals = ui.watch(label, "signal")
        ui.post(pygame.QUIT)
        ui.frames(1)
        ui.run_until_idle()
        assert label.done and len(signals) == 1 and isinstance(signals[0], Shutdown)


def test_a_widget_in_a_pipeline_passes_its_output_on(clock):
    box = Textbox((100, 30), (0, 0))
    label = Label("", (0, 40), size=(100, 30))
    with UIHarness(Pipeline(box, label), clock=clock) as ui:
        ui.type("hi")
        ui.key(pygame.K_RETURN, "\r")
        ui.frames(2)
        assert label.text == "hi"


def test_bad_input_to_a_widget_raises_by_default_naming_it(clock):
    with pytest.raises(ComponentError, match=r"Label.*shows a str"):
        label = Label("x", (0, 0))
        with UIHarness(label, clock=clock) as ui:
            label.inboxes["inbox"].put(3)
            ui.frames(1)


def test_widget_is_the_base_of_the_widgets():
    for cls in (Button, KeyEvent, Label, TextDisplayer, Textbox, Ticker, Image, DrawingBoard):
        assert issubclass(cls, Widget)
