"""Graphline: named children wired by a linkage table; checked at construction."""

from __future__ import annotations

import pytest

from axon import ComponentError, Graphline, LinkError, Pipeline, ProducerFinished, Shutdown, run
from tests.axon.parts import Collect, Count, Echo, Fail, Map


def chain(**children: object) -> dict:
    """Linkages passing self -> A -> B -> ... -> self, data and ends."""
    labels = list(children)
    links = {("self", "inbox"): (labels[0], "inbox")}
    for a, b in zip(labels, labels[1:]):
        links[(a, "outbox")] = (b, "inbox")
        links[(a, "signal")] = (b, "control")
    links[(labels[-1], "outbox")] = ("self", "outbox")
    links[(labels[-1], "signal")] = ("self", "signal")
    return links


def test_children_are_linked_as_the_table_says() -> None:
    c = Collect()
    g = Graphline(
        {("src", "outbox"): ("dbl", "inbox"), ("src", "signal"): ("dbl", "control"),
         ("dbl", "outbox"): ("out", "inbox"), ("dbl", "signal"): ("out", "control")},
        src=Count(5), dbl=Map(lambda x: 2 * x), out=c,
    )
    run(g, timeout=10)
    assert c.items == [0, 2, 4, 6, 8]
    assert isinstance(c.end, ProducerFinished)


def test_a_graphline_in_a_pipeline_passes_data_and_the_end_through() -> None:
    kids = {"A": Map(lambda x: x + 1), "B": Pipeline(Map(lambda x: x * 10), Echo())}
    g = Graphline(chain(**kids), **kids)
    c = Collect()
    run(Pipeline(Count(50, per_slice=9), g, c), timeout=10)
    assert c.items == [(i + 1) * 10 for i in range(50)]
    assert isinstance(c.end, ProducerFinished)


def test_an_unlinked_control_reaches_the_stream_heads_and_the_end_is_sent() -> None:
    # no linkage names ("self", "control") or ("self", "signal")
    a, b = Echo(), Collect()
    g = Graphline({("self", "inbox"): ("A", "inbox"), ("A", "outbox"): ("B", "inbox"),
                   ("A", "signal"): ("B", "control")}, A=a, B=b)
    after = Collect()
    run(Pipeline(Count(4), g, after), timeout=10)
    assert b.items == [0, 1, 2, 3]
    assert isinstance(after.end, ProducerFinished)


def test_graphlines_nest_ten_deep() -> None:
    inner = Echo()
    for _ in range(10):
        inner = Graphline(chain(X=inner), X=inner)
    c = Collect()
    run(Pipeline(Count(100, per_slice=11), inner, c), timeout=10)
    assert c.items == list(range(100))
    assert isinstance(c.end, ProducerFinished)


def test_extra_boxes_belong_to_one_instance_only() -> None:
    g1 = Graphline({("self", "extra"): ("A", "inbox"), ("A", "outbox"): ("self", "result")},
                   inboxes={"extra": "more input"}, outboxes={"result": "more output"}, A=Echo())
    g2 = Graphline(chain(A=Echo()), A=Echo())
    assert "extra" in g1.inboxes and "result" in g1.outboxes
    assert "extra" not in g2.inboxes and "result" not in g2.outboxes
    assert "extra" not in Graphline.Inboxes and "result" not in Graphline.Outboxes
    g3 = Graphline(chain(A=Echo()), A=Echo())
    assert set(g3.inboxes) == set(g2.inboxes) and set(g3.outboxes) == set(g2.outboxes)


def test_an_extra_inbox_carries_messages_to_its_child() -> None:
    c = Collect()
    g = Graphline({("self", "extra"): ("C", "inbox"), ("self", "control"): ("C", "control")},
                  inboxes={"extra": "more input"}, C=c)
    for i in range(3):
        g.inboxes["extra"].put(i)
    g.inboxes["control"].put(ProducerFinished())
    run(g, timeout=10)
    assert c.items == [0, 1, 2]


@pytest.mark.parametrize("linkages, words", [
    ({("X", "outbox"): ("A", "inbox")}, ["no child named 'X'", "children: A"]),
    ({("A", "outbx"): ("self", "outbox")}, ["no outbox 'outbx'", "outboxes: outbox, signal"]),
    ({("A", "inbox"): ("self", "outbox")}, ["A.inbox is an inbox", "must be an outbox"]),
    ({("self", "outbox"): ("A", "inbox")}, ["self.outbox is an outbox", "must be an inbox"]),
    ({("self", "extra"): ("A", "inbox")}, ["no inbox 'extra'", "inboxes={'extra'"]),
    ({("A", "outbox"): "B"}, ["must be a (label, box name) pair"]),
])
def test_a_bad_linkage_is_refused_at_construction_with_a_clear_error(linkages, words) -> None:
    with pytest.raises(LinkError) as info:
        Graphline(linkages, A=Echo())
    for w in words:
        assert w in str(info.value)


def test_a_child_that_is_not_a_component_is_refused() -> None:
    with pytest.raises(TypeError, match="child 'A' must be a Component"):
        Graphline({}, A=42)  # type: ignore[arg-type]


def test_an_error_names_the_failing_child_by_label() -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(5), Graphline(chain(P=Fail(at=2)), P=Fail(at=2)), Collect()), timeout=10)
    assert "Graphline[P]:Fail" in str(info.value)


def test_a_shutdown_ends_the_graphline_with_shutdown_on_its_signal() -> None:
    g = Graphline({("self", "inbox"): ("A", "inbox")}, A=Collect())
    after = Collect()
    p = Pipeline(g, after)
    p.inboxes["control"].put(Shutdown())
    run(p, timeout=10)
    assert isinstance(after.end, Shutdown)


def test_an_unlinked_own_inbox_keeps_its_messages_without_busy_waiting() -> None:
    g = Graphline({}, A=Count(3))
    g.inboxes["inbox"].put("nobody reads this")
    sched = run(g, timeout=10)
    stats = g.inboxes["inbox"].statistics()  # kept while it ran; counted as it finished
    assert (stats.depth, stats.dropped, stats.closed) == (0, 1, True)
    assert sched.timeslices < 20


def test_a_linkage_may_fan_one_source_out_to_several_sinks():
    a, b = Collect(name="A"), Collect(name="B")
    g = Graphline(
        SRC=Count(3),
        A=a,
        B=b,
        linkages={
            ("SRC", "outbox"): [("A", "inbox"), ("B", "inbox")],
            ("SRC", "signal"): [("A", "control"), ("B", "control")],
        },
    )
    run(g, timeout=10)
    assert a.items == b.items == [0, 1, 2]


def test_a_bad_sink_in_a_fan_out_list_is_named():
    with pytest.raises(LinkError, match="no child named 'C'"):
        Graphline(SRC=Count(1), A=Collect(),
                  linkages={("SRC", "outbox"): [("A", "inbox"), ("C", "inbox")]})
