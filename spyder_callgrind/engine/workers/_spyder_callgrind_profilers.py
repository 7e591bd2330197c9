"""How the threads of one process are profiled, always by cProfile's own C code.

The hard part is Python 3.12+, where cProfile runs on ``sys.monitoring`` and one profiler
holds the interpreter's profiler tool id: see ``Profilers``.  Stdlib only, Python 3.9-3.13.
"""

import _thread
import cProfile
import sys


class Profilers:
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
