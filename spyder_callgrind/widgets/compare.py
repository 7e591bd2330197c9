"""Comparison of two runs: a table of :class:`~spyder_callgrind.engine.diff.DiffRow`.

:class:`DiffTableModel` shows the rows of :func:`spyder_callgrind.engine.diff.diff_profiles`
(sorting uses the raw numbers, never the formatted text); :class:`CompareView` adds a title
with the totals, a filter box, the table and, in a second tab, the differential flame graph
(:class:`~spyder_callgrind.widgets.diffflame.DiffFlameGraphView`).
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Any, Callable, List, Optional, Sequence

from qtpy.QtCore import (
    QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal)
from qtpy.QtGui import QColor, QFont
from qtpy.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QTableView, QTabWidget,
    QVBoxLayout, QWidget)

from spyder_callgrind.engine.diff import ADDED, CHANGED, VANISHED, DiffRow, diff_profiles
from spyder_callgrind.engine.model import ProfileData, format_ns
from spyder_callgrind.widgets.columns import Column, ColumnModelMixin, Role
from spyder_callgrind.widgets.diffflame import DiffFlameGraphView
from spyder_callgrind.widgets.i18n import _

(COL_FUNCTION, COL_LOCATION, COL_STATUS, COL_SELF_BEFORE, COL_SELF_AFTER, COL_CHANGE,
 COL_RATIO, COL_INCL_BEFORE, COL_INCL_AFTER, COL_INCL_CHANGE, COL_CALLS_BEFORE,
 COL_CALLS_AFTER) = range(12)

_SLOWER = QColor(190, 30, 30)
_FASTER = QColor(20, 130, 50)
_STATUS_TEXT = {CHANGED: _("changed"), ADDED: _("added"), VANISHED: _("vanished")}
_BEFORE_COLUMNS = (COL_SELF_BEFORE, COL_INCL_BEFORE, COL_CALLS_BEFORE)
_AFTER_COLUMNS = (COL_SELF_AFTER, COL_INCL_AFTER, COL_CALLS_AFTER)


def _absent(row: DiffRow, column: int) -> bool:
    """The cell is about the run the function is missing from."""
    return (row.status == ADDED and column in _BEFORE_COLUMNS) or \
        (row.status == VANISHED and column in _AFTER_COLUMNS)


def _ratio_key(_model, row: DiffRow) -> float:
    # Sorts added functions above every slowdown and vanished ones below speedups.
    if row.status == ADDED:
        return math.inf
    if row.status == VANISHED:
        return -1.0
    return row.ratio if row.ratio is not None else math.inf


def _ratio_text(_model, row: DiffRow) -> str:
    if row.status == ADDED:
        return _("new")
    if row.status == VANISHED:
        return _("gone")
    return "\u2014" if row.ratio is None else f"\u00d7{row.ratio:.2f}"


def _change_colour(change: int) -> Optional[QColor]:
    return _SLOWER if change > 0 else _FASTER if change < 0 else None


def _italic_unless_changed(_model, row: DiffRow) -> Optional[QFont]:
    if row.status == CHANGED:
        return None
    font = QFont()
    font.setItalic(True)
    return font


def _name_tooltip(_model, row: DiffRow) -> str:
    return f"{row.name}\n{row.file}"


def _number(column: int, header: str, attribute: str, text: Callable[[Any], str],
            foreground=None, font=None) -> Column:
    """A numeric column showing ``row.<attribute>``; an em dash (in grey) for the run the
    function is missing from."""
    get = attrgetter(attribute)

    def grey_if_absent(_model, row: DiffRow):
        return QColor(150, 150, 150) if _absent(row, column) else None

    return Column(header, lambda _m, row: "\u2014" if _absent(row, column) else text(get(row)),
                  sort_key=lambda _m, row: get(row), numeric=True,
                  foreground=foreground or grey_if_absent, font=font)


def _signed_ns(value: int) -> str:
    return ("+" if value > 0 else "") + format_ns(value)


#: The columns, in COL_* order.
COLUMNS = (
    Column(_("Function"), lambda _m, row: row.name, cell_tooltip=_name_tooltip),
    Column(_("Location"), lambda _m, row: row.location, cell_tooltip=_name_tooltip),
    Column(_("Status"), lambda _m, row: _STATUS_TEXT[row.status],
           sort_key=lambda _m, row: row.status, font=_italic_unless_changed,
           foreground=lambda _m, row: {ADDED: QColor(30, 90, 200),
                                       VANISHED: QColor(120, 120, 120)}.get(row.status)),
    _number(COL_SELF_BEFORE, _("Self before"), "self_before", format_ns),
    _number(COL_SELF_AFTER, _("Self after"), "self_after", format_ns),
    _number(COL_CHANGE, _("Self change"), "change", _signed_ns,
            foreground=lambda _m, row: _change_colour(row.change),
            font=_italic_unless_changed),
    Column(_("Ratio"), _ratio_text, sort_key=_ratio_key, numeric=True,
           foreground=lambda _m, row: _change_colour(row.change)),
    _number(COL_INCL_BEFORE, _("Incl. before"), "inclusive_before", format_ns),
    _number(COL_INCL_AFTER, _("Incl. after"), "inclusive_after", format_ns),
    _number(COL_INCL_CHANGE, _("Incl. change"), "inclusive_change", _signed_ns,
            foreground=lambda _m, row: _change_colour(row.inclusive_change)),
    _number(COL_CALLS_BEFORE, _("Calls before"), "calls_before", "{:,}".format),
    _number(COL_CALLS_AFTER, _("Calls after"), "calls_after", "{:,}".format),
)


class DiffTableModel(ColumnModelMixin, QAbstractTableModel):
    """Rows of a comparison, one per function."""

    columns = COLUMNS
    row_roles = {Role.DIFF_ROW: lambda _m, row: row}

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: List[DiffRow] = []

    def row_object(self, index: QModelIndex) -> DiffRow:
        return self._rows[index.row()]

    def set_rows(self, rows: Sequence[DiffRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> List[DiffRow]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)


class CompareView(QWidget):
    """Two runs compared function by function, largest slowdown first.

    Fill it with :meth:`set_profiles` (or :meth:`set_rows` with rows already computed).
    """

    #: A row was double-clicked: open ``file`` at ``line`` (not sent for built-ins).
    location_activated = Signal(str, int)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.model = DiffTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Role.SORT)
        self.proxy.setFilterKeyColumn(COL_FUNCTION)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)

        self.title_label = QLabel(self)
        self.title_label.setTextFormat(Qt.RichText)
        self.filter_box = QLineEdit(self)
        self.filter_box.setPlaceholderText(_("Filter functions"))
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.textChanged.connect(self.proxy.setFilterFixedString)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_CHANGE, Qt.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        # Names and locations can be very long: give them a fair width the user can change.
        for column, width in ((COL_FUNCTION, 240), (COL_LOCATION, 210)):
            header.setSectionResizeMode(column, QHeaderView.Interactive)
            header.resizeSection(column, width)
        self.table.setTextElideMode(Qt.ElideRight)
        self.table.doubleClicked.connect(self._activated)

        bar = QHBoxLayout()
        bar.addWidget(self.title_label, 1)
        bar.addWidget(self.filter_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        # The table, and the newer run's flame graph coloured by change.
        self.flame = DiffFlameGraphView(self)
        self.views = QTabWidget(self)
        self.views.setDocumentMode(True)
        self.views.addTab(self.table, _("Functions"))
        self.views.addTab(self.flame, _("Flame graph of the change"))
        self.views.currentChanged.connect(self._view_changed)
        self._flame_pending: Optional[tuple] = None   # profiles not drawn yet
        layout.addWidget(self.views, 1)

    def set_profiles(self, before: ProfileData, after: ProfileData,
                     before_label: str = "", after_label: str = "") -> None:
        """Compare ``before`` with ``after`` (labels name the runs in the title)."""
        self.set_rows(diff_profiles(before, after), before_label, after_label)
        # Rebuilding both runs' stacks takes a while on big profiles: only when looked at.
        self._flame_pending = (before, after)
        self._view_changed(self.views.currentIndex())

    def set_rows(self, rows: Sequence[DiffRow], before_label: str = "",
                 after_label: str = "") -> None:
        self.model.set_rows(rows)
        self.table.sortByColumn(COL_CHANGE, Qt.DescendingOrder)
        total_before = sum(r.self_before for r in rows)
        total_after = sum(r.self_after for r in rows)
        change = total_after - total_before
        colour = "#be1e1e" if change > 0 else "#148232"
        names = ""
        if before_label or after_label:
            names = _("<b>{before}</b> \u2192 <b>{after}</b>: ").format(
                before=before_label or _("before"), after=after_label or _("after"))
        self.title_label.setText(
            names + _("total {before} \u2192 {after} "
                      "(<span style='color:{colour}'>{sign}{change}</span>), "
                      "{added} added, {vanished} vanished").format(
                before=format_ns(total_before), after=format_ns(total_after),
                colour=colour, sign="+" if change > 0 else "", change=format_ns(change),
                added=sum(1 for r in rows if r.status == ADDED),
                vanished=sum(1 for r in rows if r.status == VANISHED)))

    def _view_changed(self, index: int) -> None:
        self.filter_box.setVisible(index == 0)    # the flame graph has its own search box
        if self.views.widget(index) is self.flame and self._flame_pending is not None:
            self.flame.set_profiles(*self._flame_pending)
            self._flame_pending = None

    def clear(self) -> None:
        self._flame_pending = None
        self.flame.clear()
        self.model.set_rows([])
        self.title_label.setText("")

    def rows(self) -> List[DiffRow]:
        return self.model.rows()

    def visible_rows(self) -> List[DiffRow]:
        """Rows in the order shown (sorted and filtered)."""
        return [self.proxy.data(self.proxy.index(r, 0), Role.DIFF_ROW)
                for r in range(self.proxy.rowCount())]

    def _activated(self, index) -> None:
        row = self.proxy.data(index.sibling(index.row(), 0), Role.DIFF_ROW)
        if row is not None and row.location != "built-in":
            self.location_activated.emit(row.file, row.line)
