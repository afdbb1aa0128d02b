"""Checks for chapter 4: Component and Doubler."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ._harness import CheckFailed, expect, made_by, need, run_to_end


def component(module: ModuleType) -> Any:
    """A fresh instance of the learner's Component."""
    return made_by(need(module, "Component"))


def component_is_a_microprocess(module: ModuleType) -> None:
    """Component is a subclass of Microprocess whose __init__ calls super().__init__()"""
    expect(
        issubclass(need(module, "Component"), need(module, "Microprocess")),
        "Component should be a subclass of Microprocess: class Component(Microprocess): ...",
    )
    new = component(module)
    expect(
        new.generator is None and new.done is False,
        "a new Component should have generator None and done False",
    )


def boxes_are_declared(module: ModuleType) -> None:
    """Inboxes and Outboxes are dicts of box name -> description"""
    component_class = need(module, "Component")
    for attribute, names in [("Inboxes", ["inbox", "control"]), ("Outboxes", ["outbox", "signal"])]:
        declared = getattr(component_class, attribute, None)
        expect(
            isinstance(declared, dict),
            f"Component.{attribute} should be a dict, it is {declared!r}",
        )
        expect(
            sorted(declared) == sorted(names),
            f"Component.{attribute} should name the boxes {names}, it names {list(declared)}",
        )
        for name, description in declared.items():
            expect(
                isinstance(description, str) and description != "",
                f"Component.{attribute}[{name!r}] should be a short description, "
                f"it is {description!r}",
            )


def one_list_per_box(module: ModuleType) -> None:
    """a new component's .boxes maps every box name to an empty list"""
    boxes = getattr(component(module), "boxes", None)
    expect(isinstance(boxes, dict), f"a component's .boxes should be a dict, it is {boxes!r}")
    names = ["inbox", "control", "outbox", "signal"]
    expect(
        sorted(boxes) == sorted(names),
        f".boxes should have the keys {names}, it has {list(boxes)}",
    )
    for name, box in boxes.items():
        expect(
            box == [] and isinstance(box, list),
            f".boxes[{name!r}] should start as an empty list, it is {box!r}",
        )


def boxes_are_not_shared(module: ModuleType) -> None:
    """each component has lists of its own"""
    first, second = component(module), component(module)
    first.boxes["inbox"].append("mine")
    expect(
        second.boxes["inbox"] == [],
        "a message put in one component's inbox showed up in another's: make the lists in "
        "__init__ (self.boxes = ...), not once for the whole class",
    )


def subclasses_choose_their_boxes(module: ModuleType) -> None:
    """a subclass that declares its own Inboxes/Outboxes gets exactly those boxes"""

    class Custom(need(module, "Component")):  # type: ignore[misc]
        Inboxes = {"inbox": "data", "control": "stop", "extra": "more data"}
        Outboxes = {"outbox": "results", "signal": "stopped", "log": "notes"}

    names = sorted(getattr(made_by(Custom), "boxes", {}))
    expected = sorted(["inbox", "control", "extra", "outbox", "signal", "log"])
    expect(names == expected, f"a subclass declaring the boxes {expected} got the boxes {names}")


def send_message_then_box(module: ModuleType) -> None:
    """send(message) puts it in outbox; send(message, box) in the named box"""
    new = component(module)
    for call, args in [("send('ping')", ("ping",)), ("send('pong', 'signal')", ("pong", "signal"))]:
        try:
            new.send(*args)
        except (KeyError, TypeError) as error:
            raise CheckFailed(
                f"{call} raised {type(error).__name__}: {error}; send takes the message first "
                "and the box second, with the box defaulting to 'outbox': "
                "def send(self, message, box='outbox')"
            ) from None
    expect(
        new.boxes["outbox"] == ["ping"] and new.boxes["signal"] == ["pong"],
        "after send('ping') and send('pong', 'signal') the outbox should be ['ping'] and the "
        f"signal box ['pong']; they are {new.boxes['outbox']!r} and {new.boxes['signal']!r} "
        "(the order is send(message, box))",
    )


def send_keeps_order(module: ModuleType) -> None:
    """send() keeps messages in the order they were sent"""
    new = component(module)
    for number in [1, 2, 3]:
        new.send(number)
    expect(
        new.boxes["outbox"] == [1, 2, 3],
        f"after sending 1, 2, 3 the outbox is {new.boxes['outbox']!r}",
    )


