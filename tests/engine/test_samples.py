"""engine.samples and what uses it: the sampler's overhead taken out of cProfile's counts,
sampled stacks beside a table and in the views' stack tree, per-line callgrind files (strict
reader, real KCacheGrind), damaged samples, old run.json files."""

import json
import os

import pytest

from spyder_callgrind.engine import exports, samples, table as table_file
from spyder_callgrind.engine.callgrind import CallgrindPart, read_callgrind, write_callgrind
from spyder_callgrind.engine.model import Edge, Function, ProfileData
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.engine.recording import SAMPLER_FILE, without_profiler_frames
from spyder_callgrind.engine.stacks import APPROXIMATION_NOTE, build_stack_tree, stack_note
from tests import strict_callgrind
from tests.engine.test_callgrind import needs_kcachegrind, run_kcachegrind

SCRIPT = "/p/s.py"


def samples_doc(stacks):
    """A ``.samples`` document: ``stacks`` is a list of (thread, [(name, line)...], weight),
    frames root first, every function in SCRIPT with first line = its number in
    NAMES order."""
    frames, nodes, node_of, data = [], [], {}, []
    threads = sorted({t for t, _s, _w in stacks})
    for thread, chain, weight in stacks:
        node = -1
        for name, line in chain:
            fid = next((i for i, f in enumerate(frames) if f[1] == name), None)
            if fid is None:
                fid = len(frames)
                frames.append([SCRIPT, name, NAMES.index(name) * 10 + 1])
            key = (node, fid, line)
            if key not in node_of:
                node_of[key] = len(node_of)
                nodes.extend(key)
            node = node_of[key]
        data.extend((node, threads.index(thread), len(data), weight))
    return {"format": samples.SAMPLES_FORMAT, "pid": 7, "clock": "wall", "timer": "itimer",
            "interval_requested_ns": 1000000, "interval_achieved_ns": 4000000,
            "ticks": len(stacks), "frames": frames, "nodes": nodes,
            "threads": [[n, t] for n, t in enumerate(threads)], "samples": data}


NAMES = ["<module>", "cheap_caller", "costly_caller", "helper", "crunch", "light"]

STACKS = [
    ("MainThread", [("<module>", 20), ("cheap_caller", 12), ("helper", 33), ("light", 52)], 30),
    ("MainThread", [("<module>", 21), ("costly_caller", 22), ("helper", 32), ("crunch", 44)], 60),
    ("MainThread", [("<module>", 21), ("costly_caller", 22), ("helper", 32), ("crunch", 43)], 10),
    ("job", [("<module>", 20), ("cheap_caller", 12)], 5),
]


@pytest.fixture
def sampled(tmp_path):
    path = tmp_path / "7.samples"
    path.write_text(json.dumps(samples_doc(STACKS)))
    return samples.load_samples(str(path), role="main")


def test_profile_from_samples(sampled):
    data = samples.profile_from_samples(sampled)
    by = {f.name: f for f in data.functions}
    assert by["crunch"].self_ns == 70 and by["crunch"].inclusive_ns == 70
    assert by["helper"].inclusive_ns == 100 and by["helper"].self_ns == 0
    assert by["<module>"].inclusive_ns == 105
    assert all(f.total_calls == 0 for f in data.functions)
    edges = {(data.functions[e.caller].name, data.functions[e.callee].name): e
             for e in data.edges}
    assert edges[("helper", "crunch")].inclusive_ns == 70
    assert ("cheap_caller", "crunch") not in edges
    assert data.description.startswith("sampled: 4 samples every 4.00 ms")


def test_sampled_tree_keeps_callers_apart(sampled):
    """The rebuilt tree spreads helper's callees over both callers; the sampled one not."""
    data = samples.profile_from_samples(sampled)
    tree = samples.SampledStacks.build([sampled], data).tree(data, 0, 96)
    paths = {tuple(n.name for n in node.path()[1:]): node.inclusive_ns for node in tree.walk()}
    assert paths[("<module>", "costly_caller", "helper", "crunch")] == 70
    assert ("<module>", "cheap_caller", "helper", "crunch") not in paths
    rooted = samples.SampledStacks.build([sampled], data).tree(
        data, 0, 96, root=data.index_of((SCRIPT, 31, "helper")))
    assert rooted.inclusive_ns == 100
    assert {c.name: c.inclusive_ns for c in rooted.children} == {"crunch": 70, "light": 30}


