"""spyder-callgrind benchmarks: one run, every measurement side by side on the same files.

    python benchmarks/run_benchmarks.py [--sizes 1000,10000,50000,100000] [--repeat 3]
                                        [--real 20000] [--json PATH] [--smoke]
                                        [--skip kcachegrind,overhead,...]

Sections (see benchmarks/README.md for what each one means):

* ``finished``    a finished profile to its first rows painted: our path (the running
                  ``spyder-callgrind run`` process converts as ``recording.convert_run``
                  does, writing the top rows first; the real pane, ``ProfilePane``, follows
                  it and shows them from the unfinished run folder) against Spyder 6.1's own Profiler widget
                  (``ProfilerSubWidget.show_profile_buffer``) on the same .prof; the time
                  until the run is complete in the store is reported too;
* ``history``     a click on a kept run in the real pane (``ProfilePane.select_run``) to
                  its first rows (RunLoader + the top table), and to all rows (the full
                  table read in steps between GUI events and shown);
* ``gui_gap``     longest gap between ticks of a 10 ms QTimer while that full load runs;
                  on the largest file also while the pane imports the run's callgrind file
                  and while it exports the run to speedscope (``transfer_gap``);
* ``table_ops``   sorting by every column and searching / toggling filters on the full
                  table through the real ProfileView, until the table has painted;
* ``conversion``  load_pstats + write_process_files against pyprof2calltree's
                  CalltreeConverter, each in a fresh subprocess: wall time, peak RSS, size;
* ``commands``    whole commands, as a user types them, each a process timed from launch
                  to exit: ``spyder-callgrind show RUN --top 20`` against
                  ``python -c "pstats.Stats(F).sort_stats('tottime').print_stats(20)"``, and
                  ``spyder-callgrind convert F -o OUT`` against ``pyprof2calltree -i F -o OUT``;
* ``kcachegrind`` KCacheGrind's time from start until its title names the loaded file;
* ``overhead``    a CPU-bound script under ``spyder_callgrind run`` against
                  ``python -m cProfile -o``: the script's own time, the whole command's time,
                  and the time from launch to the script's first line;
* ``sampling``    the stack sampler's cost on that script: ``run --mode sample`` against
                  plain ``python script.py``, ``--mode both`` against ``--mode exact``.

Every figure is the median of ``--repeat`` runs; ratios are computed within this run.
Results go to ``benchmarks/results.json`` (or ``--json PATH``) and a table is printed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

SECTIONS = ("files", "finished", "history", "gui_gap", "table_ops", "transfer_gap",
            "conversion", "commands", "kcachegrind", "overhead", "targets")
DEFAULT_SIZES = (1000, 10_000, 50_000, 100_000)
SMOKE_SIZES = (300, 1000)
TARGET_SIZES = (50_000, 100_000)


def median(values: List[float]) -> Optional[float]:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _env_for_children() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH", "")) if p)
    return env


# -- the profiles -----------------------------------------------------------------------------

def prepare_files(work: str, sizes: List[int], real_n: int) -> List[Dict[str, Any]]:
    """Write (or reuse) the synthetic profiles and the real one; describe them."""
    import generate
    from spyder_callgrind.engine.profiles import load_pstats

    data_dir = os.path.join(work, "profiles")
    os.makedirs(data_dir, exist_ok=True)
    files = []
    for n in sizes:
        path = os.path.join(data_dir, f"synthetic-{n}.prof")
        if not os.path.exists(path):
            generate.write_synthetic(path, n)
        files.append({"name": f"synthetic-{n}", "path": path, "kind": "synthetic"})
    if real_n:
        folder = os.path.join(work, f"real-program-{real_n}")
        path = os.path.join(data_dir, f"real-{real_n}.prof")
        if not os.path.exists(path):
            generate.write_real_program(folder, real_n)
            generate.profile_real_program(folder, path, real_n)
        files.append({"name": f"real-{real_n}", "path": path, "kind": "real"})
    for entry in files:
        data = load_pstats(entry["path"])
        entry["functions"] = len(data.functions)
        entry["edges"] = len(data.edges)
        entry["bytes"] = os.path.getsize(entry["path"])
    return files


# -- Qt helpers ---------------------------------------------------------------------------------

class PaintWatch:
    """Notes paint events of a widget (a view's viewport)."""

    def __init__(self, widget):
        from qtpy.QtCore import QEvent, QObject

        class _Filter(QObject):
            def eventFilter(inner, watched, event):  # noqa: N805
                if event.type() == QEvent.Paint:
                    self.painted = True
                return False

        self.painted = False
        self._filter = _Filter()
        widget.installEventFilter(self._filter)


def spin_until(app, condition: Callable[[], bool], timeout: float = 120.0) -> bool:
    from qtpy.QtCore import QEventLoop
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            return False
        app.processEvents(QEventLoop.AllEvents, 5)
        if not condition():
            time.sleep(0.0005)
    return True


def settle(app, seconds: float = 0.05) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def make_store_run(work: str, prof: str, name: str):
    """Convert ``prof`` as ``recording.convert_run`` does and keep it in a fresh store.

    Returns (store, record, seconds the conversion took)."""
    from spyder_callgrind.engine import recording
    from spyder_callgrind.engine.records import ProcessRecord, RunRecord
    from spyder_callgrind.engine.store import RunStore

    root = tempfile.mkdtemp(prefix=f"store-{name}-", dir=work)
    store = RunStore(root)
    started = time.perf_counter()
    pending = store.begin()
    folder = pending.folder
    os.makedirs(folder.profiles_dir, exist_ok=True)
    shutil.copyfile(prof, os.path.join(folder.profiles_dir, "main.prof"))
    record = RunRecord(id=pending.id, script=os.path.join(work, "script.py"), cwd=work,
                       processes=[ProcessRecord(pid=os.getpid(), profile=os.path.relpath(
                           os.path.join(folder.profiles_dir, "main.prof"), folder.path))])
    recording.convert_run(pending, record)
    pending.commit(record)
    seconds = time.perf_counter() - started
    return store, record, seconds


def new_pane(store_root: str):
    """The real pane (``widgets.pane.ProfilePane``, as the plugin wraps it) on a store."""
    from spyder_callgrind.widgets.pane import DictSettings, ProfilePane
    settings = DictSettings({"store_dir": store_root})
    pane = ProfilePane(settings.get, settings.set)
    pane.resize(1200, 800)
    pane.show()
    return pane


def close_pane(app, pane) -> None:
    pane.shutdown()
    pane.close()
    pane.deleteLater()
    settle(app, 0.02)


class GapWatch:
    """The longest gap between ticks of a 10 ms QTimer: how long the GUI thread was
    blocked at most while something ran."""

    def __init__(self):
        from qtpy.QtCore import QTimer
        self.ticks: List[float] = []
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self, app) -> float:
        self._timer.start()
        settle(app, 0.05)
        gc.collect()
        started = time.perf_counter()
        self.ticks.append(started)
        self.started = started
        return started

    def stop(self, app) -> float:
        settle(app, 0.03)
        self._timer.stop()
        ends = [t for t in self.ticks if t >= self.started]
        ends.append(time.perf_counter())
        self.count = len(ends)
        return max(b - a for a, b in zip(ends, ends[1:]))


