"""The run history model: columns, order, and selections kept across updates."""

from qtpy.QtCore import QItemSelectionModel, Qt
from qtpy.QtWidgets import QTableView

from spyder_callgrind.engine.records import ProcessRecord, RunRecord
from spyder_callgrind.widgets.columns import Role
from spyder_callgrind.widgets.history import (
    HISTORY_DURATION, HISTORY_LABEL, HISTORY_SCRIPT, HISTORY_STARTED, HISTORY_STATUS,
    RunHistoryModel, format_duration, parse_started)


def run(run_id, hour, **fields):
    fields.setdefault("script", f"/home/me/project/{run_id}.py")
    return RunRecord(id=run_id, started=f"2024-05-01T{hour:02d}:00:00+00:00", **fields)


def ids(model):
    return [model.index(row, 0).data(Role.RUN_ID) for row in range(model.rowCount())]


def test_columns(qtbot):
    record = run("a", 9, duration=125.4, label="baseline", args=["--fast"],
                 status="error", exit_code=1, message="ZeroDivisionError",
                 processes=[ProcessRecord(pid=10), ProcessRecord(pid=11, role="worker 1"),
                            ProcessRecord(pid=12, role="worker 2", profiled=False,
                                          note="killed before saving"),
                            ProcessRecord(pid=13, role="worker 3")])
    model = RunHistoryModel([record])
    cell = lambda column, role=Qt.DisplayRole: model.index(0, column).data(role)  # noqa
    assert cell(HISTORY_SCRIPT) == "a.py"
    assert cell(HISTORY_SCRIPT, Qt.ToolTipRole) == "/home/me/project/a.py --fast"
    # short in the list (the time today, else the date too), whole in the tooltip
    assert cell(HISTORY_STARTED) == parse_started(record.started).strftime("%b %d %H:%M")
    assert cell(HISTORY_STARTED, Qt.ToolTipRole) == \
        parse_started(record.started).strftime("%Y-%m-%d %H:%M:%S")
    assert cell(HISTORY_DURATION) == "2 min 05 s"
    assert cell(HISTORY_STATUS) == "error (3 of 4 processes profiled)"
    tip = cell(HISTORY_STATUS, Qt.ToolTipRole)
    assert "exit code 1" in tip and "ZeroDivisionError" in tip
    assert "worker 2 (pid 12): killed before saving" in tip
    assert cell(HISTORY_LABEL) == "baseline"
    assert cell(HISTORY_LABEL, Role.RUN) is record
    assert cell(HISTORY_STATUS, Role.RUN_ID) == "a"


def test_status_without_lost_processes_and_durations(qtbot):
    model = RunHistoryModel([run("a", 9, status="stopped",
                                 processes=[ProcessRecord(pid=1)])])
    assert model.index(0, HISTORY_STATUS).data() == "stopped"
    assert format_duration(0.42) == "0.42 s"
    assert format_duration(12.34) == "12.3 s"
    assert format_duration(3725) == "1 h 02 min"


def test_newest_first(qtbot):
    model = RunHistoryModel([run("old", 8), run("new", 10), run("mid", 9)])
    assert ids(model) == ["new", "mid", "old"]


def test_set_runs_keeps_the_selection_on_the_same_run(qtbot):
    model = RunHistoryModel([run("c", 10), run("b", 9), run("a", 8)])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectRows)
    view.selectionModel().setCurrentIndex(
        model.index(1, 0), QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
    assert view.currentIndex().data(Role.RUN_ID) == "b"

    # a new run on top, "c" deleted, "b" relabelled
    model.set_runs([run("d", 11), run("b", 9, label="kept"), run("a", 8)])
    assert ids(model) == ["d", "b", "a"]
    assert view.currentIndex().data(Role.RUN_ID) == "b"
    selected = view.selectionModel().selectedRows()
    assert [index.data(Role.RUN_ID) for index in selected] == ["b"]
    assert model.index(model.row_of_id("b"), HISTORY_LABEL).data() == "kept"

    # the selected run deleted: nothing selected, no stale row
    model.set_runs([run("d", 11), run("a", 8)])
    assert ids(model) == ["d", "a"]
    assert view.selectionModel().selectedRows() == []


def test_set_runs_reorders_without_losing_the_selection(qtbot):
    model = RunHistoryModel([run("b", 9), run("a", 8)])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.selectRow(1)
    assert view.currentIndex().data(Role.RUN_ID) == "a"
    # "a" restarted later: it moves to the top
    model.set_runs([run("b", 9), run("a", 12)])
    assert ids(model) == ["a", "b"]
    assert view.currentIndex().data(Role.RUN_ID) == "a"
    assert view.currentIndex().row() == 0
