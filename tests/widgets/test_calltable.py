"""The call table model (it sorts and filters itself), on real cProfile profiles."""

import os

import pytest
from qtpy.QtCore import Qt

from spyder_callgrind.engine.model import BUILTIN_FILE, Function, ProfileData
from spyder_callgrind.widgets.calltable import (
    COL_CALLS, COL_FUNCTION, COL_INCLUSIVE, COL_INCLUSIVE_PERCENT, COL_LOCATION, COL_PER_CALL,
    COL_SELF, COL_SELF_PERCENT, COLUMN_COUNT, CallTableModel, default_stdlib_dirs,
    format_calls, format_ns)
from spyder_callgrind.widgets.columns import Role
from tests.widgets.conftest import column_values, find_function

UNIT_RANK = {"ns": 0, "µs": 1, "ms": 2, "s": 3}


@pytest.fixture
def table(qtbot, main_profile):
    model = CallTableModel()
    model.set_profile(main_profile.data)
    return model


def shown_functions(model):
    return [model.index(row, 0).data(Role.FUNCTION_INDEX) for row in range(model.rowCount())]


def test_one_row_per_pstats_function(table, main_profile):
    model = table
    assert model.rowCount() == model.rowCount() == len(main_profile.stats)
    assert sorted(shown_functions(model)) == list(range(len(main_profile.data.functions)))


def test_cells_match_pstats(table, main_profile):
    model = table
    data = main_profile.data
    fib = find_function(data, "fib", main_profile.script)
    cc, nc, tt, ct, _callers = main_profile.stats[(main_profile.script, 8, "fib")]
    row = model.row_of(fib)
    cell = lambda column, role=Qt.DisplayRole: model.index(row, column).data(role)  # noqa
    assert cell(COL_FUNCTION) == "fib"
    assert cell(COL_LOCATION) == "busy_script.py:8"
    assert cell(COL_LOCATION, Qt.ToolTipRole) == f"{main_profile.script}:8"
    assert (cc, nc) == (2, 50)
    assert cell(COL_CALLS) == "2/50"
    assert cell(COL_CALLS, Role.SORT) == 50
    assert cell(COL_SELF, Role.SORT) == round(tt * 1e9)
    assert cell(COL_INCLUSIVE, Role.SORT) == round(ct * 1e9)
    assert cell(COL_SELF) == format_ns(round(tt * 1e9))
    assert cell(COL_PER_CALL, Role.SORT) == pytest.approx(ct * 1e9 / 2, rel=1e-3)
    assert cell(COL_INCLUSIVE_PERCENT) == \
        f"{100.0 * round(ct * 1e9) / data.total_ns:.1f} %"
    assert cell(COL_FUNCTION, Role.FUNCTION_INDEX) == fib
    tiny = model.row_of(find_function(data, "tiny"))
    assert model.index(tiny, COL_CALLS).data() == "100"


def test_builtins_show_as_built_in(table):
    model = table
    rows = [r for r in range(model.rowCount())
            if model.profile().functions[model.function_at(r)].file == BUILTIN_FILE]
    assert rows
    assert {model.index(r, COL_LOCATION).data() for r in rows} == {"built-in"}


@pytest.mark.parametrize("column", range(COLUMN_COUNT))
@pytest.mark.parametrize("order", [Qt.AscendingOrder, Qt.DescendingOrder])
def test_every_column_sorts_on_raw_values(table, column, order):
    model = table
    model.sort(column, order)
    keys = column_values(model, column, Role.SORT)
    assert len(keys) == model.rowCount()
    assert keys == sorted(keys, reverse=(order == Qt.DescendingOrder))


@pytest.mark.parametrize("column", [COL_SELF, COL_INCLUSIVE, COL_PER_CALL])
def test_times_sort_numerically_not_as_text(table, column):
    model = table
    model.sort(column, Qt.AscendingOrder)
    shown = column_values(model, column, Qt.DisplayRole)
    units = [UNIT_RANK[text.split()[1]] for text in shown]
    # every ns row before every µs row before every ms row...: numeric, whatever the digits
    assert units == sorted(units)
    assert len(set(units)) >= 2
    # and the text order would have been different
    assert shown != sorted(shown)


