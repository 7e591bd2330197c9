"""The lazy call tree and callers tree (widgets/calltree.py)."""

import pytest
from qtpy.QtCore import QModelIndex, Qt

from spyder_callgrind.widgets.calltree import (
    CALLERS, COL_CALLS, COL_FUNCTION, COL_INCLUSIVE, COL_LOCATION, COL_PARENT, COL_SELF,
    COL_TOTAL, TOP_DOWN, CallTreeModel, CallTreeView)
from spyder_callgrind.widgets.columns import Role
from tests.helpers_profiles import MIXED_PROGRAM, find, profile_source, synthetic


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return profile_source(MIXED_PROGRAM, tmp_path_factory.mktemp("mixed"))


@pytest.fixture
def model(qtbot, mixed):
    made = CallTreeModel()
    made.set_profile(mixed)
    return made


def child_named(model, parent, name):
    for row in range(model.rowCount(parent)):
        index = model.index(row, COL_FUNCTION, parent)
        if model.data(index) == name:
            return index
    raise AssertionError(f"{name} not under {model.data(parent)}")


def open_path(model, *names):
    index = QModelIndex()
    for name in names:
        if model.canFetchMore(index):
            model.fetchMore(index)
        index = child_named(model, index, name)
    return index


def cell(model, index, column, role=Role.SORT):
    return model.data(index.sibling(index.row(), column), role)


def test_children_are_made_only_on_expansion(model):
    (top,) = [model.index(r, 0) for r in range(model.rowCount())
              if model.data(model.index(r, 0)) == "<built-in method builtins.exec>"]
    assert model.hasChildren(top)
    assert not model.is_fetched(top)
    assert model.rowCount(top) == 0
    assert model.canFetchMore(top)
    model.fetchMore(top)
    assert model.is_fetched(top) and not model.canFetchMore(top)
    assert model.rowCount(top) == 1
    module = model.index(0, 0, top)
    assert model.data(module) == "<module>" and not model.is_fetched(module)


def test_columns_of_a_row(model, mixed):
    heavy = open_path(model, "<built-in method builtins.exec>", "<module>", "main", "heavy")
    main = heavy.parent()
    f = mixed.functions[find(mixed, "heavy")]
    assert cell(model, heavy, COL_INCLUSIVE) == f.inclusive_ns
    assert cell(model, heavy, COL_SELF) == f.self_ns
    assert cell(model, heavy, COL_CALLS) == 1
    assert cell(model, heavy, COL_PARENT) == pytest.approx(
        100 * f.inclusive_ns / cell(model, main, COL_INCLUSIVE))
    assert cell(model, heavy, COL_TOTAL) == pytest.approx(
        100 * f.inclusive_ns / model.total_ns())
    assert cell(model, heavy, COL_INCLUSIVE, Qt.DisplayRole).endswith("ms")
    assert cell(model, heavy, COL_PARENT, Qt.DisplayRole).endswith("%")
    assert "program.py:14" in cell(model, heavy, COL_FUNCTION, Qt.ToolTipRole)
    assert model.headerData(COL_LOCATION, Qt.Horizontal) == "File:line"
    assert cell(model, heavy, COL_LOCATION, Qt.DisplayRole) == "program.py:14"
    assert cell(model, heavy, COL_LOCATION, Qt.ToolTipRole).endswith("program.py:14")
    assert model.headerData(COL_INCLUSIVE, Qt.Horizontal, Qt.InitialSortOrderRole) == \
        Qt.DescendingOrder


def test_recursion_is_not_expanded(model):
    fib = open_path(model, "<built-in method builtins.exec>", "<module>", "main", "fib")
    assert not model.hasChildren(fib)
    assert not model.canFetchMore(fib)


