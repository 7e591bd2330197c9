"""Functions that wait rather than work: locks, sleeps, pipes, sockets, queues, joins.

cProfile measures wall time, so a process that waits (a Pool's parent waiting for its
workers, a thread blocked on a queue) shows its waiting as the time of the function it
waits in: ``lock.acquire`` or ``select`` can top a self-time ranking of a script that does
its work elsewhere. The pane marks these functions as waiting and can hide them; the
command line can use the same list.

The list is data: built-ins are named by ``(owner, method)`` as cProfile spells them
(``<method 'acquire' of '_thread.lock' objects>`` is ``("_thread.lock", "acquire")``,
``<built-in method time.sleep>`` is ``("time", "sleep")``), Python functions by the end of
their file's path and their name (cProfile records a function's name, not its class).
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence, Tuple

from spyder_callgrind.engine.model import BUILTIN_FILE, Function

#: Built-ins that block: (owner, method) as in cProfile's names.
WAITING_BUILTINS = frozenset({
    ("_thread.lock", "acquire"), ("_thread.RLock", "acquire"),
    ("_multiprocessing.SemLock", "acquire"), ("_queue.SimpleQueue", "get"),
    ("time", "sleep"),
    ("posix", "read"), ("posix", "waitpid"), ("posix", "wait"), ("posix", "wait4"),
    ("posix", "waitid"), ("nt", "read"), ("nt", "waitpid"),
    ("select", "select"), ("select.poll", "poll"), ("select.epoll", "poll"),
    ("select.devpoll", "poll"), ("select.kqueue", "control"),
    ("_socket.socket", "recv"), ("_socket.socket", "recv_into"),
    ("_socket.socket", "recvfrom"), ("_socket.socket", "recvfrom_into"),
    ("_socket.socket", "recvmsg"), ("_socket.socket", "_accept"),
    ("_socket.socket", "accept"),
    ("_winapi", "WaitForMultipleObjects"), ("_winapi", "WaitForSingleObject"),
    ("_overlapped.Overlapped", "getresult"),
})

#: Python functions that block: (end of the file's path, function names).
WAITING_PYTHON: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("threading.py", ("wait", "join", "_wait_for_tstate_lock", "wait_for")),
    ("queue.py", ("get",)),
    ("multiprocessing/queues.py", ("get",)),
    ("multiprocessing/connection.py", ("recv", "recv_bytes", "recv_bytes_into",
                                       "_recv_bytes", "_recv", "poll", "_poll", "wait",
                                       "accept")),
    ("multiprocessing/pool.py", ("wait", "get", "join")),
    ("multiprocessing/process.py", ("join",)),
    ("multiprocessing/popen_fork.py", ("wait", "poll")),
    ("multiprocessing/synchronize.py", ("wait", "wait_for")),
    ("concurrent/futures/_base.py", ("result", "wait", "as_completed")),
    ("concurrent/futures/thread.py", ("join",)),
    ("selectors.py", ("select",)),
    ("socket.py", ("accept", "readinto")),
    ("subprocess.py", ("wait", "_wait", "_try_wait", "communicate")),
)

_BUILTIN_NAME = re.compile(
    r"^<(?:method '(?P<method>[^']+)' of '(?P<owner>[^']+)' objects"
    r"|built-in (?:method|function) (?P<dotted>[\w.]+))>$")


def _builtin_key(name: str) -> Optional[Tuple[str, str]]:
    match = _BUILTIN_NAME.match(name)
    if match is None:
        return None
    if match.group("method"):
        return match.group("owner"), match.group("method")
    owner, _dot, method = match.group("dotted").rpartition(".")
    return owner, method


def is_waiting(file: str, name: str) -> bool:
    """True when the function ``name`` of ``file`` (``~`` for built-ins) blocks: its time
    is mostly spent waiting for a lock, a sleep, a pipe, a socket, a queue or a process."""
    if file == BUILTIN_FILE:
        key = _builtin_key(name)
        return key is not None and key in WAITING_BUILTINS
    path = "/" + file.replace("\\", "/")
    for suffix, names in WAITING_PYTHON:
        if name in names and path.endswith("/" + suffix):
            return True
    return False


#: Every Python function name of :data:`WAITING_PYTHON`: a name outside it never waits.
_WAITING_PYTHON_NAMES = frozenset(name for _suffix, names in WAITING_PYTHON for name in names)


def waiting_mask(functions: Sequence[Function]) -> List[bool]:
    """``is_waiting`` of every function, in order (each distinct name judged once; most
    functions are ruled out by their name alone: 100k functions in a few tens of ms)."""
    seen = {}
    result = []
    names = _WAITING_PYTHON_NAMES
    for function in functions:
        file, name = function.file, function.name
        if file != BUILTIN_FILE and name not in names:
            result.append(False)
            continue
        key = (file, name)
        found = seen.get(key)
        if found is None:
            found = seen[key] = is_waiting(file, name)
        result.append(found)
    return result


def waiting_functions(functions: Iterable[Function]) -> List[Function]:
    """The functions of ``functions`` that wait."""
    return [f for f in functions if is_waiting(f.file, f.name)]
