"""The ``spyder-callgrind`` command: profile, list, show, export, convert, open and remove runs.

Every error a user can cause (bad file, unknown run, script that does not start) ends with
one short line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import List, Optional, Sequence

from spyder_callgrind import __version__
from spyder_callgrind.engine import diff, gate, profiles, repeat, samples as sampling, summary
from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.callgrind import CallgrindError
from spyder_callgrind.engine.cells import finish_console_runs
from spyder_callgrind.engine.exporting import ExportError, export_run
from spyder_callgrind.engine.importing import import_file
from spyder_callgrind.engine.model import (
    ProfileData, ProfileError, display_location, format_cost, format_ns)
from spyder_callgrind.engine.previous import compare_with_previous
from spyder_callgrind.engine.records import (
    STATUS_ERROR, STATUS_FAILED, STATUS_OK, STATUS_STOPPED, RunRecord)
from spyder_callgrind.engine.recording import Recording
from spyder_callgrind.engine.runner import StartError
from spyder_callgrind.engine.store import (
    INCOMPLETE_PREFIX, STORE_ENV, RunStore, StoreError, new_run_id)
from spyder_callgrind.engine.timeline import run_timeline, summarize
from spyder_callgrind.engine.viewer import ViewerNotFound, open_in_viewer


PROG = "spyder-callgrind"

#: Exit statuses of the command itself (``run`` exits with the script's own status).
EXIT_USAGE = 2
EXIT_STOPPED = 130


class CommandError(Exception):
    """A one-line message for the user; the command exits non-zero."""


def function_label(data: ProfileData, index: int) -> str:
    function = data.functions[index]
    return f"{function.name}  ({display_location(function)})"


def top_table(data: ProfileData, sort: str = "self", top: int = 15) -> str:
    """The top functions as an aligned text table."""
    indices = summary.top_functions(data, sort=sort, n=top)
    total = data.total_ns or 1
    lines = [f"{'self':>10} {'self%':>6} {'inclusive':>10} {'incl%':>6} {'calls':>10}  function"]
    for index in indices:
        f = data.functions[index]
        calls = (f"{f.primitive_calls}/{f.total_calls}" if f.primitive_calls != f.total_calls
                 else str(f.total_calls))
        lines.append(f"{format_cost(f.self_ns, data.event):>10} {100 * f.self_ns / total:5.1f}% "
                     f"{format_cost(f.inclusive_ns, data.event):>10} "
                     f"{100 * f.inclusive_ns / total:5.1f}% "
                     f"{calls:>10}  {function_label(data, index)}")
    return "\n".join(lines)


def _safe_encode_stream(stream) -> None:
    """Never die on printing a non-ASCII path to a terminal with a narrow encoding."""
    try:
        stream.reconfigure(errors="replace")
    except (AttributeError, ValueError):
        pass


# -- commands ------------------------------------------------------------------------------
def cmd_run(options: argparse.Namespace) -> int:
    if options.repeat != 1:
        return cmd_run_repeated(options)
    store = RunStore(options.store)
    script = os.path.abspath(options.script)

    def echo(stream_name: str, text: str) -> None:
        stream = sys.stdout if stream_name == "stdout" else sys.stderr
        stream.write(text)
        stream.flush()

    recording = Recording(store, script, options.args, cwd=options.cwd,
                          python=options.python, children=not options.no_children,
                          on_output=echo, run_id=options.id, label=options.label or "",
                          keep=options.keep, protect=options.protect or (),
                          subprocesses=options.subprocesses,
                          exact_threads=options.exact_threads, mode=options.mode,
                          sample_clock=options.sample_clock,
                          sample_interval=options.sample_interval / 1000.0,
                          input_pipe=options.control_stdin, argv0=options.script)
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: recording.stop())
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda *_: recording.stop(grace=1.0))
    try:
        recording.start()
        if options.control_stdin:
            # Read once the script runs: what the pane sent before waits in the pipe.
            threading.Thread(target=_watch_stdin, args=(recording,), daemon=True).start()
        record = recording.finish()
    finally:
        signal.signal(signal.SIGINT, previous)
    folder = store.path_of(record)
    err = sys.stderr
    err.write("\n")
    if record.status == STATUS_FAILED:
        err.write(f"{PROG}: {record.message}\n")
    elif record.status != STATUS_OK:
        err.write(f"{PROG}: {record.status}: {record.message}\n")
    for note in record.all_notes():
        err.write(f"{PROG}: note: {note}\n")
    if record.sampled:
        err.write(f"{PROG}: mode {sampling_line(record)}\n")
    err.write(f"Run {record.id} kept in {folder}\n")
    if record.callgrind:
        err.write(f"Callgrind file: {store.file_of(record, record.callgrind)}\n")
        data = recording.profile       # as converted: no need to read its table back
        if data is not None and options.top > 0:
            if record.profiled_count > 1:
                err.write(f"All {record.profiled_count} processes (time summed over the "
                          f"processes, each one's wall time):\n")
            err.write(top_table(data, sort="self", top=options.top) + "\n")
    if options.compare_previous:
        err.write(previous_run_report(store, record, recording.profile))
    err.flush()
    return exit_status(record)


def previous_run_report(store: RunStore, record: RunRecord,
                        profile: Optional[ProfileData] = None) -> str:
    """How ``record`` changed since the previous run of its script, as lines of text ("" when
    there is nothing to compare with)."""
    try:
        change = compare_with_previous(store, record, profile)
    except (StoreError, ValueError, OSError) as error:
        return f"{PROG}: note: not compared with the previous run: {error}\n"
    if change is None:
        return ""
    lines = [change.summary()]
    if change.movers:
        lines.append(f"  moved most: {change.movers_text()}")
    lines.append(f"  details: {PROG} diff {change.previous.id} {record.id}")
    return "\n".join(lines) + "\n"


def cmd_run_repeated(options: argparse.Namespace) -> int:
    """``run --repeat N``: N runs, of which the median by profiled time is kept (see
    :mod:`~spyder_callgrind.engine.repeat`). A run that does not end normally ends the
    repetition: it is kept and reported as it is, the runs before it are removed."""
    if options.repeat < 1:
        raise CommandError("--repeat needs a count of 1 or more")
    if options.id:
        raise CommandError("--id names one run; it cannot be used with --repeat")
    store = RunStore(options.store)
    done: List[RunRecord] = []
    for number in range(1, options.repeat + 1):
        sys.stderr.write(f"{PROG}: run {number} of {options.repeat}\n")
        once = argparse.Namespace(**vars(options))
        once.repeat, once.id, once.top, once.compare_previous = 1, new_run_id(), 0, False
        once.protect = [*(options.protect or ()), *(r.id for r in done)]
        status = cmd_run(once)
        record = store.get(once.id)
        if record.status != STATUS_OK:
            for earlier in done:
                store.remove(earlier.id)
            return status
        done.append(record)
    kept, _totals = repeat.keep_median(store, done)
    err = sys.stderr
    err.write(f"\nKept run {kept.id}: {kept.notes[-1]}; the other runs were removed\n")
    data = store.folder(kept).load_profile()
    if data is not None and options.top > 0:
        err.write(top_table(data, sort="self", top=options.top) + "\n")
    err.write(previous_run_report(store, kept, data))
    err.flush()
    return 0


def sampling_line(record: RunRecord) -> str:
    """"both: 1234 samples every 4.00 ms (wall clock)"."""
    every = f" every {format_ns(record.sample_interval_ns)}" if record.sample_interval_ns else ""
    clock = "CPU time" if record.sample_clock == "cpu" else "wall clock"
    return f"{record.mode}: {record.sample_count} samples{every} ({clock})"


def _watch_stdin(recording) -> None:
    """The ``--control-stdin`` protocol, one command a line (UTF-8):

    * ``input TEXT``: TEXT and a newline go to the script's stdin;
    * ``eof``: the script's stdin ends (until then its ``input()`` waits);
    * ``stop``: stop the script (as Ctrl-C), keeping its profile.

    The end of our own stdin means Spyder went away: the script is stopped.
    """
    # os.read, not sys.stdin: a daemon thread blocked inside a buffered reader aborts the
    # interpreter at exit ("could not acquire lock ... at interpreter shutdown").
    pending = b""
    while True:
        try:
            chunk = os.read(sys.stdin.fileno(), 65536)
        except (OSError, ValueError):
            chunk = b""
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            command, _, text = line.rstrip(b"\r").partition(b" ")
            if command == b"input":
                recording.send_input(text.decode("utf-8", "surrogateescape") + "\n")
            elif command == b"eof":
                recording.close_input()
            elif command.strip() == b"stop":
                recording.stop()
    recording.stop()


def exit_status(record: RunRecord) -> int:
    if record.status == STATUS_OK:
        return 0
    if record.status == STATUS_STOPPED:
        return EXIT_STOPPED
    code = record.exit_code
    if record.status in (STATUS_ERROR, STATUS_FAILED) and code and code < 0:
        return 128 - code        # killed by signal N: 128 + N, as a shell reports it
    if record.status == STATUS_ERROR and code:
        return code if 0 < code < 256 else 1
    return 1


def _store_with_console_runs(options: argparse.Namespace) -> RunStore:
    """The store, with runs a console's kernel finished while Spyder was not watching
    turned into kept runs first."""
    store = RunStore(options.store)
    for problem in finish_console_runs(store)[1]:
        sys.stderr.write(f"{PROG}: {problem}\n")
    return store


def cmd_list(options: argparse.Namespace) -> int:
    store = _store_with_console_runs(options)
    runs, problems = store.list_runs()
    for problem in problems:
        sys.stderr.write(f"{PROG}: skipped damaged run {problem}\n")
    for folder in store.interrupted():
        run_id = os.path.basename(folder)[len(INCOMPLETE_PREFIX):]
        sys.stderr.write(f"{PROG}: interrupted run {run_id} (its profiler "
                         f"was killed); '{PROG} clean' removes it\n")
    if options.json:
        # ASCII JSON (here and in show/diff): a path that is not UTF-8 reads back byte for
        # byte (as \udcXX escapes), whatever the terminal's encoding.
        json.dump([r.to_json() for r in runs], sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    if not runs:
        print(f"No runs in {store.root}")
        return 0
    print(f"{'id':<22} {'started':<19} {'duration':>9} {'status':<8} script")
    for r in runs:
        # one line per run, whatever a hand-edited or older run.json holds
        label = f"  [{' '.join(r.label.split())}]" if r.label else ""
        note = r.processes_note()
        note = f"  ({note})" if note else ""
        print(f"{r.id:<22} {r.started[:19].replace('T', ' '):<19} {r.duration:>8.2f}s "
              f"{r.status:<8} {r.script}{' ' + ' '.join(r.args) if r.args else ''}"
              f"{f'  ({r.origin})' if r.origin not in ('', 'console') else ''}{label}{note}")
    return 0


def _process_pid(record: RunRecord, choice: Optional[str]) -> Optional[int]:
    """``--process`` value (all, main, worker N, a pid) to a pid (None for all)."""
    if choice in (None, "", "all"):
        return None
    for process in record.processes:
        if choice in (str(process.pid), process.role):
            if not process.profiled:
                raise CommandError(f"process {choice} was not profiled: {process.note}")
            return process.pid
    roles = ", ".join(f"{p.role} ({p.pid})" for p in record.processes)
    raise CommandError(f"no process {choice!r} in run {record.id}; it has: all, {roles}")


def show_timeline(store: RunStore, record: RunRecord, pid: Optional[int]) -> int:
    """``show --timeline``: the summary line and each process' busy share."""
    timeline = run_timeline(store, record, pid)
    if timeline is None:
        raise CommandError(f"run {record.id} has no stack samples, so no timeline: profile "
                           f"with --mode both or --mode sample")
    print(summarize(timeline).text())
    for lane in timeline.lanes:
        life = max(lane.end_ns - lane.start_ns, 1)
        print(f"  {lane.label:<40} busy {lane.busy_ns() / life:5.0%}  waiting "
              f"{format_ns(lane.waiting_ns()):>9}  from {format_ns(lane.start_ns)} to "
              f"{format_ns(lane.end_ns)}")
    return 0


