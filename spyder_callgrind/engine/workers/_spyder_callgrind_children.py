"""Profile every thread and child process of a profiled script; save each one safely.

Imported by ``profile_script.py`` in the user's interpreter (Python 3.9-3.13, stdlib only).
The odd module name cannot clash with a user's module: spawned children import it by name.

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
that died before it could save: the caller reports it lost instead of dropping it.

How children are followed:

* ``multiprocessing`` (fork, spawn, forkserver; ``Pool``, ``Process``,
  ``ProcessPoolExecutor``): ``BaseProcess._bootstrap`` is patched to profile the child from
  the start of its bootstrap to its end, so a pool worker's time unpickling tasks and
  pickling results is in its profile.  A spawned or forkserver child starts with a fresh
  interpreter: a "stowaway" added to ``spawn.get_preparation_data`` is unpickled in the
  child before anything else and re-applies the patch there (coverage.py's trick).
* Threads: ``threading.Thread._bootstrap_inner`` is patched to give each thread its own
  profiler (see ``_Profilers`` for why that differs on 3.12+).
* A pool's ``terminate()`` sends SIGTERM: children get a SIGTERM handler that saves and then
  dies of SIGTERM as the parent expects.  Saving writes a temporary file and renames it, and
  a signal arriving during a save is postponed until the save is done.
* A child is started with SIGTERM blocked (the mask is inherited through fork and exec) and
  unblocks it once its handler and its meta are in place: a pool that terminates a worker
  still starting up (it happens when one worker takes every task) gets a profiled worker,
  not one that vanished without a trace.
"""

import _thread
import atexit
import cProfile
import json
import os
import signal
import sys
import threading
import time

import _spyder_callgrind_sampler as sampling
from _spyder_callgrind_protocol import META_FORMAT, SUBPROCESS_ENV  # noqa: F401 (re-exported)

#: Attribute set on ``multiprocessing.process`` once it is patched (never patch twice).
PATCHED_MARKER = "_spyder_callgrind_patched"
#: Key of our stowaway in multiprocessing's preparation data.
STOWAWAY_KEY = "spyder_callgrind"
#: What a run records: cProfile's exact counts, stack samples, or both (the default).
MODES = ("exact", "sample", "both")

_WORKERS_DIR = os.path.dirname(os.path.abspath(__file__))

#: The tracker of this process (inherited as a stale copy by forked children).
_state = None
#: The profiled script's folder (``sys.path[0]`` of the script); None when unknown.
_script_folder = None

#: Modules that must stay single: a second copy would break the running interpreter.
_NEVER_FORGET = frozenset({"threading", "_spyder_callgrind_children", "__main__"})


def forget_shadowed(folder, before):
    """Forget the modules imported since ``before`` that a module in ``folder`` shadows.

    Plain ``python script.py`` imports the script's own ``json.py`` or ``signal.py``; our
    imports, made before the script's folder is on ``sys.path``, must not change that.  We
    keep our references to the standard modules; the script imports its own on first use.
    """
    if not folder:
        return
    from importlib.machinery import PathFinder
    verdicts = {}
    for name in list(sys.modules):
        if name in before:
            continue
        top = name.partition(".")[0]
        if top in _NEVER_FORGET:
            continue
        if top not in verdicts:
            try:
                spec = PathFinder.find_spec(top, [folder])
            except (ImportError, OSError, ValueError):
                spec = None
            verdicts[top] = spec is not None and spec.loader is not None
        if verdicts[top]:
            del sys.modules[name]


def _python_version():
    return "%d.%d.%d" % sys.version_info[:3]


def _write_atomic(path, write):
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


def _write_json(path, data):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
    _write_atomic(path, write)


