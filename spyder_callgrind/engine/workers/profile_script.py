"""Run a script under cProfile as the real ``__main__``, in the user's interpreter.

Usage::

    python /path/to/profile_script.py --out DIR [--no-children] [--exact-threads] [--role ROLE]
        [--mode exact|sample|both] [--sample-clock wall|cpu] [--sample-interval SECONDS]
        -- SCRIPT [ARGS...]

``--mode`` (default ``both``): ``exact`` runs cProfile alone, ``sample`` the stack sampler
alone (``_spyder_callgrind_sampler``: low overhead, no call counts), ``both`` the two
together.  ``--sample-clock`` ``wall`` (default: waiting shows) or ``cpu``;
``--sample-interval`` the requested seconds between samples (default 0.004).

``--exact-threads`` (Python 3.12+) times each thread separately, at several times
cProfile's cost (see ``_spyder_callgrind_profilers.Profilers``).
``--role subprocess`` marks a Python that the profiled script started itself through
``subprocess`` (see ``_spyder_callgrind_subprocesses``).

Runs by file path (stdlib only, Python 3.9-3.13).  Unlike ``python -m cProfile`` the script
runs as the real ``__main__`` module, so ``if __name__ == "__main__":`` blocks run and
functions defined in it can be pickled by multiprocessing; ``sys.argv`` and ``sys.path[0]``
are what ``python SCRIPT ARGS`` gives.  The profile is saved as ``DIR/<pid>.prof`` whatever
happens, with a meta ``DIR/<pid>.json`` (see ``_spyder_callgrind_tracker``).

Exit codes and meta status of the main process:

* the script's own code (0 for a normal end, n for ``sys.exit(n)``): ``ok`` / ``error``
* 1 after an uncaught exception (its traceback printed without our frames): ``error``
* 130 after a KeyboardInterrupt (Stop sends SIGINT): ``stopped``
* 2 when the script cannot start (missing, a folder, unreadable, not UTF-8, SyntaxError),
  with one line on stderr naming the file and line: ``failed`` (no profile)
"""

import sys

#: What plain ``python SCRIPT`` has imported when the script starts (see ``main``).
_AT_START = frozenset(sys.modules)

import os  # noqa: E402
import tokenize  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402
from importlib.machinery import SourceFileLoader  # noqa: E402

# sys.path[0] is this file's folder until main() gives it to the script.
from _spyder_callgrind_children import start_main  # noqa: E402
from _spyder_callgrind_protocol import (  # noqa: E402
    EXIT_CANNOT_START, EXIT_INTERRUPTED, MODE_BOTH, MODES, ROLE_MAIN, STATUS_ERROR,
    STATUS_FAILED, STATUS_OK, STATUS_STOPPED)
from _spyder_callgrind_shadowed import forget_shadowed  # noqa: E402
from _spyder_callgrind_state import current  # noqa: E402
from _spyder_callgrind_tracker import report_save_error  # noqa: E402

USAGE = ("usage: profile_script.py --out DIR [--no-children] [--exact-threads] "
         "[--role ROLE] [--mode exact|sample|both] [--sample-clock wall|cpu] "
         "[--sample-interval SECONDS] -- SCRIPT [ARGS...]")

_OUR_FILES = {os.path.normcase(os.path.abspath(__file__))}


def _parse(argv):
    """``(out_dir, follow, exact_threads, role, sampling, script, args)`` with
    ``sampling`` = (mode, clock, interval); a usage line and exit 2 when malformed."""
    out, follow, exact, role = None, True, False, ROLE_MAIN
    mode, clock, interval = MODE_BOTH, "wall", 0.004
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest = argv[i + 1:]
            if out is None or not rest:
                break
            return out, follow, exact, role, (mode, clock, interval), rest[0], rest[1:]
        if arg == "--mode" and i + 1 < len(argv) and argv[i + 1] in MODES:
            mode = argv[i + 1]
            i += 2
            continue
        if arg == "--sample-clock" and i + 1 < len(argv) and argv[i + 1] in ("wall", "cpu"):
            clock = argv[i + 1]
            i += 2
            continue
        if arg == "--sample-interval" and i + 1 < len(argv):
            try:
                interval = float(argv[i + 1])
            except ValueError:
                break
            if not interval > 0:
                break
            i += 2
            continue
        if arg == "--out" and i + 1 < len(argv):
            out = argv[i + 1]
            i += 2
            continue
        if arg == "--no-children":
            follow = False
            i += 1
            continue
        if arg == "--exact-threads":
            exact = True
            i += 1
            continue
        if arg == "--role" and i + 1 < len(argv):
            role = argv[i + 1]
            i += 2
            continue
        break
    sys.stderr.write(USAGE + "\n")
    sys.exit(EXIT_CANNOT_START)


