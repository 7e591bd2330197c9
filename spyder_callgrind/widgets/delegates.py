"""Item delegates shared by the tables: a share-of-time bar, text elided in the middle."""

from __future__ import annotations

from qtpy.QtCore import QRect, Qt
from qtpy.QtGui import QColor, QPalette
from qtpy.QtWidgets import QStyle, QStyledItemDelegate

from spyder_callgrind.widgets.columns import Role


class HeatBarDelegate(QStyledItemDelegate):
    """Draws a bar behind a time cell, as long as the cell's share (:attr:`Role.HEAT`).

    The bar is the palette's highlight colour made translucent, so the text on it keeps the
    contrast of the theme in light and dark palettes alike. Selected cells get no bar: the
    selection colour already fills them.
    """

    ALPHA = 70

    def paint(self, painter, option, index):
        fraction = index.data(Role.HEAT)
        if fraction and not option.state & QStyle.State_Selected:
            color = QColor(option.palette.color(QPalette.Highlight))
            color.setAlpha(self.ALPHA)
            rect = QRect(option.rect)
            rect.setWidth(max(1, int(rect.width() * min(1.0, float(fraction)))))
            painter.fillRect(rect, color)
        super().paint(painter, option, index)


class ElidingDelegate(QStyledItemDelegate):
    """Elides a cell's text in the middle (file paths: both ends say something)."""

    def initStyleOption(self, option, index):
        super().initStyleOption(option, index)
        option.textElideMode = Qt.ElideMiddle