class _Profilers:
    """How the threads of one process are profiled, always by cProfile's own C code.

    Up to 3.11 cProfile hooks ``PyEval_SetProfile``, which is per thread: each thread
    enables its own ``Profile`` and its times are exact (``per_thread``).

    From 3.12 cProfile uses ``sys.monitoring``, whose events are global to the interpreter
    and whose profiler tool id one profiler holds at a time: a second ``Profile`` cannot be
    enabled.  By default (``shared``) the process has one enabled ``Profile`` that sees the
    calls of every thread, exactly as ``python -m cProfile`` does: call counts are exact,
    no Python code runs per event, and it costs what cProfile costs.  Its single call stack
    cannot tell interleaved threads apart, so while threads run at the same time their
    times can be attributed across them; the run says so.

    ``exact_threads`` (an explicit option, 3.12+ only) keeps exact per-thread times: the
    tool id is claimed once and small Python callbacks hand each event to the (never
    enabled) ``Profile`` of the thread it happened in.  That Python call per event costs
    several times cProfile's own overhead, and its run time lands inside the measured
    functions, so it is never the default.
    """

    MONITORING = sys.version_info >= (3, 12)

    def __init__(self, exact_threads=False):
        self.dispatch = self.MONITORING and exact_threads
        #: One profiler sees every thread of the process (3.12+ default).
        self.shared = self.MONITORING and not exact_threads
        self.by_thread = {}          # thread ident -> Profile (dispatch only)
        self._installed = False

    def start(self, main_thread=True):
        """A new enabled profiler for this thread; None for a thread when ``shared``
        (the process' profiler already sees it)."""
        if self.shared and not main_thread:
            return None
        prof = cProfile.Profile()
        if self.dispatch:
            self._install()
            self.by_thread[_thread.get_ident()] = prof
        else:
            prof.enable()
        return prof

    def resume(self, prof):
        """Enable again a profiler of this thread that ``stop`` disabled."""
        if self.dispatch:
            self.by_thread[_thread.get_ident()] = prof
        else:
            prof.enable()

    def stop(self, prof, ident=None):
        """Stop feeding ``prof``; ``ident`` for another thread's profiler."""
        if self.dispatch:
            ident = _thread.get_ident() if ident is None else ident
            if self.by_thread.get(ident) is prof:
                del self.by_thread[ident]
        elif ident is None:
            prof.disable()

    def forget_inherited(self, inherited):
        """In a forked child: drop the profilers copied from the parent (``inherited``:
        the parent's process profiler, a stale copy)."""
        if self.dispatch:
            self.by_thread.clear()      # same dict object: the callbacks keep using it
        elif self.shared:
            if inherited is not None:
                try:
                    inherited.disable()  # gives the monitoring tool id back
                except Exception:
                    pass
        else:
            sys.setprofile(None)        # the forking thread's inherited profiler hook

    def _install(self):
        if self._installed:
            return
        mon = sys.monitoring
        ev = mon.events
        table = (
            (ev.PY_START, "_pystart_callback"), (ev.PY_RESUME, "_pystart_callback"),
            (ev.PY_THROW, "_pystart_callback"), (ev.PY_RETURN, "_pyreturn_callback"),
            (ev.PY_YIELD, "_pyreturn_callback"), (ev.PY_UNWIND, "_pyreturn_callback"),
            (ev.CALL, "_ccall_callback"), (ev.C_RETURN, "_creturn_callback"),
            (ev.C_RAISE, "_creturn_callback"),
        )
        tool = mon.PROFILER_ID
        mon.use_tool_id(tool, "spyder-callgrind")
        mask = 0
        for event, method in table:
            mon.register_callback(tool, event, self._dispatcher(method))
            mask |= event
        mon.set_events(tool, mask)
        self._installed = True

    def _dispatcher(self, method):
        get = self.by_thread.get
        ident = _thread.get_ident

        def dispatch(*args):
            prof = get(ident())
            if prof is not None:
                return getattr(prof, method)(*args)
        return dispatch


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
        _write_json(self.path(".json"), self.meta)

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
                import marshal
                with open(tmp, "wb") as f:
                    marshal.dump(prof.stats, f)
            else:
                prof.dump_stats(tmp)
        _write_atomic(self.path(".prof"), write)
        self.meta.update(status=status, profile=profile_name, ended=time.time())
        if exit_code is not None:
            self.meta["exit_code"] = exit_code
        if message:
            self.meta["message"] = message
        self.write_meta()


