"""Profile the Pythons a profiled script starts through ``subprocess`` (on request).

Followed only when ``SUBPROCESS_ENV`` is "1" in the script's environment: ``Popen`` is
patched so that ``[sys.executable, "x.py", ...]`` runs under ``profile_script.py`` with
``--role subprocess``; any other command runs unchanged.  ``PATCHED_MARKER`` on
``subprocess`` says it is patched already.  Stdlib only, Python 3.9-3.13.
"""

import os
import sys

import _spyder_callgrind_sampler as sampling
from _spyder_callgrind_protocol import ROLE_SUBPROCESS, WORKER_FILE, worker_options
from _spyder_callgrind_state import PATCHED_MARKER, WORKERS_DIR


def _same_python(program):
    """True when ``program`` names this interpreter (the usual ``sys.executable``)."""
    if not isinstance(program, (str, bytes, os.PathLike)):
        return False
    program = os.fsdecode(program)
    if os.path.dirname(program) == "":
        import shutil     # only for a bare program name: not at every run's start-up
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
    mode, clock, interval = sampling_options
    options = worker_options(out_dir, follow, exact_threads, mode, clock, interval,
                             role=ROLE_SUBPROCESS)
    return [args[0], os.path.join(WORKERS_DIR, WORKER_FILE), *options, "--", *args[1:]]


def patch_subprocess(out_dir, exact_threads=False,
                     sampling_options=("exact", "wall", sampling.DEFAULT_INTERVAL)):
    """Profile Pythons this process starts with ``subprocess`` (``Popen``, ``run``...)."""
    import subprocess     # only when asked to follow them: not at every run's start-up
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
