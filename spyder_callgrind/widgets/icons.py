"""Icons of the plugin, painted with QPainter (no image files to ship or theme).

:func:`callgrind_icon` is a small flame graph: rows of bars, widest at the bottom, in warm
colours with darker edges, so it reads at 16 px on light and dark toolbars alike and does
not look like Spyder's own Profile button (a stopwatch). :func:`waiting_icon` is an
hourglass in the palette's text colour, for functions that wait.
"""

from __future__ import annotations

from typing import Callable

from qtpy.QtCore import QRectF, Qt
from qtpy.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

#: Sizes painted into each icon (Qt picks the nearest for the toolbar's icon size).
ICON_SIZES = (16, 20, 24, 32, 48, 64)
#: Sizes of the icons drawn inside tables and buttons.
SMALL_ICON_SIZES = (16, 20, 24, 32)

#: Bottom to top, the bars of each row: (left, width) as fractions of the icon, and the
#: row's colour. Bright warm colours read on dark toolbars; each bar's darker edge keeps
#: the yellow top visible on light ones.
_FLAME_ROWS = (
    (((0.0, 1.0),), "#e8590c"),
    (((0.0, 0.58), (0.62, 0.38)), "#fd7e14"),
    (((0.0, 0.40),), "#fcc419"),
)


def _painted_icon(draw: Callable[[QPainter, int], None], sizes=ICON_SIZES) -> QIcon:
    """An icon with one pixmap per size in ``sizes``, each painted by ``draw(painter,
    size)`` on a transparent square."""
    icon = QIcon()
    for size in sizes:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.transparent)
        painter = QPainter(pixmap)
        draw(painter, size)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def _draw_flame(painter: QPainter, size: int) -> None:
    rows = len(_FLAME_ROWS)
    gap = 1 if size < 32 else 2
    bar = (size - gap * (rows - 1)) / rows
    for row, (bars, colour) in enumerate(_FLAME_ROWS):
        top = size - (row + 1) * bar - row * gap
        fill = QColor(colour)
        painter.setPen(QPen(fill.darker(170), 1))
        painter.setBrush(fill)
        for left, width in bars:
            painter.drawRect(QRectF(left * size + 0.5, top + 0.5,
                                    width * size - 1, bar - 1))


def callgrind_icon() -> QIcon:
    """The plugin's icon: a small flame graph."""
    return _painted_icon(_draw_flame)


def waiting_icon(colour: QColor) -> QIcon:
    """An hourglass in ``colour`` (give the palette's text colour)."""
    colour = QColor(colour)

    def draw(painter: QPainter, size: int) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        m = size * 0.2
        path = QPainterPath()
        path.moveTo(m, m)
        path.lineTo(size - m, m)
        path.lineTo(size / 2 + size * 0.04, size / 2)
        path.lineTo(size - m, size - m)
        path.lineTo(m, size - m)
        path.lineTo(size / 2 - size * 0.04, size / 2)
        path.closeSubpath()
        painter.setPen(QPen(colour, max(1.0, size / 14)))
        sand = QColor(colour)
        sand.setAlpha(110)
        painter.setBrush(sand)
        painter.drawPath(path)

    return _painted_icon(draw, SMALL_ICON_SIZES)


def edges_icon(colour: QColor) -> QIcon:
    """A table with a lower part split in two (callers | callees), in ``colour``."""
    colour = QColor(colour)

    def draw(painter: QPainter, size: int) -> None:
        painter.setPen(QPen(colour, max(1.0, size / 16)))
        m = size * 0.12
        frame = QRectF(m, m, size - 2 * m, size - 2 * m)
        painter.drawRect(frame)
        split = frame.top() + frame.height() * 0.5
        painter.drawLine(int(frame.left()), int(split), int(frame.right()), int(split))
        painter.drawLine(int(frame.center().x()), int(split), int(frame.center().x()),
                         int(frame.bottom()))
        faint = QColor(colour)
        faint.setAlpha(120)
        painter.fillRect(QRectF(frame.left(), split, frame.width(), frame.bottom() - split),
                         faint)

    return _painted_icon(draw, SMALL_ICON_SIZES)