class Tracker:
    """The profiling state of one process: its main record and its threads' records."""

    def __init__(self, out_dir, follow=True, exact_threads=False, mode="exact",
                 sample_clock="wall", sample_interval=sampling.DEFAULT_INTERVAL):
        self.out_dir = out_dir
        self.follow = follow
        self.exact_threads = exact_threads
        self.mode = mode if mode in MODES else "both"
        #: cProfile runs (modes "exact" and "both")
        self.exact = self.mode != "sample"
        self.sample_clock = sample_clock
        self.sample_interval = sample_interval
        self.sampler = None
        #: idents of threads never sampled (see ``Sampler``)
        self.skip_threads = ()
        self.profilers = _Profilers(exact_threads)
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
            "format": META_FORMAT, "kind": "process", "pid": self.pid, "ppid": os.getppid(),
            "role": role, "name": name, "python": _python_version(),
            "executable": sys.executable, "status": "running", "profile": None,
            "started": time.time(), "thread": threading.current_thread().name,
            "thread_times": "shared" if self.profilers.shared else "exact",
            "mode": self.mode,
        }
        if extra:
            meta.update(extra)
        self.main = _Record(self, self._claim(str(self.pid), meta), meta)
        if start_profile:
            self.start_profile()
        return self.main

    def start_profile(self):
        # The sampler first: its set-up calls are then outside the profile.
        if self.mode != "exact" and self.sampler is None:
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
        if sampler is None or rec.meta.get("samples"):
            return
        sampler.stop()
        name = rec.base + ".samples"
        try:
            sampler.save(rec.path(".samples"), _write_atomic)
        except OSError as error:
            report_save_error("the stack samples could not be saved", error)
            return
        rec.meta["samples"] = name

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
        and saves (see ``_save_at_exit``).  While threads are still running, the main
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
                rec.meta["threads"] = self.thread_count
                running = _other_threads_alive()
                if running:
                    rec.meta["threads_running"] = running
            if rec.prof is not None:
                rec.save(status, exit_code, message, snapshot=snapshot)
            else:
                rec.done = True
                rec.meta.update(status=status, ended=time.time())
                if exit_code is not None:
                    rec.meta["exit_code"] = exit_code
                if message:
                    rec.meta["message"] = message
                rec.write_meta()
            self.save_running_threads()
        finally:
            self.saving = False
        if self.pending_signal == getattr(signal, "SIGTERM", None):
            _die_of(self.pending_signal)      # terminated while saving: now die of it

    def note_launched(self, process):
        """Record, in the parent, a multiprocessing child it just started."""
        pid = getattr(process, "pid", None)
        if not isinstance(pid, int) or self.pid != os.getpid():
            return
        _write_json(os.path.join(self.out_dir, "%d.launched.json" % pid), {
            "format": META_FORMAT, "kind": "launched", "pid": pid, "ppid": self.pid,
            "name": getattr(process, "name", "") or "", "started": time.time()})

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
            "format": META_FORMAT, "kind": "thread", "pid": self.pid, "ppid": os.getppid(),
            "role": "thread %s" % thread.name, "name": thread.name, "index": self.thread_count,
            "python": _python_version(), "executable": sys.executable, "status": "running",
            "profile": None, "started": time.time(), "daemon": bool(thread.daemon),
        }
        rec = _Record(self, self._claim("%d-t%d" % (self.pid, self.thread_count), meta),
                      meta, ident)
        self.threads[ident] = rec
        rec.prof = self.profilers.start(main_thread=False)
        return rec

    def end_thread(self, rec):
        self.profilers.stop(rec.prof)
        self.threads.pop(rec.ident, None)
        rec.save("ok")

    def save_running_threads(self):
        """Save what threads still running (daemon threads at exit) did so far."""
        for ident, rec in list(self.threads.items()):
            if ident == _thread.get_ident():
                continue
            self.profilers.stop(rec.prof, ident)
            self.threads.pop(ident, None)
            try:
                rec.save("partial", message="a daemon thread still running when its "
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


# -- signals -----------------------------------------------------------------------------------
def _die_of(signum):
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _on_sigterm(signum, frame):
    """Save the profile, then die of SIGTERM as the sender (``Pool.terminate``) expects."""
    st = _state
    if st is None or st.pid != os.getpid() or st.main is None:
        _die_of(signum)
        return
    if st.saving:
        st.pending_signal = signum
        return
    if not st.main.done:
        try:
            st.end_process("terminated", -signum, "terminated by SIGTERM")
        except Exception:
            pass
    _die_of(signum)


def _on_sigint(signum, frame):
    """KeyboardInterrupt, except while a profile is being saved (then it waits)."""
    st = _state
    if st is not None and st.pid == os.getpid() and st.saving:
        st.pending_signal = signum
        return
    raise KeyboardInterrupt


def install_sigint_handler():
    """Started from a background job, Python leaves SIGINT ignored: Stop must still work."""
    signal.signal(signal.SIGINT, _on_sigint)
    if hasattr(signal, "SIGBREAK"):       # Windows: the runner's Stop is CTRL_BREAK_EVENT
        signal.signal(signal.SIGBREAK, _on_sigint)


def install_sigterm_handler(watch=True):
    """``watch``: also start the watcher below (children only: in the main process it
    would make every script multi-threaded, which 3.12+ warns about at fork, and a stuck
    main process is killed by the runner's Stop anyway)."""
    if hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
        if watch:
            _watch_sigterm()


#: Python can block signals per thread (not on Windows, where terminate() sends no signal).
_CAN_HOLD = hasattr(signal, "pthread_sigmask") and hasattr(signal, "SIGTERM")
#: In a child started with SIGTERM held by us: unblock it once the handler is in place.
_release_pending = False


def _user_blocks_sigterm():
    """True when the user's own code blocks SIGTERM in this thread (we leave that alone)."""
    if not _CAN_HOLD:
        return True
    stack = getattr(_holding, "stack", None)
    if stack:
        return stack[-1]
    return signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, [])


