"""Loading a kept run in a worker thread, its result handed to the GUI by a Qt signal.

The pane first shows the run's small top table (a few hundred rows, read at once on the
GUI thread), then the whole run: its folder's tables (:class:`~spyder_callgrind.engine.
runfolder.RunFolder`), each read in one go from typed columns, the indices and the call
table's first sort built beside them, all in a thread. The thread never holds the
interpreter lock for long: reading a column is one ``array.frombytes``, and the rest is
Python code that hands the lock over at every switch interval. A new load makes the
previous one stale: its result is dropped when it arrives.

A damaged run folder gives a short message (``failed``), it cannot crash Spyder: only our
table files and callgrind files are read here, never marshal.
"""

from __future__ import annotations

import threading
from typing import List, Optional, Tuple

from qtpy.QtCore import QObject, Signal

from spyder_callgrind.engine import callgrind, profiles
from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.engine.runfolder import ProcessChoice
from spyder_callgrind.engine.store import RunStore, StoreError
from spyder_callgrind.engine.table import load_table
from spyder_callgrind.widgets.calltable import prepare_sort

#: How often the pane looks for the top rows of a run that is being converted (a stat call:
#: the rows show within this much of being written).
PREVIEW_POLL_SECONDS = 0.04


def load_run_tables(store: RunStore, record: RunRecord
                    ) -> Tuple[ProfileData, List[ProcessChoice]]:
    """The merged profile of a run and, for several processes, each process' profile,
    with their indices and the call table's first order built."""
    merged, choices = store.folder(record).load()
    for data in [merged] + [c[2] for c in choices]:
        data.prepare()
        prepare_sort(data)
    return merged, choices


def _short(error: Exception) -> str:
    """One line for the pane: our own errors say what is wrong; others are named."""
    if isinstance(error, (profiles.ProfileError, callgrind.CallgrindError, StoreError,
                          OSError)):
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
    # From the thread to this object's (the GUI) thread, with the load's generation: the
    # check that a newer load was asked for is made where the answer is delivered.
    _done = Signal(int, str, object, object)
    _refused = Signal(int, str, str)

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._generation = 0
        self._threads: List[threading.Thread] = []
        self._done.connect(self._deliver)
        self._refused.connect(self._deliver_failure)

    def load(self, record: RunRecord, store: RunStore,
             top_table: Optional[str] = None) -> None:
        """Show ``top_table`` rows now (if given), then everything, read in a thread."""
        self._generation += 1
        generation = self._generation
        if top_table:
            try:
                self.loaded.emit(record.id, load_table(top_table), False, [])
            except profiles.ProfileError:
                pass  # the full load below reports real problems

        def work():
            try:
                merged, choices = load_run_tables(store, record)
            except Exception as error:  # noqa: BLE001 - a hostile run folder, say so
                self._refused.emit(generation, record.id, _short(error))
                return
            self._done.emit(generation, record.id, merged, choices)

        self._start(work)

    def _deliver(self, generation: int, run_id: str, merged, choices) -> None:
        if generation == self._generation:
            self.loaded.emit(run_id, merged, True, choices)

    def _deliver_failure(self, generation: int, run_id: str, message: str) -> None:
        if generation == self._generation:
            self.failed.emit(run_id, message)

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
        """Wait for pending loads (tests, shutdown); their signals arrive with the next
        turn of the event loop."""
        for thread in list(self._threads):
            thread.join(timeout)
