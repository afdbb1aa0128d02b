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

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(TextEncoder(), inbox=["héllo"], control=[ProducerFinished()])["outbox"]
    [b'h\\xc3\\xa9llo']
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

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(TextDecoder(), inbox=[b"h\\xc3\\xa9llo", b"\\xff"],
    ...               control=[ProducerFinished()], timeout=5)["outbox"]
    Traceback (most recent call last):
    ...
    axon.ComponentError: TextDecoder raised BadInputError: ...
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

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(JSONEncoder(), inbox=[{"a": [1, 2]}], control=[ProducerFinished()])["outbox"]
    [b'{"a":[1,2]}']
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

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(JSONDecoder(on_error="send"), inbox=[b'{"a": 1}', "[2]", b"{oops"],
    ...               control=[ProducerFinished()])["outbox"]
    [{'a': 1}, [2]]
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

    >>> from axon import Pipeline, ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(Pipeline(PickleEncoder(), PickleDecoder()), inbox=[{"a": (1, 2)}],
    ...               control=[ProducerFinished()])["outbox"]
    [{'a': (1, 2)}]
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

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> out = run_component(PickleDecoder(on_error="send"), inbox=[b"not a pickle"],
    ...                     control=[ProducerFinished()])
    >>> out["outbox"], str(out["error"][0])
    ([], "PickleDecoder: invalid pickle: UnpicklingError: invalid load key, 'n'.")
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
