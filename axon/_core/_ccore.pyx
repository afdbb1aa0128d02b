# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: binding=True, embedsignature=False, always_allow_keywords=True
"""Axon's optional compiled core: the task record, the hot component methods and the
scheduler's timeslice loop, in C (Cython).

The pure-Python core is the reference: ``Task`` here has the fields of
``axon/_core/_task.py``'s ``Task`` (as C struct fields), ``run_turn`` is the inner loop
of ``Scheduler._main_loop`` (one turn: timeslices until ``io_slice`` has passed or
nothing is runnable) line for line, and the component methods are those of
``axon/_core/_component.py`` with their slow paths left to the Python originals.  Every
invariant of ``_task.py`` holds the same way; ``tests/axon/test_ccore.py`` runs the
scheduling protocol under both and compares the event logs.

Used unless ``AXON_PURE_PYTHON=1`` or it was not built (``axon.core_implementation``
says which).  Why it is faster: the task's fields are C struct fields (no attribute
lookups), the loop's locals are C variables, a generator is resumed with
``PyIter_Send`` (no bound-method call) and a method call costs no Python frame.
(Cython on the unmodified modules was *slower*: untyped attribute access loses
CPython 3.11's inline caches; ../shared/research/perf_probe/NOTES.md.)
"""

from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF, Py_TYPE
from cpython.object cimport Py_SIZE
from cpython.dict cimport PyDict_GetItemWithError
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

import sys
from collections import deque

cdef extern from "Python.h":
    ctypedef struct PyTypeObject:
        Py_ssize_t tp_basicsize

from axon._core._task import NO_ROOM, NO_SENDERS, NO_TASKS, PAUSING, RECEIVE, RECEIVE_ONE, State

cdef extern from *:
    """
    /* Resume a generator: what it yields (a new reference), or NULL with the error set;
       its return is raised as StopIteration, as gen.send() does. */
    static PyObject* axon_resume(PyObject* gen, PyObject* arg) {
        PyObject* res = NULL;
        PySendResult r = PyIter_Send(gen, arg, &res);
        if (r == PYGEN_NEXT) return res;
        if (r == PYGEN_RETURN) {
            if (res == Py_None) {
                PyErr_SetNone(PyExc_StopIteration);
            } else {
                PyObject* e = PyObject_CallOneArg(PyExc_StopIteration, res);
                if (e != NULL) {
                    PyErr_SetObject(PyExc_StopIteration, e);
                    Py_DECREF(e);
                }
            }
            Py_XDECREF(res);
        }
        return NULL;
    }
    /* True if ``send`` is ``gen.send``: a builtin method bound to ``gen`` whose C function
       is the generators' send (axon_gen_send, taken from a generator as the module loads). */
    static PyCFunction axon_gen_send = NULL;
    static inline int axon_is_send_of(PyObject* send, PyObject* gen) {
        return PyCFunction_Check(send) && PyCFunction_GET_SELF(send) == gen
            && PyCFunction_GET_FUNCTION(send) == axon_gen_send;
    }
    static void axon_set_gen_send(PyObject* method) {
        if (PyCFunction_Check(method)) axon_gen_send = PyCFunction_GET_FUNCTION(method);
    }
    """
    object axon_resume(object gen, object arg)
    bint axon_is_send_of(object send, object gen)
    void axon_set_gen_send(object method)

