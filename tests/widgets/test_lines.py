"""The Lines tab on real runs: the hot line is selected, shares add up, runs without
samples and functions without source say why, double-click asks for the line."""

import os

import pytest
from qtpy.QtCore import QModelIndex, Qt

from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.widgets.lines import INCLUSIVE, OWN, LinesView
from tests.workers.test_sampler import cli, last_run, write

HOT = """
    import time

    def work():
        total = 0
        for i in range(300000):
            total += i % 7
            total = (total * 31 + i * i) % 1000003 + (i << 3) % 17 + (i ^ 5) // 3 + (i * 7) % 11 - (i & 9)  # the hot line
        time.sleep(0.01)
        return total

    work()
"""


def _hot_line(script):
    with open(script, encoding="utf-8") as stream:
        return next(n for n, text in enumerate(stream, 1) if "the hot line" in text)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One sampled (``both``) and one exact-only run of the same script."""
    folder = tmp_path_factory.mktemp("lines")
    script = write(folder, "hot.py", HOT)
    store = folder / "store"
    cli(store, "run", "--top", "0", "--mode", "both", script)
    both, _ = last_run(store)
    cli(store, "run", "--top", "0", "--mode", "exact", script)
    exact, _ = last_run(store)
    kept = RunStore(str(store))
    return kept, kept.get(both["id"]), kept.get(exact["id"]), script


def _view(qtbot):
    view = LinesView()
    qtbot.addWidget(view)
    view.resize(700, 300)
    view.show()
    return view


def _work_key(script):
    return (os.path.realpath(script), 4, "work")


def test_hot_line_is_selected_with_shares(qtbot, runs):
    store, record, _exact, script = runs
    view = _view(qtbot)
    view.set_run(store, record)
    view.show_function(_work_key(script))
    view.wait()
    rows = view.model.rows
    assert rows and rows[0].number == 4 and rows[0].text.startswith("def work")
    hot = _hot_line(script)
    assert view.selected_line() == hot
    by_line = {r.number: r for r in rows}
    assert by_line[hot].own == max(r.own for r in rows)
    # the function's own lines carry all its time; "def work" line is the entry, no cost
    assert sum(r.own for r in rows) == view.model.total
    model = view.model
    row = [r.number for r in rows].index(hot)
    own_share = float(model.data(model.index(row, OWN)).rstrip("%"))
    assert own_share > 40
    assert model.data(model.index(row, INCLUSIVE)).endswith("%")
    assert "work (hot.py:4)" in view.note.text() and "sampled" in view.note.text()
    # double-click asks the editor for that line
    asked = []
    view.line_activated.connect(lambda f, n: asked.append((f, n)))
    index = model.index(row, 3)
    view.table.scrollTo(index)
    rect = view.table.visualRect(index)
    qtbot.mouseClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())
    assert asked == [(os.path.realpath(script), hot)]


def test_run_without_samples_says_why(qtbot, runs):
    store, _both, exact, script = runs
    view = _view(qtbot)
    view.set_run(store, exact)
    view.show_function(_work_key(script))
    assert view.model.rowCount() == 0
    assert "no stack samples" in view.note.text()


def test_builtin_and_unknown_functions(qtbot, runs):
    store, record, _exact, script = runs
    view = _view(qtbot)
    view.set_run(store, record)
    view.show_function(("~", 0, "<built-in method time.sleep>"))
    assert "no Python source" in view.note.text()
    view.show_function((os.path.realpath(script), 99, "never_ran"))
    view.wait()
    assert "no sample fell in it" in view.note.text()


def test_changed_source_is_noted(qtbot, runs, tmp_path):
    store, record, _exact, script = runs
    view = _view(qtbot)
    view.set_run(store, record)
    os.utime(script)   # touched after the run
    view.show_function(_work_key(script))
    view.wait()
    assert "changed after this run" in view.note.text()


def test_views_say_what_their_stacks_are(qtbot, runs):
    """The flame graph and the call tree of a sampled run say "sampled: N samples every X
    ms" and show no call counts for sampled frames; an exact run's say "approximate"."""
    from spyder_callgrind.widgets.calltree import CallTreeView
    from spyder_callgrind.widgets.flamegraph import FlameGraphView
    store, both, exact, _script = runs
    flame, tree = FlameGraphView(), CallTreeView()
    qtbot.addWidget(flame)
    qtbot.addWidget(tree)
    flame.resize(700, 300)
    flame.set_profile(store.folder(both).load_profile())
    tree.set_profile(store.folder(both).load_profile())
    assert flame.note_label.text().startswith("sampled: ")
    assert "samples every" in flame.note_label.text()
    assert tree.note_label.text() == flame.note_label.text()
    work = next(n for n in flame.canvas.tree().walk() if n.name == "work")
    described = flame.canvas.describe(work)["text"]
    assert "Time:" in described and "Calls" not in described
    flame.set_profile(store.folder(exact).load_profile())
    tree.set_profile(store.folder(exact).load_profile())
    assert "approximate" in flame.note_label.text() and "approximate" in tree.note_label.text()
    work = next(n for n in flame.canvas.tree().walk() if n.name == "work")
    assert "Calls: 1" in flame.canvas.describe(work)["text"]


def test_call_tree_rows_from_samples_show_no_count(qtbot, runs):
    """Rows of the call tree split by the samples say their calls are not counted; the
    entry points keep cProfile's exact counts."""
    from spyder_callgrind.widgets.calltree import CallTreeView
    store, both, _exact, _script = runs
    tree = CallTreeView()
    qtbot.addWidget(tree)
    tree.set_profile(store.folder(both).load_profile())
    model = tree.model
    calls = next(c for c, col in enumerate(model.columns) if col.header == "Calls")
    top = model.index(0, calls)
    assert top.data().replace(",", "").isdigit()            # exact, from cProfile

    def find(name, parent, depth=0):
        model.fetchMore(parent)
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            if index.data() == name:
                return index
            found = depth < 4 and find(name, index, depth + 1)
            if found:
                return found
        return None
    work = find("work", QModelIndex())       # under <module>, which the samples saw
    child = work.sibling(work.row(), calls)
    assert child.data() == "\u2014"
    assert "not counted per stack" in child.data(Qt.ToolTipRole)
