"""Pictures and sounds for the demos, made by the program (nothing is loaded from files)."""

from __future__ import annotations

import math
import random
from typing import Any

import pygame

from components.ui import sweep, tone

Colour = tuple[int, int, int]

FURS: list[Colour] = [(240, 160, 60), (120, 120, 130), (250, 240, 230), (60, 50, 45),
                      (200, 120, 70), (230, 200, 140)]


def cat(size: int = 64, fur: Colour = (240, 160, 60), seed: int = 0) -> pygame.Surface:
    """A cat's face on a transparent background."""
    rnd = random.Random(seed)
    s = pygame.Surface((size, size), pygame.SRCALPHA)
    k = size / 64
    dark = tuple(max(0, c - 70) for c in fur)
    cx, cy = size / 2, size * 0.56
    r = 23 * k
    for side in (-1, 1):  # ears
        ear = [(cx + side * 20 * k, cy - 6 * k), (cx + side * 22 * k, cy - 30 * k),
               (cx + side * 6 * k, cy - 19 * k)]
        pygame.draw.polygon(s, fur, ear)
        inner = [(cx + side * 17 * k, cy - 10 * k), (cx + side * 19 * k, cy - 24 * k),
                 (cx + side * 9 * k, cy - 17 * k)]
        pygame.draw.polygon(s, (240, 150, 170), inner)
    pygame.draw.circle(s, fur, (cx, cy), r)
    for i in range(rnd.randint(0, 3)):  # stripes on the forehead
        x = cx + (i - 1) * 6 * k
        pygame.draw.line(s, dark, (x, cy - r + 2 * k), (x, cy - r + 9 * k), max(1, int(2 * k)))
    for side in (-1, 1):  # eyes
        ex = cx + side * 9 * k
        pygame.draw.ellipse(s, (250, 250, 250), (ex - 6 * k, cy - 8 * k, 12 * k, 11 * k))
        pygame.draw.ellipse(s, (90, 170, 60), (ex - 4 * k, cy - 7 * k, 8 * k, 9 * k))
        pygame.draw.ellipse(s, (10, 10, 10), (ex - 1.5 * k, cy - 7 * k, 3 * k, 9 * k))
    nose = [(cx - 3 * k, cy + 4 * k), (cx + 3 * k, cy + 4 * k), (cx, cy + 7 * k)]
    pygame.draw.polygon(s, (230, 110, 130), nose)
    pygame.draw.arc(s, dark, (cx - 7 * k, cy + 4 * k, 7 * k, 7 * k), math.pi, 2 * math.pi, 1)
    pygame.draw.arc(s, dark, (cx, cy + 4 * k, 7 * k, 7 * k), math.pi, 2 * math.pi, 1)
    for side in (-1, 1):  # whiskers
        for dy in (-2, 2):
            pygame.draw.line(s, (40, 40, 40), (cx + side * 8 * k, cy + 6 * k),
                             (cx + side * 27 * k, cy + (6 + 3 * dy) * k), 1)
    pygame.draw.circle(s, dark, (cx, cy), r, max(1, int(1.5 * k)))
    return s


def mouse(size: int = 48) -> pygame.Surface:
    """A grey mouse's face with big round ears."""
    s = pygame.Surface((size, size), pygame.SRCALPHA)
    k = size / 48
    grey, pink = (150, 150, 160), (240, 160, 180)
    cx, cy = size / 2, size * 0.58
    for side in (-1, 1):
        pygame.draw.circle(s, grey, (cx + side * 14 * k, cy - 14 * k), 10 * k)
        pygame.draw.circle(s, pink, (cx + side * 14 * k, cy - 14 * k), 6 * k)
    pygame.draw.ellipse(s, grey, (cx - 15 * k, cy - 13 * k, 30 * k, 28 * k))
    for side in (-1, 1):
        pygame.draw.circle(s, (10, 10, 10), (cx + side * 6 * k, cy - 3 * k), 3 * k)
    pygame.draw.circle(s, pink, (cx, cy + 8 * k), 3.5 * k)
    for side in (-1, 1):
        for dy in (-2, 2):
            pygame.draw.line(s, (60, 60, 60), (cx + side * 4 * k, cy + 8 * k),
                             (cx + side * 20 * k, cy + (8 + 2 * dy) * k), 1)
    return s


def scene(kind: int, size: tuple[int, int]) -> pygame.Surface:
    """One of three landscapes: 0 sunset, 1 night sky, 2 seaside."""
    w, h = size
    s = pygame.Surface(size)
    rnd = random.Random(kind)
    tops = [((250, 120, 60), (60, 20, 80)), ((5, 5, 30), (30, 30, 90)),
            ((120, 190, 250), (220, 240, 255))]
    top, bottom = tops[kind % 3]
    for y in range(h):
        t = y / max(1, h - 1)
        s.fill(tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)), (0, y, w, 1))
    if kind % 3 == 0:
        pygame.draw.circle(s, (255, 220, 90), (w * 0.7, h * 0.55), h * 0.18)
        pygame.draw.polygon(s, (30, 10, 40), [(0, h), (w * 0.3, h * 0.55), (w * 0.6, h)])
        pygame.draw.polygon(s, (50, 20, 60), [(w * 0.4, h), (w * 0.75, h * 0.6), (w, h)])
    elif kind % 3 == 1:
        for _ in range(80):
            pygame.draw.circle(s, (255, 255, 230), (rnd.uniform(0, w), rnd.uniform(0, h * 0.8)),
                               rnd.choice((1, 1, 1, 2)))
        pygame.draw.circle(s, (240, 240, 210), (w * 0.25, h * 0.3), h * 0.12)
        pygame.draw.circle(s, (5, 5, 30), (w * 0.25 + h * 0.05, h * 0.27), h * 0.11)
    else:
        pygame.draw.rect(s, (30, 90, 170), (0, h * 0.6, w, h * 0.4))
        pygame.draw.rect(s, (235, 215, 160), (0, h * 0.82, w, h * 0.18))
        pygame.draw.circle(s, (255, 240, 120), (w * 0.2, h * 0.25), h * 0.1)
        pygame.draw.polygon(s, (250, 250, 250), [(w * 0.6, h * 0.6), (w * 0.66, h * 0.3),
                                                 (w * 0.72, h * 0.6)])
    return s


def backdrop(size: tuple[int, int], title: str, hint: str) -> pygame.Surface:
    """A dark gradient with a title and a line of help at the bottom."""
    w, h = size
    s = pygame.Surface(size)
    for y in range(h):
        t = y / max(1, h - 1)
        s.fill((int(20 + 20 * t), int(24 + 30 * t), int(48 + 40 * t)), (0, y, w, 1))
    if not pygame.font.get_init():
        pygame.font.init()
    big = pygame.font.Font(None, 56).render(title, True, (70, 80, 120))
    s.blit(big, big.get_rect(center=(w / 2, h / 2)))
    small = pygame.font.Font(None, 22).render(hint, True, (150, 160, 200))
    s.blit(small, small.get_rect(midbottom=(w / 2, h - 8)))
    return s


def beep() -> Any:
    """A short bright blip (adding a sprite)."""
    return tone(880.0, 0.12, volume=0.4)


def pop() -> Any:
    """A falling chirp (removing a sprite)."""
    return sweep(900.0, 150.0, 0.18, volume=0.5)
