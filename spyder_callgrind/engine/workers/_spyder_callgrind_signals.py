"""Signals around a profiled process: save on SIGTERM and SIGINT, never lose a child to a
badly timed SIGTERM, and leave the script the sampler's timer signal.

* A pool's ``terminate()`` sends SIGTERM: children get a handler that saves and then dies
  of SIGTERM as the parent expects.  A signal arriving during a save is postponed until
  the save is done (``Tracker.saving``).
* A child is started with SIGTERM blocked (the mask is inherited through fork and exec) and
  unblocks it once its handler and its meta are in place: a pool that terminates a worker
  still starting up (it happens when one worker takes every task) gets a profiled worker,
  not one that vanished without a trace.
* A watcher thread makes sure the handler runs even when SIGTERM lands just before a
  blocking call (see ``_watch_sigterm``).

Stdlib only, Python 3.9-3.13; each trick is skipped where the platform lacks it (Windows
sends no SIGTERM on ``terminate()``).
"""

import _thread
import os
import signal
import threading
import time

from _spyder_callgrind_protocol import STATUS_TERMINATED
from _spyder_callgrind_state import current


def die_of(signum):
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _on_sigterm(signum, frame):
    """Save the profile, then die of SIGTERM as the sender (``Pool.terminate``) expects."""
    st = current.tracker
    if st is None or st.pid != os.getpid() or st.main is None:
        die_of(signum)
        return
    if st.saving:
        st.pending_signal = signum
        return
    if not st.main.done:
        try:
            st.end_process(STATUS_TERMINATED, -signum, "terminated by SIGTERM")
        except Exception:
            pass
    die_of(signum)


def _on_sigint(signum, frame):
    """KeyboardInterrupt, except while a profile is being saved (then it waits)."""
    st = current.tracker
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
CAN_HOLD = hasattr(signal, "pthread_sigmask") and hasattr(signal, "SIGTERM")


def user_blocks_sigterm():
    """True when the user's own code blocks SIGTERM in this thread (we leave that alone)."""
    if not CAN_HOLD:
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
        if tracker_first:
            try:
                from multiprocessing import resource_tracker    # POSIX only
                resource_tracker.ensure_running()
            except Exception:
                pass
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        already = signal.SIGTERM in old
        stack = _holding.__dict__.setdefault("stack", [])
        stack.append(already)
        before = current.release_pending
        current.release_pending = not already      # inherited by a forked child
        try:
            return original(*args, **kwargs)
        finally:
            current.release_pending = before
            stack.pop()
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
    held.__wrapped__ = original
    setattr(owner, name, held)


def hold_sigterm_at_child_start():
    """Wrap what starts multiprocessing children (fork and spawn) and the forkserver, whose
    forked children inherit its mask."""
    if not CAN_HOLD:
        return
    # Imported here: POSIX-only modules, loaded only once multiprocessing is patched.
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


def release_sigterm():
    """In a child: unblock the SIGTERM held since its start (a pending one is handled now)."""
    _holding.stack = []                 # a forked child: not starting anything itself
    if current.release_pending and CAN_HOLD:
        current.release_pending = False
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _mute_inherited_wakeup():
    """A forked child must not write its signals into its parent's wakeup pipe (the
    parent's watcher would take them for its own) until it sets up its own."""
    w = current.watcher.get("w")
    if w is not None:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, w)
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
    if current.watcher.get("w") is None and hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_pause_watcher, after_in_parent=_resume_watcher,
                            after_in_child=_mute_inherited_wakeup)
    current.watcher.update(pid=os.getpid(), r=r, w=w, main=_thread.get_ident(), done=None,
                           terminating=False)
    _start_watcher()


#: Written into the wakeup pipe to end the watcher (signal numbers are all below it).
_STOP_WATCHER = b"\xff"


def _start_watcher():
    r, main_ident = current.watcher["r"], current.watcher["main"]
    term = bytes([signal.SIGTERM])
    done = _thread.allocate_lock()
    done.acquire()
    current.watcher["done"] = done

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
                    current.watcher["terminating"] = True
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
    watcher = current.watcher
    done = watcher.get("done")
    if done is None or watcher.get("pid") != os.getpid() or watcher.get("terminating"):
        return
    before = _os_threads()
    try:
        os.write(watcher["w"], _STOP_WATCHER)
    except OSError:
        return
    if not done.acquire(timeout=1.0):
        return
    watcher["done"] = None
    # The thread's function has returned; wait (briefly) for the system thread to end too.
    deadline = time.monotonic() + 0.2
    while before is not None and time.monotonic() < deadline:
        now = _os_threads()
        if now is None or now < before:
            break
        time.sleep(0.0005)


def _resume_watcher():
    """After a fork, in the parent: the watcher again."""
    if current.watcher.get("pid") == os.getpid() and current.watcher.get("done") is None \
            and not current.watcher.get("terminating"):
        _start_watcher()


# -- the sampler's timer signal ----------------------------------------------------------------
def _hand_over(signum):
    st = current.tracker
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
