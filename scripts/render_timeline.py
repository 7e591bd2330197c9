"""Render the Timeline tab of a real Pool run to ``images/timeline.png``.

Profiles a small Pool program (three workers, twelve tasks of different sizes) with
``spyder-callgrind run`` into a temporary store and paints the real ``TimelineView`` at the
size a docked pane gives it, off-screen::

    QT_QPA_PLATFORM=offscreen python scripts/render_timeline.py
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

from spyder_callgrind.engine.store import RunStore  # noqa: E402
from spyder_callgrind.engine.timeline import run_timeline  # noqa: E402
from spyder_callgrind.widgets.timeline import TimelineView  # noqa: E402

PROGRAM = '''\
import multiprocessing as mp, time

def crunch(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

def prepare():
    return [crunch(20000) for _ in range(30)]

if __name__ == "__main__":
    prepare()
    with mp.Pool(3) as pool:
        pool.map(crunch, [400000, 200000, 300000] * 4, chunksize=1)
    time.sleep(0.05)
'''


def main():
    app = QApplication.instance() or QApplication([])
    folder = tempfile.mkdtemp(prefix="spyder-callgrind-timeline-")
    script = os.path.join(folder, "pool_job.py")
    with open(script, "w") as stream:
        stream.write(PROGRAM)
    store = os.path.join(folder, "store")
    subprocess.run([sys.executable, "-m", "spyder_callgrind", "run", "--store", store,
                    "--top", "0", "--no-compare", script], check=True, cwd=folder,
                   capture_output=True)
    runs = RunStore(store)
    app.setStyle("Fusion")
    view = TimelineView()
    view.set_timeline(run_timeline(runs, runs.get("last")))
    save(view, "timeline.png", 900, 260)


if __name__ == "__main__":
    main()
