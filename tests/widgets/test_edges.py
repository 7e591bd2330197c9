"""Callers and callees tables against pstats' own callers and callees."""

import pstats

import pytest
from qtpy.QtCore import Qt

from spyder_callgrind.widgets.columns import Role
from spyder_callgrind.widgets.edges import (
    EDGE_CALLS, EDGE_COLUMN_COUNT, EDGE_FUNCTION, EDGE_LOCATION, EDGE_PERCENT, EDGE_SELF,
    EDGE_TIME, MODE_CALLEES, MODE_CALLERS, EdgeTableModel)
from tests.widgets.conftest import column_values, find_function

NS = 1e9


def rows_of(model):
    """(other function key, primitive, total, self ns, inclusive ns) per row."""
    functions = model.profile().functions
    found = set()
    for row in range(model.rowCount()):
        other = model.index(row, 0).data(Role.FUNCTION_INDEX)
        edge = model.edge_at(row)
        found.add((functions[other].key, edge.primitive_calls, edge.total_calls,
                   edge.self_ns, edge.inclusive_ns))
    return found


def expected(records):
    # a pstats caller record is (total calls, primitive calls, tt, ct)
    return {(key, cc, nc, round(tt * NS), round(ct * NS))
            for key, (nc, cc, tt, ct) in records.items()}


@pytest.mark.parametrize("name", ["fib", "tiny", "work", "slow", "helper"])
def test_callers_match_pstats_exactly(qtbot, main_profile, name):
    data = main_profile.data
    index = find_function(data, name)
    model = EdgeTableModel(MODE_CALLERS)
    model.set_profile(data, index)
    callers = main_profile.stats[data.functions[index].key][4]
    assert model.rowCount() == len(callers)
    assert rows_of(model) == expected(callers)


@pytest.mark.parametrize("name", ["work", "main", "fib", "slow"])
def test_callees_match_pstats_exactly(qtbot, main_profile, name):
    data = main_profile.data
    index = find_function(data, name)
    model = EdgeTableModel(MODE_CALLEES)
    model.set_profile(data, index)
    stats = pstats.Stats(main_profile.prof)
    stats.calc_callees()
    callees = stats.all_callees[data.functions[index].key]
    assert model.rowCount() == len(callees)
    assert rows_of(model) == expected(callees)


def test_recursive_function_is_its_own_caller(qtbot, main_profile):
    data = main_profile.data
    fib = find_function(data, "fib")
    model = EdgeTableModel(MODE_CALLERS)
    model.set_profile(data, fib)
    names = column_values(model, EDGE_FUNCTION, Qt.DisplayRole)
    assert sorted(names) == ["fib", "work"]
    work_row = names.index("work")
    assert model.index(work_row, EDGE_CALLS).data() == "2"
    # cProfile counts some of the self-calls as primitive: show what pstats says
    nc, cc = main_profile.stats[data.functions[fib].key][4][data.functions[fib].key][:2]
    assert nc == 48
    assert model.index(names.index("fib"), EDGE_CALLS).data() == f"{cc}/{nc}"


def test_cells_and_percent_of_the_function(qtbot, main_profile):
    data = main_profile.data
    work = find_function(data, "work")
    model = EdgeTableModel(MODE_CALLEES)
    model.set_profile(data, work)
    row = column_values(model, EDGE_FUNCTION, Qt.DisplayRole).index("slow")
    edge = model.edge_at(row)
    assert model.index(row, EDGE_LOCATION).data() == "busy_script.py:12"
    assert model.index(row, EDGE_LOCATION).data(Qt.ToolTipRole) == \
        f"{main_profile.script}:12"
    assert model.index(row, EDGE_TIME).data(Role.SORT) == edge.inclusive_ns
    assert model.index(row, EDGE_SELF).data(Role.SORT) == edge.self_ns
    percent = 100.0 * edge.inclusive_ns / data.functions[work].inclusive_ns
    assert model.index(row, EDGE_PERCENT).data(Role.SORT) == pytest.approx(percent)
    assert model.index(row, EDGE_PERCENT).data() == f"{percent:.1f} %"
    assert percent > 50  # the sleep dominates work()


@pytest.mark.parametrize("column", range(EDGE_COLUMN_COUNT))
@pytest.mark.parametrize("order", [Qt.AscendingOrder, Qt.DescendingOrder])
def test_every_column_sorts_on_raw_values(qtbot, main_profile, column, order):
    data = main_profile.data
    model = EdgeTableModel(MODE_CALLEES)
    model.set_profile(data, find_function(data, "work"))
    assert model.rowCount() >= 5
    model.sort(column, order)
    keys = column_values(model, column, Role.SORT)
    assert keys == sorted(keys, reverse=order == Qt.DescendingOrder)


def test_default_order_is_time_descending_and_function_can_change(qtbot, main_profile):
    data = main_profile.data
    model = EdgeTableModel(MODE_CALLEES)
    model.set_profile(data, find_function(data, "work"))
    times = column_values(model, EDGE_TIME, Role.SORT)
    assert times == sorted(times, reverse=True)
    with qtbot.waitSignal(model.modelReset):
        model.set_function(find_function(data, "tiny"))
    assert model.rowCount() == 0
    model.set_function(None)
    assert model.function() is None and model.rowCount() == 0


def test_bad_mode_is_refused():
    with pytest.raises(ValueError):
        EdgeTableModel("parents")
