"""The previous-run line (widgets/previous.py), with a change of two real runs."""

import html

import pytest

from spyder_callgrind.engine.previous import Change, top_movers
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.widgets.previous import PreviousRunLabel


@pytest.fixture
def change(edited_runs):
    before, after = edited_runs
    return Change(before.total_ns, after.total_ns,
                  RunRecord(id="20260101-000000-aaaa", script="program.py",
                            started="2026-01-01T00:00:00.000+00:00"),
                  RunRecord(id="20260101-000100-bbbb", script="program.py"),
                  top_movers(before, after))


def test_line_names_the_change_and_the_movers(qtbot, change):
    label = PreviousRunLabel()
    qtbot.addWidget(label)
    assert label.isHidden() and label.text() == ""        # nothing to compare with yet
    label.set_change(change)
    text = label.text()
    assert "slower than the previous run (+" in text and "#be1e1e" in text
    assert "moved most: " in text and "slow_later +" in text
    assert all(html.escape(row.name) in text for row in change.movers)
    assert "20260101-000000-aaaa" in label.toolTip()
    label.set_change(None)
    assert label.text() == "" and label.isHidden()


def test_compare_link_emits_both_run_ids(qtbot, change):
    label = PreviousRunLabel()
    qtbot.addWidget(label)
    label.set_change(change)
    with qtbot.waitSignal(label.compare_requested) as blocker:
        label.linkActivated.emit("compare")        # what a click on the link sends
    assert blocker.args == ["20260101-000000-aaaa", "20260101-000100-bbbb"]


def _run(store, script):
    import subprocess
    import sys
    subprocess.run([sys.executable, "-m", "spyder_callgrind", "run", "--store", str(store),
                    "--top", "0", str(script)], check=True, capture_output=True, timeout=120)


def test_previous_process_finds_the_change_in_a_child(qtbot, tmp_path):
    """The pane's comparison runs as ``show RUN --previous --json`` in a child process
    (never in a thread of Spyder's): its answer becomes the same Change."""
    from spyder_callgrind.engine.store import RunStore
    from spyder_callgrind.widgets.previous import PreviousProcess

    script = tmp_path / "twice.py"
    script.write_text("def work(n):\n    return sum(i * i for i in range(n))\n\n"
                      "work(20000)\n", encoding="utf-8")
    store = tmp_path / "store"
    _run(store, script)
    script.write_text(script.read_text(encoding="utf-8").replace("20000", "2000000"),
                      encoding="utf-8")
    _run(store, script)
    runs = sorted(RunStore(str(store)).list_runs()[0], key=lambda r: r.started)
    process = PreviousProcess(runs[1].id, store=str(store))
    with qtbot.waitSignal(process.finished, timeout=60000) as ended:
        process.start()
    assert ended.args == [runs[1].id, 0]
    change = process.change()
    assert (change.previous.id, change.record.id) == (runs[0].id, runs[1].id)
    assert change.verdict == "slower"
    assert any(row.name == "work" for row in change.movers)

    first = PreviousProcess(runs[0].id, store=str(store))
    with qtbot.waitSignal(first.finished, timeout=60000):
        first.start()
    assert first.change() is None                  # nothing before the first run

    unknown = PreviousProcess("20990101-000000-zzzz", store=str(store))
    with qtbot.waitSignal(unknown.finished, timeout=60000) as ended:
        unknown.start()
    assert ended.args[1] != 0
    with pytest.raises(ValueError, match="no answer"):
        unknown.change()