def cmd_show(options: argparse.Namespace) -> int:
    store = _store_with_console_runs(options)
    record = store.get(options.run)
    pid = _process_pid(record, options.process)
    if options.lines:
        return show_lines(store, record, pid, options.lines)
    if options.timeline:
        return show_timeline(store, record, pid)
    data = store.folder(record).load_profile(pid, top=options.top)
    if options.json:
        out = record.to_json()
        out["folder"] = store.path_of(record)
        if options.previous:
            try:
                change = compare_with_previous(store, record)
            except (StoreError, ValueError, OSError) as error:
                change = None
                out["previous_error"] = str(error)
            out["previous_change"] = change.to_json() if change is not None else None
        if data is not None:
            total = data.total_ns or 1
            # what self_ns/inclusive_ns count: "ns", or an imported file's event ("Ir"...)
            out["unit"] = data.event
            out["functions"] = [
                dict(name=f.name, file=f.file, line=f.line, primitive_calls=f.primitive_calls,
                     total_calls=f.total_calls, self_ns=f.self_ns,
                     inclusive_ns=f.inclusive_ns, self_percent=100 * f.self_ns / total)
                for f in (data.functions[i] for i in
                          summary.top_functions(data, sort=options.sort, n=options.top))]
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    print(f"Run {record.id}  {record.status}"
          + (f" ({record.message})" if record.message else ""))
    if record.source == "import":
        print(f"  imported from {record.script}"
              + (f" (file dated {record.file_date})" if record.file_date else ""))
        print(f"  imported {record.started}")
    else:
        print(f"  script   {record.script} {' '.join(record.args)}".rstrip())
        if record.origin:
            print(f"  from     {record.origin}")
        print(f"  started  {record.started}   duration {record.duration:.2f} s   "
              f"exit code {record.exit_code}")
        print(f"  python   {record.python} {record.python_version}".rstrip())
    print(f"  folder   {store.path_of(record)}")
    if record.label:
        print(f"  label    {record.label}")
    print(f"  mode     {sampling_line(record) if record.sampled else record.mode}")
    for note in record.notes:
        print(f"  note     {note}")
    if len(record.processes) > 1:
        note = record.processes_note() or f"{len(record.processes)} processes profiled"
        print(f"  processes {note}:")
        for p in record.processes:
            state = "" if p.profiled else f"  NOT PROFILED: {p.note}"
            print(f"    {p.role:<12} pid {p.pid}{state}")
    if data is None:
        print("  (no profile)")
        return 0
    if record.callgrind:
        print(f"  callgrind {store.file_of(record, record.callgrind)}")
    role = next((p.role for p in record.processes if p.pid == pid), "process")
    scope = (f"all {record.profiled_count} processes (time summed over the processes: "
             f"each one's wall time, so the sum can exceed the run's duration)") if (
        pid is None and record.profiled_count > 1) else (
        f"{role} (pid {pid})" if pid is not None else "")
    print()
    if scope:
        print(f"Top functions by {options.sort}, {scope}:")
    print(top_table(data, sort=options.sort, top=options.top))
    if options.previous:
        report = previous_run_report(store, record)
        print("\n" + (report.rstrip("\n") if report else "No previous complete run of this "
                      "script to compare with."))
    return 0


