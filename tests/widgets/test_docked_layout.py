"""The profile view at the size Spyder gives a docked pane (about 700x350), and larger.

What a user must be able to read there is checked on the widgets as drawn: rows fully
inside the viewport, columns inside it and wide enough for their numbers, the search field
at least its preferred width, every tab reachable without scroll arrows.
"""

import pytest
from qtpy.QtCore import QPoint, Qt
from qtpy.QtGui import QColor, QPalette

from spyder_callgrind.widgets.calltable import (
    COL_CALLS, COL_FUNCTION, COL_INCLUSIVE, COL_LOCATION, COL_SELF, COLUMN_COUNT, COLUMNS)
from spyder_callgrind.widgets.columns import Role
from spyder_callgrind.widgets.profileview import (
    STDERR_ON_DARK, STDERR_ON_LIGHT, ProfileView)
from tests.widgets.conftest import column_values, find_function

DOCKED = (700, 350)
LARGE = (1600, 900)


@pytest.fixture
def make_view(qtbot, main_profile):
    made = []  # alive until the test ends: qtbot holds only weak references

    def make(size, data=None):
        widget = ProfileView()
        made.append(widget)
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.set_profile(data if data is not None else main_profile.data)
        widget.show()
        qtbot.waitExposed(widget)
        qtbot.waitUntil(lambda: widget.table.viewport().width() > 0)
        return widget
    yield make
    for widget in made:
        widget.close()


def fully_visible_rows(table):
    """Rows whose whole height is inside the table's viewport."""
    height = table.viewport().height()
    rows = 0
    for row in range(table.model().rowCount()):
        rect = table.visualRect(table.model().index(row, 0))
        if rect.top() >= 0 and rect.bottom() < height:
            rows += 1
    return rows


def column_inside(table, column):
    header = table.horizontalHeader()
    if header.isSectionHidden(column):
        return False
    left = header.sectionViewportPosition(column)
    return left >= 0 and left + header.sectionSize(column) <= table.viewport().width()


def test_docked_size_shows_eight_rows_and_the_main_columns(make_view):
    view = make_view(DOCKED)
    table = view.table
    assert table.model().rowCount() > 8
    assert fully_visible_rows(table) >= 8
    for column in (COL_FUNCTION, COL_SELF, COL_INCLUSIVE, COL_CALLS):
        assert column_inside(table, column), column
    # nothing scrolls sideways: every shown column is inside the viewport
    shown = [c for c in range(COLUMN_COUNT) if not table.isColumnHidden(c)]
    assert all(column_inside(table, c) for c in shown)
    assert table.horizontalScrollBar().maximum() == 0
    # the Function column takes the spare width
    header = table.horizontalHeader()
    assert header.sectionSize(COL_FUNCTION) == max(header.sectionSize(c) for c in shown)
    # callers/callees and the toggles wait for more room
    assert not view.edges_shown()
    assert view.filter_button.isVisible() and not view.toggle_bar.isVisible()


def test_numbers_fit_their_cells_and_are_right_aligned(make_view):
    view = make_view(DOCKED)
    table = view.table
    header = table.horizontalHeader()
    metrics = table.fontMetrics()
    for column in [c for c, described in enumerate(COLUMNS) if described.numeric]:
        if header.isSectionHidden(column):
            continue
        assert view.model.headerData(column, Qt.Horizontal, Qt.TextAlignmentRole) & \
            Qt.AlignRight
        for row in range(view.model.rowCount()):
            index = view.model.index(row, column)
            assert index.data(Qt.TextAlignmentRole) & Qt.AlignRight
            assert metrics.horizontalAdvance(index.data()) + 8 <= header.sectionSize(column)
        title = view.model.headerData(column, Qt.Horizontal)
        assert header.fontMetrics().horizontalAdvance(title) < header.sectionSize(column)


