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

#: Attribute set on ``multiprocessing.process`` once it is patched (never patch twice).
PATCHED_MARKER = "_spyder_callgrind_patched"
#: Key of our stowaway in multiprocessing's preparation data.
STOWAWAY_KEY = "spyder_callgrind"
#: ``format`` field of every meta file, so readers can tell ours from other JSON files.
META_FORMAT = "spyder-callgrind-meta/1"

_WORKERS_DIR = os.path.dirname(os.path.abspath(__file__))

#: The tracker of this process (inherited as a stale copy by forked children).
_state = None


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
    """One ``cProfile.Profile`` per thread.

    Up to 3.11 cProfile hooks ``PyEval_SetProfile``, which is per thread: enabling a
    profiler in a thread profiles that thread only, so each thread simply enables its own.

    From 3.12 cProfile uses ``sys.monitoring``, whose events are global to the interpreter
    and whose profiler tool id can be held by one profiler only: one enabled Profile would
    receive the events of every thread on a single call stack (wrong counts and times as
    soon as threads interleave), and a second one cannot be enabled.  So on 3.12+ we claim
    the tool id once and register small callbacks that hand each event to the (never
    enabled) Profile of the thread it happened in, through the Profile's own
    ``_pystart_callback``-style methods.  Tested on 3.12 and 3.13: per-thread call counts
    come out exact.  Threads without a registered profiler cost one dict lookup per event.
    """

    DISPATCH = sys.version_info >= (3, 12)

    def __init__(self):
        self.by_thread = {}          # thread ident -> Profile (3.12+ dispatch only)
        self._installed = False

    def start(self):
        prof = cProfile.Profile()
        if self.DISPATCH:
            self._install()
            self.by_thread[_thread.get_ident()] = prof
        else:
            prof.enable()
        return prof

    def stop(self, prof, ident=None):
        """Stop feeding ``prof``; ``ident`` for another thread's profiler (3.12+ only)."""
        if self.DISPATCH:
            ident = _thread.get_ident() if ident is None else ident
            if self.by_thread.get(ident) is prof:
                del self.by_thread[ident]
        elif ident is None:
            prof.disable()

    def forget_inherited(self):
        """In a forked child: drop the profilers copied from the parent."""
        if self.DISPATCH:
            self.by_thread.clear()      # same dict object: the callbacks keep using it
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


class _Record:
    """A profiled process or thread: its meta, its profiler, where it is saved."""

    def __init__(self, tracker, base, meta, ident=None):
        self.tracker = tracker
        self.base = base                       # file name without extension
        self.meta = meta
        self.ident = ident
        self.prof = None
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

    def __init__(self, out_dir, follow=True):
        self.out_dir = out_dir
        self.follow = follow
        self.profilers = _Profilers()
        self.pid = None
        self.main = None
        self.threads = {}            # ident -> _Record
        self.thread_count = 0
        self.saving = False          # a signal arriving now is postponed
        self.pending_signal = None

    # -- process ---------------------------------------------------------------------------
    def begin_process(self, role, name="", start_profile=True, extra=None):
        """Claim ``<pid>.json``, write the start meta, start profiling this thread."""
        self.pid = os.getpid()
        self.main = None
        self.threads = {}
        self.thread_count = 0
        self.saving = False
        self.pending_signal = None
        meta = {
            "format": META_FORMAT, "kind": "process", "pid": self.pid, "ppid": os.getppid(),
            "role": role, "name": name, "python": _python_version(),
            "executable": sys.executable, "status": "running", "profile": None,
            "started": time.time(), "thread": threading.current_thread().name,
        }
        if extra:
            meta.update(extra)
        self.main = _Record(self, self._claim(str(self.pid), meta), meta)
        if start_profile:
            self.start_profile()
        return self.main

    def start_profile(self):
        if self.main.prof is None:
            self.main.prof = self.profilers.start()

    def stop_profile(self):
        """Stop profiling the main thread (its profile is saved by ``end_process``)."""
        if self.main is not None and self.main.prof is not None:
            self.profilers.stop(self.main.prof)

    def end_process(self, status, exit_code=None, message=""):
        """Save this process' (main thread's) profile and any thread still running."""
        rec = self.main
        if rec is None or rec.done or self.pid != os.getpid():
            return
        self.saving = True
        try:
            if rec.prof is not None:
                self.profilers.stop(rec.prof)
                rec.save(status, exit_code, message)
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

    def set_meta(self, **fields):
        if self.main is not None:
            self.main.meta.update(fields)
            self.main.write_meta()

    # -- threads -----------------------------------------------------------------------------
    def begin_thread(self, thread):
        self.thread_count += 1
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
        rec.prof = self.profilers.start()
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
                rec.save("partial", message="still running when its process ended",
                         snapshot=True)
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
        os.register_at_fork(after_in_child=_mute_inherited_wakeup)
    _wakeup_w = w
    main_ident = _thread.get_ident()
    term = bytes([signal.SIGTERM])

    def watch():
        while True:
            try:
                data = os.read(r, 64)
            except OSError:
                return
            if not data:
                return
            if term in data:
                while True:
                    try:
                        signal.pthread_kill(main_ident, signal.SIGTERM)
                    except (OSError, ValueError):
                        return
                    time.sleep(0.05)
    # A bare thread: not a threading.Thread, so it is neither profiled nor joined at exit.
    _thread.start_new_thread(watch, ())


