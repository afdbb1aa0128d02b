"""The README's NATS example runs (against the server it starts) and prints what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .helpers import ROOT


def test_the_readme_nats_example_runs() -> None:
    text = Path(ROOT, "README.md").read_text()
    section = text.split("## Beyond one machine: NATS", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    out = subprocess.run([sys.executable, "-c", example], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0, 10, 20, 30, 40]"
