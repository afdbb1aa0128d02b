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


def test_the_test_helpers_are_axon_testing_and_components_testing_is_the_same() -> None:
    import axon.testing
    import components.testing

    assert axon.testing.__all__ == ["FakeClock", "Harness", "feed", "run_component"]
    for name in axon.testing.__all__:
        assert getattr(components.testing, name) is getattr(axon.testing, name)


def test_the_command_line_module_keeps_its_entry_point() -> None:
    import axon.cli

    assert callable(axon.cli.main)  # setup.cfg: axon = axon.cli:main
    assert {"main", "Command", "CliError", "COMMANDS_GROUP"} <= set(axon.cli.__all__)


def test_import_axon_leaves_what_most_programs_never_use_unloaded():
    """``import axon`` does not load the process layer (multiprocessing, pickle, json, the
    codecs), nor the command line's argparse and importlib.metadata: they load on first use
    (``axon.ChildProcess``, the ``axon`` command), so a one-process program does not pay
    their import time."""
    import subprocess
    import sys
    probe = ("import sys, axon; print(sorted(m for m in ('axon._processes', 'multiprocessing', "
             "'pickle', 'json', 'argparse', 'importlib.metadata') if m in sys.modules)); "
             "axon.ChildProcess; print('axon._processes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True"  # (and loaded on first use)
