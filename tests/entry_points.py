"""This source tree's entry points (setup.cfg's), seen by a child Python as installing the
distribution would make them: for tests of the commands packages add to ``axon``.

The tests run from the source tree, not an installed copy, so ``importlib.metadata`` would
find no ``axon.commands``; a ``*.dist-info`` directory on ``PYTHONPATH`` is what an
installation leaves, and importlib finds it the same way.
"""

from __future__ import annotations

import atexit
import configparser
import functools
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_distribution(where: Path, name: str, entry_points: dict[str, list[str]]) -> Path:
    """A minimal installed distribution ``name`` in ``where`` declaring ``entry_points``
    (group -> ``["name = module:object", ...]``); returns ``where``."""
    info = where / f"{name.replace('-', '_')}-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0\n")
    text = "".join(f"[{group}]\n" + "".join(f"{e}\n" for e in entries) + "\n"
                   for group, entries in entry_points.items())
    (info / "entry_points.txt").write_text(text)
    return where


@functools.cache
def source_tree_metadata() -> str:
    """A directory to put on a child's ``PYTHONPATH``: setup.cfg's entry points."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    groups = {group: [line.strip() for line in body.splitlines() if line.strip()]
              for group, body in cfg["options.entry_points"].items()}
    where = Path(tempfile.mkdtemp(prefix="axon-entry-points-"))
    atexit.register(shutil.rmtree, where, True)
    return str(write_distribution(where, "axon-components-source-tree", groups))
