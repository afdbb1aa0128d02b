"""One end of a process boundary: a component whose boxes continue in another process.

Design notes
------------
1. Frames.  The two ends talk over a pair of pipes in length-prefixed frames
   (:func:`axon._wire.frame`).  A frame's first byte is its kind and, for ``DATA`` and
   ``CREDIT``, its second byte the box it concerns (by position: box *i* sent from one
   end is box *i* received at the other).  A ``DATA`` frame holds one encoded *batch*:
   everything one box had to send in one timeslice.
2. One write per round.  In each timeslice an end delivers what arrived, takes what waits
   in its boxes, and writes every frame it made with one ``os.write``.  Reading is done by
   the event loop (``loop.add_reader``), never by polling, and never stops: ``CREDIT``
   frames are acted on as they are read, so a stalled box never stalls the others.
3. Credits keep bounded boxes bounded.  A sending end may have at most ``window``
   messages of each box on their way (in the pipe, or read and not yet delivered at the
   far end); the receiving end grants credit as it delivers them into the inboxes the box
   leads to (once ``grant_at`` of them are owed: 1, or half the window between two
   children).  A bounded (``block``) inbox that is full therefore holds up the far end's
   sender, which stops taking from its own bounded inbox, which holds up the component
   sending to it: backpressure crosses the boundary and memory stays bounded on both sides.
4. Ends keep their place.  The *end box* (``control`` going to a child, ``signal``
   coming back) carries ``ProducerFinished`` and ``Shutdown``; its messages are sent only
   when no data box has messages still waiting for credit, and the receiving end delivers
   frames strictly in order, stopping at the first that had to wait for room.  So
   everything sent before an end of stream arrives before it.  ``Shutdown`` means stop
   now: it goes at once, and is delivered ahead of data still waiting for room.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import fcntl
import os
import select
import struct
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from .._core import Component, EndSignal, Outbox, Policy, ReaderGone, Shutdown
from ._wire import Codec, CodecError, DecodeError, EncodeError, FrameReader, frame

__all__ = ["CrossingEnd", "Kind"]

class Kind(enum.IntEnum):
    """What a frame is (its first byte)."""

    DATA = 0  #: box, encoded batch
    CREDIT = 1  #: box, u32: that many more messages may be sent on it
    HELLO = 2  #: (child -> parent) pickled: pid, a snapshot of what runs there
    DONE = 3  #: (child -> parent) pickled: the final report; the child has finished
    ERROR = 4  #: (child -> parent) pickled: a failure in the child
    ASK = 5  #: (parent -> child) send a fresh snapshot (a HELLO frame)


_U32 = struct.Struct(">I")
READ_SIZE = 1 << 20  # bytes read per readable callback
PIPE_SIZE = 1 << 20  # pipe capacity asked for (Linux; the default is 64 KiB)
MAX_FRAME = 1 << 31  # between processes we started: a batch may be large


def widen_pipe(fd: int) -> None:
    """Ask for a larger pipe buffer (fewer partial writes); harmless where unsupported."""
    setsz = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsz is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsz, PIPE_SIZE)


class CrossingEnd(Component):
    """A component whose outgoing inboxes and incoming outboxes continue across a pipe.

    Subclasses call :meth:`_cross_open` once, then :meth:`_cross_step` every timeslice,
    and handle the frames other than ``DATA`` and ``CREDIT`` in :meth:`_on_frame`.  The
    delivery of what arrives may be left to another component (``deliverer``), which
    then calls :meth:`_deliver_step` in its own timeslices: waiting for room there never
    stops this end from taking and sending (see ``_ChildEnd`` in axon/_processes/_process.py).
    """

    opened = False  # _cross_open has run
    writes = frames_out = frames_in = bytes_out = bytes_in = 0  # (counted once it has)

    # -- set-up -------------------------------------------------------------------------------

    def _cross_open(self, rfd: int, wfd: int, codec: Codec, window: int,
                    sends: Sequence[str], receives: Sequence[str], end_box: str | None,
                    recv_end: str | None, deliverer: Component | None = None) -> None:
        """Start crossing: messages of inboxes ``sends`` go out (``end_box`` among them is
        the end box), frames for outboxes ``receives`` come in (``recv_end`` the end box
        of the far side)."""
        self.opened = True
        self._codec = codec
        self._window = window
        self._rfd = rfd
        self._wfd = wfd
        self._send_names = tuple(sends)
        self._recv_names = tuple(receives)
        self._end_index = sends.index(end_box) if end_box in sends else -1
        self._recv_end = receives.index(recv_end) if recv_end in receives else -1
        self.forwarded_end: EndSignal | None = None  # the last end sent on the end box
        self.end_received = False  # the far side passed its end on: its component ended
        self._credit = [window] * len(sends)
        # taken from a send box and not yet sent (no credit): at most what the box held
        self._for_credit: list[deque[Any]] = [deque() for _ in sends]
        self._owed = [0] * len(receives)  # delivered, credit not yet granted
        # credit is granted once this much is owed (at most the window: a sender out of
        # credit has a window delivered or on its way, so it is always granted in the end)
        self._grant_at = min(max(1, getattr(self, "grant_at", 1)), window)
        self._deferred = [0] * len(receives)  # delivered maybe-held: granted next step
        self._sent = [0] * len(sends)  # messages sent, per box
        self._received = [0] * len(receives)  # messages received, per box
        self.frames_out = 0
        self.frames_in = 0
        self.writes = 0
        self.bytes_out = 0
        self.bytes_in = 0
        self._reader = FrameReader(MAX_FRAME)
        # read into a buffer kept for the purpose: os.read(fd, 1 MiB) allocates (mmap) and
        # gives back 1 MiB on every call, 17 µs against 1.7 µs here for a 200-byte frame
        self._rbuf = bytearray(READ_SIZE)
        self._incoming: deque[bytes] = deque()
        self._outbuf = bytearray()
        self._frames: list[bytes] = []
        self._writer_on = False
        self._eof = False  # the far end closed its pipe to us (all it wrote is read)
        self._write_closed = False  # the far end closed its pipe from us (EPIPE)
        self._wake_set: tuple[str, ...] | None = None
        self._deliverer = deliverer if deliverer is not None else self
        self._outboxes_by_index = [self._deliverer.outboxes[n] for n in receives]
        for fd in (rfd, wfd):
            os.set_blocking(fd, False)
        widen_pipe(wfd)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(rfd, self._on_readable)

    def _cross_close(self) -> None:
        """Stop reading and writing (the fds stay open: their owner closes them)."""
        loop = getattr(self, "_loop", None)
        if loop is None or loop.is_closed():
            return
        loop.remove_reader(self._rfd)
        if self._writer_on:
            loop.remove_writer(self._wfd)
            self._writer_on = False

    # -- the event loop's side ---------------------------------------------------------------------

    def _on_readable(self) -> None:
        try:
            n = os.readv(self._rfd, (self._rbuf,))
        except BlockingIOError:
            return
        except OSError:
            n = 0
        if not n:
            self._loop.remove_reader(self._rfd)
            self._eof = True
            self._on_eof()
            self._kick()
            return
        self.bytes_in += n
        try:
            with memoryview(self._rbuf) as view:
                payloads = self._reader.feed(view[:n])  # (copied: the buffer is ours again)
        except DecodeError as exc:
            self._loop.remove_reader(self._rfd)
            self._eof = True
            self._on_corrupt(exc)
            self._kick()
            return
        incoming = self._incoming
        kick = deliver = False
        for p in payloads:
            self.frames_in += 1
            if p[0] == Kind.CREDIT:
                i = p[1]
                (n,) = _U32.unpack_from(p, 2)
                was = self._credit[i]
                self._credit[i] = was + n
                if was <= 0:
                    kick = True
            else:
                incoming.append(p)
                deliver = True
        if kick:
            self._kick()
        if deliver:
            self._kick(self._deliverer)

    def _on_writable(self) -> None:
        self._flush()
        if not self._outbuf:
            self._kick()

    def _kick(self, comp: Component | None = None) -> None:
        sched = self.scheduler
        if sched is not None:
            sched.wake(comp if comp is not None else self)

    def _on_eof(self) -> None:
        """The far end closed its pipe (subclasses decide what that means)."""

    def _on_broken(self) -> None:
        """The far end stopped reading (subclasses decide what that means)."""

    def _on_corrupt(self, exc: DecodeError) -> None:
        """A frame could not be read; the crossing is unusable (subclasses report it)."""

    def _on_frame(self, kind: int, payload: bytes) -> bool:
        """A frame other than DATA or CREDIT, in order; False stops delivery this step."""
        return True

    # -- the timeslice's side --------------------------------------------------------------------

    def _cross_step(self) -> bool:
        """Deliver what arrived, grant credit, send what waits (within credit), in one write.

        Returns True if it must run again next round without waiting for a wake-up
        (credit to grant for a delivery that may have waited for room, or frames left).
        """
        again = self._deliver_step()
        self._take_outgoing()
        self._write()
        return again

    def _deliver_step(self) -> bool:
        """In the deliverer's timeslice: deliver what arrived, in order, and queue the
        credit it earns.  True if it must run again next round (see :meth:`_cross_step`).
        """
        frames = self._frames
        owed = self._owed
        deferred = self._deferred
        for i, n in enumerate(deferred):  # delivered before the last yield: in place now
            if n:
                owed[i] += n
                deferred[i] = 0
        again = False
        incoming = self._incoming
        decode = self._codec.decode_batch
        while incoming:
            p = incoming[0]
            kind = p[0]
            if kind == Kind.DATA:
                i = p[1]
                try:
                    msgs = decode(memoryview(p)[2:])
                except DecodeError as exc:
                    raise DecodeError(f"{self.path}: a batch for {self._recv_names[i]!r} "
                                      f"could not be decoded: {exc}") from None
                incoming.popleft()
                self._received[i] += len(msgs)
                if i == self._recv_end and any(isinstance(m, EndSignal) for m in msgs):
                    self.end_received = True
                if self._deliver(self._outboxes_by_index[i], msgs):
                    owed[i] += len(msgs)
                else:
                    deferred[i] += len(msgs)
                    again = True
                    break  # later frames wait until this one is in place (order)
            else:
                incoming.popleft()
                if not self._on_frame(kind, p):
                    break
        if incoming:
            again = True
        grant_at = self._grant_at
        for i, n in enumerate(owed):
            if n >= grant_at:
                frames.append(frame(bytes((Kind.CREDIT, i)) + _U32.pack(n)))
                owed[i] = 0
        return again

    def _shutdown_first(self) -> None:
        """Delivery waits for room: a Shutdown behind it goes ahead (stop now).  For the
        sending end, while its deliverer waits."""
        e = self._recv_end
        if e < 0:
            return
        for p in list(self._incoming):
            if p[0] == Kind.DATA and p[1] == e:
                msgs = self._codec.decode_batch(memoryview(p)[2:])
                if any(isinstance(m, Shutdown) for m in msgs):
                    self._incoming.remove(p)
                    self._received[e] += len(msgs)
                    push = self._outboxes_by_index[e].push
                    for m in msgs:
                        push(m)
                    return

    def _deliver(self, ob: Outbox[Any], msgs: list[Any]) -> bool:
        """Deliver ``msgs`` on ``ob``; True if all are in place now (none had to wait)."""
        targets = ob.targets
        if len(targets) == 1 and targets[0].key is None:  # (a priority inbox sorts each)
            t = targets[0]
            if t.plain:  # (unbounded, not control, open: its deliver is the deque's append)
                t.queue.extend(msgs)  # one C-level call (what send_many does)
                return True
            if (t.size is not None and t.policy is Policy.BLOCK and not t.blocked
                    and len(t.queue) + len(msgs) <= t.size):
                t.queue.extend(msgs)
                return True
        push = ob.push
        for m in msgs:
            push(m)
        return not any(t.size is not None and t.policy is Policy.BLOCK for t in targets)

    def _take_outgoing(self) -> None:
        """Take what the send boxes hold, within credit; the end box only behind the data."""
        inboxes = self.inboxes
        credit = self._credit
        backlog = False
        end = self._end_index
        names = self._send_names
        for i, name in enumerate(names):
            if i == end:
                continue
            q = inboxes[name].queue
            taken = self._for_credit[i]  # taken from the box, waiting for credit
            while (taken or q) and credit[i] > 0:
                if not taken:
                    # everything at once (one call, one wake-up of blocked senders, who
                    # may refill the box at once: hence the loop and the look at q after)
                    taken.extend(self.recv_all(name))
                c = credit[i]
                if len(taken) <= c:
                    batch = list(taken)
                    taken.clear()
                else:
                    batch = [taken.popleft() for _ in range(c)]
                credit[i] = c - len(batch)
                self._encode(i, batch)
            if taken or q:
                backlog = True
        if end >= 0:
            q = inboxes[names[end]].queue
            if q and (not backlog or any(isinstance(m, Shutdown) for m in q)):
                batch = self.recv_all(names[end])
                if self.end_received:  # its readers gone after the far side ended: that
                    # side has no one left to tell
                    batch = [m for m in batch if not isinstance(m, ReaderGone)]
                for m in batch:
                    if isinstance(m, EndSignal):
                        self.forwarded_end = m
                if batch:
                    self._encode(end, batch)
        # sleep only on the boxes it can take from now (else a waiting message would keep
        # it runnable: busy waiting); credit arriving wakes it (_on_readable)
        waiting = self._for_credit
        wake = tuple(n for i, n in enumerate(names)
                     if (credit[i] > 0 and not waiting[i] and i != end)
                     or (i == end and not backlog))
        if wake != self._wake_set:
            self._wake_set = wake
            self.wake_on(*wake)

    def _encode(self, i: int, batch: list[Any]) -> None:
        try:
            body = self._codec.encode_batch(batch)
        except EncodeError as exc:
            raise self._encode_error(self._send_names[i], exc) from None
        self._frames.append(frame(bytes((Kind.DATA, i)) + body))
        self._sent[i] += len(batch)

    #: How this end's send boxes look to the user, and where they go (for errors).
    _send_side = ("box", "the other process")

    def _encode_error(self, box: str, exc: CodecError) -> EncodeError:
        """The error for a message of box ``box`` that cannot cross."""
        kind, where = self._send_side
        msg = getattr(exc, "message", None)
        return EncodeError(f"a message on {kind} {box!r} cannot cross to {where}: "
                           f"{type(msg).__name__} message: {exc}",
                           getattr(exc, "index", None), msg, getattr(exc, "reason", ""))

    def _send_frame(self, kind: int, body: bytes = b"") -> None:
        """Queue a frame of another kind for this round's write."""
        self._frames.append(frame(bytes((kind,)) + body))

    def _write(self) -> None:
        frames = self._frames
        if not frames:
            return
        self.frames_out += len(frames)
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        frames.clear()
        if self._write_closed:
            return
        if self._outbuf:
            self._outbuf += data
            return
        try:
            n = os.write(self._wfd, data)
            self.writes += 1
        except BlockingIOError:
            n = 0
        except OSError as exc:
            self._broken(exc)
            return
        self.bytes_out += n
        if n < len(data):
            self._outbuf += memoryview(data)[n:]
            if not self._writer_on:
                self._writer_on = True
                self._loop.add_writer(self._wfd, self._on_writable)

    def _flush(self) -> None:
        buf = self._outbuf
        while buf:
            try:
                n = os.write(self._wfd, buf)
                self.writes += 1
            except BlockingIOError:
                return
            except OSError as exc:
                self._broken(exc)
                return
            self.bytes_out += n
            del buf[:n]
        if self._writer_on:
            self._writer_on = False
            self._loop.remove_writer(self._wfd)

    def _broken(self, exc: OSError) -> None:
        """The far end no longer reads (EPIPE): nothing more can be written.  (What it
        wrote before may still wait to be read: that is for the read side to see.)"""
        if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.EBADF):
            raise exc
        self._outbuf.clear()
        if self._writer_on:
            self._writer_on = False
            self._loop.remove_writer(self._wfd)
        self._write_closed = True
        self._on_broken()

    def _flush_blocking(self, timeout: float) -> bool:
        """Write what is left, waiting up to ``timeout`` s (at the very end); True if done."""
        self._write()
        deadline = time.monotonic() + timeout
        while self._outbuf and not self._write_closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            select.select([], [self._wfd], [], left)
            self._flush()
        return not self._outbuf

    def _untake(self) -> None:
        """Put what was taken and never sent back at the front of its box (an end that
        has failed: a successor may be handed it)."""
        for name, taken in zip(self._send_names, self._for_credit):
            if taken:
                self.inboxes[name].put_front(taken)
                taken.clear()

    @property
    def waiting_out(self) -> bool:
        """True while bytes wait to be written."""
        return bool(self._outbuf) or bool(self._frames)

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Messages sent per send box, and received per receive box."""
        return (dict(zip(self._send_names, self._sent)),
                dict(zip(self._recv_names, self._received)))
