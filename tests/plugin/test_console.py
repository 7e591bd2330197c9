"""Cells, selections and magics profiled in a real IPython console of a real Spyder window."""

import os
import pstats

import pytest
from tests.plugin.conftest import write_script
from tests.plugin.test_plugin import complete_runs

pytestmark = pytest.mark.spyder

CELLS = """\
# %% helpers
def work(x):
    return x * 2

# %% make data
data = [work(i) for i in range(123)]
total = sum(data)

# %% selection
picked = [work(i) for i in range(17)]
"""


def calls(store_dir, record, name):
    path = os.path.join(str(store_dir), record["id"], record["profile"])
    return sum(v[1] for k, v in pstats.Stats(path).stats.items() if k[2] == name)


def console_value(shellwidget, name):
    """The repr of a variable of the console's namespace (None when undefined)."""
    if not shellwidget.call_kernel(blocking=True).is_defined(name):
        return None
    return shellwidget.call_kernel(blocking=True).get_value(name)


def new_run(store_dir, known, qtbot, timeout=60000):
    """Wait for one more complete run in the store than ``known``; return it."""
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) > len(known), timeout=timeout)
    [record] = [r for r in complete_runs(store_dir) if r["id"] not in
                {k["id"] for k in known}]
    known.append(record)
    return record


def test_cells_selections_and_magics_in_the_console(main_window, plugin, store_dir,
                                                    tmp_path, qtbot):
    console = main_window.get_plugin("ipython_console")
    shellwidget = console.get_current_shellwidget()
    qtbot.waitUntil(lambda: shellwidget.spyder_kernel_ready and not shellwidget._executing,
                    timeout=90000)
    script = write_script(tmp_path, "cells.py", CELLS)
    editor = main_window.get_plugin("editor")
    editor.load(script)
    qtbot.waitUntil(lambda: editor.get_current_filename() == script, timeout=10000)
    code_editor = editor.get_current_editor()
    known = []

    # The first cell runs as usual: the profiled cell uses what it defined.
    console.execute_code("def work(x):\n    return x * 2\n")
    qtbot.waitUntil(lambda: shellwidget.call_kernel(blocking=True).is_defined("work"),
                    timeout=30000)

    # Profile cell to callgrind, cursor in the second cell.
    code_editor.go_to_line(6)
    cell_action, selection_action = plugin.cell_actions
    assert "cell" in cell_action.text().lower()
    cell_action.trigger()
    record = new_run(store_dir, known, qtbot)
    assert record["source"] == "console"
    assert record["script"] == script
    assert "make data" in record["origin"] and "cells.py" in record["origin"]
    assert record["status"] == "ok", record["message"]
    assert calls(store_dir, record, "work") == 123
    assert console_value(shellwidget, "total") == sum(2 * i for i in range(123))
    assert any("not followed" in note for note in record["notes"])

    # Profile selection: the selected line only, its file lines in the run's name.
    code_editor.go_to_line(10)
    cursor = code_editor.textCursor()
    cursor.movePosition(cursor.StartOfBlock)
    cursor.movePosition(cursor.EndOfBlock, cursor.KeepAnchor)
    code_editor.setTextCursor(cursor)
    selection_action.trigger()
    record = new_run(store_dir, known, qtbot)
    assert record["origin"] == "cells.py: lines 10-10"
    assert calls(store_dir, record, "work") == 17
    assert console_value(shellwidget, "picked") == [2 * i for i in range(17)]

    # The magics, typed into the console.
    console.execute_code("%%callgrind\nthird = [work(i) for i in range(7)]")
    record = new_run(store_dir, known, qtbot)
    assert record["origin"] == "console" and calls(store_dir, record, "work") == 7
    console.execute_code("%callgrind fourth = work(4)")
    record = new_run(store_dir, known, qtbot)
    assert calls(store_dir, record, "work") == 1
    assert console_value(shellwidget, "fourth") == 8

    # A thread started by the cell is profiled.
    console.execute_code("%%callgrind\nimport threading\n"
                         "t = threading.Thread(target=lambda: [work(i) for i in range(9)])\n"
                         "t.start(); t.join()")
    record = new_run(store_dir, known, qtbot)
    assert calls(store_dir, record, "work") == 9

    # Spyder's own Profiler, on the same console, keeps working beside ours.
    console.execute_code("%profile spyder_profiled = work(5)")
    qtbot.waitUntil(lambda: console_value(shellwidget, "spyder_profiled") == 10,
                    timeout=30000)
    console.execute_code("%callgrind after_spyder = work(6)")
    record = new_run(store_dir, known, qtbot)
    assert record["status"] == "ok" and calls(store_dir, record, "work") == 1

    # Interrupting the console keeps the profile made so far.
    console.execute_code("%%callgrind\nimport time\nwhile True:\n    work(1)\n"
                         "    time.sleep(0.001)")
    qtbot.waitUntil(lambda: shellwidget._executing, timeout=10000)
    qtbot.wait(1500)
    shellwidget.request_interrupt_kernel()
    record = new_run(store_dir, known, qtbot)
    assert record["status"] == "stopped"
    assert calls(store_dir, record, "work") > 10

    # The command line lists them all, named by where they came from.
    import subprocess
    import sys
    listed = subprocess.run([sys.executable, "-m", "spyder_callgrind", "list"],
                            capture_output=True, text=True, timeout=60).stdout
    assert "cells.py" in listed and "make data" in listed


def test_console_busy_or_missing_gets_a_message(main_window, plugin, qtbot):
    widget = plugin.get_widget()
    messages = []
    plugin.console_profiling.sig_message.connect(messages.append)
    plugin.console_profiling.profile_code(None, "x = 1")
    assert messages and "No IPython console" in messages[-1]
    plugin.console_profiling.profile_code(None, "   ")
    assert "Nothing to profile" in messages[-1]
    assert widget is not None


def test_busy_or_debugging_console_gets_a_message(main_window, plugin, tmp_path, qtbot):
    """A console running code, or stopped in the debugger, is left alone: one message,
    no run, no traceback."""
    console = main_window.get_plugin("ipython_console")
    shellwidget = console.get_current_shellwidget()
    qtbot.waitUntil(lambda: shellwidget.spyder_kernel_ready and not shellwidget._executing,
                    timeout=90000)
    messages = []
    plugin.console_profiling.sig_message.connect(messages.append)
    console.execute_code("import time; time.sleep(4)")
    qtbot.waitUntil(lambda: shellwidget._executing, timeout=10000)
    assert not plugin.console_profiling.profile_code(console, "x = 1")
    assert "busy" in messages[-1]
    qtbot.waitUntil(lambda: not shellwidget._executing, timeout=30000)
    console.execute_code("import pdb; pdb.set_trace()")
    qtbot.waitUntil(shellwidget.is_debugging, timeout=30000)
    assert not plugin.console_profiling.profile_code(console, "x = 1")
    assert "debugging" in messages[-1]
    shellwidget.pdb_execute_command("continue")
    qtbot.waitUntil(lambda: not shellwidget.is_debugging(), timeout=30000)
