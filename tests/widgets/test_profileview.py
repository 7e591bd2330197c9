"""ProfileView driven like a user: search, toggles, selection, double-click, processes."""

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

from spyder_callgrind.engine.model import BUILTIN_FILE
from spyder_callgrind.engine.profiles import merge_profiles
from spyder_callgrind.widgets.calltable import (
    COL_CALLS, COL_FUNCTION, COL_INCLUSIVE, default_stdlib_dirs)
from spyder_callgrind.widgets.columns import Role
from spyder_callgrind.widgets.profileview import OUTPUT_MAX_LINES, ProfileView
from tests.widgets.conftest import column_values, find_function


@pytest.fixture
def view(qtbot, main_profile):
    widget = ProfileView()
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.set_profile(main_profile.data)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown_names(widget):
    functions = widget.profile().functions
    return [functions[i].name for i in column_values(widget.model, 0, Role.FUNCTION_INDEX)]


def row_in_view(table, function_index):
    model = table.model()
    for row in range(model.rowCount()):
        if model.index(row, 0).data(Role.FUNCTION_INDEX) == function_index:
            return row
    raise AssertionError(f"function {function_index} not shown")


def double_click(qtbot, table, row, column=COL_FUNCTION):
    table.scrollTo(table.model().index(row, column))
    rect = table.visualRect(table.model().index(row, column))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())


def test_layout_and_default_sort(view, main_profile):
    assert view.search_edit.placeholderText() == "Search"
    assert [t.text() for t in (view.builtins_toggle, view.stdlib_toggle, view.site_toggle)] \
        == ["Hide built-ins", "Hide standard library", "Hide site-packages"]
    assert all(t.isCheckable() for t in (view.builtins_toggle, view.stdlib_toggle,
                                         view.site_toggle))
    assert view.process_combo.isHidden()
    assert view.table.isSortingEnabled() and not view.table.wordWrap()
    header = view.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == \
        (COL_INCLUSIVE, Qt.DescendingOrder)
    keys = column_values(view.model, COL_INCLUSIVE, Role.SORT)
    assert keys == sorted(keys, reverse=True)
    assert view.model.rowCount() == len(main_profile.stats)
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == \
        ["Calls", "Output", "Summary"]


def test_header_click_sorts_numerically(qtbot, view):
    header = view.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.LeftButton,
                     pos=header.rect().topLeft() + _section_center(header, COL_CALLS))
    keys = column_values(view.model, COL_CALLS, Role.SORT)
    assert len(set(keys)) > 2
    assert keys in (sorted(keys), sorted(keys, reverse=True))


