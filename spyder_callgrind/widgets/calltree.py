"""The call tree of a profile: top-down from the entry points, or bottom-up (who calls a function).

:class:`CallTreeModel` is a lazy ``QAbstractItemModel``: a row's children are computed
and inserted only when the view expands it (``canFetchMore``/``fetchMore``), so a profile of
100k functions opens at once. One level is split with
:func:`spyder_callgrind.engine.stacks.callee_shares` / ``caller_shares``, the same
proportional rule as the flame graph: times below the first level are approximate, and a
function already on the path is not expanded again (recursion).

Top-down, a row's times are the function's time *under that path*: inclusive, self (the
function's own time) and calls, scaled from the edge by the share of the caller the row
stands for. Callers ("bottom-up"), the focused function is the top row and each row below is a
caller: its times are the focused function's times that arrived through that chain of calls.
"""

from __future__ import annotations

import os
from typing import List, Optional

from qtpy.QtCore import QAbstractItemModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from qtpy.QtWidgets import (
    QAbstractItemView, QAction, QComboBox, QHBoxLayout, QHeaderView, QLabel, QMenu,
    QTreeView, QVBoxLayout, QWidget)

from spyder_callgrind.engine.model import ProfileData, display_location, format_ns
from spyder_callgrind.engine.stacks import (
    APPROXIMATION_NOTE, Share, caller_shares, callee_shares, entry_points, stack_note)
from spyder_callgrind.widgets.columns import (
    NOT_MEASURED, Column, ColumnModelMixin, Role, counts_measured, not_measured_tooltip)
from spyder_callgrind.widgets.delegates import ElidingDelegate
from spyder_callgrind.widgets.i18n import _

TOP_DOWN = "top-down"
CALLERS = "callers"

COL_FUNCTION, COL_INCLUSIVE, COL_PARENT, COL_TOTAL, COL_SELF, COL_CALLS, COL_LOCATION = range(7)


class _Item:
    """One row. ``children`` stays None until the row is fetched."""

    __slots__ = ("function", "inclusive_ns", "self_ns", "calls", "parent", "row",
                 "children")

    def __init__(self, function: int, inclusive_ns: int, self_ns: int, calls: int,
                 parent: Optional["_Item"], row: int):
        self.function = function
        self.inclusive_ns = inclusive_ns
        self.self_ns = self_ns
        self.calls = calls
        self.parent = parent
        self.row = row
        self.children: Optional[List[_Item]] = None

    def path_functions(self) -> set:
        found, item = set(), self
        while item is not None and item.function >= 0:
            found.add(item.function)
            item = item.parent
        return found


# A row object is an _Item; ``m`` is the CallTreeModel.

def _share_of_parent(m: "CallTreeModel", item: _Item) -> float:
    above = item.parent
    whole = above.inclusive_ns if above is not None and above.function >= 0 else m.total_ns()
    return 100.0 * item.inclusive_ns / whole if whole > 0 else 0.0


def _share_of_total(m: "CallTreeModel", item: _Item) -> float:
    return 100.0 * item.inclusive_ns / m.total_ns() if m.total_ns() > 0 else 0.0


def _function_tooltip(m: "CallTreeModel", item: _Item) -> str:
    f = m.profile().functions[item.function]
    where = _("built-in") if f.is_builtin else f"{f.file}:{f.line}"
    return f"{f.name}\n{where}"