def show_lines(store: RunStore, record: RunRecord, pid: Optional[int], query: str) -> int:
    """Print a function's source lines with each line's share of its sampled time."""
    processes = store.folder(record).load_samples(pid)
    if not processes:
        raise CommandError(f"run {record.id} has no stack samples (recorded with --mode "
                           f"{record.mode}); per-line costs need --mode both or sample")
    keys = sampling.functions_matching(processes, query)
    if not keys:
        raise CommandError(f"no sampled function {query!r} in run {record.id}")
    key = keys[0]
    source = sampling.read_source(key[0])
    print(sampling.format_function_lines(sampling.function_lines(processes, key), source))
    if len(keys) > 1:
        others = ", ".join(f"{k[2]} ({os.path.basename(k[0])}:{k[1]})" for k in keys[1:4])
        print(f"(also matching: {others})")
    print("own: the line itself was running; incl: it was running or calling; "
          "% of the function's sampled time")
    return 0


def cmd_export(options: argparse.Namespace) -> int:
    store = RunStore(options.store)
    record = store.get(options.run)
    pid = _process_pid(record, options.process)
    out = options.output
    if out != "-" and os.path.isdir(out):
        raise CommandError(f"{out} is a folder; give a file name")
    try:
        result = export_run(store, record, options.format, pid, options.unit)
    except ExportError as error:
        raise CommandError(str(error)) from None
    if result.note:
        sys.stderr.write(f"{PROG}: note: {result.note}\n")
    if out == "-":
        if result.binary:
            raise CommandError(f"{options.format} data is binary: give a file with -o")
        sys.stdout.write(result.content.decode("utf-8", "surrogateescape"))
        return 0
    atomic_write(out, result.content)
    print(f"Wrote {out}", file=sys.stderr)
    return 0


