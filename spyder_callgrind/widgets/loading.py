"""Loading a kept run's tables off the GUI thread.

The pane first shows the run's small ``top`` table (a few hundred rows, read at once), then
the full table and the per-process tables, read by a background thread. Results arrive as
Qt signals (queued to the GUI thread). Only JSON is read here, never marshal: a damaged run
folder gives a short message, it cannot crash Spyder.
"""

from __future__ import annotations

import threading
from typing import List, Optional, Tuple

from qtpy.QtCore import QObject, Signal

from spyder_callgrind.engine import callgrind, profiles
from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.engine.recording import MERGED_TABLE, TABLES_DIR, table_name
from spyder_callgrind.engine.store import RunStore

#: (label, pid, data) of one process of a run, as the profile view lists them.
ProcessChoice = Tuple[str, int, ProfileData]


def load_run_tables(store: RunStore, record: RunRecord
                    ) -> Tuple[ProfileData, List[ProcessChoice]]:
    """The merged profile of a run and, for several processes, each process' profile."""
    merged_path = store.file_of(record, f"{TABLES_DIR}/{MERGED_TABLE}")
    try:
        merged = profiles.load_table(merged_path)
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
                data = profiles.load_table(path)
            except profiles.ProfileError:
                continue
            choices.append((process.role, process.pid, data))
    return merged, choices


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

    def load(self, record: RunRecord, store: RunStore,
             top_table: Optional[str] = None) -> None:
        """Show ``top_table`` rows now (if given), then everything from a thread."""
        self._generation += 1
        generation = self._generation
        if top_table:
            try:
                self.loaded.emit(record.id, profiles.load_table(top_table), False, [])
            except profiles.ProfileError:
                pass  # the full load below reports real problems

        def work():
            try:
                merged, choices = load_run_tables(store, record)
                for data in [merged] + [c[2] for c in choices]:
                    data.prepare()
            except (profiles.ProfileError, callgrind.CallgrindError, OSError) as error:
                if generation == self._generation:
                    self.failed.emit(record.id, str(error))
                return
            if generation == self._generation:
                self.loaded.emit(record.id, merged, True, choices)

        self._start(work)

    def compare(self, before: RunRecord, after: RunRecord, store: RunStore) -> None:
        def work():
            try:
                a, _c = load_run_tables(store, before)
                b, _c = load_run_tables(store, after)
            except (profiles.ProfileError, callgrind.CallgrindError, OSError) as error:
                self.failed.emit(after.id, str(error))
                return
            self.compared.emit(a, b, before.id, after.id)

        self._start(work)

    def _start(self, work) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=work, name="spyder-callgrind-loader", daemon=True)
        self._threads.append(thread)
        thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for pending loads (tests, shutdown)."""
        for thread in list(self._threads):
            thread.join(timeout)