#: Per thread, while it starts a child: a stack of "SIGTERM was blocked already".
_holding = threading.local()


def _hold_sigterm_while(owner, name, tracker_first=False):
    """Run ``owner.name`` (what starts a child) with SIGTERM blocked in this thread, so the
    child starts with it blocked.  ``tracker_first``: start multiprocessing's resource
    tracker before (starting it would unblock SIGTERM in the middle)."""
    original = getattr(owner, name, None)
    if original is None or getattr(original, "__wrapped__", None) is not None:
        return

    def held(*args, **kwargs):
        global _release_pending
        if tracker_first:
            try:
                from multiprocessing import resource_tracker
                resource_tracker.ensure_running()
            except Exception:
                pass
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        already = signal.SIGTERM in old
        stack = _holding.__dict__.setdefault("stack", [])
        stack.append(already)
        before = _release_pending
        _release_pending = not already      # inherited by a forked child
        try:
            return original(*args, **kwargs)
        finally:
            _release_pending = before
            stack.pop()
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
    held.__wrapped__ = original
    setattr(owner, name, held)


def _hold_sigterm_at_child_start():
    """Wrap what starts multiprocessing children (fork and spawn) and the forkserver, whose
    forked children inherit its mask."""
    if not _CAN_HOLD:
        return
    try:
        from multiprocessing import popen_fork
        _hold_sigterm_while(popen_fork.Popen, "_launch")
    except ImportError:
        pass
    try:
        from multiprocessing import popen_spawn_posix
        _hold_sigterm_while(popen_spawn_posix.Popen, "_launch", tracker_first=True)
    except ImportError:
        pass
    try:
        from multiprocessing import forkserver
        _hold_sigterm_while(forkserver.ForkServer, "ensure_running", tracker_first=True)
    except ImportError:
        pass


def _release_sigterm():
    """In a child: unblock the SIGTERM held since its start (a pending one is handled now)."""
    global _release_pending
    _holding.stack = []                 # a forked child: not starting anything itself
    if _release_pending and _CAN_HOLD:
        _release_pending = False
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


_wakeup_w = None


def _mute_inherited_wakeup():
    """A forked child must not write its signals into its parent's wakeup pipe (the
    parent's watcher would take them for its own) until it sets up its own."""
    if _wakeup_w is not None:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, _wakeup_w)
            os.close(null)
        except OSError:
            pass


