"""Profile a script's process and everything it starts: the pieces, and ``start_main``
that puts them in place in the script's process.

Imported by ``profile_script.py`` in the user's interpreter (Python 3.9-3.13, stdlib only).
Each concern is a module of its own, all named ``_spyder_callgrind_*`` so that, imported by
name in the user's interpreter (and in spawned children), they cannot clash with a user's
module:

* ``_spyder_callgrind_tracker``: the per-process record (``Tracker``), what it writes into
  the output folder, saving at exit and at ``os._exit``;
* ``_spyder_callgrind_profilers``: how the threads of a process are profiled (3.12+ differs);
* ``_spyder_callgrind_signals``: SIGTERM / SIGINT handlers, SIGTERM held while a child
  starts, the watcher thread, the sampler's timer signal left to the script;
* ``_spyder_callgrind_threads``: threads started with ``threading``;
* ``_spyder_callgrind_multiprocessing``: fork, spawn and forkserver children;
* ``_spyder_callgrind_subprocesses``: Pythons started through ``subprocess`` (on request);
* ``_spyder_callgrind_shadowed``: the script's own modules win over ours, as in plain Python;
* ``_spyder_callgrind_state``: the one object holding this process' profiling state.
"""

import atexit
import os
import sys

import _spyder_callgrind_sampler as sampling
from _spyder_callgrind_multiprocessing import patch
from _spyder_callgrind_protocol import MODE_EXACT, ROLE_MAIN, SUBPROCESS_ENV
from _spyder_callgrind_signals import install_sigint_handler, install_sigterm_handler
from _spyder_callgrind_state import current
from _spyder_callgrind_subprocesses import patch_subprocess
from _spyder_callgrind_tracker import Tracker, interpreter_meta, patch_os_exit, save_at_exit


def start_main(out_dir, follow=True, role=ROLE_MAIN, exact_threads=False, mode=MODE_EXACT,
               sample_clock="wall", sample_interval=sampling.DEFAULT_INTERVAL):
    """Set up the tracker of the profiled script's process (meta written, not profiling yet).

    ``role`` is "main" for the script the user asked for, "subprocess" for a Python it
    started through ``subprocess`` (followed only when ``SUBPROCESS_ENV`` is set)."""
    os.makedirs(out_dir, exist_ok=True)
    st = current.tracker = Tracker(out_dir, follow, exact_threads, mode, sample_clock,
                                   sample_interval)
    extra = {"argv": list(sys.argv)}
    extra.update(interpreter_meta())
    st.begin_process(role, "MainProcess", start_profile=False, extra=extra)
    # Registered before the script runs, so it runs after the script's own callbacks.
    atexit.register(save_at_exit)
    patch_os_exit()
    if follow:
        patch()
        if os.environ.get(SUBPROCESS_ENV) == "1":
            patch_subprocess(out_dir, exact_threads, st.sampling_options())
    install_sigint_handler()
    install_sigterm_handler(watch=False)
    return st