# -- multiprocessing -----------------------------------------------------------------------------
class _Stowaway:
    """Rides in multiprocessing's preparation data into spawned and forkserver children.

    The child unpickles the preparation data before it sets up ``sys.path``, imports the
    main module or bootstraps the process, so this module may not be importable yet:
    pickling ``exec`` of a short source text instead of a reference to this class lets the
    child add our folder to ``sys.path`` itself (``prepare()`` replaces ``sys.path`` right
    after, so the user's imports never see it).
    """

    def __init__(self, out_dir, name, early, release):
        self.out_dir = out_dir
        self.name = name
        self.early = early
        self.release = release

    def __reduce__(self):
        source = ("import sys\nsys.path.append(%r)\nimport _spyder_callgrind_children as m\n"
                  "m._install_in_spawned_child(%r, %r, %r, %r)\n"
                  % (_WORKERS_DIR, self.out_dir, self.name, self.early, self.release))
        return (exec, (source,))


def _install_in_spawned_child(out_dir, name="", early=True, release=False):
    """Run while a spawned child unpickles its preparation data.  ``release``: it was
    started with SIGTERM held by us (unblocked once its handler is in place)."""
    global _state, _release_pending
    if _state is not None and _state.pid == os.getpid():
        return
    _release_pending = release
    _state = Tracker(out_dir, follow=True)
    patch()
    if not early:
        return
    install_sigterm_handler()
    # Start now, so a spawned child's re-import of the main module is in its profile.
    _state.begin_process("worker", name)
    # A spawned child can be interrupted before its bootstrap (e.g. SIGINT while it imports
    # the main module): it still leaves through sys.exit, so save what it did then.
    atexit.register(_save_at_exit)
    _release_sigterm()


def _save_at_exit():
    st = _state
    if st is not None and st.pid == os.getpid() and st.main is not None and not st.main.done:
        st.end_process("error", message="ended before its bootstrap finished")


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
    st.profilers.forget_inherited()    # forked child: drop the parent's profilers
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


def patch():
    """Patch multiprocessing and threading in this process (once)."""
    import multiprocessing.process as mp_process
    if getattr(mp_process, PATCHED_MARKER, False):
        return
    base = mp_process.BaseProcess
    base._bootstrap = _patched_bootstrap(base._bootstrap)
    base.start = _patched_start(base.start)
    threading.Thread._bootstrap_inner = _patched_thread_bootstrap(
        threading.Thread._bootstrap_inner)
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
                data[STOWAWAY_KEY] = _Stowaway(st.out_dir, name, early, release)
            return data
        spawn.get_preparation_data = get_preparation_data
    _hold_sigterm_at_child_start()
    setattr(mp_process, PATCHED_MARKER, True)


# -- Pythons started through subprocess -----------------------------------------------------------
#: Set to "1" in the profiled script's environment to follow ``[sys.executable, "x.py"]``.
SUBPROCESS_ENV = "SPYDER_CALLGRIND_SUBPROCESSES"


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


def wrap_python_command(args, out_dir, follow=True):
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
    return wrapped + ["--"] + args[1:]


def patch_subprocess(out_dir):
    """Profile Pythons this process starts with ``subprocess`` (``Popen``, ``run``...)."""
    import subprocess
    if getattr(subprocess, PATCHED_MARKER, False):
        return
    original_init = subprocess.Popen.__init__

    def __init__(self, args, *more, **options):
        if not options.get("shell") and "executable" not in options:
            args = wrap_python_command(args, out_dir)
        original_init(self, args, *more, **options)

    subprocess.Popen.__init__ = __init__
    setattr(subprocess, PATCHED_MARKER, True)


# -- the main process -----------------------------------------------------------------------------
def start_main(out_dir, follow=True, role="main"):
    """Set up the tracker of the profiled script's process (meta written, not profiling yet).

    ``role`` is "main" for the script the user asked for, "subprocess" for a Python it
    started through ``subprocess`` (followed only when ``SUBPROCESS_ENV`` is set)."""
    global _state
    os.makedirs(out_dir, exist_ok=True)
    _state = Tracker(out_dir, follow)
    _state.begin_process(role, "MainProcess", start_profile=False,
                         extra={"argv": list(sys.argv)})
    if follow:
        patch()
        atexit.register(_save_daemon_threads)
        if os.environ.get(SUBPROCESS_ENV) == "1":
            patch_subprocess(out_dir)
    install_sigint_handler()
    install_sigterm_handler(watch=False)
    return _state


def _save_daemon_threads():
    st = _state
    if st is not None and st.pid == os.getpid():
        st.save_running_threads()
