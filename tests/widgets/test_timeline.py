"""The Timeline tab, drawn from a synthetic run at the dock's size and at scale."""

import random
from types import SimpleNamespace

from spyder_callgrind.engine.timeline import build_timeline
from spyder_callgrind.widgets.timeline import AXIS_HEIGHT, LABEL_WIDTH, LANE_HEIGHT, TimelineView
from tests.engine.test_timeline import pool_run


def big_run(processes=32, samples=100_000):
    rng = random.Random(7)
    frames = [("/p/job.py", i, "f%d" % i) for i in range(50)]
    per = samples // processes
    out = []
    for pid in range(processes):
        nodes_parent, nodes_frame = [-1], [0]
        for i in range(1, 50):
            nodes_parent.append(rng.randrange(i))
            nodes_frame.append(i)
        times = [(k + 1) * 4_000_000 for k in range(per)]
        out.append(SimpleNamespace(
            pid=1000 + pid, role="main" if pid == 0 else "worker %d" % pid, epoch_ns=0,
            frames=frames, node_parent=nodes_parent, node_frame=nodes_frame,
            node_line=[1] * 50, threads=["MainThread"],
            sample_node=[rng.randrange(50) for _ in range(per)], sample_thread=[0] * per,
            sample_time=times, sample_weight=[4_000_000] * per,
            sample_cpu=[rng.choice((0, 4_000_000)) for _ in range(per)]))
    return out


def test_lanes_summary_hover_and_click(qtbot):
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(700, 350)
    view.show()
    view.set_timeline(build_timeline(pool_run()))
    assert "2 workers busy 100% / 50%" in view.summary.text()
    canvas = view.canvas
    qtbot.waitExposed(view)
    image = canvas.grab().toImage()
    # worker 1's lane is coloured (busy) in the middle of the run; main's is grey there.
    y1 = AXIS_HEIGHT + LANE_HEIGHT + LANE_HEIGHT // 2
    y0 = AXIS_HEIGHT + LANE_HEIGHT // 2
    x = canvas.x_of(30_000_000)
    busy, waiting = image.pixelColor(x, y1), image.pixelColor(x, y0)
    assert busy.saturation() > 60 and waiting.saturation() < 20
    # A click on worker 1's lane selects its function.
    clicked = []
    canvas.function_activated.connect(clicked.append)
    from qtpy.QtCore import QPoint, Qt
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=QPoint(x, y1))
    assert clicked and clicked[0][2] == "work"


def test_zoom_and_pan_stay_inside_the_run(qtbot):
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(700, 350)
    view.set_timeline(build_timeline(pool_run()))
    canvas = view.canvas
    canvas.zoom(0.1, 25_000_000)
    v0, v1 = canvas.view
    assert v1 - v0 == 5_000_000 and v0 < 25_000_000 < v1
    canvas.zoom(100)
    assert canvas.view == (0, 50_000_000)


def test_hundred_thousand_samples_and_32_processes_draw(qtbot):
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1200, 800)
    timeline = build_timeline(big_run())
    assert len(timeline.lanes) == 32
    view.set_timeline(timeline)
    image = view.canvas.grab().toImage()
    assert image.width() > LABEL_WIDTH
    assert "31 workers" in view.summary.text()
