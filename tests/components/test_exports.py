"""The public surface: every module's names re-exported from ``components``, sorted."""

from __future__ import annotations

import importlib
from pathlib import Path

import components

MODULES = ["errors", "sources", "sinks", "transforms", "timing", "routing", "framing",
           "codecs", "net", "process", "chooser",
           "single_server", "time_to_live"]


def test_all_is_sorted_and_complete():
    assert components.__all__ == sorted(components.__all__)
    for name in MODULES:
        module = importlib.import_module(f"components.{name}")
        for public in module.__all__:
            assert public in components.__all__, f"components.{name}.{public} not re-exported"
            assert getattr(components, public) is getattr(module, public)


def test_the_package_ships_py_typed():
    assert (Path(components.__file__).parent / "py.typed").exists()


def test_the_library_imports_only_the_cores_public_api():
    for path in Path(components.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "from axon._" not in text and "import axon._" not in text, path.name
