"""The stack sampler, end to end through the command line, on every installed Python 3.9-3.13.

Each test runs ``spyder-callgrind run`` (this checkout's) on a real script in the Python
under test, then reads what a user reads: ``export --format collapsed``, the callgrind
file (strict reader, ``callgrind_annotate``), ``run.json``, the pstats data.
"""

import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from spyder_callgrind.engine.callgrind import read_callgrind
from spyder_callgrind.engine.workers import WORKERS_DIR
from tests import strict_callgrind

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli(store, *args, timeout=180, check=0):
    env = dict(os.environ, PYTHONPATH=ROOT, SPYDER_CALLGRIND_STORE=str(store))
    result = subprocess.run([sys.executable, "-m", "spyder_callgrind", *args], env=env,
                            capture_output=True, text=True, timeout=timeout, encoding="utf-8")
    if check is not None:
        assert result.returncode == check, result.stdout + result.stderr
    return result


def write(folder, name, body):
    path = os.path.join(str(folder), name)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(textwrap.dedent(body))
    return path


def last_run(store):
    found = json.loads(cli(store, "list", "--json").stdout)
    return found[0], os.path.join(str(store), found[0]["id"])


def profile(python, tmp_path, body, *options, name="s.py"):
    """Run ``body`` under ``spyder-callgrind run`` with ``python``: (record, folder)."""
    script = write(tmp_path, name, body)
    store = tmp_path / "store"
    cli(store, "run", "--python", python, "--top", "0", *options, script)
    return last_run(store)


def collapsed(store, run_id, *extra):
    out = cli(store, "export", run_id, "--format", "collapsed", *extra).stdout
    rows = []
    for line in out.splitlines():
        stack, _, count = line.rpartition(" ")
        rows.append((stack.split(";"), int(count)))
    return rows


TWO_CALLERS = """
    def crunch():
        s = 0
        for i in range(40000):
            s += abs(i)
        return s

    def light():
        s = 0
        for i in range(4000):
            s += abs(i)
        return s

    def helper(costly):
        return crunch() if costly else light()

    def cheap_caller():
        for _ in range(100):
            helper(False)

    def costly_caller():
        for _ in range(10):
            helper(True)

    cheap_caller()
    costly_caller()
"""


def test_real_stacks_keep_callers_apart(python, tmp_path):
    """``helper`` does cheap work for one caller and costly work for the other: rebuilt
    stacks put the costly work under both (about half each), samples under one only."""
    record, _ = profile(python, tmp_path, TWO_CALLERS)
    rows = collapsed(tmp_path / "store", record["id"])
    crunch = [(s, n) for s, n in rows if s[-1].startswith("crunch ")]
    total = sum(n for _s, n in crunch)
    assert total > 0, rows
    wrong = sum(n for s, n in crunch if any(f.startswith("cheap_caller ") for f in s))
    assert wrong <= 0.02 * total, (wrong, total)
    # each frame is "function (file:line)", root first
    assert any(s[0].startswith("<module> (" + str(tmp_path)) for s, _n in crunch)
    assert record["mode"] == "both" and record["sample_count"] > 0
    assert record["sample_interval_ns"] > 0


HOT_LINE = """
    def work():
        total = 0
        for i in range(2500):
            total += 1
            total += sum(range(4000))   # the hot statement
            total -= 1
        return total

    work()
"""


def test_hot_line_has_the_largest_own_cost_in_sample_mode(python, tmp_path):
    record, folder = profile(python, tmp_path, HOT_LINE, "--mode", "sample")
    assert record["mode"] == "sample" and record["profile"] is None
    path = os.path.join(folder, record["callgrind"])
    parsed = strict_callgrind.read(path)
    assert parsed["header"]["events"] == "samples_ns"
    lines = {line: cost for (file, fn, line), cost in parsed["sampled_lines"].items()
             if fn == "work"}
    assert max(lines, key=lines.get) == 6, lines
    # call counts are not measured: each calls= line says 1 (seen), the file says so, and
    # read back they are 0 (not measured), never counts
    assert parsed["calls_in"] and all(count >= 1 for count in parsed["calls_in"].values())
    with open(path, encoding="utf-8") as stream:
        assert "Call counts not measured" in stream.read()
    [read_back] = read_callgrind(path)
    assert all(f.total_calls == 0 for f in read_back.functions)
    assert all(e.total_calls == 0 for e in read_back.edges)
    assert any("call counts were not measured" in note for note in record["notes"])
    shown = cli(tmp_path / "store", "show", record["id"], "--lines", "work").stdout
    hot = [row for row in shown.splitlines() if "the hot statement" in row]
    assert hot and float(hot[0].split("%")[0]) > 50, shown