def test_table_carries_sampled_stacks(sampled, tmp_path):
    """A table saved with stacks beside it reads back with them: the views' stack tree,
    its note and the speedscope export then show real stacks."""
    data = samples.profile_from_samples(sampled)
    table = str(tmp_path / "all.table")
    table_file.save_table(data, table)
    assert stack_note(table_file.load_table(table)) == APPROXIMATION_NOTE
    samples.SampledStacks.build([sampled], data).save(samples.stacks_path(table))
    loaded = table_file.load_table(table)
    assert stack_note(loaded).startswith("sampled: 4 samples")
    tree = build_stack_tree(loaded, min_fraction=0)
    names = {tuple(n.name for n in node.path()[1:]) for node in tree.walk()}
    assert ("<module>", "cheap_caller", "helper", "crunch") not in names
    rebuilt = build_stack_tree(loaded, min_fraction=0, rebuilt=True)
    assert any(tuple(n.name for n in node.path()[1:]) ==
               ("<module>", "cheap_caller", "helper", "crunch") for node in rebuilt.walk())
    document = exports.speedscope_document(loaded, "s.py")
    assert "sampled: 4 samples" in document["name"]
    assert sum(document["profiles"][0]["weights"]) == 105


def test_damaged_stacks_file_is_ignored(sampled, tmp_path):
    data = samples.profile_from_samples(sampled)
    table = str(tmp_path / "all.table")
    table_file.save_table(data, table)
    with open(samples.stacks_path(table), "w") as stream:
        stream.write('{"format": "spyder-callgrind-stacks/1", "parents": [5], '
                     '"functions": [0], "weights": [1]}')
    assert stack_note(table_file.load_table(table)) == APPROXIMATION_NOTE


@pytest.mark.parametrize("content", ["", "{", '{"format": "other"}',
                                     '{"format": "spyder-callgrind-samples/1", '
                                     '"frames": [], "nodes": [0, 0], "samples": []}',
                                     '{"format": "spyder-callgrind-samples/1", "frames": '
                                     '[["a", "f", 1]], "nodes": [-1, 0, 3], '
                                     '"samples": [4, 0, 0, 1], "threads": [[1, "M"]]}'])
def test_damaged_samples_give_one_line(tmp_path, content):
    path = tmp_path / "1.samples"
    path.write_text(content)
    with pytest.raises(samples.SamplesError) as caught:
        samples.load_samples(str(path))
    assert "\n" not in str(caught.value) and "1.samples" in str(caught.value)


def test_collapsed_and_thread_times(sampled):
    lines = samples.collapsed_lines([sampled], unit="samples")
    assert ("main (pid 7);thread MainThread;<module> (/p/s.py:1);costly_caller (/p/s.py:21);"
            "helper (/p/s.py:31);crunch (/p/s.py:41) 2") in lines
    rows = samples.thread_times([sampled])
    assert [(r["thread"], r["share"]) for r in rows] == [("MainThread", 95.2), ("job", 4.8)]
    assert samples.thread_note(rows, False) == \
        "time per thread from samples: MainThread 95%, job 5%"


def _exact_profile():
    """A cProfile-like profile of the same script, with the sampler's handler in it."""
    functions = [
        Function(SCRIPT, 1, "<module>", 1, 1, 5, 1000),
        Function(SCRIPT, 41, "crunch", 10, 10, 700, 700),
        Function(SCRIPT, 31, "helper", 110, 110, 20, 995),
        Function("~", 0, "<built-in method time.perf_counter_ns>", 300, 300, 30, 30),
        Function("~", 0, "<built-in method sys._current_frames>", 200, 200, 20, 20),
        Function(SAMPLER_FILE, 170, "_on_signal", 200, 200, 10, 60),
        Function("~", 0, "<built-in method builtins.abs>", 40, 40, 4, 4),
    ]
    edges = [
        Edge(0, 2, 110, 110, 20, 995),
        Edge(2, 1, 10, 10, 700, 700),
        Edge(1, 3, 100, 100, 10, 10),           # the script's own calls
        Edge(5, 3, 200, 200, 20, 20),           # the sampler's
        Edge(5, 4, 200, 200, 20, 20),
        Edge(1, 5, 200, 200, 10, 60),
        Edge(1, 6, 40, 40, 4, 4),
    ]
    return ProfileData(functions, edges)


def test_sampler_overhead_leaves_the_profile():
    data = without_profiler_frames(_exact_profile())
    by = {f.name: f for f in data.functions}
    assert "_on_signal" not in by
    assert "<built-in method sys._current_frames>" not in by     # only the sampler's
    clock = by["<built-in method time.perf_counter_ns>"]
    assert (clock.total_calls, clock.self_ns, clock.inclusive_ns) == (100, 10, 10)
    assert by["<built-in method builtins.abs>"].total_calls == 40
    assert all(0 <= e.caller < len(data) and 0 <= e.callee < len(data) for e in data.edges)


def _line_file(tmp_path, sampled, mode):
    if mode == "sample":
        data = samples.profile_from_samples(sampled)
    else:
        data = without_profiler_frames(_exact_profile())
    path = str(tmp_path / f"callgrind.out.{mode}")
    costs = samples.line_costs([sampled], data, mode)
    write_callgrind(path, [CallgrindPart(data, 7, "python s.py", "main", lines=costs)])
    return path, data


