"""What this process' profiling knows, in one object every worker module shares.

The tracker of the process, the script's folder, and the signal bookkeeping are set by
one module and read by others (the SIGTERM handler, the patched bootstraps); they live
here, at the bottom of the workers' imports, so those modules need not import each other
in a loop.  A forked child inherits a stale copy: every reader checks ``tracker.pid``.
"""

import os

#: Folder of the worker modules (put on a spawned child's ``sys.path`` while it imports us).
WORKERS_DIR = os.path.dirname(os.path.abspath(__file__))
#: Attribute set on a patched module (``multiprocessing.process``, ``subprocess``): never
#: patch twice.
PATCHED_MARKER = "_spyder_callgrind_patched"


class _ProcessState:
    """The mutable state of our profiling in this process."""

    def __init__(self):
        #: The ``Tracker`` of this process (inherited as a stale copy by forked children).
        self.tracker = None
        #: The profiled script's folder (``sys.path[0]`` of the script); None when unknown.
        self.script_folder = None
        #: In a child started with SIGTERM held by us: unblock it once the handler is in
        #: place (inherited by a forked child).
        self.release_pending = False
        #: The SIGTERM watcher: its pipe (``r``, ``w``), the main thread, a lock released
        #: when its thread has ended (``done``, None while none runs).
        self.watcher = {}


current = _ProcessState()
