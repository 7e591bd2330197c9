"""An icicle-style flame graph of one profile, painted natively with QPainter.

The stack tree comes from :func:`spyder_callgrind.engine.stacks.build_stack_tree` (rebuilt
from caller/callee totals, so approximate: the view says so in a note). The root is at the
top; each row is one level deeper; a frame's width is its share of the frame shown at the top.

Interaction: click a frame to zoom into it; click the top frame, a frame above it, a
breadcrumb, right-click or press Backspace to zoom out one level; Esc shows the whole tree again.
Hovering shows the frame's name, time, percentages and calls (:meth:`FlameCanvas.hover_info`
gives the same as a dict). Double-click asks to open the function's source.
"""

from __future__ import annotations

import html
import os
import zlib
from typing import Dict, List, Optional, Tuple

from qtpy.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from qtpy.QtGui import QColor, QFont, QPainter, QPen
from qtpy.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QScrollArea, QSizePolicy, QToolButton,
    QToolTip, QVBoxLayout, QWidget)

from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.engine.model import format_ns
from spyder_callgrind.engine.stacks import (
    APPROXIMATION_NOTE, StackNode, build_stack_tree, is_sampled, stack_note)
from spyder_callgrind.widgets.i18n import _

#: Colour modes.
COLOR_BY_MODULE = "module"
COLOR_BY_SELF = "self"

ROW_HEIGHT = 20
#: Frames narrower than this (in pixels) are not drawn, nor anything below them.
MIN_FRAME_PX = 0.75
#: Frames narrower than this get no label.
MIN_LABEL_PX = 8
#: Space between a frame's edge and its label (px).
LABEL_MARGIN_PX = 3

_BUILTIN_COLOR = QColor.fromHsv(212, 30, 222)
_MATCH_COLOR = QColor(214, 62, 196)
_BACKGROUND = QColor(252, 252, 250)


def _module_of(function) -> str:
    if function.is_builtin:
        return ""
    return os.path.splitext(os.path.basename(function.file))[0] or function.file


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole > 0 else 0.0


