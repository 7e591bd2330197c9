"""One profiled run from start to kept: run the script, convert its profiles, store it.

This is what ``spyder-callgrind run`` does and, through that command, what the Spyder pane
does (the plugin starts the command as a subprocess, so profiling and conversion never hold
Spyder's GUI thread or interpreter lock).

The run folder is written under a hidden name and appears whole, whatever happened to the
script: a normal end, ``sys.exit(n)``, an exception, a Stop, or a script that could not start.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.workers import WORKERS_DIR
from spyder_callgrind.engine.records import (
    STATUS_FAILED, ProcessRecord, RunRecord)
from spyder_callgrind.engine.runner import RunOutcome, ScriptRunner, StartError
from spyder_callgrind.engine.store import (
    DEFAULT_KEEP, PendingRun, RunStore, StoreError, check_label)

if TYPE_CHECKING:
    from spyder_callgrind.engine.model import ProfileData

PROFILES_DIR = "profiles"
TABLES_DIR = "tables"
OUTPUT_FILE = "output.txt"
SUMMARY_FILE = "summary.txt"
MERGED_TABLE = "all.json"
TOP_TABLE = "top.json"
MERGED_PROFILE = "merged.prof"

OutputCallback = Callable[[str, str], None]


def table_name(pid: Optional[int]) -> str:
    """Name, under ``tables/``, of the JSON table of one process (or of all)."""
    return MERGED_TABLE if pid is None else f"{pid}.json"


class Recording:
    """A run in progress: ``start()``, optionally ``stop()``, then ``finish()``."""

    def __init__(self, store: RunStore, script: str, args: Sequence[str] = (), *,
                 cwd: Optional[str] = None, python: Optional[str] = None,
                 children: bool = True, on_output: Optional[OutputCallback] = None,
                 run_id: Optional[str] = None, label: str = "", keep: int = DEFAULT_KEEP,
                 protect: Sequence[str] = (), subprocesses: bool = False,
                 exact_threads: bool = False, input_pipe: bool = False):
        self.store = store
        #: the script reads stdin from :meth:`send_input` (else it inherits ours)
        self.input_pipe = input_pipe
        self.subprocesses = subprocesses
        self.exact_threads = exact_threads
        self.script = os.path.abspath(script)
        self.args = list(args)
        self.cwd = os.path.abspath(cwd or os.getcwd())
        # "python3.12" as well as a full path, as a shell would find it.
        self.python = (shutil.which(python) or python) if python else sys.executable
        self.children = children
        self.on_output = on_output
        self.label = check_label(label)
        self.keep = keep
        self.protect = list(protect)   #: run ids retention must not delete (being viewed)
        self.pending: PendingRun = store.begin(run_id)
        self.runner: Optional[ScriptRunner] = None
        self.start_error: Optional[str] = None
        #: the run's merged profile once :meth:`finish` converted it (None: no profile)
        self.profile: Optional[ProfileData] = None
        self.started = datetime.now().astimezone()

    @property
    def id(self) -> str:
        return self.pending.id

    def start(self) -> None:
        os.makedirs(self.pending.file(PROFILES_DIR), exist_ok=True)
        self.runner = ScriptRunner(
            self.script, self.args, cwd=self.cwd, python=self.python,
            profile_dir=self.pending.file(PROFILES_DIR),
            output_path=self.pending.file(OUTPUT_FILE),
            children=self.children, on_output=self.on_output,
            subprocesses=self.subprocesses, exact_threads=self.exact_threads,
            input_pipe=self.input_pipe)
        try:
            self.runner.start()
        except StartError as error:
            self.start_error = str(error)
            self.runner = None

    def stop(self, grace: float = 3.0) -> None:
        if self.runner is not None:
            self.runner.stop(grace)

    def send_input(self, text: str) -> None:
        """Text for the script's stdin (an ``input_pipe`` run)."""
        if self.runner is not None:
            self.runner.send_input(text)

    def close_input(self) -> None:
        """End of file on the script's stdin (an ``input_pipe`` run)."""
        if self.runner is not None:
            self.runner.close_input()

    def finish(self) -> RunRecord:
        """Wait for the script, convert what it left and make the run visible."""
        if self.runner is None:
            outcome = None
        else:
            outcome = self.runner.wait()
        try:
            record = self._record(outcome)
            self.profile = convert_run(self.pending, record)
            record_path = self.pending.commit(record)
        except StoreError:
            self.pending.discard()
            raise
        except OSError as error:
            self.pending.discard()
            raise StoreError(f"cannot save the run in {self.store.root}: "
                             f"{error.strerror or error}") from None
        del record_path
        self.store.apply_retention(self.keep, protect=[record.id, *self.protect])
        return record

    def _record(self, outcome: Optional[RunOutcome]) -> RunRecord:
        record = RunRecord(id=self.id, script=self.script, args=self.args, cwd=self.cwd,
                           python=self.python, started=self.started.isoformat(
                               timespec="milliseconds"),
                           label=self.label, children=self.children)
        if outcome is None:
            record.status = STATUS_FAILED
            record.message = self.start_error or "the script could not be started"
            if self.start_error:
                atomic_write(self.pending.file(OUTPUT_FILE), self.start_error + "\n")
            return record
        record.exit_code = outcome.exit_code
        record.status = outcome.status
        record.message = outcome.message
        record.started = outcome.started.astimezone().isoformat(timespec="milliseconds")
        record.duration = round(outcome.duration, 3)
        record.python = outcome.python
        record.python_version = outcome.python_version
        record.notes = list(outcome.notes)
        record.processes = []
        for process in outcome.processes:
            if process.profile:
                process.profile = f"{PROFILES_DIR}/{process.profile}"
            record.processes.append(process)
        if not os.path.exists(self.pending.file(OUTPUT_FILE)):
            atomic_write(self.pending.file(OUTPUT_FILE), "")
        return record


