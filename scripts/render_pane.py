"""Render the real Callgrind pane, inside a real Spyder main window, to ``images/``.

Starts Spyder headless with the plugin (as its tests do) in a 1600x1000 window, profiles
``scripts/sample_program.py --pool`` through the pane exactly as the toolbar button does,
waits for the run, selects its hottest function of the script itself and grabs the whole
window twice: with the pane docked where Spyder puts it (tabbed with Help and the Variable
Explorer), its dock resized so that the pane is 700x350 as users see it in such a window,
and with the pane maximized (Spyder's "Maximize current pane"). Run it once per theme
(Spyder applies a theme at start-up)::

    python scripts/render_pane.py            # dark: images/docked.png, images/maximized.png
    python scripts/render_pane.py --light    # light: images/docked_light.png,
                                             #        images/maximized_light.png

The dark run also grabs the Lines tab of that function (``images/lines.png``) and a cell of
``scripts/sample_cells.py`` profiled in the IPython console with "Profile cell to
callgrind" (``images/console_cell.png``).
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SPYDER_PYTEST"] = "True"
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# This checkout's plugin, whatever is installed (Spyder drops PYTHONPATH from sys.path).
sys.path.insert(0, ROOT)
STORE = tempfile.mkdtemp(prefix="spyder-callgrind-screens-")
os.environ["SPYDER_CALLGRIND_STORE"] = STORE

from qtpy import QtWebEngineWidgets  # noqa: E402,F401  (before the QApplication)
from qtpy.QtWidgets import QApplication  # noqa: E402

#: The window size a user on a common laptop/desktop screen has, and the size Spyder's
#: layout gives a pane docked beside Help there.
WINDOW_SIZE = (1600, 1000)
PANE_SIZE = (700, 350)


def wait(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            # Spyder redirects sys.stderr: say it where the caller sees it
            sys.__stderr__.write(f"render_pane: timed out waiting for {condition}\n")
            raise SystemExit(1)
        QApplication.processEvents()
        time.sleep(0.02)


def settle(seconds=0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)


def grab(widget, name):
    settle()
    path = os.path.join(ROOT, "images", name)
    widget.grab().save(path)
    sys.__stdout__.write(f"wrote {os.path.relpath(path, ROOT)}\n")


def close_dialogs(window):
    """Spyder's own start-up reports (e.g. a console kernel that failed) are not ours."""
    for dialog in QApplication.topLevelWidgets():
        if dialog is not window and dialog.isVisible() and dialog.isModal():
            dialog.close()


def dock_at_pane_size(window, plugin):
    """Resize the dock so that the pane inside it is ``PANE_SIZE``."""
    from qtpy.QtCore import Qt
    dock, widget = plugin.dockwidget, plugin.get_widget()
    for _attempt in range(3):
        settle(0.3)
        extra_w = dock.width() - widget.width()
        extra_h = dock.height() - widget.height()
        window.resizeDocks([dock], [PANE_SIZE[0] + extra_w], Qt.Horizontal)
        window.resizeDocks([dock], [PANE_SIZE[1] + extra_h], Qt.Vertical)


def profile_sample(window, widget):
    script = os.path.join(HERE, "sample_program.py")
    editor = window.get_plugin("editor")
    editor.load(script)
    wait(lambda: editor.get_current_filename() == script, 30)
    process = widget.start_run(script, args=["--pool"], cwd=HERE)
    wait(lambda: not process.running and not widget.processes)
    wait(lambda: widget._extra_data is not None)  # the full table, not only the top rows
    data = widget.view.model.profile()
    mine = [i for i, f in enumerate(data.functions) if f.file == script]
    hottest = max(mine, key=lambda i: data.functions[i].self_ns)
    widget.view.select_function(hottest)


def show_lines(widget):
    """The Lines tab of the function selected in the call table."""
    widget.tabs.setCurrentWidget(widget.lines_view)
    wait(lambda: widget.lines_view.model.rowCount() > 0, 60)


def profile_cell(window, plugin, widget):
    """The second cell of ``sample_cells.py``, its first cell run before as a user would."""
    console = window.get_plugin("ipython_console")
    shell = console.get_current_shellwidget()
    wait(lambda: shell is not None and shell.spyder_kernel_ready and not shell._executing)
    script = os.path.join(HERE, "sample_cells.py")
    editor = window.get_plugin("editor")
    editor.load(script)
    wait(lambda: editor.get_current_filename() == script, 30)
    code = editor.get_current_editor()
    code.go_to_line(5)
    with open(script, encoding="utf-8") as stream:
        first_cell = stream.read().split("# %% Nearest")[0]
    console.execute_code(first_cell)
    wait(lambda: not shell._executing and
         shell.call_kernel(blocking=True).is_defined("points"), 60)
    before = {r.id for r in widget.history_model.runs()}
    code.go_to_line(17)
    plugin.cell_actions[0].trigger()
    wait(lambda: any(r.id not in before and r.source == "console"
                     for r in widget.history_model.runs()), 120)
    wait(lambda: widget._extra_data is not None)
    widget.view.show_calls()
    plugin.switch_to_plugin()
    close_dialogs(window)


def main():
    from spyder.app import start
    from spyder.config.manager import CONF

    light = "--light" in sys.argv
    suffix = "_light" if light else ""
    CONF.set("tours", "show_tour_message", False)
    CONF.set("main", "show_internal_errors", False)
    CONF.set("appearance", "ui_theme", "light" if light else "dark")
    CONF.set("appearance", "selected", "spyder" if light else "spyder/dark")
    window = start.main()
    window.showNormal()
    window.resize(*WINDOW_SIZE)
    plugin = window.get_plugin("spyder_callgrind")
    widget = plugin.get_widget()
    pane = widget.pane            # the pane's logic and views (widgets/pane.py)
    plugin.switch_to_plugin()
    settle(1.0)
    dock_at_pane_size(window, plugin)
    close_dialogs(window)
    profile_sample(window, pane)
    plugin.switch_to_plugin()
    close_dialogs(window)
    grab(window, f"docked{suffix}.png")
    if not light:
        show_lines(pane)
        grab(window, "lines.png")
        profile_cell(window, plugin, pane)
        grab(window, "console_cell.png")
        pane.view.show_calls()

    layouts = window.get_plugin("layout")
    pane.view.table.setFocus()
    layouts._last_plugin = plugin
    layouts.maximize_dockwidget()
    settle(1.0)
    print("maximized pane:", widget.width(), "x", widget.height())
    grab(window, f"maximized{suffix}.png")
    layouts.maximize_dockwidget(restore=True)
    window.closing(close_immediately=True)
    window.close()


if __name__ == "__main__":
    sys.exit(main())
