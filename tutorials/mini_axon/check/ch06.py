"""Checks for chapter 6: FileReader -> LineCounter -> UDPSender on the learner's core.

Every datagram goes to 127.0.0.1, to a port the checker has just bound there.
"""

from __future__ import annotations

import importlib
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from ._harness import CheckFailed, expect, made_by, need, run_to_end, within

POEM = "alpha\nbeta\ngamma\n"
NUMBERED = ["1: alpha", "2: beta", "3: gamma", "total: 3"]


@contextmanager
def text_file(text: str) -> Iterator[str]:
    """The name of a temporary file holding text."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.txt"
        path.write_text(text, encoding="utf-8")
        yield str(path)


@contextmanager
def receiver() -> Iterator[socket.socket]:
    """A UDP socket bound to a free port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def datagrams(sock: socket.socket, count: int, timeout: float = 1.0) -> list[str]:
    """Up to count datagrams, decoded; stops early if none arrives within timeout."""
    sock.settimeout(timeout)
    received = []
    for _ in range(count):
        try:
            received.append(sock.recv(65536).decode("utf-8"))
        except TimeoutError:
            break
    sock.settimeout(0.05)  # anything extra that was sent?
    try:
        received.append(sock.recv(65536).decode("utf-8"))
    except (TimeoutError, BlockingIOError):
        pass
    return received


def parts(module: ModuleType) -> tuple[Any, Any, Any]:
    """FileReader, LineCounter and UDPSender from the learner's file."""
    return need(module, "FileReader"), need(module, "LineCounter"), need(module, "UDPSender")


def make_parts_builds_components(module: ModuleType) -> None:
    """make_parts(Component, ProducerFinished) returns three Component subclasses"""
    component = need(module, "Component")
    made = need(module, "make_parts", "function")(component, need(module, "ProducerFinished"))
    expect(
        isinstance(made, tuple | list) and len(made) == 3,
        f"make_parts() should return (FileReader, LineCounter, UDPSender), it returned {made!r}",
    )
    for cls, name in zip(made, ["FileReader", "LineCounter", "UDPSender"]):
        expect(
            isinstance(cls, type) and issubclass(cls, component),
            f"make_parts() should return {name} as a subclass of the Component "
            f"it was given; got {cls!r}",
        )
        expect(
            cls.__name__ == name,
            f"make_parts() returned a class called {cls.__name__} where {name} belongs",
        )
    for cls in parts(module):
        expect(issubclass(cls, component), f"{cls.__name__} should be a subclass of Component")


def file_reader_reads_lines(module: ModuleType) -> None:
    """FileReader(filename) sends each line without its newline, then ProducerFinished"""
    with text_file(POEM) as filename:
        reader = made_by(parts(module)[0], filename).activate()
        reader.step()
        expect(
            reader.boxes["outbox"] == ["alpha"],
            "after one step FileReader should have sent ['alpha'], it sent "
            f"{reader.boxes['outbox']}",
        )
        run_to_end(reader)
    expect(
        reader.boxes["outbox"] == ["alpha", "beta", "gamma"],
        "FileReader should send ['alpha', 'beta', 'gamma'] (no newlines), "
        f"it sent {reader.boxes['outbox']}",
    )
    signals = reader.boxes["signal"]
    expect(
        len(signals) == 1 and isinstance(signals[0], need(module, "ProducerFinished")),
        "at the end FileReader should send one ProducerFinished() on signal; "
        f"signal holds {signals}",
    )


def file_reader_empty_file(module: ModuleType) -> None:
    """FileReader on an empty file sends nothing but the ProducerFinished"""
    with text_file("") as filename:
        reader = made_by(parts(module)[0], filename).activate()
        run_to_end(reader)
    expect(
        reader.boxes["outbox"] == [],
        f"FileReader on an empty file sent {reader.boxes['outbox']}",
    )
    expect(
        len(reader.boxes["signal"]) == 1,
        "FileReader on an empty file should still signal once; signal holds "
        f"{reader.boxes['signal']}",
    )


def line_counter_numbers_lines(module: ModuleType) -> None:
    """LineCounter sends "1: text", "2: text"..., then "total: N" and passes the stop on"""
    counter = made_by(parts(module)[1]).activate()
    counter.boxes["inbox"].extend(["alpha", "beta"])
    counter.step()
    counter.boxes["inbox"].append("gamma")
    counter.boxes["control"].append("stop")
    run_to_end(counter, limit=3)
    expect(
        counter.boxes["outbox"] == NUMBERED,
        f"LineCounter should send {NUMBERED}, it sent {counter.boxes['outbox']}",
    )
    expect(
        counter.boxes["signal"] == ["stop"],
        f"LineCounter should pass 'stop' on to signal, signal holds {counter.boxes['signal']}",
    )