def send_to_unknown_box(module: ModuleType) -> None:
    """send() to a box the component does not have raises KeyError"""
    new = component(module)
    try:
        new.send("lost", "nowhere")
    except KeyError:
        return
    raise CheckFailed(
        "send('lost', 'nowhere') should raise KeyError because there is no box called "
        "'nowhere', but it did not"
    )


def recv_takes_oldest(module: ModuleType) -> None:
    """recv() takes the oldest message out of the inbox"""
    new = component(module)
    new.boxes["inbox"].extend(["first", "second"])
    got = new.recv()
    expect(got == "first", f"recv() should return the oldest message 'first', it returned {got!r}")
    expect(
        new.boxes["inbox"] == ["second"],
        f"after one recv() the inbox should be ['second'], it is {new.boxes['inbox']!r}",
    )


def recv_on_empty_raises(module: ModuleType) -> None:
    """recv() on an empty box raises IndexError"""
    new = component(module)
    try:
        got = new.recv()
    except IndexError:
        return
    raise CheckFailed(f"recv() on an empty box should raise IndexError, it returned {got!r}")


def data_ready_counts(module: ModuleType) -> None:
    """data_ready() returns how many messages are waiting, without taking any"""
    new = component(module)
    empty = new.data_ready()
    expect(
        empty == 0 and type(empty) is int,
        f"data_ready() on an empty inbox should return 0, it returned {empty!r}",
    )
    new.boxes["inbox"].extend(["a", "b"])
    count = new.data_ready()
    expect(
        count == 2 and type(count) is int,
        f"data_ready() should return how many messages are waiting (2), it returned {count!r}",
    )
    expect(
        new.boxes["inbox"] == ["a", "b"],
        "data_ready() should leave the messages where they are",
    )


def any_box_by_name(module: ModuleType) -> None:
    """recv(box) and data_ready(box) work on the named box"""
    new = component(module)
    new.boxes["control"].append("stop")
    expect(
        new.data_ready("control") == 1,
        f"data_ready('control') should be 1, it is {new.data_ready('control')!r}",
    )
    expect(new.data_ready() == 0, "a message in control should not count as data_ready() on inbox")
    got = new.recv("control")
    expect(got == "stop", f"recv('control') should return 'stop', it returned {got!r}")


def doubler(module: ModuleType) -> Any:
    """A fresh, activated Doubler."""
    doubler_class = need(module, "Doubler")
    expect(
        issubclass(doubler_class, need(module, "Component")),
        "Doubler should be a subclass of Component",
    )
    return made_by(doubler_class).activate()


def doubler_doubles(module: ModuleType) -> None:
    """Doubler doubles every waiting message in one step and keeps running"""
    new = doubler(module)
    new.boxes["inbox"].extend([1, 2, 3])
    try:
        new.step()
        new.step()
    except StopIteration:
        raise CheckFailed("Doubler finished although nothing arrived on control") from None
    expect(
        new.boxes["outbox"] == [2, 4, 6],
        f"with 1, 2, 3 in its inbox Doubler should send [2, 4, 6], it sent {new.boxes['outbox']!r}",
    )


def doubler_stops(module: ModuleType) -> None:
    """Doubler passes a control message on to signal and finishes"""
    new = doubler(module)
    new.step()
    new.boxes["control"].append("stop")
    run_to_end(new, limit=2)
    expect(
        new.boxes["signal"] == ["stop"],
        f"Doubler should pass 'stop' on to signal, signal holds {new.boxes['signal']!r}",
    )


def doubler_drains_first(module: ModuleType) -> None:
    """Doubler still doubles data that arrived together with the stop message"""
    new = doubler(module)
    new.boxes["inbox"].append(5)
    new.boxes["control"].append("stop")
    run_to_end(new, limit=2)
    expect(
        new.boxes["outbox"] == [10],
        "with 5 in its inbox and 'stop' in control, Doubler should send 10 before "
        f"stopping; it sent {new.boxes['outbox']!r}",
    )


CHECKS = [
    component_is_a_microprocess,
    boxes_are_declared,
    one_list_per_box,
    boxes_are_not_shared,
    subclasses_choose_their_boxes,
    send_message_then_box,
    send_keeps_order,
    send_to_unknown_box,
    recv_takes_oldest,
    recv_on_empty_raises,
    data_ready_counts,
    any_box_by_name,
    doubler_doubles,
    doubler_stops,
    doubler_drains_first,
]
