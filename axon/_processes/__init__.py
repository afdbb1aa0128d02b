"""Components in other processes: wire codecs, the crossing, child processes, worker pools.

Above the core and the compositions (a pool restarts like a Supervisor, with its records);
uses only their packages' APIs.
"""

from ._pool import LostMessage, OnLost, PoolStatistics, WorkerPool
from ._process import ChildProcess, ProcessDied, ProcessStatistics, RemoteError, child_id
from ._wire import (
    Codec, CodecError, DecodeError, EncodeError, FrameReader, JSONCodec, MsgpackCodec,
    PickleCodec, codec_for, frame,
)

__all__ = [
    "ChildProcess",
    "child_id",
    "Codec",
    "codec_for",
    "CodecError",
    "DecodeError",
    "EncodeError",
    "frame",
    "FrameReader",
    "JSONCodec",
    "LostMessage",
    "MsgpackCodec",
    "OnLost",
    "PickleCodec",
    "PoolStatistics",
    "ProcessDied",
    "ProcessStatistics",
    "RemoteError",
    "WorkerPool",
]
