"""The public API is exactly what ``axon.__all__`` names, and every name is importable."""

from __future__ import annotations

import axon
from axon import EndSignal, ProducerFinished, Shutdown


def test_the_contract_names_are_exported():
    for name in ("Component", "ThreadedComponent", "run", "run_async", "ProducerFinished",
                 "Shutdown", "Pipeline", "Scheduler", "RECEIVE"):
        assert name in axon.__all__


def test_every_exported_name_exists_and_all_is_sorted_case_insensitively():
    for name in axon.__all__:
        assert hasattr(axon, name), name
    assert len(set(axon.__all__)) == len(axon.__all__)
    assert axon.__all__ == sorted(axon.__all__, key=str.lower)


def test_private_modules_are_not_exported():
    assert not any(name.startswith("_") for name in axon.__all__)


def test_end_messages_are_small_typed_records():
    assert ProducerFinished() == ProducerFinished()
    assert ProducerFinished() != Shutdown()
    assert isinstance(Shutdown("bye"), EndSignal) and Shutdown("bye").reason == "bye"
    assert not hasattr(ProducerFinished(), "__dict__")  # slots: cheap to send
