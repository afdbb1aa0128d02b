"""Sprites and behaviours: motion in chunks played by the display, freezing that costs
nothing and keeps every inbox bounded, clicks, orders, steering."""

from __future__ import annotations

import pygame
import pytest

from axon import (
    RECEIVE,
    Backplane,
    Component,
    ComponentError,
    Graphline,
    Pipeline,
    PublishTo,
    Shutdown,
    State,
    run,
)
from components.testing import FakeClock
from components.ui import (
    Bounce,
    Direction,
    KeyEvent,
    Pulse,
    Spin,
    Sprite,
    SpriteCommand,
    SpriteNotice,
    Steer,
    Steering,
    sprite,
)
from components.ui.testing import UIHarness

RED = (255, 0, 0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def square(size: int = 10, colour: tuple[int, int, int] = RED) -> pygame.Surface:
    s = pygame.Surface((size, size))
    s.fill(colour)
    return s


def centre(ui: UIHarness, s: Sprite) -> tuple[float, float]:
    x, y, _, _ = ui.display.geometry(s.handle)
    w, h = s.image.get_size()
    return x + w / 2, y + h / 2


# -- behaviours ---------------------------------------------------------------------------------


def test_bounce_reflects_off_the_edges_in_flat_chunks():
    b = Bounce((8, 5), (3, -2), (0, 0, 10, 10), chunk=4)
    # x: 8+3 = 11 is 1 past 10, so 9, then back; y: 5-2-2-2 = -1 is 1 short of 0, so 1
    assert b.values(4) == [9, 3, 6, 1, 3, 1, 0, 3]
    assert b.values(1) == [3, 5]  # the next chunk carries on


def test_spin_and_pulse():
    assert Spin(350, 5).values(3) == [355.0, 0.0, 5.0]
    p = Pulse(0.5, 1.0, start=0.9, step=0.1)
    assert [round(v, 6) for v in p.values(4)] == [1.0, 0.9, 0.8, 0.7]
    with pytest.raises(ValueError):
        Pulse(1.0, 0.5)


def test_a_behaviour_refuses_to_run_ahead_into_an_unbounded_inbox():
    class Sink(Component):
        Inboxes = {"inbox": "unbounded", "control": "end"}

        def main(self):  # type: ignore[no-untyped-def]
            while True:
                self.pause()
                yield

    with pytest.raises(ComponentError, match="bounded inbox"):
        run(Pipeline(Spin(0, 1), Sink()), timeout=5)


# -- motion ---------------------------------------------------------------------------------------


def test_a_sprite_moves_one_value_per_frame_from_its_behaviours(clock):
    cat = sprite(square(), position=(100, 100), velocity=(3, 1), area=(0, 0, 320, 240),
                 spin=2, chunk=4, name="c")
    s = cat.child("sprite")
    with UIHarness(cat, clock=clock) as ui:
        ui.frames(2)
        seen = []
        for _ in range(10):
            ui.frames(1)
            x, y, angle, _ = ui.display.geometry(s.handle)
            seen.append((x + 5, y + 5, angle))
        steps = {(round(b[0] - a[0], 6), round(b[1] - a[1], 6), round(b[2] - a[2], 6))
                 for a, b in zip(seen, seen[1:])}
        assert steps == {(3.0, 1.0, 2.0)}  # every frame, across chunk edges
        assert ui.pixel(int(seen[-1][0]), int(seen[-1][1])) == RED


def test_a_sprite_costs_its_components_one_timeslice_per_chunk(clock):
    cat = sprite(square(), position=(100, 100), velocity=(1, 1), area=(0, 0, 320, 240),
                 spin=1, pulse=(0.5, 1.5, 0.01), chunk=16, name="c")
    with UIHarness(cat, clock=clock) as ui:
        ui.frames(10)
        before = ui.harness.scheduler.timeslices
        ui.frames(64)
        per_frame = (ui.harness.scheduler.timeslices - before) / 64
        # the display's one a frame, and the sprite + 3 behaviours once per 16 frames
        assert per_frame <= 1 + 4 / 16 + 0.05


def test_sprites_given_phases_spread_their_chunk_work_over_the_frames(clock):
    # 8 sprites, chunks of 8 frames, phases 0..7: one sprite's chunk work every frame, for
    # ever (not all eight in one frame out of eight: a stutter the median frame hides)
    cats = [sprite(square(), position=(100, 100), velocity=(1, 1), area=(0, 0, 320, 240),
                   spin=1, pulse=(0.5, 1.5, 0.01), chunk=8, phase=i, name=f"c{i}")
            for i in range(8)]
    with UIHarness(*cats, clock=clock) as ui:
        ui.frames(12)
        sched = ui.harness.scheduler
        per_frame = []
        for _ in range(40):  # five chunk periods
            before = sched.timeslices
            ui.frames(1)
            per_frame.append(sched.timeslices - before)
        assert sum(per_frame) == 40 * (1 + 4)  # the display, and 4 per sprite-chunk
        assert max(per_frame) <= 1 + 2 * 4  # an edge may fall a frame late, never bunched


def test_freezing_costs_nothing_and_no_inbox_grows(clock):
    cat = sprite(square(), position=(100, 100), velocity=(2, 0), area=(0, 0, 320, 240),
                 spin=3, pulse=(0.5, 1.5, 0.01), chunk=8, clicks={2: SpriteCommand.TOGGLE},
                 name="c")
    s: Sprite = cat.child("sprite")  # type: ignore[assignment]
    behaviours = [cat.child(k) for k in ("move", "spin", "pulse")]
    with UIHarness(cat, clock=clock) as ui:
        notices = ui.watch(cat)
        ui.frames(20)
        x, y = centre(ui, s)
        ui.click((int(x), int(y)), button=2, release=False)  # middle click: freeze
        ui.frames(2)
        assert list(notices) == [SpriteNotice("c", SpriteCommand.FREEZE)]
        frozen_at = ui.display.geometry(s.handle)
        chunks = [b.chunks for b in behaviours]
        ticks = ui.harness.scheduler.timeslices
        drawn = ui.statistics().drawn
        ui.frames(300)  # five seconds frozen
        assert ui.display.geometry(s.handle) == frozen_at
        assert [b.chunks for b in behaviours] == chunks  # nothing computed
        assert all(b.state is State.BLOCKED for b in behaviours)  # waiting, not polling
        assert ui.harness.scheduler.timeslices - ticks == 300  # the display's only
        assert ui.statistics().drawn == drawn  # nothing changed: nothing drawn
        for box in ("inbox", "angle", "scale", "commands", "display", "events"):
            assert len(s.inboxes[box].queue) <= 1, box
        assert all(s.inboxes[b].statistics().dropped == 0 for b in ("inbox", "angle", "scale"))
        ui.click((int(x), int(y)), button=2, release=False)  # unfreeze: continues in place
        ui.frames(2)
        assert ui.display.geometry(s.handle)[0] == pytest.approx(frozen_at[0] + 2.0)
        assert list(notices)[-1] == SpriteNotice("c", SpriteCommand.UNFREEZE)


def test_right_click_removes_the_sprite_and_its_behaviours(clock):
    cat = sprite(square(20), position=(50, 50), velocity=(0.5, 0), area=(0, 0, 320, 240),
                 spin=1, clicks={3: SpriteCommand.REMOVE}, name="c")
    with UIHarness(cat, clock=clock) as ui:
        notices = ui.watch(cat)
        ui.click((200, 200), button=3, release=False)  # not on it
        ui.frames(2)
        assert not cat.done
        ui.click((51, 51), button=3, release=False)
        ui.frames(3)
        assert list(notices) == [SpriteNotice("c", SpriteCommand.REMOVE)]
        assert cat.done and all(c.done for c in cat.children)
        assert ui.statistics().surfaces == 0 and ui.pixel(51, 51) == (0, 0, 0)


def test_sprites_obey_orders_from_a_backplane(clock):
    cats = [sprite(square(), position=(30 + 40 * i, 50), velocity=(1, 0),
                   area=(0, 0, 320, 240), orders="orders", chunk=4, name=f"c{i}")
            for i in range(3)]
    boss = PublishTo("orders")
    with UIHarness(Backplane("orders"), boss, *cats, clock=clock) as ui:
        ui.frames(5)
        boss.inboxes["inbox"].put(SpriteCommand.FREEZE)
        ui.frames(2)
        held = [ui.display.geometry(c.child("sprite").handle) for c in cats]
        ui.frames(10)
        assert [ui.display.geometry(c.child("sprite").handle) for c in cats] == held
        boss.inboxes["inbox"].put(SpriteCommand.TOGGLE)
        ui.frames(2)
        assert all(ui.display.geometry(c.child("sprite").handle) != h
                   for c, h in zip(cats, held))
        boss.inboxes["inbox"].put(SpriteCommand.REMOVE)
        ui.frames(3)
        assert all(c.done for c in cats) and ui.statistics().surfaces == 0


def test_shutdown_ends_a_sprite_and_releases_behaviours_waiting_on_it(clock):
    cat = sprite(square(), position=(50, 50), velocity=(1, 1), area=(0, 0, 320, 240),
                 spin=1, pulse=(0.5, 1.5, 0.02), name="c")
    with UIHarness(cat, clock=clock) as ui:
        signals = ui.watch(cat, "signal")
        ui.frames(5)
        cat.inboxes["control"].put(Shutdown())
        ui.frames(2)
        assert cat.done and all(c.done for c in cat.children)
        assert len(signals) == 1 and isinstance(signals[0], Shutdown)


class Relay(Component):
    """Passes on what it gets (so chunks reach the sprite through a link, as from a
    behaviour, not by a test's put, which would wake it whatever it waits for)."""

    def main(self):  # type: ignore[no-untyped-def]
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for msg in batch:
                out.push(msg)


def test_a_sprite_that_ran_out_of_motion_wakes_for_the_next_chunk(clock):
    relay = Relay()
    s = Sprite(square(), position=(50, 50))  # nothing runs ahead of it
    with UIHarness(Pipeline(relay, s), clock=clock) as ui:
        relay.inboxes["inbox"].put([60.0, 50.0, 70.0, 50.0])
        ui.frames(4)
        assert centre(ui, s) == (70, 50)  # played, then held
        ticks = ui.harness.scheduler.timeslices
        ui.frames(5)  # starving: asleep, costing nothing
        assert ui.harness.scheduler.timeslices - ticks == 5
        relay.inboxes["inbox"].put([80.0, 50.0])
        ui.frames(3)
        assert centre(ui, s) == (80, 50)


def test_a_new_picture_replaces_the_old(clock):
    s = Sprite(square(10, RED), position=(50, 50))
    with UIHarness(s, clock=clock) as ui:
        assert ui.pixel(50, 50) == RED
        s.inboxes["image"].put(square(30, (0, 0, 255)))
        ui.frames(2)
        assert ui.pixel(50, 50) == (0, 0, 255) and ui.pixel(38, 38) == (0, 0, 255)


# -- steering --------------------------------------------------------------------------------------


def test_keys_steer_a_sprite_through_a_pipeline_of_input_and_logic(clock):
    down = {pygame.K_LEFT: Steer(Direction.LEFT, True), pygame.K_UP: Steer(Direction.UP, True)}
    up = {pygame.K_LEFT: Steer(Direction.LEFT, False), pygame.K_UP: Steer(Direction.UP, False)}
    s = Sprite(square(), position=(100, 100), ahead=1)
    steering = Steering((100, 100), speed=4, area=(0, 0, 320, 240))
    ship = Pipeline(KeyEvent(down, key_up=up, ticks=True), steering, s)
    with UIHarness(ship, clock=clock) as ui:
        ui.frames(5)
        assert centre(ui, s) == (100, 100)
        ui.key(pygame.K_LEFT, up=False)
        xs = []
        for _ in range(5):
            ui.frames(1)
            xs.append(centre(ui, s)[0])
        assert xs == [100, 96, 92, 88, 84]  # moving from the 2nd frame after the key
        ui.post(pygame.KEYUP, key=pygame.K_LEFT, mod=0, unicode="")
        ui.key(pygame.K_UP, up=False)
        ui.frames(5)
        x, y = centre(ui, s)
        assert x == 80 and y == 100 - 4 * 4  # up from the frame after the keys
        ui.frames(60)
        assert centre(ui, s) == (x, 0)  # kept inside the area
        s.inboxes["commands"].put(SpriteCommand.FREEZE)
        ui.frames(2)
        moves, skipped = steering.moves, steering.skipped
        ui.frames(100)
        assert steering.moves == moves and steering.skipped == skipped + 100
        assert len(s.inboxes["inbox"].queue) <= 1 and len(steering.inboxes["inbox"].queue) == 0


def test_steering_rejects_what_is_not_a_steer_or_a_tick(clock):
    st = Steering((0, 0), on_error="send")
    s = Sprite(square(), position=(0, 0))
    with UIHarness(Pipeline(st, s), clock=clock) as ui:
        errors = ui.watch(st, "error")
        st.inboxes["inbox"].put("north")
        ui.frames(1)
        assert "Steer records and Frame ticks" in errors[0].problem


def test_sprite_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown stream"):
        Sprite(square(), streams=("wobble",))
    with pytest.raises(ValueError, match="needs an area"):
        sprite(square(), position=(0, 0), velocity=(1, 1))
    assert isinstance(sprite(square(), position=(0, 0)), Graphline)
