"""Wire codecs: how batches of messages cross a process or network boundary.

Design notes
------------
1. One codec per link, chosen when composing.  A codec turns a *batch* (a list of
   messages, what one scheduler round sent) into one ``bytes`` payload and back, so a
   boundary costs one write per round, not one per message.  The process links
   (components in other processes) and the NATS links use the same codecs.
2. Safe by default.  :class:`MsgpackCodec` (the default) and :class:`JSONCodec` only
   build plain data; decoding never runs code.  :class:`PickleCodec` carries any picklable
   object but unpickling runs code chosen by whoever made the bytes: it is for links
   between processes you started yourself, or a network you trust, and must be asked for
   by name (``codec="pickle"``) — it is never picked for you on a network link.
3. The library's own messages are encoded explicitly, not by class path:
   ``ProducerFinished`` and ``Shutdown`` (with their ``reason``) survive every codec, so
   the end of a stream crosses any boundary.  Msgpack also keeps ``tuple`` apart from
   ``list`` (a key/value pair stays a pair).
4. Errors name what was wrong.  :class:`EncodeError` and :class:`DecodeError` say which
   message of the batch (its index and type) failed and why; a transport adds the box or
   subject it was crossing.  A bad payload never takes the codec down: the next one
   decodes as usual.
5. Framing for byte streams (pipes, sockets): :func:`frame` prefixes a payload with its
   length (4 bytes, big-endian) and :class:`FrameReader` takes arbitrary chunks and gives
   whole payloads, refusing any frame longer than its ``max_frame`` so a peer cannot make
   it buffer without bound.
"""

from __future__ import annotations

import json
import pickle
import struct
from collections.abc import Iterable
from typing import Any, ClassVar

from .._core import AxonError, EndSignal, ProducerFinished, ReaderGone, Shutdown

__all__ = [
    "Codec",
    "CodecError",
    "DecodeError",
    "EncodeError",
    "FrameReader",
    "JSONCodec",
    "MsgpackCodec",
    "PickleCodec",
    "codec_for",
    "frame",
]


class CodecError(AxonError, ValueError):
    """A message could not be encoded or a payload could not be decoded."""


class EncodeError(CodecError):
    """A message of a batch cannot be encoded by the link's codec.

    ``index`` is its place in the batch (``None`` for a single message) and ``message``
    the message itself.
    """

    def __init__(self, text: str, index: int | None = None, message: Any = None,
                 reason: str = "") -> None:
        super().__init__(text)
        self.index = index
        self.message = message
        self.reason = reason or text


class DecodeError(CodecError):
    """A payload is not a batch this codec made (truncated, corrupt or foreign)."""


_END_KINDS: dict[str, type[EndSignal]] = {
    "ProducerFinished": ProducerFinished,
    "Shutdown": Shutdown,
    "ReaderGone": ReaderGone,
    "EndSignal": EndSignal,
}


def _end_kind(msg: EndSignal) -> str:
    name = type(msg).__name__
    if _END_KINDS.get(name) is not type(msg):
        raise TypeError(f"{name} is a subclass of EndSignal that no codec knows")
    return name


class Codec:
    """Encodes a batch of messages to ``bytes`` and back.  Subclasses give ``name``,
    ``encode_batch`` and ``decode_batch``; ``safe`` is False for codecs whose decoding
    can run code (pickle)."""

    name: ClassVar[str] = "codec"
    safe: ClassVar[bool] = True

    def encode_batch(self, batch: Iterable[Any]) -> bytes:
        raise NotImplementedError

    def decode_batch(self, payload: bytes | bytearray | memoryview) -> list[Any]:
        raise NotImplementedError

    def encode(self, msg: Any) -> bytes:
        """One message as a payload (a batch of one)."""
        try:
            return self.encode_batch([msg])
        except EncodeError as exc:
            raise EncodeError(f"{self.name} cannot encode a message ({type(msg).__name__}): "
                              f"{exc.reason}", None, msg) from None

    def decode(self, payload: bytes | bytearray | memoryview) -> Any:
        """The one message of a payload made by :meth:`encode`."""
        batch = self.decode_batch(payload)
        if len(batch) != 1:
            raise DecodeError(f"{self.name}: expected one message, the payload holds {len(batch)}")
        return batch[0]

    def _blame(self, batch: list[Any], exc: BaseException) -> EncodeError:
        """The error for a batch that failed to encode: names the first message that
        fails on its own (its index and type), so the sender learns which one."""
        if len(batch) > 1:
            for i, msg in enumerate(batch):
                try:
                    self.encode_batch([msg])
                except EncodeError as inner:
                    return EncodeError(
                        f"{self.name} cannot encode message {i} of the batch "
                        f"({type(msg).__name__}): {inner.reason}", i, msg, inner.reason)
        elif batch:
            return EncodeError(
                f"{self.name} cannot encode message 0 of the batch "
                f"({type(batch[0]).__name__}): {exc}", 0, batch[0], str(exc))
        return EncodeError(f"{self.name} cannot encode the batch: {exc}", reason=str(exc))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# -- msgpack ------------------------------------------------------------------------------