def cmd_convert(options: argparse.Namespace) -> int:
    for path in options.profiles:
        if not os.path.isfile(path):
            raise CommandError(f"no such file: {path}")
    out = options.output
    if os.path.isdir(out):
        raise CommandError(f"{out} is a folder; give a file name such as callgrind.out.prog")
    # Untrusted marshal data is read in a child process (it can crash an interpreter), which
    # writes the callgrind file itself: the profile never has to come back to this one.
    count = profiles.convert_isolated(options.profiles, out, " ".join(options.profiles))
    many = len(options.profiles) > 1
    print(f"Wrote {out} ({count} functions from "
          f"{len(options.profiles)} profile{'s' if many else ''})")
    return 0


def cmd_open(options: argparse.Namespace) -> int:

    store = RunStore(options.store)
    record = store.get(options.run)
    path = store.file_of(record, record.callgrind)
    if not path or not os.path.isfile(path):
        raise CommandError(f"run {record.id} has no callgrind file")
    try:
        open_in_viewer(path, options.viewer)
    except ViewerNotFound as error:
        raise CommandError(str(error)) from None
    print(f"Opened {path}")
    return 0


def cmd_rm(options: argparse.Namespace) -> int:
    store = RunStore(options.store)
    for ref in options.runs:
        record = store.remove(ref)
        print(f"Removed run {record.id}")
    return 0