def preload_conversion() -> None:
    """Import what converting a run needs; call it while the script runs.

    The conversion modules are imported where they are used, not at the top of this
    module: starting a run needs none of them."""
    from spyder_callgrind.engine import callgrind, profiles, summary  # noqa: F401


def command_line(record: RunRecord) -> str:
    """The command a user would type for this run (for ``cmd:`` and display only)."""
    return " ".join(shlex.quote(a) for a in [record.script, *record.args])


#: Built-ins the profiler itself calls while starting/stopping (never the script).
_PROFILER_BUILTINS = ("<method 'disable' of '_lsprof.Profiler' objects>",
                      "<method 'enable' of '_lsprof.Profiler' objects>")


def without_profiler_frames(data: ProfileData) -> ProfileData:
    """Drop our own worker's functions (the wrappers that start, stop and save profiles).

    What they call stays: in a child process our wrapper calls multiprocessing's own
    ``_bootstrap``, which then becomes the process' entry point, as it is without us.
    """
    from spyder_callgrind.engine.model import Edge, ProfileData
    ours = os.path.join(WORKERS_DIR, "")
    drop = {i for i, f in enumerate(data.functions)
            if f.file.startswith(ours) or f.name in _PROFILER_BUILTINS}
    if not drop:
        return data
    keep = [i for i in range(len(data.functions)) if i not in drop]
    new_index = {old: new for new, old in enumerate(keep)}
    functions = [data.functions[i] for i in keep]
    edges = [Edge(new_index[e.caller], new_index[e.callee], *e[2:]) for e in data.edges
             if e.caller in new_index and e.callee in new_index]
    return ProfileData(functions, edges, data.description, data.event)