class FlameCanvas(QWidget):
    """The painted flame graph. Positions given to its methods are in its own coordinates."""

    #: The frame shown at the top changed (the new top :class:`StackNode`).
    zoom_changed = Signal(object)
    #: A frame was clicked (function index).
    function_selected = Signal(int)
    #: A frame was double-clicked: open its source (function index).
    function_activated = Signal(int)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self._data: Optional[ProfileData] = None
        self._tree: Optional[StackNode] = None
        self._top: Optional[StackNode] = None
        self._color_mode = COLOR_BY_MODULE
        self._search = ""
        self._matches: set = set()
        self._hovered: Optional[StackNode] = None
        self._max_self = 1
        self._sampled = False
        self._layout_cache: Optional[Tuple[tuple, List[Tuple[QRectF, StackNode]]]] = None
        self._colors: Dict[str, QColor] = {}
        self._update_height()

    # -- content --------------------------------------------------------------------------
    def set_tree(self, data: Optional[ProfileData], tree: Optional[StackNode]) -> None:
        """Show ``tree`` (built from ``data``); None clears the view."""
        self._data, self._tree, self._top = data, tree, tree
        #: sampled stacks carry times, not call counts
        self._sampled = data is not None and is_sampled(data)
        self._hovered = None
        self._max_self = max((n.self_ns for n in tree.walk() if n.function >= 0),
                             default=1) if tree is not None else 1
        self._max_self = max(self._max_self, 1)
        self._recompute_matches()
        self._changed()
        self.zoom_changed.emit(self._top)

    def tree(self) -> Optional[StackNode]:
        return self._tree

    def visible_root(self) -> Optional[StackNode]:
        """The frame shown at the top, full width."""
        return self._top

    # -- zoom -----------------------------------------------------------------------------
    def zoom_to(self, node: Optional[StackNode]) -> None:
        if node is None or self._tree is None or node is self._top:
            return
        self._top = node
        self._hovered = None
        self._changed()
        self.zoom_changed.emit(node)

    def zoom_out(self) -> None:
        """Show the parent of the top frame."""
        if self._top is not None and self._top.parent is not None:
            self.zoom_to(self._top.parent)

    def reset_zoom(self) -> None:
        self.zoom_to(self._tree)

    # -- colour and search ----------------------------------------------------------------
    def set_color_mode(self, mode: str) -> None:
        if mode not in (COLOR_BY_MODULE, COLOR_BY_SELF):
            raise ValueError(f"unknown colour mode {mode!r}")
        self._color_mode = mode
        self.update()

    def color_mode(self) -> str:
        return self._color_mode

    def set_search(self, text: str) -> None:
        """Highlight frames whose function name contains ``text`` (case-insensitive)."""
        self._search = text.strip().lower()
        self._recompute_matches()
        self.update()

    def matches(self) -> List[StackNode]:
        """Frames matching the search, in tree order."""
        if self._tree is None:
            return []
        return [n for n in self._tree.walk() if id(n) in self._matches]

    def matched_ns(self) -> int:
        """Time of the matching frames, each counted once (not again below a match)."""
        if self._tree is None or not self._matches:
            return 0
        total, pending = 0, [self._tree]
        while pending:
            node = pending.pop()
            if id(node) in self._matches:
                total += node.inclusive_ns
            else:
                pending.extend(node.children)
        return total

    def _recompute_matches(self) -> None:
        self._matches = set()
        if self._tree is not None and self._search:
            self._matches = {id(n) for n in self._tree.walk()
                             if n.function >= 0 and self._search in n.name.lower()}

    # -- geometry -------------------------------------------------------------------------
    def _changed(self) -> None:
        self._layout_cache = None
        self._update_height()
        self.update()

    def _rows(self) -> int:
        if self._top is None:
            return 1
        return self._top.depth + self._top.max_depth() + 1

    def _update_height(self) -> None:
        self.setMinimumHeight(self._rows() * ROW_HEIGHT + 1)

    def sizeHint(self) -> QSize:
        return QSize(600, self._rows() * ROW_HEIGHT + 1)

    def frames(self) -> List[Tuple[QRectF, StackNode]]:
        """(rectangle, node) of every drawn frame: the ones above the top, then the top's."""
        width = float(max(self.width(), 1))
        key = (id(self._top), width)
        if self._layout_cache is not None and self._layout_cache[0] == key:
            return self._layout_cache[1]
        found: List[Tuple[QRectF, StackNode]] = []
        if self._top is not None:
            for node in self._top.path()[:-1]:
                found.append((QRectF(0, node.depth * ROW_HEIGHT, width, ROW_HEIGHT), node))
            scale = width / max(self._top.inclusive_ns, 1)
            pending = [(self._top, 0.0)]
            while pending:
                node, x = pending.pop()
                w = node.inclusive_ns * scale if node is not self._top else width
                if w < MIN_FRAME_PX:
                    continue
                found.append((QRectF(x, node.depth * ROW_HEIGHT, w, ROW_HEIGHT), node))
                child_x = x
                for child in node.children:
                    pending.append((child, child_x))
                    child_x += child.inclusive_ns * scale
        self._layout_cache = (key, found)
        return found

    def node_at(self, pos) -> Optional[StackNode]:
        """The frame under ``pos`` (a QPoint/QPointF in this widget), or None."""
        point = QPointF(pos)
        row = int(point.y() // ROW_HEIGHT)
        for rect, node in self.frames():
            if node.depth == row and rect.left() <= point.x() < rect.right():
                return node
        return None

    def frame_rect(self, node: StackNode) -> Optional[QRectF]:
        """Where ``node`` is drawn, or None when it is not drawn."""
        for rect, drawn in self.frames():
            if drawn is node:
                return rect
        return None

    # -- hover ----------------------------------------------------------------------------
    def hover_info(self, pos) -> Optional[dict]:
        """What hovering at ``pos`` shows, as a dict; None over empty space.

        Keys: name, function (index), file, line, location, inclusive_ns, self_ns, calls,
        percent_total (of the whole tree), percent_parent, percent_view (of the top frame),
        depth, text (the tooltip).
        """
        node = self.node_at(pos)
        if node is None:
            return None
        return self.describe(node)

    def describe(self, node: StackNode) -> dict:
        whole = self._tree.inclusive_ns if self._tree is not None else 0
        parent = node.parent.inclusive_ns if node.parent is not None else node.inclusive_ns
        info = {
            "name": node.name,
            "function": node.function,
            "file": "",
            "line": 0,
            "location": "",
            "inclusive_ns": node.inclusive_ns,
            "self_ns": node.self_ns,
            "calls": node.calls,
            "percent_total": _percent(node.inclusive_ns, whole),
            "percent_parent": _percent(node.inclusive_ns, parent),
            "percent_view": _percent(node.inclusive_ns, self._top.inclusive_ns
                                     if self._top is not None else 0),
            "depth": node.depth,
        }
        if node.function >= 0 and self._data is not None:
            f = self._data.functions[node.function]
            info.update(file=f.file, line=f.line,
                        location=_("built-in") if f.is_builtin
                        else f"{os.path.basename(f.file)}:{f.line}")
        lines = [f"<b>{html.escape(node.name)}</b>"]
        if info["location"]:
            lines.append(html.escape(info["location"]))
        lines.append(_("Time: {time} ({percent:.1f}% of total, {parent:.1f}% of caller)")
                     .format(time=format_ns(node.inclusive_ns),
                             percent=info["percent_total"], parent=info["percent_parent"]))
        lines.append(_("Self: {time}").format(time=format_ns(node.self_ns)))
        if node.function >= 0 and not self._sampled:
            lines.append(_("Calls: {calls}").format(calls=f"{node.calls:,}"))
        info["text"] = "<br>".join(lines)
        return info

    # -- colours --------------------------------------------------------------------------
    def color_of(self, node: StackNode) -> QColor:
        if node.function < 0 or self._data is None:
            return QColor(214, 214, 210)
        if self._color_mode == COLOR_BY_SELF:
            share = (node.self_ns / self._max_self) ** 0.5
            # From pale yellow (little self time) to strong red (the most).
            return QColor.fromHsv(int(52 - 52 * share), int(60 + 170 * share),
                                  int(250 - 25 * share))
        function = self._data.functions[node.function]
        module = _module_of(function)
        if not module:
            return _BUILTIN_COLOR
        color = self._colors.get(module)
        if color is None:
            hue = zlib.crc32(module.encode("utf-8")) % 360
            color = QColor.fromHsv(hue, 72, 242)
            self._colors[module] = color
        return color

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        if self._top is None:
            painter.setPen(QColor(110, 110, 110))
            painter.drawText(self.rect(), Qt.AlignCenter, _("No profile to show"))
            return
        font = QFont(self.font())
        painter.setFont(font)
        metrics = painter.fontMetrics()
        exposed = QRectF(event.rect())
        top_depth = self._top.depth
        for rect, node in self.frames():
            if not rect.intersects(exposed):
                continue
            color = self.color_of(node)
            if self._matches:
                color = _MATCH_COLOR if id(node) in self._matches else \
                    QColor.fromHsv(color.hue(), color.saturation() // 4, 240)
            if node.depth < top_depth:           # above the zoomed frame: click to go up
                color = QColor.fromHsv(color.hue(), color.saturation() // 3, 226)
            box = rect.adjusted(0, 0, -1 if rect.width() > 2 else 0, -1)
            painter.fillRect(box, color)
            if node is self._hovered:
                painter.setPen(QPen(QColor(30, 30, 30), 1))
                painter.drawRect(box.adjusted(0, 0, -1, -1))
            if rect.width() >= MIN_LABEL_PX:
                text = self.label_of(node, metrics, rect.width())
                if not text:
                    continue
                painter.setPen(QColor(255, 255, 255) if id(node) in self._matches
                               else QColor(25, 25, 25))
                painter.drawText(box.adjusted(LABEL_MARGIN_PX, 0, -LABEL_MARGIN_PX, 0),
                                 Qt.AlignVCenter | Qt.AlignLeft, text)
        painter.end()

    def label_of(self, node: StackNode, metrics, width: float) -> str:
        """The text drawn in ``node``'s frame of ``width`` px: its name (with its time when
        it is the zoomed frame or above), elided to fit; "" when not even a few characters
        of it fit. A short name (``run``, ``f``) is drawn whole whenever it fits."""
        name = node.name if node.function >= 0 else _("all")
        text = name
        if node.depth <= (self._top.depth if self._top is not None else 0):
            text = f"{name}  ({format_ns(node.inclusive_ns)})"
        room = int(width) - 2 * LABEL_MARGIN_PX
        if room <= 0:
            return ""
        if metrics.horizontalAdvance(text) <= room:
            return text
        if metrics.horizontalAdvance(name) <= room:
            return name
        elided = metrics.elidedText(name, Qt.ElideRight, room)
        # an ellipsis alone, or with one letter, says nothing
        return elided if len(elided.rstrip("\u2026")) >= 2 else ""

    def resizeEvent(self, event) -> None:
        self._layout_cache = None
        super().resizeEvent(event)

    # -- mouse and keys -------------------------------------------------------------------
    def mouseMoveEvent(self, event) -> None:
        node = self.node_at(event.pos())
        if node is not self._hovered:
            self._hovered = node
            self.update()
        if node is None:
            QToolTip.hideText()
            self.setToolTip("")
        else:
            text = self.describe(node)["text"]
            self.setToolTip(text)
            QToolTip.showText(event.globalPos(), text, self)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        if self._hovered is not None:
            self._hovered = None
            self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.RightButton:
            self.zoom_out()
            return
        if event.button() != Qt.LeftButton:
            return super().mousePressEvent(event)
        node = self.node_at(event.pos())
        if node is None:
            return
        if node is self._top:
            self.zoom_out()
        else:
            self.zoom_to(node)
        if node.function >= 0:
            self.function_selected.emit(node.function)

    def mouseDoubleClickEvent(self, event) -> None:
        node = self.node_at(event.pos())
        if node is not None and node.function >= 0:
            self.function_activated.emit(node.function)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape:
            self.reset_zoom()
        elif event.key() == Qt.Key_Backspace:
            self.zoom_out()
        else:
            super().keyPressEvent(event)


class FlameGraphView(QWidget):
    """Flame graph with breadcrumbs, colour toggle, search box and the approximation note.

    Use :meth:`set_profile` to show a profile; the canvas is :attr:`canvas`.
    """

    zoom_changed = Signal(object)
    function_selected = Signal(int)
    function_activated = Signal(int)

    #: The canvas to paint with; a subclass may colour frames its own way (``color_of``).
    canvas_class = FlameCanvas

    def __init__(self, parent: Optional[QWidget] = None,
                 min_fraction: float = 0.001, max_depth: int = 96):
        super().__init__(parent)
        self._min_fraction = min_fraction
        self._max_depth = max_depth
        self.canvas = self.canvas_class(self)

        self.breadcrumbs = QLabel(self)
        self.breadcrumbs.setTextFormat(Qt.RichText)
        self.breadcrumbs.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.breadcrumbs.linkActivated.connect(self._breadcrumb_clicked)
        self.color_box = QComboBox(self)
        self.color_box.addItem(_("Colour by module"), COLOR_BY_MODULE)
        self.color_box.addItem(_("Colour by self time"), COLOR_BY_SELF)
        self.color_box.currentIndexChanged.connect(
            lambda n: self.canvas.set_color_mode(self.color_box.itemData(n)))
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText(_("Search functions"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self.set_search)
        self.search_box.returnPressed.connect(self.next_match)
        self.previous_button = QToolButton(self)
        self.previous_button.setArrowType(Qt.UpArrow)
        self.previous_button.setToolTip(_("Previous match (Shift+Enter)"))
        self.previous_button.clicked.connect(self.previous_match)
        self.next_button = QToolButton(self)
        self.next_button.setArrowType(Qt.DownArrow)
        self.next_button.setToolTip(_("Next match: zoom to it (Enter)"))
        self.next_button.clicked.connect(self.next_match)
        self._match_index = -1          # the match last zoomed to, in tree order
        self.match_label = QLabel(self)
        self.note_label = QLabel(APPROXIMATION_NOTE, self)
        self.note_label.setStyleSheet("color: gray; font-size: small;")

        bar = QHBoxLayout()
        bar.addWidget(self.breadcrumbs, 1)
        bar.addWidget(self.match_label)
        bar.addWidget(self.search_box)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.color_box)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.canvas)
        scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll_area = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.note_label)

        self.search_box.installEventFilter(self)
        self.canvas.zoom_changed.connect(self._zoomed)
        self.canvas.function_selected.connect(self.function_selected)
        self.canvas.function_activated.connect(self.function_activated)
        self._zoomed(None)

    # -- content --------------------------------------------------------------------------
    def set_profile(self, data: Optional[ProfileData], root: Optional[int] = None) -> None:
        """Show ``data`` (None clears); ``root``: start the stacks at this function index."""
        tree = None
        if data is not None and len(data):
            tree = build_stack_tree(data, min_fraction=self._min_fraction,
                                    max_depth=self._max_depth, root=root)
        self.canvas.set_tree(data, tree)
        self.note_label.setText(stack_note(data) if data is not None and len(data) else "")
        self._update_matches()

    def clear(self) -> None:
        self.set_profile(None)

    def tree(self) -> Optional[StackNode]:
        return self.canvas.tree()

    # -- delegated to the canvas ----------------------------------------------------------
    def visible_root(self) -> Optional[StackNode]:
        return self.canvas.visible_root()

    def zoom_to(self, node: StackNode) -> None:
        self.canvas.zoom_to(node)

    def zoom_out(self) -> None:
        self.canvas.zoom_out()

    def reset_zoom(self) -> None:
        self.canvas.reset_zoom()

    def set_color_mode(self, mode: str) -> None:
        self.color_box.setCurrentIndex(self.color_box.findData(mode))
        self.canvas.set_color_mode(mode)

    def color_mode(self) -> str:
        return self.canvas.color_mode()

    def set_search(self, text: str) -> None:
        if self.search_box.text() != text:
            self.search_box.setText(text)     # comes back here through textChanged
            return
        self.canvas.set_search(text)
        self._match_index = -1
        self._update_matches()

    def matches(self) -> List[StackNode]:
        return self.canvas.matches()

    def next_match(self) -> None:
        """Zoom to the next frame matching the search (after the last, the first)."""
        self._step_match(1)

    def previous_match(self) -> None:
        """Zoom to the previous frame matching the search (before the first, the last)."""
        self._step_match(-1)

    def _step_match(self, step: int) -> None:
        found = self.canvas.matches()
        if not found:
            return
        if self._match_index < 0 and step < 0:
            self._match_index = len(found) - 1
        else:
            self._match_index = (self._match_index + step) % len(found)
        self.canvas.zoom_to(found[self._match_index])
        self.scroll_area.verticalScrollBar().setValue(0)
        self._update_matches()

    def hover_info(self, pos) -> Optional[dict]:
        """See :meth:`FlameCanvas.hover_info`; ``pos`` is in canvas coordinates."""
        return self.canvas.hover_info(pos)

    def keyPressEvent(self, event) -> None:
        self.canvas.keyPressEvent(event)

    def eventFilter(self, watched, event) -> bool:
        # Shift+Enter in the search box: the previous match (Enter alone: returnPressed).
        if (watched is self.search_box and event.type() == QEvent.KeyPress
                and event.key() in (Qt.Key_Return, Qt.Key_Enter)
                and event.modifiers() & Qt.ShiftModifier):
            self.previous_match()
            return True
        return super().eventFilter(watched, event)

    # -- helpers --------------------------------------------------------------------------
    def _update_matches(self) -> None:
        tree = self.canvas.tree()
        if not self.search_box.text().strip() or tree is None:
            self.match_label.setText("")
            return
        count = len(self.canvas.matches())
        percent = _percent(self.canvas.matched_ns(), tree.inclusive_ns)
        if 0 <= self._match_index < count:
            self.match_label.setText(_("{index} of {count} frames, {percent:.1f}%").format(
                index=self._match_index + 1, count=count, percent=percent))
        else:
            self.match_label.setText(_("{count} frames, {percent:.1f}%").format(
                count=count, percent=percent))

    def _zoomed(self, top: Optional[StackNode]) -> None:
        if top is None:
            self.breadcrumbs.setText("")
        else:
            parts = []
            for node in top.path():
                name = html.escape(node.name if node.function >= 0 else _("all"))
                if len(name) > 40:
                    name = name[:37] + "..."
                if node is top:
                    parts.append(f"<b>{name}</b>")
                else:
                    parts.append(f'<a href="{node.depth}">{name}</a>')
            self.breadcrumbs.setText(" &rsaquo; ".join(parts))
        self.zoom_changed.emit(top)

    def _breadcrumb_clicked(self, link: str) -> None:
        top = self.canvas.visible_root()
        if top is None:
            return
        path = top.path()
        depth = int(link)
        if 0 <= depth < len(path):
            self.canvas.zoom_to(path[depth])