def cmd_clean(options: argparse.Namespace) -> int:
    store = RunStore(options.store)
    removed = store.clean()
    for folder in removed:
        print(f"Removed {os.path.basename(folder)}")  # .incomplete-<id> or .deleting-<id>
    if not removed:
        print(f"Nothing to clean in {store.root}")
    return 0


def cmd_label(options: argparse.Namespace) -> int:
    store = RunStore(options.store)
    record = store.set_label(options.run, options.label)
    print(f"Run {record.id} labelled {record.label!r}" if record.label
          else f"Run {record.id} unlabelled")
    return 0


def cmd_import(options: argparse.Namespace) -> int:
    store = RunStore(options.store)
    record = import_file(store, options.file, label=options.label or "", run_id=options.id)
    print(f"Imported {options.file} as run {record.id} in {store.path_of(record)}")
    return 0


def cmd_diff(options: argparse.Namespace) -> int:

    store = RunStore(options.store)
    before_record, after_record = store.get(options.run_a), store.get(options.run_b)
    before = store.folder(before_record).load_profile()
    after = store.folder(after_record).load_profile()
    if before is None or after is None:
        raise CommandError("both runs need a profile to compare")
    if before.event != after.event:
        raise CommandError(f"cannot compare {before_record.id} and {after_record.id}: "
                           f"they count different events ({before.event}, {after.event})")
    rows = diff.diff_profiles(before, after)
    if options.fail_above is not None:
        return diff_gate(options, before_record, after_record, rows)
    if options.json:
        sys.stdout.write(diff.diff_to_json(rows, event=after.event) + "\n")
    else:
        print(f"{before_record.id} -> {after_record.id}")
        print(diff.format_diff(rows, options.top, event=after.event))
    return 0


