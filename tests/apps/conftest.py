"""pygame tests run headless: SDL's dummy video and audio drivers, set before pygame loads."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# the pygame demos' tests need pygame (the pygame extra): without it they are not collected,
# and the run's header says so (a plain `pytest` still collects everything else)
PYGAME_TESTS = {"test_bouncing.py", "test_demos_run.py", "test_gallery.py", "test_paint.py",
                "test_steer.py", "test_x11.py", "test_graph_viewer.py"}
try:
    import pygame  # noqa: F401
except ImportError:
    HAVE_PYGAME = False
else:
    HAVE_PYGAME = True


def pytest_ignore_collect(collection_path, config):
    if not HAVE_PYGAME and collection_path.name in PYGAME_TESTS:
        return True
    return None


def pytest_report_header(config):
    if not HAVE_PYGAME:
        return ["tests/apps: the pygame demos' tests are skipped: the pygame extra is not "
                "installed (pip install -e '.[pygame]')"]
    return None
