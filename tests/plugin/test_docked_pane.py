"""The pane docked in a real 1600x1000 Spyder main window, at the size Spyder gives it
beside Help (about 700x350), driven as a user would."""

import pytest
from qtpy.QtCore import Qt
from tests.plugin.conftest import write_script
from tests.plugin.test_plugin import complete_runs
from tests.widgets.test_docked_layout import column_inside, fully_visible_rows

from spyder_callgrind.widgets.calltable import COL_CALLS, COL_FUNCTION, COL_INCLUSIVE, COL_SELF

pytestmark = pytest.mark.spyder

WINDOW = (1600, 1000)
PANE = (700, 350)

#: Enough distinct functions to fill more than a screen of rows, and some waiting.
SCRIPT = """\
import threading
import time

def make(n):
    def f(x):
        return sum(range(x)) + n
    f.__name__ = f"step_{n}"
    return f

STEPS = [make(n) for n in range(20)]

def main():
    for step in STEPS:
        step(2000)
    lock = threading.Lock()
    with lock:
        time.sleep(0.01)
    print("done")

if __name__ == "__main__":
    main()
"""


def dock_at(window, plugin, qtbot, size):
    """Resize the pane's dock so the pane is ``size``, as Spyder's layout gives it."""
    window.showNormal()
    window.resize(*WINDOW)
    plugin.switch_to_plugin()
    dock, widget = plugin.dockwidget, plugin.get_widget()

    def near():
        # Spyder's layout settles over a few events: ask again until the pane is there
        window.resizeDocks([dock], [size[0] + dock.width() - widget.width()], Qt.Horizontal)
        window.resizeDocks([dock], [size[1] + dock.height() - widget.height()], Qt.Vertical)
        return abs(widget.width() - size[0]) <= 10 and abs(widget.height() - size[1]) <= 10

    try:
        qtbot.waitUntil(near, timeout=5000)
    except Exception:
        pass  # the neighbours' minimum sizes may forbid the exact size: judged below
    # what Spyder gives a pane docked beside Help in such a window
    assert 650 <= widget.width() <= 760 and 300 <= widget.height() <= 380, widget.size()
    return widget


def profile(widget, qtbot, store_dir, script, count=1):
    widget.pane.start_run(script, cwd=str(script.rsplit("/", 1)[0]))
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == count, timeout=60000)
    qtbot.waitUntil(lambda: not widget.pane.processes and widget.pane._extra_data is not None,
                    timeout=30000)


def test_docked_pane_shows_rows_columns_search_and_run(main_window, plugin, store_dir,
                                                       tmp_path, qtbot):
    widget = dock_at(main_window, plugin, qtbot, PANE)
    script = write_script(tmp_path, "many_steps.py", SCRIPT)
    profile(widget, qtbot, store_dir, script)
    view = widget.pane.view
    table = view.table
    assert widget.isVisible() and view.tabs.currentWidget() is view.calls_page
    assert fully_visible_rows(table) >= 8, widget.size()
    for column in (COL_FUNCTION, COL_SELF, COL_INCLUSIVE, COL_CALLS):
        assert column_inside(table, column), column
    assert table.horizontalScrollBar().maximum() == 0
    assert view.search_edit.isVisible()
    assert view.search_edit.width() >= view.search_edit.sizeHint().width()
    bar = view.tabs.tabBar()
    assert all(bar.tabRect(i).right() <= bar.width() for i in range(bar.count()))
    # the run picker names the run: script, start, duration, outcome
    combo = widget.pane.picker.combo
    assert combo.isVisible() and not widget.pane.history.isVisible()
    assert combo.currentText().startswith("many_steps.py  ")
    assert "  ok  " in combo.currentText()
    # closed, it shows script, duration and outcome whole (the list adds the start)
    assert combo.brief_text().startswith("many_steps.py  ")
    assert combo.brief_text().endswith("  ok")
    assert combo.fontMetrics().horizontalAdvance(combo.brief_text()) + \
        combo.iconSize().width() < combo.width()
    # the status line says the rest, whole: what the numbers are (the usual, one process
    # with children followed, goes unsaid)
    status = widget.pane.picker.status_label
    assert status.isVisible() and status.text() == "exact + sampled"
    assert status.elided_text() == status.text()
    # the plugin's own icon, not Spyder's Profile one
    from spyder.utils.icon_manager import ima
    assert plugin.get_icon().pixmap(16, 16).toImage() != \
        ima.icon("profiler").pixmap(16, 16).toImage()
    # waiting functions are marked
    data = view.profile()
    sleep = next(i for i, f in enumerate(data.functions)
                 if f.name == "<built-in method time.sleep>")
    assert view.model.is_waiting(sleep)


def test_maximized_pane_shows_the_runs_list_and_everything(main_window, plugin, store_dir,
                                                           tmp_path, qtbot):
    widget = dock_at(main_window, plugin, qtbot, PANE)
    script = write_script(tmp_path, "many_steps.py", SCRIPT)
    profile(widget, qtbot, store_dir, script)
    layouts = main_window.get_plugin("layout")
    widget.pane.view.table.setFocus()
    layouts._last_plugin = plugin
    layouts.maximize_dockwidget()
    qtbot.waitUntil(lambda: widget.width() > 1200, timeout=5000)
    qtbot.waitUntil(lambda: widget.pane.history.isVisible(), timeout=5000)
    assert not widget.pane.picker.combo.isVisible()
    assert widget.pane.view.edges_shown()
    table = widget.pane.view.table
    shown = [c for c in range(table.model().columnCount()) if not table.isColumnHidden(c)]
    assert len(shown) >= table.model().columnCount() - 1   # at most Per call waits
    assert all(column_inside(table, c) for c in shown)
    layouts.maximize_dockwidget(restore=True)
    qtbot.waitUntil(lambda: widget.width() < 900, timeout=5000)
    qtbot.waitUntil(lambda: not widget.pane.history.isVisible(), timeout=5000)
    assert widget.pane.picker.combo.isVisible()


