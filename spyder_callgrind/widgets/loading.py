"""Loading a kept run's tables without freezing the GUI.

The pane first shows the run's small ``top`` table (a few hundred rows, read at once), then
the full table and the per-process tables. Those are read *on the GUI thread, in slices* of
about ``SLICE_SECONDS`` between events (a zero-timer drives a generator of steps), not by a
background thread: a Python thread busy with a 100k-row table competes with the GUI thread
for the interpreter lock, and every call from Qt into Python (each ``data()`` of a paint, each
timer) then waits for the lock's switch interval, ~5 ms. Painting the first rows took a whole
second that way; in slices the GUI thread never waits more than one slice. Building the
call table's sort keys and first order is done in the same slices.

Comparisons and the rare fallback to reading a callgrind file (no table) still use a
thread. Results arrive as Qt signals. Only JSON is read here, never marshal: a damaged run
folder gives a short message, it cannot crash Spyder.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import List, Optional, Tuple

from qtpy.QtCore import QObject, QTimer, Signal

from spyder_callgrind.engine import callgrind, profiles
from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.engine.recording import MERGED_TABLE, TABLES_DIR, table_name
from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.widgets.calltable import iter_prepare_sort, prepare_sort

#: (label, pid, data) of one process of a run, as the profile view lists them.
ProcessChoice = Tuple[str, int, ProfileData]


#: Work done per turn of the event loop while a run loads (seconds).
SLICE_SECONDS = 0.015
#: How often the pane looks for the top rows of a run that is being converted (a stat call:
#: the rows show within this much of being written).
PREVIEW_POLL_SECONDS = 0.04


def load_run_tables(store: RunStore, record: RunRecord
                    ) -> Tuple[ProfileData, List[ProcessChoice]]:
    """The merged profile of a run and, for several processes, each process' profile."""
    return profiles.run_steps(iter_load_run_tables(store, record))


def iter_load_run_tables(store: RunStore, record: RunRecord):
    """:func:`load_run_tables` as a generator of small steps (returns the same result)."""
    merged_path = store.file_of(record, f"{TABLES_DIR}/{MERGED_TABLE}")
    try:
        merged = yield from profiles.iter_load_table(merged_path)
    except profiles.ProfileError:
        # No table (older or imported layout): read the callgrind file itself.
        parts = callgrind.read_callgrind(store.file_of(record, record.callgrind))
        merged = profiles.merge_profiles(parts) if len(parts) > 1 else parts[0]
    choices: List[ProcessChoice] = []
    profiled = [p for p in record.processes if p.profiled]
    if len(profiled) > 1:
        for process in profiled:
            path = store.file_of(record, f"{TABLES_DIR}/{table_name(process.pid)}")
            try:
                data = yield from profiles.iter_load_table(path)
            except profiles.ProfileError:
                continue
            choices.append((process.role, process.pid, data))
    return merged, choices


def _has_table(store: RunStore, record: RunRecord) -> bool:
    path = store.file_of(record, f"{TABLES_DIR}/{MERGED_TABLE}")
    return bool(path) and os.path.isfile(path)


def _iter_load_prepared(store: RunStore, record: RunRecord):
    # The cyclic collector stays paused for the whole load: with it on, building the
    # indices of 10^5 functions set off full collections of a few hundred ms each, in
    # the middle of a slice (the load closes this generator when it is cancelled).
    with profiles._no_gc():
        merged, choices = yield from iter_load_run_tables(store, record)
        for data in [merged] + [c[2] for c in choices]:
            yield from data.iter_prepare()
            yield from iter_prepare_sort(data)
    return merged, choices


def _short(error: Exception) -> str:
    """One line for the pane: our own errors say what is wrong; others are named."""
    if isinstance(error, (profiles.ProfileError, callgrind.CallgrindError, OSError)):
        return str(error)
    return f"the run's files cannot be read ({type(error).__name__})"


