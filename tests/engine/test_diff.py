"""Comparing two runs (engine/diff.py), on real cProfile runs of an edited script."""

import json

import pytest

from spyder_callgrind.engine.diff import (
    ADDED, CHANGED, VANISHED, diff_profiles, diff_to_dicts, diff_to_json, format_diff)
from spyder_callgrind.engine.model import BUILTIN_FILE, Function, ProfileData
from tests.helpers_profiles import EDITED_AFTER as AFTER, EDITED_BEFORE as BEFORE
from tests.helpers_profiles import profile_source

# BEFORE/AFTER: four lines added above everything (all functions move 4 down), slow_later
# loops 30x longer, old_name is renamed to new_name.


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    folder = tmp_path_factory.mktemp("diff")
    before = profile_source(BEFORE, folder)
    after = profile_source(AFTER, folder)     # same file, edited
    return diff_profiles(before, after)


def by_name(rows, name):
    found = [r for r in rows if r.name == name]
    assert len(found) == 1, found
    return found[0]


def test_moved_functions_are_still_matched(rows):
    row = by_name(rows, "steady")
    assert row.status == CHANGED
    assert row.line_after == row.line_before + 4


def test_renamed_function_is_added_and_vanished(rows):
    assert by_name(rows, "old_name").status == VANISHED
    assert by_name(rows, "new_name").status == ADDED
    assert by_name(rows, "old_name").self_after == 0
    assert by_name(rows, "new_name").ratio is None


def test_slowed_down_work_comes_first(rows):
    assert rows[0].name == "slow_later"
    assert rows[0].change > 0 and rows[0].ratio > 5
    # Its callers got slower by as much, but their own time did not change: they come later.
    module = by_name(rows, "<module>")
    assert module.inclusive_change >= rows[0].change // 2
    assert module.change < rows[0].change // 10
    changes = [r.change for r in rows]
    assert changes == sorted(changes, reverse=True)


def test_builtins_are_matched_by_name(rows):
    row = by_name(rows, "<built-in method builtins.sum>")
    assert row.status == CHANGED and row.file == BUILTIN_FILE


def f(name, line, self_ns, file="/a.py"):
    return Function(file, line, name, 1, 1, self_ns, self_ns)


def test_same_named_functions_pair_by_nearest_line():
    before = ProfileData([f("run", 10, 100), f("run", 50, 200), f("run", 90, 300)], [])
    after = ProfileData([f("run", 58, 210), f("run", 12, 110)], [])
    rows = diff_profiles(before, after)
    pairs = {(r.line_before, r.line_after, r.status) for r in rows}
    assert pairs == {(10, 12, CHANGED), (50, 58, CHANGED), (90, None, VANISHED)}


def test_same_name_in_another_file_is_not_matched():
    rows = diff_profiles(ProfileData([f("run", 1, 5, "/a.py")], []),
                         ProfileData([f("run", 1, 5, "/b.py")], []))
    assert sorted(r.status for r in rows) == [ADDED, VANISHED]


def test_text_and_json(rows):
    text = format_diff(rows, limit=3)
    lines = text.splitlines()
    assert lines[0].startswith("Total time:")
    assert "slow_later" in lines[4]
    assert lines[-1].startswith(f"... {len(rows) - 3} more")
    everything = format_diff(rows, limit=None)
    assert "new" in everything and "gone" in everything and "more" not in everything
    document = json.loads(diff_to_json(rows))
    assert document["unit"] == "ns"
    assert len(document["rows"]) == len(rows)
    assert document["rows"][0]["name"] == "slow_later"
    assert document["total_after"] == sum(r.self_after for r in rows)
    assert diff_to_dicts(rows)[0]["change"] == rows[0].change


def test_empty_diff():
    assert diff_profiles(ProfileData([], []), ProfileData([], [])) == []
    assert "Total time: 0 ns -> 0 ns" in format_diff([], 10)


ADDRESS_SCRIPT = """
import functools
import random


def main():
    functools.partial(random.Random.seed, random.Random())(3)


main()
"""


def test_same_script_twice_has_no_added_or_vanished_names_with_addresses(tmp_path):
    """cProfile names some callables by their repr (``<function Random.seed at 0x7f...>``):
    two runs of an unchanged script differ only by those addresses, which must not turn
    into added and vanished functions."""
    first = profile_source(ADDRESS_SCRIPT, tmp_path)
    second = profile_source(ADDRESS_SCRIPT, tmp_path)
    with_address = [f.name for f in first.functions if " at 0x" in f.name]
    assert with_address, "cProfile no longer names this call by its repr"
    rows = diff_profiles(first, second)
    assert [r for r in rows if r.status != CHANGED] == []
    assert not [r for r in rows if " at 0x" in r.name]
    assert any(r.name == "<function Random.seed>" for r in rows)


def test_names_differing_only_by_address_are_counted_together():
    one = Function(BUILTIN_FILE, 0, "<function f at 0x1>", 1, 1, 10, 10)
    two = Function(BUILTIN_FILE, 0, "<function f at 0x2>", 2, 2, 30, 30)
    later = Function(BUILTIN_FILE, 0, "<function f at 0x3>", 3, 3, 50, 50)
    [row] = diff_profiles(ProfileData([one, two], []), ProfileData([later], []))
    assert (row.name, row.status) == ("<function f>", CHANGED)
    assert (row.self_before, row.self_after, row.calls_before, row.calls_after) == \
        (40, 50, 3, 3)