def udp_sender_sends_datagrams(module: ModuleType) -> None:
    """UDPSender(port) sends each message as one datagram to 127.0.0.1:port"""
    with receiver() as sock:
        sender = made_by(parts(module)[2], port_of(sock)).activate()
        sender.boxes["inbox"].extend(["one", "two"])
        sender.step()
        sender.boxes["control"].append("stop")
        run_to_end(sender, limit=3)
        got = datagrams(sock, 2)
    expect(
        got == ["one", "two"],
        f"UDPSender should send the datagrams ['one', 'two'], the receiver got {got}",
    )
    expect(
        sender.boxes["signal"] == ["stop"],
        f"UDPSender should pass 'stop' on to signal, signal holds {sender.boxes['signal']}",
    )


def pipeline_links_a_chain(module: ModuleType) -> None:
    """pipeline(a, b, c) links outbox -> inbox and signal -> control along the chain"""
    component = need(module, "Component")
    a, b, c = made_by(component), made_by(component), made_by(component)
    result = need(module, "pipeline", "function")(a, b, c)
    expect(
        list(result) == [a, b, c],
        f"pipeline(a, b, c) should return [a, b, c], it returned {result!r}",
    )
    a.send("data")
    b.send("more")
    a.send("end", "signal")
    expect(
        b.boxes["inbox"] == ["data"] and c.boxes["inbox"] == ["more"],
        "pipeline() should link each outbox to the next inbox",
    )
    expect(b.boxes["control"] == ["end"], "pipeline() should link each signal to the next control")


def run_mini_end_to_end(module: ModuleType) -> None:
    """run_mini(filename, port) sends the numbered lines and the total to 127.0.0.1:port"""
    run_mini = need(module, "run_mini", "function")
    with text_file(POEM) as filename, receiver() as sock:
        within(lambda: run_mini(filename, port_of(sock)), "run_mini()")
        got = datagrams(sock, len(NUMBERED))
    expect(got == NUMBERED, f"the receiver should get {NUMBERED}, it got {got}")


def run_mini_empty_file(module: ModuleType) -> None:
    """run_mini() on an empty file sends just "total: 0\""""
    run_mini = need(module, "run_mini", "function")
    with text_file("") as filename, receiver() as sock:
        within(lambda: run_mini(filename, port_of(sock)), "run_mini() on an empty file")
        got = datagrams(sock, 1)
    expect(got == ["total: 0"], f"the receiver should get ['total: 0'], it got {got}")


def parts_run_on_another_core(module: ModuleType) -> None:
    """the components run unchanged on another core (the model answer of chapter 5)"""
    other = importlib.import_module("tutorials.mini_axon.answers.ch05")
    made = need(module, "make_parts", "function")(other.Component, other.ProducerFinished)
    try:
        with text_file(POEM) as filename, receiver() as sock:
            chain = [made[0](filename), made[1](), made[2](port_of(sock))]
            scheduler = other.Scheduler()
            for upstream, downstream in zip(chain, chain[1:]):
                other.link((upstream, "outbox"), (downstream, "inbox"))
                other.link((upstream, "signal"), (downstream, "control"))
            for each in chain:
                scheduler.add(each)
            within(scheduler.run, "the components on another core")
            got = datagrams(sock, len(NUMBERED))
    except CheckFailed:
        raise
    except Exception as error:  # noqa: BLE001 - the learner's failure is the finding
        raise CheckFailed(
            f"on another core your components raised {type(error).__name__}: {error}; "
            "they should use only send, recv, data_ready, Inboxes/Outboxes and the "
            "classes given to make_parts"
        ) from None
    expect(got == NUMBERED, f"on another core the receiver should get {NUMBERED}, it got {got}")


CHECKS = [
    make_parts_builds_components,
    file_reader_reads_lines,
    file_reader_empty_file,
    line_counter_numbers_lines,
    udp_sender_sends_datagrams,
    pipeline_links_a_chain,
    run_mini_end_to_end,
    run_mini_empty_file,
    parts_run_on_another_core,
]