def _watch_sigterm():
    """Make sure the Python-level SIGTERM handler runs even if the signal lands badly.

    Python runs signal handlers in the main thread between bytecodes; a signal arriving
    just before a blocking call (a pool worker waiting on its queue's semaphore) is noted
    but its handler waits for the *next* interruption, which may never come: the worker
    neither saves nor dies and ``Pool.terminate()`` joins it forever (seen about once in
    40 runs).  The C handler also writes the signal number to a wakeup fd; a helper thread
    reading it re-sends SIGTERM to the main thread until the process is gone, which
    interrupts the blocking call so the handler runs.
    """
    if not hasattr(signal, "pthread_kill") or not hasattr(os, "set_blocking"):
        return
    try:
        r, w = os.pipe()
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except (OSError, ValueError):
        return
    global _wakeup_w
    if _wakeup_w is None and hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_pause_watcher, after_in_parent=_resume_watcher,
                            after_in_child=_mute_inherited_wakeup)
    _wakeup_w = w
    _watcher.update(pid=os.getpid(), r=r, w=w, main=_thread.get_ident(), done=None,
                    terminating=False)
    _start_watcher()


#: The SIGTERM watcher of this process: its pipe, the main thread, a lock released when
#: its thread has ended (None while none runs).
_watcher = {}
#: Written into the wakeup pipe to end the watcher (signal numbers are all below it).
_STOP_WATCHER = b"\xff"


def _start_watcher():
    r, main_ident = _watcher["r"], _watcher["main"]
    term = bytes([signal.SIGTERM])
    done = _thread.allocate_lock()
    done.acquire()
    _watcher["done"] = done

    def watch():
        try:
            while True:
                try:
                    data = os.read(r, 64)
                except OSError:
                    return
                if not data:
                    return
                if term in data:
                    _watcher["terminating"] = True
                    while True:
                        try:
                            signal.pthread_kill(main_ident, signal.SIGTERM)
                        except (OSError, ValueError):
                            return
                        time.sleep(0.05)
                if _STOP_WATCHER in data:
                    return
        finally:
            done.release()
    # A bare thread: not a threading.Thread, so it is neither profiled nor joined at exit.
    _thread.start_new_thread(watch, ())


def _os_threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def _pause_watcher():
    """Before a fork: end the watcher thread, so the process forks with the threads it
    would have without us (Python 3.12+ warns when a process with threads forks)."""
    done = _watcher.get("done")
    if done is None or _watcher.get("pid") != os.getpid() or _watcher.get("terminating"):
        return
    before = _os_threads()
    try:
        os.write(_watcher["w"], _STOP_WATCHER)
    except OSError:
        return
    if not done.acquire(timeout=1.0):
        return
    _watcher["done"] = None
    # The thread's function has returned; wait (briefly) for the system thread to end too.
    deadline = time.monotonic() + 0.2
    while before is not None and time.monotonic() < deadline:
        now = _os_threads()
        if now is None or now < before:
            break
        time.sleep(0.0005)


def _resume_watcher():
    """After a fork, in the parent: the watcher again."""
    if _watcher.get("pid") == os.getpid() and _watcher.get("done") is None \
            and not _watcher.get("terminating"):
        _start_watcher()


# -- the sampler's timer signal ----------------------------------------------------------------
def _hand_over(signum):
    st = _state
    if st is not None:
        sampler = st.sampler_here()
        if sampler is not None:
            sampler.hand_over_signal(signum)


