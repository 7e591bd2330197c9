"""The pane without Spyder (``widgets.pane.ProfilePane``): real runs, imports and exports
through the real ``spyder-callgrind`` commands in QProcesses."""

import json
import os
import subprocess
import sys

import pytest
from qtpy.QtWidgets import QMessageBox

from spyder_callgrind.engine.exporting import EXPORTERS
from spyder_callgrind.widgets.pane import DictSettings, ProfilePane

SCRIPT = """\
import time

def work(n):
    return sum(i * i for i in range(n))

end = time.time() + 0.3
while time.time() < end:
    work(2000)
print("done")
"""


@pytest.fixture
def pane(tmp_path, qtbot):
    settings = DictSettings({"store_dir": str(tmp_path / "store")})
    widget = ProfilePane(settings.get, settings.set)
    qtbot.addWidget(widget)
    widget.settings = settings
    return widget


@pytest.fixture
def kept_run(pane, tmp_path, qtbot):
    script = tmp_path / "work.py"
    script.write_text(SCRIPT)
    with qtbot.waitSignal(pane.run_finished, timeout=120000) as finished:
        pane.start_run(str(script), cwd=str(tmp_path))
    return pane.store.get(finished.args[0])


def test_a_run_measures_what_the_settings_say(pane, tmp_path, qtbot):
    pane.settings.set("run_mode", "sample")
    script = tmp_path / "work.py"
    script.write_text(SCRIPT)
    busy = []
    pane.busy_changed.connect(busy.append)
    with qtbot.waitSignal(pane.run_finished, timeout=120000) as finished:
        process = pane.start_run(str(script), cwd=str(tmp_path))
        assert pane.history_model.run_at(0).status == "running"
    assert process.measure.mode == "sample"
    record = pane.store.get(finished.args[0])
    assert record.mode == "sample" and not record.exact_counts
    assert busy[0] is True and busy[-1] is False
    # A file's own mode wins over the setting.
    with qtbot.waitSignal(pane.run_finished, timeout=120000) as finished:
        pane.start_run(str(script), cwd=str(tmp_path), mode="exact")
    assert pane.store.get(finished.args[0]).mode == "exact"


def test_import_in_a_child_process_selects_the_new_run(pane, tmp_path, qtbot):
    script = tmp_path / "work.py"
    script.write_text(SCRIPT)
    prof = str(tmp_path / "work.prof")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", prof, str(script)], check=True,
                   capture_output=True)
    with qtbot.waitSignal(pane.imported, timeout=60000) as imported:
        process = pane.import_file(prof)
        assert pane.current_id == process.run_id and pane.is_busy()
    record = pane.store.get(imported.args[0])
    assert record.source == "import" and record.id == process.run_id
    assert pane.current_id == record.id and not pane.is_busy()
    qtbot.waitUntil(lambda: pane.view.model.rowCount() > 0, timeout=30000)
    assert any(f.name == "work" for f in pane.view.model.profile().functions)


def test_import_of_a_bad_file_says_why_in_one_line(pane, tmp_path, qtbot, monkeypatch):
    bad = tmp_path / "bad.prof"
    bad.write_bytes(b"not a profile at all")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    pane.import_file(str(bad))
    qtbot.waitUntil(lambda: bool(shown) and not pane.processes, timeout=60000)
    assert "Traceback" not in shown[0] and "\n" not in shown[0].strip() and shown[0]
    assert pane.history_model.rowCount() == 0


def test_stop_cancels_an_import_and_leaves_nothing(pane, tmp_path, qtbot):
    big = tmp_path / "callgrind.out.big"
    lines = ["# callgrind format", "events: Ticks", ""]
    for number in range(200000):
        lines += [f"fl=(f{number}) file{number}.py", f"fn=(n{number}) func{number}",
                  f"{number + 1} {number + 7}", ""]
    big.write_text("\n".join(lines))
    process = pane.import_file(str(big))
    pane.stop_current_run()                      # the import is the run shown
    qtbot.waitUntil(lambda: not pane.processes, timeout=30000)
    assert process.stopping
    assert "cancelled" in pane.message_label.text()
    assert pane.history_model.rowCount() == 0
    assert [n for n in os.listdir(pane.store.root)] == []


@pytest.mark.parametrize("kind", sorted(EXPORTERS))
def test_export_every_format_off_the_gui_thread(pane, kept_run, tmp_path, qtbot, kind):
    target = str(tmp_path / f"out.{kind}")
    with qtbot.waitSignal(pane.exported, timeout=120000) as exported:
        pane.export_run(kept_run, kind, target)
        assert pane.is_busy()
    assert exported.args[:2] == [target, True], exported.args
    assert os.path.getsize(target) > 0
    if kind in ("speedscope", "chrome"):
        json.load(open(target))
    assert not pane.is_busy()


def test_export_errors_are_one_short_line(pane, kept_run, tmp_path, qtbot):
    target = str(tmp_path / "no such folder" / "out.txt")
    with qtbot.waitSignal(pane.exported, timeout=120000) as exported:
        pane.export_run(kept_run, "text", target)
    assert exported.args[1] is False
    message = exported.args[2]
    assert "Traceback" not in message and "\n" not in message and "no such folder" in message
    assert pane.message_label.text() == message


def test_stop_cancels_an_export(pane, kept_run, tmp_path, qtbot):
    target = str(tmp_path / "out.json")
    with qtbot.waitSignal(pane.exported, timeout=120000) as exported:
        pane.export_run(kept_run, "speedscope", target)
        pane.stop_current_run()                  # no run in progress: the export stops
    assert exported.args[1:] == [False, "Export cancelled"]
    assert not os.path.exists(target)


def test_a_pane_deleted_while_a_command_runs_ends_it_quietly(tmp_path, qtbot):
    """A pane closed and deleted mid-run (as a test or a crashed layout does) takes its
    command down with it, and nothing it reports reaches the deleted pane."""
    settings = DictSettings({"store_dir": str(tmp_path / "store")})
    pane = ProfilePane(settings.get, settings.set)
    script = tmp_path / "slow.py"
    script.write_text("import time\nprint('started', flush=True)\n"
                      "for n in range(60000):\n    print('line', n, flush=True)\n"
                      "    time.sleep(0.001)\n")
    seen = []
    process = pane.start_run(str(script), cwd=str(tmp_path))
    qtbot.waitUntil(lambda: any("started" in text for _stream, text
                                in pane.live_output.get(process.run_id, [])), timeout=60000)
    pid = process._process.processId()
    assert pid > 0
    process.finished.connect(lambda *args: seen.append(args))
    errors = []
    old_hook = sys.excepthook
    sys.excepthook = lambda *info: errors.append(info)
    try:
        pane.deleteLater()
        qtbot.waitUntil(lambda: not _alive(pid), timeout=10000)
        qtbot.wait(200)
    finally:
        sys.excepthook = old_hook
    assert errors == [] and seen == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
