"""Tools: drawings, the introspector and the ``axon`` command, on top of every other layer."""

from ._cli import COMMANDS_GROUP, CliError, Command, load_system, main
from ._draw import draw, to_dot
from ._introspector import Introspector

__all__ = [
    "CliError", "Command", "COMMANDS_GROUP", "draw", "Introspector", "load_system", "main",
    "to_dot",
]
