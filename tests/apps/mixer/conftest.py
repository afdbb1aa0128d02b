"""The mixer's tests need numpy (the audio extra): without it they are skipped, named."""

import pytest

pytest.importorskip("numpy", reason="the audio extra is not installed: pip install -e '.[audio]'")