def convert_run(pending: PendingRun, record: RunRecord) -> Optional[ProfileData]:
    """Turn a run's raw profiles into callgrind files, JSON tables and a text summary;
    return the merged profile (None when no profile could be read)."""
    from spyder_callgrind.engine import profiles
    loaded: List[Tuple[ProcessRecord, ProfileData]] = []
    problems = []
    for process in record.processes:
        if not process.profiled or not process.profile:
            continue
        try:
            data = without_profiler_frames(
                profiles.load_pstats(pending.file(process.profile), base_dir=record.cwd))
        except profiles.ProfileError as error:
            process.profiled = False
            process.note = f"its profile could not be read: {error}"
            problems.append(process.note)
            continue
        loaded.append((process, data))
    if not loaded:
        record.callgrind = None
        record.profile = None
        record.summary = None
        if record.status != STATUS_FAILED and not record.message:
            record.message = "no profile was written"
        return None
    return write_outputs(pending.path, record, loaded)


def write_outputs(folder: str, record: RunRecord,
                  loaded: List[Tuple[ProcessRecord, ProfileData]]) -> ProfileData:
    """Write the callgrind file(s), tables and summary of already loaded profiles; return
    the merged profile."""
    from spyder_callgrind.engine import callgrind, profiles, summary
    os.makedirs(os.path.join(folder, TABLES_DIR), exist_ok=True)
    if len(loaded) == 1:
        merged = loaded[0][1]
    else:
        merged = profiles.merge_profiles(
            [data for _process, data in loaded],
            description=f"time summed over {len(loaded)} processes")
    # First the top rows: the pane shows them from the unfinished run folder while the
    # rest is written (see store.RunStore.pending_file).
    profiles.save_top(merged, os.path.join(folder, TABLES_DIR, TOP_TABLE))
    if len(loaded) == 1:
        record.profile = loaded[0][0].profile
    else:
        if all(process.profile for process, _data in loaded):
            record.profile = f"{PROFILES_DIR}/{MERGED_PROFILE}"
            profiles.write_pstats([os.path.join(folder, p.profile) for p, _d in loaded],
                                  os.path.join(folder, record.profile))
        else:  # parts of an imported callgrind file have no .prof
            record.profile = None
    cmd = command_line(record)
    parts = [callgrind.CallgrindPart(data=data, pid=process.pid, cmd=cmd,
                                     description=process.role)
             for process, data in loaded]
    names = callgrind.write_process_files(folder, record.id, parts)
    record.callgrind = names.main
    for (process, _data), name in zip(loaded, names.per_process):
        process.callgrind = name
    profiles.save_table(merged, os.path.join(folder, TABLES_DIR, MERGED_TABLE))
    if len(loaded) > 1:
        for process, data in loaded:
            profiles.save_table(data, os.path.join(folder, TABLES_DIR, table_name(process.pid)))
    text = summary.format_summary(merged, sort="cumulative")
    if len(loaded) > 1:
        text = (f"All {len(loaded)} processes merged: time summed over {len(loaded)} "
                f"processes (cProfile measures each process' wall time, so the sum can "
                f"exceed the run's duration)\n\n" + text)
    if record.notes:
        text = "".join(f"Note: {note}\n" for note in record.notes) + "\n" + text
    atomic_write(os.path.join(folder, SUMMARY_FILE), text)
    record.summary = SUMMARY_FILE
    return merged


def load_run_profile(store: RunStore, record: RunRecord,
                     pid: Optional[int] = None) -> Optional[ProfileData]:
    """A kept run's merged profile (or one process'), from its JSON tables; None when the
    run has no profile. Imported runs without tables are read from their callgrind file."""
    from spyder_callgrind.engine import callgrind, profiles
    if not record.callgrind:
        return None
    if pid is not None and record.profiled_count <= 1:
        pid = None
    path = store.file_of(record, f"{TABLES_DIR}/{table_name(pid)}")
    if path and os.path.exists(path):
        return profiles.load_table(path)
    path = store.file_of(record, record.callgrind)
    if not path or not os.path.isfile(path):
        raise StoreError(f"run {record.id} is damaged: its tables and its callgrind file "
                         f"{record.callgrind!r} are missing")
    parts = callgrind.read_callgrind(path)
    return profiles.merge_profiles(parts) if len(parts) > 1 else parts[0]
