"""Instruments: hooks on a scheduler that cost nothing while nobody uses them.

An :class:`Instrument` overrides any of its no-op methods and is added with
``scheduler.add_instrument(i)``; the scheduler calls only the methods that were overridden.
Timeslice hooks are not checked in the scheduler's loop: while some instrument wants them,
each component's resume function is wrapped (at activation, or when the instrument is
added), so a scheduler without them runs exactly the code it would run anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._box import Link
    from ._component import Component

__all__ = ["Instrument", "SliceHooks"]


class Instrument:
    """Base class of scheduler instruments; override the hooks you need."""

    def component_started(self, component: "Component") -> None:
        """``component`` was activated (before its first timeslice)."""

    def component_finished(self, component: "Component") -> None:
        """``component`` finished, failed or was stopped (see ``component.state``)."""

    def before_timeslice(self, component: "Component") -> None:
        """``component`` is about to run a timeslice."""

    def after_timeslice(self, component: "Component") -> None:
        """``component``'s timeslice ended (normally, by finishing or by an error)."""

    def link_added(self, link: "Link") -> None:
        """A running component made ``link``."""

    def link_removed(self, link: "Link") -> None:
        """A running component removed ``link`` (or finished, removing the links it made)."""

    def _link_changed(self, link: "Link", added: bool) -> None:
        if added:
            self.link_added(link)
        else:
            self.link_removed(link)


def overrides(instrument: Instrument, name: str) -> bool:
    """True if ``instrument``'s class overrides hook ``name``."""
    return getattr(type(instrument), name) is not getattr(Instrument, name)


class SliceHooks:
    """The before/after-timeslice hooks in force; shared by every wrapper, so it updates live."""

    __slots__ = ("after", "before")

    def __init__(self) -> None:
        self.before: list[Callable[[Component], None]] = []
        self.after: list[Callable[[Component], None]] = []

    def wrap_send(self, comp: "Component", send: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``send`` (a generator's ``send``) with the hooks around it."""
        before, after = self.before, self.after

        def instrumented_send(value: Any) -> Any:
            for hook in before:
                hook(comp)
            try:
                return send(value)
            finally:
                for hook in after:
                    hook(comp)

        instrumented_send.unwrapped = send  # type: ignore[attr-defined]
        return instrumented_send

    def wrap_resume(self, comp: "Component", resume: Callable[[], Any]) -> Callable[[], Any]:
        """A resume callable (after an awaitable) with the hooks around it."""
        wrapped = self.wrap_send(comp, lambda _value: resume())
        return lambda: wrapped(None)
