"""Choosers: step through items on command (a playlist, a slideshow, a queue of jobs).

A chooser is a cursor over items driven by messages: ``next`` sends the next item,
``prev`` the one before, and so on; it pairs with buttons or with a ``Carousel`` in pull
mode, which sends ``"next"`` each time a child has finished its job (Kamaelia's
``Chooser``, ``ForwardIteratingChooser`` and ``JoinChooserToCarousel``).
"""

from __future__ import annotations

import enum
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from axon import RECEIVE_ONE, Outbox, ProducerFinished, Shutdown

from ._stage import Stage
from .errors import OnError

__all__ = ["Choose", "Chooser", "ForwardIteratingChooser"]


class Choose(enum.StrEnum):
    """A chooser's commands.  Being ``str``, ``Choose.NEXT == "next"``; a chooser also
    takes the names in any case (``"NEXT"``, as Kamaelia's buttons sent)."""

    NEXT = "next"  #: the item after the current one
    PREV = "prev"  #: the item before it
    FIRST = "first"  #: the first item
    LAST = "last"  #: the last item
    SAME = "same"  #: the current item again


def command(msg: Any) -> Choose | None:
    """``msg`` as a :class:`Choose`, or None if it is not one."""
    if isinstance(msg, Choose):
        return msg
    if isinstance(msg, str):
        try:
            return Choose(msg.lower())
        except ValueError:
            return None
    return None


class Chooser(Stage):
    """Steps through a list of ``items`` on ``next`` / ``prev`` / ``first`` / ``last`` /
    ``same`` commands, sending the item it lands on.

    It sends the first item as it starts (``send_first=False``: it waits, before the
    first item, for a command; ``next`` or ``first`` then give the first).  ``next`` on
    the last item and ``prev`` on the first send nothing and stay there, unless
    ``loop=True``: then they go round.  ``same`` sends the current item again.  Another
    message is bad input (``on_error``).  ``ProducerFinished`` ends it after the commands
    sent before it; ``Shutdown`` at once.  For an endless or lazy sequence, or a playlist
    that should end after its last item, use :class:`ForwardIteratingChooser`.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> slides = Chooser(["a.png", "b.png", "c.png"], loop=True)  # a.png at once
    >>> run_component(slides, inbox=["next", "next", "next", "prev", Choose.SAME],
    ...               control=[ProducerFinished()])["outbox"]
    ['a.png', 'b.png', 'c.png', 'a.png', 'c.png', 'c.png']

    In an application the commands come from buttons and the items go to a viewer::

        Pipeline(buttons, Chooser(["a.png", "b.png", "c.png"], loop=True), viewer)
    """

    Inboxes = {
        "inbox": "commands: Choose.NEXT/PREV/FIRST/LAST/SAME, or their names as str",
        "control": "ProducerFinished (after the commands before it) or Shutdown",
    }
    Outboxes = {
        "outbox": "the item chosen by each command that lands on one",
        "signal": "the end of stream, passed on",
        "error": "BadInput records for messages that are not commands (on_error='send')",
    }

    def __init__(self, items: Iterable[Any], *, loop: bool = False, send_first: bool = True,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.items = list(items)
        self.loop = loop
        self.send_first = send_first
        self.index = -1  # the current item's index (-1: before the first)

    @property
    def current(self) -> Any:
        """The item last sent (``IndexError`` before the first)."""
        if self.index < 0:
            raise IndexError(f"{self.path} has not chosen an item yet")
        return self.items[self.index]

    def main(self) -> Generator[Any, Any, None]:
        if self.send_first and self.items:
            self.index = 0
            self.send(self.items[0])
        yield from super().main()

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        n = len(self.items)
        for msg in batch:
            cmd = command(msg)
            if cmd is None:
                self.reject(f"expected a command ({', '.join(Choose)}), got {msg!r}", msg)
                continue
            i = self.index
            if cmd is Choose.NEXT:
                i = i + 1 if i + 1 < n else (0 if self.loop else -2)
            elif cmd is Choose.PREV:
                i = i - 1 if i > 0 else (n - 1 if self.loop else -2)
            elif cmd is Choose.FIRST:
                i = 0
            elif cmd is Choose.LAST:
                i = n - 1
            if 0 <= i < n:  # (-2: nowhere to go; -1: still before the first)
                self.index = i
                out.push(self.items[i])


class ForwardIteratingChooser(Stage):
    """Steps forward through any iterable (a generator, an endless one too), one item per
    ``next`` command; after the last item, ``next`` ends it (``ProducerFinished``).

    It sends the first item as it starts (``send_first=False``: only when asked), so with
    a pull-mode ``Carousel`` it hands out one job per finished child and ends the
    carousel when the jobs run out::

        Graphline(JOBS=ForwardIteratingChooser(playlist), PLAY=Carousel(player, request="next"),
                  linkages={("JOBS", "outbox"): ("PLAY", "next"),
                            ("JOBS", "signal"): ("PLAY", "control"),
                            ("PLAY", "requests"): ("JOBS", "inbox"), ...})

    ``same`` sends the current item again; ``prev``, ``first`` and ``last`` cannot be
    done going forward and are bad input, as is anything else (``on_error``).  Items are
    taken from the iterable only as they are asked for.  ``ProducerFinished`` ends it
    after the commands sent before it; ``Shutdown`` at once.  Commands that arrive after
    its end are counted as dropped, as for any finished component.
    """

    Inboxes = {
        "inbox": "commands: Choose.NEXT or Choose.SAME (or 'next', 'same')",
        "control": "ProducerFinished (after the commands before it) or Shutdown",
    }
    Outboxes = {
        "outbox": "the items, one per next (and again per same)",
        "signal": "ProducerFinished once asked past the last item (or the end passed on)",
        "error": "BadInput records for messages that are not next/same (on_error='send')",
    }

    _NONE: Any = object()

    def __init__(self, items: Iterable[Any], *, send_first: bool = True,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.items = items
        self.send_first = send_first
        self.sent = 0  # items taken from the iterable and sent

    def main(self) -> Generator[Any, Any, None]:
        it: Iterator[Any] = iter(self.items)
        current = self._NONE
        control = self.inboxes["control"].queue
        end: Any = None
        if self.send_first:
            current = next(it, self._NONE)
        if current is not self._NONE:
            self.sent += 1
            self.send(current)
        elif self.send_first:
            end = ProducerFinished("nothing to choose from")
        while end is None and (msg := (yield RECEIVE_ONE)) is not None:
            cmd = command(msg)
            if cmd is Choose.NEXT:
                current = next(it, self._NONE)
                if current is self._NONE:
                    end = ProducerFinished("no more items")
                    break
                self.sent += 1
                self.send(current)
            elif cmd is Choose.SAME:
                if current is not self._NONE:
                    self.send(current)
            else:
                problem = (f"a ForwardIteratingChooser only steps forward: {cmd.value!r}"
                           if cmd is not None else f"expected 'next' or 'same', got {msg!r}")
                self.reject(problem, msg)
            if control:  # a message other than the end (which RECEIVE_ONE takes) is bad input
                self.end_message = self.take_control(self.end_message)
                if isinstance(self.end_message, Shutdown):
                    break
        self.send(end if end is not None else self.end_message, "signal")
