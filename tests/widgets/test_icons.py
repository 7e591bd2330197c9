"""The plugin's painted icons: distinct from Spyder's Profile button, visible on light and
dark toolbars at the sizes toolbars use."""

import pytest
from qtpy.QtCore import Qt
from qtpy.QtGui import QColor, QImage, QPainter

from spyder_callgrind.widgets.icons import callgrind_icon, edges_icon, waiting_icon


def on_background(icon, size, background):
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(QColor(background))
    painter = QPainter(image)
    icon.paint(painter, 0, 0, size, size)
    painter.end()
    return image


def contrast_pixels(image, background):
    """Pixels that differ clearly from ``background`` (sum of channel differences)."""
    back = QColor(background)
    count = 0
    for x in range(image.width()):
        for y in range(image.height()):
            c = QColor(image.pixel(x, y))
            if abs(c.red() - back.red()) + abs(c.green() - back.green()) + \
                    abs(c.blue() - back.blue()) > 120:
                count += 1
    return count


@pytest.mark.parametrize("size", [16, 20, 24])
@pytest.mark.parametrize("background", ["#19232d", "#ffffff", "#f0f0f0"])
def test_callgrind_icon_visible_on_dark_and_light_toolbars(qtbot, size, background):
    image = on_background(callgrind_icon(), size, background)
    assert contrast_pixels(image, background) >= size * size // 4


def test_callgrind_icon_differs_from_spyders_profiler_icon(qtbot):
    spyder_icons = pytest.importorskip("spyder.utils.icon_manager")
    profiler = spyder_icons.ima.icon("profiler")
    ours = callgrind_icon()
    for size in (16, 24):
        a = on_background(ours, size, "#19232d")
        b = on_background(profiler, size, "#19232d")
        differing = sum(1 for x in range(size) for y in range(size)
                        if a.pixel(x, y) != b.pixel(x, y))
        assert differing > size * size // 3


def test_palette_icons_follow_the_given_colour(qtbot):
    for make in (waiting_icon, edges_icon):
        for colour in ("#000000", "#ffffff"):
            image = on_background(make(QColor(colour)), 16, Qt.transparent)
            opaque = [QColor.fromRgba(image.pixel(x, y)) for x in range(16) for y in range(16)
                      if QColor.fromRgba(image.pixel(x, y)).alpha() > 200]
            assert opaque and all(c.name() == colour for c in opaque)
