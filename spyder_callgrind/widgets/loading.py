"""Loading a kept run without freezing the GUI.

The pane first shows the run's small top table (a few hundred rows, read at once), then the
whole run: its folder's tables (:class:`~spyder_callgrind.engine.runfolder.RunFolder`), the
indices and the call table's first order. That work is done *on the GUI thread, one step
per turn of the event loop* (a zero timer drives a generator of steps): each step is one
read or one build of at most ``table.BUILD_ROWS`` rows, a few tens of milliseconds. Not a
thread: a thread building Python objects holds the interpreter lock, and every call from Qt
into Python (each ``data()`` of a paint) then waits for it; painting the top rows took
half a second at a time that way (measured: ``gui_gap`` in the benchmarks).

Comparisons still use a thread (rare, and nothing is painted meanwhile). Results arrive as
Qt signals. Only our table files and callgrind files are read here, never marshal: a
damaged run folder gives a short message, it cannot crash Spyder.
"""

from __future__ import annotations

import threading
from typing import List, Optional, Tuple

from qtpy.QtCore import QObject, QTimer, Signal

from spyder_callgrind.engine import callgrind, profiles
from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.engine.runfolder import ProcessChoice
from spyder_callgrind.engine.store import RunStore, StoreError
from spyder_callgrind.engine.table import load_table, run_steps
from spyder_callgrind.widgets.calltable import iter_prepare_sort

#: How often the pane looks for the top rows of a run that is being converted (a stat call:
#: the rows show within this much of being written).
PREVIEW_POLL_SECONDS = 0.04


class Shown(tuple):
    """Yielded by :func:`iter_load_run_tables` once the run can be shown whole: ``(merged,
    choices)``. The steps after it only fill caches a later click would otherwise build
    (the key index, the other columns' sort keys, which functions wait)."""


def load_run_tables(store: RunStore, record: RunRecord
                    ) -> Tuple[ProfileData, List[ProcessChoice]]:
    """The merged profile of a run and, for several processes, each process' profile,
    with their indices and the call table's sort keys built."""
    return run_steps(iter_load_run_tables(store, record))


def iter_load_run_tables(store: RunStore, record: RunRecord):
    """:func:`load_run_tables` as a generator of steps; it yields a :class:`Shown` when
    what the call table shows first is ready: the rows, the callers and callees of each
    function (kept in the table file) and the first order."""
    merged, choices = yield from store.folder(record).iter_load()
    profiles_read = [merged] + [c[2] for c in choices]
    for data in profiles_read:
        yield from data.iter_prepare(index=False)
        yield from iter_prepare_sort(data, all_keys=False)
    yield Shown((merged, choices))
    for data in profiles_read:
        yield from data.iter_prepare()
        yield from iter_prepare_sort(data)
    return merged, choices


def _short(error: Exception) -> str:
    """One line for the pane: our own errors say what is wrong; others are named."""
    if isinstance(error, (profiles.ProfileError, callgrind.CallgrindError, StoreError,
                          OSError)):
        return str(error)
    return f"the run's files cannot be read ({type(error).__name__})"


class RunLoader(QObject):
    """Loads runs step by step between events; a newer load cancels the one under way."""

    #: (run id, merged ProfileData, complete?, list of ProcessChoice)
    loaded = Signal(str, object, bool, object)
    #: (run id, short message)
    failed = Signal(str, str)
    #: (run id): the load is over, its caches are built; the run shown before is freed next
    settled = Signal(str)
    #: (before ProfileData, after ProfileData, before id, after id)
    compared = Signal(object, object, str, str)

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._threads: List[threading.Thread] = []
        self._job = None   # (run id, generator of steps) being loaded
        # profiles no longer shown, freed once the next run is shown (see retire)
        self._retired: List[ProfileData] = []
        self._release_next = False
        # Owned by this object (never a free singleShot): if the pane is closed meanwhile,
        # the timer goes with it instead of firing into a deleted object.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)

    def load(self, record: RunRecord, store: RunStore,
             top_table: Optional[str] = None) -> None:
        """Show ``top_table`` rows now (if given), then everything, a step per event."""
        self._cancel()
        if top_table:
            try:
                self.loaded.emit(record.id, load_table(top_table), False, [])
            except profiles.ProfileError:
                pass  # the full load below reports real problems
        self._job = (record.id, iter_load_run_tables(store, record))
        self._timer.start()

    def retire(self, profiles) -> None:
        """Keep ``profiles`` (those of the run shown until now) until the next run is shown
        and settled, and free them in a step of their own after it: freeing 10^5 rows and
        their caches takes tens of milliseconds, which a click would otherwise wait for."""
        self._retired.extend(p for p in profiles if p is not None)
        self._release_next = False

    def _release(self) -> None:
        self._retired.clear()
        self._release_next = False

    def _cancel(self) -> None:
        self._timer.stop()
        if self._job is not None:
            self._job[1].close()
            self._job = None

    def _step(self) -> None:
        """One step of the load under way; the next one at the next turn of the loop."""
        if self._release_next:
            self._release()
            if self._job is not None:
                self._timer.start()
            return
        if self._job is None:
            return
        run_id, steps = self._job
        try:
            step = next(steps)
        except StopIteration:
            self._job = None   # shown already; the caches are filled too
            self.settled.emit(run_id)
            if self._retired:
                self._release_next = True
                self._timer.start()
            return
        except Exception as error:  # noqa: BLE001 - never let a bad run folder escape
            self._job = None
            steps.close()
            self.failed.emit(run_id, _short(error))
            self._release()
            return
        if isinstance(step, Shown):
            merged, choices = step
            self.loaded.emit(run_id, merged, True, choices)
        self._timer.start()

    def compare(self, before: RunRecord, after: RunRecord, store: RunStore) -> None:
        def work():
            try:
                a = store.folder(before).load()[0]
                b = store.folder(after).load()[0]
            except Exception as error:  # noqa: BLE001 - a hostile run folder, say so
                self.failed.emit(after.id, _short(error))
                return
            self.compared.emit(a, b, before.id, after.id)

        self._start(work)

    def _start(self, work) -> None:
        def guarded():
            try:
                work()
            except RuntimeError:  # the pane was closed meanwhile: nobody to tell
                pass

        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=guarded, name="spyder-callgrind-loader",
                                  daemon=True)
        self._threads.append(thread)
        thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Finish the load under way at once and wait for comparisons (tests, shutdown)."""
        while self._job is not None:
            self._step()
        self._timer.stop()
        self._release()
        for thread in list(self._threads):
            thread.join(timeout)
