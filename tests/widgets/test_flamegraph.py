"""The flame graph view (widgets/flamegraph.py)."""

import pytest
from qtpy.QtCore import QPoint, Qt

from spyder_callgrind.widgets.flamegraph import (
    COLOR_BY_MODULE, COLOR_BY_SELF, ROW_HEIGHT, FlameGraphView)
from tests.helpers_profiles import MIXED_PROGRAM, find, profile_source


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return profile_source(MIXED_PROGRAM, tmp_path_factory.mktemp("mixed"))


@pytest.fixture
def view(qtbot, mixed):
    widget = FlameGraphView()
    qtbot.addWidget(widget)
    widget.resize(800, 400)
    widget.set_profile(mixed)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def frame(view, name):
    nodes = [n for n in view.tree().walk() if n.name == name]
    assert len(nodes) == 1, nodes
    return nodes[0]


def centre(view, node):
    rect = view.canvas.frame_rect(node)
    assert rect is not None, node
    return rect.center().toPoint()


def test_says_the_stacks_are_approximate(view):
    assert view.note_label.text() == "Stacks rebuilt from caller/callee totals; approximate"
    assert view.note_label.isVisible()


def test_click_zooms_in_and_clicking_the_top_zooms_out(qtbot, view):
    root = view.visible_root()
    heavy = frame(view, "heavy")
    with qtbot.waitSignal(view.zoom_changed):
        qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=centre(view, heavy))
    assert view.visible_root() is heavy
    # Zoomed, heavy is as wide as the canvas and its only child too.
    assert view.canvas.frame_rect(heavy).width() == view.canvas.width()
    spin = heavy.children[0]
    assert view.canvas.frame_rect(spin).width() == pytest.approx(
        view.canvas.width() * spin.inclusive_ns / heavy.inclusive_ns)
    # light's frames are no longer drawn.
    assert view.canvas.frame_rect(frame(view, "light")) is None
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=centre(view, heavy))
    assert view.visible_root() is heavy.parent
    view.zoom_to(heavy)
    # An ancestor drawn above the top zooms straight back to it.
    exec_frame = root.children[0]
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=centre(view, exec_frame))
    assert view.visible_root() is exec_frame


def test_right_click_escape_and_breadcrumbs_zoom_out(qtbot, view):
    root = view.visible_root()
    spin = frame(view, "heavy").children[0]
    view.zoom_to(spin)
    qtbot.mouseClick(view.canvas, Qt.RightButton, pos=QPoint(5, 5))
    assert view.visible_root() is spin.parent
    qtbot.keyClick(view.canvas, Qt.Key_Escape)
    assert view.visible_root() is root
    view.zoom_to(spin)
    assert "heavy" in view.breadcrumbs.text() and "<b>spin" in view.breadcrumbs.text()
    view.breadcrumbs.linkActivated.emit(str(frame(view, "main").depth))
    assert view.visible_root() is frame(view, "main")


def test_hover_gives_name_time_percent_and_calls(view, mixed):
    fib = frame(view, "fib")
    info = view.hover_info(centre(view, fib))
    f = mixed.functions[find(mixed, "fib")]
    assert info["name"] == "fib"
    assert info["inclusive_ns"] == f.inclusive_ns
    assert info["calls"] == 1          # called once from main; the recursion stays inside
    assert info["percent_total"] == pytest.approx(
        100 * f.inclusive_ns / view.tree().inclusive_ns)
    assert info["percent_parent"] == pytest.approx(
        100 * f.inclusive_ns / frame(view, "main").inclusive_ns)
    assert info["location"] == "program.py:8"
    assert "fib" in info["text"] and "Calls: 1" in info["text"]
    below = QPoint(5, (view.tree().max_depth() + 2) * ROW_HEIGHT)
    assert view.hover_info(below) is None


def test_hover_sets_the_tooltip(qtbot, view):
    point = centre(view, frame(view, "main"))
    qtbot.mouseMove(view.canvas, point)
    qtbot.waitUntil(lambda: "main" in view.canvas.toolTip())


