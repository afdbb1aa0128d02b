"""The porting guide (tutorials/from_kamaelia.md): every code block on the page is a
Python example that CI runs, and each prints exactly the output block that follows it.

Blocks that ``import Axon`` (Kamaelia's own core, shown side by side) run under the
``kamaelia-axon`` package, which the ``bench`` extra installs (``make test`` does)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "tutorials" / "from_kamaelia.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def fenced(text: str) -> list[tuple[str, str, int]]:
    """Every fenced block: (language, body, line number)."""
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(text)]


def examples(text: str) -> list[tuple[str, str | None, int]]:
    """Each python block with the text block right after it (its output), if any."""
    blocks = fenced(text)
    out = []
    for i, (lang, body, line) in enumerate(blocks):
        if lang == "python":
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            expected = nxt[1] if nxt is not None and nxt[0] == "text" else None
            out.append((body, expected, line))
    return out


TEXT = PAGE.read_text()
EXAMPLES = examples(TEXT)


def test_every_code_block_on_the_page_is_an_example_or_its_output():
    blocks = fenced(TEXT)
    assert len(EXAMPLES) >= 15
    for i, (lang, _, line) in enumerate(blocks):
        if lang == "python":
            continue
        follows_python = i > 0 and blocks[i - 1][0] == "python"
        assert lang == "text" and follows_python, (
            f"line {line}: a ```{lang} block that CI does not run (only python examples and "
            "the text output right after one are allowed)")


def test_every_example_shows_its_output():
    for _body, expected, line in EXAMPLES:
        assert expected is not None, f"the example at line {line} shows no output block"


def kamaelia_installed() -> bool:
    spec = importlib.util.find_spec("Axon")
    return spec is not None and spec.origin is not None and "site-packages" in spec.origin


@pytest.mark.parametrize("body,expected,line", EXAMPLES, ids=[f"line{e[2]}" for e in EXAMPLES])
def test_each_example_prints_what_the_page_shows(body: str, expected: str | None, line: int):
    if re.search(r"^\s*(import Axon|from Axon)", body, re.MULTILINE) and not kamaelia_installed():
        pytest.skip("Kamaelia's Axon (kamaelia-axon, the bench extra) is not installed")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", body], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, env=env, check=False)
    assert out.returncode == 0, f"the example at line {line} failed:\n{out.stderr}"
    assert out.stdout.strip() == (expected or "").strip(), f"the example at line {line}"
