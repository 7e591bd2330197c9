"""The timeline built from stack samples: lanes, summary, Trace Event export."""

import json
from types import SimpleNamespace

from spyder_callgrind.engine.timeline import build_timeline, summarize, trace_events

MS = 1_000_000
USER = "/home/u/job.py"
LIB = "/usr/lib/python3.11/threading.py"


def fake_process(pid, role, epoch_ms, samples, threads=("MainThread",)):
    """``samples``: (time ms, thread, stack of frame indices, cpu ms or None)."""
    frames = [(USER, 1, "<module>"), (USER, 5, "work"), (LIB, 300, "wait"),
              (USER, 9, "helper")]
    nodes = {}
    parent, frame, line = [], [], []

    def node_of(stack):
        key = tuple(stack)
        if key not in nodes:
            up = node_of(stack[:-1]) if len(stack) > 1 else -1
            nodes[key] = len(parent)
            parent.append(up)
            frame.append(stack[-1])
            line.append(frames[stack[-1]][1])
        return nodes[key]

    sample_node, sample_thread, sample_time, sample_weight, sample_cpu = [], [], [], [], []
    previous = {}
    for at, thread, stack, cpu in samples:
        sample_node.append(node_of(stack))
        sample_thread.append(thread)
        sample_time.append(at * MS)
        weight = (at - previous.get(thread, 0)) * MS
        previous[thread] = at
        sample_weight.append(weight)
        sample_cpu.append(weight if cpu is None else cpu * MS)
    return SimpleNamespace(pid=pid, role=role, epoch_ns=epoch_ms * MS, frames=frames,
                           node_parent=parent, node_frame=frame, node_line=line,
                           threads=list(threads), sample_node=sample_node,
                           sample_thread=sample_thread, sample_time=sample_time,
                           sample_weight=sample_weight, sample_cpu=sample_cpu)


def pool_run():
    # The parent works 10 ms, then waits 40 ms while two workers run.
    main = fake_process(100, "main", 0, [(t, 0, [0], None) for t in range(2, 11, 2)]
                        + [(t, 0, [0, 2], 0) for t in range(12, 51, 2)])
    w1 = fake_process(101, "worker 1", 10, [(t, 0, [0, 1], None) for t in range(2, 41, 2)])
    w2 = fake_process(102, "worker 2", 10, [(t, 0, [0, 1, 3], None) for t in range(2, 21, 2)]
                      + [(t, 0, [0, 2], 0) for t in range(22, 41, 2)])
    return [main, w1, w2]


def test_lanes_follow_the_samples_on_one_wall_clock():
    timeline = build_timeline(pool_run())
    assert [lane.role for lane in timeline.lanes] == ["main", "worker 1", "worker 2"]
    main, w1, w2 = timeline.lanes
    assert timeline.end_ns == 50 * MS
    assert w1.start_ns == 10 * MS and w1.end_ns == 50 * MS
    # Consecutive samples with the same stack are one segment, labelled by the innermost
    # frame of the user's code; waiting where no CPU was used.
    assert [(s.function[2] if s.function else None, s.waiting) for s in main.segments] == [
        ("<module>", False), ("<module>", True)]
    assert main.busy_ns() == 10 * MS and main.waiting_ns() == 40 * MS
    assert [s.function[2] for s in w2.segments] == ["helper", "<module>"]
    assert w2.segment_at(15 * MS).function[2] == "helper"
    assert w2.segment_at(45 * MS).waiting


def test_summary_line():
    summary = summarize(build_timeline(pool_run()))
    assert [share for _role, share in summary.workers] == [1.0, 0.5]
    assert summary.efficiency == 0.75
    assert summary.main_waited_ns == 40 * MS
    text = summary.text()
    assert text.startswith("2 workers busy 100% / 50%; main waited 40.0 ms of 50.0 ms")
    assert "parallel efficiency 75%" in text


def test_without_cpu_times_blocking_functions_are_waiting():
    processes = pool_run()
    for process in processes:
        process.sample_cpu = None
    timeline = build_timeline(processes, is_waiting=lambda key: key[2] == "wait")
    assert timeline.lanes[0].waiting_ns() == 40 * MS


