"""Sample the Python stack of every thread of a profiled process, at a steady rate.

Imported by ``_spyder_callgrind_tracker`` in the user's interpreter (Python 3.9-3.13,
stdlib only).  cProfile keeps per-function totals only; these samples keep whole stacks
(code object and current line of every frame), so the views can show real call stacks
and per-line costs.

How it samples:

* POSIX: ``signal.setitimer`` with a handler that reads ``sys._current_frames()``.  The
  wall clock (``ITIMER_REAL``/``SIGALRM``, the default) shows waiting as well as work;
  the CPU clock (``ITIMER_PROF``/``SIGPROF``) shows work only.  The kernel ticks at its
  own rate (250 Hz gives ~4 ms for a 1 ms request): the rate achieved is saved.
* Where there is no ``setitimer`` (Windows), or when the script already handles that
  signal, a sampling thread (``_thread``, so neither profiled nor joined at exit) does
  the same.  A script that installs its own SIGALRM handler or timer later takes the
  signal over: ``hand_over_signal`` (called from the patched ``signal`` functions, see
  ``_spyder_callgrind_signals.guard_timer_signal``) moves sampling to the thread first.
* Except beside cProfile on Python 3.12+: its one profiler per process sees every thread
  and would count the sampling thread's calls (and time) as the script's.  There the
  sampler moves to ``ITIMER_PROF`` (CPU time) instead, or, with no timer signal free
  (Windows), does not sample; ``--mode sample`` (no cProfile) always can.
* A handler runs in the main thread between bytecodes: a long C call (``time.sleep``,
  ``lock.acquire``, numpy) delays it.  Each sample is therefore weighted by the time since
  the previous one (wall), or by each thread's own CPU time since then (CPU clock), so the
  delayed time is counted, not lost.

Our own frames (any file in the workers folder) are left out of every stack.  The code
here makes only calls to built-ins: on Python 3.12+ the process-wide cProfile sees this
handler, and the engine takes this module's functions *and what they call* out of the
profile (``recording.without_profiler_frames``).

Saved as ``<base>.samples`` (JSON, written atomically): interned frames
``[file, name, firstline]``, a prefix tree of stack nodes ``[parent, frame, line]``
(root first, parent -1), threads ``[ident, name]`` and, per sample, the node of its leaf,
its thread, its time (ns since the start) and its weight (ns).
"""

import _thread
import json
import os
import signal
import sys
import threading
import time
from array import array

SAMPLES_FORMAT = "spyder-callgrind-samples/1"
#: Requested interval between samples (seconds); the kernel may round it up.
DEFAULT_INTERVAL = 0.004
CLOCKS = ("wall", "cpu")

_WINDOWS = sys.platform == "win32"
_OURS = os.path.normcase(os.path.join(os.path.dirname(os.path.abspath(__file__)), ""))
_HAS_ITIMER = hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")
_HAS_THREAD_CPU = hasattr(time, "pthread_getcpuclockid") and hasattr(time, "clock_gettime_ns")
# The real functions: the script's calls to ``signal.signal``/``setitimer``/``alarm`` go
# through wrappers that hand the signal over to it (see ``hand_over_signal``).
_set_handler = signal.signal
_get_handler = signal.getsignal
_setitimer = getattr(signal, "setitimer", None)


def _is_ours(filename):
    # No os.path call: this runs in the sampling handler, which calls built-ins only.
    return (filename.lower() if _WINDOWS else filename).startswith(_OURS)


