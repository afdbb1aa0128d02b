"""The Axon component library: sources, sinks, transforms, timing, routing, framing,
codecs, networking (a server per connection, or ``SingleServer`` for one client at a
time), subprocesses, choosers and ``TimeToLive``; test helpers live in
``components.testing``.

Every component declares its boxes with descriptions, passes ``ProducerFinished`` on only
after the data sent before it, stops promptly on ``Shutdown``, and reports bad input per
its ``on_error`` policy (see ``components.errors``).
"""

from .errors import BadInput, BadInputError, OnError
from .sources import ConsoleReader, FileReader, IterableSource
from .sinks import Collector, ConsoleEcho, FileWriter
from .transforms import Batch, Filter, Map, Unbatch
from .timing import Clock, Delay, Periodic, RateLimiter, SystemClock, Timed, TimerHandle
from .routing import FanOut, KeyRouter, Merge, Router
from .chooser import Choose, Chooser, ForwardIteratingChooser
from .framing import (
    LengthPrefixDecoder,
    LengthPrefixEncoder,
    LineJoiner,
    LineSplitter,
    line_session,
)
from .codecs import (
    JSONDecoder,
    JSONEncoder,
    PickleDecoder,
    PickleEncoder,
    TextDecoder,
    TextEncoder,
)
from .net import (
    Connected,
    Datagram,
    Disconnected,
    ProtocolFailed,
    SocketError,
    TCPClient,
    TCPConnection,
    TCPServer,
    UDPReceiver,
    UDPSender,
)
from .process import ProcessExited, Subprocess, SubprocessError, UnreadInput
from .single_server import Refused, SingleServer
from .time_to_live import TimeToLive

__all__ = [
    "BadInput",
    "BadInputError",
    "Batch",
    "Choose",
    "Chooser",
    "Clock",
    "Collector",
    "Connected",
    "ConsoleEcho",
    "ConsoleReader",
    "Datagram",
    "Delay",
    "Disconnected",
    "FanOut",
    "FileReader",
    "FileWriter",
    "Filter",
    "ForwardIteratingChooser",
    "IterableSource",
    "JSONDecoder",
    "JSONEncoder",
    "KeyRouter",
    "LengthPrefixDecoder",
    "LengthPrefixEncoder",
    "LineJoiner",
    "LineSplitter",
    "Map",
    "Merge",
    "OnError",
    "Periodic",
    "PickleDecoder",
    "PickleEncoder",
    "ProcessExited",
    "ProtocolFailed",
    "RateLimiter",
    "Refused",
    "Router",
    "SingleServer",
    "SocketError",
    "Subprocess",
    "SubprocessError",
    "SystemClock",
    "TCPClient",
    "TCPConnection",
    "TCPServer",
    "TextDecoder",
    "TextEncoder",
    "TimeToLive",
    "Timed",
    "TimerHandle",
    "UDPReceiver",
    "UDPSender",
    "Unbatch",
    "UnreadInput",
    "line_session",
]
