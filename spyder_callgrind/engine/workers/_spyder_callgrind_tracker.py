"""The profiled record of one process and of its threads, and how it is saved.

Imported in the user's interpreter (Python 3.9-3.13, stdlib only).

What one process leaves in the output folder (``DIR``)::

    <pid>.json          meta, written when the process starts, rewritten when it is saved
    <c>.launched.json   written by a process when it starts the multiprocessing child <c>:
                        a child that dies before it writes its own meta is still reported
    <pid>.prof          its main thread's profile (marshal, as ``Profile.dump_stats`` writes)
    <pid>-t<k>.json     meta of the k-th thread it started with ``threading``
    <pid>-t<k>.prof     that thread's profile
    <pid>.samples       the stack samples of all its threads (modes "both" and "sample";
                        see ``_spyder_callgrind_sampler``)

A meta whose status is still ``running`` and that has no profile is a process (or thread)
that died before it could save: the caller reports it lost instead of dropping it.  Saving
writes a temporary file and renames it, so a reader never sees half a file.
"""

import _thread
import json
import marshal
import os
import signal
import sys
import threading
import time

import _spyder_callgrind_sampler as sampling
from _spyder_callgrind_interpreter import interpreter_folders
from _spyder_callgrind_profilers import Profilers
from _spyder_callgrind_protocol import (
    EXIT_CODE, FORMAT, INDEX, KIND, KIND_LAUNCHED, KIND_PROCESS, KIND_THREAD, MESSAGE,
    META_FORMAT, MODE, MODES, MODE_BOTH, MODE_EXACT, MODE_SAMPLE, NAME, PID, PPID, PROFILE,
    PYTHON, ROLE, SAMPLES, STARTED, STATUS, STATUS_ERROR, STATUS_OK, STATUS_PARTIAL,
    STATUS_RUNNING, STDLIB_DIRS, SYS_PREFIXES, THREADS, THREAD_TIMES, THREAD_TIMES_SHARED)
from _spyder_callgrind_signals import die_of, guard_timer_signal
from _spyder_callgrind_state import current


def python_version():
    return "%d.%d.%d" % sys.version_info[:3]


def interpreter_meta():
    """The meta fields of a main process naming its interpreter's folders, so a run keeps
    them (asking the interpreter later fails once it has changed or is gone)."""
    stdlib, prefixes = interpreter_folders()
    return {STDLIB_DIRS: stdlib, SYS_PREFIXES: prefixes}


