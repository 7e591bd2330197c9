"""The Timeline tab: one lane per process and thread, what each was doing over the run.

Drawn at the resolution of the screen: each pixel column of a lane shows the segment at its
middle (found by bisection), and runs of equal columns are one rectangle, so a lane costs
its width in bisections however many samples it holds.  The wheel zooms around the
pointer, dragging pans, hovering shows the stack and the times, a click selects the
function (``function_activated``).
"""

from __future__ import annotations

import bisect
from array import array
from typing import Dict, List, Optional, Tuple

import threading

from qtpy.QtCore import QPoint, QRect, Qt, Signal
from qtpy.QtGui import QColor, QImage, QPainter, QPen
from qtpy.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from spyder_callgrind.engine.model import format_ns
from spyder_callgrind.engine.timeline import (
    Lane, Segment, Timeline, run_timeline, summarize)
from spyder_callgrind.widgets.i18n import _

LANE_HEIGHT = 18
LABEL_WIDTH = 190
AXIS_HEIGHT = 18
_WAITING = QColor(214, 214, 214)
_WAITING_RGBA = _WAITING.rgba()
_OUTSIDE = QColor(0, 0, 0, 0)
_OTHER = QColor(170, 170, 190)   # none of the user's code on the stack


def _module_of(key) -> str:
    file = (key[0] or "").replace("\\", "/")
    return file.rsplit("/", 1)[-1] or key[2]