#: The columns, in COL_* order.
COLUMNS = (
    Column(_("Function"), lambda m, item: m.profile().functions[item.function].name,
           cell_tooltip=_function_tooltip),
    Column(_("Inclusive"), lambda _m, item: format_ns(item.inclusive_ns),
           sort_key=lambda _m, item: item.inclusive_ns, numeric=True),
    Column(_("% of parent"), lambda m, item: f"{_share_of_parent(m, item):.1f}%",
           sort_key=_share_of_parent, numeric=True),
    Column(_("% of total"), lambda m, item: f"{_share_of_total(m, item):.1f}%",
           sort_key=_share_of_total, numeric=True),
    Column(_("Self"), lambda _m, item: format_ns(item.self_ns),
           sort_key=lambda _m, item: item.self_ns, numeric=True),
    Column(_("Calls"),
           lambda m, item: f"{item.calls:,}" if m.counts_measured and item.calls is not None
           else NOT_MEASURED,
           sort_key=lambda m, item: item.calls if m.counts_measured and item.calls is not None
           else 0, numeric=True,
           cell_tooltip=lambda m, item: not_measured_tooltip() if not m.counts_measured
           else None if item.calls is not None
           else _("Calls are not counted per stack (these rows come from the stack "
                  "samples): see the call table")),
    Column(_("File:line"),
           lambda m, item: display_location(m.profile().functions[item.function]),
           cell_tooltip=_function_tooltip),
)


class CallTreeModel(ColumnModelMixin, QAbstractItemModel):
    """Lazy call tree (top-down) or callers tree (bottom-up) of a :class:`ProfileData`."""

    columns = COLUMNS
    row_roles = {Role.FUNCTION_INDEX: lambda _m, item: item.function}
    children_have_columns = True

    def __init__(self, parent=None):
        super().__init__(parent)
        self._data: Optional[ProfileData] = None
        self.counts_measured = True
        self._mode = TOP_DOWN
        self._focus: Optional[int] = None
        self._root = _Item(-1, 0, 0, 0, None, 0)
        self._root.children = []
        self._total = 0

    # -- content --------------------------------------------------------------------------
    def set_profile(self, data: Optional[ProfileData]) -> None:
        self._data = data
        self.counts_measured = data is None or counts_measured(data)
        self._focus = None
        self._rebuild()

    def profile(self) -> Optional[ProfileData]:
        return self._data

    def set_mode(self, mode: str, focus: Optional[int] = None) -> None:
        """``TOP_DOWN``, or ``CALLERS`` of function ``focus`` (of every function if None)."""
        if mode not in (TOP_DOWN, CALLERS):
            raise ValueError(f"unknown call tree mode {mode!r}")
        self._mode, self._focus = mode, focus if mode == CALLERS else None
        self._rebuild()

    def mode(self) -> str:
        return self._mode

    def focus(self) -> Optional[int]:
        return self._focus

    def total_ns(self) -> int:
        """The time "% of total" refers to."""
        return self._total

    def _rebuild(self) -> None:
        self.beginResetModel()
        self._root = _Item(-1, 0, 0, 0, None, 0)
        tops: List[Share] = []
        data = self._data
        if data is not None and len(data):
            if self._mode == TOP_DOWN:
                starts = entry_points(data)
            elif self._focus is not None:
                starts = [self._focus]
            else:
                starts = sorted(range(len(data)), key=lambda i: -data.functions[i].inclusive_ns)
            tops = [Share(i, data.functions[i].inclusive_ns, data.functions[i].self_ns,
                          data.functions[i].total_calls) for i in starts]
        self._root.children = [_Item(s.function, s.inclusive_ns, s.self_ns, s.calls,
                                     self._root, n) for n, s in enumerate(tops)]
        if self._mode == CALLERS and self._focus is None:
            self._total = data.total_ns if data is not None else 0
        else:
            self._total = sum(s.inclusive_ns for s in tops)
        self.endResetModel()

    # -- laziness -------------------------------------------------------------------------
    def _shares(self, item: _Item) -> List[Share]:
        data = self._data
        on_path = item.path_functions()
        if self._mode == TOP_DOWN:
            return callee_shares(data, item.function, item.inclusive_ns, on_path)
        return caller_shares(data, item.function, item.inclusive_ns, item.self_ns, on_path)

    def _may_have_children(self, item: _Item) -> bool:
        if item.function < 0 or self._data is None:
            return False
        on_path = item.path_functions()
        if self._mode == TOP_DOWN:
            return any(e.callee not in on_path for e in self._data.callees_of(item.function))
        return any(e.caller not in on_path for e in self._data.callers_of(item.function))

    def is_fetched(self, index: QModelIndex) -> bool:
        """Whether the children of ``index`` were made (for tests and the curious)."""
        return self._item(index).children is not None

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:
        item = self._item(parent)
        if item.children is not None:
            return bool(item.children)
        return self._may_have_children(item)

    def canFetchMore(self, parent: QModelIndex) -> bool:
        item = self._item(parent)
        return item.children is None and self._may_have_children(item)

    def fetchMore(self, parent: QModelIndex) -> None:
        item = self._item(parent)
        if item.children is not None:
            return
        shares = [s for s in self._shares(item) if s.inclusive_ns > 0 or s.calls]
        if not shares:
            item.children = []
            return
        self.beginInsertRows(parent, 0, len(shares) - 1)
        item.children = [_Item(s.function, s.inclusive_ns, s.self_ns, s.calls, item, n)
                         for n, s in enumerate(shares)]
        self.endInsertRows()

    # -- structure ------------------------------------------------------------------------
    def _item(self, index: QModelIndex) -> _Item:
        if index.isValid():
            return index.internalPointer()
        return self._root

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:
        item = self._item(parent)
        children = item.children or []
        if 0 <= row < len(children) and 0 <= column < len(self.columns):
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, index: QModelIndex = QModelIndex()) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        item = index.internalPointer().parent
        if item is None or item is self._root:
            return QModelIndex()
        return self.createIndex(item.row, 0, item)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._item(parent).children or [])

    # -- values ---------------------------------------------------------------------------
    def function_index(self, index: QModelIndex) -> int:
        """Function index of the row of ``index`` (-1 when invalid)."""
        return self._item(index).function if index.isValid() else -1

    def row_object(self, index: QModelIndex) -> _Item:
        return index.internalPointer()

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if self._data is None:
            return None
        return super().data(index, role)