# -- (a) finished run -> first rows, ours vs Spyder's Profiler --------------------------------

_CONVERTER = r"""
import os, shutil, sys
root, prof, work, run_id, package = sys.argv[1:6]
sys.path.insert(0, package)
from spyder_callgrind.engine import recording
from spyder_callgrind.engine.records import ProcessRecord, RunRecord
from spyder_callgrind.engine.store import RunStore
store = RunStore(root)
print("ready", flush=True)
sys.stdin.readline()
pending = store.begin(run_id)
folder = pending.folder
os.makedirs(folder.profiles_dir, exist_ok=True)
shutil.copyfile(prof, os.path.join(folder.profiles_dir, "main.prof"))
record = RunRecord(id=run_id, script=os.path.join(work, "script.py"), cwd=work,
                   processes=[ProcessRecord(pid=os.getpid(), profile=os.path.relpath(
                       os.path.join(folder.profiles_dir, "main.prof"), folder.path))])
recording.convert_run(pending, record)
pending.commit(record)
print("done", flush=True)
"""


def converter_process(root: str, prof: str, work: str):
    """The end of a ``spyder-callgrind run`` as the pane follows it: a command (started,
    modules imported) that converts the profile once told "go", writing the top rows first."""
    from spyder_callgrind.engine.store import new_run_id
    from spyder_callgrind.widgets.runprocess import CommandProcess

    class ConverterProcess(CommandProcess):
        def command(self):
            return [sys.executable, "-c", _CONVERTER, root, prof, work, self.run_id, ROOT]

        def go(self):
            self._process.write(b"go\n")

    return ConverterProcess(new_run_id(), work)


def bench_finished(app, work: str, entry: Dict[str, Any], repeat: int) -> Dict[str, Any]:
    """The pane's own path: when the script ends, the ``spyder-callgrind run`` process that
    ran it (already started, modules imported) converts the profile; the real pane
    (``ProfilePane.follow``, its preview polling) shows the top rows as soon as they are
    written, then the whole run when it is kept."""
    from spyder_callgrind.engine.records import RunRecord
    from spyder.plugins.profiler.widgets.profiler_data_tree import ProfilerSubWidget

    ours, ours_convert, spyder = [], [], []
    buffer = open(entry["path"], "rb").read()
    for _ in range(repeat):
        root = tempfile.mkdtemp(prefix=f"store-{entry['name']}-", dir=work)
        pane = new_pane(root)
        settle(app)
        process = converter_process(root, entry["path"], work)
        output: List[str] = []
        process.output.connect(lambda _id, _stream, text, output=output: output.append(text))
        done = {"kept": None, "loaded": False}
        pane.run_finished.connect(lambda run_id, done=done: done.update(
            kept=time.perf_counter()))
        pane.run_loaded.connect(lambda run_id, complete, done=done: done.update(
            loaded=complete and done["kept"] is not None))
        pane.follow(process, RunRecord(id=process.run_id, script=entry["path"], cwd=work))
        spin_until(app, lambda: "ready" in "".join(output))
        view = pane.view
        watch = PaintWatch(view.table.viewport())
        gc.collect()
        started = time.perf_counter()
        process.go()
        spin_until(app, lambda: view.model.rowCount() > 0 and watch.painted)
        ours.append(time.perf_counter() - started)
        spin_until(app, lambda: done["kept"] is not None)   # the run is complete in the store
        ours_convert.append(done["kept"] - started)
        spin_until(app, lambda: done["loaded"])
        close_pane(app, pane)
        shutil.rmtree(root, ignore_errors=True)

        # Spyder's Profiler pane: the widget the console's "show_profile_file" call fills
        widget = ProfilerSubWidget(None)
        widget.resize(1200, 800)
        widget.show()
        settle(app)
        tree = widget.data_tree
        watch = PaintWatch(tree.viewport())
        gc.collect()
        started = time.perf_counter()
        widget.show_profile_buffer(buffer, [])
        watch.painted = False
        spin_until(app, lambda: tree.topLevelItemCount() > 0 and watch.painted)
        spyder.append(time.perf_counter() - started)
        widget.close()
        widget.deleteLater()
        settle(app, 0.02)
        gc.collect()
    result = {"ours_s": median(ours), "ours_conversion_s": median(ours_convert),
              "spyder_s": median(spyder), "ours_runs": ours, "spyder_runs": spyder}
    result["ratio_ours_to_spyder"] = (result["ours_s"] / result["spyder_s"]
                                      if result["spyder_s"] else None)
    return result


# -- (b) history click -> first rows; full load; GUI gaps; table operations ---------------------

def copy_run(store, record):
    """A second kept run with the same files (so that clicks alternate between two)."""
    import dataclasses
    from spyder_callgrind.engine.store import new_run_id
    copy = dataclasses.replace(record, id=new_run_id())
    shutil.copytree(store.path_of(record), store.path_of(copy))
    store.save(copy)
    return copy