def test_trace_events_nest_by_depth_and_name_processes_and_threads():
    doc = json.loads(json.dumps(trace_events(build_timeline(pool_run()))))
    events = doc["traceEvents"]
    names = {(e["pid"], e["args"]["name"]) for e in events if e["name"] == "process_name"}
    assert names == {(100, "main (pid 100)"), (101, "worker 1 (pid 101)"),
                     (102, "worker 2 (pid 102)")}
    assert {e["args"]["name"] for e in events if e["name"] == "thread_name"} == {"MainThread"}
    complete = [e for e in events if e["ph"] == "X"]
    w2 = sorted((e for e in complete if e["pid"] == 102), key=lambda e: (e["ts"], -e["dur"]))
    # <module> spans the worker's whole life, work inside it, helper inside work.
    module = next(e for e in w2 if e["name"].startswith("<module>"))
    assert module["ts"] == 10_000 and module["dur"] == 40_000
    helper = next(e for e in w2 if e["name"].startswith("helper"))
    work = next(e for e in w2 if e["name"].startswith("work"))
    assert work["ts"] <= helper["ts"] and helper["ts"] + helper["dur"] <= work["ts"] + work["dur"]
    # The main process' waiting shows as time in `wait`.
    wait = [e for e in complete if e["pid"] == 100 and e["name"].startswith("wait")]
    assert sum(e["dur"] for e in wait) == 40_000


POOL_SCRIPT = """\
import multiprocessing as mp, sys

def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

if __name__ == "__main__":
    with mp.get_context(sys.argv[1]).Pool(3) as pool:
        pool.map(work, [150000] * 12, chunksize=1)
"""


def _cli(*args, store):
    import os
    import subprocess
    import sys
    env = dict(os.environ, SPYDER_CALLGRIND_STORE=str(store))
    return subprocess.run([sys.executable, "-m", "spyder_callgrind", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_real_pool_run_timeline_and_trace_export(tmp_path):
    import pytest
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    store = tmp_path / "store"
    done = _cli("run", "--top", "0", "--no-compare", str(script), "spawn", store=store)
    assert done.returncode == 0, done.stderr
    record = json.loads(_cli("show", "last", "--json", store=store).stdout)
    processes = record["processes"]
    workers = [p for p in processes if p["role"].startswith("worker")]
    if len(workers) < 2:
        pytest.skip("the pool finished before its workers started")
    shown = _cli("show", "last", "--timeline", store=store)
    assert shown.returncode == 0, shown.stderr
    first = shown.stdout.splitlines()[0]
    assert first.startswith(f"{len(workers)} workers busy ")
    assert first.split("busy ")[1].split(";")[0].count("%") == len(workers)
    out = tmp_path / "trace.json"
    done = _cli("export", "last", "--format", "chrome", "-o", str(out), store=store)
    assert done.returncode == 0, done.stderr
    events = json.loads(out.read_text())["traceEvents"]
    pids = {e["pid"] for e in events if e["ph"] == "X"}
    assert pids == {p["pid"] for p in processes}
    for worker in workers:
        names = {e["name"].split(" (")[0] for e in events
                 if e["ph"] == "X" and e["pid"] == worker["pid"]}
        assert "work" in names
    main_pid = processes[0]["pid"]
    spans = [(e["ts"], e["ts"] + e["dur"]) for e in events if e["ph"] == "X"]
    span_s = (max(b for _a, b in spans) - min(a for a, _b in spans)) / 1e6
    assert 0.5 * record["duration"] <= span_s <= 1.2 * record["duration"] + 0.1
    # The main process waited for its workers, and its events cover that time.
    main_events = [e for e in events if e["ph"] == "X" and e["pid"] == main_pid
                   and e["tid"] == 1]
    covered = max(e["ts"] + e["dur"] for e in main_events) - min(e["ts"] for e in main_events)
    assert covered / 1e6 >= 0.5 * span_s
