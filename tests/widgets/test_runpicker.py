"""The run picker, the run's status line and the stdlib probe (widgets/runpicker.py)."""

import os
import sys

from qtpy.QtCore import Qt

from spyder_callgrind.engine.records import ProcessRecord, RunRecord
from spyder_callgrind.widgets.history import HISTORY_RUN, RunHistoryModel, run_title
from spyder_callgrind.widgets.runpicker import (
    SEPARATOR, RunPicker, StdlibProbe, outcome_text, run_status_text)


def record(**fields):
    fields.setdefault("id", "r1")
    fields.setdefault("script", "/home/me/boardgame.py")
    fields.setdefault("started", "2024-05-01T10:00:00+00:00")
    return RunRecord(**fields)


def test_status_line_says_everything_once_with_separators():
    stopped = record(status="stopped", message="stopped by user", duration=3.2,
                     processes=[ProcessRecord(pid=1), ProcessRecord(pid=2, role="worker 1"),
                                ProcessRecord(pid=3, role="worker 2", profiled=False)])
    text = run_status_text(stopped)
    assert text.split(SEPARATOR) == [
        "boardgame.py", "3.20 s", "stopped by user",
        "2 of 3 processes profiled (1 lost)", "children followed", "exact"]
    assert text.lower().count("stopped") == 1
    brief = run_status_text(stopped, brief=True)
    assert brief.split(SEPARATOR) == [
        "stopped by user", "2 of 3 processes profiled (1 lost)", "exact"]

    ok = record(duration=1.5, children=False, processes=[ProcessRecord(pid=1)])
    assert run_status_text(ok) == SEPARATOR.join(
        ["boardgame.py", "1.50 s", "ok", "1 process", "main process only", "exact"])
    assert run_status_text(ok, brief=True) == SEPARATOR.join(["main process only", "exact"])
    pool = record(processes=[ProcessRecord(pid=n) for n in range(3)])
    assert "time summed over 3 processes" in run_status_text(pool)
    # docked, the usual goes unsaid: the process box says "All 3 processes"
    assert run_status_text(pool, brief=True) == SEPARATOR.join(["times summed", "exact"])
    assert run_status_text(record(), running_seconds=12.34) == SEPARATOR.join(
        ["boardgame.py", "running for 12.3 s"])
    assert run_status_text(None) == ""


def test_outcome_never_repeats_the_status_word():
    assert outcome_text(record(status="stopped", message="stopped by user")) == \
        "stopped by user"
    assert outcome_text(record(status="stopped", message="Stopped")) == "Stopped"
    assert outcome_text(record(status="error", message="ZeroDivisionError: division by zero")) \
        == "error: ZeroDivisionError: division by zero"
    assert outcome_text(record(status="error", exit_code=3)) == "error: exit code 3"
    assert outcome_text(record(status="ok")) == "ok"


def test_picker_box_names_script_start_duration_and_outcome(qtbot):
    lost = record(id="a", duration=2.41, status="error",
                  processes=[ProcessRecord(pid=1), ProcessRecord(pid=2, profiled=False)])
    fine = record(id="b", started="2024-05-01T11:00:00+00:00", duration=0.5)
    model = RunHistoryModel([lost, fine])
    assert model.index(0, HISTORY_RUN).data() == run_title(fine)
    assert run_title(fine).split()[:4] == ["boardgame.py", "0.50", "s", "ok"]
    assert run_title(fine).split()[4:6] == ["May", "01"]     # another day: its date
    assert run_title(lost).startswith("boardgame.py  2.41 s  error, 1 of 2 processes  ")
    picker = RunPicker(model)
    qtbot.addWidget(picker)
    picker.show()
    assert picker.combo.count() == 2
    with qtbot.waitSignal(picker.run_chosen) as blocker:
        picker.combo.activated.emit(1)
    assert blocker.args == ["a"]
    picker.set_current_run("b")
    assert picker.current_run() == "b"
    # closed, the box gives the run in brief and asks for just that width
    assert picker.combo.brief_text() == "boardgame.py  0.50 s  ok"
    assert picker.combo.sizeHint().width() < \
        picker.combo.fontMetrics().horizontalAdvance(run_title(fine)) + 36
    picker.set_status(lost)
    assert picker.status_label.toolTip() == run_status_text(lost)
    assert "boardgame.py" not in picker.status_label.text()  # the box names it
    picker.set_list_shown(True)
    assert picker.combo.isHidden()
    picker.set_status(lost)
    assert picker.status_label.text() == run_status_text(lost)
    assert model.index(0, HISTORY_RUN).data(Qt.ToolTipRole) == fine.script


def test_stdlib_probe_asks_another_interpreter_off_the_gui_thread(qtbot, tmp_path):
    link = tmp_path / "python-for-probe"
    os.symlink(os.path.realpath(sys.executable), link)
    probe = StdlibProbe()
    with qtbot.waitSignal(probe.found, timeout=30000) as blocker:
        assert probe.stdlib_dirs(str(link)) is None      # not known yet: asked in a thread
    executable, dirs = blocker.args
    assert executable == str(link) and dirs
    assert tuple(probe.stdlib_dirs(str(link))) == dirs    # known now, no thread
    assert probe.stdlib_dirs(str(tmp_path / "missing")) is None
    assert probe.stdlib_dirs("") is None


def test_notes_are_in_the_status_line_and_all_in_its_tooltip(qtbot):
    from spyder_callgrind.engine.records import ProcessRecord, RunRecord
    from spyder_callgrind.engine.runner import SHARED_THREADS_NOTE
    record = RunRecord(id="r1", script="/p/job.py", duration=1.5,
                       processes=[ProcessRecord(pid=1)],
                       notes=[SHARED_THREADS_NOTE, "second note"])
    assert run_status_text(record).endswith("note: " + SHARED_THREADS_NOTE)
    picker = RunPicker(RunHistoryModel())
    qtbot.addWidget(picker)
    picker.set_status(record)
    tip = picker.status_label.toolTip()
    assert "note: " + SHARED_THREADS_NOTE in tip and "note: second note" in tip
    console = RunRecord(id="r2", script="/p/cells.py", source="console",
                        origin="cells.py: cell 'load'", processes=[ProcessRecord(pid=1)])
    assert run_status_text(console).startswith("cells.py: cell 'load'")
    assert "in the console" in run_status_text(console)


def test_status_line_says_what_the_numbers_are(qtbot):
    """exact, exact + sampled, or sampled; the tooltip says how it was sampled."""
    from spyder_callgrind.widgets.runpicker import measure_text
    assert measure_text(record(mode="exact")) == "exact"
    both = record(mode="both", sample_count=850, sample_interval_ns=4_100_000,
                  sample_clock="wall", processes=[ProcessRecord(pid=1)])
    assert measure_text(both) == "exact + sampled"
    assert measure_text(record(mode="sample", sample_count=3)) == "sampled"
    assert measure_text(record(source="import")) == ""
    model = RunHistoryModel()
    picker = RunPicker(model)
    qtbot.addWidget(picker)
    picker.set_status(both)
    assert picker.status_label.text().endswith("exact + sampled")
    assert "sampled: 850 samples every 4.1 ms (wall clock)" in picker.status_label.toolTip()
