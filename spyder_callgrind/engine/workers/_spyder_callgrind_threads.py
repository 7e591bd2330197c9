"""Give each thread started with ``threading`` its own profile while a process is tracked.

``threading.Thread._bootstrap_inner`` runs first in every new thread and last before it
ends, so patching it brackets exactly the thread's own code; ``__wrapped__`` marks it
patched.  With one profiler per process (3.12+, see ``_spyder_callgrind_profilers``) the
tracker only counts the thread.  Stdlib only, Python 3.9-3.13.
"""

import os
import threading

from _spyder_callgrind_state import current


def _patched_thread_bootstrap(original):
    def _bootstrap_inner(self):
        st = current.tracker
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