def guard_timer_signal():
    """Let the script use SIGALRM / SIGPROF and their timers as if we were not there.

    The sampler's timer takes one of those signals.  A script that installs its own
    handler, timer or ``alarm`` for it first hands it over: the sampler moves to a
    thread, then the script's call runs unchanged.  These wrappers are pass-through (what
    they call stays in the profile); the sampler's own calls use the real functions.
    """
    if getattr(signal.signal, "__wrapped__", None) is not None:
        return
    real_signal = signal.signal

    def signal_(signalnum, handler):
        _hand_over(signalnum)
        return real_signal(signalnum, handler)
    signal_.__wrapped__ = real_signal
    signal.signal = signal_
    real_setitimer = getattr(signal, "setitimer", None)
    if real_setitimer is not None:
        def setitimer(which, seconds, interval=0.0):
            if which == signal.ITIMER_REAL:
                _hand_over(signal.SIGALRM)
            elif which == signal.ITIMER_PROF:
                _hand_over(signal.SIGPROF)
            return real_setitimer(which, seconds, interval)
        setitimer.__wrapped__ = real_setitimer
        signal.setitimer = setitimer
    real_alarm = getattr(signal, "alarm", None)
    if real_alarm is not None:
        def alarm(seconds):
            _hand_over(signal.SIGALRM)
            return real_alarm(seconds)
        alarm.__wrapped__ = real_alarm
        signal.alarm = alarm


# -- multiprocessing -----------------------------------------------------------------------------
class _Stowaway:
    """Rides in multiprocessing's preparation data into spawned and forkserver children.

    The child unpickles the preparation data before it sets up ``sys.path``, imports the
    main module or bootstraps the process, so this module may not be importable yet:
    pickling ``exec`` of a short source text instead of a reference to this class lets the
    child add our folder to ``sys.path`` itself (``prepare()`` replaces ``sys.path`` right
    after, so the user's imports never see it).
    """

    def __init__(self, out_dir, name, early, release, exact_threads, sampling_options):
        self.out_dir = out_dir
        self.name = name
        self.early = early
        self.release = release
        self.exact_threads = exact_threads
        self.sampling_options = sampling_options

    def __reduce__(self):
        # The child's sys.path starts with its working folder (it runs ``python -c``):
        # our imports must not pick up a user's ``json.py`` from there.
        source = ("import sys\nbefore = set(sys.modules)\npath = sys.path[:]\n"
                  "sys.path[:] = [p for p in path if p not in ('', %r)] + [%r]\n"
                  "try:\n    import _spyder_callgrind_children as m\n"
                  "finally:\n    sys.path[:] = path\n"
                  "m.forget_shadowed(%r, before)\n"
                  "m._install_in_spawned_child(%r, %r, %r, %r, %r, %r)\n"
                  % (os.getcwd(), _WORKERS_DIR, _script_folder, self.out_dir, self.name,
                     self.early, self.release, self.exact_threads, self.sampling_options))
        return (exec, (source,))


def _install_in_spawned_child(out_dir, name="", early=True, release=False,
                              exact_threads=False, sampling_options=("exact", "wall", 0.004)):
    """Run while a spawned child unpickles its preparation data.  ``release``: it was
    started with SIGTERM held by us (unblocked once its handler is in place)."""
    global _state, _release_pending
    if _state is not None and _state.pid == os.getpid():
        return
    _release_pending = release
    mode, clock, interval = sampling_options
    _state = Tracker(out_dir, follow=True, exact_threads=exact_threads, mode=mode,
                     sample_clock=clock, sample_interval=interval)
    patch()
    if not early:
        return
    install_sigterm_handler()
    # Start now, so a spawned child's re-import of the main module is in its profile.
    _state.begin_process("worker", name)
    # A spawned child can be interrupted before its bootstrap (e.g. SIGINT while it imports
    # the main module): it still leaves through sys.exit, so save what it did then.
    _state.outcome = ("error", None, "ended before its bootstrap finished")
    atexit.register(_save_at_exit)
    _release_sigterm()


def _save_at_exit():
    """The last ``atexit`` callback: save the process whose main code has ended, once
    Python has joined its non-daemon threads."""
    st = _state
    if st is not None and st.pid == os.getpid() and st.main is not None and not st.main.done:
        status, exit_code, message = st.outcome or ("error", None, "ended unexpectedly")
        if status is None:                    # left through SystemExit(exit_code)
            exit_code = _exit_code(exit_code)
            status = "ok" if exit_code == 0 else "error"
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


