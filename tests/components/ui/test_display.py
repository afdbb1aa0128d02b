"""The display service, headless: surfaces, per-frame event batches, coordinates, redraws,
tracks, quitting.  Driven by posted pygame events, checked by messages and pixels."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Generator
from typing import Any

import pygame
import pytest

from axon import Component, ComponentError, Graphline, ProducerFinished, Scheduler, Shutdown, run
from components import BadInput
from components.testing import FakeClock
from components.ui import (
    SERVICE,
    Display,
    DisplayClient,
    DisplayClosed,
    EventKind,
    Frame,
    Hold,
    Key,
    MouseButton,
    Place,
    Quit,
    Redraw,
    Release,
    RequestQuit,
    Saved,
    Screenshot,
    Subscribe,
    SurfaceRequest,
    Track,
    TrackTaken,
    Unsubscribe,
)
from components.ui.testing import UIHarness

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
MOUSE = frozenset({EventKind.MOUSE_DOWN, EventKind.MOUSE_UP, EventKind.MOUSE_MOTION})


class Probe(DisplayClient):
    """Asks for one surface (filled with ``fill``) and records what the display sends;
    what reaches its inbox it sends on to the display (as any client sends requests)."""

    def __init__(self, request: SurfaceRequest, *, fill: tuple[int, int, int] | None = None,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        self.request = request
        self.fill = fill
        self.granted: Any = None
        self.batches: list[list[Any]] = []
        self.seen: list[Any] = []
        self.timeslices = 0

    @property
    def handle(self) -> int:
        return self.granted.handle

    def events_of(self, kind: EventKind) -> list[Any]:
        return [e for b in self.batches for e in b if e.kind is kind]

    def main(self) -> Generator[Any, Any, None]:
        granted = yield from self.open_surface(self.request)
        if granted is None:
            return
        self.granted = granted
        if self.fill is not None:
            granted.surface.fill(self.fill)
            self.to_display(Redraw(granted.handle))
        try:
            while True:
                self.timeslices += 1
                self.end = self.take_control(self.end)
                if self.end is not None:
                    break
                self.batches.extend(self.recv_all("events"))
                self.seen.extend(self.notices())
                for req in self.recv_all("inbox"):
                    self.to_display(req)
                if self.closed is not None:
                    break
                self.pause()
                yield
        finally:
            self.release_all()


def request(ui: UIHarness, msg: Any) -> None:
    """Send a request to the display as a client would (it applies it at the next frame)."""
    ui.display.inboxes["inbox"].put(msg)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- finding the service, getting surfaces -------------------------------------------------------


def test_a_client_gets_its_surface_on_its_own_inbox_through_the_service_registry(clock):
    probe = Probe(SurfaceRequest((40, 30), position=(10, 20), tag="mine"))
    with UIHarness(probe, clock=clock) as ui:
        assert ui.services[SERVICE] is ui.display
        assert probe.granted.surface.get_size() == (40, 30)
        assert probe.granted.tag == "mine"
        assert ui.display.geometry(probe.handle) == (10.0, 20.0, 0.0, 1.0)
        assert ui.statistics().surfaces == 1


def test_the_first_client_to_ask_starts_a_display_with_defaults_and_releasing_ends_it():
    class Once(DisplayClient):
        def main(self) -> Generator[Any, Any, None]:
            granted = yield from self.open_surface(SurfaceRequest((5, 5)))
            assert granted is not None
            self.found = self.display
            self.release_all()

    client = Once()
    threads = threading.active_count()
    sched = run(client, timeout=10)  # ends: the display closes with its last surface
    assert threading.active_count() == threads  # nothing left behind
    assert isinstance(client.found, Display) and client.found.done
    assert client.found.size == (800, 600) and client.found.closed_reason == \
        "last surface released"
    assert SERVICE not in sched.services


def test_an_application_display_is_the_one_clients_find_whatever_the_order(clock):
    probe = Probe(SurfaceRequest((4, 4)))
    display = Display((123, 45), clock=clock, title="mine", linger=True, on_quit="close")
    with UIHarness(probe, display, clock=clock, display=display) as ui:  # client listed first
        assert probe.display is display
        assert ui.display.screen.get_size() == (123, 45)
        assert pygame.display.get_caption()[0] == "mine"


def test_one_display_per_process(clock):
    with UIHarness(clock=clock) as ui:
        other = Scheduler()
        other.activate(Display((10, 10), clock=clock))
        with pytest.raises(ComponentError, match="one display per process"):
            other.run(timeout=5)
        assert ui.display.screen is not None  # the first one is untouched


def test_display_service_is_per_scheduler_not_global(clock):
    with UIHarness(clock=clock) as ui:
        lonely = Component()
        Scheduler().activate(lonely)
        assert SERVICE not in lonely.scheduler.services
        assert ui.services[SERVICE] is ui.display


# -- events: one batch per frame, per kind, surface-local --------------------------------------


def test_events_of_a_frame_arrive_as_one_list_in_order(clock):
    probe = Probe(SurfaceRequest((100, 100), events=MOUSE | {EventKind.KEY_DOWN}))
    with UIHarness(probe, clock=clock) as ui:
        ui.frames(1)
        probe.batches.clear()
        for x in range(5):
            ui.motion((x, 1))
        ui.click((7, 8))
        ui.key(pygame.K_a, "a", up=False)
        ui.frames(1)
        assert len(probe.batches) == 1
        (batch,) = probe.batches
        assert [e.kind for e in batch] == [EventKind.MOUSE_MOTION] * 5 + [
            EventKind.MOUSE_DOWN, EventKind.MOUSE_UP, EventKind.KEY_DOWN]
        assert [e.pos for e in batch[:5]] == [(x, 1) for x in range(5)]
        assert batch[-1] == Key(EventKind.KEY_DOWN, pygame.K_a, 0, "a")
        ui.frames(3)  # quiet frames send nothing at all
        assert len(probe.batches) == 1


def test_a_flood_of_motion_is_still_one_message_per_frame(clock):
    probe = Probe(SurfaceRequest((400, 300), events=MOUSE))
    with UIHarness(probe, size=(400, 300), clock=clock) as ui:
        ui.frames(1)
        probe.batches.clear()
        for i in range(5000):
            ui.motion((i % 400, i % 300))
        ui.frames(1)
        assert len(probe.batches) == 1 and len(probe.batches[0]) == 5000


def test_without_batching_each_event_is_its_own_message(clock):
    probe = Probe(SurfaceRequest((100, 100), events=MOUSE))
    with UIHarness(probe, clock=clock, batch_events=False) as ui:
        ui.frames(1)
        probe.batches.clear()
        for x in range(4):
            ui.motion((x, 0))
        ui.frames(1)
        assert [len(b) for b in probe.batches] == [1, 1, 1, 1]


def test_subscriptions_are_per_kind_and_change_at_run_time(clock):
    keys = Probe(SurfaceRequest((10, 10), events=frozenset({EventKind.KEY_DOWN})))
    with UIHarness(keys, clock=clock) as ui:
        ui.click((5, 5))
        ui.key(pygame.K_x, "x")
        ui.frames(1)
        assert [e.kind for b in keys.batches for e in b] == [EventKind.KEY_DOWN]
        request(ui, Subscribe(keys.handle, frozenset({EventKind.MOUSE_DOWN})))
        request(ui, Unsubscribe(keys.handle, frozenset({EventKind.KEY_DOWN})))
        ui.frames(1)
        keys.batches.clear()
        ui.click((5, 5))
        ui.key(pygame.K_x, "x")
        ui.frames(1)
        assert [e.kind for b in keys.batches for e in b] == [EventKind.MOUSE_DOWN]


def test_user_and_window_events_reach_their_subscribers(clock):
    kinds = frozenset({EventKind.USER, EventKind.WINDOW})
    probe = Probe(SurfaceRequest((10, 10), events=kinds))
    with UIHarness(probe, clock=clock) as ui:
        ui.post(pygame.USEREVENT + 2, payload={"score": 3})
        ui.post(pygame.WINDOWEXPOSED)
        ui.frames(1)
        (user,) = probe.events_of(EventKind.USER)
        assert user.type == pygame.USEREVENT + 2 and user.data["payload"] == {"score": 3}
        assert [w.type for w in probe.events_of(EventKind.WINDOW)][-1] == pygame.WINDOWEXPOSED


def test_frame_ticks_come_first_in_every_batch(clock):
    probe = Probe(SurfaceRequest((10, 10), events=frozenset({EventKind.FRAME,
                                                             EventKind.MOUSE_DOWN})))
    with UIHarness(probe, clock=clock) as ui:
        ui.frames(2)
        probe.batches.clear()
        ui.click((1, 1), release=False)
        ui.frames(3)
        ticks = [b[0] for b in probe.batches]
        assert all(isinstance(t, Frame) for t in ticks)
        assert [t.number for t in ticks] == [ui.frame - 2, ui.frame - 1, ui.frame]
        assert isinstance(probe.batches[0][1], MouseButton)


def test_mouse_positions_are_surface_local_and_follow_moves_and_releases(clock):
    a = Probe(SurfaceRequest((50, 50), position=(100, 50), events=MOUSE), name="a")
    b = Probe(SurfaceRequest((20, 20), position=(0, 0)), name="b")
    with UIHarness(a, b, clock=clock) as ui:
        ui.click((110, 60), release=False)
        ui.frames(1)
        assert a.events_of(EventKind.MOUSE_DOWN)[-1].pos == (10, 10)
        request(ui, Place(a.handle, position=(200, 100)))  # moved: one owner of positions
        ui.frames(1)
        ui.click((205, 103), release=False)
        ui.frames(1)
        down = a.events_of(EventKind.MOUSE_DOWN)[-1]
        assert down.pos == (5, 3) and down.inside
        request(ui, Release(b.handle))  # another surface goes (Kamaelia lost every mapping)
        ui.frames(1)
        ui.click((240, 140), release=False)
        ui.frames(1)
        down = a.events_of(EventKind.MOUSE_DOWN)[-1]
        assert down.pos == (40, 40) and down.inside
        ui.click((10, 10), release=False)  # outside it: still delivered, local, not inside
        ui.frames(1)
        down = a.events_of(EventKind.MOUSE_DOWN)[-1]
        assert down.pos == (-190, -90) and not down.inside


def test_only_inside_gives_the_click_to_the_topmost_surface_and_follows_restacking(clock):
    low = Probe(SurfaceRequest((60, 60), position=(0, 0), events=MOUSE, only_inside=True),
                fill=RED, name="low")
    high = Probe(SurfaceRequest((60, 60), position=(30, 30), events=MOUSE, only_inside=True),
                 fill=BLUE, name="high")
    with UIHarness(low, high, clock=clock) as ui:
        ui.frames(1)
        assert ui.pixel(45, 45) == BLUE  # the later one is on top
        ui.click((45, 45), release=False)  # in both: the top one only
        ui.click((10, 10), release=False)  # only in the low one
        ui.click((80, 80), release=False)  # only in the high one
        ui.click((200, 200), release=False)  # in neither
        ui.frames(1)
        assert [e.pos for e in low.events_of(EventKind.MOUSE_DOWN)] == [(10, 10)]
        assert [e.pos for e in high.events_of(EventKind.MOUSE_DOWN)] == [(15, 15), (50, 50)]
        request(ui, Place(low.handle, z=1))  # raise the low one
        ui.frames(2)
        assert ui.pixel(45, 45) == RED
        ui.click((45, 45), release=False)
        ui.frames(1)
        assert low.events_of(EventKind.MOUSE_DOWN)[-1].pos == (45, 45)
        assert len(high.events_of(EventKind.MOUSE_DOWN)) == 2


def test_positions_on_a_rotated_and_scaled_surface_are_its_own_pixels(clock):
    probe = Probe(SurfaceRequest((40, 20), position=(100, 100), events=MOUSE,
                                 only_inside=True))
    with UIHarness(probe, clock=clock) as ui:
        ui.frames(1)
        surf = probe.granted.surface
        surf.fill(BLUE)
        surf.fill(RED, (30, 0, 10, 20))  # the right end red
        request(ui, Place(probe.handle, angle=90, scale=2.0))  # anticlockwise: red on top
        request(ui, Redraw(probe.handle))
        ui.frames(2)
        # the centre stays at (120, 110); the red end is now 20-40 px above it
        assert ui.pixel(120, 80) == RED and ui.pixel(120, 130) == BLUE
        ui.click((120, 80), release=False)
        ui.click((120, 130), release=False)
        ui.click((150, 110), release=False)  # beside it, in its old place: a miss
        ui.frames(1)
        downs = probe.events_of(EventKind.MOUSE_DOWN)
        assert len(downs) == 2
        assert downs[0].pos == (35, 10) and downs[1].pos == (10, 10)


def test_one_redraw_per_frame_however_many_were_asked_and_none_when_nothing_changed(clock):
    probe = Probe(SurfaceRequest((10, 10)), fill=GREEN)
    with UIHarness(probe, clock=clock) as ui:
        ui.frames(2)
        drawn = ui.statistics().drawn
        ui.frames(10)
        assert ui.statistics().drawn == drawn  # idle: nothing drawn
        for _ in range(5):
            request(ui, Redraw(probe.handle))
        ui.frames(3)
        assert ui.statistics().drawn == drawn + 1


def test_an_idle_display_runs_one_timeslice_per_frame(clock):
    probe = Probe(SurfaceRequest((10, 10), events=MOUSE))
    with UIHarness(probe, clock=clock) as ui:
        ui.frames(2)
        before = ui.harness.scheduler.timeslices
        ui.frames(30)
        assert ui.harness.scheduler.timeslices - before == 30  # the display's, no spinning
        assert probe.timeslices <= 2


def test_composited_pixels_follow_the_surface(clock):
    probe = Probe(SurfaceRequest((10, 10), position=(20, 20)), fill=RED)
    with UIHarness(probe, clock=clock, background=(9, 9, 9)) as ui:
        ui.frames(1)
        assert ui.pixel(25, 25) == RED and ui.pixel(35, 25) == (9, 9, 9)
        request(ui, Place(probe.handle, position=(30, 20)))
        ui.frames(1)
        assert ui.pixel(35, 25) == RED and ui.pixel(25, 25) == (9, 9, 9)
        request(ui, Place(probe.handle, visible=False))
        ui.frames(1)
        assert ui.pixel(35, 25) == (9, 9, 9)


def test_alpha_and_colour_key(clock):
    keyed = Probe(SurfaceRequest((20, 20), position=(0, 0), colour_key=(0, 0, 0)), name="k")
    faint = Probe(SurfaceRequest((20, 20), position=(40, 0), alpha=128), fill=RED, name="f")
    with UIHarness(keyed, faint, clock=clock, background=(0, 0, 200)) as ui:
        ui.frames(1)
        keyed.granted.surface.fill(GREEN, (0, 0, 10, 20))  # right half stays black: see-through
        request(ui, Redraw(keyed.handle))
        ui.frames(1)
        assert ui.pixel(5, 5) == GREEN and ui.pixel(15, 5) == (0, 0, 200)
        r, g, b = ui.pixel(45, 5)
        assert 120 <= r <= 135 and 90 <= b <= 110  # half red over blue


# -- tracks -----------------------------------------------------------------------------------


def test_a_track_plays_one_entry_per_frame_and_asks_for_more_per_chunk(clock):
    probe = Probe(SurfaceRequest((10, 10), position=(0, 0)), fill=RED)
    with UIHarness(probe, clock=clock) as ui:
        ui.frames(1)
        h = probe.handle
        request(ui, Track(h, [10.0, 50.0, 20.0, 50.0, 30.0, 50.0]))  # centres only
        request(ui, Track(h, [100.0, 60.0, 101.0, 60.0], [90.0, 90.0], [2.0, 2.0]))
        seen = []
        for _ in range(7):
            ui.frames(1)
            seen.append(ui.display.geometry(h))
        assert seen == [(5.0, 45.0, 0.0, 1.0), (15.0, 45.0, 0.0, 1.0), (25.0, 45.0, 0.0, 1.0),
                        (95.0, 55.0, 90.0, 2.0), (96.0, 55.0, 90.0, 2.0),
                        (96.0, 55.0, 90.0, 2.0), (96.0, 55.0, 90.0, 2.0)]  # dry: holds
        assert [m for m in probe.seen if isinstance(m, TrackTaken)] == [
            TrackTaken(h, 1), TrackTaken(h, 0)]
        # drawn where the track left it: centred on (101, 60), twice its size
        assert ui.pixel(92, 51) == RED and ui.pixel(110, 69) == RED
        assert ui.pixel(89, 60) == (0, 0, 0) and ui.pixel(101, 72) == (0, 0, 0)


def test_holding_a_track_pauses_it_in_place_and_nothing_is_lost(clock):
    probe = Probe(SurfaceRequest((10, 10)), fill=RED)
    with UIHarness(probe, clock=clock) as ui:
        ui.frames(1)
        h = probe.handle
        request(ui, Track(h, [c for i in range(10) for c in (float(i), 0.0)]))
        ui.frames(3)
        request(ui, Hold(h, True))
        ui.frames(1)
        held = ui.display.geometry(h)
        drawn = ui.statistics().drawn
        ui.frames(20)
        assert ui.display.geometry(h) == held and ui.statistics().drawn == drawn
        request(ui, Hold(h, False))
        ui.frames(1)
        assert ui.display.geometry(h)[0] == held[0] + 1.0  # the very next entry


def test_a_track_without_angles_or_scales_keeps_the_ones_placed_even_while_it_plays(clock):
    probe = Probe(SurfaceRequest((10, 10), position=(0, 0)), fill=RED)
    with UIHarness(probe, clock=clock) as ui:
        ui.frames(1)
        h = probe.handle
        request(ui, Place(h, angle=90.0, scale=2.0))
        request(ui, Track(h, [c for i in range(6) for c in (10.0 * i, 50.0)]))  # centres
        seen = []
        for step in range(6):
            if step == 2:  # placed while the chunk plays: it holds from the next frame
                request(ui, Place(h, angle=45.0))
            if step == 4:
                request(ui, Place(h, scale=0.5))
            ui.frames(1)
            seen.append(ui.display.geometry(h))
        assert seen == [(-5.0, 45.0, 90.0, 2.0), (5.0, 45.0, 90.0, 2.0),
                        (15.0, 45.0, 45.0, 2.0), (25.0, 45.0, 45.0, 2.0),
                        (35.0, 45.0, 45.0, 0.5), (45.0, 45.0, 45.0, 0.5)]
        # a chunk that gives angles wins over a Place for the frames it plays
        request(ui, Track(h, [0.0, 0.0, 1.0, 1.0], [10.0, 20.0]))
        ui.frames(1)
        request(ui, Place(h, angle=170.0))
        ui.frames(1)
        assert ui.display.geometry(h) == (-4.0, -4.0, 20.0, 0.5)
        ui.frames(1)  # dry: the last geometry holds, and a Place now is kept
        request(ui, Place(h, angle=170.0))
        ui.frames(1)
        assert ui.display.geometry(h) == (-4.0, -4.0, 170.0, 0.5)


def test_a_track_of_values_that_are_not_numbers_is_bad_input_and_moves_nothing(clock):
    probe = Probe(SurfaceRequest((10, 10), position=(20, 20)), fill=RED)
    with UIHarness(probe, clock=clock, on_error="send") as ui:
        errors = ui.watch(ui.display, "error")
        ui.frames(1)
        request(ui, Track(probe.handle, [1.0, "2"]))
        request(ui, Track(probe.handle, [1.0, 2.0], scales=[None]))  # type: ignore[list-item]
        ui.frames(2)
        assert [e.problem for e in errors] == [
            "a Track's values must be numbers: must be real number, not str",
            "a Track's values must be numbers: must be real number, not NoneType"]
        assert ui.display.geometry(probe.handle) == (20.0, 20.0, 0.0, 1.0)
        request(ui, Track(probe.handle, [100.0, 100.0]))
        ui.frames(1)
        assert ui.display.geometry(probe.handle) == (95.0, 95.0, 0.0, 1.0)  # still served


def test_a_bad_track_is_bad_input(clock):
    probe = Probe(SurfaceRequest((10, 10)))
    with UIHarness(probe, clock=clock, on_error="send") as ui:
        errors = ui.watch(ui.display, "error")
        request(ui, Track(probe.handle, [1.0, 2.0, 3.0]))
        request(ui, Track(probe.handle, [1.0, 2.0], angles=[1.0, 2.0]))
        request(ui, Redraw(9999))
        request(ui, "paint it black")
        ui.frames(1)
        problems = [e.problem for e in errors]
        assert all(isinstance(e, BadInput) and e.component == ui.display.path for e in errors)
        assert "got 3 centre values, no angles" in problems[0]
        assert "got 2 centre values, 2 angles" in problems[1]
        assert "names no surface" in problems[2]
        assert "not a display request: str" in problems[3]
        ui.frames(1)
        assert not ui.display.done  # everyone else is still served


def test_bad_requests_raise_by_default_naming_the_display(clock):
    with pytest.raises(ComponentError, match=r"Display.*names no surface"):
        with UIHarness(clock=clock) as ui:
            request(ui, Place(42, position=(1, 1)))
            ui.frames(1)


# -- ending --------------------------------------------------------------------------------------


def test_quit_reaches_subscribers_then_closes_and_clients_hear_it(clock):
    probe = Probe(SurfaceRequest((10, 10), events=frozenset({EventKind.QUIT})))
    with UIHarness(probe, clock=clock, on_quit="close") as ui:
        notices = ui.watch(ui.display)
        ui.post(pygame.QUIT)
        ui.frames(1)
        ui.run_until_idle()
        assert probe.events_of(EventKind.QUIT) == [Quit(EventKind.QUIT, "window closed")]
        assert list(notices) == [Quit(EventKind.QUIT, "window closed")]
        assert ui.display.done and probe.done
        assert DisplayClosed("window closed") in probe.seen
        assert not pygame.display.get_init()  # the window is gone


def test_quit_with_deliver_leaves_it_to_the_subscribers(clock):
    probe = Probe(SurfaceRequest((10, 10), events=frozenset({EventKind.QUIT})))
    with UIHarness(probe, clock=clock, on_quit="deliver") as ui:
        request(ui, RequestQuit("asked nicely"))
        ui.frames(3)
        assert probe.events_of(EventKind.QUIT) == [Quit(EventKind.QUIT, "asked nicely")]
        assert not ui.display.done


def test_quit_by_default_ends_the_whole_system_cleanly():
    class Stubborn(Component):  # would wait for ever
        def main(self) -> Generator[Any, Any, None]:
            try:
                while True:
                    self.pause()
                    yield
            finally:
                self.cleaned = True

    stubborn = Stubborn()
    poster = Probe(SurfaceRequest((1, 1)))
    display = Display((50, 50), frames=3)  # quits after 3 frames, like --frames
    run(Graphline(display=display, stubborn=stubborn, poster=poster), timeout=10)
    assert stubborn.cleaned and display.closed_reason == "3 frames" and poster.done


def test_shutdown_closes_the_window_and_clients_end_with_it(clock):
    probe = Probe(SurfaceRequest((10, 10)))
    with UIHarness(probe, clock=clock) as ui:
        ui.display.inboxes["control"].put(Shutdown())
        ui.run_until_idle()
        assert ui.display.done and probe.done
        assert DisplayClosed("Shutdown") in probe.seen
        assert ui.display.end_message is None  # passed on, not kept


def test_a_client_that_ends_without_releasing_has_its_surface_taken_back(clock):
    probe = Probe(SurfaceRequest((10, 10)))
    with UIHarness(probe, clock=clock) as ui:
        assert ui.statistics().surfaces == 1
        probe.release_all = lambda: None  # type: ignore[method-assign]  # a careless client
        probe.inboxes["control"].put(ProducerFinished())
        ui.frames(65)  # the display looks for them every 64 frames
        assert probe.done and ui.statistics().surfaces == 0


def test_sigint_and_sigterm_become_quit_while_the_window_is_open(clock):
    before = signal.getsignal(signal.SIGINT)
    probe = Probe(SurfaceRequest((10, 10), events=frozenset({EventKind.QUIT})))
    with UIHarness(probe, clock=clock, on_quit="deliver") as ui:
        os.kill(os.getpid(), signal.SIGINT)  # no KeyboardInterrupt: a QUIT event instead
        ui.frames(1)
        os.kill(os.getpid(), signal.SIGTERM)
        ui.frames(1)
        assert [q.reason for q in probe.events_of(EventKind.QUIT)] == ["SIGINT", "SIGTERM"]
    assert signal.getsignal(signal.SIGINT) is before  # given back with the window


def test_screenshots(clock, tmp_path):
    probe = Probe(SurfaceRequest((10, 10), position=(5, 5)), fill=GREEN)
    with UIHarness(probe, clock=clock) as ui:
        saved = ui.watch(ui.display)
        path = str(tmp_path / "shot.png")
        request(ui, Screenshot(path))
        ui.frames(1)
        assert list(saved) == [Saved(path)]
        image = pygame.image.load(path)
        assert tuple(image.get_at((7, 7)))[:3] == GREEN


# -- idle ------------------------------------------------------------------------------------------


def test_an_idle_display_polls_slower_and_wakes_for_an_event_or_a_request(clock):
    probe = Probe(SurfaceRequest((10, 10), events=MOUSE), fill=RED)
    with UIHarness(probe, clock=clock, idle_fps=20, idle_after=1.0) as ui:
        start, frames = clock.now(), ui.frame
        while clock.now() - start < 3.0:
            ui.frames(1)
        # about a second at 60 frames a second, then 20 a second
        assert 60 + 35 <= ui.frame - frames <= 60 + 45
        t0 = clock.now()
        ui.frames(1)
        assert clock.now() - t0 == pytest.approx(0.05)
        ui.click((5, 5), release=False)  # seen at the next (slow) poll ...
        ui.frames(1)
        assert probe.events_of(EventKind.MOUSE_DOWN)
        t0 = clock.now()
        ui.frames(1)  # ... and then it is back to full speed
        assert clock.now() - t0 == pytest.approx(1 / 60)
        while clock.now() - t0 < 2.0:  # idle again
            ui.frames(1)
        t0, drawn = clock.now(), ui.statistics().drawn
        probe.inboxes["inbox"].put(Redraw(probe.handle))  # a client's request wakes it:
        ui.run_until_idle()                # drawn a 60th of a second after the last frame
        ui.frames(1)
        assert ui.statistics().drawn == drawn + 1 and clock.now() - t0 <= 1 / 60 + 1e-9


def test_frame_subscribers_keep_the_display_at_full_speed(clock):
    probe = Probe(SurfaceRequest((10, 10), events=frozenset({EventKind.FRAME})))
    with UIHarness(probe, clock=clock, idle_fps=20, idle_after=0.5) as ui:
        t0, f0 = clock.now(), ui.frame
        ui.frames(120)
        assert clock.now() - t0 == pytest.approx(2.0) and ui.frame - f0 == 120


def test_window_size_and_host_port_parse_what_the_demos_take_and_name_what_is_wrong() -> None:
    import argparse

    from components.ui import window_size
    from components.ui.graph.server import host_port

    assert window_size("800x600") == (800, 600) and window_size("10X20") == (10, 20)
    for bad in ("800", "x600", "800x", "0x600", "axb", "800x600x1"):
        with pytest.raises(argparse.ArgumentTypeError, match="WIDTHxHEIGHT"):
            window_size(bad)
    assert host_port("example.org:1500") == ("example.org", 1500)
    assert host_port(":1500") == ("127.0.0.1", 1500)
    for bad in ("1500", "host:", "host:0", "host:70000", "host:p"):
        with pytest.raises(argparse.ArgumentTypeError, match="HOST:PORT"):
            host_port(bad)
