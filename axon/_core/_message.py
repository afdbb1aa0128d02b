"""Protocol messages sent ``signal`` -> ``control``: small typed records, never magic strings."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EndSignal", "ProducerFinished", "ReaderGone", "Shutdown"]


@dataclass(frozen=True, slots=True)
class EndSignal:
    """Base of the end-of-stream messages; ``reason`` is free text for logs and drawings."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class ProducerFinished(EndSignal):
    """The producer has sent everything: finish once the data already sent is processed."""


@dataclass(frozen=True, slots=True)
class Shutdown(EndSignal):
    """Stop now: unprocessed input is abandoned."""


@dataclass(frozen=True, slots=True)
class ReaderGone(Shutdown):
    """Stop now: every inbox this component sends to has closed (its readers finished).

    The scheduler puts it in a component's ``control``; as a ``Shutdown`` it ends every
    end-of-stream idiom, so a producer into a dead pipeline stops (OTP's links play
    this part there).  ``reason`` names the reader that went last.  A sender whose own
    ``ProducerFinished`` (on its ``signal``) reached that reader is not told: its stream
    ended normally.
    """
