"""Comparing two runs in Qt (widgets/compare.py), on real cProfile runs."""

import pytest
from qtpy.QtCore import Qt

from spyder_callgrind.engine.diff import ADDED, VANISHED
from spyder_callgrind.widgets.compare import (
    COL_CALLS_AFTER, COL_CHANGE, COL_RATIO, COL_SELF_AFTER, COL_SELF_BEFORE, COL_STATUS,
    CompareView)
from tests.helpers_profiles import EDITED_AFTER, EDITED_BEFORE, profile_source


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    return profile_source(EDITED_BEFORE, folder), profile_source(EDITED_AFTER, folder)


@pytest.fixture
def view(qtbot, runs):
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.set_profiles(*runs, before_label="run 1", after_label="run 2")
    return widget


def shown(view, row, column):
    return view.proxy.data(view.proxy.index(row, column))


def test_slowest_first_and_titled(view):
    assert view.visible_rows()[0].name == "slow_later"
    assert shown(view, 0, COL_CHANGE).startswith("+")
    assert shown(view, 0, COL_RATIO).startswith("\u00d7")
    title = view.title_label.text()
    assert "run 1" in title and "run 2" in title and "1 added, 1 vanished" in title


def test_added_and_vanished_are_shown_as_such(view):
    rows = view.visible_rows()
    added = rows.index(next(r for r in rows if r.status == ADDED))
    vanished = rows.index(next(r for r in rows if r.status == VANISHED))
    assert shown(view, added, COL_STATUS) == "added"
    assert shown(view, added, COL_SELF_BEFORE) == "\u2014"
    assert shown(view, added, COL_RATIO) == "new"
    assert shown(view, vanished, COL_STATUS) == "vanished"
    assert shown(view, vanished, COL_SELF_AFTER) == "\u2014"
    assert shown(view, vanished, COL_CALLS_AFTER) == "\u2014"
    assert shown(view, vanished, COL_RATIO) == "gone"


def test_sorting_is_numeric(view):
    view.table.sortByColumn(COL_SELF_AFTER, Qt.DescendingOrder)
    values = [r.self_after for r in view.visible_rows()]
    assert values == sorted(values, reverse=True)
    # Formatted text would sort "9.00 µs" above "10.0 ms"; the raw numbers cannot.
    view.table.sortByColumn(COL_RATIO, Qt.DescendingOrder)
    assert view.visible_rows()[0].status == ADDED
    assert view.visible_rows()[-1].status == VANISHED


def test_filter_and_activation(qtbot, view):
    qtbot.keyClicks(view.filter_box, "SLOW")
    assert [r.name for r in view.visible_rows()] == ["slow_later"]
    with qtbot.waitSignal(view.location_activated) as blocker:
        view.table.doubleClicked.emit(view.proxy.index(0, 0))
    assert blocker.args[0].endswith("program.py")
    assert blocker.args[1] == view.visible_rows()[0].line_after
    view.clear()
    assert view.visible_rows() == [] and view.title_label.text() == ""
