"""python -m apps.graph_viewer as a process: --help, --frames N, a clean end on SIGTERM,
many TCP clients at once each getting its own replies, a GET ALL dump loaded into a new
viewer, and one run under Xvfb checked by a screenshot of the X server."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pygame

from .demos import ROOT, Xvfb, demo_env, finish, read_json_line, save_png, start_demo


def listening(proc: subprocess.Popen[str]) -> int:
    return int(read_json_line(proc, timeout=30)["listening"][1])


class Client:
    """A line client of the viewer's TCP port."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.file = self.sock.makefile("rb")

    def send(self, *lines: str | bytes) -> None:
        self.sock.sendall(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n"
                                   for x in lines))

    def line(self) -> str:
        data = self.file.readline()
        assert data, "connection closed"
        return data.decode().rstrip("\n")

    def dump(self) -> list[str]:
        """GET ALL, read to its closing comment."""
        self.send("GET ALL")
        lines = [self.line()]
        while not lines[-1].startswith("# end of GET ALL"):
            lines.append(self.line())
        return lines

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc, timeout=20)
    assert code == 0, err
    return err


def test_help():
    out = subprocess.run([sys.executable, "-m", "apps.graph_viewer", "--help"], cwd=ROOT,
                         env=demo_env(), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "usage: python -m apps.graph_viewer" in out.stdout
    for option in ("--port", "--frames", "--console", "--navelgaze", "--introspect"):
        assert option in out.stdout


def test_frames_n_runs_and_saves_its_last_frame(tmp_path):
    shot = tmp_path / "last.png"
    proc = start_demo("graph_viewer", "--demo", "--port", "0", "--frames", "30",
                      "--screenshot", str(shot))
    code, out, err = finish(proc, timeout=60)
    assert code == 0, err
    assert '"listening"' in out and shot.stat().st_size > 1000


def test_many_clients_at_once_each_get_their_own_replies():
    proc = start_demo("graph_viewer", "--port", "0")
    try:
        port = listening(proc)
        clients = [Client(port) for _ in range(12)]
        errors: list[BaseException] = []

        def talk(k: int, c: Client) -> None:
            try:
                for r in range(5):  # each round: 3 good lines, 2 bad ones, a question
                    c.send(f"ADD NODE c{k}n{r} 'client {k} node {r}' auto -",
                           f"BOGUS {k} {r}",
                           f"ADD LINK c{k}n{r} c{k}n{r - 1}" if r else f"ADD NODE c{k}x X",
                           b"\xff not utf-8",
                           f"GET_NAME NODE c{k}n{r}")
                    assert c.line() == "ERROR unknown command 'BOGUS' (commands: ADD, DEL, " \
                                       "FREEZE, GET, GET_NAME, UNFREEZE, UPDATE_NAME)"
                    assert c.line().startswith("ERROR not UTF-8 text")
                    assert c.line() == f'UPDATE_NAME NODE c{k}n{r} "client {k} node {r}"'
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)

        threads = [threading.Thread(target=talk, args=(k, c)) for k, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors[0]
        dump = clients[0].dump()
        adds = [x for x in dump if x.startswith("ADD NODE")]
        links = [x for x in dump if x.startswith("ADD LINK")]
        assert len(adds) == 12 * 6 and len(links) == 12 * 4
        for c in clients:
            c.close()
    finally:
        if proc.poll() is None:
            stop(proc)


def test_a_get_all_dump_loads_into_a_new_viewer(tmp_path):
    first = start_demo("graph_viewer", "--port", "0", "--demo")
    try:
        c = Client(listening(first))
        c.send("ADD NODE extra 'an extra node' 40,40 diamond", "FREEZE ALL")
        time.sleep(0.3)
        dump = c.dump()
        c.close()
    finally:
        stop(first)
    saved = tmp_path / "graph.txt"
    saved.write_text("\n".join(dump) + "\n")
    second = start_demo("graph_viewer", "--port", "0", "--load", str(saved))
    try:
        c = Client(listening(second))
        again = c.dump()
        c.close()
    finally:
        stop(second)
    assert again == dump  # the same nodes, names, types, positions, links and labels
    assert "FREEZE ALL" in dump and any("'an extra node'" in x or '"an extra node"' in x
                                        for x in dump)


def test_sigterm_ends_it_cleanly_and_promptly():
    proc = start_demo("graph_viewer", "--port", "0", "--demo")
    listening(proc)
    sent = time.monotonic()
    err = stop(proc)
    assert time.monotonic() - sent < 5 and "Traceback" not in err


# -- under a real X server ---------------------------------------------------------------------

FROZEN = """FREEZE ALL
ADD NODE hub Hub 300,220 component
ADD NODE in "an inbox" 160,120 inbox
ADD NODE out "an outbox" 460,120 outbox
ADD NODE dot Dot 160,340 -
ADD NODE sq Square 460,340 square
ADD LINK hub in
ADD LINK hub out
ADD LINK in out
ADD LINK dot hub
ADD LINK hub sq
UPDATE_NAME LINK in out 9876
"""


def test_under_x11_the_screen_shows_the_graph_the_viewer_drew(tmp_path):
    (tmp_path / "xvfb").mkdir()
    x = Xvfb(tmp_path / "xvfb")
    try:
        graph = tmp_path / "graph.txt"
        graph.write_text(FROZEN)
        last = tmp_path / "last.png"
        proc = start_demo("graph_viewer", "--no-server", "--load", str(graph), "--size",
                          "640x480", "--frames", "90", "--screenshot", str(last),
                          env=x.env())
        shot = x.settled_screenshot()[:480, :640]
        code, _, err = finish(proc, timeout=60)
        assert code == 0, err
    finally:
        x.close()
    save_png(shot, tmp_path / "graph_viewer_x11.png")
    pygame.font.init()
    composited = pygame.surfarray.array3d(pygame.image.load(str(last))).swapaxes(0, 1)
    assert (shot == composited).all(axis=2).mean() > 0.999  # what the X server shows
    from components.ui.graph.particles import DEFAULT_TYPES as T

    for (px, py), kind in [((300, 220), "component"), ((160, 120), "inbox"),
                           ((460, 122), "outbox"), ((160, 340), "-"), ((460, 340), "square")]:
        assert tuple(shot[py, px]) == T[kind].colour, kind
    assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 20

