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
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from spyder_callgrind.engine import callgrind, profiles, samples as sampling, summary, table
from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.interpreters import InterpreterPaths
from spyder_callgrind.engine.model import Edge, ProfileData
from spyder_callgrind.engine.workers import WORKERS_DIR
from spyder_callgrind.engine.workers._spyder_callgrind_protocol import PROFILES_DIR
from spyder_callgrind.engine.records import (
    MODE_BOTH, MODE_SAMPLE, STATUS_FAILED, ProcessRecord, RunRecord)
from spyder_callgrind.engine.runfolder import (
    MERGED_PROFILE, OUTPUT_FILE, SUMMARY_FILE, TABLES_DIR, RunFolder)
from spyder_callgrind.engine.runner import (
    SHARED_THREADS_NOTE, RunOutcome, ScriptRunner, StartError)
from spyder_callgrind.engine.store import (
    DEFAULT_KEEP, PendingRun, RunStore, StoreError, check_label)

OutputCallback = Callable[[str, str], None]


class Recording:
    """A run in progress: ``start()``, optionally ``stop()``, then ``finish()``."""

    def __init__(self, store: RunStore, script: str, args: Sequence[str] = (), *,
                 cwd: Optional[str] = None, python: Optional[str] = None,
                 children: bool = True, on_output: Optional[OutputCallback] = None,
                 run_id: Optional[str] = None, label: str = "", keep: int = DEFAULT_KEEP,
                 protect: Sequence[str] = (), subprocesses: bool = False,
                 exact_threads: bool = False, input_pipe: bool = False,
                 mode: str = MODE_BOTH, sample_clock: str = "wall",
                 sample_interval: float = 0.004, argv0: Optional[str] = None):
        self.store = store
        self.argv0 = argv0
        #: the script reads stdin from :meth:`send_input` (else it inherits ours)
        self.input_pipe = input_pipe
        self.mode = mode
        self.sample_clock = sample_clock
        self.sample_interval = sample_interval
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
            input_pipe=self.input_pipe, mode=self.mode, sample_clock=self.sample_clock,
            sample_interval=self.sample_interval, argv0=self.argv0)
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
                           label=self.label, children=self.children, mode=self.mode)
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
        record.processes = in_run_folder(outcome.processes)
        with_interpreter(record, outcome.interpreter)
        if not os.path.exists(self.pending.file(OUTPUT_FILE)):
            atomic_write(self.pending.file(OUTPUT_FILE), "")
        return record


def in_run_folder(processes: List[ProcessRecord]) -> List[ProcessRecord]:
    """``processes`` as the worker named their files, named from the run folder."""
    for process in processes:
        if process.profile:
            process.profile = f"{PROFILES_DIR}/{process.profile}"
        if process.samples:
            process.samples = f"{PROFILES_DIR}/{process.samples}"
    return list(processes)


def with_interpreter(record: RunRecord, paths: Optional[InterpreterPaths]) -> None:
    """Keep on ``record`` the folders its interpreter recorded (if it did)."""
    if paths is not None:
        record.stdlib_dirs = list(paths.stdlib_dirs)
        record.sys_prefixes = list(paths.prefixes)


def command_line(record: RunRecord) -> str:
    """The command a user would type for this run (for ``cmd:`` and display only)."""
    return " ".join(shlex.quote(a) for a in [record.script, *record.args])


#: Built-ins the profiler itself calls while starting/stopping (never the script).
_PROFILER_BUILTINS = ("<method 'disable' of '_lsprof.Profiler' objects>",
                      "<method 'enable' of '_lsprof.Profiler' objects>")
#: The in-process stack sampler: everything it calls is overhead, not the script's.
SAMPLER_FILE = os.path.join(WORKERS_DIR, "_spyder_callgrind_sampler.py")


def without_profiler_frames(data: ProfileData) -> ProfileData:
    """Drop our own worker's functions (the wrappers that start, stop and save profiles,
    the stack sampler).

    What the wrappers call stays: in a child process our wrapper calls multiprocessing's
    own ``_bootstrap``, which then becomes the process' entry point, as it is without us.
    What the sampler calls is its own overhead: cProfile sees its signal handler (up to
    3.11 in the main thread's profiler, from 3.12 in the process-wide one), so the
    built-ins it calls (``sys._current_frames``, ``time.perf_counter_ns``...) carry its
    calls too.  Each callee of the sampler loses the calls and time of its edges from
    the sampler, and a callee left with no call is dropped: the script's own calls to
    ``time.perf_counter_ns`` keep exactly their count.
    """
    ours = os.path.join(WORKERS_DIR, "")
    drop = {i for i, f in enumerate(data.functions)
            if f.file.startswith(ours) or f.name in _PROFILER_BUILTINS}
    if not drop:
        return data
    overhead = {i for i in drop if data.functions[i].file == SAMPLER_FILE}
    minus: dict = {}
    for e in data.edges:
        if e.caller in overhead and e.callee not in drop:
            m = minus.setdefault(e.callee, [0, 0, 0, 0])
            m[0] += e.primitive_calls
            m[1] += e.total_calls
            m[2] += e.self_ns
            m[3] += e.inclusive_ns
    functions_in = list(data.functions)
    for callee, (primitive, total, self_ns, inclusive) in minus.items():
        f = functions_in[callee]
        functions_in[callee] = f._replace(
            primitive_calls=max(f.primitive_calls - primitive, 0),
            total_calls=max(f.total_calls - total, 0), self_ns=max(f.self_ns - self_ns, 0),
            inclusive_ns=max(f.inclusive_ns - inclusive, 0))
        if functions_in[callee].total_calls == 0:
            drop.add(callee)
    keep = [i for i in range(len(data.functions)) if i not in drop]
    new_index = {old: new for new, old in enumerate(keep)}
    functions = [functions_in[i] for i in keep]
    edges = [Edge(new_index[e.caller], new_index[e.callee], *e[2:]) for e in data.edges
             if e.caller in new_index and e.callee in new_index]
    return ProfileData(functions, edges, data.description, data.event)


