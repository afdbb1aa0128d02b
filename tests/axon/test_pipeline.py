"""Pipeline: a line of components, passing data and the end of the stream down the line."""

from __future__ import annotations

import pytest

from axon import ComponentError, Pipeline, ProducerFinished, Shutdown, run
from tests.axon.parts import Collect, Count, Echo, Fail, Map


def test_messages_pass_down_the_line_in_order() -> None:
    c = Collect()
    run(Pipeline(Count(100, per_slice=7), Map(lambda x: x * 2), Echo(), c), timeout=10)
    assert c.items == [2 * i for i in range(100)]


def test_the_end_of_stream_reaches_the_last_component_after_all_data() -> None:
    log: list[object] = []
    c = Collect(log=log)
    run(Pipeline(Count(50, per_slice=50), Echo(), Echo(), c), timeout=10)
    assert len(log) == 50
    assert isinstance(c.end, ProducerFinished)


def test_pipelines_nest_ten_deep_with_nothing_lost() -> None:
    inner = Pipeline(Echo())
    for _ in range(9):
        inner = Pipeline(Echo(), inner)
    c = Collect()
    run(Pipeline(Count(200, per_slice=13), inner, c), timeout=10)
    assert c.items == list(range(200))
    assert isinstance(c.end, ProducerFinished)


def test_the_pipelines_own_boxes_pass_through_to_first_and_from_last() -> None:
    first, last = Echo(name="first"), Echo(name="last")
    p = Pipeline(first, last)
    c = Collect()
    run(Pipeline(Count(3), p, c), timeout=10)
    assert c.items == [0, 1, 2]
    assert first.inboxes["inbox"].received == 3
    assert last.inboxes["inbox"].received == 3


def test_a_pipeline_finishes_when_all_its_children_have() -> None:
    p = Pipeline(Count(3), Echo(), Collect())
    run(p, timeout=10)
    assert p.done and all(c.done for c in p.children)


def test_shutdown_passes_down_the_line() -> None:
    c = Collect()
    p = Pipeline(Echo(), Echo(), c)
    p.inboxes["control"].put(Shutdown("stop"))
    run(p, timeout=10)
    assert c.end == Shutdown("stop")


def test_an_error_names_the_failing_child_by_its_place() -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(5), Pipeline(Echo(), Fail(at=3, name="Parser")), Collect()), timeout=10)
    assert "Pipeline[1]:Pipeline[1]:Parser" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


def test_an_empty_pipeline_is_refused() -> None:
    with pytest.raises(ValueError):
        Pipeline()
