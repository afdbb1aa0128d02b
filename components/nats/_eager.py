"""Running a coroutine eagerly: up to its first real wait, in the caller's timeslice.

nats-py's ``publish`` is a coroutine that almost never waits (it appends to a buffer);
yielding it to the scheduler as an awaitable would cost a task and a trip through the
event loop per batch.  :func:`start_eagerly` runs it at once and hands back an awaitable
only when it really has to wait (a full outgoing buffer being flushed): that is the
backpressure of a NATS link.  (Python 3.12's eager task factory does the same; 3.11 has
none.)
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["start_eagerly"]


def start_eagerly(coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any] | None:
    """Run ``coro`` until it first waits: None if it finished (its result is dropped; an
    exception it raised propagates), else a future for the rest of it."""
    try:
        waited = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_finish(coro, waited))


async def _finish(coro: Coroutine[Any, Any, Any], waited: Any) -> Any:
    """Drive ``coro`` on from the first thing it waited for: that future (or bare yield)
    is passed up to the task running this, and the outcome is passed back down."""
    while True:
        error: BaseException | None = None
        try:
            await _pass_up(waited)
        except BaseException as exc:  # noqa: BLE001 - the coroutine handles its outcome
            error = exc
        try:
            waited = coro.send(None) if error is None else coro.throw(error)
        except StopIteration as stop:
            return stop.value


@types.coroutine
def _pass_up(waited: Any) -> Generator[Any, Any, Any]:
    return (yield waited)