def write_atomic(path, write):
    """Write a file through ``write(tmp_path)`` then rename it: readers never see half of it."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path, data):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
    write_atomic(path, write)


def _threads_besides_main_call_free():
    """Whether ``threading`` knows other threads, found without a single call (attribute
    reads and loops only), so a running profiler records nothing of it."""
    count = 0
    try:
        for _ in threading._active:
            count += 1
        for _ in threading._limbo:
            count += 1
    except AttributeError:
        return True
    return count > 1


def _other_threads_alive():
    """How many ``threading`` threads other than this one are still running."""
    me = threading.current_thread()
    return sum(1 for t in threading.enumerate() if t is not me and t.is_alive())


#: ``main`` is set in the thread that runs the process' main code (see ``begin_process``).
_main_marker = threading.local()


def _in_other_thread():
    """True when not called from the thread that runs the process' main code.

    Reads a thread-local attribute instead of calling ``threading.current_thread()``: this
    runs while the profiler still records, and must add no call to the profile.
    """
    try:
        return not _main_marker.main
    except AttributeError:
        return True


class _Record:
    """A profiled process or thread: its meta, its profiler, where it is saved."""

    def __init__(self, tracker, base, meta, ident=None):
        self.tracker = tracker
        self.base = base                       # file name without extension
        self.meta = meta
        self.ident = ident
        self.prof = None
        self.stopped = False                   # its profiler was disabled
        self.done = False

    def path(self, ext):
        return os.path.join(self.tracker.out_dir, self.base + ext)

    def write_meta(self):
        write_json(self.path(".json"), self.meta)

    def save(self, status, exit_code=None, message="", snapshot=False):
        """Save the profile and mark the meta ``status``; ``snapshot`` for another thread."""
        if self.done or self.prof is None:
            return
        self.done = True
        prof = self.prof
        profile_name = self.base + ".prof"

        def write(tmp):
            if snapshot:             # never disable another thread's profiler from here
                prof.snapshot_stats()
                with open(tmp, "wb") as f:
                    marshal.dump(prof.stats, f)
            else:
                prof.dump_stats(tmp)
        write_atomic(self.path(".prof"), write)
        self.meta[PROFILE] = profile_name
        self.end(status, exit_code, message)

    def end(self, status, exit_code=None, message=""):
        """Mark the meta ended with ``status`` and write it."""
        self.done = True
        self.meta.update({STATUS: status, "ended": time.time()})
        if exit_code is not None:
            self.meta[EXIT_CODE] = exit_code
        if message:
            self.meta[MESSAGE] = message
        self.write_meta()


class Tracker:
    """The profiling state of one process: its main record and its threads' records."""

    def __init__(self, out_dir, follow=True, exact_threads=False, mode=MODE_EXACT,
                 sample_clock="wall", sample_interval=sampling.DEFAULT_INTERVAL):
        self.out_dir = out_dir
        self.follow = follow
        self.exact_threads = exact_threads
        self.mode = mode if mode in MODES else MODE_BOTH
        #: cProfile runs (modes "exact" and "both")
        self.exact = self.mode != MODE_SAMPLE
        self.sample_clock = sample_clock
        self.sample_interval = sample_interval
        self.sampler = None
        #: idents of threads never sampled (see ``Sampler``)
        self.skip_threads = ()
        self.profilers = Profilers(exact_threads)
        self.pid = None
        self.main = None
        self.threads = {}            # ident -> _Record (per-thread profilers only)
        self.thread_count = 0
        self.saving = False          # a signal arriving now is postponed
        self.pending_signal = None
        self.outcome = None          # (status, exit_code, message) saved at exit

    # -- process ---------------------------------------------------------------------------
    def begin_process(self, role, name="", start_profile=True, extra=None):
        """Claim ``<pid>.json``, write the start meta, start profiling this thread."""
        if self.main is not None and self.pid != os.getpid():
            self.profilers.forget_inherited(self.main.prof)    # forked from our parent
        self.pid = os.getpid()
        _main_marker.main = True
        self.main = None
        self.threads = {}
        self.thread_count = 0
        self.saving = False
        self.pending_signal = None
        self.outcome = None
        self.sampler = None                    # a forked child's copy is its parent's
        meta = {
            FORMAT: META_FORMAT, KIND: KIND_PROCESS, PID: self.pid, PPID: os.getppid(),
            ROLE: role, NAME: name, PYTHON: python_version(),
            "executable": sys.executable, STATUS: STATUS_RUNNING, PROFILE: None,
            STARTED: time.time(), "thread": threading.current_thread().name,
            THREAD_TIMES: THREAD_TIMES_SHARED if self.profilers.shared else "exact",
            MODE: self.mode,
        }
        if extra:
            meta.update(extra)
        self.main = _Record(self, self._claim(str(self.pid), meta), meta)
        if start_profile:
            self.start_profile()
        return self.main

    def start_profile(self):
        # The sampler first: its set-up calls are then outside the profile.
        if self.mode != MODE_EXACT and self.sampler is None:
            # A process-wide cProfile (3.12+) would see a sampling thread's calls.
            self.sampler = sampling.Sampler(
                self.sample_clock, self.sample_interval,
                thread_ok=not (self.exact and self.profilers.shared),
                skip_threads=self.skip_threads)
            try:
                self.sampler.start()
            except (OSError, ValueError, RuntimeError):
                self.sampler = None
            else:
                if self.sampler.timer == "itimer":
                    guard_timer_signal()
        if self.main.prof is None and self.exact:
            self.main.prof = self.profilers.start()

    def sampler_here(self):
        """This process' running sampler, or None."""
        sampler = self.sampler
        if sampler is not None and sampler.pid == os.getpid():
            return sampler
        return None

    def _save_samples(self, rec):
        """Stop sampling and write ``<base>.samples`` (named in the meta)."""
        sampler = self.sampler_here()
        if sampler is None or rec.meta.get(SAMPLES):
            return
        sampler.stop()
        name = rec.base + ".samples"
        try:
            sampler.save(rec.path(".samples"), write_atomic)
        except OSError as error:
            report_save_error("the stack samples could not be saved", error)
            return
        rec.meta[SAMPLES] = name

    def stop_profile(self, keep_for_threads=True):
        """The main code has ended: stop profiling the main thread (its profile is saved
        by ``end_process``), unless one profiler sees every thread and threads still run
        (``keep_for_threads``: a script's process, which saves at exit).

        A shared profiler keeps one call stack for all threads; disabling it while threads
        are inside calls flushes that stack and can miscount them.  So it runs on until
        the final save, and this check makes no call it would record.
        """
        if self.main is None or self.main.prof is None or self.main.stopped:
            return
        if keep_for_threads and self.profilers.shared and _threads_besides_main_call_free():
            return
        self.profilers.stop(self.main.prof)
        self.main.stopped = True

    def finish_at_exit(self, status, exit_code=None, message=""):
        """The main code is done: save once the interpreter has joined its threads.
        ``status`` None: the script raised ``SystemExit(exit_code)``.

        Python waits for non-daemon threads (and ``ThreadPoolExecutor`` workers) after
        the main code, then runs ``atexit`` callbacks; ours, registered first, runs last
        and saves (see ``save_at_exit``).  While threads are still running, the main
        thread's profiler runs on: with one profiler per process (3.12+) it is the one
        that counts their calls, and the main thread's wait for them is real time.
        """
        self.outcome = (status, exit_code, message)
        rec = self.main
        if rec is not None and rec.prof is not None and rec.stopped and _other_threads_alive():
            self.profilers.resume(rec.prof)
            rec.stopped = False

    def pause_profile(self):
        """Disable the main thread's profiler while we print (see ``stop_profile``)."""
        rec = self.main
        if rec is not None and rec.prof is not None and not rec.stopped:
            self.profilers.stop(rec.prof)
            rec.stopped = True

    def end_process(self, status, exit_code=None, message=""):
        """Save this process' (main thread's) profile and any thread still running."""
        rec = self.main
        if rec is None or rec.done or self.pid != os.getpid():
            return
        self.saving = True
        try:
            # Per-thread profilers (up to 3.11) can only be disabled from their own thread:
            # from another one, save a snapshot of the main thread's.
            snapshot = not self.profilers.shared and _in_other_thread()
            sampler = self.sampler_here()
            if sampler is not None:
                sampler.stop()
            if rec.prof is not None and not snapshot and not rec.stopped:
                self.profilers.stop(rec.prof)
                rec.stopped = True
            self._save_samples(rec)        # once the profiler no longer records
            if self.profilers.shared:
                rec.meta[THREADS] = self.thread_count
                running = _other_threads_alive()
                if running:
                    rec.meta["threads_running"] = running
            if rec.prof is not None:
                rec.save(status, exit_code, message, snapshot=snapshot)
            else:
                rec.end(status, exit_code, message)
            self.save_running_threads()
        finally:
            self.saving = False
        if self.pending_signal == getattr(signal, "SIGTERM", None):
            die_of(self.pending_signal)      # terminated while saving: now die of it

    def note_launched(self, process):
        """Record, in the parent, a multiprocessing child it just started."""
        pid = getattr(process, "pid", None)
        if not isinstance(pid, int) or self.pid != os.getpid():
            return
        write_json(os.path.join(self.out_dir, "%d.launched.json" % pid), {
            FORMAT: META_FORMAT, KIND: KIND_LAUNCHED, PID: pid, PPID: self.pid,
            NAME: getattr(process, "name", "") or "", STARTED: time.time()})

    def sampling_options(self):
        """(mode, clock, interval), as a child process is given them."""
        return (self.mode, self.sample_clock, self.sample_interval)

    def set_meta(self, **fields):
        if self.main is not None:
            self.main.meta.update(fields)
            self.main.write_meta()

    # -- threads -----------------------------------------------------------------------------
    def begin_thread(self, thread):
        self.thread_count += 1
        if self.profilers.shared or not self.exact:
            return None                  # the process' profiler (or sampler) sees this thread
        ident = _thread.get_ident()
        meta = {
            FORMAT: META_FORMAT, KIND: KIND_THREAD, PID: self.pid, PPID: os.getppid(),
            ROLE: "thread %s" % thread.name, NAME: thread.name, INDEX: self.thread_count,
            PYTHON: python_version(), "executable": sys.executable, STATUS: STATUS_RUNNING,
            PROFILE: None, STARTED: time.time(), "daemon": bool(thread.daemon),
        }
        rec = _Record(self, self._claim("%d-t%d" % (self.pid, self.thread_count), meta),
                      meta, ident)
        self.threads[ident] = rec
        rec.prof = self.profilers.start(main_thread=False)
        return rec

    def end_thread(self, rec):
        self.profilers.stop(rec.prof)
        self.threads.pop(rec.ident, None)
        rec.save(STATUS_OK)

    def save_running_threads(self):
        """Save what threads still running (daemon threads at exit) did so far."""
        for ident, rec in list(self.threads.items()):
            if ident == _thread.get_ident():
                continue
            self.profilers.stop(rec.prof, ident)
            self.threads.pop(ident, None)
            try:
                rec.save(STATUS_PARTIAL, message="a daemon thread still running when its "
                         "process ended: what it did up to then", snapshot=True)
            except Exception:
                pass

    # -- files -------------------------------------------------------------------------------
    def _claim(self, base, meta):
        """Create ``base.json`` holding ``meta`` in one step (never empty, never half
        written); another name when a pid was reused within the run."""
        name, n = base, 1
        tmp = os.path.join(self.out_dir, "%s.%d.claim" % (base, os.getpid()))
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f)
        try:
            while True:
                try:
                    os.link(tmp, os.path.join(self.out_dir, name + ".json"))
                    return name
                except FileExistsError:
                    n += 1
                    name = "%s-%d" % (base, n)
                except OSError:           # no hard links here: create, then fill
                    try:
                        fd = os.open(os.path.join(self.out_dir, name + ".json"),
                                     os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                    except FileExistsError:
                        n += 1
                        name = "%s-%d" % (base, n)
                        continue
                    os.close(fd)
                    os.replace(tmp, os.path.join(self.out_dir, name + ".json"))
                    return name
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def save_at_exit():
    """The last ``atexit`` callback: save the process whose main code has ended, once
    Python has joined its non-daemon threads."""
    st = current.tracker
    if st is not None and st.pid == os.getpid() and st.main is not None and not st.main.done:
        ended = (STATUS_ERROR, None, "ended unexpectedly")
        status, exit_code, message = st.outcome or ended
        if status is None:                    # left through SystemExit(exit_code)
            exit_code = _exit_code(exit_code)
            status = STATUS_OK if exit_code == 0 else STATUS_ERROR
        try:
            st.end_process(status, exit_code, message)
        except OSError as error:
            report_save_error("the profile could not be saved", error)


def _exit_code(code):
    """The process exit code ``SystemExit(code)`` gives, as Python computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def report_save_error(what, error):
    """A full or read-only disk is one line on stderr, not a traceback (the script's own
    exit status and output are kept as they are)."""
    where = " (%s)" % error.filename if getattr(error, "filename", None) else ""
    sys.stderr.write("spyder-callgrind: %s: %s%s\n" % (what, error.strerror or error, where))
    sys.stderr.flush()


def patch_os_exit():
    """``os._exit`` skips ``atexit``: save the process first (coverage.py does the same).
    A multiprocessing child reaches it after its bootstrap saved it: nothing to do."""
    original = os._exit
    if getattr(original, "__wrapped__", None) is not None:
        return

    def _exit(status):
        st = current.tracker
        if st is not None and st.pid == os.getpid() and st.main is not None \
                and not st.main.done:
            try:
                st.end_process(STATUS_OK if status == 0 else STATUS_ERROR, status,
                               "" if status == 0 else "left through os._exit(%s)" % status)
            except Exception:
                pass
        original(status)
    _exit.__wrapped__ = original
    os._exit = _exit