def test_percent_columns_sort_like_their_times(table):
    model = table
    model.sort(COL_SELF_PERCENT, Qt.DescendingOrder)
    by_percent = shown_functions(model)
    model.sort(COL_SELF, Qt.DescendingOrder)
    assert shown_functions(model) == by_percent
    model.sort(COL_INCLUSIVE_PERCENT, Qt.AscendingOrder)
    values = [float(t.split()[0]) for t in column_values(model, COL_INCLUSIVE_PERCENT,
                                                         Qt.DisplayRole)]
    assert values == sorted(values)


def test_small_numbers_and_recursive_calls_sort_numerically(qtbot):
    # 10 µs below 2 ms, 9 calls below "3/10", "12 ns" below "9 µs"
    functions = [
        Function("/p/a.py", 1, "a", 9, 9, 2_000_000, 2_000_000),
        Function("/p/b.py", 1, "b", 3, 10, 10_000, 10_000),
        Function("/p/c.py", 1, "c", 1, 1, 12, 9_000),
        Function("/p/d.py", 1, "d", 100, 100, 1_500_000_000, 1_500_000_000),
    ]
    model = CallTableModel(ProfileData(functions, []))
    model.sort(COL_SELF, Qt.AscendingOrder)
    assert column_values(model, COL_SELF, Qt.DisplayRole) == \
        ["12 ns", "10.0 µs", "2.00 ms", "1.50 s"]
    model.sort(COL_CALLS, Qt.AscendingOrder)
    assert column_values(model, COL_CALLS, Qt.DisplayRole) == ["1", "9", "3/10", "100"]
    model.sort(COL_LOCATION, Qt.DescendingOrder)
    assert column_values(model, COL_FUNCTION, Qt.DisplayRole) == ["d", "c", "b", "a"]


def test_location_sorts_by_line_number(qtbot):
    functions = [Function("/p/m.py", line, f"f{line}", 1, 1, 1, 1) for line in (10, 9, 100)]
    model = CallTableModel(ProfileData(functions, []))
    model.sort(COL_LOCATION, Qt.AscendingOrder)
    assert column_values(model, COL_LOCATION, Qt.DisplayRole) == ["m.py:9", "m.py:10",
                                                                  "m.py:100"]


def test_formatting():
    assert format_ns(850) == "850 ns"
    assert format_ns(12_345) == "12.3 µs"
    assert format_ns(2_000_000) == "2.00 ms"
    assert format_ns(123_456_789) == "123 ms"
    assert format_ns(1_250_000_000) == "1.25 s"
    assert format_calls(3, 10) == "3/10"
    assert format_calls(7, 7) == "7"


def test_search_is_case_insensitive_over_name_and_file(table, main_profile):
    model = table
    data = main_profile.data
    model.update_filter(search="FIB")
    assert [data.functions[i].name for i in shown_functions(model)] == ["fib"]
    model.update_filter(search="busy_SCRIPT")
    names = {data.functions[i].name for i in shown_functions(model)}
    assert {"fib", "slow", "tiny", "work", "main", "<module>"} <= names
    assert all(main_profile.script in data.functions[i].file for i in shown_functions(model))
    model.update_filter(search="")
    assert model.rowCount() == len(data.functions)


