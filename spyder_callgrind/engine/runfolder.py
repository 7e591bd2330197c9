"""One run folder: the names of its files, and reading what it holds.

Everything that knows where a run keeps something asks this object: the recording that
writes a run, the pane and the command line that read it, import, export, benchmarks.
:class:`~spyder_callgrind.engine.store.RunStore` owns the store (listing, retention) and
hands out a ``RunFolder`` per run: a kept one (``<store>/<id>``) or one still being written
(``<store>/.incomplete-<id>``, whose top table the pane shows before the run is kept).

Layout::

    run.json                    the RunRecord
    output.txt, summary.txt     the script's output, the text summary
    callgrind.out.<id>[...]     callgrind file(s) for KCacheGrind
    profiles/                   raw profiles (.prof, samples), as the workers wrote them
    profiles/merged.prof        all processes summed, for pstats
    tables/all.table            the merged profile as a table (:mod:`.table`)
    tables/top.table            its top rows, written first (a quick first paint)
    tables/<pid>.table          each process' profile, for a run of several processes
    tables/<name>.stacks.json   sampled stacks beside a table
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from spyder_callgrind.engine import callgrind, profiles, samples as sampling
from spyder_callgrind.engine.model import ProfileData, ProfileError
from spyder_callgrind.engine.table import (
    TOP_ROWS, TableVersionError, iter_load_table, load_table, run_steps)
from spyder_callgrind.engine.workers._spyder_callgrind_protocol import PROFILES_DIR

if TYPE_CHECKING:
    from spyder_callgrind.engine.records import RunRecord

TABLES_DIR = "tables"
TABLE_SUFFIX = ".table"
MERGED_TABLE = "all" + TABLE_SUFFIX
TOP_TABLE = "top" + TABLE_SUFFIX
MERGED_PROFILE = "merged.prof"
RUN_FILE = "run.json"
OUTPUT_FILE = "output.txt"
SUMMARY_FILE = "summary.txt"

#: (label, pid, data) of one process of a run, as the profile view lists them.
ProcessChoice = Tuple[str, int, ProfileData]


class StoreError(Exception):
    """A short, user-facing message about the store or a run in it."""


class RunFolder:
    """The folder at ``path`` of the run ``record`` (None while it is being written)."""

    def __init__(self, path: str, record: Optional["RunRecord"] = None):
        self.path = path
        self.record = record

    # -- layout ----------------------------------------------------------------------------
    def file(self, *names: str) -> str:
        """A file of ours in the folder (it may not exist yet)."""
        return os.path.join(self.path, *names)

    def named(self, name: Optional[str]) -> Optional[str]:
        """Absolute path of a file named in ``run.json``, or None when it would lie outside
        the folder."""
        if not name:
            return None
        folder = self.path
        path = os.path.normpath(os.path.join(folder, name))
        # Names come from a file on disk: never let one point outside its run folder,
        # neither by ".." or an absolute name nor through a symbolic link.
        if not path.startswith(folder + os.sep):
            return None
        real_folder = os.path.realpath(folder)
        if not os.path.realpath(path).startswith(real_folder + os.sep):
            return None
        return path

    def table(self, pid: Optional[int] = None) -> str:
        """The table of the process ``pid``, or of all processes merged."""
        name = MERGED_TABLE if pid is None else f"{pid}{TABLE_SUFFIX}"
        return self.file(TABLES_DIR, name)

    @property
    def top_table(self) -> str:
        return self.file(TABLES_DIR, TOP_TABLE)

    @property
    def profiles_dir(self) -> str:
        return self.file(PROFILES_DIR)

    # -- loading ---------------------------------------------------------------------------
    def load_top(self) -> Optional[ProfileData]:
        """The top rows, or None while they are not written (or cannot be read)."""
        try:
            return load_table(self.top_table)
        except ProfileError:
            return None

    def load_profile(self, pid: Optional[int] = None, top: int = 0) -> Optional[ProfileData]:
        """The merged profile (or the process ``pid``'s) from its table, else from the
        callgrind file (an imported run, or one kept by an older version); None when the
        run has no profile.

        ``top``: the caller reads only the first ``top`` functions by self time, inclusive
        time or calls; the small top table, which holds them, is read when it can."""
        return run_steps(self.iter_load_profile(pid, top))

    def iter_load_profile(self, pid: Optional[int] = None, top: int = 0):
        """:meth:`load_profile` as a generator of steps (see ``table.iter_load_table``)."""
        record = self.record
        if record is None or not record.callgrind:
            return None
        if pid is not None and record.profiled_count <= 1:
            pid = None
        if pid is None and 0 < top <= TOP_ROWS:
            data = self.load_top()
            if data is not None:
                return data
        table = self.table(pid)
        path = self.named(record.callgrind)
        have_callgrind = bool(path) and os.path.isfile(path)
        if os.path.exists(table):
            try:
                return (yield from iter_load_table(table))
            except TableVersionError:
                if not have_callgrind or pid is not None:
                    raise   # a process' own profile is only in its table
        if not have_callgrind:
            raise StoreError(f"run {record.id} is damaged: its tables and its callgrind "
                             f"file {record.callgrind!r} are missing")
        parts = callgrind.read_callgrind(path)
        return profiles.merge_profiles(parts) if len(parts) > 1 else parts[0]

    def load(self) -> Tuple[ProfileData, List[ProcessChoice]]:
        """The whole run, as the pane shows it: the merged profile and, for a run of
        several processes, each one's (a process whose table cannot be read is left out)."""
        return run_steps(self.iter_load())

    def iter_load(self):
        """:meth:`load` as a generator of steps, for a GUI thread."""
        merged = yield from self.iter_load_profile()
        if merged is None:
            raise StoreError(f"run {self.record.id} has no profile")
        profiled = [p for p in self.record.processes if p.profiled]
        choices: List[ProcessChoice] = []
        for process in profiled if len(profiled) > 1 else ():
            try:
                data = yield from iter_load_table(self.table(process.pid))
            except ProfileError:
                continue
            choices.append((process.role, process.pid, data))
        return merged, choices

    def load_samples(self, pid: Optional[int] = None) -> List[Any]:
        """The stack samples (``samples.ProcessSamples``) of every process or of the
        process ``pid``; an empty list when it has none."""
        record = self.record
        found = []
        for process in record.processes:
            if not process.samples or (pid is not None and process.pid != pid):
                continue
            path = self.named(process.samples)
            if path and os.path.isfile(path):
                found.append(sampling.load_samples(path, base_dir=record.cwd,
                                                   role=process.role))
        return found