_EXT_END = 1  # an EndSignal: msgpack of [kind, reason]
_EXT_TUPLE = 2  # a tuple: msgpack of its items as a list


class MsgpackCodec(Codec):
    """The default: compact, fast and safe.

    Carries ``None``, bools, ints (64-bit), floats, ``str``, ``bytes``, lists, tuples
    (kept as tuples), dicts (any hashable msgpack key) and the end-of-stream messages.
    """

    name = "msgpack"

    def __init__(self) -> None:
        try:
            import msgpack  # (an optional dependency: imported when a codec is made)
        except ImportError:
            raise CodecError("the msgpack codec needs the msgpack package "
                             "(pip install 'axon-components[nats]', or msgpack)") from None

        self._msgpack = msgpack
        self._packb = msgpack.Packer(default=self._default, use_bin_type=True,
                                     strict_types=True).pack
        # (an extension's contents are packed by another packer, one per depth of
        # extensions within extensions: a Packer is not re-entrant, and its default hook
        # runs in the middle of a pack)
        self._inner: list[Any] = []
        self._depth = 0

    def _pack_inner(self, obj: Any) -> bytes:
        d = self._depth
        if d == len(self._inner):
            self._inner.append(self._msgpack.Packer(default=self._default, use_bin_type=True,
                                                    strict_types=True))
        self._depth = d + 1
        try:
            return self._inner[d].pack(obj)  # type: ignore[no-any-return]
        finally:
            self._depth = d

    def _default(self, obj: Any) -> Any:
        ExtType = self._msgpack.ExtType
        if isinstance(obj, tuple):
            return ExtType(_EXT_TUPLE, self._pack_inner(list(obj)))
        if isinstance(obj, EndSignal):
            return ExtType(_EXT_END, self._pack_inner([_end_kind(obj), obj.reason]))
        if isinstance(obj, (bytearray, memoryview)):
            return bytes(obj)
        raise TypeError(f"cannot encode {type(obj).__name__} (msgpack carries plain data; "
                        "use codec='pickle' between trusted processes)")

    def _ext(self, code: int, data: bytes) -> Any:
        if code == _EXT_TUPLE:
            return tuple(self._unpack(data))
        if code == _EXT_END:
            kind, reason = self._unpack(data)
            return _END_KINDS[kind](reason)
        raise ValueError(f"unknown extension type {code}")

    def _unpack(self, data: bytes | bytearray | memoryview) -> Any:
        return self._msgpack.unpackb(data, ext_hook=self._ext, raw=False,
                                     strict_map_key=False, use_list=True)

    def encode_batch(self, batch: Iterable[Any]) -> bytes:
        items = batch if isinstance(batch, list) else list(batch)
        try:
            return self._packb(items)
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise self._blame(items, exc) from None

    def decode_batch(self, payload: bytes | bytearray | memoryview) -> list[Any]:
        try:
            batch = self._unpack(payload)
        except Exception as exc:  # noqa: BLE001 - a corrupt payload can raise many things
            raise DecodeError(f"msgpack: not a batch ({type(exc).__name__}: {exc})") from None
        if not isinstance(batch, list):
            raise DecodeError(f"msgpack: not a batch (a {type(batch).__name__})")
        return batch


# -- JSON -----------------------------------------------------------------------------------

_END_KEY = "__axon_end__"


