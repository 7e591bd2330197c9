"""A real Spyder main window, started headless, with spyder-callgrind loaded from its entry
point (the package must be pip-installed, as the README's test command does)."""

import os

import pytest

# QtWebEngineWidgets must be imported before the QApplication exists.
from qtpy import QtWebEngineWidgets  # noqa: F401
from qtpy.QtWidgets import QApplication


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    """The run store the plugin and the CLI use in this test."""
    path = tmp_path / "store"
    monkeypatch.setenv("SPYDER_CALLGRIND_STORE", str(path))
    return path


def _drain_spyder_teardown_events(qtbot):
    """Let the closed window's late signals run now, inside its own test.

    Spyder's widgets (e.g. its Profiler's ProfilerSubWidget) still get signals from their
    ended consoles after the window is closed, and raise "wrapped C/C++ object has been
    deleted"; left pending, these would surface in whatever Qt test runs next. Errors of
    Spyder's own teardown are dropped here; any raised by our plugin fail the test.
    """
    import traceback
    with qtbot.capture_exceptions() as exceptions:
        qtbot.wait(300)
    ours = [e for e in exceptions
            if "spyder_callgrind" in "".join(traceback.format_exception(*e))]
    assert not ours, "".join(traceback.format_exception(*ours[0]))


@pytest.fixture
def main_window(store_dir, tmp_path, monkeypatch, qtbot):
    from spyder import dependencies
    from spyder.api.plugin_registration.registry import PLUGIN_REGISTRY
    from spyder.app import start
    from spyder.config.manager import CONF

    # a previous window's consoles may still report their kernels' end (a killed kernel
    # is noticed a while later): let those late signals of Spyder's run before this test
    _drain_spyder_teardown_events(qtbot)
    CONF.set("tours", "show_tour_message", False)
    CONF.set("main", "show_internal_errors", False)
    QApplication.processEvents()
    dependencies.DEPENDENCIES = []
    PLUGIN_REGISTRY.reset()
    window = start.main()
    QApplication.processEvents()
    yield window
    try:
        window.closing(close_immediately=True)
    except Exception:
        pass
    window.close()
    _silence_closed_consoles()
    _wait_for_console_kernels()
    _drain_spyder_teardown_events(qtbot)
    CONF.reset_to_defaults(notification=False)
    CONF.reset_manager()
    PLUGIN_REGISTRY.reset()


def _silence_closed_consoles():
    """Block the signals of the closed window's kernel handlers and shell widgets.

    A kernel that was still starting when the window closed reports itself ready later
    (seen in CI: during the next window's start), and Spyder's own Profiler then calls
    into its deleted ProfilerSubWidget. With the signals blocked, nothing of the old
    window is reached again; the kernels themselves are ended just after."""
    import gc

    from spyder.plugins.ipythonconsole.utils.kernel_handler import KernelHandler
    from spyder.plugins.ipythonconsole.widgets.shell import ShellWidget

    for obj in gc.get_objects():
        if isinstance(obj, (KernelHandler, ShellWidget)):
            try:
                obj.blockSignals(True)
            except RuntimeError:    # its C++ side is already gone
                pass


def _wait_for_console_kernels():
    """Let the IPython console's kernels end before the next window (or the interpreter's
    exit) destroys the threads reading their output: a QThread destroyed while running
    aborts the whole test process ("QThread: Destroyed while thread is still running")."""
    import gc

    import psutil
    from spyder.plugins.ipythonconsole.utils.kernel_handler import (
        KernelHandler, StdThread)

    KernelHandler.wait_all_shutdown_threads()
    for child in psutil.Process().children(recursive=True):
        try:
            if "spyder_kernels.console" in " ".join(child.cmdline()):
                child.kill()
        except psutil.Error:
            pass
    for thread in [o for o in gc.get_objects() if isinstance(o, StdThread)]:
        if thread.isRunning():
            thread.wait(10000)


@pytest.fixture
def plugin(main_window):
    """The loaded spyder-callgrind plugin of the main window."""
    return main_window.get_plugin("spyder_callgrind")


def write_script(folder, name, body):
    path = os.path.join(str(folder), name)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(body)
    return path
