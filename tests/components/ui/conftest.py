"""pygame tests run headless: SDL's dummy video and audio drivers, set before pygame loads.
Without pygame (its extra) they are skipped, named."""

import os

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

pytest.importorskip("pygame", reason="the pygame extra is not installed: pip install -e '.[pygame]'")
