"""The differential flame graph (widgets/diffflame.py) and its tab in the Compare view, on
real cProfile runs of an edited script."""

import pytest

from spyder_callgrind.engine.flamediff import NEW, SLOWER, UNCHANGED
from spyder_callgrind.widgets.compare import CompareView
from spyder_callgrind.widgets.diffflame import DiffFlameGraphView, change_color
from tests.helpers_profiles import synthetic


@pytest.fixture
def runs(edited_runs):
    return edited_runs


@pytest.fixture
def view(qtbot, runs):
    widget = DiffFlameGraphView()
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.set_profiles(*runs)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def frame(view, name):
    return next(n for n in view.tree().walk() if n.name == name)


def test_slower_and_new_are_red(view):
    canvas = view.canvas
    slow = frame(view, "slow_later")
    assert view.stack_diff().change_of(slow).status == SLOWER
    red = canvas.color_of(slow)
    assert red.hue() in range(0, 15) and red.saturation() > 100
    assert view.stack_diff().change_of(frame(view, "new_name")).status == NEW
    assert canvas.color_of(frame(view, "new_name")).hue() in range(0, 15)


def test_unchanged_is_grey(qtbot):
    ms = 1_000_000
    before = synthetic([("main", 1, 0, 300 * ms), ("a", 1, 100 * ms, 100 * ms),
                        ("b", 1, 200 * ms, 200 * ms)],
                       [("main", "a", 1, 100 * ms, 100 * ms), ("main", "b", 1, 200 * ms, 200 * ms)])
    after = synthetic([("main", 1, 0, 501 * ms), ("a", 1, 300 * ms, 300 * ms),
                       ("b", 1, 201 * ms, 201 * ms)],
                      [("main", "a", 1, 300 * ms, 300 * ms), ("main", "b", 1, 201 * ms, 201 * ms)])
    view = DiffFlameGraphView()
    qtbot.addWidget(view)
    view.set_profiles(before, after)
    b = frame(view, "b")
    assert view.stack_diff().change_of(b).status == UNCHANGED
    assert view.canvas.color_of(b).saturation() < 20
    assert view.canvas.color_of(frame(view, "a")).hue() in range(0, 15)


def test_faster_is_blue(qtbot, runs):
    reverse = DiffFlameGraphView()
    qtbot.addWidget(reverse)
    reverse.set_profiles(runs[1], runs[0])        # newer run = the faster one
    # EDITED_BEFORE's slow_later holds little time: its callers show the speed-up.
    module = frame(reverse, "<module>")
    assert reverse.stack_diff().change_of(module).change_ns < 0
    assert reverse.canvas.color_of(module).hue() in range(200, 230)


def test_hover_and_note_say_what_changed_and_that_stacks_are_rebuilt(view):
    slow = frame(view, "slow_later")
    rect = view.canvas.frame_rect(slow)
    info = view.hover_info(rect.center())
    assert info["name"] == "slow_later" and info["status"] == SLOWER
    assert info["change_ns"] == info["inclusive_ns"] - info["before_ns"] > 0
    assert "Before:" in info["text"] and "slower" in info["text"]
    note = view.note_label.text()
    assert "approximate: stacks rebuilt from call totals" in note
    assert "slower" in note and "faster" in note and "unchanged" in note
    assert not view.color_box.isVisible()


def test_one_profile_or_none(qtbot, runs):
    view = DiffFlameGraphView()
    qtbot.addWidget(view)
    view.set_profile(runs[1])            # nothing to compare with: plain colours
    assert view.stack_diff() is None and view.tree() is not None
    view.set_profiles(None, runs[1])
    assert view.tree() is None


def test_compare_view_has_the_flame_graph_tab(qtbot, runs):
    compare = CompareView()
    qtbot.addWidget(compare)
    compare.set_profiles(*runs, before_label="a", after_label="b")
    assert compare.views.count() == 2
    assert compare.flame.tree() is None            # built when first looked at
    compare.views.setCurrentWidget(compare.flame)
    assert compare.flame.stack_diff() is not None
    assert any(n.name == "slow_later" for n in compare.flame.tree().walk())
    compare.clear()
    assert compare.flame.tree() is None
    compare.set_profiles(*runs)                     # the tab is shown: drawn at once
    assert compare.flame.tree() is not None


def test_colour_scale_is_deepest_for_the_largest_change(view):
    diff = view.stack_diff()
    slow = frame(view, "slow_later")
    largest = max((n for n, c in diff.frames() if c.status == SLOWER),
                  key=lambda n: diff.change_of(n).change_ns)
    assert change_color(diff, largest).saturation() >= change_color(diff, slow).saturation()
