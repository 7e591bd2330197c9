"""Render the flame graph, call tree and compare views of a real profile to ``images/*.png``.

Profiles ``scripts/sample_program.py`` twice with ``spyder-callgrind run`` in its default
mode, exact and sampled (the second run with ``--slow``), then paints the views of the kept
runs off-screen; the flame graph and call tree are the sampled stacks::

    QT_QPA_PLATFORM=offscreen python scripts/render_views.py
"""

import os
import subprocess
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from qtpy.QtWidgets import QApplication  # noqa: E402

from spyder_callgrind.engine.store import RunStore  # noqa: E402
from spyder_callgrind.widgets.calltree import CallTreeView  # noqa: E402
from spyder_callgrind.widgets.compare import CompareView  # noqa: E402
from spyder_callgrind.widgets.flamegraph import FlameGraphView  # noqa: E402


def profile(folder, *args):
    """Profile the sample program (with ``args``) into the store ``folder``; its profile."""
    env = dict(os.environ, PYTHONPATH=ROOT, SPYDER_CALLGRIND_STORE=folder)
    subprocess.run([sys.executable, "-m", "spyder_callgrind", "run", "--top", "0",
                    os.path.join(HERE, "sample_program.py"), *args],
                   check=True, cwd=HERE, env=env, stdout=subprocess.DEVNULL)
    store = RunStore(folder)
    runs, _problems = store.list_runs()
    return store.folder(runs[0]).load_profile()


def save(widget, name, width, height):
    widget.resize(width, height)
    widget.show()
    QApplication.processEvents()
    path = os.path.join(ROOT, "images", name)
    widget.grab().save(path)
    print("wrote", os.path.relpath(path, ROOT))


def main():
    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    with tempfile.TemporaryDirectory() as folder:
        before = profile(folder)
        after = profile(folder, "--slow")

    flame = FlameGraphView()
    flame.set_profile(before)
    main_frame = next(n for n in flame.tree().walk() if n.name == "main")
    flame.zoom_to(main_frame)
    save(flame, "flamegraph.png", 1100, 300)

    tree = CallTreeView()
    tree.set_profile(before)
    tree.expand_levels(5, widest=4)
    save(tree, "calltree.png", 1000, 420)

    compare = CompareView()
    compare.set_profiles(before, after, "sample_program.py", "sample_program.py --slow")
    save(compare, "compare.png", 1560, 360)
    app.quit()


if __name__ == "__main__":
    main()
