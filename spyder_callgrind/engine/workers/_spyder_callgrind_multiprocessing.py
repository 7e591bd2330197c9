"""Profile the children that ``multiprocessing`` starts (fork, spawn, forkserver; ``Pool``,
``Process``, ``ProcessPoolExecutor``), as coverage.py's ``multiproc.py`` does for coverage.

``BaseProcess._bootstrap`` is patched to profile the child from the start of its bootstrap
to its end, so a pool worker's time unpickling tasks and pickling results is in its
profile.  A spawned or forkserver child starts with a fresh interpreter: a "stowaway"
added to ``spawn.get_preparation_data`` is unpickled in the child before anything else and
re-applies the patch there.  A child made by a bare ``os.fork()`` is profiled too.
``PATCHED_MARKER`` on ``multiprocessing.process`` says it is patched already.

Stdlib only, Python 3.9-3.13.
"""

import atexit
import os
import sys

from _spyder_callgrind_protocol import (
    NAME, PPID, ROLE_FORK, ROLE_WORKER, STATUS_ERROR, STATUS_OK)
from _spyder_callgrind_signals import (
    CAN_HOLD, hold_sigterm_at_child_start, install_sigterm_handler, release_sigterm,
    user_blocks_sigterm)
from _spyder_callgrind_state import PATCHED_MARKER, WORKERS_DIR, current
from _spyder_callgrind_threads import patch_threads
from _spyder_callgrind_tracker import Tracker, patch_os_exit, save_at_exit

#: Key of our stowaway in multiprocessing's preparation data.
STOWAWAY_KEY = "spyder_callgrind"


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
                  "try:\n    import _spyder_callgrind_multiprocessing as m\n"
                  "    import _spyder_callgrind_shadowed as s\n"
                  "finally:\n    sys.path[:] = path\n"
                  "s.forget_shadowed(%r, before)\n"
                  "m.install_in_spawned_child(%r, %r, %r, %r, %r, %r)\n"
                  % (os.getcwd(), WORKERS_DIR, current.script_folder, self.out_dir, self.name,
                     self.early, self.release, self.exact_threads, self.sampling_options))
        return (exec, (source,))


def install_in_spawned_child(out_dir, name="", early=True, release=False,
                             exact_threads=False, sampling_options=("exact", "wall", 0.004)):
    """Run while a spawned child unpickles its preparation data.  ``release``: it was
    started with SIGTERM held by us (unblocked once its handler is in place)."""
    st = current.tracker
    if st is not None and st.pid == os.getpid():
        return
    current.release_pending = release
    mode, clock, interval = sampling_options
    st = current.tracker = Tracker(out_dir, follow=True, exact_threads=exact_threads,
                                   mode=mode, sample_clock=clock, sample_interval=interval)
    patch()
    if not early:
        return
    install_sigterm_handler()
    # Start now, so a spawned child's re-import of the main module is in its profile.
    st.begin_process(ROLE_WORKER, name)
    # A spawned child can be interrupted before its bootstrap (e.g. SIGINT while it imports
    # the main module): it still leaves through sys.exit, so save what it did then.
    st.outcome = (STATUS_ERROR, None, "ended before its bootstrap finished")
    atexit.register(save_at_exit)
    release_sigterm()


def _after_fork_in_child():
    """A child made by a bare ``os.fork()`` is profiled as a process of its own.

    multiprocessing's own forks (``popen_fork``, the forkserver) are left to the patched
    ``_bootstrap``, which knows the process' name and role.
    """
    st = current.tracker
    if st is None or not st.follow or st.main is None:
        return
    caller = sys._getframe(1).f_globals.get("__name__", "")
    if caller.startswith("multiprocessing."):
        return
    try:
        install_sigterm_handler(watch=False)
        st.begin_process(ROLE_FORK, extra={PPID: st.pid})
    except Exception:
        pass


def _begin_child(process):
    """At the start of ``BaseProcess._bootstrap`` in the child."""
    st = current.tracker
    if st is None:
        return None
    # The process that created it, not the forkserver that forked it.
    parent = getattr(process, "_parent_pid", None) or os.getppid()
    if st.pid == os.getpid():          # spawned child: began when the stowaway landed
        st.set_meta(**{NAME: process.name, PPID: parent})
        release_sigterm()
        return st
    # Handler first: a forkserver child starts with the default SIGTERM action, and a
    # terminate() between writing the meta and installing it would lose the process.
    install_sigterm_handler()
    st.begin_process(ROLE_WORKER, process.name, extra={PPID: parent})
    release_sigterm()                 # a terminate() that came meanwhile is handled now
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
                    st.end_process(STATUS_OK if code == 0 else STATUS_ERROR,
                                   code if isinstance(code, int) else 1)
                except Exception:
                    pass
    _bootstrap.__wrapped__ = original
    return _bootstrap


def _patched_start(original):
    def start(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        st = current.tracker
        if st is not None and st.follow:
            try:
                st.note_launched(self)
            except Exception:            # a full disk must not break the user's start()
                pass
        return result
    start.__wrapped__ = original
    return start


def patch():
    """Patch multiprocessing and threading in this process (once)."""
    # Here, not at the top: a run with --no-children (and the console) never loads it.
    import multiprocessing.process as mp_process
    if getattr(mp_process, PATCHED_MARKER, False):
        return
    base = mp_process.BaseProcess
    base._bootstrap = _patched_bootstrap(base._bootstrap)
    base.start = _patched_start(base.start)
    patch_threads()
    try:
        from multiprocessing import spawn    # may be missing where it cannot work
        original_prep = spawn.get_preparation_data
    except (ImportError, AttributeError):
        pass
    else:
        def get_preparation_data(name):
            data = original_prep(name)
            st = current.tracker
            if st is not None:
                # A forkserver child leaves through os._exit, so nothing could save a
                # profile begun before its bootstrap: it begins in _bootstrap instead.
                caller = sys._getframe(1).f_globals.get("__name__", "")
                early = not caller.endswith("forkserver")
                # Spawned: started inside a hold.  Forkserver: forked by a server that
                # was started inside one (unless the user blocks SIGTERM).
                release = CAN_HOLD and not user_blocks_sigterm()
                data[STOWAWAY_KEY] = _Stowaway(st.out_dir, name, early, release,
                                               st.exact_threads, st.sampling_options())
            return data
        spawn.get_preparation_data = get_preparation_data
    hold_sigterm_at_child_start()
    patch_os_exit()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
    setattr(mp_process, PATCHED_MARKER, True)
