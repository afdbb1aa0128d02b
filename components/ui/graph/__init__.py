"""The dynamic graph viewer: a graph built by commands, laid out by physics, on the
display service; its TCP and console front ends; and the live view of a running system.

- ``commands``: the command language (Kamaelia's TopologyViewer's), as typed records.
- ``layout``: the numpy physics that places the nodes.
- ``particles``: how each node type looks (pluggable).
- ``viewer``: :class:`GraphViewer`, the component.
- ``server``: a session per TCP client, so many can drive one viewer at once.
- ``live``: :func:`live_view`, an Introspector feeding a viewer (``axon view``).
"""

from .commands import (
    AddLink,
    AddNode,
    BadLine,
    Command,
    CommandBatch,
    CommandError,
    DelAll,
    DelLink,
    DelNode,
    Freeze,
    GetAll,
    GetName,
    Pos,
    Replies,
    SetLinkLabel,
    Unfreeze,
    UpdateName,
    format_command,
    parse,
    parse_line,
    quote,
    split,
)
from .layout import Laws, Layout
from .model import Graph, GraphState, NodeState
from .particles import (
    AXON_TYPES,
    DEFAULT_TYPES,
    Blob,
    BoxParticle,
    ComponentParticle,
    Diamond,
    ParticleType,
    Square,
)
from .viewer import GraphViewer, ViewerStatistics

__all__ = [
    "AXON_TYPES",
    "DEFAULT_TYPES",
    "AddLink",
    "AddNode",
    "BadLine",
    "Blob",
    "BoxParticle",
    "Command",
    "CommandBatch",
    "CommandError",
    "ComponentParticle",
    "DelAll",
    "DelLink",
    "DelNode",
    "Diamond",
    "Freeze",
    "GetAll",
    "GetName",
    "Graph",
    "GraphState",
    "GraphViewer",
    "Laws",
    "Layout",
    "NodeState",
    "ParticleType",
    "Pos",
    "Replies",
    "SetLinkLabel",
    "Square",
    "Unfreeze",
    "UpdateName",
    "ViewerStatistics",
    "format_command",
    "parse",
    "parse_line",
    "quote",
    "split",
]