class Sampler:
    """The stack samples of one process.

    ``clock``: "wall" or "cpu"; ``interval``: requested seconds between samples;
    ``thread_ok``: a sampling thread may be used (not beside a process-wide cProfile,
    Python 3.12+, which would count the thread's calls and time as the script's).
    """

    def __init__(self, clock="wall", interval=DEFAULT_INTERVAL, thread_ok=True,
                 skip_threads=()):
        self.thread_ok = thread_ok
        #: idents of threads never sampled (a console kernel's own threads)
        self.skip_threads = frozenset(skip_threads)
        self.clock = clock if clock in CLOCKS else "wall"
        self.interval = max(float(interval), 0.0001)
        self.pid = os.getpid()
        self.frames = []                 # [file, name, firstline]
        self._frame_of = {}              # code object -> frame id (-1: ours)
        self.nodes = array("q")          # parent, frame, line per node
        self._node_of = {}               # (parent, frame, line) -> node id
        self.threads = []                # [ident, name]
        self._thread_of = {}             # ident -> (index, Thread object or None)
        self.data = array("q")           # node, thread, time, weight per sample
        #: per sample, the CPU time its thread used since its previous sample (-1: not
        #: known): tells a thread that waited from one that worked, on the timeline
        self.cpu = array("q")
        self.ticks = 0                   # sampling instants (one sample per thread each)
        self.first_tick = self.last_tick = 0
        self.timer = None                # "itimer" or "thread" while running
        self.timers = []                 # every kind of timer used, in order
        self.started_ns = 0
        self.epoch_ns = 0                #: wall-clock time (time.time_ns) of sample time 0
        self._previous = 0
        self._cpu = {}                   # ident -> its CPU clock at the previous sample
        self._busy = False
        self._own_ident = None           # the sampling thread, never sampled
        self._stopping = False
        self._signal = None
        self._old_handler = None
        self._main_ident = None

    # -- start and stop --------------------------------------------------------------------
    def start(self):
        """Start sampling (from the main thread, where signal handlers can be set)."""
        self.epoch_ns = time.time_ns()
        self.started_ns = self._previous = time.perf_counter_ns()
        self._main_ident = threading.main_thread().ident
        self._cpu_baseline()
        wanted = signal.SIGPROF if self.clock == "cpu" else getattr(signal, "SIGALRM", None)
        if _HAS_ITIMER and self._start_itimer(wanted):
            return
        if self.thread_ok:
            self._start_thread()
        elif self.clock == "wall" and _HAS_ITIMER and self._start_itimer(signal.SIGPROF):
            pass                                  # CPU time rather than no samples
        else:
            self.timers.append("none")

    def _free(self, sig):
        """(whether ``sig`` has no handler but ours, its current handler)."""
        current = _get_handler(sig)
        inherited = getattr(current, "__self__", None)
        if isinstance(inherited, Sampler):             # a forked child: the parent's copy
            current = inherited._old_handler
        return current in (signal.SIG_DFL, None) or (
            sig == signal.SIGPROF and current == signal.SIG_IGN), current

    def _start_itimer(self, sig):
        """Sample on ``sig``'s timer (SIGALRM: wall clock, SIGPROF: CPU time) if the script
        does not use that signal; False when it cannot."""
        if sig is None or threading.current_thread() is not threading.main_thread():
            return False
        free, current = self._free(sig)
        if not free:
            return False
        if sig == signal.SIGPROF and self.clock != "cpu":
            self.clock = "cpu"                     # what ITIMER_PROF counts
            self._cpu_baseline()
        self._old_handler = current
        self._signal = sig
        _set_handler(sig, self._on_signal)
        # Interrupted system calls are not restarted (no siginterrupt(sig, False)): Python
        # retries them itself after the handler (PEP 475).  Restarted calls deadlocked
        # 3.11: a profiled thread entering a function spins while a signal waits for the
        # main thread, and a main thread in a restarted call waiting for that thread never
        # handled it.
        which = signal.ITIMER_PROF if sig == signal.SIGPROF else signal.ITIMER_REAL
        _setitimer(which, self.interval, self.interval)
        self.timer = "itimer"
        self.timers.append("itimer-prof" if sig == signal.SIGPROF else "itimer-real")
        return True

    def _cpu_baseline(self):
        """Each thread's CPU clock now: later samples weigh the CPU time since."""
        if not _HAS_THREAD_CPU:
            return
        for ident in sys._current_frames():
            try:
                self._cpu[ident] = time.clock_gettime_ns(time.pthread_getcpuclockid(ident))
            except (OSError, OverflowError):
                pass

    def _start_thread(self):
        self.timer = "thread"
        self.timers.append(self.timer)
        self._stopping = False
        _thread.start_new_thread(self._run, ())

    def hand_over_signal(self, sig):
        """The script is about to use ``sig`` or its timer: give it up, and sample from a
        thread, or on the other timer signal (then in CPU time), or not at all."""
        if self.timer != "itimer" or sig != self._signal or self.pid != os.getpid():
            return
        self._stop_itimer()
        if self.thread_ok:
            self._start_thread()
        elif not (sig == getattr(signal, "SIGALRM", None) and
                  self._start_itimer(signal.SIGPROF)):
            self.timers.append("none")

    def _stop_itimer(self):
        which = signal.ITIMER_PROF if self._signal == signal.SIGPROF else signal.ITIMER_REAL
        _setitimer(which, 0)
        if _get_handler(self._signal) == self._on_signal:
            _set_handler(self._signal, self._old_handler or signal.SIG_DFL)
        self.timer = None

    def stop(self):
        """Stop sampling; in this process only (a forked child holds a stale copy)."""
        if self.pid != os.getpid() or self.timer is None:
            return
        if self.timer == "itimer":
            try:
                self._stop_itimer()
            except (ValueError, OSError):     # not the main thread: the timer runs on
                self._busy = True             # but its handler records nothing more
            return
        self._stopping = True
        self.timer = None
        deadline = time.perf_counter() + 1.0
        while self._busy and time.perf_counter() < deadline:
            time.sleep(0.001)

    # -- sampling --------------------------------------------------------------------------
    def _on_signal(self, signum, frame):
        if self._busy or self.pid != os.getpid():
            return
        self._busy = True
        try:
            self._take(frame)
        finally:
            self._busy = False

    def _run(self):
        self._own_ident = _thread.get_ident()
        interval = self.interval
        while not self._stopping:
            time.sleep(interval)
            if self._stopping:
                break
            self._busy = True
            try:
                self._take(None)
            except Exception:
                pass
            finally:
                self._busy = False

    def _take(self, interrupted):
        """One sample of every thread.  ``interrupted``: in the signal handler, the frame
        it interrupted; None in the sampling thread."""
        now = time.perf_counter_ns()
        elapsed = now - self._previous
        self._previous = now
        if self.ticks == 0:
            self.first_tick = now
        self.last_tick = now
        self.ticks += 1
        at = now - self.started_ns
        cpu_clock = self.clock == "cpu"
        # Our own thread's entry is our own running frame: holding it in ``frames`` (a
        # local of that frame) would make a reference cycle that keeps every frame below
        # it, and their locals, alive until a garbage collection (and 3.12.0-3.12.1 crash
        # when such a cycle holds a ``BytesIO.getbuffer()``, CPython gh-111049).
        frames = sys._current_frames()
        if interrupted is not None:
            frames[self._main_ident] = interrupted
        else:
            try:
                del frames[self._own_ident]
            except KeyError:
                pass
        skip = self.skip_threads
        for ident, frame in frames.items():
            if ident in skip:
                continue
            node = self._intern(frame)
            if node < 0:
                continue
            weight = elapsed
            used = -1
            if _HAS_THREAD_CPU:
                try:
                    clock = time.clock_gettime_ns(time.pthread_getcpuclockid(ident))
                except (OSError, OverflowError):
                    if cpu_clock:
                        continue
                else:
                    try:
                        used = clock - self._cpu[ident]
                    except KeyError:
                        used = clock if cpu_clock else -1
                    self._cpu[ident] = clock
                    if cpu_clock:
                        if used <= 0:
                            continue
                        weight = used
            try:
                thread = self._thread_of[ident]
                index = thread[0]
                try:
                    now_thread = threading._active[ident]
                except KeyError:
                    now_thread = None
                if now_thread is not thread[1] and now_thread is not None:
                    if thread[1] is None:     # seen before ``threading`` registered it
                        self.threads[index][1] = now_thread._name
                        self._thread_of[ident] = (index, now_thread)
                    else:                     # a new thread with a reused ident
                        index = self._new_thread(ident, now_thread)
            except KeyError:
                try:
                    now_thread = threading._active[ident]
                except KeyError:
                    now_thread = None
                index = self._new_thread(ident, now_thread)
            self.data.extend((node, index, at, weight))
            self.cpu.append(used)

    def _new_thread(self, ident, thread):
        index = len(self.threads)
        name = thread._name if thread is not None else "thread %d" % ident
        self.threads.append([ident, name])
        self._thread_of[ident] = (index, thread)
        return index

    def _intern(self, frame):
        """The node of ``frame``'s stack (our frames left out); -1 when only ours."""
        frame_of = self._frame_of
        chain = []
        while frame is not None:
            code = frame.f_code
            try:
                fid = frame_of[code]
            except KeyError:
                fid = self._new_frame(code)
            if fid >= 0:
                chain += (fid, frame.f_lineno or code.co_firstlineno)
            frame = frame.f_back
        node_of = self._node_of
        node = -1
        k = len(chain) - 2
        while k >= 0:
            key = (node, chain[k], chain[k + 1])
            try:
                node = node_of[key]
            except KeyError:
                node = node_of[key] = len(node_of)
                self.nodes.extend(key)
            k -= 2
        return node

    def _new_frame(self, code):
        if _is_ours(code.co_filename):
            fid = -1
        else:
            fid = len(self.frames)
            self.frames.append([code.co_filename, code.co_name, code.co_firstlineno])
        self._frame_of[code] = fid
        return fid

    # -- saving ----------------------------------------------------------------------------
    def document(self):
        """What ``<base>.samples`` holds (see the module docstring)."""
        for entry in self.threads:            # names given after the thread started
            thread = threading._active.get(entry[0])
            if thread is not None and self._thread_of.get(entry[0], (None, None))[1] is thread:
                entry[1] = thread.name
        achieved = 0
        if self.ticks > 1:
            achieved = (self.last_tick - self.first_tick) // (self.ticks - 1)
        return {
            "format": SAMPLES_FORMAT, "pid": self.pid, "clock": self.clock,
            "timer": "+".join(self.timers), "interval_requested_ns": int(self.interval * 1e9),
            "interval_achieved_ns": achieved, "ticks": self.ticks,
            "duration_ns": max(self.last_tick - self.started_ns, 0),
            "frames": self.frames, "nodes": list(self.nodes), "threads": self.threads,
            "samples": list(self.data), "cpu": list(self.cpu), "epoch_ns": self.epoch_ns,
        }

    def save(self, path, write_atomic):
        """Write the samples to ``path`` through ``write_atomic(path, write(tmp))``."""
        document = self.document()

        def write(tmp):
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(document, f, separators=(",", ":"))
        write_atomic(path, write)
