"""ChildProcess: a component (or a whole sub-system) that runs in a child process.

Design notes
------------
1. Same boxes, another core.  ``ChildProcess(factory)`` is a stand-in with the boxes of
   the component ``factory()`` makes; the factory is called in a child process, where the
   component runs on its own scheduler.  A Pipeline or Graphline links the stand-in like
   any other component, so where a component runs is chosen when composing.
2. The boxes cross a pair of pipes (axon/_processes/_crossing.py): batches, one write per round,
   read by the event loop; credits keep bounded boxes bounded across the boundary, and
   ``ProducerFinished`` / ``Shutdown`` keep their place behind the data sent before them.
3. Errors propagate as in one process.  An exception in the child is raised here as a
   :class:`ComponentError` naming the failing component's place (``Pipeline[1]:Parser``,
   or deeper inside it), whose ``error`` is the child's exception rebuilt here (or a
   :class:`RemoteError`) with the child's traceback as a note.  A child that dies
   (``kill -9``, a crash, ``os._exit``) is reported the same way with
   :class:`ProcessDied`; it is noticed by the end of its pipe and its process sentinel,
   never by a timeout, so it never hangs the parent.
4. Every ending leaves no process behind.  The child ignores SIGINT and ends when its
   pipe from the parent closes, so Ctrl-C, an error, a timeout or the parent's death
   stop it; the stand-in then waits ``stop_grace`` seconds for it to exit, kills it if it
   has not, and reaps it.  Start methods are ``forkserver`` (the default where it exists:
   a child costs a few ms) and ``spawn``; both are safe in a program that runs threads.
5. Messages are pickled by default (a child we started is trusted); ``codec=`` picks
   another codec of axon/_processes/_wire.py.  A message that cannot be encoded stops the system
   with an error naming the box and the message's type.
6. Adjacent process stages talk directly.  When every linked outbox of a stand-in leads
   to inboxes of one other stand-in, and to nothing else, and those inboxes have no other
   sender (two neighbours in a Pipeline), the two children are joined by pipes of their
   own (data one way, credit the other) when they start: messages go child to child, not
   child to parent to child (bench/processes.py: the parent's CPU a message and its
   wake-ups halve).  The receiving child grants credit in halves of the window, so its
   sender wakes once for several frames (granting for every frame made the joined
   children 7-12% slower than relaying through the parent, on two CPUs).  Order, the end of stream behind the
   data, and credit-bounded backpressure are those of any crossing; the parent still
   sees each child start, fail or end, so a death is reported as before (the stage after
   it waits for the parent to stop the system rather than take the pipe's end for an end
   of stream).  Decided as the stages start; not under a Supervisor (a restarted stage
   would need new pipes); ``direct=False`` keeps a stand-in's traffic in the parent.
"""

from __future__ import annotations

import asyncio
import enum
import contextlib
import importlib.machinery
import importlib.util
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from .._compose import Supervisor
from .._core import (
    AxonError, BoxSpec, Component, ComponentError, ComponentInfo, LinkInfo, Policy,
    Profiler, Scheduler, Snapshot, StandIn, State, component_id, snapshot, walk,
)
from ._crossing import CrossingEnd, Kind
from ._wire import Codec, CodecError, EncodeError, JSONCodec, MsgpackCodec, codec_for

__all__ = ["ChildProcess", "ProcessDied", "ProcessStatistics", "RemoteError", "child_id"]

Factory = Callable[[], Component]

#: Messages of each box that may be on their way across a boundary (see _crossing.py).
DEFAULT_WINDOW = 10_000
#: Seconds a child may take to exit once its pipe is closed, before it is killed.
DEFAULT_STOP_GRACE = 1.0
END_IN = "control"  # the inbox whose messages keep their place behind the data
END_OUT = "signal"  # the outbox likewise
PR_SET_PDEATHSIG = 1  # prctl(2): a signal for this process when its parent exits

# (multiprocessing and ctypes are imported when a process starts: `import axon` stays quick)
DEFAULT_START_METHOD = "spawn" if sys.platform == "win32" else "forkserver"
_preloaded = False  # the forkserver has been asked to preload axon (once per process)


class ProcessDied(AxonError):
    """A child process ended without finishing its component: killed, crashed or exited.

    ``pid`` and ``exitcode`` (negative: the signal that killed it) say how.
    """

    def __init__(self, text: str, pid: int | None, exitcode: int | None) -> None:
        super().__init__(text)
        self.pid = pid
        self.exitcode = exitcode


class RemoteError(AxonError):
    """An exception raised in a child process that could not be rebuilt in this one.

    ``type_name`` is its class (``module.Qualname``), ``child_traceback`` the traceback
    as the child printed it.
    """

    def __init__(self, text: str, type_name: str, child_traceback: str) -> None:
        super().__init__(text)
        self.type_name = type_name
        self.child_traceback = child_traceback


@dataclass(frozen=True, slots=True)
class ProcessStatistics:
    """What crossed one process boundary (see :meth:`ChildProcess.statistics`)."""

    path: str  # the stand-in's place in this process
    pid: int | None  # None before the child has started
    start_method: str
    state: str  # "not started", "running", "exited"
    exitcode: int | None
    sent: Mapping[str, int]  # messages sent to the child, per inbox
    received: Mapping[str, int]  # messages received from the child, per outbox
    writes: int  # os.write calls (one per round with something to send)
    frames_out: int
    frames_in: int
    bytes_out: int
    bytes_in: int
    cpu_seconds: float | None = None  # CPU the child used running (start-up not counted)
    frames_waiting: int = 0  # frames read from the child, not yet delivered (credit bounds it)
    #: boxes crossing straight to or from another process stage (not through this
    #: process): box name -> that stage's place; their counts in ``sent`` / ``received``
    #: are the child's (known once it has finished, or as of its latest snapshot)
    direct: Mapping[str, str] = field(default_factory=dict)
    #: seconds from starting the child to its component being made (None until then),
    #: and the CPU the child used for it (interpreter, imports, unpickling the factory)
    start_seconds: float | None = None
    start_cpu_seconds: float | None = None
    #: per outbox crossing straight to another stage: messages its component sent that
    #: the stage never read, its process gone (a finished reader): counted, not delivered
    dropped: Mapping[str, int] = field(default_factory=dict)

    @property
    def messages_out(self) -> int:
        return sum(self.sent.values())

    @property
    def messages_in(self) -> int:
        return sum(self.received.values())