def test_recursion_is_not_double_counted(view, mixed):
    for node in view.tree().walk():
        assert sum(c.inclusive_ns for c in node.children) <= node.inclusive_ns
    fib = frame(view, "fib")
    assert fib.children == []


def test_colour_toggle_and_search(qtbot, view):
    heavy_spin = frame(view, "heavy").children[0]
    fib = frame(view, "fib")
    by_module = view.canvas.color_of(heavy_spin)
    assert view.canvas.color_of(fib) == by_module          # same file, same colour
    view.set_color_mode(COLOR_BY_SELF)
    assert view.color_box.currentData() == COLOR_BY_SELF
    assert view.canvas.color_of(heavy_spin) != view.canvas.color_of(fib)
    view.color_box.setCurrentIndex(view.color_box.findData(COLOR_BY_MODULE))
    assert view.color_mode() == COLOR_BY_MODULE
    qtbot.keyClicks(view.search_box, "SPIN")
    assert [n.parent.name for n in view.matches()] == ["heavy", "light"]
    assert view.match_label.text().startswith("2 frames")
    view.set_search("")
    assert view.matches() == [] and view.match_label.text() == ""
    view.grab()       # paints with every mode without error


def test_next_and_previous_match_zoom_to_each_in_turn(qtbot, view):
    qtbot.keyClicks(view.search_box, "spin")
    spins = view.matches()
    assert [n.parent.name for n in spins] == ["heavy", "light"]
    assert view.match_label.text().startswith("2 frames")
    qtbot.keyClick(view.search_box, Qt.Key_Return)               # Enter: the next match
    assert view.visible_root() is spins[0]
    assert view.match_label.text().startswith("1 of 2 frames")
    assert view.canvas.frame_rect(spins[0]).width() == view.canvas.width()
    view.next_button.click()
    assert view.visible_root() is spins[1]
    assert "heavy" not in view.breadcrumbs.text() and "light" in view.breadcrumbs.text()
    view.next_button.click()                                     # after the last, the first
    assert view.visible_root() is spins[0]
    qtbot.keyClick(view.search_box, Qt.Key_Return, Qt.ShiftModifier)   # Shift+Enter: back
    assert view.visible_root() is spins[1]
    assert view.match_label.text().startswith("2 of 2 frames")
    view.set_search("fib")                                        # a new search starts over
    assert view.match_label.text().startswith(f"{len(view.matches())} frames")
    view.previous_button.click()                                  # from the start: the last
    assert view.visible_root() is view.matches()[-1]
    view.set_search("no such function")
    view.next_button.click()                                      # nothing to go to
    assert view.visible_root() is not None and view.match_label.text().startswith("0 frames")


def test_empty_and_cleared(qtbot):
    widget = FlameGraphView()
    qtbot.addWidget(widget)
    widget.grab()
    assert widget.visible_root() is None and widget.hover_info(QPoint(1, 1)) is None
    widget.clear()
    assert widget.tree() is None


def test_double_click_asks_for_the_source(qtbot, view, mixed):
    with qtbot.waitSignal(view.function_activated) as blocker:
        qtbot.mouseDClick(view.canvas, Qt.LeftButton, pos=centre(view, frame(view, "fib")))
    assert blocker.args == [find(mixed, "fib")]


def test_short_names_are_labelled_whenever_they_fit(view):
    """A frame wide enough for "fib" shows "fib", however short the name; a frame too
    narrow for two characters of a name shows nothing rather than a lone ellipsis."""
    canvas = view.canvas
    metrics = canvas.fontMetrics()
    fib = frame(view, "fib")
    just_enough = metrics.horizontalAdvance("fib") + 8
    assert canvas.label_of(fib, metrics, just_enough) == "fib"
    assert canvas.label_of(fib, metrics, 4) == ""
    heavy = frame(view, "heavy")
    narrow = metrics.horizontalAdvance("he\u2026") + 8
    assert canvas.label_of(heavy, metrics, narrow).startswith("he")
    # the zoomed frame also gives its time when there is room
    view.zoom_to(heavy)
    assert canvas.label_of(heavy, metrics, 600).startswith("heavy  (")
