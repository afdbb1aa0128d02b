"""Building a large system without the cyclic garbage collector walking it as it grows."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["building"]


@contextmanager
def building() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while a large system is built and activated.

    A system is long-lived objects (components, boxes, tasks) that point at each other.
    While they are made, the collector examines the whole heap each time it has grown by
    a quarter, so building N components costs several walks over all of them: a million
    paused components took 6.9 s to build and put to sleep as usual and 2.6 s inside
    this block (``python -m bench.million``, one run).  Inside it the collector is off; on leaving
    it is on again if it was before (it then collects as it would have, once).  Garbage
    with reference cycles made meanwhile waits until then; other threads' too.  Nothing
    else changes: use it around code that makes many components, not around a run::

        with axon.building():
            system = Pipeline(*[Stage() for _ in range(100_000)])
            sched.activate(system)
        sched.run()
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