cdef extern from *:
    """
    /* A deque's append and popleft called as their C functions, taken from the type's
       method descriptors as the module loads: a call through the generic protocol
       (vectorcall, a recursion check, a result check) costs ~60-90 instructions more, and
       a hop makes several.  Only for exact deques (an inbox's queue, the run queue) or
       their bound append (an inbox's push); anything else is called the usual way.
       Instructions per hop, bench.instructions: README idiom at one message per timeslice
       2,467 -> 2,161; classic idiom 4,034 -> 3,652, in bursts 812 -> 746. */
    static PyTypeObject* axon_deque_type = NULL;
    static PyCFunction axon_deque_append = NULL, axon_deque_popleft = NULL;
    static void axon_set_deque(PyObject* tp, PyObject* append, PyObject* popleft) {
        if (Py_TYPE(append) != &PyMethodDescr_Type || Py_TYPE(popleft) != &PyMethodDescr_Type)
            return;
        PyMethodDef* a = ((PyMethodDescrObject*)append)->d_method;
        PyMethodDef* p = ((PyMethodDescrObject*)popleft)->d_method;
        if (a->ml_flags != METH_O || p->ml_flags != METH_NOARGS) return;
        axon_deque_append = a->ml_meth;
        axon_deque_popleft = p->ml_meth;
        axon_deque_type = (PyTypeObject*)tp;
    }
    /* push(msg), a new reference (None) or NULL with the error set */
    static inline PyObject* axon_push(PyObject* push, PyObject* msg) {
        if (Py_TYPE(push) == &PyCFunction_Type && axon_deque_append != NULL
                && PyCFunction_GET_FUNCTION(push) == axon_deque_append)
            return axon_deque_append(PyCFunction_GET_SELF(push), msg);
        return PyObject_CallOneArg(push, msg);
    }
    /* q.popleft() */
    static inline PyObject* axon_popleft(PyObject* q) {
        if (Py_TYPE(q) == axon_deque_type) return axon_deque_popleft(q, NULL);
        return PyObject_CallMethod(q, "popleft", NULL);
    }
    /* q.append(x) */
    static inline PyObject* axon_append(PyObject* q, PyObject* x) {
        if (Py_TYPE(q) == axon_deque_type) return axon_deque_append(q, x);
        PyObject* append = PyObject_GetAttrString(q, "append");  /* (not CallMethod's "O": */
        if (append == NULL) return NULL;  /* a tuple ``x`` would be spread as arguments) */
        PyObject* r = PyObject_CallOneArg(append, x);
        Py_DECREF(append);
        return r;
    }
    """
    object axon_append(object q, object x)
    object axon_push(object push, object msg)
    object axon_popleft(object q)
    void axon_set_deque(object tp, object append, object popleft)

axon_set_deque(deque, deque.append, deque.popleft)

cdef extern from *:
    """
    #include "structmember.h"
    /* The Task's object fields as member descriptors (T_OBJECT_EX at their offsets, as
       __slots__ make), in place of the getset properties Cython gives ``cdef public``
       fields: CPython 3.11 specialises LOAD_ATTR/STORE_ATTR for members, never for
       getsets, so the Python code that reads a task (set-up, the slow paths) is as fast as
       with the pure-Python Task.  The definitions must outlive the type: static. */
    static PyMemberDef axon_task_members[32];
    static int axon_task_nmembers = 0;
    static int axon_member(PyObject* tp, PyObject* name, Py_ssize_t offset) {
        if (axon_task_nmembers >= 32 || offset <= 0) return 0;
        const char* cname = PyUnicode_AsUTF8(name);  /* (the str is kept alive by the caller) */
        if (cname == NULL) return -1;
        PyMemberDef* m = &axon_task_members[axon_task_nmembers++];
        m->name = cname; m->type = T_OBJECT_EX; m->offset = offset; m->flags = 0; m->doc = NULL;
        PyObject* d = PyDescr_NewMember((PyTypeObject*)tp, m);
        if (d == NULL) return -1;
        int r = PyDict_SetItem(((PyTypeObject*)tp)->tp_dict, name, d);
        Py_DECREF(d);
        PyType_Modified((PyTypeObject*)tp);
        return r;
    }
    /* The offset of a __slots__ member in its instances (-1 if ``descr`` is not one). */
    static Py_ssize_t axon_slot_offset(PyObject* descr) {
        if (Py_TYPE(descr) != &PyMemberDescr_Type) return -1;
        return ((PyMemberDescrObject*)descr)->d_member->offset;
    }
    #define AXON_SLOT(obj, off) (*(PyObject**)((char*)(obj) + (off)))
    """
    Py_ssize_t axon_slot_offset(object descr) except? -2
    int axon_member(object tp, object name, Py_ssize_t offset) except -1
    PyObject* AXON_SLOT(object obj, Py_ssize_t off)

