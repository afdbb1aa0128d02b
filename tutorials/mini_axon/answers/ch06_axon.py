"""Chapter 6, part two: the same three components, running unchanged on the real axon.

This file is the whole adapter. The mini core and axon agree on every name the
components use (Inboxes, Outboxes, send, recv, data_ready, a bare yield, and an
IndexError from recv() on an empty box), so the only differences are what we hand
to make_parts() and how the system is wired and run.
"""

from __future__ import annotations

import tempfile

import axon
from tutorials.mini_axon.answers.ch06 import make_parts, open_receiver, receive_lines

NEEDED = ("Component", "ProducerFinished", "Pipeline", "run")
_missing = [name for name in NEEDED if not hasattr(axon, name)]
if _missing:
    raise ImportError(f"the real axon does not provide {', '.join(_missing)} yet")

FileReader, LineCounter, UDPSender = make_parts(axon.Component, axon.ProducerFinished)


def run_real(filename: str, port: int, timeout: float = 10.0) -> None:
    """run_mini() again, with axon.Pipeline for pipeline() and axon.run for Scheduler.run."""
    axon.run(axon.Pipeline(FileReader(filename), LineCounter(), UDPSender(port)), timeout=timeout)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder, open_receiver() as receiver:
        filename = f"{folder}/poem.txt"
        with open(filename, "w", encoding="utf-8") as file:
            file.write("alpha\nbeta\ngamma\n")
        run_real(filename, receiver.getsockname()[1])
        for line in receive_lines(receiver):
            print(line)
