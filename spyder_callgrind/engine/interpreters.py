"""What an interpreter calls its standard library, asked of the interpreter itself.

"Hide standard library" must judge a profiled file by the interpreter that ran the script
(a venv, another Python version), not by the one running Spyder.  A run records them
(:func:`paths_in_meta`: the main worker writes them when the script starts); for runs kept
before that, :func:`interpreter_paths` asks the interpreter once (``-I``: no site, no user
environment variables) and remembers the answer for the life of the process.  What the
folders are is defined once, in ``workers/_spyder_callgrind_interpreter.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any, Dict, NamedTuple, Optional, Tuple

from spyder_callgrind.engine.workers import WORKERS_DIR
from spyder_callgrind.engine.workers._spyder_callgrind_interpreter import interpreter_folders
from spyder_callgrind.engine.workers._spyder_callgrind_protocol import STDLIB_DIRS, SYS_PREFIXES

#: Seconds an interpreter may take to answer before it is given up on.
ASK_TIMEOUT = 20.0

#: Run by the interpreter asked: prints ``[stdlib folders, prefixes]`` as JSON.
_PROBE = os.path.join(WORKERS_DIR, "_spyder_callgrind_interpreter.py")


class InterpreterPaths(NamedTuple):
    """Folders of one interpreter, each normalised and ending in a separator."""

    stdlib_dirs: Tuple[str, ...]
    prefixes: Tuple[str, ...]


_cache: Dict[str, Optional[InterpreterPaths]] = {}
_lock = threading.Lock()


def _folders(paths) -> Tuple[str, ...]:
    found = []
    if not isinstance(paths, (list, tuple)):
        return ()
    for path in paths:
        if isinstance(path, str) and path:
            path = os.path.join(os.path.normpath(path), "")
            if path not in found:
                found.append(path)
    return tuple(found)


def current_paths() -> InterpreterPaths:
    """The folders of the interpreter running this code (no subprocess)."""
    stdlib, prefixes = interpreter_folders()
    return InterpreterPaths(_folders(stdlib), _folders(prefixes))


def paths_in_meta(meta: Optional[Dict[str, Any]]) -> Optional[InterpreterPaths]:
    """The folders a main process' meta recorded, or None (a meta written before metas
    recorded them, or none at all)."""
    stdlib = _folders((meta or {}).get(STDLIB_DIRS))
    if not stdlib:
        return None
    return InterpreterPaths(stdlib, _folders(meta.get(SYS_PREFIXES)))


def cached_paths(executable: str) -> Optional[InterpreterPaths]:
    """What :func:`interpreter_paths` found for ``executable`` so far, None if not asked
    yet or if it could not answer (never starts a process)."""
    with _lock:
        return _cache.get(_key(executable))


def _key(executable: str) -> str:
    return os.path.normcase(os.path.abspath(executable)) if executable else ""


def interpreter_paths(executable: Optional[str]) -> Optional[InterpreterPaths]:
    """Standard library folders and prefixes of the interpreter ``executable`` (this one
    when empty), or None when it cannot be started or gives no usable answer. Asked once
    per interpreter; may take a moment, so call it off a GUI thread."""
    if not executable or _key(executable) == _key(sys.executable):
        return current_paths()
    key = _key(executable)
    with _lock:
        if key in _cache:
            return _cache[key]
    found = _ask(executable)
    with _lock:
        _cache[key] = found
    return found


def _ask(executable: str) -> Optional[InterpreterPaths]:
    try:
        done = subprocess.run([executable, "-I", _PROBE], capture_output=True,
                              timeout=ASK_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if done.returncode != 0:
        return None
    try:
        answer = json.loads(done.stdout.decode("utf-8", errors="replace").strip()
                            .splitlines()[-1])
    except (ValueError, IndexError):
        return None
    if not isinstance(answer, list) or len(answer) != 2:
        return None
    stdlib = _folders(answer[0])
    if not stdlib:
        return None
    return InterpreterPaths(stdlib, _folders(answer[1]))