cdef extern from *:
    """
    /* A component's own attributes (``self._axon_task``, ``self.end_message``, ...) read
       from C as CPython 3.11's specialised LOAD_ATTR_INSTANCE_VALUE reads them: at their
       index in the instance's inline values, which a small cache per read site keeps
       for each type (by its version tag, which changes with the type).  A generic
       getattr from C looks the name up in the type and then in the instance's keys on
       every call (~150 instructions; six reads per timeslice in the classic idiom:
       4,928 -> 4,151 instructions per hop at one message per timeslice).  CPython 3.11 only (its object layout, checked by
       a self-test as the module is installed); elsewhere, or on any doubt, PyObject_GetAttr. */
    #if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
    #define AXON_FAST_ATTRS 1
    typedef struct {
        Py_ssize_t dk_refcnt;
        uint8_t dk_log2_size;
        uint8_t dk_log2_index_bytes;
        uint8_t dk_kind;
        uint32_t dk_version;
        Py_ssize_t dk_usable;
        Py_ssize_t dk_nentries;
        char dk_indices[];
    } axon_keys311;  /* CPython 3.11's PyDictKeysObject (Include/internal/pycore_dict.h) */
    typedef struct { PyObject *me_key; PyObject *me_value; } axon_uentry311;
    #endif
    typedef struct { PyTypeObject* tp; unsigned int version; Py_ssize_t index; } axon_attr_entry;
    typedef struct { PyObject* name; axon_attr_entry e[4]; unsigned int next; } axon_attr_site;
    static int axon_fast_attrs = 0;  /* set once the self-test has passed */

    #ifdef AXON_FAST_ATTRS
    static Py_ssize_t axon_attr_index(PyTypeObject* tp, PyObject* name) {
        /* where ``name`` is in the inline values of ``tp``'s instances; -1: not there, or
           a data descriptor of the type takes precedence */
        if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) || !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE))
            return -1;
        PyObject* descr = _PyType_Lookup(tp, name);
        if (descr != NULL && Py_TYPE(descr)->tp_descr_set != NULL) return -1;
        axon_keys311* keys = (axon_keys311*)((PyHeapTypeObject*)tp)->ht_cached_keys;
        if (keys == NULL || keys->dk_kind != 2 /* DICT_KEYS_SPLIT */) return -1;
        axon_uentry311* entries = (axon_uentry311*)(&((int8_t*)(keys->dk_indices))[(size_t)1 << keys->dk_log2_index_bytes]);
        for (Py_ssize_t i = 0; i < keys->dk_nentries; i++) {
            if (entries[i].me_key == name) return i;
        }
        return -1;
    }
    #endif

    /* ``getattr(obj, site->name)``: a new reference, or NULL with the error set */
    static PyObject* axon_getattr(PyObject* obj, axon_attr_site* site) {
    #ifdef AXON_FAST_ATTRS
        if (axon_fast_attrs) {
            PyTypeObject* tp = Py_TYPE(obj);
            axon_attr_entry* e = NULL;
            if (!(tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG)) goto generic;
            for (int k = 0; k < 4; k++) {
                if (site->e[k].tp == tp && site->e[k].version == tp->tp_version_tag) {
                    e = &site->e[k];
                    break;
                }
            }
            if (e == NULL && tp->tp_version_tag) {
                e = &site->e[site->next++ & 3];
                e->tp = tp;
                e->version = tp->tp_version_tag;
                e->index = axon_attr_index(tp, site->name);
            }
            if (e != NULL && e->index >= 0) {
                PyObject** values = *(((PyObject***)obj) - 4);  /* _PyObject_ValuesPointer */
                if (values != NULL) {
                    PyObject* v = values[e->index];
                    if (v != NULL) {
                        Py_INCREF(v);
                        return v;
                    }
                }
            }
        }
    generic:
    #endif
        return PyObject_GetAttr(obj, site->name);
    }
    """
    ctypedef struct axon_attr_site:
        PyObject* name
    int axon_fast_attrs
    object axon_getattr(object obj, axon_attr_site* site)