Profile = dict[str, tuple[int, float, "int | None"]]  # component id: slices, seconds, sent


@dataclass(frozen=True, slots=True)
class _Report:
    """What the child tells the parent of itself: as it starts (a HELLO frame, again when
    asked) and as it finishes (DONE)."""

    pid: int
    snapshot: Snapshot  # paths as if the component ran on its own
    cpu: float  # the child's CPU time so far
    profile: Profile | None = None  # (DONE, when profiled)
    direct: dict[str, int] | None = None  # messages per box crossed straight to/from a stage
    dropped: dict[str, int] | None = None  # per box: sent after the next stage had gone


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failure in the child (an ERROR frame), or of the pipe from it (``local``)."""

    rest: str  # its place below the component (``[1]:Parser``), or ""
    type: str  # the exception's module.qualname
    text: str
    traceback: str
    pickled: bytes | None  # the exception, if it pickles and unpickles
    local: BaseException | None = None  # raised here, not in the child


class _Ending(enum.Enum):
    """Why the stand-in stopped reading its child's frames."""

    DONE = "done"  # the child finished (a DONE frame)
    ERROR = "error"  # the child failed (an ERROR frame), or its pipe was corrupt


@dataclass(slots=True)
class _ChildConfig:
    """What the child needs (pickled in the parent, unpickled in the child)."""

    factory: Factory
    codec: str | Codec
    window: int
    inboxes: tuple[str, ...]
    outboxes: tuple[str, ...]
    profile: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    #: straight to the next process stage: our outbox names (in the order of the far
    #: side's inbox names), the window, and the bound (size, policy) of the inbox each
    #: leads to; straight from earlier stages: inbox names and window
    direct_out: tuple[tuple[str, ...], int, tuple[tuple[int | None, Policy], ...]] | None = None
    direct_in: tuple[tuple[tuple[str, ...], int], ...] = ()


@dataclass(slots=True, eq=False)
class _DirectLink:
    """Pipes joining two adjacent process stages' children (see the module notes, 6),
    made by whichever stand-in starts first; each closes its child's ends here once the
    child has them (and every end left, as it stops)."""

    sender: "ChildProcess"
    receiver: "ChildProcess"
    pairs: tuple[tuple[str, str], ...]  # (sender's outbox, receiver's inbox)
    window: int
    data: tuple[Any, Any]  # (read, write) Connections
    credit: tuple[Any, Any]

    def close(self, conns: tuple[Any, ...]) -> None:
        for c in conns:
            c.close()

    def close_all(self) -> None:
        self.close((*self.data, *self.credit))


def _supervised(comp: Component) -> bool:
    node = comp.parent
    while node is not None:
        if isinstance(node, Supervisor):
            return True
        node = node.parent
    return False


def _direct_peer(a: "ChildProcess") -> tuple["ChildProcess", tuple[tuple[str, str], ...]] | None:
    """The one process stage that every linked outbox of ``a`` leads to, straight and
    alone, with the box pairs; None if there is no such stage."""
    if not a.direct:
        return None
    peer: ChildProcess | None = None
    pairs: list[tuple[str, str]] = []
    for name, ob in a.outboxes.items():
        if not ob.links_out:
            continue
        targets = ob.targets
        if len(ob.links_out) != 1 or len(targets) != 1:
            return None
        ib = targets[0]
        owner = ib.owner
        if (ob.links_out[0].sink is not ib or not isinstance(owner, ChildProcess)
                or owner is a or not owner.direct or len(ib.links_in) != 1
                or (peer is not None and owner is not peer)):
            return None
        peer = owner
        pairs.append((name, ib.name))
    if peer is None or _supervised(a) or _supervised(peer):
        return None
    return peer, tuple(pairs)


def _shared_link(a: "ChildProcess", b: "ChildProcess",
                 pairs: tuple[tuple[str, str], ...]) -> _DirectLink | None:
    """The pipes from ``a``'s child to ``b``'s, made now if neither has started (one that
    runs already was started without them)."""
    link = a._direct_out
    if link is None:
        if a._pid is not None or b._pid is not None:
            return None
        import multiprocessing

        link = a._direct_out = _DirectLink(a, b, pairs, b.window,
                                           multiprocessing.Pipe(duplex=False),
                                           multiprocessing.Pipe(duplex=False))
    return link if link.receiver is b and link.pairs == pairs else None


# -- the boxes of what a factory makes -----------------------------------------------------------

BoxDecl = tuple[str, str, int | None, Policy]  # name, description, size, policy


def _decl(name: str, value: str | BoxSpec) -> BoxDecl:
    if isinstance(value, BoxSpec):
        return (name, value.description, value.size, Policy(value.policy))
    return (name, str(value), None, Policy.BLOCK)


def _describe(factory: Factory, inboxes: Mapping[str, str | BoxSpec] | None,
              outboxes: Mapping[str, str | BoxSpec] | None
              ) -> tuple[list[BoxDecl], list[BoxDecl], str, Component | None]:
    """The boxes (and name) of what ``factory`` makes: as given, from a Component class's
    declarations, or from one instance made here and thrown away (a probe)."""
    probe: Component | None = None
    made: Any
    if isinstance(factory, type) and issubclass(factory, Component):
        ins = inboxes if inboxes is not None else factory.Inboxes
        outs = outboxes if outboxes is not None else factory.Outboxes
        name = factory.__name__
    elif inboxes is not None and outboxes is not None:
        ins, outs = inboxes, outboxes
        name = getattr(factory, "__name__", type(factory).__name__)
    else:
        made = factory()
        if not isinstance(made, Component):
            raise TypeError(f"ChildProcess: the factory returned {made!r}, not a Component")
        probe = made
        name = probe.name
        ins = inboxes if inboxes is not None else {
            n: BoxSpec(b.description, b.size, b.policy) for n, b in probe.inboxes.items()}
        outs = outboxes if outboxes is not None else {
            n: b.description for n, b in probe.outboxes.items()}
    return ([_decl(n, v) for n, v in ins.items()], [_decl(n, v) for n, v in outs.items()],
            name, probe)