class RunLoader(QObject):
    """Loads runs in a background thread; stale results (another run selected) are dropped."""

    #: (run id, merged ProfileData, complete?, list of ProcessChoice)
    loaded = Signal(str, object, bool, object)
    #: (run id, short message)
    failed = Signal(str, str)
    #: (before ProfileData, after ProfileData, before id, after id)
    compared = Signal(object, object, str, str)

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._generation = 0
        self._threads: List[threading.Thread] = []
        self._job = None   # (run id, generator of steps) being loaded in slices
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        # Timers owned by this object (never a free singleShot): if the pane is closed
        # meanwhile, they go with it instead of firing into a deleted object.
        self._finished = None
        self._collect_timer = self._one_shot(lambda: (gc.collect(1),
                                                      self._show_timer.start()))
        self._show_timer = self._one_shot(self._show_finished)

    def _one_shot(self, slot) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(1)
        timer.timeout.connect(slot)
        return timer

    def _show_finished(self) -> None:
        finished, self._finished = self._finished, None
        if finished is not None and finished[0] == self._generation:
            _generation, run_id, merged, choices = finished
            self.loaded.emit(run_id, merged, True, choices)

    def load(self, record: RunRecord, store: RunStore,
             top_table: Optional[str] = None) -> None:
        """Show ``top_table`` rows now (if given), then everything, read in slices."""
        self._generation += 1
        generation = self._generation
        self._cancel_job()
        if top_table:
            try:
                self.loaded.emit(record.id, profiles.load_table(top_table), False, [])
            except profiles.ProfileError:
                pass  # the full load below reports real problems
        if _has_table(store, record):
            self._job = (record.id, _iter_load_prepared(store, record))
            self._timer.start()
            return

        def work():   # no table: the callgrind reader, in a thread
            try:
                merged, choices = load_run_tables(store, record)
                for data in [merged] + [c[2] for c in choices]:
                    data.prepare()
                    prepare_sort(data)
            except Exception as error:  # noqa: BLE001 - a hostile run folder, say so
                if generation == self._generation:
                    self.failed.emit(record.id, _short(error))
                return
            if generation == self._generation:
                self.loaded.emit(record.id, merged, True, choices)

        self._start(work)

    def _cancel_job(self) -> None:
        self._timer.stop()
        if self._job is not None:
            self._job[1].close()
            self._job = None

    def _step(self, budget: Optional[float] = SLICE_SECONDS) -> None:
        """Run the current load for one slice (to its end with ``budget=None``)."""
        job = self._job
        if job is None:
            return
        run_id, steps = job
        deadline = None if budget is None else time.perf_counter() + budget
        try:
            while deadline is None or time.perf_counter() < deadline:
                next(steps)
            # The collector is paused while a run loads; a young collection per slice
            # untracks the slice's new tuples at once, so turning the collector back on
            # at the end does not cost one long pause over all of them.
            gc.collect(0)
        except StopIteration as done:
            self._job = None
            merged, choices = done.value
            if budget is None:
                self.loaded.emit(run_id, merged, True, choices)
            else:
                # Two more turns of the event loop, each short: first the collection of
                # the young objects just made (NamedTuples stay tracked by the collector,
                # so this pause is paid once here rather than inside the next step), then
                # showing the rows.
                self._finished = (self._generation, run_id, merged, choices)
                self._collect_timer.start()
            return
        except Exception as error:  # noqa: BLE001 - never let a bad run folder escape
            self._job = None
            steps.close()
            self.failed.emit(run_id, _short(error))
            return
        self._timer.start()

    def compare(self, before: RunRecord, after: RunRecord, store: RunStore) -> None:
        def work():
            try:
                a, _c = load_run_tables(store, before)
                b, _c = load_run_tables(store, after)
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
        """Wait for pending loads (tests, shutdown): finish a load in progress at once."""
        if self._job is not None:
            self._timer.stop()
            self._step(budget=None)
        if self._finished is not None:
            self._collect_timer.stop()
            self._show_timer.stop()
            self._show_finished()
        for thread in list(self._threads):
            thread.join(timeout)
