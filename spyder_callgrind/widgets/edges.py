"""The callers and callees tables: the call edges into or out of one chosen function.

One :class:`EdgeTableModel` shows either the callers or the callees of the function chosen in
the call table. A function has few edges, so rows are kept as a small list; sorting is still
done by the model on raw numbers (the :attr:`Role.SORT` values), like the call table.
"""

from __future__ import annotations

import os
from typing import List, Optional, Tuple

from qtpy.QtCore import QAbstractTableModel, QModelIndex, Qt

from spyder_callgrind.engine.model import (
    Edge, Function, ProfileData, display_location, format_ns)
from spyder_callgrind.widgets.calltable import format_calls, format_percent, location_tooltip
from spyder_callgrind.widgets.columns import (
    NOT_MEASURED, Column, ColumnModelMixin, Role, counts_measured, not_measured_tooltip)
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

# A row object is (index of the function at the other end, edge); ``m`` is the model.


def _other(m: "EdgeTableModel", row: Tuple[int, Edge]) -> Function:
    return m.profile().functions[row[0]]


def _location_key(m: "EdgeTableModel", row: Tuple[int, Edge]):
    f = _other(m, row)
    return ("", 0) if f.is_builtin else (os.path.basename(f.file).lower(), f.line)


def _calls_text(m: "EdgeTableModel", row: Tuple[int, Edge]) -> str:
    edge = row[1]
    return format_calls(edge.primitive_calls, edge.total_calls) if m.counts_measured \
        else NOT_MEASURED


def _columns(mode: str) -> Tuple[Column, ...]:
    return (
        Column(_("Function"), lambda m, row: _other(m, row).name,
               _("The caller") if mode == MODE_CALLERS else _("The callee"),
               sort_key=lambda m, row: _other(m, row).name.lower(),
               cell_tooltip=lambda m, row: f"{_other(m, row).name}\n"
                                           f"{location_tooltip(_other(m, row))}"),
        Column(_("File:line"), lambda m, row: display_location(_other(m, row)),
               sort_key=_location_key,
               cell_tooltip=lambda m, row: location_tooltip(_other(m, row))),
        Column(_("Calls"), _calls_text,
               _("Calls along this edge (primitive/total when some were recursive)"),
               sort_key=lambda m, row: row[1].total_calls if m.counts_measured else 0,
               numeric=True,
               cell_tooltip=lambda m, _row: None if m.counts_measured
               else not_measured_tooltip()),
        Column(_("Time"), lambda _m, row: format_ns(row[1].inclusive_ns),
               _("Inclusive time of the callee along this edge"),
               sort_key=lambda _m, row: row[1].inclusive_ns, numeric=True,
               heat=lambda m, row: min(1.0, m.percent(row[1]) / 100.0)),
        Column(_("Self"), lambda _m, row: format_ns(row[1].self_ns),
               _("The callee's own time along this edge"),
               sort_key=lambda _m, row: row[1].self_ns, numeric=True),
        Column(_("% of function"), lambda m, row: format_percent(m.percent(row[1])),
               _("Time as a share of the chosen function's inclusive time"),
               sort_key=lambda m, row: m.percent(row[1]), numeric=True,
               heat=lambda m, row: min(1.0, m.percent(row[1]) / 100.0)),
    )


class EdgeTableModel(ColumnModelMixin, QAbstractTableModel):
    """Callers or callees (``mode``) of one function of a profile.

    Each row is one edge; its function is the *other* end (the caller in "callers" mode, the
    callee in "callees" mode). Time is the callee's inclusive time along the edge, Self time
    its own time along the edge, and % that time as a share of the chosen function's
    inclusive time.
    """

    row_roles = {Role.FUNCTION_INDEX: lambda _m, row: row[0]}

    def __init__(self, mode: str = MODE_CALLEES, parent=None):
        super().__init__(parent)
        if mode not in (MODE_CALLERS, MODE_CALLEES):
            raise ValueError(f"mode must be {MODE_CALLERS!r} or {MODE_CALLEES!r}, not {mode!r}")
        self._mode = mode
        self.columns = _columns(mode)
        self._data = ProfileData([], [])
        self.counts_measured = True
        self._function: Optional[int] = None
        self._rows: List[Tuple[int, Edge]] = []
        self._base_ns = 0
        self._sort_column = EDGE_TIME
        self._sort_order = Qt.DescendingOrder

    def row_object(self, index: QModelIndex) -> Tuple[int, Edge]:
        return self._rows[index.row()]

    @property
    def mode(self) -> str:
        return self._mode

    # -- data in -----------------------------------------------------------------------
    def set_profile(self, data: Optional[ProfileData], function_index: Optional[int] = None
                    ) -> None:
        """Use ``data`` and show the edges of ``function_index`` (None: empty table)."""
        self.beginResetModel()
        self._data = data or ProfileData([], [])
        self.counts_measured = counts_measured(self._data)
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
        if 0 <= self._sort_column < EDGE_COLUMN_COUNT:
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

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._rows)

    def percent(self, edge: Edge) -> float:
        """The edge's time as a share of the chosen function's inclusive time (%)."""
        return 100.0 * edge.inclusive_ns / self._base_ns if self._base_ns else 0.0

    def _sort_value(self, row: Tuple[int, Edge], column: int):
        return self.columns[column].getters[Role.SORT](self, row)

    # -- sorting -------------------------------------------------------------------------
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