def _codec_spec(codec: Codec) -> str | Codec:
    """How to name ``codec`` to the child (some codecs hold objects that do not pickle)."""
    if type(codec) in (MsgpackCodec, JSONCodec):
        return codec.name
    return codec


# -- the stand-in (parent side) ----------------------------------------------------------------


class ChildProcess(CrossingEnd, StandIn):
    """Runs ``factory()`` in a child process behind a stand-in with the same boxes.

    Args:
        factory: makes the component in the child (a Component class, a module-level
            function, or a ``functools.partial`` of one: it is pickled to reach the child).
        codec: how messages cross (default ``"pickle"``; see :func:`axon.codec_for`).
        start_method: ``"forkserver"`` (default where available) or ``"spawn"``.
        window: messages of each box that may be on their way across at once; an inbox
            declared without a bound is bounded to it (``block``) on both sides.
        inboxes / outboxes: the boxes, if the factory is not a Component class and
            should not be called here once to learn them.
        stop_grace: seconds the child may take to exit when stopped, before it is killed.
        direct: join this child straight to an adjacent process stage's (module notes, 6)
            where the links allow; False: everything crosses through this process.

    The stand-in takes the component's name, so errors and drawings name the same place
    as if it ran in this process.  :meth:`statistics` reports what crossed.
    """

    Inboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}
    Outboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}
    _send_side = ("inbox", "the child process")

    def __init__(self, factory: Factory, *, name: str | None = None,
                 codec: str | Codec | None = "pickle", start_method: str | None = None,
                 window: int = DEFAULT_WINDOW,
                 inboxes: Mapping[str, str | BoxSpec] | None = None,
                 outboxes: Mapping[str, str | BoxSpec] | None = None,
                 stop_grace: float = DEFAULT_STOP_GRACE, direct: bool = True) -> None:
        if not callable(factory) or isinstance(factory, Component):
            raise TypeError(f"ChildProcess takes a factory (a Component class or a function "
                            f"returning a Component), not {factory!r}")
        ins, outs, default_name, probe = _describe(factory, inboxes, outboxes)
        super().__init__(name=name or default_name)
        if window < 1:
            raise ValueError(f"{self.name}: window must be at least 1, not {window}")
        method = start_method or DEFAULT_START_METHOD
        if method not in ("spawn", "forkserver"):
            raise ValueError(f"{self.name}: start_method must be 'spawn' or 'forkserver' "
                             f"(fork is not safe with threads), not {method!r}")
        self.factory = factory
        self.codec = codec_for(codec, default="pickle")
        self.start_method = method
        self.window = window
        self.stop_grace = stop_grace
        self.direct = direct
        self._direct_out: _DirectLink | None = None  # to the next stage's child
        self._direct_in: list[_DirectLink] = []  # from earlier stages' children
        self._direct_counts: dict[str, int] = {}  # (from the child's latest report)
        self._dropped: dict[str, int] = {}  # likewise
        self._probe = probe
        self._factory_bytes = _pickled_factory(self.name, factory)
        for n, desc, size, policy in ins:
            if n == END_IN:
                self.add_inbox(n, desc)
            elif size is None:
                self.add_inbox(n, desc, window, Policy.BLOCK)
            else:
                self.add_inbox(n, desc, size, policy)
        for n, desc, _, _ in outs:
            self.add_outbox(n, desc)
        self.profile_child = False  # set by a Profiler: the child profiles its components
        self._proc: Any = None
        self._conns: list[Any] = []
        self._pid: int | None = None
        self._exitcode: int | None = None
        self._exited = False
        self._exit_future: asyncio.Future[None] | None = None
        self._ending: _Ending | None = None  # once that frame is reached
        self._error_record: _Failure | None = None
        self._hello: _Report | None = None
        self._ready_waiters: list[asyncio.Future[bool]] = []  # see wait_ready()
        self._cpu_ready = 0.0  # the child's CPU time when it had made its component
        self._t_start = 0.0  # (time.monotonic) as the child was started
        self._t_ready: float | None = None  # and as it said it had made its component
        self._final: _Report | None = None
        self._stopping = False

    # -- what it reports ------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The child's process id (None before it starts)."""
        return self._pid

    @property
    def ready(self) -> bool:
        """True once the child has made the component and said so (it is running)."""
        return self._hello is not None

    def wait_ready(self) -> asyncio.Future[bool]:
        """A future done once the child has made its component (True), or once the
        stand-in has ended without that (False): yield it to wait without polling."""
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self._hello is not None or self.done:
            fut.set_result(self._hello is not None)
        else:
            self._ready_waiters.append(fut)
        return fut

    def _resolve_ready(self, ready: bool) -> None:
        waiters, self._ready_waiters = self._ready_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(ready)

    @property
    def exitcode(self) -> int | None:
        """The child's exit status once reaped (negative: killed by that signal)."""
        return self._exitcode

    def statistics(self) -> ProcessStatistics:
        """Messages, frames, writes and bytes across this boundary so far."""
        sent, received = self.counts() if self.opened else (
            dict.fromkeys(self.inboxes, 0), dict.fromkeys(self.outboxes, 0))
        state = ("not started" if self._pid is None
                 else "exited" if self._exited or self._exitcode is not None else "running")
        direct: dict[str, str] = {}
        dropped = dict(self._dropped)
        link = self._direct_out
        if link is not None:
            far = link.receiver
            for ours, theirs in link.pairs:
                direct[ours] = far.path
                out = self._direct_counts.get(ours, 0)
                received[ours] = received.get(ours, 0) + out
                if self._final is not None and far._final is not None:
                    # both have finished: what left here and was never read there was in
                    # the pipe as that stage's process ended (its reader had gone)
                    lost = out - far._direct_counts.get(theirs, 0)
                    if lost > 0:
                        dropped[ours] = dropped.get(ours, 0) + lost
        for link in self._direct_in:
            for _, ours in link.pairs:
                direct[ours] = link.sender.path
                sent[ours] = sent.get(ours, 0) + self._direct_counts.get(ours, 0)
        return ProcessStatistics(
            self.path, self._pid, self.start_method, state, self._exitcode, sent, received,
            self.writes, self.frames_out, self.frames_in, self.bytes_out, self.bytes_in,
            self._cpu_running(), len(self._incoming) if self.opened else 0, direct,
            None if self._t_ready is None else self._t_ready - self._t_start,
            self._cpu_ready if self._hello is not None else None, dropped)

    def _cpu_running(self) -> float | None:
        """The child's CPU time from when it had made its component until it finished."""
        if self._final is None:
            return None
        return self._final.cpu - self._cpu_ready

    def child_snapshot(self) -> Snapshot | None:
        """The latest snapshot of what runs in the child (an :class:`axon.Snapshot`):
        made when it started (or as asked by :meth:`ask_snapshot`), with final counts
        once it has finished; before it starts, a snapshot of a component made here."""
        final = self._final.snapshot if self._final is not None else None
        hello = self._hello.snapshot if self._hello is not None else None
        if final is not None and hello is not None:
            return _with_links(final, hello)
        if final is not None or hello is not None:
            return final or hello
        if self._pid is None:
            if self._probe is None:
                try:
                    self._probe = self.factory()
                except Exception:  # noqa: BLE001 - a drawing must not fail on a factory
                    return None
            return snapshot(self._probe)
        return None

    def snapshot_elsewhere(self, info: ComponentInfo, live_only: bool
                           ) -> tuple[ComponentInfo, list[ComponentInfo], list[LinkInfo]]:
        """This stand-in's info with its boundary, the components of its child process
        (ids, paths and depths moved under it), and the links inside and across."""
        stats = self.statistics()
        child = self.child_snapshot()
        if child is None or not child.components:
            return replace(info, process=stats), [], []
        pid = stats.pid
        prefix = child_id(self, "")
        root = child.components[0]
        cut = len(root.path)

        def moved(cid: str | None) -> str | None:
            return None if cid is None else prefix + cid

        inside = []
        for c in child.components:
            if live_only and c.state in ("finished", "failed") and stats.state == "running":
                continue
            inside.append(replace(
                c, id=prefix + c.id, path=info.path + c.path[cut:],
                label=c.label if c is not root else None,
                parent=info.id if c is root else moved(c.parent), depth=c.depth + info.depth + 1,
                children=tuple(prefix + k for k in c.children),
                inboxes=tuple(replace(b, id=prefix + b.id) for b in c.inboxes),
                outboxes=tuple(replace(b, id=prefix + b.id) for b in c.outboxes),
                pid=c.pid if c.pid is not None else pid))  # (a grandchild keeps its own)
        links = [replace(lk, source=prefix + lk.source, sink=prefix + lk.sink,
                         owner=moved(lk.owner)) for lk in child.links]
        for name, n in stats.sent.items():  # the boundary: the stand-in's boxes to the root's
            links.append(LinkInfo(f"{info.id}.{name}", f"{prefix}{root.id}.{name}", "process",
                                  info.id, n))
        for name, n in stats.received.items():
            links.append(LinkInfo(f"{prefix}{root.id}.{name}", f"{info.id}.{name}", "process",
                                  info.id, n))
        here = replace(info, process=stats, children=(prefix + root.id,), sent=None)
        return here, inside, links

    def profile_elsewhere(self) -> None:
        """A Profiler was added: the child profiles its components (:meth:`child_profile`)."""
        self.profile_child = True

    def child_profile(self) -> dict[str, tuple[int, float, int | None]]:
        """Per child component id: (timeslices, seconds, sent), if the child profiled."""
        return dict(self._final.profile or {}) if self._final is not None else {}

    def ask_snapshot(self) -> None:
        """Ask the running child for a fresh snapshot (it arrives in a few ms)."""
        if self._pid is not None and self.opened and not self._write_closed:
            self._send_frame(Kind.ASK)
            self._write()

    # -- the work ------------------------------------------------------------------------------

    def main(self) -> Generator[Any, Any, None]:
        failure: BaseException | None = None
        try:
            self._start()
            with self.keep_alive():  # the pipes and the sentinel wake us
                while True:
                    again = self._cross_step()
                    if self._ending is not None:
                        break
                    if self._exited and not self._eof:
                        self._read_what_is_left()
                        continue
                    if self._eof and not self._incoming:
                        break
                    if not again:
                        self.pause()
                    yield
                if not self._exited:  # it is ending: wait for it to exit (bounded)
                    assert self._exit_future is not None
                    yield asyncio.wait([self._exit_future], timeout=self.stop_grace)
                failure = self._failure()
        finally:
            if self.opened:
                self._untake()  # (stopped or failed: what was never sent goes back)
            self._stop_child()
        if failure is not None:
            if self.opened:  # a replacement (Supervisor) inherits the end it had
                self.end_message = self.forwarded_end
            self._release_senders()
            raise failure

    def _release_senders(self) -> None:
        """Failing: our inboxes take everything from now on (unbounded), and senders waiting
        for room in them put their messages in now, so that a replacement (Supervisor) is
        handed all of it and no sender waits for ever on a finished component."""
        sched = self.scheduler
        for ib in self.inboxes.values():
            if ib.size is not None:
                ib.set_bound(None)
            if ib.blocked and sched is not None:
                sched.unblock(ib)

    def _start(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            _preload(ctx)
        to_child_r, to_child_w = ctx.Pipe(duplex=False)
        from_child_r, from_child_w = ctx.Pipe(duplex=False)
        self._conns = [to_child_w, from_child_r]
        config = _ChildConfig(None, _codec_spec(self.codec), self.window,  # type: ignore[arg-type]
                              tuple(self.inboxes), tuple(self.outboxes), self.profile_child)
        out_conns, in_conns = self._join_neighbours(config)
        self._t_start = time.monotonic()
        proc = ctx.Process(  # type: ignore[attr-defined]
            target=_child_main, name=f"axon:{self.path}",
            args=(to_child_r, from_child_w, _scripts(), self._factory_bytes,
                  pickle.dumps(config), out_conns, in_conns))
        try:
            proc.start()
        finally:
            to_child_r.close()
            from_child_w.close()
            for conns in (out_conns, *in_conns):  # (the child has its own copies)
                if conns is not None:
                    for c in conns:
                        c.close()
        self._proc = proc
        self._pid = proc.pid
        loop = asyncio.get_running_loop()
        self._exit_future = loop.create_future()
        loop.add_reader(proc.sentinel, self._on_exit)
        self._cross_open(from_child_r.fileno(), to_child_w.fileno(), self.codec, self.window,
                         tuple(self.inboxes), tuple(self.outboxes), END_IN, END_OUT)

    def _join_neighbours(self, config: _ChildConfig
                         ) -> tuple[tuple[Any, Any] | None, list[tuple[Any, Any]]]:
        """Pipes straight to the next process stage and from earlier ones (module notes,
        6), entered in ``config``: the ends for the child, (data write, credit read) and
        [(data read, credit write), ...]."""
        out_conns = None
        found = _direct_peer(self)
        link = _shared_link(self, *found) if found is not None else None
        if link is not None:
            far = link.receiver.inboxes
            config.direct_out = (tuple(ours for ours, _ in link.pairs), link.window,
                                 tuple((far[theirs].size, Policy(far[theirs].policy))
                                       for _, theirs in link.pairs))
            out_conns = (link.data[1], link.credit[0])
        self._direct_out = link
        in_conns: list[tuple[Any, Any]] = []
        ins: list[_DirectLink] = []
        for ib in self.inboxes.values():
            for lk in ib.links_in:
                src = lk.source.owner
                if not isinstance(src, ChildProcess) or src is self:
                    continue
                found = _direct_peer(src)
                if found is None or found[0] is not self:
                    continue
                link = _shared_link(src, self, found[1])
                if link is not None and link not in ins:
                    ins.append(link)
        for link in ins:
            in_conns.append((link.data[0], link.credit[1]))
        self._direct_in = ins
        config.direct_in = tuple((tuple(theirs for _, theirs in link.pairs), link.window)
                                 for link in ins)
        return out_conns, in_conns

    def _on_exit(self) -> None:
        """The loop saw the process end (its sentinel became readable)."""
        self._loop.remove_reader(self._proc.sentinel)
        self._exited = True
        fut = self._exit_future
        if fut is not None and not fut.done():
            fut.set_result(None)
        self._kick()

    def _read_what_is_left(self) -> None:
        """The child exited but its pipe is not at its end (something else holds it open):
        read what it wrote, then treat the pipe as closed."""
        while not self._eof:
            before = self.bytes_in
            self._on_readable()
            if self.bytes_in == before and not self._eof:
                self._loop.remove_reader(self._rfd)
                self._eof = True

    def _on_eof(self) -> None:
        self._kick()

    def _on_corrupt(self, exc: Exception) -> None:
        self._error_record = _Failure("", type(exc).__name__, str(exc), "", None, local=exc)
        self._ending = _Ending.ERROR

    def _on_frame(self, kind: int, payload: bytes) -> bool:
        body = memoryview(payload)[1:]
        if kind == Kind.HELLO:
            hello: _Report = pickle.loads(body)
            if self._hello is None:
                self._cpu_ready = hello.cpu
                self._t_ready = time.monotonic()
            self._hello = hello
            if hello.direct:
                self._direct_counts = hello.direct
            self._dropped = dict(hello.dropped or {})
            self._resolve_ready(True)
            return True
        if kind == Kind.DONE:
            self._final = pickle.loads(body)
            if self._final is not None and self._final.direct:
                self._direct_counts = self._final.direct
            if self._final is not None:
                self._dropped = dict(self._final.dropped or {})
            self._ending = _Ending.DONE
            return False
        if kind == Kind.ERROR:
            self._error_record = pickle.loads(body)
            self._ending = _Ending.ERROR
            return False
        raise AxonError(f"{self.path}: unknown frame kind {kind} from the child process")

    def _failure(self) -> BaseException | None:
        """What to raise once the child has ended (None: it finished)."""
        if self._ending is _Ending.DONE:
            return None
        rec = self._error_record
        if rec is not None:
            if rec.local is not None:  # (not from the child: its pipe was corrupt)
                return rec.local
            place = self.path + rec.rest
            exc = _rebuild(rec, self._pid, place)
            err = ComponentError(place, exc, self)
            err.__cause__ = exc
            return err
        self._reap(self.stop_grace)
        code = self._exitcode
        how = ("did not exit" if code is None
               else f"was killed by {_signal_name(-code)}" if code < 0
               else f"exited with status {code}")
        sent, _ = self.counts()
        if self._hello is None:  # (multiprocessing prints why on the child's stderr)
            return ProcessDied(
                f"the child process {self._pid} for {self.name} {how} while starting, before "
                "it could make the component (see its stderr; as with multiprocessing, the "
                "main module must be importable: a script file, with its system started "
                "under `if __name__ == '__main__':`)", self._pid, code)
        return ProcessDied(
            f"the child process {self._pid} running {self.name} {how} before it finished "
            f"({sum(sent.values())} messages had been sent to it)", self._pid, code)

    # -- stopping ------------------------------------------------------------------------------

    def begin_stop(self) -> None:
        """Close the pipes, so the child stops (a pool closes all its workers' at once)."""
        if self._stopping:
            return
        self._stopping = True
        if self.opened:
            self._cross_close()
        for c in self._conns:
            c.close()
        self._conns = []

    def _stop_child(self) -> None:
        self._resolve_ready(self._hello is not None)  # (ending: no one waits for ever)
        self.begin_stop()
        for link in (self._direct_out, *self._direct_in):
            if link is not None:  # (a neighbour that never started leaves its ends here)
                link.close_all()
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(Exception):
            self._loop.remove_reader(proc.sentinel)
        self._reap(self.stop_grace)
        if self._exitcode is None:
            proc.kill()
            self._reap(None)
        with contextlib.suppress(ValueError):
            proc.close()
        self._proc = None

    def _reap(self, timeout: float | None) -> None:
        proc = self._proc
        if proc is None or self._exitcode is not None:
            return
        proc.join(timeout)
        self._exitcode = proc.exitcode
        if self._exitcode is not None:
            self._exited = True


def _pickled_factory(name: str, factory: Factory) -> bytes:
    try:
        return pickle.dumps(factory)
    except Exception as exc:
        raise TypeError(
            f"{name}: the factory {factory!r} cannot be sent to a child process "
            f"({type(exc).__name__}: {exc}); use a Component class, a module-level "
            "function, or functools.partial of one (not a lambda or a local function)"
        ) from exc


def _preload(ctx: Any) -> None:
    global _preloaded  # noqa: PLW0603 - once per process: the forkserver's preloads
    if not _preloaded:
        _preloaded = True
        with contextlib.suppress(Exception):
            ctx.set_forkserver_preload(["axon"])


def _scripts() -> dict[str, str]:
    """Modules the child must load before the factory: a script ``axon run`` loaded."""
    mod = sys.modules.get("__axon__")
    path = getattr(mod, "__file__", None)
    return {"__axon__": path} if path else {}


def _signal_name(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


def _rebuild(rec: _Failure, pid: int | None, place: str) -> BaseException:
    """The child's exception, rebuilt here if it can be, with its traceback as a note."""
    found: object = None
    if rec.pickled:
        try:
            found = pickle.loads(rec.pickled)
        except Exception:  # noqa: BLE001 - fall back to a RemoteError
            found = None
    tb = rec.traceback
    exc: BaseException
    if isinstance(found, BaseException):
        exc = found
        with contextlib.suppress(AttributeError, TypeError):
            exc.child_traceback = tb  # type: ignore[attr-defined]
    else:
        exc = RemoteError(f"{rec.type}: {rec.text}", rec.type, tb)
    if tb:
        with contextlib.suppress(AttributeError, TypeError):
            exc.add_note(f"Raised in child process {pid} at {place}:\n{tb.rstrip()}")
    return exc


def child_id(stand_in: ChildProcess, cid: str) -> str:
    """The id in this process's snapshots of component ``cid`` of ``stand_in``'s child."""
    pid = stand_in.pid
    return f"p{pid}_{cid}" if pid is not None else f"{component_id(stand_in)}_{cid}"


def _with_links(final: Snapshot, hello: Snapshot) -> Snapshot:
    """The final snapshot (counts) with the links of the first (finished components have
    dropped theirs), counted again where they lead straight to a component's inbox."""
    if final.links:
        return final
    leaf_inboxes = {b.id: b for c in final.components if not c.children for b in c.inboxes}
    links = []
    for lk in hello.links:
        box = leaf_inboxes.get(lk.sink)
        count = box.arrived if box is not None and lk.count is not None else None
        links.append(replace(lk, count=count))
    return replace(final, links=tuple(links))


# -- the child's side ----------------------------------------------------------------------------


def _child_main(rconn: Any, wconn: Any, scripts: dict[str, str], factory_bytes: bytes,
                config_bytes: bytes, out_conns: tuple[Any, Any] | None = None,
                in_conns: list[tuple[Any, Any]] | None = None) -> None:
    """The child process: build the component, cross its boxes, run until it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _stop_with_parent()
    wfd = wconn.fileno()
    try:
        for name, path in scripts.items():
            _load_script(name, path)
        config: _ChildConfig = pickle.loads(config_bytes)
        config.factory = pickle.loads(factory_bytes)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        _report_now(wfd, _error_record("", exc, "while unpickling the factory"))
        return
    direct_out = None if out_conns is None else (out_conns[0].fileno(), out_conns[1].fileno())
    direct_in = [(r.fileno(), w.fileno()) for r, w in in_conns or ()]
    asyncio.run(_child_run(rconn.fileno(), wfd, config, direct_out, direct_in))
    rconn.close()
    wconn.close()


class _Terminated(SystemExit):
    """SIGTERM in a child process (its parent is gone, or someone asked): stop."""


def _terminate(signum: int, frame: Any) -> None:
    raise _Terminated(f"child process {os.getpid()} got signal {signal.Signals(signum).name}")


def _stop_with_parent() -> None:
    """Have the kernel send SIGTERM when the parent goes (Linux), which stops even a child
    whose event loop is busy and would not see its pipe close: no orphan outlives it.
    (With the forkserver the parent is the fork server, which exits with our parent.)"""
    signal.signal(signal.SIGTERM, _terminate)
    # A forkserver child inherits a descriptor that keeps the fork server alive as long as
    # the child lives (so the server would outlive our parent, and the child would never
    # get its signal).  This Python does not use it in the child (a child that starts
    # processes of its own starts a server of its own), so it is closed here.
    import ctypes
    import multiprocessing.forkserver

    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the pipe closing still stops it
        return
    if os.getppid() == 1:  # the parent went before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def _load_script(name: str, path: str) -> None:
    """Load the script the parent loaded as ``name`` (``axon run``), so that what it
    defines can be unpickled here."""
    if name in sys.modules:
        return
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        loader.exec_module(module)
    finally:
        sys.path.pop(0)


async def _child_run(rfd: int, wfd: int, config: _ChildConfig,
                     direct_out: tuple[int, int] | None = None,
                     direct_in: list[tuple[int, int]] | None = None) -> None:
    try:
        comp = config.factory()
        if not isinstance(comp, Component):
            raise TypeError(f"the factory returned {comp!r}, not a Component")
        _check_boxes(comp, config)
        end = _ChildEnd(comp, rfd, wfd, config, direct_out, direct_in or [])
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        _report_now(wfd, _error_record("", exc, "while making the component"))
        return
    sched = Scheduler()
    if config.profile:
        end.profiler = Profiler()
        sched.add_instrument(end.profiler)
    sched.activate(end)
    task = asyncio.ensure_future(sched.run_async())
    end.run_task = task
    try:
        await task
    except asyncio.CancelledError:
        pass  # the parent went away (or closed the pipe): stop quietly
    except BaseException as failure:  # noqa: BLE001 - a failure outside the component
        error = failure.error if isinstance(failure, ComponentError) else failure
        rec = _error_record("", error, "")
        end._send_frame(Kind.ERROR, pickle.dumps(rec))
        end._flush_blocking(1.0)


def _check_boxes(comp: Component, config: _ChildConfig) -> None:
    missing = [n for n in config.inboxes if n not in comp.inboxes]
    missing += [n for n in config.outboxes if n not in comp.outboxes]
    if missing:
        raise AxonError(
            f"{comp.name} has no box(es) {', '.join(map(repr, missing))} that its stand-in "
            f"has (inboxes: {', '.join(comp.inboxes)}; outboxes: {', '.join(comp.outboxes)}); "
            "give ChildProcess its boxes with inboxes=/outboxes=")


def _error_record(rest: str, exc: BaseException, when: str) -> _Failure:
    tb = "".join(traceback.format_exception(exc))
    pickled: bytes | None = None
    tries = [exc]
    if isinstance(exc, EncodeError):  # (it holds the message that would not pickle)
        tries.append(EncodeError(str(exc), exc.index, None, exc.reason))
    for candidate in tries:
        try:
            pickled = pickle.dumps(candidate)
            pickle.loads(pickled)  # an exception that cannot be rebuilt is sent as text
            break
        except Exception:  # noqa: BLE001
            pickled = None
    text = str(exc) + (f" ({when})" if when else "")
    return _Failure(rest, f"{type(exc).__module__}.{type(exc).__qualname__}", text, tb, pickled)


def _report_now(wfd: int, rec: _Failure) -> None:
    """Write one ERROR frame, blocking (before any loop runs)."""
    from ._wire import frame

    data = frame(bytes((Kind.ERROR,)) + pickle.dumps(rec))
    with contextlib.suppress(OSError):
        os.set_blocking(wfd, True)
        os.write(wfd, data)


class _ChildEnd(CrossingEnd):
    """In the child: the parent of the component, whose outboxes it sends to the parent
    process; what arrives for the component's inboxes is delivered by a second child, a
    :class:`_Feeder`, so that waiting for room in a slow component's inbox never stops the
    component's output from leaving (which would leave the component waiting on it)."""

    Inboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}
    Outboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}
    _send_side = ("outbox", "the parent process")

    def __init__(self, comp: Component, rfd: int, wfd: int, config: _ChildConfig,
                 direct_out: tuple[int, int] | None = None,
                 direct_in: list[tuple[int, int]] | None = None) -> None:
        super().__init__(name="ChildEnd")
        self.comp = comp
        self.config = config
        self._fds = (rfd, wfd)
        self.run_task: asyncio.Future[Any] | None = None
        self.profiler: Any = None
        self._failed: tuple[str, BaseException] | None = None
        self._asked = False
        w = config.window
        for n in config.outboxes:  # what the component sends comes in here
            if n == END_OUT:
                self.add_inbox(n, f"the component's {n}")
            else:
                self.add_inbox(n, f"the component's {n}", w, Policy.BLOCK)
        self.feeder = feeder = _Feeder(self, config.inboxes)
        self.add_child(comp, 0)
        self.add_child(feeder, "feeder")
        feeders: list[_Feeder] = [feeder]
        for n in config.inboxes:
            self.link((feeder, n), (comp, n))
        # straight to the next process stage, and from earlier ones (module notes, 6)
        self.direct_out: _DirectOut | None = None
        codec = codec_for(config.codec)
        straight: tuple[str, ...] = ()
        if direct_out is not None and config.direct_out is not None:
            straight, dw, bounds = config.direct_out
            self.direct_out = _DirectOut(comp, straight, dw, bounds, codec, direct_out)
            self.add_child(self.direct_out, "direct_out")
        for n in config.outboxes:
            to: Component = self.direct_out if self.direct_out and n in straight else self
            self.link((comp, n), (to, n))
        self.direct_in: list[_DirectIn] = []
        for k, (fds, (names, dw)) in enumerate(zip(direct_in or (), config.direct_in)):
            d = _DirectIn(names, dw, codec, fds)
            self.direct_in.append(d)
            self.add_child(d, f"direct_in{k}")
            self.add_child(d.feeder, f"direct_feeder{k}")
            feeders.append(d.feeder)
            for n in names:
                self.link((d.feeder, n), (comp, n))
        for f in feeders:
            for n in f.outboxes:  # credit is granted as messages are delivered: a bound
                if n == END_IN:   # on the inboxes they reach keeps memory bounded here
                    continue
                for t in f.outboxes[n].targets:
                    if t.size is None:
                        t.set_bound(w, Policy.BLOCK)
                    elif t.policy is Policy.ERROR:  # (enforced at the parent's side)
                        t.set_bound(t.size, Policy.BLOCK)

    def child_finished(self, child: Component) -> None:
        """The component finished: what sends its outboxes on must see it (a last look)."""
        if child is self.comp and self.direct_out is not None:
            self.direct_out._kick()

    def child_failed(self, child: Component, exc: BaseException) -> bool:
        """Scheduler hook: a component in here failed; report it and stop."""
        if self._failed is None:
            root = getattr(self.comp, "path_root", self.comp)  # (a pool's numbering wrapper)
            path = child.path
            rest = path[len(root.path):] if path.startswith(root.path) else ""
            self._failed = (rest, exc)
            self._kick()
        return True

    def main(self) -> Generator[Any, Any, None]:
        config = self.config
        codec = codec_for(config.codec)
        rfd, wfd = self._fds
        self._cross_open(rfd, wfd, codec, config.window, config.outboxes, config.inboxes,
                         END_OUT, END_IN, self.feeder)
        self._send_frame(Kind.HELLO, pickle.dumps(self._describe()))
        comp, feeder = self.comp, self.feeder
        try:
            with self.keep_alive():  # the parent's pipe wakes us
                while self._failed is None:
                    if self._incoming and feeder.state is State.BLOCKED:
                        self._shutdown_first()
                    try:
                        self._take_outgoing()
                    except CodecError as bad:
                        self._failed = ("", bad)
                        break
                    if self._asked:
                        self._asked = False
                        self._send_frame(Kind.HELLO, pickle.dumps(self._describe()))
                    self._write()
                    if comp.done and not any(self.inboxes[n].queue for n in self._send_names) \
                            and not any(self._for_credit) \
                            and (self.direct_out is None or self.direct_out.done):
                        break
                    self.pause()
                    yield
            sched = self.scheduler
            if sched is not None:
                # (what they still hold was for a finished component)
                for other in (feeder, *self.direct_in, *(d.feeder for d in self.direct_in)):
                    if not other.done:
                        sched.stop(other)
            if self._failed is not None:
                rest, error = self._failed
                if sched is not None and not comp.done:
                    sched.stop(comp)
                if sched is not None and self.direct_out is not None and \
                        not self.direct_out.done:
                    sched.stop(self.direct_out)
                self._untake()
                for i, n in enumerate(self._send_names):  # what it sent before failing
                    batch = self.recv_all(n)
                    if batch:
                        with contextlib.suppress(CodecError):
                            self._encode(i, batch)
                self._send_frame(Kind.ERROR, pickle.dumps(_error_record(rest, error, "")))
            else:
                self._send_frame(Kind.DONE, pickle.dumps(self._report()))
            self._flush_blocking(5.0)
        finally:
            self._cross_close()

    def _on_eof(self) -> None:
        """The parent closed its pipe (or died): stop quietly."""
        task = self.run_task
        if task is not None and not task.done():
            task.cancel()

    _on_broken = _on_eof

    def _on_frame(self, kind: int, payload: bytes) -> bool:
        if kind == Kind.ASK:
            self._asked = True
            self._kick()
        return True

    def _snapshot(self) -> Any:
        """A snapshot of the component, with paths as if it ran on its own."""
        snap = snapshot(self.comp)
        root = snap.components[0]
        cut = len(root.path) - len(root.name)
        comps = tuple(replace(c, path=c.path[cut:], depth=c.depth - root.depth,
                              parent=None if c is root else c.parent,
                              label=None if c is root else c.label)
                      for c in snap.components)
        return replace(snap, components=comps)

    def _describe(self) -> _Report:
        return _Report(os.getpid(), self._snapshot(), time.process_time(),
                       direct=self._direct_counts(), dropped=self._dropped())

    def _dropped(self) -> dict[str, int] | None:
        d = self.direct_out
        return dict(d.dropped) if d is not None and d.dropped else None

    def _direct_counts(self) -> dict[str, int] | None:
        """Messages per box that crossed straight to or from another process stage."""
        counts: dict[str, int] = {}
        d = self.direct_out
        if d is not None and d.opened:
            counts.update(d.counts()[0])
        for d_in in self.direct_in:
            if d_in.opened:
                counts.update(d_in.counts()[1])
        return counts or None

    def _report(self) -> _Report:
        profile = None
        p = self.profiler
        if p is not None:
            profile = {component_id(c): (p.timeslices.get(c, 0), p.seconds.get(c, 0.0),
                                         p.sent.get(c))
                       for c in walk([self.comp], live_only=False)}
        return _Report(os.getpid(), self._snapshot(), time.process_time(), profile,
                       self._direct_counts(), self._dropped())