def convert_run(pending: PendingRun, record: RunRecord) -> Optional[ProfileData]:
    """Turn a run's raw profiles into callgrind files, tables and a text summary;
    return the merged profile (None when no profile could be read)."""
    loaded: List[Tuple[ProcessRecord, ProfileData]] = []
    problems = []
    sampled: Dict[int, "sampling.ProcessSamples"] = {}
    for process in record.processes:
        if not process.profiled or not (process.profile or process.samples):
            continue
        try:
            if process.samples:
                try:
                    sampled[process.pid] = sampling.load_samples(
                        pending.file(process.samples), base_dir=record.cwd,
                        role=process.role)
                except sampling.SamplesError as error:
                    process.samples = None
                    problems.append(f"{process.role}: {error}")
            if process.profile:
                data = without_profiler_frames(
                    profiles.load_pstats(pending.file(process.profile), base_dir=record.cwd))
            elif process.pid in sampled:
                data = sampling.profile_from_samples(sampled[process.pid])
            else:
                raise profiles.ProfileError("its samples could not be read")
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
    return write_outputs(pending.folder, record, loaded, sampled)


def write_outputs(folder: RunFolder, record: RunRecord,
                  loaded: List[Tuple[ProcessRecord, ProfileData]],
                  sampled: Optional[Dict[int, Any]] = None) -> ProfileData:
    """Write the callgrind file(s), tables and summary of already loaded profiles; return
    the merged profile.  ``sampled``: pid -> ``samples.ProcessSamples`` of the processes
    that have stack samples (per-line costs, real stacks, per-thread time)."""
    os.makedirs(folder.file(TABLES_DIR), exist_ok=True)
    if len(loaded) == 1:
        merged = loaded[0][1]
    else:
        merged = profiles.merge_profiles(
            [data for _process, data in loaded],
            description=f"time summed over {len(loaded)} processes")
    # First the top rows: the pane shows them from the unfinished run folder while the
    # rest is written (see store.RunStore.pending_folder).
    table.save_top(merged, folder.top_table)
    if len(loaded) == 1:
        record.profile = loaded[0][0].profile
    else:
        if all(process.profile for process, _data in loaded):
            record.profile = f"{PROFILES_DIR}/{MERGED_PROFILE}"
            profiles.write_pstats(merged, folder.file(record.profile))
        else:  # parts of an imported callgrind file have no .prof
            record.profile = None
    cmd = command_line(record)
    sampled = {pid: s for pid, s in (sampled or {}).items() if s.count}
    if sampled:
        describe_samples(record, [sampled[p.pid] for p, _d in loaded if p.pid in sampled])
    elif record.mode in (MODE_BOTH, MODE_SAMPLE):
        record.notes.append(NO_SAMPLES_NOTE)
    parts = [callgrind.CallgrindPart(
        data=data, pid=process.pid, cmd=cmd, description=process.role,
        lines=sampling.line_costs([sampled[process.pid]], data, record.mode)
        if process.pid in sampled else None)
        for process, data in loaded]
    names = callgrind.write_process_files(folder.path, record.id, parts)
    record.callgrind = names.main
    for (process, _data), name in zip(loaded, names.per_process):
        process.callgrind = name
    table.save_table(merged, folder.table())
    if sampled:
        every = [sampled[p.pid] for p, _d in loaded if p.pid in sampled]
        sampling.SampledStacks.build(every, merged).save(
            sampling.stacks_path(folder.table()))
    if len(loaded) > 1:
        for process, data in loaded:
            path = folder.table(process.pid)
            table.save_table(data, path)
            if process.pid in sampled:
                sampling.SampledStacks.build([sampled[process.pid]], data).save(
                    sampling.stacks_path(path))
    text = summary.format_summary(merged, sort="cumulative")
    if len(loaded) > 1:
        text = (f"All {len(loaded)} processes merged: time summed over {len(loaded)} "
                f"processes (cProfile measures each process' wall time, so the sum can "
                f"exceed the run's duration)\n\n" + text)
    if record.notes:
        text = "".join(f"Note: {note}\n" for note in record.notes) + "\n" + text
    atomic_write(folder.file(SUMMARY_FILE), text)
    record.summary = SUMMARY_FILE
    return merged


#: Said of a run that asked for samples and has none.
NO_SAMPLES_NOTE = ("no stack samples were taken (the script ended before the first one, or "
                   "no timer signal was free beside cProfile: --mode sample always samples)")


def describe_samples(record: RunRecord, processes: List[Any]) -> None:
    """Put in ``record`` what its samples say: count, rate, clock, time per thread; the
    per-thread note replaces the one saying thread time is not separated."""
    if not processes:
        return
    record.sample_count = sum(p.count for p in processes)
    intervals = [p.interval_achieved_ns for p in processes if p.interval_achieved_ns]
    record.sample_interval_ns = sum(intervals) // len(intervals) if intervals else 0
    record.sample_clock = processes[0].clock
    rows = sampling.thread_times(processes)
    record.sampled_threads = rows
    if len(rows) > 1 and record.sample_count:
        record.notes = [n for n in record.notes if n != SHARED_THREADS_NOTE]
        record.notes.append(sampling.thread_note(rows, len(processes) > 1))
    if record.mode == MODE_SAMPLE:
        record.notes.append("sampled run: times are estimated from stack samples and call "
                            "counts were not measured (shown as 0)")
