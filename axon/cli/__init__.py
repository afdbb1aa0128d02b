"""The ``axon`` command (``axon.cli:main`` is the console script; ``python -m axon`` too).

Other packages add commands with an entry point in the ``axon.commands`` group naming a
:class:`Command` (see axon/_tools/_cli.py).
"""

from .._tools import COMMANDS_GROUP, CliError, Command, load_system, main

__all__ = ["COMMANDS_GROUP", "CliError", "Command", "load_system", "main"]