class JSONCodec(Codec):
    """Readable by anything: JSON text in UTF-8.

    Carries what JSON does (``None``, bools, numbers, ``str``, lists, dicts with ``str``
    keys; tuples arrive as lists) and the end-of-stream messages, as
    ``{"__axon_end__": "ProducerFinished", "reason": ...}``.
    """

    name = "json"

    def __init__(self) -> None:
        self._encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False,
                                        allow_nan=False, default=self._default).encode

    @staticmethod
    def _default(obj: Any) -> Any:
        if isinstance(obj, EndSignal):
            return {_END_KEY: _end_kind(obj), "reason": obj.reason}
        raise TypeError(f"cannot encode {type(obj).__name__} as JSON")

    @staticmethod
    def _hook(d: dict[str, Any]) -> Any:
        kind = d.get(_END_KEY)
        if kind is not None and len(d) == 2 and kind in _END_KINDS:
            return _END_KINDS[kind](d.get("reason", ""))
        return d

    def encode_batch(self, batch: Iterable[Any]) -> bytes:
        items = batch if isinstance(batch, list) else list(batch)
        try:
            return self._encode(items).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            raise self._blame(items, exc) from None

    def decode_batch(self, payload: bytes | bytearray | memoryview) -> list[Any]:
        try:
            batch = json.loads(bytes(payload), object_hook=self._hook)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"json: not a batch ({exc})") from None
        if not isinstance(batch, list):
            raise DecodeError(f"json: not a batch (a {type(batch).__name__})")
        return batch


# -- pickle ---------------------------------------------------------------------------------


class PickleCodec(Codec):
    """Any picklable object.  **Decoding runs code**: for trusted peers only.

    Between processes a program starts itself (a component in a child process) this is
    the natural choice; on a network link it is used only when asked for by name.
    """

    name = "pickle"
    safe = False

    def __init__(self, protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
        self.protocol = protocol

    def encode_batch(self, batch: Iterable[Any]) -> bytes:
        items = batch if isinstance(batch, list) else list(batch)
        try:
            return pickle.dumps(items, self.protocol)
        except Exception as exc:  # noqa: BLE001 - pickling can raise almost anything
            raise self._blame(items, exc) from None

    def decode_batch(self, payload: bytes | bytearray | memoryview) -> list[Any]:
        try:
            batch = pickle.loads(payload)
        except Exception as exc:  # noqa: BLE001 - a bad pickle can raise almost anything
            raise DecodeError(f"pickle: not a batch ({type(exc).__name__}: {exc})") from None
        if not isinstance(batch, list):
            raise DecodeError(f"pickle: not a batch (a {type(batch).__name__})")
        return batch


_CODECS: dict[str, type[Codec]] = {"msgpack": MsgpackCodec, "json": JSONCodec,
                                   "pickle": PickleCodec}


def codec_for(spec: str | Codec | None, *, default: str = "msgpack") -> Codec:
    """A codec from a name (``"msgpack"``, ``"json"``, ``"pickle"``), a codec, or None
    (``default``)."""
    if isinstance(spec, Codec):
        return spec
    name = default if spec is None else spec
    try:
        return _CODECS[name]()
    except KeyError:
        raise CodecError(f"unknown codec {name!r} (known: {', '.join(_CODECS)})") from None


# -- framing ---------------------------------------------------------------------------------

_LEN = struct.Struct(">I")
DEFAULT_MAX_FRAME = 64 * 1024 * 1024


def frame(payload: bytes | bytearray | memoryview) -> bytes:
    """``payload`` prefixed with its length (4 bytes, big-endian)."""
    n = len(payload)
    if n > 0xFFFFFFFF:
        raise CodecError(f"a frame holds at most 4 GiB, not {n} bytes")
    return _LEN.pack(n) + bytes(payload)


class FrameReader:
    """Reassembles length-prefixed frames from chunks of a byte stream.

    ``feed(chunk)`` returns the payloads completed by ``chunk`` (possibly none).  A frame
    announced longer than ``max_frame`` raises :class:`DecodeError` at once, before any of
    it is buffered.  ``pending`` is how many bytes wait for the rest of a frame.
    """

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[bytes]:
        buf = self._buf
        buf += chunk
        out: list[bytes] = []
        pos = 0
        end = len(buf)
        while end - pos >= 4:
            (n,) = _LEN.unpack_from(buf, pos)
            if n > self.max_frame:
                raise DecodeError(f"a frame of {n} bytes is over the limit of {self.max_frame}")
            if end - pos - 4 < n:
                break
            out.append(bytes(buf[pos + 4:pos + 4 + n]))
            pos += 4 + n
        if pos:
            del buf[:pos]
        return out
