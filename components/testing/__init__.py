"""Test helpers, re-exported from :mod:`axon.testing` (where they live)."""

from axon.testing import FakeClock, Harness, feed, run_component

__all__ = ["FakeClock", "Harness", "feed", "run_component"]
