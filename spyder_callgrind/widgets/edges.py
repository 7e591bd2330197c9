"""The callers and callees tables: the call edges into or out of one chosen function.

One :class:`EdgeTableModel` shows either the callers or the callees of the function chosen in
the call table. A function has few edges, so rows are kept as a small list; sorting is still
done by the model on raw numbers (the ``SORT_ROLE`` values), like the call table.
"""

from __future__ import annotations

import os
from typing import List, Optional, Tuple

from qtpy.QtCore import QAbstractTableModel, QModelIndex, Qt

from spyder_callgrind.engine.model import Edge, ProfileData, display_location
from spyder_callgrind.widgets.calltable import (
    FUNCTION_INDEX_ROLE, HEAT_ROLE, SORT_ROLE, format_calls, format_ns, format_percent,
    location_tooltip)
from spyder_callgrind.widgets.i18n import _

MODE_CALLERS = "callers"
MODE_CALLEES = "callees"

EDGE_FUNCTION = 0
EDGE_LOCATION = 1
EDGE_CALLS = 2
EDGE_TIME = 3
EDGE_SELF = 4
EDGE_PERCENT = 5
EDGE_COLUMN_COUNT = 6

NUMERIC_EDGE_COLUMNS = frozenset((EDGE_CALLS, EDGE_TIME, EDGE_SELF, EDGE_PERCENT))


