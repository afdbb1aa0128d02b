"""Each demo in a real X server (Xvfb, SDL's x11 driver), checked by screenshots of what
the X server shows: not blank, sprites where the display says they are, the picture the
display composited.  The X server is started on a free display and stopped by the tests."""

from __future__ import annotations

import time

import numpy as np
import pygame
import pytest

from apps import _art, bouncing, gallery, paint, steer

from .demos import Xvfb, finish, read_json_line, save_png, start_demo


@pytest.fixture(scope="module")
def x(tmp_path_factory):  # type: ignore[no-untyped-def]
    server = Xvfb(tmp_path_factory.mktemp("xvfb"))
    yield server
    server.close()


@pytest.fixture(scope="module", autouse=True)
def fonts():  # type: ignore[no-untyped-def]
    pygame.font.init()  # to draw the expected backdrops here


def window(shot, size):  # type: ignore[no-untyped-def]
    w, h = size
    return shot[:h, :w]


def as_array(surface: pygame.Surface):  # type: ignore[no-untyped-def]
    return pygame.surfarray.array3d(surface).swapaxes(0, 1)


def check_sprites(shot, backdrop, centres, keep_clear, tmp_path, name):  # type: ignore[no-untyped-def]
    """Each centre shows a sprite (not the backdrop); points far from every sprite (and
    outside ``keep_clear``) show exactly the backdrop; the picture is not blank."""
    save_png(shot, tmp_path / f"{name}.png")
    assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 50, "blank screen"
    for cx, cy in centres:
        assert (shot[cy, cx] != backdrop[cy, cx]).any(), f"no sprite at {(cx, cy)}"
    h, w, _ = shot.shape
    far = 0
    for y in range(5, h, 37):
        for x in range(5, w, 41):
            if any(abs(x - cx) < 60 and abs(y - cy) < 60 for cx, cy in centres):
                continue
            if any(x0 <= x < x0 + ww and y0 <= y < y0 + hh for x0, y0, ww, hh in keep_clear):
                continue
            assert (shot[y, x] == backdrop[y, x]).all(), f"stray pixels at {(x, y)}"
            far += 1
    assert far > 100


def test_bouncing_under_x11(x, tmp_path):
    proc = start_demo("bouncing", "--sprites", "6", "--seed", "4", "--freeze-at", "20",
                      "--report-at", "25", "--frames", "100", env=x.env())
    cats = read_json_line(proc, timeout=60)  # frozen since frame 20: the picture holds
    shot = window(x.settled_screenshot(), bouncing.SIZE)
    code, _, err = finish(proc, timeout=60)
    assert code == 0, err
    backdrop = as_array(_art.backdrop(bouncing.SIZE, "bouncing cats", bouncing.HELP))
    assert len(cats) == 6
    check_sprites(shot, backdrop, list(cats.values()), [(10, 10, 160, 28)], tmp_path,
                  "bouncing")


def test_steer_under_x11(x, tmp_path):
    proc = start_demo("steer", "--report-at", "5", "--frames", "80", env=x.env())
    where = read_json_line(proc, timeout=60)
    shot = window(x.settled_screenshot(), steer.SIZE)
    code, _, err = finish(proc, timeout=60)
    assert code == 0, err
    assert where == {"cat": [200, 300], "mouse": [600, 300]}
    backdrop = as_array(_art.backdrop(steer.SIZE, "cat and mouse", steer.HELP))
    check_sprites(shot, backdrop, list(where.values()), [], tmp_path, "steer")
    cat_fur = np.array(_art.FURS[0])
    assert (np.abs(shot[290:310, 190:210].astype(int) - cat_fur).sum(axis=2) == 0).any()


def test_paint_under_x11(x, tmp_path):
    proc = start_demo("paint", "--flood", "20000", "--frames", "200", env=x.env())
    bx, by, bw, bh = paint.BOARD
    shot = None
    deadline = time.monotonic() + 30
    while shot is None and time.monotonic() < deadline:  # once the spiral is under way
        candidate = window(x.screenshot(), paint.SIZE)
        board = candidate[by:by + bh, bx:bx + bw].astype(int)
        paper = tuple(candidate[by + 5, bx + 5]) == (250, 250, 245)
        if paper and (board.sum(axis=2) < 200).sum() > 5000:
            shot = candidate
        time.sleep(0.1)
    code, _, err = finish(proc, timeout=60)
    assert code == 0, err
    assert shot is not None, "no strokes appeared on the board"
    save_png(shot, tmp_path / "paint.png")
    assert tuple(shot[24, 20 + 86 + 6]) == (220, 40, 40)  # the red swatch
    assert tuple(shot[24, 20 + 3 * 86 + 6]) == (40, 80, 220)  # the blue one
    assert tuple(shot[by + 5, bx + 5]) == (250, 250, 245)  # the board's corner: paper
    assert tuple(shot[5, 5]) == (40, 44, 60)  # the window's background


def test_gallery_under_x11_shows_what_the_display_composited(x, tmp_path):
    last = tmp_path / "gallery-last.png"
    proc = start_demo("gallery", "--welcome", "hello from X", "--frames", "120",
                      "--screenshot", str(last), env=x.env())
    shot = window(x.settled_screenshot(), gallery.SIZE)
    code, _, err = finish(proc, timeout=60)
    assert code == 0, err
    save_png(shot, tmp_path / "gallery.png")
    composited = as_array(pygame.image.load(str(last)))
    same = (shot == composited).all(axis=2).mean()
    assert same > 0.999, f"only {same:.2%} of the X screen matches the display's last frame"
    assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 100