POOL = """
    import multiprocessing as mp, os, sys

    def task(n):
        s = 0
        for i in range(n):
            s += abs(i)
        return os.getpid()

    if __name__ == "__main__":
        ctx = mp.get_context(sys.argv[1])
        with ctx.Pool(2) as pool:
            pids = set(pool.map(task, [300000] * 8, chunksize=1))
        print("WORKERS", sorted(pids))
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_pool_workers_are_sampled(python, tmp_path, method):
    script = write(tmp_path, "pool.py", POOL)
    store = tmp_path / "store"
    result = cli(store, "run", "--python", python, "--top", "0", script, method)
    used = json.loads(result.stdout.split("WORKERS", 1)[1].strip().splitlines()[0])
    record, folder = last_run(store)
    workers = [p for p in record["processes"] if p["role"].startswith("worker")]
    assert {p["pid"] for p in workers} >= set(used)
    for process in workers:
        assert process["samples"], process
    rows = collapsed(store, record["id"], "--unit", "samples")
    for pid in used:
        ran = [n for s, n in rows if s[0].endswith("(pid %d)" % pid)
               and any(f.startswith("task ") for f in s)]
        assert sum(ran) > 0, (pid, method)


THREADS = """
    import threading, time

    def spin(n):
        s = 0
        for i in range(n):
            s += abs(i)

    def job1():
        spin(1500000)

    def job2():
        time.sleep(0.2)

    threads = [threading.Thread(target=job1, name="job1"),
               threading.Thread(target=job2, name="job2")]
    for t in threads:
        t.start()
    spin(1000000)
    for t in threads:
        t.join()
"""


def test_every_thread_is_sampled(python, tmp_path):
    record, _ = profile(python, tmp_path, THREADS)
    rows = collapsed(tmp_path / "store", record["id"])
    threads = {s[1] for s, _n in rows}
    assert {"thread MainThread", "thread job1", "thread job2"} <= threads, threads
    assert any(s[1] == "thread job1" and s[-1].startswith("spin ") for s, _n in rows)
    assert any(s[1] == "thread job2" and s[-1].startswith("job2 ") for s, _n in rows)
    names = {row["thread"] for row in record["sampled_threads"]}
    assert {"MainThread", "job1", "job2"} <= names
    assert abs(sum(row["share"] for row in record["sampled_threads"]) - 100) < 1
    notes = " ".join(record["notes"])
    assert "time per thread from samples: " in notes
    assert "not separated" not in notes


COUNTED = """
    import time

    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    def clocks():
        for _ in range(20000):
            time.perf_counter()
            time.perf_counter_ns()
        sorted(range(1000))

    fib(24)
    clocks()
"""


def _counts(folder, record):
    stats = pstats.Stats(os.path.join(folder, record["profile"])).stats
    return {(os.path.basename(k[0]), k[2]): v[1] for k, v in stats.items()}


def _table_counts(store, run_id):
    shown = json.loads(cli(store, "show", run_id, "--json", "--top", "1000").stdout)
    return {(os.path.basename(f["file"]), f["name"]): f["total_calls"]
            for f in shown["functions"]}


def test_exact_counts_unchanged_by_the_sampler(python, tmp_path):
    """The converted profile of ``--mode both`` counts what ``--mode exact`` counts, the
    script's own ``perf_counter`` calls exactly; the sampler's frames never appear."""
    store = tmp_path / "store"
    script = write(tmp_path, "s.py", COUNTED)
    cli(store, "run", "--python", python, "--top", "0", "--mode", "exact", script)
    exact, _ = last_run(store)
    cli(store, "run", "--python", python, "--top", "0", "--mode", "both", script)
    both, _ = last_run(store)
    assert both["sample_count"] > 0
    mine, theirs = _table_counts(store, both["id"]), _table_counts(store, exact["id"])
    assert mine[("~", "<built-in method time.perf_counter>")] == 20000
    assert mine[("~", "<built-in method time.perf_counter_ns>")] == 20000
    assert mine[("s.py", "fib")] == theirs[("s.py", "fib")] == 150049
    assert mine == theirs
    assert ("~", "<built-in method sys._current_frames>") not in mine
    for record in (exact, both):
        rows = collapsed(store, record["id"]) if record["sample_count"] else []
        for stack, _n in rows:
            assert not any(WORKERS_DIR in frame for frame in stack), stack


ALARM = """
    import signal, time

    hits = []
    signal.signal(signal.SIGALRM, lambda *a: hits.append(1))
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)
    def busy():
        sum(range(20000))
    for _ in range(300):
        busy()
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("ALARMS", len(hits), time.perf_counter() - start)
"""


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="POSIX timers")
def test_script_using_sigalrm_keeps_it(python, tmp_path):
    """A script with its own SIGALRM handler and timer gets its alarms, all of them and
    only them; sampling goes on from a thread."""
    script = write(tmp_path, "alarm.py", ALARM)
    store = tmp_path / "store"
    result = cli(store, "run", "--python", python, "--top", "0", script)
    alarms, seconds = result.stdout.split("ALARMS", 1)[1].split()[:2]
    expected = float(seconds) / 0.01         # its own timer's, not the sampler's rate
    assert expected / 2 <= int(alarms) <= expected + 2, (alarms, seconds)
    record, folder = last_run(store)
    main = record["processes"][0]
    with open(os.path.join(folder, main["samples"]), encoding="utf-8") as stream:
        timer = json.load(stream)["timer"]
    # beside cProfile on 3.12+ a sampling thread's calls would be counted as the script's:
    # the sampler goes on with the CPU-time timer there
    shared = tuple(map(int, record["python_version"].split(".")[:2])) >= (3, 12)
    assert timer == ("itimer-real+itimer-prof" if shared else "itimer-real+thread"), timer
    assert record["sample_count"] > 0
    counts = _table_counts(store, record["id"])
    assert ("~", "<built-in method time.sleep>") not in counts
    assert counts[("alarm.py", "busy")] == 300


def test_cpu_clock_leaves_out_sleep(python, tmp_path):
    body = """
        import time
        def rest():
            time.sleep(0.3)
        def work():
            s = 0
            for i in range(2000000):
                s += abs(i)
        rest()
        work()
    """
    record, _ = profile(python, tmp_path, body, "--mode", "sample", "--sample-clock", "cpu")
    rows = collapsed(tmp_path / "store", record["id"])
    rest = sum(n for s, n in rows if any(f.startswith("rest ") for f in s))
    work = sum(n for s, n in rows if any(f.startswith("work ") for f in s))
    assert work > 5 * rest, (work, rest)
    assert record["sample_clock"] == "cpu"


def annotate_self(path, event_index=0):
    """callgrind_annotate's own cost per function: {function name: cost}."""
    done = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100",
                           "--auto=no", path],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found = {}
    for row in done.stdout.splitlines():
        parts = row.split()
        if ":" in row and parts and parts[0][0].isdigit() and "PROGRAM" not in row:
            costs = [p for p in parts if p.replace(",", "").isdigit()]
            found[row.rsplit(":", 1)[1]] = int(costs[event_index].replace(",", ""))
    return found


