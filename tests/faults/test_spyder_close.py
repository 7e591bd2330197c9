"""Faults with a real Spyder main window: Spyder closed during a run, the store deleted while
the pane is open."""

import json
import os
import shutil

import pytest

from tests.faults.conftest import BUSY, alive, group_members, kill_quietly, wait_for
from tests.plugin.conftest import main_window, plugin, store_dir, write_script  # noqa: F401


def _complete_runs(store):
    runs = []
    for name in sorted(os.listdir(store)) if os.path.isdir(store) else []:
        path = os.path.join(str(store), name, "run.json")
        if not name.startswith(".") and os.path.isfile(path):
            with open(path, encoding="utf-8") as stream:
                runs.append(json.load(stream))
    return runs


def test_closing_spyder_stops_the_run_and_keeps_it(main_window, plugin, store_dir, tmp_path,
                                                   qtbot):
    widget = plugin.get_widget()
    script = write_script(tmp_path, "busy.py", BUSY.replace("\n    ", "\n").lstrip())
    pid_file = tmp_path / "script.pid"
    process = widget.pane.start_run(script, args=[str(pid_file)], cwd=str(tmp_path))
    qtbot.waitUntil(pid_file.exists, timeout=60000)
    script_pid = int(pid_file.read_text())
    runner_pid = int(process._process.processId())
    assert alive(script_pid) and alive(runner_pid)
    try:
        main_window.closing(close_immediately=True)   # plugin.on_close: stop_all_runs(wait)
        gone = wait_for(lambda: not alive(script_pid) and not alive(runner_pid)
                        and not group_members(script_pid), timeout=30)
    finally:
        leftovers = [p for p in (script_pid, runner_pid) if alive(p)]
        kill_quietly(leftovers + group_members(script_pid))
    assert gone, "a process outlived Spyder"
    [run] = _complete_runs(store_dir)
    assert run["id"] == process.run_id and run["status"] == "stopped"
    assert run["callgrind"]      # the profile up to the stop is kept
    assert not [n for n in os.listdir(store_dir) if n.startswith(".")]


def test_store_deleted_while_the_pane_is_open(main_window, plugin, store_dir, tmp_path, qtbot):
    widget = plugin.get_widget()
    script = write_script(tmp_path, "quick.py", "def f():\n    return 1\nf()\n")
    with qtbot.waitSignal(widget.sig_run_finished, timeout=60000):
        widget.pane.start_run(script, cwd=str(tmp_path))
    assert widget.pane.history_model.rowCount() == 1 and widget.pane.current_id
    shutil.rmtree(store_dir)
    widget.pane.refresh_history()                            # nothing to show, no error
    assert widget.pane.history_model.rowCount() == 0 and widget.pane.current_id is None
    with qtbot.waitSignal(widget.sig_run_finished, timeout=60000) as finished:
        widget.pane.start_run(script, cwd=str(tmp_path))      # the next run recreates the store
    [run] = _complete_runs(store_dir)
    assert run["id"] == finished.args[0] and run["status"] == "ok"
    assert widget.pane.history_model.rowCount() == 1
