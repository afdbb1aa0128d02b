"""The service registry: named services scoped to one scheduler (never a process global).

Kamaelia kept one process-wide "coordinating assistant tracker"; here every
:class:`~axon.Scheduler` has its own ``services`` registry, so two systems in one process
(two tests, two schedulers) cannot see each other's services.
"""

from __future__ import annotations

from typing import Any

from ._errors import AxonError

__all__ = ["ServiceError", "ServiceRegistry"]


class ServiceError(AxonError, LookupError):
    """A service name that is unknown, or already taken."""


class ServiceRegistry(dict[str, Any]):
    """Named services of one scheduler: ``register`` / ``lookup`` / ``unregister``.

    A service is any object (often a component, or a ``(component, box)`` pair).  It is a
    ``dict`` too, so ``name in services`` and iteration work; use the methods to get clear
    errors instead of ``KeyError``.
    """

    def register(self, name: str, service: Any) -> None:
        """Register ``service`` under ``name``; raises :class:`ServiceError` if taken."""
        if not isinstance(name, str) or not name:
            raise ServiceError(f"a service name is a non-empty str, not {name!r}")
        if name in self:
            raise ServiceError(f"service {name!r} is already registered ({self[name]!r})")
        self[name] = service

    def lookup(self, name: str) -> Any:
        """The service registered under ``name``; raises :class:`ServiceError` if none."""
        try:
            return self[name]
        except KeyError:
            known = ", ".join(sorted(self)) or "none"
            raise ServiceError(f"no service named {name!r} (registered: {known})") from None

    def unregister(self, name: str, service: Any = None) -> Any:
        """Remove ``name`` and return its service.

        With ``service`` given, only remove it if it is still the registered one (so an
        owner that ends late cannot remove its successor); returns None otherwise.
        """
        if name not in self:
            known = ", ".join(sorted(self)) or "none"
            raise ServiceError(f"no service named {name!r} to unregister (registered: {known})")
        if service is not None and self[name] is not service:
            return None
        return self.pop(name)