class _Feeder(Component):
    """In the child: delivers what arrives from the parent (or straight from an earlier
    process stage) into the component's inboxes (waiting for room when they are full)
    and earns the credit that sends more."""

    Inboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}
    Outboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}

    def __init__(self, end: CrossingEnd, names: tuple[str, ...]) -> None:
        super().__init__(name="Feeder")
        self.end = end
        for n in names:
            self.add_outbox(n, f"to the component's {n}")

    def main(self) -> Generator[Any, Any, None]:
        end = self.end
        while True:
            again = end._deliver_step()
            end._write()
            if not again:
                self.pause()
            yield


class _DirectOut(CrossingEnd):
    """In a child: sends the component's outboxes that lead straight to the next process
    stage over pipes of their own (data out, credit in; module notes, 6)."""

    Inboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}
    Outboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}
    _send_side = ("outbox", "the next process stage")

    def __init__(self, comp: Component, names: tuple[str, ...], window: int,
                 bounds: tuple[tuple[int | None, Policy], ...], codec: Codec,
                 fds: tuple[int, int]) -> None:
        super().__init__(name="DirectOut")
        self.comp = comp
        self._names = names
        self._direct_window = window
        self._direct_codec = codec
        self._direct_fds = fds
        self.dropped: dict[str, int] = {}  # per box: sent after the next stage had gone
        for n, (size, policy) in zip(names, bounds):
            # bounded as the next stage's stand-in's inbox is (what the component sends
            # would wait there on the way through the parent)
            self.add_inbox(n, f"the component's {n}", size, policy)

    def main(self) -> Generator[Any, Any, None]:
        wfd, rfd = self._direct_fds  # data out, credit in
        names = self._names
        self._cross_open(rfd, wfd, self._direct_codec, self._direct_window, names, (),
                         END_OUT if END_OUT in names else None, None)
        comp = self.comp
        try:
            with self.keep_alive():  # credit arriving wakes us
                while True:
                    if self._eof or self._write_closed:
                        # the next stage's process has gone (its parent is stopping the
                        # system, or it finished): what is sent to it now is dropped,
                        # counted, as a finished component's inbox would
                        dropped = self.dropped
                        for n, taken in zip(names, self._for_credit):
                            k = len(taken)
                            taken.clear()
                            while self.inboxes[n].queue:  # (taking lets a blocked sender
                                k += len(self.recv_all(n))  # put what it held in at once)
                            if k:
                                dropped[n] = dropped.get(n, 0) + k
                        if comp.done:
                            break
                        self.wake_on(*names)
                    else:
                        self._take_outgoing()
                        self._write()
                        if comp.done and not any(self.inboxes[n].queue for n in names) \
                                and not any(self._for_credit):
                            break
                    self.pause()
                    yield
            self._flush_blocking(5.0)
        finally:
            self._cross_close()

    def _on_eof(self) -> None:
        self._kick()

    _on_broken = _on_eof


