"""apps.bouncing, headless: the controls (add, freeze, remove, orders, quit) through posted
events, checked by the display's geometry, pixels, sounds and inbox depths."""

from __future__ import annotations

import pygame
import pytest

from apps import bouncing
from components.testing import FakeClock
from components.ui import Played
from components.ui.testing import UIHarness


def start(*argv: str) -> tuple[UIHarness, bouncing.Game, list[Played]]:
    clock = FakeClock()
    system = bouncing.build(bouncing.parse(["--seed", "3", *argv]), clock)
    ui = UIHarness(system, clock=clock, display=system.child("display"))
    ui.frames(2)
    game: bouncing.Game = system.child("game")  # type: ignore[assignment]
    return ui, game, ui.watch(system.child("audio"))  # type: ignore[return-value]


def centres(ui: UIHarness, game: bouncing.Game) -> dict[str, tuple[float, float]]:
    out = {}
    for s in game.sprites():
        x, y, _, _ = ui.display.geometry(s.handle)
        w, h = s.image.get_size()
        out[s.name] = (x + w / 2, y + h / 2)
    return out


def test_it_starts_with_the_cats_asked_for_each_a_composition():
    ui, game, _ = start("--sprites", "5")
    with ui:
        assert len(game.cats) == 5
        cat = next(iter(game.cats.values()))
        assert sorted(c.label for c in cat.children) == ["move", "orders", "pulse", "spin",
                                                         "sprite"]
        before = centres(ui, game)
        ui.frames(10)
        after = centres(ui, game)
        assert all(before[k] != after[k] for k in before)  # they all move


def test_the_cats_chunk_work_comes_a_group_at_a_time_never_all_at_once():
    # 16 cats, chunks of 16 frames, 8 groups: two cats' chunk work every other frame
    # (a display frame, and four timeslices a cat), never sixteen cats' in one frame
    ui, _, _ = start("--sprites", "16", "--chunk", "16")
    with ui:
        ui.frames(20)
        sched = ui.harness.scheduler
        per_frame = []
        for _ in range(32):
            before = sched.timeslices
            ui.frames(1)
            per_frame.append(sched.timeslices - before)
        assert sum(per_frame) == 32 + 2 * 16 * 4  # two chunk periods
        assert max(per_frame) == 1 + 2 * 4


def test_left_click_adds_a_cat_under_the_pointer_with_a_beep():
    ui, game, sounds = start("--sprites", "0")
    with ui:
        ui.click((400, 300))
        ui.frames(2)
        assert len(game.cats) == 1 and [p.name for p in sounds] == ["beep"]
        (where,) = centres(ui, game).values()
        assert abs(where[0] - 400) < 10 and abs(where[1] - 300) < 10  # a frame's move
        assert ui.pixel(int(where[0]), int(where[1])) != (0, 0, 0)


def test_middle_click_freezes_and_unfreezes_the_cat_under_the_pointer():
    ui, game, _ = start("--sprites", "1")
    with ui:
        (name, (x, y)), = centres(ui, game).items()
        ui.click((int(x), int(y)), button=2)
        ui.frames(2)
        held = centres(ui, game)[name]
        ui.frames(30)
        assert centres(ui, game)[name] == held
        ui.click((int(held[0]), int(held[1])), button=2)
        ui.frames(2)
        assert centres(ui, game)[name] != held


def test_right_click_removes_the_cat_under_the_pointer_with_a_pop():
    ui, game, sounds = start("--sprites", "1")
    with ui:
        (cat,) = game.cats.values()
        (x, y), = centres(ui, game).values()
        ui.click((int(x), int(y)), button=3)
        ui.frames(3)
        assert game.cats == {} and cat.done and all(c.done for c in cat.children)
        assert [p.name for p in sounds] == ["pop"]
        assert ui.statistics().surfaces == 2  # the game's and the score's
        assert cat not in game.children  # and the game let go of it


def test_keys_freeze_unfreeze_and_toggle_every_cat_and_frozen_inboxes_stay_bounded():
    ui, game, _ = start("--sprites", "6")
    with ui:
        ui.key(pygame.K_p, "p")
        ui.frames(3)
        held = centres(ui, game)
        behaviours = [b for cat in game.cats.values() for b in cat.children
                      if b.label in ("move", "spin", "pulse")]
        chunks = [b.chunks for b in behaviours]
        ui.frames(600)  # ten seconds frozen
        assert centres(ui, game) == held and [b.chunks for b in behaviours] == chunks
        for s in game.sprites():
            assert all(len(ib.queue) <= 1 for ib in s.inboxes.values())
            assert all(ib.statistics().dropped == 0 for ib in s.inboxes.values())
        ui.key(pygame.K_u, "u")
        ui.frames(2)
        moved = centres(ui, game)
        assert all(moved[k] != held[k] for k in held)
        ui.key(pygame.K_t, "t")  # toggle: all frozen again
        ui.frames(2)
        toggled = centres(ui, game)
        ui.frames(5)
        assert centres(ui, game) == toggled


def test_q_quits_and_the_whole_system_ends():
    ui, game, _ = start("--sprites", "3")
    with ui:
        ui.key(pygame.K_q, "q")
        ui.frames(2)  # the game hears Q at one frame, the display quits at the next
        ui.run_until_idle()
        assert ui.harness.finished  # everything ended: display, game, cats, audio
        assert all(c.done for c in ui.harness.scheduler.components) \
            and not ui.harness.scheduler.components
        assert not pygame.display.get_init()


def test_the_score_counts_the_cats():
    ui, game, _ = start("--sprites", "2")
    with ui:
        score = game.parent.child("score")  # type: ignore[union-attr]
        assert score.text == "2 cats"
        ui.click((100, 500))
        ui.frames(2)
        assert score.text == "3 cats"


@pytest.mark.parametrize("argv", [["--sprites", "0"], ["--chunk", "1"]])
def test_options(argv):
    ui, game, _ = start(*argv)
    with ui:
        ui.frames(5)
        assert not ui.display.done
