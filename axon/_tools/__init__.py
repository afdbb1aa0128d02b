"""Tools: drawings, the introspector and the ``axon`` command, on top of every other layer."""

from ._cli import CliError, load_system, main
from ._draw import draw, to_dot
from ._introspector import Introspector

__all__ = ["CliError", "draw", "Introspector", "load_system", "main", "to_dot"]