def _patch_os_exit():
    """``os._exit`` skips ``atexit``: save the process first (coverage.py does the same).
    A multiprocessing child reaches it after its bootstrap saved it: nothing to do."""
    original = os._exit
    if getattr(original, "__wrapped__", None) is not None:
        return

    def _exit(status):
        st = _state
        if st is not None and st.pid == os.getpid() and st.main is not None \
                and not st.main.done:
            try:
                st.end_process("ok" if status == 0 else "error", status,
                               "" if status == 0 else "left through os._exit(%s)" % status)
            except Exception:
                pass
        original(status)
    _exit.__wrapped__ = original
    os._exit = _exit


def _after_fork_in_child():
    """A child made by a bare ``os.fork()`` is profiled as a process of its own.

    multiprocessing's own forks (``popen_fork``, the forkserver) are left to the patched
    ``_bootstrap``, which knows the process' name and role.
    """
    st = _state
    if st is None or not st.follow or st.main is None:
        return
    caller = sys._getframe(1).f_globals.get("__name__", "")
    if caller.startswith("multiprocessing."):
        return
    try:
        install_sigterm_handler(watch=False)
        st.begin_process("fork", extra={"ppid": st.pid})
    except Exception:
        pass


def _begin_child(process):
    """At the start of ``BaseProcess._bootstrap`` in the child."""
    st = _state
    if st is None:
        return None
    # The process that created it, not the forkserver that forked it.
    parent = getattr(process, "_parent_pid", None) or os.getppid()
    if st.pid == os.getpid():          # spawned child: began when the stowaway landed
        st.set_meta(name=process.name, ppid=parent)
        _release_sigterm()
        return st
    # Handler first: a forkserver child starts with the default SIGTERM action, and a
    # terminate() between writing the meta and installing it would lose the process.
    install_sigterm_handler()
    st.begin_process("worker", process.name, extra={"ppid": parent})
    _release_sigterm()                 # a terminate() that came meanwhile is handled now
    return st


def _patched_bootstrap(original):
    def _bootstrap(self, *args, **kwargs):
        st = None
        try:
            st = _begin_child(self)
        except Exception:
            st = None
        code = 1
        try:
            code = original(self, *args, **kwargs)
            return code
        finally:
            if st is not None:
                try:
                    st.end_process("ok" if code == 0 else "error",
                                   code if isinstance(code, int) else 1)
                except Exception:
                    pass
    _bootstrap.__wrapped__ = original
    return _bootstrap