def diff_gate(options: argparse.Namespace, before_record: RunRecord,
              after_record: RunRecord, rows) -> int:
    """``diff --fail-above``: the comparison and the gate's verdict; 1 when it fails."""
    min_ms = gate.DEFAULT_MIN_MS if options.min_ms is None else options.min_ms
    if options.fail_above < 0 or min_ms < 0:
        raise CommandError("--fail-above and --min-ms take numbers of 0 or more")
    result = gate.check(rows, options.fail_above, min_ms)
    if options.json:
        json.dump(dict(before=before_record.id, after=after_record.id, **result.to_json()),
                  sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(f"{before_record.id} -> {after_record.id}")
        print(diff.format_diff(rows, options.top))
        print()
        print(result.report())
    return 1 if result.failed else 0


# -- parser --------------------------------------------------------------------------------
def _positive_ms(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"not a positive number of milliseconds: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Profile Python scripts to callgrind files and keep the runs.",
        epilog=f"Runs are kept in the store: --store DIR, else ${STORE_ENV}, else a "
               "'callgrind' folder in Spyder's configuration folder. A run is named by its "
               "id, a unique prefix of it, 'last' or its folder; 'RUN~N' is the Nth run "
               "before RUN ('last~1'), 'RUN~prev' the previous complete run of RUN's script "
               "with the same arguments and interpreter, and 'prev' is 'last~prev'.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name, func, help_text):
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--store", metavar="DIR", help="the run store folder")
        command.set_defaults(func=func)
        return command

    run = add("run", cmd_run, "profile a script and keep the run")
    run.add_argument("--python", metavar="EXE", help="interpreter to run the script with "
                     "(default: this one)")
    run.add_argument("--cwd", metavar="DIR", help="working directory (default: current)")
    run.add_argument("--no-children", action="store_true",
                     help="do not profile child processes and threads")
    run.add_argument("--subprocesses", action="store_true",
                     help="also profile Pythons the script starts with subprocess "
                          "([sys.executable, 'other.py'])")
    run.add_argument("--exact-threads", action="store_true",
                     help="Python 3.12+: time each thread separately (several times "
                          "cProfile's cost on call-heavy code; by default one profiler per "
                          "process counts every thread's calls exactly, but does not "
                          "separate their time)")
    run.add_argument("--mode", choices=("exact", "sample", "both"), default="both",
                     help="exact: cProfile's call counts and times; sample: a stack sampler "
                          "alone (low overhead, real stacks and per-line costs, no call "
                          "counts); both (default): the two from the same run")
    run.add_argument("--sample-clock", choices=("wall", "cpu"), default="wall",
                     help="what the sampler measures: wall time (default: waiting shows) "
                          "or CPU time")
    run.add_argument("--sample-interval", type=_positive_ms, default=4.0, metavar="MS",
                     help="requested milliseconds between samples (default 4; the system "
                          "may round it up: the run records the interval achieved)")
    run.add_argument("--label", help="label the run (labelled runs are never pruned)")
    run.add_argument("--keep", type=int, default=50, metavar="N",
                     help="keep the last N runs (default 50; 0 keeps all)")
    run.add_argument("--top", type=int, default=15, metavar="N",
                     help="top functions to print after the run (default 15)")
    run.add_argument("--protect", action="append", metavar="RUN",
                     help="never prune this run (repeatable; the pane passes the run it shows)")
    run.add_argument("--repeat", type=int, default=1, metavar="N",
                     help="run the script N times and keep only the median run by profiled "
                          "time, for steadier figures (default 1)")
    run.add_argument("--no-compare", dest="compare_previous", action="store_false",
                     help="do not say how the run changed since the previous run of the script")
    run.add_argument("--id", help=argparse.SUPPRESS)
    run.add_argument("--control-stdin", action="store_true", help=argparse.SUPPRESS)
    run.add_argument("script", metavar="SCRIPT")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")

    lst = add("list", cmd_list, "list kept runs, newest first")
    lst.add_argument("--json", action="store_true", help="machine-readable output")

    show = add("show", cmd_show, "show a run and its top functions")
    show.add_argument("run", metavar="RUN", help="run id, unique prefix, 'last', 'last~N', "
                      "'prev', 'RUN~prev' or folder")
    show.add_argument("--sort", choices=("self", "inclusive", "calls"), default="self")
    show.add_argument("--top", type=int, default=20, metavar="N")
    show.add_argument("--process", metavar="P",
                      help="'all' (default), a role such as 'main' or 'worker 1', or a pid")
    show.add_argument("--json", action="store_true")
    show.add_argument("--previous", action="store_true",
                      help="also say how the run changed since the previous complete run of "
                           "its script (with --json: as 'previous_change', null when none)")
    show.add_argument("--timeline", action="store_true",
                      help="when each process was busy and what the main process waited "
                           "for (from the run's stack samples)")
    show.add_argument("--lines", metavar="FUNCTION",
                      help="print FUNCTION's source lines with each line's own and inclusive "
                           "share of its sampled time (a name, or file.py:line)")

    export = add("export", cmd_export, "write a run in another format")
    export.add_argument("run", metavar="RUN", help="run id, unique prefix, 'last' or folder")
    export.add_argument("--format", choices=("callgrind", "pstats", "speedscope",
                                             "collapsed", "text", "chrome"), required=True,
                        help="callgrind (KCacheGrind), pstats (.prof), speedscope (JSON), "
                             "collapsed (flamegraph.pl / inferno: 'root;...;leaf COUNT'), "
                             "text (pstats-like summary), chrome (the timeline as Trace "
                             "Event JSON: Perfetto UI, chrome://tracing, speedscope)")
    export.add_argument("-o", "--output", default="-", metavar="FILE",
                        help="file to write (default: standard output)")
    export.add_argument("--process", metavar="P",
                        help="'all' (default), a role such as 'main' or 'worker 1', or a pid")
    export.add_argument("--unit", choices=("us", "samples"), default="us",
                        help="collapsed: COUNT as sampled microseconds (default) or as "
                             "sample counts")

    convert = add("convert", cmd_convert, "convert .prof files to one callgrind file")
    convert.add_argument("profiles", nargs="+", metavar="PROFILE.prof")
    convert.add_argument("-o", "--output", required=True, metavar="OUT")

    opener = add("open", cmd_open, "open a run in QCacheGrind/KCacheGrind")
    opener.add_argument("run", metavar="RUN")
    opener.add_argument("--viewer", metavar="EXE", help="viewer executable to use")

    rm = add("rm", cmd_rm, "delete runs")
    rm.add_argument("runs", nargs="+", metavar="RUN")

    add("clean", cmd_clean, "remove runs left incomplete by a killed profiler")

    label = add("label", cmd_label, "label a run (an empty label removes it)")
    label.add_argument("run", metavar="RUN")
    label.add_argument("label")

    imp = add("import", cmd_import, "keep an existing .prof or callgrind file as a run")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--label")
    imp.add_argument("--id", metavar="ID", help="id of the new run (default: a new one)")

    diff_cmd = add("diff", cmd_diff, "compare two runs, largest slowdown first")
    diff_cmd.add_argument("run_a", metavar="RUN_A")
    diff_cmd.add_argument("run_b", metavar="RUN_B")
    diff_cmd.add_argument("--top", type=int, default=25, metavar="N")
    diff_cmd.add_argument("--json", action="store_true")
    diff_cmd.add_argument("--fail-above", type=float, metavar="PCT",
                          help="regression gate: exit 1 when the total or a function's "
                               "inclusive time grew by more than PCT percent and by more than "
                               "--min-ms, naming what grew")
    diff_cmd.add_argument("--min-ms", type=float, metavar="MS",
                          help="with --fail-above: ignore growth of MS milliseconds or less "
                               "(default 10)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    _safe_encode_stream(sys.stdout)
    _safe_encode_stream(sys.stderr)
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        return options.func(options)
    except (CommandError, StoreError, StartError) as error:
        sys.stderr.write(f"{PROG}: {error}\n")
        return 1
    except ValueError as error:
        if not isinstance(error, (ProfileError, CallgrindError)):
            raise
        sys.stderr.write(f"{PROG}: {error}\n")
        return 1
    except BrokenPipeError:  # e.g. `spyder-callgrind list | head`: stop quietly
        try:             # Python's own flush of stdout at exit must not complain either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except OSError as error:
        sys.stderr.write(f"{PROG}: {error.strerror or error}"
                         f"{': ' + error.filename if error.filename else ''}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_STOPPED


if __name__ == "__main__":
    sys.exit(main())