def bench_history(app, work: str, entry: Dict[str, Any], repeat: int,
                  table_ops: bool) -> Dict[str, Dict[str, Any]]:
    """Clicks on kept runs in the real pane (``ProfilePane.select_run``): the run shown
    alternates between two copies of the run, each click loads the other."""
    from qtpy.QtCore import Qt
    from spyder_callgrind.widgets import calltable as ct

    store, record, _seconds = make_store_run(work, entry["path"], entry["name"])
    runs = [record, copy_run(store, record)]
    pane = new_pane(store.root)
    state = {"complete": None, "previous": None}
    pane.run_loaded.connect(lambda run_id, complete: state.update(
        complete=run_id if complete else state["complete"]))
    # once a run is loaded, the pane compares it with the previous run (in a child process)
    pane.previous_found.connect(lambda run_id, _change: state.update(previous=run_id))

    def quiet():
        """The run shown is loaded and compared: the pane is idle, as before a click."""
        spin_until(app, lambda: state["previous"] == pane.current_id)

    pane.refresh_history()                        # shows one of them
    spin_until(app, lambda: state["complete"] is not None
               and state["complete"] == pane.current_id)
    runs.sort(key=lambda run: run.id == pane.current_id)   # the other one is clicked first
    view = pane.view
    first, full, gaps, ticks_seen = [], [], [], []
    ops: Dict[str, List[float]] = {}
    for number in range(repeat):
        clicked = runs[number % 2]
        quiet()
        settle(app)
        watch = PaintWatch(view.table.viewport())
        gap = GapWatch()
        started = gap.start(app)
        watch.painted = False
        pane.select_run(clicked.id)               # "the click"
        spin_until(app, lambda: view.model.rowCount() > 0 and watch.painted)
        first.append(time.perf_counter() - started)
        watch.painted = False
        spin_until(app, lambda: state["complete"] == clicked.id and watch.painted)
        full.append(time.perf_counter() - started)
        gaps.append(gap.stop(app))
        ticks_seen.append(gap.count)

        if table_ops:
            columns = {"calls": ct.COL_CALLS, "self": ct.COL_SELF,
                       "self_percent": ct.COL_SELF_PERCENT, "inclusive": ct.COL_INCLUSIVE,
                       "inclusive_percent": ct.COL_INCLUSIVE_PERCENT,
                       "per_call": ct.COL_PER_CALL, "function": ct.COL_FUNCTION,
                       "location": ct.COL_LOCATION}

            def timed(name, action):
                gc.collect()
                watch.painted = False
                t0 = time.perf_counter()
                action()
                spin_until(app, lambda: watch.painted, 30)
                ops.setdefault(name, []).append(time.perf_counter() - t0)

            # a click on a header sets the header's sort indicator, and the view sorts
            header = view.table.horizontalHeader()
            for name, column in columns.items():   # first sort by each column
                timed(f"sort_{name}", lambda c=column: header.setSortIndicator(
                    c, Qt.DescendingOrder))
            for name, column in columns.items():   # the other direction
                timed(f"sort_{name}_reverse", lambda c=column: header.setSortIndicator(
                    c, Qt.AscendingOrder))
            header.setSortIndicator(ct.COL_INCLUSIVE, Qt.DescendingOrder)
            timed("search_type", lambda: view.set_search_text("comp"))
            timed("search_narrow", lambda: view.set_search_text("compute_fit"))
            timed("search_clear", lambda: view.set_search_text(""))
            timed("toggle_builtins_on", view.builtins_toggle.click)
            timed("toggle_stdlib_on", view.stdlib_toggle.click)
            timed("toggle_site_on", view.site_toggle.click)
            timed("search_with_toggles", lambda: view.set_search_text("load"))
            timed("toggle_builtins_off", view.builtins_toggle.click)
            timed("toggle_stdlib_off", view.stdlib_toggle.click)
            timed("toggle_site_off", view.site_toggle.click)
            timed("search_clear_2", lambda: view.set_search_text(""))
        gc.collect()
    result = {
        "history": {"first_rows_s": median(first), "all_rows_s": median(full),
                    "first_rows_runs": first, "all_rows_runs": full},
        "gui_gap": {"max_gap_s": median(gaps), "max_gap_runs": gaps,
                    "ticks": median(ticks_seen)},
    }
    if table_ops:
        named = {name: median(values) for name, values in ops.items()}
        result["table_ops"] = {"ops_s": named, "max_s": max(named.values()),
                               "slowest": max(named, key=named.get)}
        quiet()
        result["transfer_gap"] = bench_transfer_gaps(app, pane, record, work, repeat, quiet)
    close_pane(app, pane)
    shutil.rmtree(store.root, ignore_errors=True)
    return result


def bench_transfer_gaps(app, pane, record, work: str, repeat: int,
                        quiet: Callable[[], None]) -> Dict[str, Any]:
    """The longest GUI-thread gap while the pane imports the run's callgrind file, and
    while it exports the run to speedscope (building stacks from the whole table), each
    from the start until the pane says it is done, from an idle pane (``quiet``)."""
    store = pane.store
    source = store.file_of(record, record.callgrind)
    gaps: Dict[str, List[float]] = {"import": [], "export": []}
    seconds: Dict[str, List[float]] = {"import": [], "export": []}
    for number in range(repeat):
        done: Dict[str, Any] = {}
        pane.imported.connect(lambda run_id, done=done: done.setdefault("import", run_id))
        pane.exported.connect(lambda target, ok, message, done=done: done.setdefault(
            "export", (ok, message)))
        gap = GapWatch()
        started = gap.start(app)
        pane.import_file(source)
        spin_until(app, lambda: "import" in done, 600)
        seconds["import"].append(time.perf_counter() - started)
        gaps["import"].append(gap.stop(app))
        quiet()                                   # the imported run is shown
        target = os.path.join(work, f"export-{number}.speedscope.json")
        gap = GapWatch()
        started = gap.start(app)
        pane.export_run(record, "speedscope", target)
        spin_until(app, lambda: "export" in done, 600)
        seconds["export"].append(time.perf_counter() - started)
        gaps["export"].append(gap.stop(app))
        if not done["export"][0]:
            raise RuntimeError(f"the benchmark's export failed: {done['export'][1]}")
        os.unlink(target)
        pane.imported.disconnect()
        pane.exported.disconnect()
    return {kind: {"max_gap_s": median(gaps[kind]), "max_gap_runs": gaps[kind],
                   "seconds": median(seconds[kind])} for kind in gaps}


# -- (c) conversion: ours vs pyprof2calltree, each in a fresh process ---------------------------

