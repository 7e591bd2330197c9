"""The differential flame graph: the newer run's flame graph coloured by how each frame moved.

Slower frames are red, faster ones blue, the deeper the colour the larger the change (of
inclusive time, against the older run's frame at the same path, see
:mod:`spyder_callgrind.engine.flamediff`); unchanged frames are grey. Widths are the newer
run's times. Zoom, search and hover work as in :class:`FlameGraphView`, whose drawing this
reuses: only the colours and the hover text differ.
"""

from __future__ import annotations

from typing import Optional

from qtpy.QtCore import Qt
from qtpy.QtGui import QColor
from qtpy.QtWidgets import QWidget

from spyder_callgrind.engine.flamediff import (
    APPROXIMATE_NOTE, FASTER, NEW, SLOWER, StackDiff, diff_rebuilt_stacks)
from spyder_callgrind.engine.model import ProfileData, format_ns
from spyder_callgrind.engine.stacks import StackNode
from spyder_callgrind.widgets.flamegraph import FlameCanvas, FlameGraphView
from spyder_callgrind.widgets.i18n import _

_SLOWER_HUE = 2
_FASTER_HUE = 216
_UNCHANGED = QColor(212, 212, 208)
#: Legend swatches (the colour of a large change).
_SWATCHES = ((_("slower"), "#e8584f"), (_("faster"), "#4f86e8"), (_("unchanged"), "#d4d4d0"))


def change_color(diff: StackDiff, node: StackNode) -> QColor:
    """Red for slower, blue for faster, deeper for a larger change; grey when unchanged."""
    change = diff.change_of(node)
    if change.status not in (SLOWER, FASTER, NEW):
        return _UNCHANGED
    # Square root: a change a quarter of the largest one is still clearly coloured.
    share = min(1.0, abs(change.change_ns) / diff.max_change_ns) ** 0.5
    hue = _FASTER_HUE if change.status == FASTER else _SLOWER_HUE
    # Light enough at full strength for the dark label text to stay readable.
    return QColor.fromHsv(hue, int(45 + 150 * share), int(248 - 16 * share))


class DiffFlameCanvas(FlameCanvas):
    """A :class:`FlameCanvas` coloured by change when it has a :class:`StackDiff`."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self._diff: Optional[StackDiff] = None

    def set_diff(self, diff: Optional[StackDiff]) -> None:
        """Colour by ``diff``, whose tree :meth:`set_tree` must show (None: by module)."""
        self._diff = diff
        self.update()

    def stack_diff(self) -> Optional[StackDiff]:
        return self._diff

    def color_of(self, node: StackNode) -> QColor:
        if self._diff is None:
            return super().color_of(node)
        return change_color(self._diff, node)

    def describe(self, node: StackNode) -> dict:
        """As :meth:`FlameCanvas.describe`, plus ``before_ns``, ``change_ns``, ``status``
        and a line in ``text`` saying how the frame moved."""
        info = super().describe(node)
        if self._diff is None:
            return info
        change = self._diff.change_of(node)
        info.update(before_ns=change.before_ns, change_ns=change.change_ns,
                    status=change.status)
        if change.status == NEW:
            line = _("New in this run")
        else:
            percent = change.percent
            line = _("Before: {before} \u2192 {after} ({sign}{change}{percent}), {status}") \
                .format(before=format_ns(change.before_ns), after=format_ns(change.after_ns),
                        sign="+" if change.change_ns > 0 else "",
                        change=format_ns(change.change_ns),
                        percent="" if percent is None else f", {percent:+.0f}%",
                        status=_(change.status))
        info["text"] += "<br>" + line
        return info


class DiffFlameGraphView(FlameGraphView):
    """The newer of two runs as a flame graph coloured by change against the older one.

    :meth:`set_profiles` compares two profiles (stacks rebuilt from totals, so the view
    says it is approximate); :meth:`set_stack_diff` shows a comparison already made, e.g.
    of sampled stacks.
    """

    canvas_class = DiffFlameCanvas

    def __init__(self, parent: Optional[QWidget] = None,
                 min_fraction: float = 0.001, max_depth: int = 96):
        super().__init__(parent, min_fraction=min_fraction, max_depth=max_depth)
        self.color_box.hide()           # the colour says the change here
        self.note_label.setTextFormat(Qt.RichText)
        self._show_note(None)

    def set_profiles(self, before: Optional[ProfileData],
                     after: Optional[ProfileData]) -> None:
        """Compare ``before`` with ``after`` and show ``after`` (None for either clears)."""
        diff = None
        if before is not None and after is not None and len(before) and len(after):
            diff = diff_rebuilt_stacks(before, after, min_fraction=self._min_fraction,
                                       max_depth=self._max_depth)
        self.set_stack_diff(after if diff is not None else None, diff)

    def set_stack_diff(self, data: Optional[ProfileData], diff: Optional[StackDiff]) -> None:
        """Show ``diff`` (whose tree's frames index ``data``'s functions); None clears."""
        self.canvas.set_diff(diff)
        self.canvas.set_tree(data, diff.tree if diff is not None else None)
        self._update_matches()
        self._show_note(diff)

    def set_profile(self, data: Optional[ProfileData], root: Optional[int] = None) -> None:
        """One profile, nothing to compare: coloured by module (None clears)."""
        self.canvas.set_diff(None)
        super().set_profile(data, root)
        self._show_note(None)

    def stack_diff(self) -> Optional[StackDiff]:
        return self.canvas.stack_diff()

    def _show_note(self, diff: Optional[StackDiff]) -> None:
        legend = "&nbsp;&nbsp;".join(
            f"<span style='color:{colour}'>\u25a0</span>&nbsp;{name}"
            for name, colour in _SWATCHES)
        parts = [legend, _("widths: the newer run")]
        if diff is None or diff.approximate:
            parts.append(_(APPROXIMATE_NOTE))
        else:
            parts.append(_("real stacks, sampled in both runs"))
        self.note_label.setText(" \u00b7 ".join(parts))
