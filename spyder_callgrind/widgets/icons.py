"""Icons of the plugin, painted with QPainter (no image files to ship or theme).

:func:`callgrind_icon` is a small flame graph: three stacked bars, widest at the bottom, in
warm colours with a dark outline, so it reads at 16 px on light and dark toolbars alike and
does not look like Spyder's own Profile button (a stopwatch). :func:`waiting_icon` is an
hourglass in the palette's text colour, for functions that wait.
"""

from __future__ import annotations

from qtpy.QtCore import QRectF, Qt
from qtpy.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

#: Sizes painted into each icon (Qt picks the nearest for the toolbar's icon size).
ICON_SIZES = (16, 20, 24, 32, 48, 64)

#: Bottom to top: (left, width) as fractions of the icon, and the fill colour.
_FLAME_BARS = (
    (0.06, 0.88, "#d9480f"),
    (0.06, 0.62, "#f08c00"),
    (0.40, 0.54, "#f59f00"),
    (0.06, 0.34, "#fcc419"),
)
_OUTLINE = "#3b1f0b"


def _flame_pixmap(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    rows = len(_FLAME_BARS)
    gap = max(1.0, size / 16)
    bar = (size - gap * (rows + 1)) / rows
    pen = QPen(QColor(_OUTLINE), max(1.0, size / 16))
    pen.setJoinStyle(Qt.MiterJoin)
    painter.setPen(pen)
    for row, (left, width, colour) in enumerate(_FLAME_BARS):
        top = size - gap - (row + 1) * bar - row * gap
        rect = QRectF(left * size + 0.5, top + 0.5, width * size - 1, bar - 1)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(rect, size / 24, size / 24)
    painter.end()
    return pixmap


def callgrind_icon() -> QIcon:
    """The plugin's icon: a small flame graph."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(_flame_pixmap(size))
    return icon


def _hourglass_pixmap(size: int, colour: QColor) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
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
    painter.end()
    return pixmap


def waiting_icon(colour: QColor) -> QIcon:
    """An hourglass in ``colour`` (give the palette's text colour)."""
    icon = QIcon()
    for size in ICON_SIZES[:4]:
        icon.addPixmap(_hourglass_pixmap(size, QColor(colour)))
    return icon


def _edges_pixmap(size: int, colour: QColor) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    pen = QPen(colour, max(1.0, size / 16))
    painter.setPen(pen)
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
    painter.end()
    return pixmap


def edges_icon(colour: QColor) -> QIcon:
    """A table with a lower part split in two (callers | callees), in ``colour``."""
    icon = QIcon()
    for size in ICON_SIZES[:4]:
        icon.addPixmap(_edges_pixmap(size, QColor(colour)))
    return icon
