"""Specification of ``axon.building()``: the cyclic collector is paused inside, restored after."""

from __future__ import annotations

import gc
import threading

import pytest

from axon import Component, Pipeline, Scheduler, building


@pytest.fixture
def collections():
    """Every collection the cyclic garbage collector starts in this thread, as it starts.
    (A thread an earlier test left running may be in the middle of one as the test
    begins: that is not this thread's, and not the block's.)"""
    seen: list[int] = []
    here = threading.get_ident()

    def started(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and threading.get_ident() == here:
            seen.append(info["generation"])

    was_on = gc.isenabled()
    gc.enable()
    gc.callbacks.append(started)
    yield seen
    gc.callbacks.remove(started)
    if not was_on:
        gc.disable()


def test_no_collection_runs_while_a_system_is_built_and_collections_resume_after(collections):
    sched = Scheduler()
    with building():
        assert not gc.isenabled()
        collections.clear()  # (from here on none may start)
        system = Pipeline(*[Component() for _ in range(3000)])  # (some 100,000 objects)
        sched.activate(system)
        assert collections == []
    assert gc.isenabled()
    junk = [[] for _ in range(5000)]  # enough new objects for a collection to start
    assert collections, "the collector is on again"
    del junk
    sched.shutdown()


def test_a_collector_that_was_off_stays_off(collections):
    gc.disable()
    with building():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_restores_the_collector_and_propagates(collections):
    with pytest.raises(ZeroDivisionError), building():
        1 / 0  # noqa: B018
    assert gc.isenabled()