cdef extern from *:
    """
    #ifndef AXON_PYX_SHA
    #define AXON_PYX_SHA ""
    #endif
    """
    const char* AXON_PYX_SHA

#: Checked by ``_task.py``, which does not use a module built from another version of this
#: protocol: bump both together when it changes.
ABI = 1
#: The first 16 hex digits of this file's SHA-256 as built (setup.py): ``_task.py`` does
#: not use a build older than the .pyx beside it.
SOURCE_SHA = AXON_PYX_SHA.decode()

cdef object RECV = RECEIVE
cdef object DEFERRED = PAUSING
cdef object PAUSED = State.PAUSED
cdef object RUNNABLE = State.RUNNABLE
cdef object BLOCKED = State.BLOCKED
cdef object NEW = State.NEW
cdef object RECV_ONE = RECEIVE_ONE
cdef object ASLEEP = None  # the scheduler's _ASLEEP, _ONE_AGAIN and _ONE_WAIT (configure())
cdef object ONE_AGAIN = None
cdef object ONE_WAIT = None
# (what _resume compares a task's send with: a Python generator's, made by Python code,
# since a generator written here would be Cython's own type)
axon_set_gen_send(eval("(lambda: (yield))()").send)
cdef object _popleft = deque.popleft  # (method descriptors: called with the deque, no
cdef object _clear = deque.clear  # bound method made per call)


cdef class Task:
    """The scheduler's record of one component: ``axon/_core/_task.py``'s ``Task`` (the
    invariants there), with C struct fields."""

    cdef public object comp, send, resume, state, blocked_sends, readers, senders, notify
    cdef public object inq, limit, inbox, control, pause_queues, wake_queues, gen, future
    cdef public object cancelled_by, taken, one_taken, receiving_one
    cdef public bint pause, attend, sticky
    cdef public double received

    def __init__(self, comp):
        self.comp = comp
        self.send = None
        self.resume = None
        self.state = NEW
        self.pause = False
        self.attend = True
        self.sticky = False
        self.blocked_sends = None
        self.readers = NO_TASKS  # (shared and never appended to: _task.py's NO_TASKS)
        self.senders = NO_SENDERS
        self.notify = NO_TASKS
        self.inq = NO_ROOM
        self.limit = None
        self.inbox = None
        self.control = None
        self.pause_queues = ()
        self.wake_queues = ()
        self.received = 0.0
        self.gen = None
        self.future = None
        self.cancelled_by = None
        self.taken = None
        self.one_taken = None
        self.receiving_one = None

    def __repr__(self):
        return f"<Task {self.comp.path} {self.state.value}>"


cdef list _MEMBER_NAMES = []  # (their UTF-8 buffers are the member definitions' names)


cdef _task_members():
    """Make the Task's object fields member descriptors (see axon_member): with them the
    Python code that reads tasks, set-up most of all, runs at slot speed (bench.core's full
    set-up on this core: 161,412 -> 152,203 instructions per component).  Each field's offset
    is found by setting it to a marker through its property and finding the marker in the
    record (Cython will not take a field's address)."""
    cdef Task t = Task.__new__(Task, None)
    cdef Py_ssize_t off, size = (<PyTypeObject*>Task).tp_basicsize
    names = ["comp", "send", "resume", "state", "blocked_sends", "readers", "senders",
             "notify", "inq", "limit", "inbox", "control", "pause_queues", "wake_queues",
             "gen", "future", "cancelled_by", "taken", "one_taken", "receiving_one"]
    found = {}
    for name in names:
        marker = object()
        setattr(t, name, marker)
        for off in range(2 * sizeof(void*), size - sizeof(void*) + 1, sizeof(void*)):
            if AXON_SLOT(t, off) is <PyObject*>marker:
                found[name] = off
                break
        setattr(t, name, None)
    if len(found) != len(names) or len(set(found.values())) != len(names):
        return  # (not as expected: keep Cython's properties)
    for name in names:
        name = sys.intern(name)
        _MEMBER_NAMES.append(name)
        axon_member(Task, name, found[name])