def _section_center(header, section):
    from qtpy.QtCore import QPoint
    return QPoint(header.sectionViewportPosition(section) + header.sectionSize(section) // 2,
                  header.height() // 2)


def test_search_field_filters(qtbot, view):
    qtbot.keyClicks(view.search_edit, "FiB")
    qtbot.waitUntil(lambda: shown_names(view) == ["fib"])
    view.search_edit.clear()
    qtbot.waitUntil(lambda: "tiny" in shown_names(view))


def test_toggles_filter_and_report(qtbot, view, main_profile):
    with qtbot.waitSignal(view.filters_changed) as blocker:
        view.builtins_toggle.click()
    assert blocker.args == [True, False, False]
    files = {view.profile().functions[i].file
             for i in column_values(view.model, 0, Role.FUNCTION_INDEX)}
    assert BUILTIN_FILE not in files
    view.stdlib_toggle.click()
    view.site_toggle.click()
    files = {view.profile().functions[i].file
             for i in column_values(view.model, 0, Role.FUNCTION_INDEX)}
    assert files == {main_profile.script}

    with qtbot.assertNotEmitted(view.filters_changed):
        view.set_filters(False, False, False)
    assert not view.builtins_toggle.isChecked()
    assert view.model.rowCount() == len(main_profile.stats)


def test_selecting_a_row_fills_callers_and_callees(qtbot, view, main_profile):
    data = main_profile.data
    work = find_function(data, "work")
    view.table.selectRow(row_in_view(view.table, work))
    assert view.selected_function() == work
    callers = {data.functions[i].name
               for i in column_values(view.callers_model, 0, Role.FUNCTION_INDEX)}
    callees = {data.functions[i].name
               for i in column_values(view.callees_model, 0, Role.FUNCTION_INDEX)}
    assert callers == {"main"}
    assert {"tiny", "slow", "fib", "dumps", "helper"} <= callees
    assert view.callers_label.text() == "Callers of work"


def test_double_click_jumps_to_source(qtbot, view, main_profile):
    data = main_profile.data
    slow = find_function(data, "slow")
    with qtbot.waitSignal(view.jump_to_source) as blocker:
        double_click(qtbot, view.table, row_in_view(view.table, slow))
    assert blocker.args == [main_profile.script, 12]


def test_no_jump_for_builtins(qtbot, view):
    functions = view.profile().functions
    builtin = next(i for i, f in enumerate(functions) if f.file == BUILTIN_FILE)
    with qtbot.assertNotEmitted(view.jump_to_source):
        double_click(qtbot, view.table, row_in_view(view.table, builtin))


def test_double_click_on_callee_jumps_and_navigates(qtbot, view, main_profile):
    data = main_profile.data
    work, fib = find_function(data, "work"), find_function(data, "fib")
    view.select_function(work)
    with qtbot.waitSignal(view.jump_to_source) as blocker:
        double_click(qtbot, view.callees_view, row_in_view(view.callees_view, fib))
    assert blocker.args == [main_profile.script, 8]
    assert view.selected_function() == fib
    assert view.table.currentIndex().data(Role.FUNCTION_INDEX) == fib
    assert view.callees_label.text() == "Callees of fib"


def test_enter_on_caller_navigates(qtbot, view, main_profile):
    data = main_profile.data
    work, main = find_function(data, "work"), find_function(data, "main")
    view.select_function(work)
    view.callers_view.setFocus()
    view.callers_view.setCurrentIndex(view.callers_model.index(0, 0))
    with qtbot.assertNotEmitted(view.jump_to_source):
        qtbot.keyClick(view.callers_view, Qt.Key_Return)
    assert view.selected_function() == main
    assert view.table.currentIndex().data(Role.FUNCTION_INDEX) == main


def test_navigating_to_a_function_hidden_by_the_search_clears_it(qtbot, view, main_profile):
    data = main_profile.data
    view.set_search_text("work")
    assert shown_names(view) == ["work"]
    view.select_function(find_function(data, "tiny"))
    assert view.search_edit.text() == ""
    assert view.table.currentIndex().data(Role.FUNCTION_INDEX) == find_function(data, "tiny")


def test_process_box_switches_the_table(qtbot, main_profile, worker_profile):
    widget = ProfileView()
    qtbot.addWidget(widget)
    merged = merge_profiles([main_profile.data, worker_profile.data])
    widget.set_profile(merged, [("main", 123, main_profile.data),
                                ("worker 1", 456, worker_profile.data)])
    widget.show()
    combo = widget.process_combo
    assert not combo.isHidden()
    assert [combo.itemText(i) for i in range(combo.count())] == \
        ["All 2 processes", "main (pid 123)", "worker 1 (pid 456)"]
    assert combo.itemData(0, Qt.ToolTipRole).startswith("Time summed over 2 processes")
    assert {"crunch", "fib"} <= set(shown_names(widget))

    with qtbot.waitSignal(widget.process_changed) as blocker:
        combo.setCurrentIndex(2)
    assert blocker.args == [456]
    assert widget.profile() is worker_profile.data
    assert "crunch" in shown_names(widget) and "fib" not in shown_names(widget)
    assert widget.model.rowCount() == len(worker_profile.stats)
    # callers/callees follow the process shown
    crunch = find_function(worker_profile.data, "crunch")
    widget.select_function(crunch)
    assert widget.callers_model.profile() is worker_profile.data

    with qtbot.waitSignal(widget.process_changed) as blocker:
        widget.set_process(None)
    assert blocker.args == [None]
    assert widget.profile() is merged
    # the chosen function stays chosen across the switch
    assert merged.functions[widget.selected_function()].name == "crunch"

    widget.set_profile(main_profile.data, [("main", 123, main_profile.data)])
    assert combo.isHidden()


def test_copy_selected_rows_as_tab_separated_text(qtbot, view, main_profile):
    view.table.setFocus()
    view.table.selectRow(0)
    view.table.selectionModel().select(
        view.model.index(1, 0),
        view.table.selectionModel().Select | view.table.selectionModel().Rows)
    qtbot.keyClick(view.table, Qt.Key_C, Qt.ControlModifier)
    lines = QApplication.clipboard().text().split("\n")
    assert len(lines) == 2
    first = lines[0].split("\t")
    shown = [c for c in range(view.model.columnCount()) if view.column_visible(c)]
    assert len(first) == len(shown) >= 5
    assert first == [view.model.index(0, c).data() for c in shown]
    assert view.copy_selection_as_text() == "\n".join(lines)


def test_output_summary_and_clear(qtbot, view):
    view.set_output("line 1\n")
    view.append_output("line 2 start")
    view.append_output(" and end\n")
    assert view.output_text() == "line 1\nline 2 start and end\n"
    assert view.output_edit.isReadOnly()
    assert view.output_edit.font().fixedPitch() or \
        view.output_edit.fontInfo().fixedPitch()
    view.append_output("".join(f"{n}\n" for n in range(OUTPUT_MAX_LINES + 500)))
    assert view.output_edit.blockCount() <= OUTPUT_MAX_LINES
    view.set_summary("Total 12 ms")
    assert view.summary_edit.toPlainText() == "Total 12 ms"
    view.clear()
    assert view.model.rowCount() == 0
    assert view.output_text() == "" and view.summary_edit.toPlainText() == ""
    assert view.selected_function() is None
    assert view.callers_model.rowCount() == 0


def test_set_stdlib_dirs(qtbot, view, main_profile):
    view.set_stdlib_dirs(("/nowhere/",))
    view.set_filters(False, True, False)
    assert "dumps" in shown_names(view)
    view.set_stdlib_dirs(default_stdlib_dirs())
    assert "dumps" not in shown_names(view)