def _patched_start(original):
    def start(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        st = _state
        if st is not None and st.follow:
            try:
                st.note_launched(self)
            except Exception:            # a full disk must not break the user's start()
                pass
        return result
    start.__wrapped__ = original
    return start


def _patched_thread_bootstrap(original):
    def _bootstrap_inner(self):
        st = _state
        rec = None
        if st is not None and st.follow and st.pid == os.getpid():
            try:
                rec = st.begin_thread(self)
            except Exception:
                rec = None
        try:
            original(self)
        finally:
            if rec is not None:
                try:
                    st.end_thread(rec)
                except Exception:
                    pass
    _bootstrap_inner.__wrapped__ = original
    return _bootstrap_inner


def patch_threads():
    """Profile threads started with ``threading`` while this process is tracked (once)."""
    inner = threading.Thread._bootstrap_inner
    if getattr(inner, "__wrapped__", None) is None:
        threading.Thread._bootstrap_inner = _patched_thread_bootstrap(inner)


def patch():
    """Patch multiprocessing and threading in this process (once)."""
    import multiprocessing.process as mp_process
    if getattr(mp_process, PATCHED_MARKER, False):
        return
    base = mp_process.BaseProcess
    base._bootstrap = _patched_bootstrap(base._bootstrap)
    base.start = _patched_start(base.start)
    patch_threads()
    try:
        from multiprocessing import spawn
        original_prep = spawn.get_preparation_data
    except (ImportError, AttributeError):
        pass
    else:
        def get_preparation_data(name):
            data = original_prep(name)
            st = _state
            if st is not None:
                # A forkserver child leaves through os._exit, so nothing could save a
                # profile begun before its bootstrap: it begins in _bootstrap instead.
                caller = sys._getframe(1).f_globals.get("__name__", "")
                early = not caller.endswith("forkserver")
                # Spawned: started inside a hold.  Forkserver: forked by a server that
                # was started inside one (unless the user blocks SIGTERM).
                release = _CAN_HOLD and not _user_blocks_sigterm()
                data[STOWAWAY_KEY] = _Stowaway(st.out_dir, name, early, release,
                                               st.exact_threads, st.sampling_options())
            return data
        spawn.get_preparation_data = get_preparation_data
    _hold_sigterm_at_child_start()
    _patch_os_exit()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
    setattr(mp_process, PATCHED_MARKER, True)


# -- Pythons started through subprocess -----------------------------------------------------------


def _same_python(program):
    """True when ``program`` names this interpreter (the usual ``sys.executable``)."""
    if not isinstance(program, (str, bytes, os.PathLike)):
        return False
    program = os.fsdecode(program)
    if os.path.dirname(program) == "":
        import shutil
        program = shutil.which(program) or program
    try:
        return os.path.samefile(program, sys.executable)
    except OSError:
        return False


def wrap_python_command(args, out_dir, follow=True, exact_threads=False,
                        sampling_options=("exact", "wall", sampling.DEFAULT_INTERVAL)):
    """``[python, script.py, *rest]`` run under our worker; anything else unchanged.

    Only a script file is followed: ``-c``, ``-m`` and other options are left alone, as is
    a command given as one string (which a shell would read).
    """
    if isinstance(args, (str, bytes)) or not isinstance(args, (list, tuple)):
        return args
    args = list(args)
    if len(args) < 2 or not _same_python(args[0]):
        return args
    script = os.fsdecode(args[1]) if isinstance(args[1], (bytes, os.PathLike)) else args[1]
    if not isinstance(script, str) or script.startswith("-"):
        return args
    worker = os.path.join(_WORKERS_DIR, "profile_script.py")
    wrapped = [args[0], worker, "--out", out_dir, "--role", "subprocess"]
    if not follow:
        wrapped.append("--no-children")
    if exact_threads:
        wrapped.append("--exact-threads")
    mode, clock, interval = sampling_options
    wrapped += ["--mode", mode, "--sample-clock", clock, "--sample-interval", repr(interval)]
    return wrapped + ["--"] + args[1:]


def patch_subprocess(out_dir, exact_threads=False,
                     sampling_options=("exact", "wall", sampling.DEFAULT_INTERVAL)):
    """Profile Pythons this process starts with ``subprocess`` (``Popen``, ``run``...)."""
    import subprocess
    if getattr(subprocess, PATCHED_MARKER, False):
        return
    original_init = subprocess.Popen.__init__

    def __init__(self, args, *more, **options):
        if not options.get("shell") and "executable" not in options:
            args = wrap_python_command(args, out_dir, exact_threads=exact_threads,
                                       sampling_options=sampling_options)
        original_init(self, args, *more, **options)

    subprocess.Popen.__init__ = __init__
    setattr(subprocess, PATCHED_MARKER, True)


# -- the main process -----------------------------------------------------------------------------
def start_main(out_dir, follow=True, role="main", exact_threads=False, mode="exact",
               sample_clock="wall", sample_interval=sampling.DEFAULT_INTERVAL):
    """Set up the tracker of the profiled script's process (meta written, not profiling yet).

    ``role`` is "main" for the script the user asked for, "subprocess" for a Python it
    started through ``subprocess`` (followed only when ``SUBPROCESS_ENV`` is set)."""
    global _state
    os.makedirs(out_dir, exist_ok=True)
    _state = Tracker(out_dir, follow, exact_threads, mode, sample_clock, sample_interval)
    _state.begin_process(role, "MainProcess", start_profile=False,
                         extra={"argv": list(sys.argv)})
    # Registered before the script runs, so it runs after the script's own callbacks.
    atexit.register(_save_at_exit)
    _patch_os_exit()
    if follow:
        patch()
        if os.environ.get(SUBPROCESS_ENV) == "1":
            patch_subprocess(out_dir, exact_threads, _state.sampling_options())
    install_sigint_handler()
    install_sigterm_handler(watch=False)
    return _state