class EdgeTableModel(QAbstractTableModel):
    """Callers or callees (``mode``) of one function of a profile.

    Each row is one edge; its function is the *other* end (the caller in "callers" mode, the
    callee in "callees" mode). Time is the callee's inclusive time along the edge, Self time
    its own time along the edge, and % that time as a share of the chosen function's
    inclusive time.
    """

    def __init__(self, mode: str = MODE_CALLEES, parent=None):
        super().__init__(parent)
        if mode not in (MODE_CALLERS, MODE_CALLEES):
            raise ValueError(f"mode must be {MODE_CALLERS!r} or {MODE_CALLEES!r}, not {mode!r}")
        self._mode = mode
        self._titles = [_("Function"), _("File:line"), _("Calls"), _("Time"),
                        _("Self"), _("% of function")]
        self._header_tips = [
            _("The caller") if mode == MODE_CALLERS else _("The callee"), "",
            _("Calls along this edge (primitive/total when some were recursive)"),
            _("Inclusive time of the callee along this edge"),
            _("The callee's own time along this edge"),
            _("Time as a share of the chosen function's inclusive time")]
        self._data = ProfileData([], [])
        self._function: Optional[int] = None
        self._rows: List[Tuple[int, Edge]] = []
        self._base_ns = 0
        self._sort_column = EDGE_TIME
        self._sort_order = Qt.DescendingOrder

    @property
    def mode(self) -> str:
        return self._mode

    # -- data in -----------------------------------------------------------------------
    def set_profile(self, data: Optional[ProfileData], function_index: Optional[int] = None
                    ) -> None:
        """Use ``data`` and show the edges of ``function_index`` (None: empty table)."""
        self.beginResetModel()
        self._data = data or ProfileData([], [])
        self._load(function_index)
        self.endResetModel()

    def set_function(self, function_index: Optional[int]) -> None:
        """Show the edges of ``function_index`` of the current profile (None: empty)."""
        self.beginResetModel()
        self._load(function_index)
        self.endResetModel()

    def function(self) -> Optional[int]:
        """The chosen function whose edges are shown, or None."""
        return self._function

    def profile(self) -> ProfileData:
        return self._data

    def _load(self, function_index: Optional[int]) -> None:
        if function_index is None or not 0 <= function_index < len(self._data.functions):
            self._function, self._rows, self._base_ns = None, [], 0
            return
        self._function = function_index
        self._base_ns = self._data.functions[function_index].inclusive_ns
        if self._mode == MODE_CALLERS:
            self._rows = [(e.caller, e) for e in self._data.callers_of(function_index)]
        else:
            self._rows = [(e.callee, e) for e in self._data.callees_of(function_index)]
        self._rows.sort(key=lambda row: self._sort_value(row, self._sort_column),
                        reverse=self._sort_order == Qt.DescendingOrder)

    # -- rows --------------------------------------------------------------------------
    def function_at(self, row: int) -> int:
        """Function index of the other end of the edge in ``row``."""
        return self._rows[row][0]

    def edge_at(self, row: int) -> Edge:
        return self._rows[row][1]

    def row_of(self, function_index: int) -> int:
        """Row of the edge to/from ``function_index``, or -1."""
        for row, (other, _edge) in enumerate(self._rows):
            if other == function_index:
                return row
        return -1

    # -- Qt model interface --------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else EDGE_COLUMN_COUNT

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            return self._titles[section]
        if role == Qt.ToolTipRole:
            return self._header_tips[section] or None
        if role == Qt.TextAlignmentRole:
            return int((Qt.AlignRight if section in NUMERIC_EDGE_COLUMNS else Qt.AlignLeft)
                       | Qt.AlignVCenter)
        if role == Qt.InitialSortOrderRole:
            return int(Qt.DescendingOrder if section in NUMERIC_EDGE_COLUMNS
                       else Qt.AscendingOrder)
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        other, edge = self._rows[index.row()]
        f = self._data.functions[other]
        column = index.column()
        if role == Qt.DisplayRole:
            if column == EDGE_FUNCTION:
                return f.name
            if column == EDGE_LOCATION:
                return display_location(f)
            if column == EDGE_CALLS:
                return format_calls(edge.primitive_calls, edge.total_calls)
            if column == EDGE_TIME:
                return format_ns(edge.inclusive_ns)
            if column == EDGE_SELF:
                return format_ns(edge.self_ns)
            if column == EDGE_PERCENT:
                return format_percent(self._percent(edge))
            return None
        if role == SORT_ROLE:
            return self._sort_value((other, edge), column)
        if role == FUNCTION_INDEX_ROLE:
            return other
        if role == HEAT_ROLE:
            if column in (EDGE_TIME, EDGE_PERCENT):
                return min(1.0, self._percent(edge) / 100.0)
            return None
        if role == Qt.ToolTipRole:
            if column == EDGE_FUNCTION:
                return f"{f.name}\n{location_tooltip(f)}"
            if column == EDGE_LOCATION:
                return location_tooltip(f)
            return None
        if role == Qt.TextAlignmentRole:
            return int((Qt.AlignRight if column in NUMERIC_EDGE_COLUMNS else Qt.AlignLeft)
                       | Qt.AlignVCenter)
        return None

    def _percent(self, edge: Edge) -> float:
        return 100.0 * edge.inclusive_ns / self._base_ns if self._base_ns else 0.0

    def _sort_value(self, row: Tuple[int, Edge], column: int):
        other, edge = row
        f = self._data.functions[other]
        if column == EDGE_FUNCTION:
            return f.name.lower()
        if column == EDGE_LOCATION:
            return ("", 0) if f.is_builtin else (os.path.basename(f.file).lower(), f.line)
        if column == EDGE_CALLS:
            return edge.total_calls
        if column == EDGE_TIME:
            return edge.inclusive_ns
        if column == EDGE_SELF:
            return edge.self_ns
        if column == EDGE_PERCENT:
            return self._percent(edge)
        return 0

    # -- sorting -------------------------------------------------------------------------
    def sort_column(self) -> int:
        return self._sort_column

    def sort_order(self):
        return self._sort_order

    def sort(self, column, order=Qt.AscendingOrder):
        """Sort edges by ``column``'s raw values, keeping selections."""
        self.layoutAboutToBeChanged.emit()
        self._sort_column, self._sort_order = column, order
        old_rows = list(self._rows)
        if 0 <= column < EDGE_COLUMN_COUNT:
            self._rows.sort(key=lambda row: self._sort_value(row, column),
                            reverse=order == Qt.DescendingOrder)
        persistent = self.persistentIndexList()
        if persistent:
            new_row = {id(row): n for n, row in enumerate(self._rows)}
            moved = [self.index(new_row[id(old_rows[i.row()])], i.column())
                     for i in persistent]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()