class CallTreeView(QWidget):
    """Tree view of a :class:`CallTreeModel`, with a mode switch and a "callers of" action.

    Signals carry function indices into the shown :class:`ProfileData`.
    """

    #: The current row changed to this function.
    function_selected = Signal(int)
    #: A row was double-clicked: open the function's source.
    function_activated = Signal(int)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.model = CallTreeModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Role.SORT)
        self.proxy.setDynamicSortFilter(True)

        self.tree_view = QTreeView(self)
        self.tree_view.setModel(self.proxy)
        self.tree_view.setUniformRowHeights(True)
        self.tree_view.setAlternatingRowColors(True)
        self.tree_view.setSortingEnabled(True)
        self.tree_view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.tree_view.sortByColumn(COL_INCLUSIVE, Qt.DescendingOrder)
        self.tree_view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.tree_view.customContextMenuRequested.connect(self._context_menu)
        self.tree_view.doubleClicked.connect(self._activated)
        self.tree_view.selectionModel().currentRowChanged.connect(self._current_changed)
        header = self.tree_view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_FUNCTION, QHeaderView.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(COL_LOCATION, QHeaderView.Interactive)
        header.resizeSection(COL_LOCATION,
                             self.tree_view.fontMetrics().horizontalAdvance("x" * 20))
        self.tree_view.setItemDelegateForColumn(COL_LOCATION,
                                                ElidingDelegate(self.tree_view))

        self.mode_box = QComboBox(self)
        self.mode_box.addItem(_("Top-down (from entry points)"), TOP_DOWN)
        self.mode_box.addItem(_("Callers (bottom-up)"), CALLERS)
        self.mode_box.activated.connect(self._mode_chosen)
        self.focus_label = QLabel(self)
        self.show_callers_action = QAction(_("Show callers of this function"), self)
        self.show_callers_action.triggered.connect(
            lambda: self.show_callers(self.selected_function()))
        self.show_callees_action = QAction(_("Show top-down call tree"), self)
        self.show_callees_action.triggered.connect(self.show_top_down)
        self.note_label = QLabel(APPROXIMATION_NOTE, self)
        self.note_label.setStyleSheet("color: gray; font-size: small;")

        bar = QHBoxLayout()
        bar.addWidget(self.mode_box)
        bar.addWidget(self.focus_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.tree_view, 1)
        layout.addWidget(self.note_label)

    # -- content --------------------------------------------------------------------------
    def set_profile(self, data: Optional[ProfileData]) -> None:
        self.model.set_profile(data)
        self.model.set_mode(TOP_DOWN)
        self.note_label.setText(stack_note(data) if data is not None and len(data) else "")
        self._sync_controls()

    def show_top_down(self) -> None:
        self.model.set_mode(TOP_DOWN)
        self._sync_controls()

    def show_callers(self, function: Optional[int]) -> None:
        """Bottom-up tree of ``function`` (of every function when None or -1)."""
        if function is not None and function < 0:
            function = None
        self.model.set_mode(CALLERS, function)
        self._sync_controls()
        if function is not None:
            self.tree_view.expand(self.proxy.index(0, 0))

    def selected_function(self) -> int:
        """Function index of the current row, or -1."""
        return self.model.function_index(self.proxy.mapToSource(self.tree_view.currentIndex()))

    def expand_levels(self, levels: int, widest: Optional[int] = None) -> None:
        """Expand the tree ``levels`` deep (only the ``widest`` largest rows of each level)."""
        pending = [(QModelIndex(), 0)]
        while pending:
            parent, depth = pending.pop()
            if depth >= levels:
                continue
            if parent.isValid():
                source = self.proxy.mapToSource(parent)
                if self.model.canFetchMore(source):
                    self.model.fetchMore(source)
                self.tree_view.expand(parent)
            rows = self.proxy.rowCount(parent)
            for row in range(min(rows, widest) if widest else rows):
                pending.append((self.proxy.index(row, 0, parent), depth + 1))

    # -- helpers --------------------------------------------------------------------------
    def _sync_controls(self) -> None:
        mode = self.model.mode()
        self.mode_box.setCurrentIndex(self.mode_box.findData(mode))
        focus = self.model.focus()
        data = self.model.profile()
        if mode == CALLERS and focus is not None and data is not None:
            f = data.functions[focus]
            where = _("built-in") if f.is_builtin else f"{os.path.basename(f.file)}:{f.line}"
            self.focus_label.setText(_("Who calls {name} ({where})").format(
                name=f.name, where=where))
        elif mode == CALLERS:
            self.focus_label.setText(_("Every function, with who calls it"))
        else:
            self.focus_label.setText("")

    def _mode_chosen(self, row: int) -> None:
        if self.mode_box.itemData(row) == TOP_DOWN:
            self.show_top_down()
        else:
            selected = self.selected_function()
            self.show_callers(selected if selected >= 0 else None)

    def _current_changed(self, current, previous) -> None:
        function = self.model.function_index(self.proxy.mapToSource(current))
        if function >= 0:
            self.function_selected.emit(function)

    def _activated(self, index) -> None:
        function = self.model.function_index(self.proxy.mapToSource(index))
        if function >= 0:
            self.function_activated.emit(function)

    def _context_menu(self, pos) -> None:
        index = self.tree_view.indexAt(pos)
        menu = QMenu(self)
        if index.isValid():
            self.tree_view.setCurrentIndex(index)
            menu.addAction(self.show_callers_action)
        if self.model.mode() != TOP_DOWN:
            menu.addAction(self.show_callees_action)
        if not menu.isEmpty():
            menu.exec_(self.tree_view.viewport().mapToGlobal(pos))