def test_toggles_hide_builtins_stdlib_and_site_packages(table, main_profile):
    model = table
    data = main_profile.data
    stdlib = default_stdlib_dirs()
    files = lambda: [data.functions[i].file for i in shown_functions(model)]  # noqa: E731

    model.update_filter(hide_builtins=True)
    assert files() and BUILTIN_FILE not in files()
    assert any("json" in f for f in files())

    model.update_filter(hide_builtins=False, hide_stdlib=True, hide_site=False)
    assert BUILTIN_FILE in files()
    assert not any(os.sep + "json" + os.sep in f for f in files())
    assert not any(f.startswith(stdlib) and "site-packages" not in f for f in files())
    assert any("fakepkg" in f for f in files())

    model.update_filter(hide_builtins=False, hide_stdlib=False, hide_site=True)
    assert not any("site-packages" in f for f in files())
    assert any(os.sep + "json" + os.sep in f for f in files())

    model.update_filter(hide_builtins=True, hide_stdlib=True, hide_site=True)
    assert set(files()) == {main_profile.script}
    assert model.row_filter.filters() == (True, True, True)

    model.update_filter(hide_builtins=False, hide_stdlib=False, hide_site=False)
    assert model.rowCount() == len(data.functions)


def test_stdlib_dirs_can_be_set_for_another_interpreter(table, main_profile):
    model = table
    model.update_filter(stdlib_dirs=("/nowhere/lib/python3.11/",))
    model.update_filter(hide_stdlib=True)
    data = main_profile.data
    assert any("json" in data.functions[i].file for i in shown_functions(model))
    model.update_filter(stdlib_dirs=default_stdlib_dirs())
    assert not any(os.sep + "json" + os.sep in data.functions[i].file
                   for i in shown_functions(model))


def test_filter_keeps_the_sort_and_sort_keeps_the_filter(table):
    model = table
    model.sort(COL_SELF, Qt.DescendingOrder)
    model.update_filter(hide_builtins=True)
    keys = column_values(model, COL_SELF, Role.SORT)
    assert keys == sorted(keys, reverse=True)
    model.sort(COL_FUNCTION, Qt.AscendingOrder)
    assert BUILTIN_FILE not in {model.profile().functions[i].file
                                for i in shown_functions(model)}
    names = column_values(model, COL_FUNCTION, Role.SORT)
    assert names == sorted(names)


def test_sorting_keeps_persistent_indexes_on_their_function(table, main_profile):
    model = table
    fib = find_function(main_profile.data, "fib")
    kept = [model.index(model.row_of(fib), 0)]
    from qtpy.QtCore import QPersistentModelIndex
    persistent = QPersistentModelIndex(kept[0])
    for column in range(COLUMN_COUNT):
        model.sort(column, Qt.AscendingOrder)
        assert persistent.data(Role.FUNCTION_INDEX) == fib


def test_set_profile_swaps_data(qtbot, table, main_profile, worker_profile):
    model = table
    model.update_filter(search="crunch")
    assert model.rowCount() == 0
    with qtbot.waitSignal(model.modelReset):
        model.set_profile(worker_profile.data)
    assert model.rowCount() == 1
    model.update_filter(search="")
    assert model.rowCount() == len(worker_profile.stats)
    keys = column_values(model, COL_INCLUSIVE, Role.SORT)
    assert keys == sorted(keys, reverse=True)  # the default sort survives the swap
    model.set_profile(None)
    assert model.rowCount() == 0


def test_the_first_order_is_the_profiles_own(qtbot):
    """Rows start by inclusive time, largest first, in the order the profile keeps (a
    loaded table reads it): equal times keep it, it is not sorted again."""
    functions = [Function("a.py", n, f"f{n}", 1, 1, 1, 5 if n else 9) for n in range(4)]
    data = ProfileData(functions, [])
    assert data.by_inclusive() == [0, 1, 2, 3]
    kept = ProfileData(functions, [])
    kept.set_by_inclusive([0, 3, 2, 1])     # as a table file gives it: ties in its order
    for profile, expected in ((data, [0, 1, 2, 3]), (kept, [0, 3, 2, 1])):
        model = CallTableModel()
        model.set_profile(profile)
        assert shown_functions(model) == expected
        model.sort(COL_INCLUSIVE, Qt.AscendingOrder)     # other orders are sorted
        assert shown_functions(model) == [1, 2, 3, 0]
