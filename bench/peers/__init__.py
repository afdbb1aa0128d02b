"""The peers measured side by side, one module each, all with the same small interface.

Every peer module defines:

- ``LABEL`` (str): the name shown in reports; ``NOTES`` (str): how the peer is driven.
- ``SCALE`` (float): factor applied to message counts for peers too slow to push the full
  count within the run's budget. Figures are per hop / per item, so they stay comparable;
  the count actually used is recorded beside every figure.
- ``pipeline(n, stages, burst, batch) -> Run``: a source, ``stages`` identity stages and a
  counting sink. The source sends ``burst`` messages per timeslice (1 = per-message mode).
  ``batch`` = 0 sends ints; otherwise each message is one list of ``batch`` items and the sink
  counts items. ``Run.received`` is what the sink counted.
- ``fanout(n, subscribers) -> Run``: one publisher, ``n`` messages to each subscriber;
  ``Run.received`` is the list of per-subscriber counts.
- ``many(idle, n, stages) -> Run``: ``idle`` components that wait for input beside a
  per-message pipeline of ``n`` messages; ``Run.setup_seconds`` is the time to create and
  start the idle components, ``Run.seconds`` the pipeline's run time.
- ``build_teardown(stages, repeats) -> Run``: build a ``stages``-long pipeline, pass one
  message through it, tear it down; ``repeats`` times. ``received`` counts messages through.
- ``small(n, stages) -> int``: a small pipeline for the whole-process workload; returns the
  count the sink received.

Kept free of imports so that the whole-process workload measures the peer, not this package.
"""

PEERS = ("floor", "axon", "kamaelia", "asyncio", "trio", "thespian", "pykka", "guild")


class Run:
    """One timed run: wall seconds, what the sink(s) received, optional set-up seconds."""

    __slots__ = ("seconds", "received", "setup_seconds")

    def __init__(self, seconds, received, setup_seconds=None):
        self.seconds = seconds
        self.received = received
        self.setup_seconds = setup_seconds


def module_name(peer):
    """The importable module that implements ``peer``."""
    return f"bench.peers.{peer}_peer"
