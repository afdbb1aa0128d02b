"""axon view, as a process: a script's system shown live in a window, the viewer watching
itself, and --introspect sending the topology to a graph viewer in another process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import numpy as np
import pygame

from tests.apps.demos import ROOT, demo_env, finish, start_demo
from tests.apps.test_graph_viewer import Client, listening, stop

SCRIPT = """
from axon import Graphline, Pipeline
from components import Collector, Map, Periodic

def system():
    return Pipeline(Periodic(0.02, count={count}), Map(lambda n: 2 * n, name="Double"),
                    Collector(), name="Demo")
"""


def axon(*args: str, **kw) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen([sys.executable, "-m", "axon", *args], cwd=ROOT, env=demo_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_view_needs_a_script_or_self():
    code, _, err = finish(axon("view"), timeout=30)
    assert code == 2 and "give a script to view" in err


def test_view_shows_a_scripts_system_in_a_window(tmp_path):
    script = tmp_path / "demo.py"
    script.write_text(SCRIPT.format(count=1000))  # runs for 20 s: longer than the view
    shot = tmp_path / "view.png"
    code, _, err = finish(axon("view", str(script), "--counts", "--frames", "90",
                               "--size", "640x480", "--screenshot", str(shot)), timeout=60)
    assert code == 0, err
    pygame.font.init()
    pixels = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    from components.ui.graph.particles import DEFAULT_TYPES as T

    for kind in ("component", "inbox", "outbox"):  # every shape is on the picture
        assert (pixels == np.array(T[kind].colour)).all(axis=2).sum() > 20, kind


def test_view_self_shows_the_viewer(tmp_path):
    shot = tmp_path / "self.png"
    code, _, err = finish(axon("view", "--self", "--frames", "40", "--screenshot", str(shot)),
                          timeout=60)
    assert code == 0, err
    assert shot.stat().st_size > 1000


def test_introspect_sends_the_topology_to_a_viewer_in_another_process(tmp_path):
    viewer = start_demo("graph_viewer", "--port", "0")
    try:
        port = listening(viewer)
        script = tmp_path / "demo.py"
        script.write_text(SCRIPT.format(count=100))  # about 2 s
        sender = axon("view", str(script), "--introspect", f"127.0.0.1:{port}")
        c = Client(port)
        seen: set[str] = set()
        deadline = time.monotonic() + 30
        while sender.poll() is None and time.monotonic() < deadline:
            seen |= {x.split()[2] for x in c.dump() if x.startswith("ADD NODE")}
            time.sleep(0.1)
        code, _, err = finish(sender, timeout=30)
        assert code == 0, err
        assert any(n.startswith(f"p{sender.pid}_c") for n in seen), seen
        assert sum(1 for n in seen if "." not in n) >= 4  # Demo, Periodic, Double, Collector
        time.sleep(0.3)
        assert [x for x in c.dump() if x.startswith("ADD")] == []  # all gone at its end
        c.close()
    finally:
        stop(viewer)


def test_introspect_to_nowhere_says_so(tmp_path):
    script = tmp_path / "demo.py"
    script.write_text(SCRIPT.format(count=10))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nobody listens there now
    code, _, err = finish(axon("view", str(script), "--introspect", f"127.0.0.1:{port}"),
                          timeout=30)
    assert code == 2 and f"cannot reach a graph viewer at 127.0.0.1:{port}" in err, err