def test_search_field_tabs_and_filters_readable_when_docked(make_view):
    view = make_view(DOCKED)
    assert view.search_edit.isVisible()
    assert view.search_edit.width() >= view.search_edit.sizeHint().width()
    assert view.search_edit.fontMetrics().horizontalAdvance(
        view.search_edit.placeholderText()) < view.search_edit.width()
    bar = view.tabs.tabBar()
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == \
        ["Calls", "Output", "Summary"]
    for i in range(bar.count()):
        assert bar.tabRect(i).right() <= bar.width(), view.tabs.tabText(i)
    # the toggles are in the Filters menu, and the menu and the buttons agree
    actions = view.filter_button.menu().actions()
    assert [a.text() for a in actions] == \
        ["Hide built-ins", "Hide standard library", "Hide site-packages", "Hide waiting"]
    actions[0].trigger()
    assert view.builtins_toggle.isChecked() and view.filters()[0]
    assert view.filter_button.text() == "Filters (1)"
    view.builtins_toggle.click()
    assert not actions[0].isChecked() and not view.filters()[0]


def test_large_size_uses_the_room(make_view):
    view = make_view(LARGE)
    table = view.table
    shown = [c for c in range(COLUMN_COUNT) if not table.isColumnHidden(c)]
    assert shown == list(range(COLUMN_COUNT))
    assert all(column_inside(table, c) for c in shown)
    assert view.edges_shown()
    assert view.toggle_bar.isVisible() and not view.filter_button.isVisible()
    assert view.search_edit.width() > view.search_edit.sizeHint().width()
    for edges in (view.callers_view, view.callees_view):
        assert column_inside(edges, 0)


def test_layout_follows_resizing_and_remembers_the_choice_per_size(qtbot, make_view):
    view = make_view(DOCKED)
    hidden = [c for c in range(COLUMN_COUNT) if view.table.isColumnHidden(c)]
    assert hidden
    view.resize(*LARGE)
    qtbot.waitUntil(lambda: not any(view.table.isColumnHidden(c) for c in hidden))
    assert view.edges_shown()
    view.edges_button.click()           # the user hides callers/callees when large
    assert not view.edges_shown()
    view.resize(*DOCKED)
    qtbot.waitUntil(lambda: view.table.isColumnHidden(hidden[0]))
    view.edges_button.click()           # ...and shows them when docked
    assert view.edges_shown()
    view.resize(*LARGE)
    qtbot.waitUntil(lambda: not view.table.isColumnHidden(hidden[0]))
    assert not view.edges_shown()


def test_state_round_trip_and_bad_state(qtbot, make_view):
    view = make_view(LARGE)
    view.table.sortByColumn(COL_CALLS, Qt.DescendingOrder)
    view.set_column_hidden(COL_LOCATION, True)
    view.splitter.setSizes([500, 300])
    view.edges_button.click()
    state = view.save_state()
    assert isinstance(state, bytes)

    other = make_view(LARGE)
    assert other.restore_state(state)
    header = other.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == \
        (COL_CALLS, Qt.DescendingOrder)
    keys = column_values(other.model, COL_CALLS, Role.SORT)
    assert keys == sorted(keys, reverse=True)
    assert other.table.isColumnHidden(COL_LOCATION)
    assert not other.edges_shown()
    assert header.sectionResizeMode(COL_FUNCTION) == header.Stretch

    for bad in (b"", b"not json", b'{"version": 99}', b'{"version": 1}', b"\xff\xfe",
                b'{"version": 1, "splitter": "!!", "edges_splitter": "", "header": "",'
                b' "callers_header": "", "callees_header": ""}'):
        assert not other.restore_state(bad)
    assert other.table.isColumnHidden(COL_LOCATION)  # unchanged by the bad ones


def test_first_click_on_a_number_sorts_largest_first(qtbot, make_view):
    view = make_view(DOCKED)
    header = view.table.horizontalHeader()
    for column in (COL_CALLS, COL_SELF):
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=QPoint(x, 5))
        assert header.sortIndicatorSection() == column
        assert header.sortIndicatorOrder() == Qt.DescendingOrder
        keys = column_values(view.model, column, Role.SORT)
        assert keys == sorted(keys, reverse=True)
    x = header.sectionViewportPosition(COL_FUNCTION) + 20
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=QPoint(x, 5))
    assert header.sortIndicatorOrder() == Qt.AscendingOrder   # names: A to Z


