"""The ``axon`` command (``axon.cli:main`` is the console script); see axon/_tools/_cli.py."""

from .._tools import CliError, load_system, main

__all__ = ["CliError", "load_system", "main"]