def test_toggles_layout_and_comparisons_follow_the_user(main_window, plugin, store_dir,
                                                        tmp_path, qtbot):
    widget = dock_at(main_window, plugin, qtbot, PANE)
    view = widget.pane.view
    # A flipped toggle is the preference from now on (it persists across restarts).
    assert not plugin.get_conf("hide_builtins") and not plugin.get_conf("hide_waiting")
    view.builtins_toggle.click()
    view.waiting_toggle.click()
    assert plugin.get_conf("hide_builtins") and plugin.get_conf("hide_waiting")
    plugin.set_conf("hide_builtins", False)          # Preferences > Callgrind
    assert not view.builtins_toggle.isChecked()

    # The layout is kept in the preferences and comes back.
    view.set_column_hidden(COL_CALLS, True)
    widget.pane.save_layout()
    assert plugin.get_conf("pane_state")
    view.set_column_hidden(COL_CALLS, False)
    assert not view.table.isColumnHidden(COL_CALLS)
    widget.pane.restore_layout()
    assert view.table.isColumnHidden(COL_CALLS)
    view.set_column_hidden(COL_CALLS, False)
    for damaged in ("not a layout", '{"version": 1}', "[]"):
        plugin.set_conf("pane_state", damaged)
        widget.pane.restore_layout()                      # the default layout, no error
        assert not view.table.isColumnHidden(COL_CALLS)

    # Compare two runs, then pick another run: the comparison does not stay in front.
    script = write_script(tmp_path, "many_steps.py", SCRIPT)
    profile(widget, qtbot, store_dir, script, 1)
    profile(widget, qtbot, store_dir, script, 2)
    profile(widget, qtbot, store_dir, script, 3)
    history = widget.pane.history
    widget.list_action.setChecked(True)                # Options > Show list of runs
    assert history.isVisible()
    selection = history.selectionModel()

    def click(row, flags):
        # a click (flags ClearAndSelect) or a Ctrl+click (Select) on a row
        selection.setCurrentIndex(widget.pane.history_model.index(row, 0), flags | selection.Rows)

    def compare_rows_1_and_2():
        click(1, selection.ClearAndSelect)
        click(2, selection.Select)
        widget.pane.compare_selected()
        compare = widget.pane._extra_views["compare"]
        assert widget.pane.tabs.currentWidget() is compare
        return compare

    compare = compare_rows_1_and_2()
    qtbot.waitUntil(lambda: compare.model.rowCount() > 0, timeout=30000)
    # Same unchanged script: no function "added" or "vanished" because of addresses.
    assert {r.status for r in compare.model.rows()} == {"changed"}
    click(0, selection.ClearAndSelect)                  # another run
    assert widget.pane.tabs.indexOf(compare) < 0
    assert widget.pane.tabs.currentWidget() is view.calls_page
    compare_rows_1_and_2()
    click(1, selection.ClearAndSelect)                  # one of the two compared
    assert widget.pane.tabs.currentWidget() is view.calls_page
    assert widget.pane.tabs.indexOf(compare) >= 0


ASKS = """\
name = input("name? ")
print("hello", name, flush=True)
import sys
print("rest", repr(sys.stdin.read()), flush=True)
"""


def test_input_line_sends_to_the_running_script(main_window, plugin, store_dir, tmp_path,
                                                qtbot):
    """The pane calls the run's send_input/send_eof (when the run offers them), echoes the
    line like a console, and shows the input line only while the script runs."""
    widget = dock_at(main_window, plugin, qtbot, PANE)
    script = write_script(tmp_path, "asks.py", ASKS)
    process = widget.pane.start_run(script, cwd=str(tmp_path))
    view = widget.pane.view
    assert view.tabs.currentWidget() is view.output_page and view.input_row.isVisible()
    if not hasattr(process, "send_input"):
        # This run cannot take input yet: the line says so and sends nothing.
        assert not view.input_edit.isEnabled() and view.input_edit.toolTip()
        sent = []
        process.send_input = sent.append            # what the run will offer
        process.send_eof = lambda: sent.append(None)
        widget.pane.show_run(widget.pane.selected_record())   # shown again: the line is enabled
    else:
        sent = None
    assert view.input_edit.isEnabled()
    qtbot.keyClicks(view.input_edit, "Ada")
    qtbot.keyClick(view.input_edit, Qt.Key_Return)
    assert "Ada\n" in view.output_text()
    qtbot.keyClick(view.input_edit, Qt.Key_D, Qt.ControlModifier)
    assert not view.input_edit.isEnabled()           # input closed
    if sent is not None:
        assert sent == ["Ada", None]
        widget.pane.stop_current_run()
    else:
        qtbot.waitUntil(lambda: "hello Ada" in view.output_text(), timeout=30000)
    qtbot.waitUntil(lambda: not widget.pane.processes, timeout=60000)
    assert not view.input_row.isVisible()
