"""Checks for chapter 5: ProducerFinished, Postman, link, Producer and Printer."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ._harness import CheckFailed, expect, made_by, need, printed, run_to_end, within


def pair(module: ModuleType) -> tuple[Any, Any]:
    """Two fresh components: a source and a sink."""
    component_class = need(module, "Component")
    return made_by(component_class), made_by(component_class)


def postman(module: ModuleType, source: tuple[Any, str], sink: tuple[Any, str]) -> Any:
    """An activated Postman between two boxes."""
    return made_by(need(module, "Postman"), source, sink).activate()


def step_alive(microprocess: Any, what: str) -> None:
    """Step once; it must not finish."""
    try:
        microprocess.step()
    except StopIteration:
        raise CheckFailed(f"{what} finished, but it should still be running") from None


def producer_finished_exists(module: ModuleType) -> None:
    """ProducerFinished is a class that takes no arguments"""
    need(module, "ProducerFinished")()


def postman_is_a_microprocess(module: ModuleType) -> None:
    """Postman((source, box), (sink, box)) is a Microprocess that calls super().__init__()"""
    expect(
        issubclass(need(module, "Postman"), need(module, "Microprocess")),
        "Postman should be a subclass of Microprocess",
    )
    source, sink = pair(module)
    new = made_by(need(module, "Postman"), (source, "outbox"), (sink, "inbox"))
    expect(
        new.generator is None and new.done is False,
        "a new Postman should have generator None and done False",
    )


def postman_delivers_in_order(module: ModuleType) -> None:
    """one step of a postman delivers everything waiting, oldest first"""
    source, sink = pair(module)
    source.boxes["outbox"].extend([1, 2, 3])
    step_alive(postman(module, (source, "outbox"), (sink, "inbox")), "the postman")
    delivered = sink.boxes["inbox"]
    if delivered != [1, 2, 3] and sorted(delivered) == [1, 2, 3]:
        raise CheckFailed(
            f"the postman delivered {delivered} but the messages were sent as [1, 2, 3]: "
            "a postman must keep their order (take the oldest first, append at the end)"
        )
    expect(
        delivered == [1, 2, 3],
        f"after one step the sink's inbox should be [1, 2, 3], it is {delivered}",
    )
    expect(
        source.boxes["outbox"] == [],
        f"the postman should empty the source box, it still holds {source.boxes['outbox']}",
    )


def postman_keeps_delivering(module: ModuleType) -> None:
    """a postman delivers later messages on later steps, after what the sink already had"""
    source, sink = pair(module)
    sink.boxes["inbox"].append("old")
    carrier = postman(module, (source, "outbox"), (sink, "inbox"))
    step_alive(carrier, "the postman")
    step_alive(carrier, "a postman with nothing to carry")
    source.send("new")
    step_alive(carrier, "the postman")
    expect(
        sink.boxes["inbox"] == ["old", "new"],
        f"the sink's inbox should be ['old', 'new'], it is {sink.boxes['inbox']}",
    )


def postman_finishes_after_source(module: ModuleType) -> None:
    """a postman delivers the last messages of a finished source, then finishes"""

    class LastWords(need(module, "Component")):  # type: ignore[misc]
        def main(self) -> Any:
            self.send("last")
            return
            yield

    source, sink = made_by(LastWords).activate(), made_by(need(module, "Component"))
    carrier = postman(module, (source, "outbox"), (sink, "inbox"))
    step_alive(carrier, "a postman whose source is still running")
    run_to_end(source, limit=1)
    expect(source.done is True, "the source's done should be True after its main() finished")
    run_to_end(carrier, limit=2)
    expect(
        sink.boxes["inbox"] == ["last"],
        f"the postman should deliver 'last' before finishing; the sink holds {sink.boxes['inbox']}",
    )


def postman_any_boxes(module: ModuleType) -> None:
    """a postman can carry between any two named boxes, e.g. signal to control"""
    source, sink = pair(module)
    source.send("stop", "signal")
    step_alive(postman(module, (source, "signal"), (sink, "control")), "the postman")
    expect(
        sink.boxes["control"] == ["stop"],
        f"the sink's control box should hold ['stop'], it holds {sink.boxes['control']}",
    )


def link_collapses_the_postman(module: ModuleType) -> None:
    """after link(), send() puts messages straight into the linked box"""
    source, sink = pair(module)
    need(module, "link", "function")((source, "outbox"), (sink, "inbox"))
    source.send(1)
    expect(
        sink.data_ready() == 1,
        "after link() and send(1), the sink should have 1 message waiting, it has "
        f"{sink.data_ready()}",
    )
    expect(sink.recv() == 1, "the sink should receive 1")


def link_keeps_waiting_messages(module: ModuleType) -> None:
    """link() keeps messages already waiting in the source box, ahead of later ones"""
    source, sink = pair(module)
    sink.boxes["inbox"].append("old")
    source.send(1)
    need(module, "link", "function")((source, "outbox"), (sink, "inbox"))
    source.send(2)
    expect(
        sink.boxes["inbox"] == ["old", 1, 2],
        f"the sink's inbox should be ['old', 1, 2], it is {sink.boxes['inbox']}",
    )


def link_fan_in(module: ModuleType) -> None:
    """two sources linked to one inbox both deliver to it"""
    first, sink = pair(module)
    second = made_by(need(module, "Component"))
    link = need(module, "link", "function")
    link((first, "outbox"), (sink, "inbox"))
    link((second, "outbox"), (sink, "inbox"))
    first.send("a")
    second.send("b")
    expect(
        sink.boxes["inbox"] == ["a", "b"],
        f"the sink's inbox should be ['a', 'b'], it is {sink.boxes['inbox']}",
    )


def producer_sends_then_signals(module: ModuleType) -> None:
    """Producer(items) sends one item per step, then a ProducerFinished on signal"""
    producer = made_by(need(module, "Producer"), ["x", "y"]).activate()
    producer.step()
    expect(
        producer.boxes["outbox"] == ["x"],
        f"after one step Producer should have sent ['x'], it sent {producer.boxes['outbox']}",
    )
    run_to_end(producer, limit=3)
    expect(
        producer.boxes["outbox"] == ["x", "y"],
        f"Producer(['x', 'y']) should send 'x' then 'y', it sent {producer.boxes['outbox']}",
    )
    signals = producer.boxes["signal"]
    expect(
        len(signals) == 1 and isinstance(signals[0], need(module, "ProducerFinished")),
        f"at the end Producer should send one ProducerFinished() on signal; signal holds {signals}",
    )


def printer_prints(module: ModuleType) -> None:
    """Printer prints each message on a line, and "end of stream" when told to stop"""
    printer = made_by(need(module, "Printer")).activate()
    printer.boxes["inbox"].extend(["hello", 42])
    with printed() as output:
        printer.step()
        printer.boxes["control"].append("stop")
        run_to_end(printer, limit=2)
    expected = "hello\n42\nend of stream\n"
    expect(
        output.getvalue() == expected,
        f"Printer should print {expected!r}, it printed {output.getvalue()!r}",
    )
    expect(
        printer.boxes["signal"] == ["stop"],
        f"Printer should pass 'stop' on to signal, signal holds {printer.boxes['signal']}",
    )


def run_system(module: ModuleType, use_postmen: bool) -> None:
    producer = made_by(need(module, "Producer"), [1, 2, 3])
    doubler, printer = made_by(need(module, "Doubler")), made_by(need(module, "Printer"))
    wiring = [
        ((producer, "outbox"), (doubler, "inbox")),
        ((producer, "signal"), (doubler, "control")),
        ((doubler, "outbox"), (printer, "inbox")),
        ((doubler, "signal"), (printer, "control")),
    ]
    scheduler = need(module, "Scheduler")()
    for each in [producer, doubler, printer]:
        scheduler.add(each)
    for source, sink in wiring:
        if use_postmen:
            scheduler.add(need(module, "Postman")(source, sink))
        else:
            need(module, "link", "function")(source, sink)
    with printed() as output:
        within(scheduler.run, "running Producer -> Doubler -> Printer")
    expected = "2\n4\n6\nend of stream\n"
    expect(
        output.getvalue() == expected,
        f"the system should print {expected!r}, it printed {output.getvalue()!r}",
    )


def system_with_postmen(module: ModuleType) -> None:
    """Producer([1, 2, 3]) -> Doubler -> Printer, joined by four postmen, prints 2 4 6"""
    run_system(module, use_postmen=True)


def system_with_links(module: ModuleType) -> None:
    """the same system joined by link() instead of postmen prints the same"""
    run_system(module, use_postmen=False)


CHECKS = [
    producer_finished_exists,
    postman_is_a_microprocess,
    postman_delivers_in_order,
    postman_keeps_delivering,
    postman_finishes_after_source,
    postman_any_boxes,
    link_collapses_the_postman,
    link_keeps_waiting_messages,
    link_fan_in,
    producer_sends_then_signals,
    printer_prints,
    system_with_postmen,
    system_with_links,
]