def test_proportional_split_below_a_shared_function():
    data = synthetic(
        [("main", 1, 0, 4000), ("a", 1, 0, 1000), ("b", 1, 0, 3000),
         ("shared", 2, 2000, 4000), ("leaf", 8, 2000, 2000)],
        [("main", "a", 1, 0, 1000), ("main", "b", 1, 0, 3000),
         ("a", "shared", 1, 500, 1000), ("b", "shared", 1, 1500, 3000),
         ("shared", "leaf", 8, 2000, 2000)])
    model = CallTreeModel()
    model.set_profile(data)
    via_a = open_path(model, "main", "a", "shared", "leaf")
    via_b = open_path(model, "main", "b", "shared", "leaf")
    assert cell(model, via_a, COL_INCLUSIVE) == 500
    assert cell(model, via_b, COL_INCLUSIVE) == 1500
    assert (cell(model, via_a, COL_CALLS), cell(model, via_b, COL_CALLS)) == (2, 6)


def test_callers_tree(model, mixed):
    spin = find(mixed, "spin")
    model.set_mode(CALLERS, spin)
    assert model.rowCount() == 1
    top = model.index(0, 0)
    assert model.data(top) == "spin"
    assert model.rowCount(top) == 0 and model.canFetchMore(top)
    model.fetchMore(top)
    names = [model.data(model.index(r, 0, top)) for r in range(model.rowCount(top))]
    assert names == ["heavy", "light"]
    heavy = model.index(0, 0, top)
    edge = next(e for e in mixed.callers_of(spin) if e.caller == find(mixed, "heavy"))
    assert cell(model, heavy, COL_INCLUSIVE) == edge.inclusive_ns
    # Up the chain: heavy is called by main, main by <module>, ... all of spin-through-heavy.
    main = open_path(model, "spin", "heavy", "main")
    assert cell(model, main, COL_INCLUSIVE) == edge.inclusive_ns
    model.set_mode(TOP_DOWN)
    assert model.focus() is None


def test_view_expands_lazily_and_sorts_numerically(qtbot, mixed):
    view = CallTreeView()
    qtbot.addWidget(view)
    view.set_profile(mixed)
    view.resize(700, 400)
    view.show()
    view.expand_levels(4)
    proxy = view.proxy
    exec_row = proxy.index(0, 0)
    main = proxy.index(0, 0, proxy.index(0, 0, exec_row))
    assert proxy.data(main) == "main"
    # Sorted by inclusive time, largest first (numbers, not strings).
    names = [proxy.data(proxy.index(r, 0, main)) for r in range(proxy.rowCount(main))]
    assert names == ["heavy", "light", "fib"]
    view.tree_view.sortByColumn(COL_INCLUSIVE, Qt.AscendingOrder)
    names = [proxy.data(proxy.index(r, 0, main)) for r in range(proxy.rowCount(main))]
    assert names == ["fib", "light", "heavy"]
    # Rows below the expanded levels were never made.
    heavy = view.proxy.mapToSource(proxy.index(2, 0, main))
    assert view.model.data(heavy) == "heavy"
    assert not view.model.is_fetched(heavy) and view.model.rowCount(heavy) == 0
    view.tree_view.expand(proxy.index(2, 0, main))     # the view fetches when it lays out
    qtbot.waitUntil(lambda: view.model.is_fetched(heavy))
    assert view.model.data(view.model.index(0, 0, heavy)) == "spin"


def test_view_selection_and_callers_action(qtbot, mixed):
    view = CallTreeView()
    qtbot.addWidget(view)
    view.set_profile(mixed)
    view.expand_levels(3)
    module = view.proxy.index(0, 0, view.proxy.index(0, 0))
    with qtbot.waitSignal(view.function_selected) as blocker:
        view.tree_view.setCurrentIndex(module)
    assert blocker.args == [find(mixed, "<module>")]
    assert view.selected_function() == find(mixed, "<module>")
    view.show_callers_action.trigger()
    assert view.model.mode() == CALLERS and view.model.focus() == find(mixed, "<module>")
    assert "<module>" in view.focus_label.text()
    assert view.mode_box.currentData() == CALLERS
    view.show_top_down()
    assert view.focus_label.text() == "" and view.mode_box.currentData() == TOP_DOWN
    assert view.note_label.text() == "Stacks rebuilt from caller/callee totals; approximate"


def test_every_function_callers_and_empty(qtbot, mixed):
    model = CallTreeModel()
    model.set_profile(None)
    assert model.rowCount() == 0
    model.set_profile(mixed)
    model.set_mode(CALLERS)
    assert model.rowCount() == len(mixed)
