"""A sampled-only run (``--mode sample``) measures no calls: the pane says so instead of
showing counts; a ``both`` run shows cProfile's exact counts. Real runs of
``spyder-callgrind run``, loaded as the pane loads them."""

import pytest
from qtpy.QtCore import QModelIndex, Qt

from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.widgets.calltable import COL_CALLS, COL_FUNCTION
from spyder_callgrind.widgets.calltree import COL_CALLS as TREE_CALLS
from spyder_callgrind.widgets.calltree import CallTreeView
from spyder_callgrind.widgets.columns import NOT_MEASURED, Role
from spyder_callgrind.widgets.edges import EDGE_CALLS
from spyder_callgrind.widgets.loading import load_run_tables
from spyder_callgrind.widgets.profileview import ProfileView
from tests.widgets.conftest import find_function
from tests.workers.test_sampler import cli, last_run, write

SCRIPT = """
    def leaf(i):
        return i * i


    def middle(n):
        return sum(leaf(i) for i in range(n))


    def main():
        total = 0
        for _ in range(60):
            total += middle(20000)
        return total


    main()
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{mode: (record, merged profile, per-process choices)} for "sample" and "both"."""
    folder = tmp_path_factory.mktemp("sampled")
    script = write(folder, "busy.py", SCRIPT)
    store_dir = folder / "store"
    found = {}
    for mode in ("sample", "both"):
        cli(store_dir, "run", "--top", "0", "--mode", mode, script)
        record = RunStore(str(store_dir)).get(last_run(store_dir)[0]["id"])
        assert record.mode == mode
        found[mode] = (record,) + load_run_tables(RunStore(str(store_dir)), record)
    return found


def cells(model, column, role=Qt.DisplayRole, parent=None):
    parent = parent or QModelIndex()
    return [model.index(row, column, parent).data(role) for row in range(model.rowCount(parent))]


def show(qtbot, data, processes, function_name):
    view = ProfileView()
    qtbot.addWidget(view)
    view.set_profile(data, processes or None)
    view.select_function(find_function(data, function_name))
    return view


def test_sample_run_shows_no_call_counts(qtbot, runs):
    record, data, processes = runs["sample"]
    assert not record.exact_counts
    view = show(qtbot, data, processes, "middle")
    assert view.model.rowCount() > 0
    names = cells(view.model, COL_FUNCTION)
    assert "middle" in names and "leaf" in names          # the samples saw them
    tip = "Calls are not measured in sample mode"
    assert set(cells(view.model, COL_CALLS)) == {NOT_MEASURED}
    assert set(cells(view.model, COL_CALLS, Qt.ToolTipRole)) == {tip}
    for edges in (view.callers_model, view.callees_model):
        assert edges.rowCount() > 0
        assert set(cells(edges, EDGE_CALLS)) == {NOT_MEASURED}
        assert set(cells(edges, EDGE_CALLS, Qt.ToolTipRole)) == {tip}
    # sorting by calls is harmless: every row stays, in the order it had
    before = cells(view.model, COL_FUNCTION, Role.FUNCTION_INDEX)
    view.model.sort(COL_CALLS, Qt.DescendingOrder)
    assert cells(view.model, COL_FUNCTION, Role.FUNCTION_INDEX) == before
    assert set(cells(view.model, COL_CALLS)) == {NOT_MEASURED}

    tree = CallTreeView()
    qtbot.addWidget(tree)
    tree.set_profile(data)
    tree.expand_levels(4)
    top = tree.proxy.index(0, 0)
    assert tree.proxy.rowCount() > 0 and tree.proxy.rowCount(top) > 0
    assert set(cells(tree.proxy, TREE_CALLS)) == {NOT_MEASURED}
    assert set(cells(tree.proxy, TREE_CALLS, parent=top)) == {NOT_MEASURED}
    assert set(cells(tree.proxy, TREE_CALLS, Qt.ToolTipRole, parent=top)) == {tip}


def test_both_run_shows_exact_call_counts(qtbot, runs):
    record, data, processes = runs["both"]
    assert record.exact_counts
    view = show(qtbot, data, processes, "leaf")
    by_name = dict(zip(cells(view.model, COL_FUNCTION), cells(view.model, COL_CALLS)))
    assert by_name["middle"] == "60"
    assert by_name["leaf"] == str(60 * 20000)
    # leaf's one caller is middle's generator expression
    assert cells(view.callers_model, EDGE_CALLS) == [str(60 * 20000)]
    assert NOT_MEASURED not in cells(view.model, COL_CALLS)

    tree = CallTreeView()
    qtbot.addWidget(tree)
    tree.set_profile(data)
    tree.expand_levels(3)
    top = tree.proxy.index(0, 0)
    shown = cells(tree.proxy, TREE_CALLS, parent=top)
    assert shown and NOT_MEASURED not in shown
    assert all(text.replace(",", "").isdigit() for text in shown)
