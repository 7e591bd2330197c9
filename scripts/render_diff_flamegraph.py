"""Render the differential flame graph of two real runs to ``images/diff_flamegraph.png``.

Profiles ``scripts/sample_program.py`` with cProfile, with and without ``--slow`` (a quadratic
lookup in ``score_words``), and paints the Compare view's flame graph of the change
off-screen::

    QT_QPA_PLATFORM=offscreen python scripts/render_diff_flamegraph.py

The picture should show the change, not the load of the machine it was made on: the profiler
counts CPU time (``time.process_time``) instead of cProfile's default wall-clock time, and of
three runs each the fastest is kept (load only ever adds time).
"""

import os
import subprocess
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from render_views import save  # noqa: E402  (also puts this checkout on sys.path)
from qtpy.QtWidgets import QApplication  # noqa: E402

from spyder_callgrind.engine.profiles import load_pstats  # noqa: E402
from spyder_callgrind.widgets.diffflame import DiffFlameGraphView  # noqa: E402

RUNS = 3
#: As ``python -m cProfile`` runs a script (its stacks start at ``exec``), in CPU time.
PROFILE_CPU_TIME = """
import cProfile, sys, time
out, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
with open(script) as stream:
    code = compile(stream.read(), script, "exec")
profiler = cProfile.Profile(time.process_time)
profiler.runctx(code, {"__name__": "__main__", "__file__": script}, None)
profiler.dump_stats(out)
"""


def profile(folder, *args):
    """Profile the sample program (with ``args``) in CPU time; return its ProfileData."""
    out = os.path.join(folder, f"run{len(os.listdir(folder))}.prof")
    subprocess.run([sys.executable, "-c", PROFILE_CPU_TIME, out,
                    os.path.join(HERE, "sample_program.py"), *args], check=True, cwd=HERE)
    return load_pstats(out)


def main():
    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    with tempfile.TemporaryDirectory() as folder:
        pairs = [(profile(folder), profile(folder, "--slow")) for _ in range(RUNS)]
    before, after = (min(runs, key=lambda data: data.total_ns) for runs in zip(*pairs))
    view = DiffFlameGraphView()
    view.set_profiles(before, after)
    view.zoom_to(next(n for n in view.tree().walk() if n.name == "main"))
    save(view, "diff_flamegraph.png", 1100, 330)
    app.quit()


if __name__ == "__main__":
    main()
