"""Frame deadlines against a clock: frame ``k`` is due at ``t0 + k * period``, never drifting.

Every deadline is computed from ``t0`` (not by adding a period to the last wake-up), so a
late wake-up delays one frame and the next ones are still on time; frames that fell due
while the process was busy are all emitted at the next wake-up (up to ``max_late``; past
that the schedule skips ahead and counts what it skipped, rather than bursting seconds of
audio).  The alarm is set to the same float expression the due test compares against, so
on a fake clock a frame is due exactly when its alarm rings.

Every schedule starts on the same grid, the multiples of the period on the clock
(:func:`on_grid`); generators run ``GENERATOR_LEAD`` ahead of it.  So a generated frame is
always made before the mixes take theirs, even when a stall makes both catch up at once
(timers fire in the order of their deadlines): an in-process source never underruns.
"""

from __future__ import annotations

import math

__all__ = ["GENERATOR_LEAD", "FrameSchedule", "on_grid"]

#: How far ahead of the mixes' grid the generators make their frames (a quarter frame).
GENERATOR_LEAD = 0.25


def on_grid(now: float, period: float) -> float:
    """The first multiple of ``period`` at or after ``now``: where every schedule starts."""
    return math.ceil(now / period) * period


class FrameSchedule:
    """Counts the frames due by a time; ``next`` is the number of the next frame to emit."""

    __slots__ = ("late_wakes", "max_late", "max_lateness", "next", "period", "skipped", "t0")

    def __init__(self, t0: float, period: float, *, max_late: int = 100) -> None:
        if period <= 0:
            raise ValueError(f"a frame period must be > 0, not {period}")
        self.t0 = t0
        self.period = period
        self.next = 0
        self.max_late = max_late
        self.skipped = 0  # frames never emitted: the process was more than max_late behind
        self.late_wakes = 0  # wake-ups that found more than one frame due
        self.max_lateness = 0.0  # seconds: the latest a frame was taken after it fell due

    def deadline(self, k: int) -> float:
        """When frame ``k`` is due."""
        return self.t0 + k * self.period

    def take_due(self, now: float) -> int:
        """How many frames to emit now (from ``next``); advances ``next`` past them."""
        k = self.next
        due = self.t0 + k * self.period
        if due > now:
            return 0
        self.max_lateness = max(self.max_lateness, now - due)
        # the last frame due: estimate, then settle on the exact comparison used for alarms
        last = max(k, int((now - self.t0) / self.period))
        while self.t0 + (last + 1) * self.period <= now:
            last += 1
        while last > k and self.t0 + last * self.period > now:
            last -= 1
        count = last - k + 1
        if count > self.max_late:
            self.skipped += count - 1
            k = last  # emit only the frame due now
            count = 1
        if count > 1:
            self.late_wakes += 1
        self.next = k + count
        return count

    def next_deadline(self) -> float:
        return self.t0 + self.next * self.period
