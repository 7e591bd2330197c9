"""Table columns described once, as data, and the models' custom roles.

Every table of the pane (call table, callers/callees, comparison, run history, call tree)
is a list of :class:`Column` plus its own row storage. :class:`ColumnModelMixin` answers
``columnCount``, ``headerData`` and ``data()`` from that list, so a column's title, tooltip,
text, raw sort value, alignment and bar live side by side instead of in parallel if-chains.
:class:`Role` is the one place that numbers the custom item-data roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, unique
from operator import itemgetter
from typing import Any, Callable, Dict, Optional, Sequence

from qtpy.QtCore import QModelIndex, Qt

from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.widgets.i18n import _

#: A cell getter: (model, row object) -> value. The row object is what the model's
#: ``row_object`` returns (a function index, an edge, a run record...).
Getter = Callable[[Any, Any], Any]


@unique
class Role(IntEnum):
    """Custom item-data roles of every model of the pane."""
    #: The raw value a cell sorts by: a number for numeric columns, never formatted text.
    SORT = Qt.UserRole + 1
    #: Index of the row's function in ``ProfileData.functions``.
    FUNCTION_INDEX = Qt.UserRole + 2
    #: Share (0..1) drawn as a bar behind the cell, or None.
    HEAT = Qt.UserRole + 3
    #: The row's :class:`~spyder_callgrind.engine.records.RunRecord`.
    RUN = Qt.UserRole + 4
    #: The row's run id.
    RUN_ID = Qt.UserRole + 5
    #: True when the row's function waits (a lock, sleep, pipe, socket, queue, join).
    WAITING = Qt.UserRole + 6
    #: The run in a few words (:func:`~spyder_callgrind.widgets.history.run_brief`).
    RUN_BRIEF = Qt.UserRole + 7
    #: The row's :class:`~spyder_callgrind.engine.diff.DiffRow`.
    DIFF_ROW = Qt.UserRole + 8


@dataclass(frozen=True)
class Column:
    """One column: its header and how to get each role of a cell from a row object."""
    header: str
    display: Getter
    #: header tooltip
    tooltip: str = ""
    #: raw value for :attr:`Role.SORT` (None: the displayed value)
    sort_key: Optional[Getter] = None
    #: numbers: right-aligned, and a first click on the header sorts largest first
    numeric: bool = False
    heat: Optional[Getter] = None
    cell_tooltip: Optional[Getter] = None
    decoration: Optional[Getter] = None
    foreground: Optional[Getter] = None
    font: Optional[Getter] = None
    #: role -> getter, built from the fields above
    getters: Dict[int, Getter] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        alignment = int((Qt.AlignRight if self.numeric else Qt.AlignLeft) | Qt.AlignVCenter)
        found = {Qt.DisplayRole: self.display, Role.SORT: self.sort_key or self.display,
                 Qt.TextAlignmentRole: lambda _model, _row: alignment,
                 Role.HEAT: self.heat, Qt.ToolTipRole: self.cell_tooltip,
                 Qt.DecorationRole: self.decoration, Qt.ForegroundRole: self.foreground,
                 Qt.FontRole: self.font}
        object.__setattr__(self, "getters", {int(role): getter for role, getter
                                             in found.items() if getter is not None})


class ColumnModelMixin:
    """``columnCount``/``headerData``/``data`` of a Qt item model from ``self.columns``.

    The model sets ``columns`` (a sequence of :class:`Column`), implements
    ``row_object(index)`` and may set ``row_roles``: roles answered for the whole row
    whatever the column (e.g. :attr:`Role.FUNCTION_INDEX`), as role -> getter. Put it
    before the Qt model class in the bases, so that its methods are the ones Qt calls.
    """

    columns: Sequence[Column] = ()
    row_roles: Dict[int, Getter] = {}
    #: tree models give every row the columns; tables have none below the root
    children_have_columns = False

    def row_object(self, index: QModelIndex) -> Any:
        raise NotImplementedError

    def columnCount(self, parent=QModelIndex()):
        if parent.isValid() and not self.children_have_columns:
            return 0
        return len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.DisplayRole:
            return column.header
        if role == Qt.ToolTipRole:
            return column.tooltip or None
        if role == Qt.TextAlignmentRole:
            return column.getters[Qt.TextAlignmentRole](self, None)
        if role == Qt.InitialSortOrderRole:
            return int(Qt.DescendingOrder if column.numeric else Qt.AscendingOrder)
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        getter = self.columns[index.column()].getters.get(role) or self.row_roles.get(role)
        return None if getter is None else getter(self, self.row_object(index))


# -- call counts measured or not ------------------------------------------------------------

NOT_MEASURED = "\u2014"


def not_measured_tooltip() -> str:
    return _("Calls are not measured in sample mode")


def counts_measured(data: ProfileData) -> bool:
    """Whether ``data``'s call counts were measured: a sampled-only run (``--mode
    sample``) records 0 calls everywhere (see :mod:`spyder_callgrind.engine.samples`)."""
    return not data.functions or any(map(itemgetter(4), data.functions))
