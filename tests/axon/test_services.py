"""The service registry: per scheduler, with clear errors."""

from __future__ import annotations

import pytest

from axon import Scheduler, ServiceError


def test_register_lookup_unregister() -> None:
    s = Scheduler()
    s.services.register("db", "the db")
    assert s.services.lookup("db") == "the db"
    assert s.services.unregister("db") == "the db"
    assert "db" not in s.services


def test_errors_name_the_service_and_what_is_registered() -> None:
    s = Scheduler()
    s.services.register("a", 1)
    with pytest.raises(ServiceError, match=r"no service named 'b' \(registered: a\)"):
        s.services.lookup("b")
    with pytest.raises(ServiceError, match="'a' is already registered"):
        s.services.register("a", 2)
    with pytest.raises(ServiceError, match="no service named 'b' to unregister"):
        s.services.unregister("b")
    with pytest.raises(LookupError):  # a ServiceError is a LookupError
        s.services.lookup("zzz")


def test_unregister_with_a_service_only_removes_that_one() -> None:
    s = Scheduler()
    s.services.register("x", "new")
    assert s.services.unregister("x", "old") is None
    assert s.services.lookup("x") == "new"


def test_each_scheduler_has_its_own_registry() -> None:
    a, b = Scheduler(), Scheduler()
    a.services.register("only-a", 1)
    assert "only-a" not in b.services