class _DirectIn(CrossingEnd):
    """In a child: receives what an earlier process stage's component sends straight to
    this one (data in, credit out), delivered by a :class:`_Feeder` of its own.

    The pipe's end before an end of stream is the earlier stage's death: it is left to
    the parent, which sees that child end and stops the system naming it."""

    Inboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}
    Outboxes: ClassVar[Mapping[str, str | BoxSpec]] = {}

    def __init__(self, names: tuple[str, ...], window: int, codec: Codec,
                 fds: tuple[int, int]) -> None:
        super().__init__(name="DirectIn")
        self._names = names
        self._direct_window = window
        self._direct_codec = codec
        self._direct_fds = fds
        self.grant_at = window // 2  # (credit in halves: a sender wakes half as often)
        self.feeder = _Feeder(self, names)

    def main(self) -> Generator[Any, Any, None]:
        rfd, wfd = self._direct_fds  # data in, credit out
        self._cross_open(rfd, wfd, self._direct_codec, self._direct_window, (), self._names,
                         None, END_IN if END_IN in self._names else None, self.feeder)
        feeder = self.feeder
        try:
            with self.keep_alive():
                while True:
                    if self._incoming and feeder.state is State.BLOCKED:
                        self._shutdown_first()  # (a Shutdown goes ahead of waiting data)
                    self._write()
                    self.pause()
                    yield
        finally:
            self._cross_close()

    def _on_readable(self) -> None:
        super()._on_readable()
        if self._incoming and self.feeder.state is State.BLOCKED:
            self._kick()