def test_file_paths_elided_in_the_middle_with_the_full_path_as_tooltip(
        make_view, main_profile):
    view = make_view(LARGE)
    index = view.model.index(0, COL_LOCATION)
    delegate = view.table.itemDelegateForColumn(COL_LOCATION)
    from qtpy.QtWidgets import QStyleOptionViewItem
    option = QStyleOptionViewItem()
    delegate.initStyleOption(option, index)
    assert option.textElideMode == Qt.ElideMiddle
    function = view.profile().functions[index.data(Role.FUNCTION_INDEX)]
    tip = index.data(Qt.ToolTipRole)
    assert tip == "Built-in function" or tip == f"{function.file}:{function.line}"


def test_waiting_functions_marked_and_hidden_on_demand(qtbot, make_view, main_profile):
    view = make_view(DOCKED)
    data = main_profile.data
    sleep = find_function(data, "<built-in method time.sleep>")
    work = find_function(data, "work")
    row = view.model.row_of(sleep)
    index = view.model.index(row, COL_FUNCTION)
    assert index.data(Role.WAITING) is True
    assert index.data(Qt.DecorationRole) is not None
    assert "Waiting" in index.data(Qt.ToolTipRole)
    assert view.model.index(view.model.row_of(work), COL_FUNCTION).data(Role.WAITING) is False
    with qtbot.waitSignal(view.waiting_filter_changed) as blocker:
        view.waiting_toggle.click()
    assert blocker.args == [True]
    assert view.model.row_of(sleep) < 0 and view.model.row_of(work) >= 0
    view.set_hide_waiting(False)           # from the preferences: no signal back
    assert view.model.row_of(sleep) >= 0 and not view.waiting_toggle.isChecked()


def test_output_keeps_arrival_order_and_separates_streams(make_view):
    view = make_view(DOCKED)
    view.append_output("Name? ")                    # a prompt, no newline
    view.append_output("Ada\n", "input")            # echoed on the prompt's line
    view.append_output("half a line")
    view.append_output("Traceback (most recent call last):\n", "stderr")
    view.append_output(" and its end\n")
    assert view.output_text() == ("Name? Ada\nhalf a line\n"
                                  "Traceback (most recent call last):\n and its end\n")
    document = view.output_edit.document()
    block = document.findBlockByNumber(2)
    colour = block.begin().fragment().charFormat().foreground().color()
    dark = view.output_edit.palette().color(QPalette.Base).lightness() < 128
    assert colour == QColor(STDERR_ON_DARK if dark else STDERR_ON_LIGHT)


def test_input_line_sends_lines_and_end_of_input(qtbot, make_view):
    view = make_view(DOCKED)
    view.show_output()
    assert not view.input_row.isVisible()
    view.set_input_state(True)
    assert view.input_row.isVisible() and view.input_edit.isEnabled()
    qtbot.keyClicks(view.input_edit, "42")
    with qtbot.waitSignal(view.input_submitted) as blocker:
        qtbot.keyClick(view.input_edit, Qt.Key_Return)
    assert blocker.args == ["42"] and view.input_edit.text() == ""
    with qtbot.waitSignal(view.eof_requested):
        qtbot.keyClick(view.input_edit, Qt.Key_D, Qt.ControlModifier)
    with qtbot.waitSignal(view.eof_requested):
        view.eof_button.click()
    view.set_input_state(True, available=False, why_not="cannot")
    assert view.input_row.isVisible() and not view.input_edit.isEnabled()
    assert view.input_edit.toolTip() == "cannot"
    with qtbot.assertNotEmitted(view.input_submitted):
        qtbot.keyClick(view.input_edit, Qt.Key_Return)
    view.set_input_state(False)
    assert not view.input_row.isVisible()
