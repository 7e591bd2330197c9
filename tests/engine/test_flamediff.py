"""Frame by frame change between two runs (engine/flamediff.py), the functions that moved
most (engine/previous.py) and the gate's rule (engine/gate.py): exact numbers on hand-made
profiles, then real cProfile runs of an edited script."""

import pytest

from spyder_callgrind.engine import gate
from spyder_callgrind.engine.diff import diff_profiles
from spyder_callgrind.engine.flamediff import (
    FASTER, NEW, SLOWER, UNCHANGED, FrameChange, diff_rebuilt_stacks)
from spyder_callgrind.engine.previous import top_movers
from tests.helpers_profiles import EDITED_AFTER, EDITED_BEFORE, profile_source, synthetic

MS = 1_000_000


def frame(diff, *path):
    """The frame at ``path`` (names from below the root) and its change."""
    node = diff.tree
    for name in path:
        node = next(c for c in node.children if c.name == name)
    return node, diff.change_of(node)


# main -> a, b (and b -> leaf); after: a three times slower, b unchanged, c new.
BEFORE = synthetic(
    [("main", 1, 0, 300 * MS), ("a", 1, 100 * MS, 100 * MS), ("b", 1, 150 * MS, 200 * MS),
     ("leaf", 1, 50 * MS, 50 * MS)],
    [("main", "a", 1, 100 * MS, 100 * MS), ("main", "b", 1, 150 * MS, 200 * MS),
     ("b", "leaf", 1, 50 * MS, 50 * MS)])
AFTER = synthetic(
    [("main", 1, 0, 550 * MS), ("a", 1, 300 * MS, 300 * MS), ("b", 1, 151 * MS, 201 * MS),
     ("leaf", 1, 50 * MS, 50 * MS), ("c", 1, 49 * MS, 49 * MS)],
    [("main", "a", 1, 300 * MS, 300 * MS), ("main", "b", 1, 151 * MS, 201 * MS),
     ("b", "leaf", 1, 50 * MS, 50 * MS), ("main", "c", 1, 49 * MS, 49 * MS)])


def test_each_frame_is_matched_by_its_path():
    diff = diff_rebuilt_stacks(BEFORE, AFTER)
    assert diff.approximate
    node, change = frame(diff, "main", "a")
    assert (change.before_ns, change.after_ns, change.status) == (100 * MS, 300 * MS, SLOWER)
    assert change.change_ns == 200 * MS and change.percent == pytest.approx(200)
    assert frame(diff, "main", "b")[1].status == UNCHANGED       # +0.5%
    assert frame(diff, "main", "b", "leaf")[1].status == UNCHANGED
    assert frame(diff, "main", "c")[1] == FrameChange(0, 49 * MS, NEW)
    assert frame(diff, "main")[1].status == SLOWER
    assert diff.max_change_ns == 250 * MS                        # the root and main
    assert len(diff.frames()) == 6                               # every frame has a change
    reverse = diff_rebuilt_stacks(AFTER, BEFORE)
    assert frame(reverse, "main", "a")[1].status == FASTER


def test_a_known_function_at_a_new_path_counts_from_zero_not_as_new():
    moved = synthetic(
        [("main", 1, 0, 300 * MS), ("a", 1, 50 * MS, 300 * MS), ("b", 1, 200 * MS, 250 * MS),
         ("leaf", 1, 50 * MS, 50 * MS)],
        [("main", "a", 1, 50 * MS, 300 * MS), ("a", "b", 1, 200 * MS, 250 * MS),
         ("b", "leaf", 1, 50 * MS, 50 * MS)])
    diff = diff_rebuilt_stacks(BEFORE, moved)
    _node, change = frame(diff, "main", "a", "b")
    assert change.before_ns == 0 and change.status == SLOWER


def test_movers_name_the_slowed_function_not_its_callers():
    movers = top_movers(BEFORE, AFTER)
    # main moved most (+250 ms) but a (+200 ms) explains more than 90% of it? No: 80%.
    assert [r.name for r in movers][:2] == ["main", "a"]
    chain_before = synthetic(
        [("main", 1, 0, 100 * MS), ("wrapper", 1, 0, 100 * MS), ("work", 1, 100 * MS, 100 * MS)],
        [("main", "wrapper", 1, 0, 100 * MS), ("wrapper", "work", 1, 100 * MS, 100 * MS)])
    chain_after = synthetic(
        [("main", 1, 0, 900 * MS), ("wrapper", 1, 0, 900 * MS), ("work", 1, 900 * MS, 900 * MS)],
        [("main", "wrapper", 1, 0, 900 * MS), ("wrapper", "work", 1, 900 * MS, 900 * MS)])
    assert [r.name for r in top_movers(chain_before, chain_after)] == ["work"]


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flamediff")
    return profile_source(EDITED_BEFORE, folder), profile_source(EDITED_AFTER, folder)


def test_real_runs_of_an_edited_script(edited):
    before, after = edited
    diff = diff_rebuilt_stacks(before, after)
    statuses = {node.name: change.status for node, change in diff.frames()}
    # slow_later loops 30x longer; new_name is old_name renamed; lines moved by 4.
    assert statuses["slow_later"] == SLOWER and statuses["<module>"] == SLOWER
    assert statuses["new_name"] == NEW
    assert "slow_later" in [r.name for r in top_movers(before, after)]


def test_gate_rule(edited):
    rows = diff_profiles(*edited)
    result = gate.check(rows, 50)
    assert result.failed
    named = [g.name for g in result.grown]
    assert "slow_later" in named and "new_name" not in named   # only in one run: not gated
    assert "slow_later" in result.report() and "Gate FAILED" in result.report()
    assert not gate.check(rows, 50, min_ms=3_600_000).failed
    document = result.to_json()
    assert document["failed"] and "slow_later" in [g["name"] for g in document["grown"]]
    reverse = gate.check(diff_profiles(*reversed(edited)), 50)
    assert all(g.name != "slow_later" for g in reverse.grown)


def test_both_runs_sampled_give_real_stacks(tmp_path):
    """Two sampled runs are compared on their sampled stacks, not rebuilt ones."""
    import os
    import subprocess
    import sys
    from spyder_callgrind.engine.flamediff import diff_rebuilt_stacks
    from spyder_callgrind.engine.stacks import is_sampled
    from spyder_callgrind.engine.store import RunStore
    script = tmp_path / "s.py"
    store = tmp_path / "store"
    env = dict(os.environ, SPYDER_CALLGRIND_STORE=str(store))
    for n in (2000000, 4000000):     # long enough to be sampled on a busy machine
        script.write_text("def spin(n):\n    t = 0\n    for i in range(n):\n"
                          "        t += i\n    return t\nspin(%d)\n" % n)
        subprocess.run([sys.executable, "-m", "spyder_callgrind", "run", "--top", "0",
                        "--no-compare", str(script)], env=env, check=True,
                       capture_output=True, timeout=120)
    runs = RunStore(str(store))
    before, after = (runs.folder(runs.get(name)).load_profile() for name in ("last~1", "last"))
    assert is_sampled(before) and is_sampled(after)
    assert not diff_rebuilt_stacks(before, after).approximate
