"""Codecs: explicit edges between ``str`` and ``bytes``, and JSON / pickle marshalling.

Each decoder takes whole messages (put a framer from ``components.framing`` before it when
reading a byte stream).  What cannot be encoded or decoded is bad input, reported per
``on_error`` (see ``components.errors``).
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

from axon import Outbox

from ._stage import Stage
from .errors import OnError

__all__ = [
    "JSONDecoder",
    "JSONEncoder",
    "PickleDecoder",
    "PickleEncoder",
    "TextDecoder",
    "TextEncoder",
]

_BYTES = (bytes, bytearray, memoryview)
_CONTROL = "ProducerFinished or Shutdown"


class TextEncoder(Stage):
    """Encodes ``str`` messages to ``bytes`` (``encoding``, default UTF-8).

    >>> Pipeline(ConsoleReader(), TextEncoder(), LineJoiner(), TCPClient(host, port))
    ... # doctest: +SKIP
    """

    Inboxes = {"inbox": "str messages", "control": _CONTROL}
    Outboxes = {
        "outbox": "the same text, as bytes",
        "signal": "the end of stream, passed on",
        "error": "BadInput records: non-str or unencodable messages (on_error='send')",
    }

    def __init__(self, encoding: str = "utf-8", *, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        "".encode(encoding)  # unknown encodings fail here, not at the first message
        self.encoding = encoding

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        encoding = self.encoding
        for msg in batch:
            if not isinstance(msg, str):
                self.reject(f"expected str, got {type(msg).__name__}", msg)
                continue
            try:
                out.push(msg.encode(encoding))
            except UnicodeEncodeError as exc:
                self.reject(f"cannot encode as {encoding}: {exc}", msg)


class TextDecoder(Stage):
    """Decodes ``bytes`` messages to ``str`` (``encoding``, default UTF-8).

    Bytes that do not decode are bad input (never replaced silently).

    >>> Pipeline(TCPClient(host, port), LineSplitter(), TextDecoder(), ConsoleEcho())
    ... # doctest: +SKIP
    """

    Inboxes = {"inbox": "bytes messages (whole: lines, frames...)", "control": _CONTROL}
    Outboxes = {
        "outbox": "the same text, as str",
        "signal": "the end of stream, passed on",
        "error": "BadInput records: non-bytes or undecodable messages (on_error='send')",
    }

    def __init__(self, encoding: str = "utf-8", *, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        b"".decode(encoding)
        self.encoding = encoding

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        encoding = self.encoding
        for msg in batch:
            try:
                out.push(msg.decode(encoding))
            except UnicodeDecodeError as exc:
                self.reject(f"bytes do not decode as {encoding}: {exc}", msg)
            except AttributeError:
                if isinstance(msg, (bytes, bytearray)):
                    raise
                self.reject(f"expected bytes, got {type(msg).__name__}", msg)


class JSONEncoder(Stage):
    """Encodes each message as JSON, UTF-8 ``bytes`` (compact; ``default`` as in ``json``).

    An object JSON cannot represent is bad input.

    >>> Pipeline(IterableSource([{"a": 1}]), JSONEncoder(), LineJoiner(), FileWriter("x.jsonl"))
    ... # doctest: +SKIP
    """

    Inboxes = {"inbox": "JSON-serialisable objects", "control": _CONTROL}
    Outboxes = {
        "outbox": "JSON documents, as UTF-8 bytes",
        "signal": "the end of stream, passed on",
        "error": "BadInput records: objects JSON cannot encode (on_error='send')",
    }

    def __init__(self, *, default: Callable[[Any], Any] | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self._encode = json.JSONEncoder(
            separators=(",", ":"), ensure_ascii=False, default=default, allow_nan=False,
        ).encode

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        encode = self._encode
        for msg in batch:
            try:
                out.push(encode(msg).encode("utf-8"))
            except (TypeError, ValueError, RecursionError) as exc:
                self.reject(f"cannot encode as JSON: {exc}", msg)


class JSONDecoder(Stage):
    """Decodes each JSON document (``bytes`` in UTF-8/16/32, or ``str``) to an object.

    A message that is not valid JSON is bad input.

    >>> Pipeline(FileReader("x.jsonl", lines=True), JSONDecoder(), Collector())  # doctest: +SKIP
    """

    Inboxes = {"inbox": "JSON documents, as bytes or str", "control": _CONTROL}
    Outboxes = {
        "outbox": "the decoded objects",
        "signal": "the end of stream, passed on",
        "error": "BadInput records: invalid JSON, wrong types (on_error='send')",
    }

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        loads = json.loads
        for msg in batch:
            if not isinstance(msg, (str, bytes, bytearray)):
                self.reject(f"expected bytes or str, got {type(msg).__name__}", msg)
                continue
            try:
                out.push(loads(msg))
            except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
                self.reject(f"invalid JSON: {exc}", msg[:80])


class PickleEncoder(Stage):
    """Pickles each message to ``bytes`` (``protocol``, default the highest).

    For links between trusted processes only: see ``PickleDecoder``.

    >>> Pipeline(IterableSource(objs), PickleEncoder(), LengthPrefixEncoder(), ...)
    ... # doctest: +SKIP
    """

    Inboxes = {"inbox": "picklable objects", "control": _CONTROL}
    Outboxes = {
        "outbox": "pickles, as bytes",
        "signal": "the end of stream, passed on",
        "error": "BadInput records: objects that cannot be pickled (on_error='send')",
    }

    def __init__(self, *, protocol: int = pickle.HIGHEST_PROTOCOL,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.protocol = protocol

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        dumps = pickle.dumps
        protocol = self.protocol
        for msg in batch:
            try:
                out.push(dumps(msg, protocol))
            except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
                self.reject(f"cannot pickle {type(msg).__name__}: {exc}", msg)


class PickleDecoder(Stage):
    """Unpickles each ``bytes`` message.

    Unpickling runs code chosen by whoever made the bytes: use it only on data from a
    trusted peer.  A message that is not a valid pickle is bad input.

    >>> Pipeline(..., LengthPrefixDecoder(), PickleDecoder(), Collector())  # doctest: +SKIP
    """

    Inboxes = {"inbox": "pickles, as bytes", "control": _CONTROL}
    Outboxes = {
        "outbox": "the unpickled objects",
        "signal": "the end of stream, passed on",
        "error": "BadInput records: non-bytes or invalid pickles (on_error='send')",
    }

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        loads = pickle.loads
        for msg in batch:
            if not isinstance(msg, _BYTES):
                self.reject(f"expected bytes, got {type(msg).__name__}", msg)
                continue
            try:
                out.push(loads(msg))
            except Exception as exc:  # noqa: BLE001 - a bad pickle can raise almost anything
                self.reject(f"invalid pickle: {type(exc).__name__}: {exc}", bytes(msg[:80]))