@pytest.mark.skipif(shutil.which("callgrind_annotate") is None, reason="valgrind")
@pytest.mark.parametrize("mode", ["sample", "both"])
def test_callgrind_annotate_counts_each_functions_own_time_once(python, tmp_path, mode):
    """The time below a call is the caller's inclusive cost, never its own: the own costs
    callgrind_annotate adds up are ours, and they add up to the file's total."""
    record, folder = profile(python, tmp_path, HOT_LINE, "--mode", mode)
    path = os.path.join(folder, record["callgrind"])
    parsed = strict_callgrind.read(path)
    ours = parsed["self"] if mode == "sample" else parsed["sampled_self"]
    mine = {}
    for (_file, fn), cost in ours.items():
        mine[fn] = mine.get(fn, 0) + cost
    theirs = annotate_self(path, 0 if mode == "sample" else 1)
    assert theirs.get("<module>", 0) == mine.get("<module>", 0), (theirs, mine)
    assert theirs["work"] == mine["work"] > 0, (theirs, mine)
    # the strict reader checked that the file's total is the sum of its own costs
    assert sum(theirs.values()) == sum(ours.values()), (theirs, mine)


@pytest.mark.skipif(shutil.which("callgrind_annotate") is None, reason="valgrind")
def test_callgrind_annotate_reads_both_events(python, tmp_path):
    record, folder = profile(python, tmp_path, HOT_LINE)
    path = os.path.join(folder, record["callgrind"])
    parsed = strict_callgrind.read(path)
    assert parsed["header"]["events"] == "ns samples_ns"
    assert parsed["sampled_self"]
    for inclusive in ("no", "yes"):
        done = subprocess.run(["callgrind_annotate", f"--inclusive={inclusive}", path],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "samples_ns" in done.stdout


def test_os_exit_and_subprocesses_keep_their_samples(python, tmp_path):
    """A process leaving through ``os._exit`` and a Python started with ``subprocess``
    (``--subprocesses``) save their samples like their profiles."""
    write(tmp_path, "child.py", """
        import os
        def child_work():
            s = 0
            for i in range(1500000):
                s += abs(i)
        child_work()
        os._exit(3)
    """)
    script = write(tmp_path, "s.py", """
        import subprocess, sys, os
        code = subprocess.call([sys.executable, os.path.join(os.path.dirname(__file__),
                                                             "child.py")])
        print("CHILD", code)
    """)
    store = tmp_path / "store"
    result = cli(store, "run", "--python", python, "--top", "0", "--subprocesses", script)
    assert "CHILD 3" in result.stdout
    record, _ = last_run(store)
    child = [p for p in record["processes"] if p["role"].startswith("subprocess")]
    assert child and child[0]["samples"], record["processes"]
    rows = collapsed(store, record["id"], "--process", child[0]["role"])
    assert any(s[-1].startswith("child_work ") for s, _n in rows), rows
