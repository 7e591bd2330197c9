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