@pytest.mark.parametrize("mode", ["both", "sample"])
def test_line_costs_in_callgrind(sampled, tmp_path, mode):
    path, data = _line_file(tmp_path, sampled, mode)
    parsed = strict_callgrind.read(path)
    lines = parsed["sampled_lines"]
    assert lines[(SCRIPT, "crunch", 44)] == 60 and lines[(SCRIPT, "crunch", 43)] == 10
    if mode == "both":
        # a function cProfile does not list: its time is its caller's, at the call
        assert lines[(SCRIPT, "helper", 33)] == 30
        assert parsed["header"]["events"] == "ns samples_ns"
        # exact costs and counts as cProfile has them
        assert parsed["self"][(SCRIPT, "crunch")] == 700
        assert parsed["calls_in"][(SCRIPT, "crunch")] == 10
    else:
        assert lines[(SCRIPT, "light", 52)] == 30
        assert parsed["header"]["events"] == "samples_ns"
        # counts not measured: each call line says 1 (seen; never 0, which
        # callgrind_annotate would read as own cost), and read back they are 0
        assert parsed["calls_in"] and min(parsed["calls_in"].values()) >= 1
        [read_back] = read_callgrind(path)
        assert {f.total_calls for f in read_back.functions} == {0}


@needs_kcachegrind
@pytest.mark.parametrize("mode", ["both", "sample"])
def test_kcachegrind_loads_line_costs(sampled, tmp_path, mode):
    path, _ = _line_file(tmp_path, sampled, mode)
    messages, titles = run_kcachegrind(path, tmp_path)
    assert os.path.basename(path) + " [python s.py]" in titles
    assert messages == []


def test_old_run_json_is_an_exact_run():
    record = RunRecord.from_json({"schema": 1, "id": "r", "script": "/s.py",
                                  "processes": [{"pid": 3, "profile": "p/3.prof"}]})
    assert record.mode == "exact" and not record.sampled and record.exact_counts
    assert record.processes[0].samples is None


def test_export_every_format(tmp_path):
    """``export`` writes each format; a sampled-only run refuses pstats in one line."""
    from tests.workers.test_sampler import cli, last_run, write
    script = write(tmp_path, "s.py", """
        def work():
            s = 0
            for i in range(400000):
                s += abs(i)
        work()
    """)
    store = tmp_path / "store"
    cli(store, "run", "--top", "0", script)
    record, folder = last_run(store)
    out = tmp_path / "out"
    for kind in ("callgrind", "pstats", "speedscope", "collapsed", "text"):
        target = str(out) + "." + kind
        cli(store, "export", record["id"], "--format", kind, "-o", target)
        assert os.path.getsize(target) > 0, kind
    with open(str(out) + ".callgrind", encoding="utf-8") as stream:
        assert "events: ns samples_ns" in stream.read()
    with open(str(out) + ".speedscope", encoding="utf-8") as stream:
        document = json.load(stream)
    assert document["profiles"][0]["name"].endswith("MainThread")
    assert "sampled:" in document["name"]
    collapsed = cli(store, "export", record["id"], "--format", "collapsed").stdout
    assert any(line.split(";")[-1].startswith("work (") for line in collapsed.splitlines())
    binary = cli(store, "export", record["id"], "--format", "pstats", check=1)
    assert binary.stderr.count("\n") == 1
    cli(store, "run", "--top", "0", "--mode", "sample", script)
    sampled, _ = last_run(store)
    refused = cli(store, "export", sampled["id"], "--format", "pstats", "-o",
                  str(tmp_path / "x.prof"), check=1)
    assert "no pstats file" in refused.stderr and refused.stderr.count("\n") == 1
    cli(store, "run", "--top", "0", "--mode", "exact", script)
    exact, _ = last_run(store)
    rebuilt = cli(store, "export", exact["id"], "--format", "collapsed")
    assert "approximate" in rebuilt.stderr and "work (" in rebuilt.stdout


def test_call_tree_shares_follow_real_stacks(sampled, tmp_path):
    """The call tree's split of a frame over its callees (``stacks.callee_shares``, given
    the functions on the path above) follows the samples when a run has them."""
    from spyder_callgrind.engine.stacks import callee_shares
    data = samples.profile_from_samples(sampled)
    table = str(tmp_path / "all.table")
    table_file.save_table(data, table)
    samples.SampledStacks.build([sampled], data).save(samples.stacks_path(table))
    loaded = table_file.load_table(table)
    index = {f.name: i for i, f in enumerate(loaded.functions)}
    # a function of the path the samples never saw (a C function) is no clue
    path = {index["<module>"], index["cheap_caller"], index["helper"], len(index) + 5}
    shares = callee_shares(loaded, index["helper"], 1000, path)
    assert [(loaded.functions[s.function].name, s.inclusive_ns) for s in shares] == \
        [("light", 1000)]
    path = {index["<module>"], index["costly_caller"], index["helper"]}
    shares = callee_shares(loaded, index["helper"], 700, path)
    assert [(loaded.functions[s.function].name, s.inclusive_ns) for s in shares] == \
        [("crunch", 700)]