_task_members()


def configure(asleep, one_again, one_wait):
    """The scheduler's sentinels (``_scheduler.py`` imports this module's users first)."""
    global ASLEEP, ONE_AGAIN, ONE_WAIT
    ASLEEP, ONE_AGAIN, ONE_WAIT = asleep, one_again, one_wait


cdef inline double _now():
    # time.perf_counter() is CLOCK_MONOTONIC on Linux: read here without a Python call
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


cdef inline object _resume(Task t, object arg):
    """``t.send(arg)``: the generator resumed directly when ``send`` is its own."""
    cdef object send = t.send
    cdef object gen = t.gen
    if gen is not None and axon_is_send_of(send, gen):
        return axon_resume(gen, arg)
    return send(arg)  # (wrapped: an instrument's, or a supervised component's)


cdef PyTypeObject* _deque_type = <PyTypeObject*>deque


cdef inline bint _full(object q):
    """``bool(q)``; a deque's length is its ob_size (Py_SIZE), read without a call
    (``if q`` is PyObject_IsTrue: about 20 instructions more, five times a timeslice;
    classic idiom 4,151 -> 4,109 instructions per hop)."""
    if <PyTypeObject*>Py_TYPE(q) is _deque_type:
        return Py_SIZE(q) != 0
    return bool(q)


cdef inline bint _any(object queues):
    cdef object q
    for q in <tuple>queues:
        if _full(q):
            return True
    return False


cdef axon_attr_site _at_end3  # (receive_one_turn's; named below with the others)


