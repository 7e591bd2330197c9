"""Stack trees rebuilt from caller/callee totals (engine/stacks.py)."""

import pytest

from spyder_callgrind.engine.model import format_ns
from spyder_callgrind.engine.stacks import (
    ALL_NAME, build_stack_tree, callee_shares, caller_shares)
from tests.helpers_profiles import MIXED_PROGRAM, find, profile_source, synthetic


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return profile_source(MIXED_PROGRAM, tmp_path_factory.mktemp("mixed"))


def frames_of(tree, name):
    return [node for node in tree.walk() if node.name == name]


def test_children_never_exceed_their_parent(mixed):
    tree = build_stack_tree(mixed, min_fraction=0)
    for node in tree.walk():
        assert sum(c.inclusive_ns for c in node.children) <= node.inclusive_ns
        assert node.self_ns == node.inclusive_ns - sum(c.inclusive_ns for c in node.children)
        assert node.self_ns >= 0


def test_recursive_function_is_not_expanded_into_itself(mixed):
    tree = build_stack_tree(mixed, min_fraction=0)
    fib = find(mixed, "fib")
    (frame,) = frames_of(tree, "fib")
    # Its frame holds exactly pstats' cumulative time, the recursion kept inside it.
    assert frame.inclusive_ns == mixed.functions[fib].inclusive_ns
    assert frame.children == []
    assert frame.self_ns == frame.inclusive_ns
    for node in tree.walk():
        names = [n.function for n in node.path() if n.function >= 0]
        assert len(names) == len(set(names))


def test_root_is_all_entry_points(mixed):
    tree = build_stack_tree(mixed)
    assert tree.name == ALL_NAME and tree.function == -1
    assert tree.inclusive_ns == sum(mixed.functions[i].inclusive_ns for i in mixed.roots())


def test_function_called_from_two_places_is_split_by_edge_time(mixed):
    tree = build_stack_tree(mixed, min_fraction=0)
    spin = find(mixed, "spin")
    by_caller = {node.parent.name: node.inclusive_ns for node in frames_of(tree, "spin")}
    edges = {mixed.functions[e.caller].name: e.inclusive_ns for e in mixed.callers_of(spin)}
    assert by_caller == edges
    assert by_caller["heavy"] > by_caller["light"]   # 300k vs 100k loop turns


def test_proportional_spread_goes_down_the_whole_subtree():
    # shared is called by a (1 s) and b (3 s); what shared calls is split 1:3 as well.
    data = synthetic(
        [("main", 1, 0, 4000), ("a", 1, 0, 1000), ("b", 1, 0, 3000),
         ("shared", 2, 2000, 4000), ("leaf", 8, 2000, 2000)],
        [("main", "a", 1, 0, 1000), ("main", "b", 1, 0, 3000),
         ("a", "shared", 1, 500, 1000), ("b", "shared", 1, 1500, 3000),
         ("shared", "leaf", 8, 2000, 2000)])
    tree = build_stack_tree(data, min_fraction=0)
    leaves = {node.path()[-3].name: node for node in frames_of(tree, "leaf")}
    assert leaves["a"].inclusive_ns == 500 and leaves["b"].inclusive_ns == 1500
    assert leaves["a"].calls == 2 and leaves["b"].calls == 6
    shared = {node.parent.name: node for node in frames_of(tree, "shared")}
    assert shared["a"].self_ns == 500 and shared["b"].self_ns == 1500


def test_mutual_recursion_stays_within_the_parent():
    # ping <-> pong; pstats' edges add up to more than the functions themselves.
    data = synthetic(
        [("main", 1, 0, 100), ("ping", 5, 40, 100), ("pong", 5, 60, 95)],
        [("main", "ping", 1, 10, 100), ("ping", "pong", 5, 60, 95),
         ("pong", "ping", 4, 30, 90)])
    tree = build_stack_tree(data, min_fraction=0)
    for node in tree.walk():
        assert sum(c.inclusive_ns for c in node.children) <= node.inclusive_ns
    assert [n.name for n in tree.walk()] == [ALL_NAME, "main", "ping", "pong"]


def test_bounds_keep_the_tree_small():
    # A chain 300 deep with a wide fan-out of tiny calls at every level.
    functions = [(f"f{n}", 1, 10, 10_000_000 - n * 1000) for n in range(300)]
    functions += [(f"tiny{n}", 1, 1, 1) for n in range(2000)]
    edges = [(f"f{n}", f"f{n + 1}", 1, 10, 10_000_000 - (n + 1) * 1000) for n in range(299)]
    edges += [(f"f{n % 300}", f"tiny{n}", 1, 1, 1) for n in range(2000)]
    data = synthetic(functions, edges)
    tree = build_stack_tree(data, min_fraction=0.001, max_depth=50)
    assert tree.max_depth() == 50
    assert not frames_of(tree, "tiny0")
    assert tree.inclusive_ns == sum(n.self_ns for n in tree.walk())


def test_start_from_a_chosen_function(mixed):
    main = find(mixed, "main")
    tree = build_stack_tree(mixed, root=main, min_fraction=0)
    assert tree.function == main and tree.parent is None
    assert tree.inclusive_ns == mixed.functions[main].inclusive_ns
    assert {c.name for c in tree.children} == {"heavy", "light", "fib"}


def test_callers_shares_split_the_time_by_edge(mixed):
    spin = find(mixed, "spin")
    f = mixed.functions[spin]
    shares = caller_shares(mixed, spin, f.inclusive_ns, f.self_ns)
    assert [mixed.functions[s.function].name for s in shares] == ["heavy", "light"]
    assert sum(s.inclusive_ns for s in shares) <= f.inclusive_ns
    main = find(mixed, "main")
    assert all(s.function != main for s in callee_shares(mixed, main, 1000, {find(mixed, "fib")})
               if mixed.functions[s.function].name == "fib")


@pytest.mark.parametrize("ns, text", [
    (0, "0 ns"), (812, "812 ns"), (3_400, "3.40 µs"), (12_500_000, "12.5 ms"),
    (2_310_000_000, "2.31 s"), (-4_000, "-4.00 µs"), (999_999, "1.00 ms"), (999.7, "1.00 µs")])
def test_format_ns(ns, text):
    assert format_ns(ns) == text


def test_an_entry_point_on_a_cycle_is_found():
    # As in a real run: exec runs <module>, whose imports call exec again.
    data = synthetic(
        [("exec", 2, 10, 1000), ("<module>", 1, 100, 990), ("import", 1, 40, 60),
         ("disable", 1, 1, 1)],
        [("exec", "<module>", 1, 100, 990), ("<module>", "import", 1, 40, 60),
         ("import", "exec", 1, 5, 20)])
    assert data.roots() == [3]
    tree = build_stack_tree(data, min_fraction=0)
    assert [c.name for c in tree.children] == ["exec", "disable"]
    assert tree.inclusive_ns == 1001
    assert [n.name for n in tree.walk()] == [ALL_NAME, "exec", "<module>", "import", "disable"]


def test_real_script_run_starts_at_exec(tmp_path):
    data = profile_source("import json\nimport csv\nprint(json.dumps([1]))\n", tmp_path)
    tree = build_stack_tree(data)
    assert tree.children[0].name == "<built-in method builtins.exec>"
