"""Component factories that the ``axon serve`` tests serve (one per process)."""

from __future__ import annotations

import os

from axon import Component
from components import Map


def tagged() -> Component:
    """Each message ``x`` becomes ``(pid, x)``: which process did the work."""
    pid = os.getpid()
    return Map(lambda x: (pid, x))


def double() -> Component:
    return Map(lambda x: 2 * x)