def run_turn(sched, ready):
    """One turn of ``Scheduler._main_loop``: timeslices until ``sched.io_slice`` has
    passed or nothing is runnable; returns how many tasks it visited.  The same code
    as the inner ``while True`` of ``_main_loop`` (read that for the comments)."""
    cdef double io_slice = sched.io_slice
    cdef double start, mark, now, deadline
    cdef Py_ssize_t visits = 0, asleep = 0, i = 0, k = sched._chunk, n
    cdef Task t, reader, sender
    cdef object r, q, y, batch, one
    cdef bint stop = False
    start = mark = _now()
    deadline = start + io_slice
    sched._in_loop = True
    try:
        while True:
            for i in range(k):
                if not _full(ready):  # nothing runnable
                    visits += i
                    stop = True
                    break
                t = <Task>axon_popleft(ready)
                r = t.resume
                try:
                    if r is RECV:
                        q = t.inq
                        if _full(q) and not _full(t.control):  # the hot path: messages, no signal
                            batch = [axon_popleft(q)]
                            if _full(q):
                                (<list>batch).extend(q)
                                _clear(q)
                                t.received += len(<list>batch)
                            else:
                                t.received += 1.0
                            y = _resume(t, batch)
                            if y is RECV and not t.attend:
                                axon_append(ready, t)
                                continue
                        else:
                            y = sched._receive(t)
                            if y is ASLEEP:
                                continue
                    elif r is None:
                        y = _resume(t, None)
                        if y is None and not t.attend:  # a bare yield: next round
                            if t.pause:
                                t.pause = False
                                t.resume = DEFERRED
                            axon_append(ready, t)
                            continue
                    elif r is DEFERRED:  # it paused (the classic idiom), deferred
                        t.resume = None
                        if not _any(t.pause_queues):  # fall_asleep(t), inline
                            t.state = PAUSED
                            for sender in t.notify:
                                sender.attend = True
                            asleep += 1
                            continue
                        y = _resume(t, None)
                        if y is None and not t.attend:
                            if t.pause:
                                t.pause = False
                                t.resume = DEFERRED
                            axon_append(ready, t)
                            continue
                    else:
                        t.resume = None
                        y = r()
                except BaseException as exc:
                    if sched._ended(t, exc):
                        visits += i + 1
                        stop = True
                        break
                    continue
                if t.attend:  # wake_readers(t, append), inline
                    t.attend = t.sticky
                    for reader in t.readers:
                        if reader.state is PAUSED:
                            if _any(reader.wake_queues):
                                reader.state = RUNNABLE
                                axon_append(ready, reader)
                            else:
                                t.attend = True  # still asleep: look next time
                if y is RECV:
                    t.resume = RECV
                    if t.pause:
                        t.pause = False
                        if t.blocked_sends is not None:
                            t.state = BLOCKED
                            sched._blocked(t)
                            continue
                    axon_append(ready, t)
                elif y is None:
                    t.resume = None
                    if t.pause:  # also set when a send blocked
                        t.pause = False
                        if t.blocked_sends is not None:
                            t.state = BLOCKED
                            sched._blocked(t)
                        elif t.pause_queues is t.wake_queues:  # deferred (invariant 10)
                            t.resume = DEFERRED
                            axon_append(ready, t)
                        else:  # a thread's proxy (no pause_queues): asleep now
                            t.state = PAUSED
                            for sender in t.notify:
                                sender.attend = True
                    else:
                        axon_append(ready, t)
                else:
                    t.resume = None
                    t.pause = False
                    one = t.receiving_one
                    if y is RECV_ONE and one is not None and t.blocked_sends is None:
                        # Scheduler._await's first case (RECEIVE_ONE again), inline: its
                        # Python code reads the task's fields through descriptors (this and
                        # receive_one_turn, compiled: RECEIVE_ONE at one message per timeslice
                        # 6,844 -> 2,613 instructions per hop; 5,993 in pure Python)
                        one.looked = False
                        t.resume = one
                        axon_append(ready, t)
                    else:
                        sched._await(t, y)
            if stop:
                break
            visits += k
            now = _now()
            if now + (now - mark) <= deadline:  # another chunk like this one fits
                mark = now
                if k < 32:
                    k = k + k if k < 16 else 32
                continue
            if now < deadline:  # it would not: read the clock sooner
                n = <Py_ssize_t>(k * (deadline - now) / (now - mark))
                k = n if n > 1 else 1
                mark = now
                continue
            # the next turn starts with as many as fitted this one, up to 32
            n = <Py_ssize_t>(io_slice * visits / (now - start))
            sched._chunk = 1 if n < 1 else (32 if n > 32 else n)
            break
    finally:
        sched._asleep += asleep
    return visits


def receive_one_turn(sched, Task t):
    """``Scheduler._receive_one_turn`` (the same code): a turn in RECEIVE_ONE, which
    resumes the generator with the oldest message in ``inbox`` (or None at the end of
    the stream) and returns what it yields, or returns ``_ONE_AGAIN`` / ``_ONE_WAIT``
    without running it.  Its ``ReceivingOne`` is ``partial(receive_one_turn, sched, t)``."""
    comp = t.comp
    ib = t.inbox
    cdef bint exact = <PyTypeObject*>Py_TYPE(ib) is _inbox_type
    q = _slot(ib, _q_off) if exact else ib.queue
    if (_full(t.control) or axon_getattr(comp, &_at_end3) is not None) and comp.finished():
        value = None  # the end of the stream
    elif t.blocked_sends is not None:  # (released by a control message, still holding)
        sched._asleep += 1
        return ONE_WAIT
    elif _full(q):
        value = axon_popleft(q)
        t.received += 1.0
        if (_slot(ib, _blocked_off) if exact else ib.blocked):
            sched.unblock(ib)
    else:
        sched._asleep += 1
        one = t.receiving_one
        if one.looked:
            return ONE_WAIT
        one.looked = True
        return ONE_AGAIN
    if t.taken is not None:  # supervised: this timeslice takes this message
        t.one_taken = [] if value is None else [value]
    return _resume(t, value)


