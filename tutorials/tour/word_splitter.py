"""A good component, start to finish: WordSplitter (tutorials/writing_components.md).

Run it: ``python -m tutorials.tour.word_splitter``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from axon import RECEIVE, Component, ProducerFinished, Shutdown
from components.errors import BadInput
from components.testing import run_component


class WordSplitter(Component):
    """Splits lines of text into words; bad input is reported on ``error``, not fatal.

    >>> run_component(WordSplitter(), inbox=["to be", "or not"])["outbox"]
    ['to', 'be', 'or', 'not']
    """

    Inboxes = {
        "inbox": "lines of text (str)",
        "control": "ProducerFinished: finish after the lines already sent; Shutdown: stop now",
    }
    Outboxes = {
        "outbox": "words, in the order they appeared",
        "signal": "the end of stream, passed on once every line is split",
        "error": "a BadInput record for each message that was not a str",
    }

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        # RECEIVE: every line waiting (oldest first); None at the end of the stream, which
        # comes only after every line sent before ProducerFinished has been handed to us.
        while (batch := (yield RECEIVE)) is not None:
            for line in batch:
                if not isinstance(line, str):
                    self.send(BadInput(self.path, f"expected str, got {type(line).__name__}",
                                       line), "error")
                    continue  # the rest of the traffic goes on
                for word in line.split():
                    out.push(word)
        self.send(self.end_message, "signal")  # pass ProducerFinished or Shutdown on


def main() -> None:
    out = run_component(WordSplitter(name="Splitter"),
                        inbox=["the quick brown", b"not text", "fox"],
                        control=[ProducerFinished()])
    print("words: ", out["outbox"])
    print("errors:", [str(e) for e in out["error"]])
    print("signal:", out["signal"])
    stopped = run_component(WordSplitter(), inbox=["never split"], control=[Shutdown()])
    print("after Shutdown:", stopped["outbox"], stopped["signal"])


if __name__ == "__main__":
    main()