def _load(script):
    """Return the script's code object, or raise ``_CannotStart`` with a one-line message."""
    try:
        with open(script, "rb") as f:
            data = f.read()
    except OSError as error:
        raise _CannotStart("cannot open script: %s: %s" % (script, error.strerror or error))
    try:
        lines = iter(data.splitlines(True))
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
        text = data.decode(encoding)
    except SyntaxError as error:          # bad coding cookie
        raise _CannotStart("SyntaxError: %s (%s)" % (error.msg, script), error.lineno)
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise _CannotStart("SyntaxError: the script is not valid %s text: byte 0x%02x cannot "
                           "be decoded (%s, line %d)"
                           % (encoding, data[error.start], script, line), line)
    try:
        return compile(text, script, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise _CannotStart("%s: %s (%s, line %s)" % (type(error).__name__, error.msg,
                                                     script, error.lineno), error.lineno)
    except ValueError as error:           # null bytes before 3.12
        raise _CannotStart("SyntaxError: %s (%s)" % (error, script))


class _CannotStart(Exception):
    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line


def _strip_our_frames(tb):
    while tb is not None and \
            os.path.normcase(tb.tb_frame.f_code.co_filename) in _OUR_FILES:
        tb = tb.tb_next
    return tb


def main(argv):
    out_dir, follow, exact_threads, role, sampling, script, args = _parse(argv)

    # Every import of ours happens before the script's folder replaces ours as sys.path[0],
    # so a script's own tokenize.py or multiprocessing.py cannot break us.  The script then
    # gets the sys.path[0] that `python SCRIPT` gives (symlinks resolved, as Python does)
    # and imports what plain Python would.
    sys.argv = [script] + list(args)
    folder = os.path.dirname(os.path.realpath(script))
    current.script_folder = folder
    try:
        state = start_main(out_dir, follow, role=role, exact_threads=exact_threads,
                           mode=sampling[0], sample_clock=sampling[1],
                           sample_interval=sampling[2])
    except OSError as error:
        report_save_error("cannot write the profile", error)
        return EXIT_CANNOT_START
    del sys.path[0]
    sys.path.insert(0, folder)
    forget_shadowed(folder, _AT_START)
    abs_script = os.path.abspath(script)
    try:
        code = _load(abs_script)
    except _CannotStart as error:
        _end(state, STATUS_FAILED, EXIT_CANNOT_START, error.message)
        try:
            state.set_meta(error_line=error.line)
        except OSError:
            pass
        sys.stderr.write(error.message + "\n")
        sys.stderr.flush()
        return EXIT_CANNOT_START

    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=abs_script, __cached__=None, __package__=None,
                           __spec__=None, __builtins__=__builtins__,
                           __loader__=SourceFileLoader("__main__", abs_script))
    # Keep our own module alive: replacing sys.modules["__main__"] must not free it.
    main.worker_module = sys.modules.get("__main__")
    sys.modules["__main__"] = module

    # The profile is saved at exit, after Python has joined the script's threads.
    state.start_profile()
    try:
        try:
            exec(code, module.__dict__)
        finally:
            state.stop_profile()
    except SystemExit as exit_:
        # Its status is worked out at the save: the profiler may still be recording here.
        state.finish_at_exit(None, exit_.code)
        raise                              # Python prints a message and exits as usual
    except KeyboardInterrupt as error:
        state.pause_profile()
        _print_exception(error)
        state.finish_at_exit(STATUS_STOPPED, EXIT_INTERRUPTED, "KeyboardInterrupt")
        return EXIT_INTERRUPTED
    except BaseException as error:
        state.pause_profile()
        first = str(error).splitlines()
        message = type(error).__name__ + (": " + first[0] if first else "")
        _print_exception(error)
        state.finish_at_exit(STATUS_ERROR, 1, message)
        return 1
    state.finish_at_exit(STATUS_OK, 0)
    return 0


def _end(state, status, exit_code, message=""):
    """Save the profile now (the script could not start)."""
    try:
        state.end_process(status, exit_code, message)
    except OSError as error:
        report_save_error("the profile could not be saved", error)


def _print_exception(error):
    # Since 3.11 the hook prints error.__traceback__, whatever traceback it is given.
    error.__traceback__ = _strip_our_frames(error.__traceback__)
    try:
        sys.excepthook(type(error), error, error.__traceback__)
    except Exception:
        traceback.print_exception(type(error), error, error.__traceback__)
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