# -- the hot component methods (``Component``'s, whose slow paths they call) ----------------

import sys as _sys

cdef object _n_task = _sys.intern("_axon_task")
cdef object _n_end = _sys.intern("end_message")
cdef object _n_pushes = _sys.intern("_axon_pushes")
cdef object _n_inboxes = _sys.intern("_axon_inboxes")
cdef axon_attr_site _at_task, _at_task2, _at_end, _at_end2, _at_pushes, _at_inboxes, _at_inboxes2
_at_task.name = _at_task2.name = <PyObject*>_n_task
_at_end.name = _at_end2.name = _at_end3.name = <PyObject*>_n_end
_at_pushes.name = <PyObject*>_n_pushes
_at_inboxes.name = _at_inboxes2.name = <PyObject*>_n_inboxes


def _attrs_self_test():
    """True if the fast reads of instance attributes (axon_getattr) give what getattr
    gives, on this interpreter; else they stay off (generic getattr)."""
    global axon_fast_attrs

    class Probe:
        end_message = "class"
        _axon_task = None
    cdef axon_attr_site site
    site.name = <PyObject*>_n_end
    axon_fast_attrs = 1
    try:
        a, b = Probe(), Probe()
        a._axon_task = "a-task"
        a.end_message = "a-end"
        for obj, want in ((a, "a-end"), (b, "class"), (a, "a-end"), (b, "class")):
            if axon_getattr(obj, &site) != want:
                return False
        a.end_message = "changed"
        if axon_getattr(a, &site) != "changed":
            return False
        b.end_message = "b-end"
        b.__dict__  # (a dict of its own now: no inline values)
        if axon_getattr(b, &site) != "b-end" or axon_getattr(a, &site) != "changed":
            return False
        Probe.end_message = property(lambda self: "descriptor")  # a data descriptor wins
        if axon_getattr(a, &site) != "descriptor" or axon_getattr(a, &site) != "descriptor":
            return False
        return True
    finally:
        axon_fast_attrs = 0


#: True when instance attributes are read at their index (CPython 3.11, self-tested).
FAST_ATTRS = _attrs_self_test()
axon_fast_attrs = 1 if FAST_ATTRS else 0

cdef object _py_send = None
cdef object _py_recv = None
cdef object _py_recv_all = None
cdef object _py_data_ready = None
cdef object _py_finished = None

# An Inbox's slots read and written at their offsets in the object, as CPython's
# specialised LOAD_ATTR_SLOT does: a generic getattr from C looks the name up in the
# type each time (queue, _received (twice) and blocked in recv_all: 5,586 -> 5,083
# instructions per hop, classic idiom at one message per timeslice, bench.instructions'
# method at 2,000/4,000 messages).
cdef PyTypeObject* _inbox_type = NULL
cdef Py_ssize_t _q_off = -1, _received_off = -1, _blocked_off = -1

cdef inline object _slot(object obj, Py_ssize_t off):
    cdef PyObject* v = AXON_SLOT(obj, off)
    if v is NULL:
        raise AttributeError("an Inbox slot is unset")
    return <object>v


cdef inline void _set_slot(object obj, Py_ssize_t off, object value):
    cdef PyObject* old = AXON_SLOT(obj, off)
    Py_INCREF(value)
    (<PyObject**>(<char*><PyObject*>obj + off))[0] = <PyObject*>value
    Py_XDECREF(old)


