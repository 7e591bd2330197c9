"""Console runs are collected (converted) in a thread each time a console is ready: a
ready console that comes while a collection ends is not lost. No window needed."""

import threading
import time

from spyder_callgrind.plugin import console


class _LateCaller:
    """A lock that, the first time it is let go, lets a console get ready first: the
    moment a collection has made its last pass and is about to release."""

    def __init__(self, lock, on_release):
        self._lock, self._on_release = lock, on_release

    def acquire(self, blocking=True):
        return self._lock.acquire(blocking)

    def release(self):
        hook, self._on_release = self._on_release, None
        if hook is not None:
            hook()
        self._lock.release()


def test_a_console_ready_while_a_collection_ends_is_collected(tmp_path, monkeypatch):
    passes = []
    monkeypatch.setattr(console, "finish_console_runs",
                        lambda store: passes.append(store.root) or ([], []))
    profiling = console.ConsoleProfiling(lambda: str(tmp_path))
    profiling._collecting = _LateCaller(threading.Lock(), profiling.collect)
    profiling.collect()
    deadline = time.monotonic() + 10
    busy = profiling._collecting._lock.locked
    while time.monotonic() < deadline and (len(passes) < 2 or busy()):
        time.sleep(0.01)
    assert len(passes) == 2, passes