def _peak_rss_kb() -> float:
    """Peak resident set size of this process in kB (VmHWM; ru_maxrss where no /proc)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    import resource
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _child_convert(tool: str, prof: str, out_dir: str) -> None:
    """Child process entry: convert ``prof`` with ``tool``; print a JSON line."""
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a big parent
    # would report the parent's peak.
    baseline_kb = _peak_rss_kb()
    if tool == "ours":
        from spyder_callgrind.engine import callgrind
        from spyder_callgrind.engine.profiles import load_pstats
        started = time.perf_counter()
        data = load_pstats(prof)
        names = callgrind.write_process_files(
            out_dir, "bench", [callgrind.CallgrindPart(data=data, pid=1, cmd=prof)])
        seconds = time.perf_counter() - started
        out = os.path.join(out_dir, names.main)
    else:
        import pstats
        from pyprof2calltree import CalltreeConverter
        started = time.perf_counter()
        out = os.path.join(out_dir, "callgrind.out.pyprof2calltree")
        converter = CalltreeConverter(pstats.Stats(prof))
        with open(out, "w") as handle:
            converter.output(handle)
        seconds = time.perf_counter() - started
    peak_kb = _peak_rss_kb()
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024,
                      "baseline_rss_mb": baseline_kb / 1024, "output": out,
                      "bytes": os.path.getsize(out)}))


def bench_conversion(work: str, entry: Dict[str, Any], repeat: int) -> Dict[str, Any]:
    result: Dict[str, Any] = {}
    for tool in ("ours", "pyprof2calltree"):
        runs = []
        for _ in range(repeat):
            out_dir = tempfile.mkdtemp(prefix=f"conv-{tool}-", dir=work)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--child-convert", tool,
                 entry["path"], out_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=_env_for_children(), text=True)
            wall = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"{tool} conversion failed: {done.stderr.strip()[-500:]}")
            run = json.loads(done.stdout.strip().splitlines()[-1])
            run["process_wall_s"] = wall
            runs.append(run)
            shutil.rmtree(out_dir, ignore_errors=True)
        result[tool] = {
            "seconds": median([r["seconds"] for r in runs]),
            "process_wall_s": median([r["process_wall_s"] for r in runs]),
            "peak_rss_mb": median([r["peak_rss_mb"] for r in runs]),
            "baseline_rss_mb": median([r["baseline_rss_mb"] for r in runs]),
            "bytes": runs[0]["bytes"],
        }
    ours, theirs = result["ours"], result["pyprof2calltree"]
    result["time_ratio"] = ours["seconds"] / theirs["seconds"]
    result["size_ratio"] = ours["bytes"] / theirs["bytes"]
    result["memory_ratio"] = ours["peak_rss_mb"] / theirs["peak_rss_mb"]
    return result


# -- (c2) whole commands: show and convert against pstats and pyprof2calltree ------------------

_PSTATS_TOP = "import pstats, sys; pstats.Stats(sys.argv[1]).sort_stats('tottime').print_stats(20)"


def bench_commands(work: str, entry: Dict[str, Any], repeat: int) -> Dict[str, Any]:
    """Each command a whole process, launch to exit, interleaved after one untimed warm-up
    (byte code caches, the OS's file cache)."""
    store, record, _seconds = make_store_run(work, entry["path"], entry["name"])
    out_dir = tempfile.mkdtemp(prefix="commands-", dir=work)
    ours = [sys.executable, "-m", "spyder_callgrind"]
    # The console script beside our interpreter (not a pyenv shim, which adds its own start)
    pyprof2calltree = os.path.join(os.path.dirname(sys.executable), "pyprof2calltree")
    if not os.path.isfile(pyprof2calltree):
        pyprof2calltree = ""
    commands = {
        "show": ours + ["show", record.id, "--store", store.root, "--top", "20"],
        "pstats_print_stats": [sys.executable, "-c", _PSTATS_TOP, entry["path"]],
        "convert": ours + ["convert", entry["path"], "-o",
                           os.path.join(out_dir, "callgrind.out.ours")],
        "pyprof2calltree": ([pyprof2calltree] if pyprof2calltree else [
            sys.executable, "-c", "import sys, pyprof2calltree; sys.exit(pyprof2calltree.main())"])
        + ["-i", entry["path"], "-o", os.path.join(out_dir, "callgrind.out.p2c")],
    }
    env = _env_for_children()
    runs: Dict[str, List[float]] = {name: [] for name in commands}
    try:
        for _ in range(repeat + 1):
            for name, command in commands.items():
                started = time.perf_counter()
                done = subprocess.run(command, cwd=work, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
                seconds = time.perf_counter() - started
                if done.returncode != 0:
                    raise RuntimeError(f"{name} failed: {done.stderr.decode()[-500:]}")
                runs[name].append(seconds)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
        shutil.rmtree(store.root, ignore_errors=True)
    result: Dict[str, Any] = {name: median(times[1:]) for name, times in runs.items()}
    result["runs"] = {name: times[1:] for name, times in runs.items()}
    result["show_ratio"] = result["show"] / result["pstats_print_stats"]
    result["convert_ratio"] = result["convert"] / result["pyprof2calltree"]
    return result


# -- (d) KCacheGrind ---------------------------------------------------------------------------

def kcachegrind_available() -> Optional[str]:
    for tool in ("kcachegrind", "Xvfb", "dbus-run-session", "xwininfo"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    return None


class Xvfb:
    """A private X server for KCacheGrind (so the window list can be read)."""

    def __init__(self):
        self.display = None
        self.process = None
        for number in range(170, 200):
            if os.path.exists(f"/tmp/.X11-unix/X{number}") or os.path.exists(
                    f"/tmp/.X{number}-lock"):
                continue
            process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x1024x24",
                                        "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            for _ in range(100):
                if os.path.exists(f"/tmp/.X11-unix/X{number}"):
                    break
                if process.poll() is not None:
                    break
                time.sleep(0.05)
            if process.poll() is None:
                self.display, self.process = f":{number}", process
                return
        raise RuntimeError("could not start Xvfb")

    def close(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _window_titles(display: str) -> str:
    done = subprocess.run(["xwininfo", "-root", "-tree", "-display", display],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return done.stdout


def kcachegrind_load_time(display: str, path: str, timeout: float = 120.0) -> Dict[str, Any]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    env["DISPLAY"] = display
    name = os.path.basename(path)
    started = time.perf_counter()
    process = subprocess.Popen(["dbus-run-session", "--", "kcachegrind", path], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    seconds = None
    try:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                break
            titles = _window_titles(display)
            if any(name in line and "KCachegrind" in line for line in titles.splitlines()):
                seconds = time.perf_counter() - started
                break
            time.sleep(0.02)
    finally:
        try:
            os.killpg(process.pid, 15)
        except OSError:
            pass
        try:
            _out, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            _out, err = process.communicate()
    errors = [line for line in (err or b"").decode("utf-8", "replace").splitlines()
              if line.startswith("Loading")]
    return {"seconds": seconds, "load_errors": errors[:5]}


def bench_kcachegrind(work: str, entry: Dict[str, Any], repeat: int,
                      display: str) -> Dict[str, Any]:
    outputs = {}
    for tool in ("ours", "pyprof2calltree"):
        out_dir = tempfile.mkdtemp(prefix=f"kcg-{tool}-", dir=work)
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child-convert",
                               tool, entry["path"], out_dir], stdout=subprocess.PIPE,
                              env=_env_for_children(), text=True, check=True)
        outputs[tool] = json.loads(done.stdout.strip().splitlines()[-1])["output"]
    result: Dict[str, Any] = {}
    runs: Dict[str, List[Optional[float]]] = {"ours": [], "pyprof2calltree": []}
    errors: Dict[str, List[str]] = {"ours": [], "pyprof2calltree": []}
    for _ in range(repeat):
        for tool, path in outputs.items():     # interleaved: same machine load for both
            measured = kcachegrind_load_time(display, path)
            runs[tool].append(measured["seconds"])
            errors[tool] = measured["load_errors"] or errors[tool]
    for tool in outputs:
        result[tool] = {"seconds": median(runs[tool]), "runs": runs[tool],
                        "load_errors": errors[tool]}
        shutil.rmtree(os.path.dirname(outputs[tool]), ignore_errors=True)
    if result["ours"]["seconds"] and result["pyprof2calltree"]["seconds"]:
        result["ratio"] = result["ours"]["seconds"] / result["pyprof2calltree"]["seconds"]
    return result


# -- (3) profiling overhead --------------------------------------------------------------------

CPU_SCRIPT = '''import time
FIRST_LINE = time.time()
import json
import os
import sys


def leaf(x):
    return (x * 31 + 7) % 1009


def middle(n):
    total = 0
    for i in range(n):
        total += leaf(i)
    return total


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def work(rounds):
    total = 0
    for r in range(rounds):
        total += middle(2000)
        total += fib(12)
        total += sum(sorted(range(300, 0, -1)))
    return total


START = time.perf_counter()
RESULT = work(int(os.environ.get("BENCH_ROUNDS", "300")))
SECONDS = time.perf_counter() - START
with open(os.environ["BENCH_TIMES"], "w") as handle:
    json.dump({"first_line": FIRST_LINE, "script_s": SECONDS, "result": RESULT}, handle)
'''


def installed_pythons() -> Dict[str, str]:
    """``{"3.12": path}`` for each Python 3.9-3.13 found (this one, then pyenv's)."""
    import glob
    found: Dict[str, str] = {}
    candidates = [sys.executable] + sorted(
        glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python"))
        + glob.glob("/root/.pyenv/versions/3.*/bin/python"))
    for python in candidates:
        try:
            version = subprocess.run(
                [python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version in ("3.9", "3.10", "3.11", "3.12", "3.13"):
            found.setdefault(version, os.path.realpath(python))
    return dict(sorted(found.items(), key=lambda kv: tuple(map(int, kv[0].split(".")))))


def bench_overhead(work: str, repeat: int, rounds: int,
                   pythons: Dict[str, str]) -> Dict[str, Any]:
    """Profiling overhead with each installed Python as the script's interpreter; the
    top-level ratios are the worst over those Pythons."""
    result: Dict[str, Any] = {"rounds": rounds, "pythons": {}}
    for version, python in pythons.items():
        log(f"  Python {version}")
        result["pythons"][version] = bench_overhead_one(work, repeat, rounds, python)
    per = result["pythons"].values()
    for key in ("script_ratio", "command_ratio", "startup_s"):
        result[key] = max(p[key] for p in per)
    return result


def _cpu_script(work: str, prefix: str, rounds: int):
    """A fresh folder holding the CPU-bound script: (folder, script, times file, env)."""
    folder = tempfile.mkdtemp(prefix=prefix, dir=work)
    script = os.path.join(folder, "cpu_bound.py")
    with open(script, "w") as handle:
        handle.write(CPU_SCRIPT)
    times_file = os.path.join(folder, "times.json")
    env = _env_for_children()
    env["BENCH_ROUNDS"] = str(rounds)
    env["BENCH_TIMES"] = times_file
    # As installed: byte code caches used (a shell with PYTHONDONTWRITEBYTECODE would make
    # every start of the command compile our modules again, which no install does).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return folder, script, times_file, env


def bench_overhead_one(work: str, repeat: int, rounds: int, python: str) -> Dict[str, Any]:
    folder, script, times_file, env = _cpu_script(work, "overhead-", rounds)
    commands = {
        "cprofile": [python, "-m", "cProfile", "-o", os.path.join(folder, "out.prof"),
                     script],
        "spyder_callgrind": [sys.executable, "-m", "spyder_callgrind", "run", "--store",
                             os.path.join(folder, "store"), "--python", python, script],
        "plain": [python, script],
    }
    runs = _time_commands(commands, folder, env, repeat, times_file)
    shutil.rmtree(folder, ignore_errors=True)
    result: Dict[str, Any] = {name: {key: median(values) for key, values in found.items()}
                              for name, found in runs.items()}
    # Each repeat ran the commands back to back: the median of the per-repeat ratios cancels
    # the machine's slow swings (a shared VM's wall times drift by +-30 % between repeats).
    ours, theirs = runs["spyder_callgrind"], runs["cprofile"]
    for key, name in (("script_s", "script_ratio"), ("command_s", "command_ratio")):
        result[name] = median([a / b for a, b in zip(ours[key], theirs[key])])
    result["startup_s"] = result["spyder_callgrind"]["startup_s"]
    result["rounds"] = rounds
    return result


def _time_commands(commands: Dict[str, List[str]], folder: str, env: Dict[str, str],
                   repeat: int, times_file: str) -> Dict[str, Dict[str, List[float]]]:
    """Run each command ``repeat`` times, interleaved, after one untimed warm-up each;
    per command the lists of the script's own time, the whole command's time and the
    time from launch to the script's first line."""
    runs: Dict[str, Dict[str, List[float]]] = {
        name: {"script_s": [], "command_s": [], "startup_s": []} for name in commands}
    warm = dict(env, BENCH_ROUNDS="1")
    for command in commands.values():     # untimed: byte code caches, the OS's file cache
        subprocess.run(command, cwd=folder, env=warm, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    for _ in range(repeat):
        for name, command in commands.items():   # interleaved
            if os.path.exists(times_file):
                os.remove(times_file)
            launch = time.time()
            started = time.perf_counter()
            done = subprocess.run(command, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
            command_s = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"{name} failed: {done.stderr.decode()[-500:]}")
            with open(times_file) as handle:
                times = json.load(handle)
            runs[name]["script_s"].append(times["script_s"])
            runs[name]["command_s"].append(command_s)
            runs[name]["startup_s"].append(times["first_line"] - launch)
    return runs


def bench_sampling(work: str, repeat: int, rounds: int,
                   pythons: Dict[str, str]) -> Dict[str, Any]:
    """The stack sampler's cost, with each installed Python: ``run --mode sample`` against
    plain ``python script.py``, and ``--mode both`` against ``--mode exact`` (the script's
    own time, median of the per-repeat ratios of interleaved runs)."""
    result: Dict[str, Any] = {"rounds": rounds, "pythons": {}}
    for version, python in pythons.items():
        log(f"  Python {version}")
        folder, script, times_file, env = _cpu_script(work, "sampling-", rounds)
        run = [sys.executable, "-m", "spyder_callgrind", "run", "--store",
               os.path.join(folder, "store"), "--python", python, "--top", "0"]
        commands = {"plain": [python, script]}
        for mode in ("exact", "both", "sample"):
            commands[mode] = run + ["--mode", mode, script]
        runs = _time_commands(commands, folder, env, repeat, times_file)
        shutil.rmtree(folder, ignore_errors=True)
        one: Dict[str, Any] = {name: median(found["script_s"]) for name, found in runs.items()}
        for name, (a, b) in {"sample_vs_plain": ("sample", "plain"),
                             "both_vs_exact": ("both", "exact")}.items():
            one[name] = median([x / y for x, y in zip(runs[a]["script_s"],
                                                      runs[b]["script_s"])])
        result["pythons"][version] = one
    for key in ("sample_vs_plain", "both_vs_exact"):
        result[key] = max(p[key] for p in result["pythons"].values())
    return result


def bench_instructions(work: str, rounds: int, python: str) -> Dict[str, Any]:
    """Profiling overhead counted in instructions by valgrind (the same count on a busy or
    an idle machine, unlike wall time): our worker against ``python -m cProfile -o``, each
    whole process, start-up and saving included."""
    import re
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return {"skipped": "valgrind is not installed"}
    folder = tempfile.mkdtemp(prefix="instructions-", dir=work)
    script = os.path.join(folder, "cpu_bound.py")
    with open(script, "w") as handle:
        handle.write(CPU_SCRIPT)
    env = _env_for_children()
    env["BENCH_ROUNDS"] = str(rounds)
    env["BENCH_TIMES"] = os.path.join(folder, "times.json")
    from spyder_callgrind.engine.runner import WORKER_SCRIPT
    commands = {
        "cprofile": [python, "-m", "cProfile", "-o", os.path.join(folder, "out.prof"), script],
        "spyder_callgrind": [python, WORKER_SCRIPT, "--out", os.path.join(folder, "run"),
                             "--", script],
    }
    result: Dict[str, Any] = {"rounds": rounds}
    for name, command in commands.items():
        done = subprocess.run([valgrind, "--tool=callgrind",
                               f"--callgrind-out-file={os.path.join(folder, name + '.cg')}",
                               *command], cwd=folder, env=env, capture_output=True, text=True)
        found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
        if done.returncode != 0 or not found:
            shutil.rmtree(folder, ignore_errors=True)
            return {"skipped": f"valgrind run of {name} failed"}
        result[name] = int(found.group(1).replace(",", ""))
    shutil.rmtree(folder, ignore_errors=True)
    result["ratio"] = result["spyder_callgrind"] / result["cprofile"]
    return result


# -- targets and report ------------------------------------------------------------------------

def evaluate_targets(results: Dict[str, Any]) -> List[Dict[str, Any]]:
    targets = []

    def add(name, size, value, limit, unit=""):
        if value is None:
            return
        targets.append({"target": name, "file": size, "value": value, "limit": limit,
                        "unit": unit, "met": value <= limit})

    big = [f for f in results["files"] if f["kind"] == "synthetic"
           and f["functions"] >= min(TARGET_SIZES) * 0.99]
    if not big:   # smoke: evaluate on the largest file there is
        big = sorted(results["files"], key=lambda f: f["functions"])[-1:]
    largest = max(results["files"], key=lambda f: f["functions"])["name"]
    for f in big:
        name = f["name"]
        add("past run first rows (s)", name,
            results["history"].get(name, {}).get("first_rows_s"), 0.1, "s")
        add("past run all rows (s)", name,
            results["history"].get(name, {}).get("all_rows_s"), 0.25, "s")
        commands = results["commands"].get(name, {})
        add("show --top 20 / pstats print_stats(20), whole process", name,
            commands.get("show_ratio"), 0.15, "x")
        add("convert / pyprof2calltree, whole process", name,
            commands.get("convert_ratio"), 0.4, "x")
        add("finished run first rows, ours / Spyder", name,
            results["finished"].get(name, {}).get("ratio_ours_to_spyder"), 1.0, "x")
        conv = results["conversion"].get(name, {})
        add("conversion time / pyprof2calltree", name, conv.get("time_ratio"), 0.6, "x")
        add("conversion output size / pyprof2calltree", name, conv.get("size_ratio"), 0.6, "x")
        add("conversion peak RSS / pyprof2calltree", name, conv.get("memory_ratio"), 1.0, "x")
    add("slowest sort/filter on the table (s)", largest,
        results["table_ops"].get(largest, {}).get("max_s"), 0.2, "s")
    add("longest GUI-thread gap while loading (s)", largest,
        results["gui_gap"].get(largest, {}).get("max_gap_s"), 0.1, "s")
    for kind in ("import", "export"):
        add(f"longest GUI-thread gap while the pane {kind}s (s)", largest,
            ((results.get("transfer_gap") or {}).get(largest) or {}).get(kind, {})
            .get("max_gap_s"), 0.1, "s")
    overhead = results.get("overhead") or {}
    for version, one in (overhead.get("pythons") or {}).items():
        where = f"cpu_bound.py, Python {version}"
        add("profiled script time / cProfile", where, one["script_ratio"], 1.10, "x")
        instructions = one.get("instructions") or {}
        if "ratio" in instructions:
            add("profiled run / cProfile, instructions (valgrind)", where,
                instructions["ratio"], 1.10, "x")
        add("whole command / cProfile command (incl. conversion and store)", where,
            one["command_ratio"], 1.10, "x")
        add("launch to script's first line (s)", where, one["startup_s"], 0.5, "s")
    sampling = results.get("sampling") or {}
    for version, one in (sampling.get("pythons") or {}).items():
        where = f"cpu_bound.py, Python {version}"
        add("--mode sample script time / plain python", where, one["sample_vs_plain"],
            1.10, "x")
        add("--mode both script time / --mode exact", where, one["both_vs_exact"], 1.10, "x")
    return targets


def _fmt(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_report(results: Dict[str, Any]) -> None:
    out = []
    out.append("files: " + ", ".join(f"{f['name']} ({f['functions']} functions, "
                                      f"{f['edges']} edges)" for f in results["files"]))
    out.append("")
    head = (f"{'file':<18} {'fin ours':>9} {'fin spy':>9} {'ratio':>6} {'hist 1st':>9} "
            f"{'hist all':>9} {'gap':>6} {'ops max':>8} {'conv':>7} {'p2c':>7} {'t-ratio':>7} "
            f"{'s-ratio':>7} {'m-ratio':>7} {'show':>6} {'pstats':>6} {'cnv cmd':>7} "
            f"{'p2c cmd':>7} {'kcg ours':>8} {'kcg p2c':>8}")
    out.append(head)
    out.append("-" * len(head))
    for f in results["files"]:
        name = f["name"]
        fin = results["finished"].get(name, {})
        his = results["history"].get(name, {})
        gap = results["gui_gap"].get(name, {})
        ops = results["table_ops"].get(name, {})
        conv = results["conversion"].get(name, {})
        com = results["commands"].get(name, {})
        kcg = results["kcachegrind"].get(name, {}) if isinstance(
            results["kcachegrind"], dict) else {}
        out.append(
            f"{name:<18} {_fmt(fin.get('ours_s')):>9} {_fmt(fin.get('spyder_s')):>9} "
            f"{_fmt(fin.get('ratio_ours_to_spyder'), 2):>6} "
            f"{_fmt(his.get('first_rows_s')):>9} {_fmt(his.get('all_rows_s')):>9} "
            f"{_fmt(gap.get('max_gap_s')):>6} {_fmt(ops.get('max_s')):>8} "
            f"{_fmt(conv.get('ours', {}).get('seconds')):>7} "
            f"{_fmt(conv.get('pyprof2calltree', {}).get('seconds')):>7} "
            f"{_fmt(conv.get('time_ratio'), 2):>7} {_fmt(conv.get('size_ratio'), 2):>7} "
            f"{_fmt(conv.get('memory_ratio'), 2):>7} "
            f"{_fmt(com.get('show')):>6} {_fmt(com.get('pstats_print_stats')):>6} "
            f"{_fmt(com.get('convert')):>7} {_fmt(com.get('pyprof2calltree')):>7} "
            f"{_fmt((kcg.get('ours') or {}).get('seconds'), 2):>8} "
            f"{_fmt((kcg.get('pyprof2calltree') or {}).get('seconds'), 2):>8}")
    for name, transfer in (results.get("transfer_gap") or {}).items():
        out.append(f"{name}: import {_fmt(transfer['import']['seconds'])} s, longest GUI gap "
                   f"{_fmt(transfer['import']['max_gap_s'])} s; export speedscope "
                   f"{_fmt(transfer['export']['seconds'])} s, longest GUI gap "
                   f"{_fmt(transfer['export']['max_gap_s'])} s")
    out.append("")
    out.append("(seconds; fin = finished profile to first rows painted, ours written first "
               "by the conversion, which goes on; hist = past run click to first / all rows; gap = longest "
               "GUI-thread gap; ops = slowest sort/filter; conv/p2c = conversion time; "
               "ratios ours/theirs for time, size, peak RSS; show/pstats, cnv cmd/p2c cmd = "
               "whole commands, launch to exit)")
    overhead = results.get("overhead")
    if overhead and "script_ratio" in overhead:
        out.append("")
        out.append(f"{'overhead':<22} {'script s':>9} {'command s':>10} {'startup s':>10}")
        for version, one in overhead["pythons"].items():
            for name in ("plain", "cprofile", "spyder_callgrind"):
                o = one[name]
                out.append(f"{version + ' ' + name:<22} {_fmt(o['script_s']):>9} "
                           f"{_fmt(o['command_s']):>10} {_fmt(o['startup_s']):>10}")
            line = (f"Python {version}: spyder_callgrind / cProfile: script "
                    f"{one['script_ratio']:.3f}x, whole command {one['command_ratio']:.3f}x")
            instructions = one.get("instructions") or {}
            if "ratio" in instructions:
                line += (f", instructions (valgrind, {instructions['rounds']} rounds) "
                         f"{instructions['ratio']:.4f}x")
            out.append(line)
    sampling = results.get("sampling")
    if sampling and "sample_vs_plain" in sampling:
        out.append("")
        out.append(f"{'sampling, script s':<20} {'plain':>7} {'exact':>7} {'both':>7} "
                   f"{'sample':>7} {'sample/plain':>13} {'both/exact':>11}")
        for version, one in sampling["pythons"].items():
            out.append(f"{'Python ' + version:<20} {_fmt(one['plain']):>7} "
                       f"{_fmt(one['exact']):>7} {_fmt(one['both']):>7} "
                       f"{_fmt(one['sample']):>7} {one['sample_vs_plain']:>12.3f}x "
                       f"{one['both_vs_exact']:>10.3f}x")
    out.append("")
    out.append("targets:")
    for t in results["targets"]:
        out.append(f"  [{'ok' if t['met'] else 'MISSED'}] {t['target']} on {t['file']}: "
                   f"{t['value']:.3f}{t['unit']} (limit {t['limit']}{t['unit']})")
    print("\n".join(out), flush=True)


# -- main --------------------------------------------------------------------------------------

def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated function counts of the synthetic "
                        "profiles (default 1000,10000,50000,100000)")
    parser.add_argument("--real", type=int, default=None, metavar="N",
                        help="functions in the generated real program (default 20000; 0: "
                        "none)")
    parser.add_argument("--repeat", type=int, default=None, help="repeats (median; default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one repeat, no KCacheGrind (for CI)")
    parser.add_argument("--skip", default="", help="comma-separated sections to skip "
                        "(finished, history, table_ops, conversion, commands, kcachegrind, "
                        "overhead, sampling)")
    parser.add_argument("--work", metavar="DIR", help="folder for generated files (kept "
                        "between runs; default benchmarks/.data, a temporary one in smoke)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="work rounds of the CPU-bound overhead script")
    return parser.parse_args(argv)


def main(argv: List[str]) -> int:
    if argv[:1] == ["--child-convert"]:
        _child_convert(*argv[1:4])
        return 0
    args = parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("SPYDER_PYTEST", "True")   # Spyder's test configuration folder
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    else:
        sizes = list(SMOKE_SIZES if args.smoke else DEFAULT_SIZES)
    repeat = args.repeat or (1 if args.smoke else 3)
    real_n = args.real if args.real is not None else (200 if args.smoke else 20_000)
    # About 3 s of CPU-bound work: long enough that a run's fixed costs (starting the
    # command, converting and storing the profile) show as what they are next to a real job.
    rounds = args.rounds or (20 if args.smoke else 3000)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.smoke:
        skip.add("kcachegrind")
    temporary = None
    if args.work:
        work = os.path.abspath(args.work)
    elif args.smoke:
        work = temporary = tempfile.mkdtemp(prefix="spyder-callgrind-bench-")
    else:
        work = os.path.join(HERE, ".data")
    os.makedirs(work, exist_ok=True)

    import warnings
    warnings.filterwarnings("ignore")
    from qtpy.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])

    results: Dict[str, Any] = {
        "meta": {"python": sys.version.split()[0], "platform": platform.platform(),
                 "cpus": os.cpu_count(), "repeat": repeat, "smoke": args.smoke,
                 "time": time.strftime("%Y-%m-%dT%H:%M:%S")},
        "files": [], "finished": {}, "history": {}, "gui_gap": {}, "table_ops": {},
        "transfer_gap": {},
        "conversion": {}, "commands": {}, "kcachegrind": {}, "overhead": {}, "sampling": {},
        "targets": []}
    try:
        log(f"preparing profiles in {work}")
        results["files"] = prepare_files(work, sizes, real_n)
        largest = max(results["files"], key=lambda f: f["functions"])["name"]
        for entry in results["files"]:
            name = entry["name"]
            if "finished" not in skip:
                log(f"{name}: finished run -> first rows (ours vs Spyder)")
                results["finished"][name] = bench_finished(app, work, entry, repeat)
            if "history" not in skip:
                log(f"{name}: past run -> first rows, GUI gaps"
                    + (", sort/filter" if name == largest else ""))
                found = bench_history(app, work, entry, repeat,
                                      table_ops=name == largest and "table_ops" not in skip)
                results["history"][name] = found["history"]
                results["gui_gap"][name] = found["gui_gap"]
                if "table_ops" in found:
                    results["table_ops"][name] = found["table_ops"]
                    results["transfer_gap"][name] = found["transfer_gap"]
            if "conversion" not in skip:
                log(f"{name}: conversion, ours vs pyprof2calltree")
                results["conversion"][name] = bench_conversion(work, entry, repeat)
            if "commands" not in skip:
                log(f"{name}: whole commands, show and convert vs pstats and pyprof2calltree")
                results["commands"][name] = bench_commands(work, entry, repeat)
        if "kcachegrind" in skip:
            results["kcachegrind"] = {"skipped": "smoke run" if args.smoke else "--skip"}
        else:
            missing = kcachegrind_available()
            if missing:
                results["kcachegrind"] = {"skipped": missing}
            else:
                xvfb = Xvfb()
                try:
                    for entry in results["files"]:
                        log(f"{entry['name']}: KCacheGrind load times")
                        results["kcachegrind"][entry["name"]] = bench_kcachegrind(
                            work, entry, repeat, xvfb.display)
                finally:
                    xvfb.close()
        if "overhead" in skip:
            results["overhead"] = {"skipped": "--skip"}
        else:
            log("profiling overhead: spyder_callgrind run vs python -m cProfile")
            pythons = installed_pythons()
            results["overhead"] = bench_overhead(work, repeat if args.smoke else
                                                 max(repeat, 11), rounds, pythons)
            if not args.smoke:
                log("profiling overhead in instructions (valgrind)")
                for version, python in pythons.items():
                    results["overhead"]["pythons"][version]["instructions"] = \
                        bench_instructions(work, 100, python)
        if "sampling" in skip:
            results["sampling"] = {"skipped": "--skip"}
        else:
            log("stack sampler overhead: --mode sample vs plain, --mode both vs exact")
            results["sampling"] = bench_sampling(work, repeat if args.smoke else
                                                 max(repeat, 11), rounds, installed_pythons())
        results["targets"] = evaluate_targets(results)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)

    print_report(results)
    paths = [args.json] if args.json else []
    if not args.smoke or not args.json:
        paths.append(os.path.join(HERE, "results.json"))
    for path in paths:
        with open(path, "w") as handle:
            json.dump(results, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
