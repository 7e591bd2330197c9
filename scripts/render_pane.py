"""Render the real Callgrind pane, inside a real Spyder main window, to ``images/pane*.png``.

Starts Spyder headless with the plugin (as its tests do), profiles
``scripts/sample_program.py`` through the pane exactly as the toolbar button does, waits for
the run, selects its hottest function, and grabs the undocked pane; run it once per theme
(Spyder applies a theme at start-up)::

    python scripts/render_pane.py            # dark: images/pane.png, pane_flamegraph.png
    python scripts/render_pane.py --light    # light: images/pane_light.png
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
STORE = tempfile.mkdtemp(prefix="spyder-callgrind-screens-")
os.environ["SPYDER_CALLGRIND_STORE"] = STORE

from qtpy import QtWebEngineWidgets  # noqa: E402,F401  (before the QApplication)
from qtpy.QtWidgets import QApplication  # noqa: E402


def wait(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("render_pane: timed out waiting for the run")
        QApplication.processEvents()
        time.sleep(0.02)


def grab(widget, name):
    QApplication.processEvents()
    path = os.path.join(ROOT, "images", name)
    widget.grab().save(path)
    print("wrote", path)


def main():
    from spyder.app import start
    from spyder.config.manager import CONF

    light = "--light" in sys.argv
    CONF.set("tours", "show_tour_message", False)
    CONF.set("appearance", "ui_theme", "light" if light else "dark")
    CONF.set("appearance", "selected", "spyder" if light else "spyder/dark")
    window = start.main()
    plugin = window.get_plugin("spyder_callgrind")
    widget = plugin.get_widget()
    script = os.path.join(HERE, "sample_program.py")
    process = widget.start_run(script, cwd=HERE)
    wait(lambda: not process.running and not widget.processes)
    wait(lambda: widget._extra_data is not None)  # the full table, not only the top rows
    data = widget.view.model.profile()
    hottest = max(range(len(data.functions)),
                  key=lambda i: (data.functions[i].file != "~", data.functions[i].self_ns))
    widget.view.select_function(hottest)
    plugin.get_widget().create_window()
    window_widget = widget.windowwidget or widget
    window_widget.resize(1400, 780)
    window_widget.show()
    wait(lambda: window_widget.isVisible(), 10)
    widget.splitter.setSizes([420, 980])
    if light:
        grab(window_widget, "pane_light.png")
    else:
        grab(window_widget, "pane.png")
        widget.tabs.setCurrentIndex(1)
        grab(window_widget, "pane_flamegraph.png")
    widget.tabs.setCurrentIndex(0)
    window.closing(close_immediately=True)
    window.close()


if __name__ == "__main__":
    sys.exit(main())