class TimelineCanvas(QWidget):
    """The lanes; see the module docstring."""

    function_activated = Signal(object)       #: FuncKey of the clicked segment

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumHeight(AXIS_HEIGHT + LANE_HEIGHT)
        self.timeline: Optional[Timeline] = None
        self._starts: List[List[int]] = []
        self.view = (0, 1)                     # visible ns range
        self.color_by_module = False
        self._colors: Dict[str, QColor] = {}
        self._rgba_cache: Dict[tuple, int] = {}
        self._drag: Optional[Tuple[int, Tuple[int, int]]] = None

    # -- data -------------------------------------------------------------------------------
    def set_timeline(self, timeline: Optional[Timeline]) -> None:
        self.timeline = timeline
        self._starts = [[s.start_ns for s in lane.segments] for lane in
                        (timeline.lanes if timeline else [])]
        self.view = (0, max(timeline.end_ns if timeline else 1, 1))
        lanes = len(timeline.lanes) if timeline else 1
        self.setMinimumHeight(AXIS_HEIGHT + LANE_HEIGHT * max(lanes, 1))
        self.update()

    def segment_at(self, lane_index: int, at_ns: int) -> Optional[Segment]:
        starts = self._starts[lane_index]
        i = bisect.bisect_right(starts, at_ns) - 1
        if i >= 0:
            segment = self.timeline.lanes[lane_index].segments[i]
            if at_ns < segment.end_ns:
                return segment
        return None

    # -- geometry ---------------------------------------------------------------------------
    def _plot_width(self) -> int:
        return max(self.width() - LABEL_WIDTH, 1)

    def time_at(self, x: int) -> float:
        v0, v1 = self.view
        return v0 + (x - LABEL_WIDTH) * (v1 - v0) / self._plot_width()

    def x_of(self, at_ns: float) -> int:
        v0, v1 = self.view
        return LABEL_WIDTH + int((at_ns - v0) * self._plot_width() / max(v1 - v0, 1))

    def lane_at(self, y: int) -> Optional[int]:
        if self.timeline is None or y < AXIS_HEIGHT:
            return None
        index = (y - AXIS_HEIGHT) // LANE_HEIGHT
        return index if index < len(self.timeline.lanes) else None

    def zoom(self, factor: float, around_ns: Optional[float] = None) -> None:
        if self.timeline is None:
            return
        v0, v1 = self.view
        around = (v0 + v1) / 2 if around_ns is None else around_ns
        span = max((v1 - v0) * factor, 1000)        # 1 µs at the most zoomed in
        full = max(self.timeline.end_ns, 1)
        span = min(span, full)
        left = around - (around - v0) * span / (v1 - v0)
        left = min(max(left, 0), full - span)
        self.view = (int(left), int(left + span))
        self.update()

    # -- colours ----------------------------------------------------------------------------
    def _rgba(self, segment: Segment) -> int:
        key = (segment.function, segment.waiting, self.color_by_module)
        value = self._rgba_cache.get(key)
        if value is None:
            value = self._rgba_cache[key] = self.color_of(segment).rgba()
        return value

    def color_of(self, segment: Segment) -> QColor:
        if segment.waiting:
            return _WAITING
        if segment.function is None:
            return _OTHER
        name = _module_of(segment.function) if self.color_by_module else \
            f"{segment.function[0]}:{segment.function[2]}"
        color = self._colors.get(name)
        if color is None:
            hue = (sum(ord(c) * 131 for c in name) * 2654435761) % 360
            color = self._colors[name] = QColor.fromHsv(hue, 110, 235)
        return color

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event):  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.base())
        if self.timeline is None or not self.timeline.lanes:
            painter.drawText(self.rect(), Qt.AlignCenter,
                             _("No timeline: this run has no stack samples."))
            return
        self._paint_axis(painter)
        width = self._plot_width()
        v0, v1 = self.view
        per_px = (v1 - v0) / width
        for index, lane in enumerate(self.timeline.lanes):
            top = AXIS_HEIGHT + index * LANE_HEIGHT
            if top > event.rect().bottom():
                break
            painter.setPen(palette.text().color())
            painter.drawText(QRect(4, top, LABEL_WIDTH - 8, LANE_HEIGHT),
                             Qt.AlignVCenter | Qt.AlignLeft,
                             painter.fontMetrics().elidedText(
                                 f"{lane.role} · {lane.thread}", Qt.ElideRight,
                                 LABEL_WIDTH - 8))
            # Pixel centres go left to right: walk the segments with them, one colour per
            # pixel into a one-row image, stretched to the lane's height.
            segments, starts = lane.segments, self._starts[index]
            k = max(bisect.bisect_right(starts, int(v0)) - 1, 0)
            row = array("I", bytes(4 * width))
            first, last = lane.start_ns, lane.end_ns
            n = len(segments)
            rgba = self._rgba
            for px in range(width):
                at = v0 + (px + 0.5) * per_px
                if first <= at <= last:
                    while k + 1 < n and starts[k + 1] <= at:
                        k += 1
                    if n and segments[k].start_ns <= at < segments[k].end_ns:
                        row[px] = rgba(segments[k])
                    else:
                        row[px] = _WAITING_RGBA
            image = QImage(row.tobytes(), width, 1, QImage.Format_ARGB32)
            painter.drawImage(QRect(LABEL_WIDTH, top + 2, width, LANE_HEIGHT - 4), image)
            painter.setPen(QPen(palette.mid().color()))
            painter.drawLine(LABEL_WIDTH, top + LANE_HEIGHT - 1, self.width(),
                             top + LANE_HEIGHT - 1)

    def _paint_axis(self, painter: QPainter) -> None:
        v0, v1 = self.view
        span = max(v1 - v0, 1)
        step = 10 ** (len(str(int(span))) - 1)
        while span / step < 4:
            step //= 2 if step > 1 else 1
            if step <= 1:
                break
        while span / step > 10:
            step *= 2
        painter.setPen(self.palette().text().color())
        tick = (v0 // step + 1) * step
        while tick < v1:
            x = self.x_of(tick)
            painter.drawLine(x, AXIS_HEIGHT - 4, x, AXIS_HEIGHT)
            painter.drawText(x + 2, AXIS_HEIGHT - 5, format_ns(int(tick)))
            tick += step

    # -- interaction ------------------------------------------------------------------------
    def wheelEvent(self, event):  # noqa: N802 - Qt API
        steps = event.angleDelta().y() / 120.0
        if not steps:
            return
        x = event.position().x() if hasattr(event, "position") else event.x()
        self.zoom(0.8 ** steps, self.time_at(int(x)))

    def mousePressEvent(self, event):  # noqa: N802 - Qt API
        if event.button() == Qt.LeftButton:
            self._drag = (event.x(), self.view)
            self._moved = False

    def mouseMoveEvent(self, event):  # noqa: N802 - Qt API
        if self._drag is not None and event.buttons() & Qt.LeftButton:
            x0, (v0, v1) = self._drag
            if abs(event.x() - x0) > 3:
                self._moved = True
            shift = (x0 - event.x()) * (v1 - v0) / self._plot_width()
            full = self.timeline.end_ns if self.timeline else 1
            shift = min(max(shift, -v0), full - v1)
            self.view = (int(v0 + shift), int(v1 + shift))
            self.update()
            return
        self._show_tip(event.pos())

    def mouseReleaseEvent(self, event):  # noqa: N802 - Qt API
        moved = getattr(self, "_moved", False)
        self._drag = None
        if event.button() == Qt.LeftButton and not moved:
            segment = self._segment_under(event.pos())
            if segment is not None and segment.function is not None:
                self.function_activated.emit(segment.function)

    def _segment_under(self, pos: QPoint) -> Optional[Segment]:
        index = self.lane_at(pos.y())
        if index is None or pos.x() < LABEL_WIDTH:
            return None
        return self.segment_at(index, int(self.time_at(pos.x())))

    def _show_tip(self, pos: QPoint) -> None:
        index = self.lane_at(pos.y())
        segment = self._segment_under(pos)
        if index is None or segment is None:
            QToolTip.hideText()
            return
        lane: Lane = self.timeline.lanes[index]
        stack = "\n".join(f"  {name}  ({file}:{line})" for file, line, name in
                          reversed(segment.stack[-12:]))
        state = _("waiting") if segment.waiting else _("busy")
        text = (f"{lane.label}\n{format_ns(segment.start_ns)} – {format_ns(segment.end_ns)}"
                f" ({format_ns(segment.duration_ns)}, {state})\n{stack}")
        QToolTip.showText(self.mapToGlobal(pos), text, self)


class TimelineView(QWidget):
    """The summary line above the lanes; :meth:`load` reads a kept run's samples in a
    thread (a run of many processes has many samples to read)."""

    function_activated = Signal(object)
    _loaded = Signal(str, object, str)          # run id, Timeline or None, error

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.canvas = TimelineCanvas(self)
        self.canvas.function_activated.connect(self.function_activated)
        self.run_id: Optional[str] = None      # the run shown (or being read)
        self._loaded.connect(self._on_loaded)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.canvas, 1)

    def load(self, store, record) -> None:
        """Show ``record``'s timeline once its samples are read (not on the GUI thread)."""
        if record is None:
            self.run_id = None
            self.set_timeline(None)
            return
        if record.id == self.run_id:
            return
        self.run_id = record.id
        self.summary.setText(_("Reading the stack samples…"))
        self.canvas.set_timeline(None)

        def read(run_id=record.id):
            try:
                self._loaded.emit(run_id, run_timeline(store, record), "")
            except Exception as error:   # a damaged samples file: say so, in one line
                self._loaded.emit(run_id, None, str(error))
        threading.Thread(target=read, daemon=True, name="spyder-callgrind timeline").start()

    def _on_loaded(self, run_id: str, timeline, error: str) -> None:
        if run_id != self.run_id:
            return
        self.set_timeline(timeline)
        if error:
            self.summary.setText(_("No timeline: {}").format(error))

    def set_timeline(self, timeline: Optional[Timeline]) -> None:
        self.canvas.set_timeline(timeline)
        if timeline is None or not timeline.lanes:
            self.summary.setText(_("No timeline: this run has no stack samples "
                                   "(profile with sampling on: mode \"exact + sampled\" or "
                                   "\"sampled\")."))
        else:
            self.summary.setText(summarize(timeline).text())