def install(pure, inbox_type):
    """Given ``Component``'s pure methods (by name) and ``Inbox``, the compiled methods
    to put in their place: the same behaviour, each falling back to its original off
    the hot path."""
    global _py_send, _py_recv, _py_recv_all, _py_data_ready, _py_finished
    global _inbox_type, _q_off, _received_off, _blocked_off
    slots = inbox_type.__dict__
    _q_off = axon_slot_offset(slots["queue"])
    _received_off = axon_slot_offset(slots["_received"])
    _blocked_off = axon_slot_offset(slots["blocked"])
    if _q_off > 0 and _received_off > 0 and _blocked_off > 0:
        _inbox_type = <PyTypeObject*>inbox_type
    _py_send = pure["send"]
    _py_recv = pure["recv"]
    _py_recv_all = pure["recv_all"]
    _py_data_ready = pure["data_ready"]
    _py_finished = pure["finished"]
    return {"send": send, "recv": recv, "recv_all": recv_all, "data_ready": data_ready,
            "pause": pause, "finished": finished}


def send(self, msg, box="outbox"):
    """Send ``msg`` on outbox ``box``: straight into the linked inbox(es)."""
    cdef PyObject* push = PyDict_GetItemWithError(axon_getattr(self, &_at_pushes), box)
    if push is NULL:  # (no boxes yet, or no such outbox: the original says which)
        return _py_send(self, msg, box)
    axon_push(<object>push, msg)


def recv(self, box="inbox"):
    """Take the oldest message from inbox ``box``; raises :class:`EmptyBox` if none."""
    cdef PyObject* p = PyDict_GetItemWithError(axon_getattr(self, &_at_inboxes2), box)
    if p is NULL:
        return _py_recv(self, box)
    ib = <object>p
    q = ib.queue
    if not q:
        return _py_recv(self, box)  # (raises EmptyBox)
    msg = axon_popleft(q)
    ib._received += 1.0
    if ib.blocked:
        self._axon_scheduler.unblock(ib)
    return msg


def recv_all(self, box="inbox"):
    """Take every message waiting in inbox ``box``, oldest first (possibly none)."""
    cdef PyObject* p = PyDict_GetItemWithError(axon_getattr(self, &_at_inboxes), box)
    cdef Py_ssize_t n
    if p is NULL:
        return _py_recv_all(self, box)
    ib = <object>p
    if <PyTypeObject*>Py_TYPE(ib) is not _inbox_type:  # (a subclass: the original)
        return _py_recv_all(self, box)
    q = _slot(ib, _q_off)
    n = len(q)
    if n == 1:
        items = [axon_popleft(q)]
        _set_slot(ib, _received_off, _slot(ib, _received_off) + 1.0)
    elif n:
        items = list(q)
        _clear(q)
        _set_slot(ib, _received_off, _slot(ib, _received_off) + n)
    else:
        return []
    if _slot(ib, _blocked_off):
        self._axon_scheduler.unblock(ib)
    return items


def data_ready(self, box="inbox"):
    """How many messages wait in inbox ``box``."""
    cdef PyObject* p = PyDict_GetItemWithError(axon_getattr(self, &_at_inboxes2), box)
    if p is NULL or <PyTypeObject*>Py_TYPE(<object>p) is not _inbox_type:
        return _py_data_ready(self, box)
    return len(_slot(<object>p, _q_off))


def pause(self):
    """Sleep at the next ``yield`` until a message reaches any inbox (see the original,
    ``Component.pause``, and the ``_task.py`` invariants 3 and 10)."""
    t = axon_getattr(self, &_at_task)
    if t is not None and axon_getattr(self, &_at_end) is None:
        (<Task>t).pause = True
        if (<Task>t).resume is not None:
            (<Task>t).attend = True


def finished(self, *data_boxes):
    """True when the component should stop: the end-of-stream idiom (the original,
    ``Component.finished``, past its common case: no end yet, nothing in ``control``)."""
    if axon_getattr(self, &_at_end2) is None:
        t = axon_getattr(self, &_at_task2)
        if t is None or not (<Task>t).control:
            return False
    return _py_finished(self, *data_boxes)
