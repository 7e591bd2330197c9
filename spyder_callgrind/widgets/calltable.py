"""The call table: one row per profiled function, fast at 100k rows.

:class:`CallTableModel` reads a :class:`~spyder_callgrind.engine.model.ProfileData` directly:
``data()`` formats a cell from the function's NamedTuple when the view asks for it, so loading
a profile costs nothing per row. Sorting is done by the model itself over cached key arrays
(one C-level ``sorted`` call) instead of QSortFilterProxyModel's per-row ``lessThan``, which
would call back into Python about n·log(n) times.

:class:`CallTableProxy` holds the filter settings. Its masks are computed once per filter change
(file kinds once per distinct file) and applied by the model, which simply drops hidden rows.

The helpers :func:`format_ns`, :func:`format_calls` and :func:`format_percent` are shared with
the callers/callees tables.
"""

from __future__ import annotations

import os
import sysconfig
from collections import deque
from itertools import compress
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from qtpy.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt

from spyder_callgrind.engine.model import (
    BUILTIN_FILE, Function, ProfileData, display_location, format_ns, is_site_packages_file,
    is_stdlib_file)
from spyder_callgrind.engine.waiting import waiting_mask
from spyder_callgrind.widgets.i18n import _

#: The value a cell sorts by: a number for numeric columns (ns, calls, %), else a key.
SORT_ROLE = Qt.UserRole + 1
#: Index of the row's function in ``ProfileData.functions``.
FUNCTION_INDEX_ROLE = Qt.UserRole + 2
#: Share of the profile's total time (0..1) for time columns, None elsewhere; drawn as a bar.
HEAT_ROLE = Qt.UserRole + 3
#: True when the row's function waits (a lock, sleep, pipe, socket, queue, join).
WAITING_ROLE = Qt.UserRole + 6

COL_FUNCTION = 0
COL_LOCATION = 1
COL_CALLS = 2
COL_SELF = 3
COL_SELF_PERCENT = 4
COL_INCLUSIVE = 5
COL_INCLUSIVE_PERCENT = 6
COL_PER_CALL = 7
COLUMN_COUNT = 8

NUMERIC_COLUMNS = frozenset((COL_CALLS, COL_SELF, COL_SELF_PERCENT, COL_INCLUSIVE,
                             COL_INCLUSIVE_PERCENT, COL_PER_CALL))


def column_titles() -> List[str]:
    """Header titles of the call table, translated (short: a docked pane is narrow)."""
    return [_("Function"), _("File:line"), _("Calls"), _("Self"), _("Self %"),
            _("Inclusive"), _("Incl. %"), _("Per call")]


def column_tooltips() -> List[str]:
    """What each column of the call table holds, for the header's tooltips."""
    return [_("Function name"), _("File and first line of the function"),
            _("Calls: primitive/total when some calls were recursive"),
            _("Self time: time spent in the function itself"),
            _("Self time as a share of the total"),
            _("Inclusive time: time spent in the function and everything it called"),
            _("Inclusive time as a share of the total"),
            _("Inclusive time per primitive call")]


def waiting_tooltip() -> str:
    return _("Waiting: this function blocks (lock, sleep, pipe, socket, queue, join); "
             "cProfile counts its waiting as its time")


def waiting_of(data: ProfileData) -> List[bool]:
    """Whether each function of ``data`` waits (kept in the profile's cache)."""
    found = data.cache.get(_WAITING_CACHE)
    if found is None:
        found = data.cache[_WAITING_CACHE] = waiting_mask(data.functions)
    return found


# -- formatting ----------------------------------------------------------------------------

def format_calls(primitive: int, total: int) -> str:
    """``"10"``, or ``"3/10"`` (primitive/total) when some calls were recursive."""
    return str(total) if primitive == total else f"{primitive}/{total}"


def format_percent(value: float) -> str:
    return f"{value:.1f} %"


def per_call_ns(function: Function) -> float:
    """Inclusive time per primitive call (per call when all calls were recursive)."""
    calls = function.primitive_calls or function.total_calls
    return function.inclusive_ns / calls if calls else 0.0


def location_tooltip(function: Function) -> str:
    if function.is_builtin:
        return _("Built-in function")
    return f"{function.file}:{function.line}"


def default_stdlib_dirs() -> Tuple[str, ...]:
    """Standard library folders of the interpreter running this code."""
    paths = sysconfig.get_paths()
    found = []
    for name in ("stdlib", "platstdlib"):
        path = paths.get(name)
        if path:
            path = os.path.join(os.path.normpath(path), "")
            if path not in found:
                found.append(path)
    return tuple(found)


# -- the model -----------------------------------------------------------------------------

#: Gives, for a profile, a "shown" flag per function index, or None to show all.
RowFilter = Callable[[ProfileData], Optional[List[bool]]]


class CallTableModel(QAbstractTableModel):
    """Table model of the functions of a profile, sorted and filtered by the model itself.

    Rows are positions in ``_order``, a list of the shown function indices in sort order, so
    sorting permutes one list and filtering shortens it; nothing is stored per row. Use
    :meth:`row_of` / :meth:`function_at` to go between rows and function indices.
    """

    def __init__(self, data: Optional[ProfileData] = None, parent=None):
        super().__init__(parent)
        self._titles = column_titles()
        self._tips = column_tooltips()
        self._waiting_icon = None
        self._sort_column = COL_INCLUSIVE
        self._sort_order = Qt.DescendingOrder
        self._row_filter: Optional[RowFilter] = None
        self._install(data or ProfileData([], []))

    # -- data in -----------------------------------------------------------------------
    def _install(self, data: ProfileData) -> None:
        self._data = data
        self._functions = data.functions
        self._percent = 100.0 / data.total_ns if data.total_ns else 0.0
        self._heat = 1.0 / data.total_ns if data.total_ns else 0.0
        # sort keys and sorted orders live in the profile's cache: built once per profile
        # (possibly by prepare_sort(), in a loader thread), shared by every model showing it
        self._keys: Dict[int, list] = data.cache.setdefault(_KEYS_CACHE, {})
        self._orders: Dict[Tuple[int, bool], List[int]] = data.cache.setdefault(
            _ORDERS_CACHE, {})
        self._full_order = self._sorted_order(self._sort_column, self._sort_order)
        self._waiting: Optional[List[bool]] = None
        self._mask = self._row_filter(data) if self._row_filter else None
        self._apply_mask()

    def _apply_mask(self) -> None:
        mask = self._mask
        if mask is None:
            self._order = self._full_order
        else:
            self._order = list(compress(self._full_order, map(mask.__getitem__,
                                                              self._full_order)))
        self._positions: Optional[List[int]] = None

    def set_profile(self, data: Optional[ProfileData]) -> None:
        """Show ``data`` (None for an empty table), keeping the current sort and filter."""
        self.beginResetModel()
        self._install(data or ProfileData([], []))
        self.endResetModel()

    def profile(self) -> ProfileData:
        return self._data

    def set_waiting_icon(self, icon) -> None:
        """QIcon drawn before the names of waiting functions (None: none)."""
        self._waiting_icon = icon

    def is_waiting(self, function_index: int) -> bool:
        if self._waiting is None:
            self._waiting = waiting_of(self._data)
        return self._waiting[function_index]

    def set_row_filter(self, row_filter: Optional[RowFilter]) -> None:
        """Use ``row_filter`` to choose the shown functions (None shows all)."""
        self._row_filter = row_filter
        self.refilter()

    def refilter(self) -> None:
        """Ask the row filter again (after its settings changed); resets the model."""
        self.beginResetModel()
        self._mask = self._row_filter(self._data) if self._row_filter else None
        self._apply_mask()
        self.endResetModel()

    # -- rows and functions --------------------------------------------------------------
    def function_at(self, row: int) -> int:
        """Function index shown in ``row``."""
        return self._order[row]

    def row_of(self, function_index: int) -> int:
        """Row showing function ``function_index``; -1 when it is filtered out or unknown."""
        if not 0 <= function_index < len(self._functions):
            return -1
        if self._positions is None:
            positions = [-1] * len(self._functions)
            order = self._order
            # one C-level loop: positions[order[row]] = row for every row
            deque(map(positions.__setitem__, order, range(len(order))), maxlen=0)
            self._positions = positions
        return self._positions[function_index]

    # -- Qt model interface --------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            return self._titles[section]
        if role == Qt.ToolTipRole:
            return self._tips[section]
        if role == Qt.TextAlignmentRole:
            return int((Qt.AlignRight if section in NUMERIC_COLUMNS else Qt.AlignLeft)
                       | Qt.AlignVCenter)
        if role == Qt.InitialSortOrderRole:
            # a first click on a number sorts largest first: that is what one looks for
            return int(Qt.DescendingOrder if section in NUMERIC_COLUMNS
                       else Qt.AscendingOrder)
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        function_index = self._order[index.row()]
        f = self._functions[function_index]
        column = index.column()
        if role == Qt.DisplayRole:
            if column == COL_FUNCTION:
                return f.name
            if column == COL_LOCATION:
                return display_location(f)
            if column == COL_CALLS:
                return format_calls(f.primitive_calls, f.total_calls)
            if column == COL_SELF:
                return format_ns(f.self_ns)
            if column == COL_SELF_PERCENT:
                return format_percent(f.self_ns * self._percent)
            if column == COL_INCLUSIVE:
                return format_ns(f.inclusive_ns)
            if column == COL_INCLUSIVE_PERCENT:
                return format_percent(f.inclusive_ns * self._percent)
            if column == COL_PER_CALL:
                return format_ns(per_call_ns(f))
            return None
        if role == SORT_ROLE:
            return self._sort_value(function_index, column)
        if role == FUNCTION_INDEX_ROLE:
            return function_index
        if role == HEAT_ROLE:
            if column in (COL_SELF, COL_SELF_PERCENT):
                return f.self_ns * self._heat
            if column in (COL_INCLUSIVE, COL_INCLUSIVE_PERCENT):
                return f.inclusive_ns * self._heat
            return None
        if role == WAITING_ROLE:
            return self.is_waiting(function_index)
        if role == Qt.DecorationRole:
            if column == COL_FUNCTION and self._waiting_icon is not None and \
                    self.is_waiting(function_index):
                return self._waiting_icon
            return None
        if role == Qt.ToolTipRole:
            if column == COL_FUNCTION:
                text = f"{f.name}\n{location_tooltip(f)}"
                if self.is_waiting(function_index):
                    text += "\n" + waiting_tooltip()
                return text
            if column == COL_LOCATION:
                return location_tooltip(f)
            if column == COL_CALLS:
                return _("{primitive} primitive calls, {total} in all").format(
                    primitive=f.primitive_calls, total=f.total_calls)
            return None
        if role == Qt.TextAlignmentRole:
            return int((Qt.AlignRight if column in NUMERIC_COLUMNS else Qt.AlignLeft)
                       | Qt.AlignVCenter)
        return None

    def _sort_value(self, function_index: int, column: int):
        # the very key the model sorts on, so anything sorting on SORT_ROLE agrees with it
        f = self._functions[function_index]
        if column == COL_SELF_PERCENT:
            return f.self_ns * self._percent
        if column == COL_INCLUSIVE_PERCENT:
            return f.inclusive_ns * self._percent
        if 0 <= column < COLUMN_COUNT:
            return self._sort_keys(column)[function_index]
        return None

    # -- sorting -------------------------------------------------------------------------
    def _sort_keys(self, column: int) -> list:
        """Sort key of every function for ``column``, by function index (cached)."""
        column = _key_column(column)
        keys = self._keys.get(column)
        if keys is None:
            keys = self._keys[column] = _build_keys(self._functions, column)
        return keys

    def _sorted_order(self, column: int, order) -> List[int]:
        if column < 0 or column >= COLUMN_COUNT:
            return list(range(len(self._functions)))
        return _cached_order(self._functions, self._keys, self._orders, column,
                             order == Qt.DescendingOrder)

    def sort_column(self) -> int:
        return self._sort_column

    def sort_order(self):
        return self._sort_order

    def sort(self, column, order=Qt.AscendingOrder):
        """Sort rows by ``column``'s raw values (numbers numerically), keeping selections."""
        if (column, order) == (self._sort_column, self._sort_order):
            return  # already in that order (QTableView.sortByColumn asks twice)
        self.layoutAboutToBeChanged.emit()
        self._sort_column, self._sort_order = column, order
        old_order = self._order
        self._full_order = self._sorted_order(column, order)
        self._apply_mask()
        persistent = self.persistentIndexList()
        if persistent:
            moved = [self.index(self.row_of(old_order[i.row()]), i.column())
                     for i in persistent]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()


# -- sort keys and orders (no Qt objects: may run in a loader thread) ----------------------

_KEYS_CACHE = "calltable.keys"
_WAITING_CACHE = "calltable.waiting"
_ORDERS_CACHE = "calltable.orders"


def _key_column(column: int) -> int:
    # a percentage sorts like the time it is a share of
    if column in (COL_SELF_PERCENT, COL_INCLUSIVE_PERCENT):
        return column - 1
    return column


def _build_keys(functions: Sequence[Function], column: int) -> list:
    if column == COL_CALLS:
        return [f[4] for f in functions]
    if column == COL_SELF:
        return [f[5] for f in functions]
    if column == COL_INCLUSIVE:
        return [f[6] for f in functions]
    if column == COL_PER_CALL:
        return [f[6] / (f[3] or f[4] or 1) for f in functions]
    if column == COL_FUNCTION:
        return [f[2].lower() for f in functions]
    # (basename, line) packed into one int: rank of the basename, then the line.
    # Int keys sort several times faster than tuples or built strings.
    files = {f[0] for f in functions}
    names = {file: "" if file == BUILTIN_FILE else os.path.basename(file).lower()
             for file in files}
    rank = {name: n for n, name in enumerate(sorted(set(names.values())))}
    file_rank = {file: rank[name] << 32 for file, name in names.items()}
    return [file_rank[f[0]] | f[1] for f in functions]


def _cached_order(functions: Sequence[Function], keys_cache: Dict[int, list],
                  orders_cache: Dict[Tuple[int, bool], List[int]], column: int,
                  descending: bool) -> List[int]:
    """Function indices sorted by ``column`` (stable), kept in ``orders_cache``; the lists
    handed out are never changed in place."""
    column = _key_column(column)
    found = orders_cache.get((column, descending))
    if found is None:
        keys = keys_cache.get(column)
        if keys is None:
            keys = keys_cache[column] = _build_keys(functions, column)
        found = sorted(range(len(functions)), key=keys.__getitem__, reverse=descending)
        orders_cache[(column, descending)] = found
    return found


def prepare_sort(data: ProfileData, column: int = COL_INCLUSIVE, descending: bool = True,
                 all_keys: bool = True) -> ProfileData:
    """Build, ahead of showing ``data``, the order the call table starts with and, with
    ``all_keys``, the sort keys of every column, so that neither showing the profile nor a
    first sort by a column has to build them."""
    for _step in iter_prepare_sort(data, column, descending, all_keys):
        pass
    return data


def iter_prepare_sort(data: ProfileData, column: int = COL_INCLUSIVE, descending: bool = True,
                      all_keys: bool = True):
    """:func:`prepare_sort` in steps (a generator yielding after each column's keys and
    after the sort), for a loader that works between a GUI thread's events."""
    keys = data.cache.setdefault(_KEYS_CACHE, {})
    orders = data.cache.setdefault(_ORDERS_CACHE, {})
    first = _key_column(column)
    if first not in keys and 0 <= first < COLUMN_COUNT:
        keys[first] = _build_keys(data.functions, first)
        yield
    if 0 <= first < COLUMN_COUNT:
        _cached_order(data.functions, keys, orders, column, descending)
        yield
    if all_keys:
        for other in range(COLUMN_COUNT):
            other = _key_column(other)
            if other not in keys:
                keys[other] = _build_keys(data.functions, other)
                yield


# -- the filter ----------------------------------------------------------------------------

class CallTableProxy(QSortFilterProxyModel):
    """Holds the call table's filter settings; sorting is passed on to the model.

    The filter is computed here as one list of booleans by function index, rebuilt only when
    the search text, a toggle, the stdlib folders or the profile change, and handed to the
    :class:`CallTableModel`, which drops the hidden rows itself. ``filterAcceptsRow`` is
    deliberately not reimplemented: Qt calls it for every row after every sort, and each call
    into Python costs about a microsecond, which alone would make sorting 100k rows slow.
    """

    def __init__(self, parent=None, stdlib_dirs: Optional[Sequence[str]] = None):
        super().__init__(parent)
        self._search = ""
        self._hide_builtins = False
        self._hide_stdlib = False
        self._hide_site = False
        self._hide_waiting = False
        self._stdlib_dirs: Tuple[str, ...] = (
            tuple(stdlib_dirs) if stdlib_dirs is not None else default_stdlib_dirs())
        self._cached_for: Optional[ProfileData] = None
        self._haystack: Optional[List[str]] = None
        self._kinds: Optional[List[int]] = None
        self._model: Optional[CallTableModel] = None

    # -- source model --------------------------------------------------------------------
    def setSourceModel(self, model: CallTableModel) -> None:
        if self._model is not None and self._model is not model:
            self._model.set_row_filter(None)
        self._model = model
        super().setSourceModel(model)
        model.set_row_filter(self._build_mask)

    def sort(self, column, order=Qt.AscendingOrder):
        # The proxy keeps the model's order (its own sort column stays -1).
        if self._model is not None:
            self._model.sort(column, order)

    # -- filter settings -----------------------------------------------------------------
    def search_text(self) -> str:
        return self._search

    def set_search_text(self, text: str) -> None:
        """Show only functions whose name or file contains ``text`` (any case)."""
        text = (text or "").strip().lower()
        if text != self._search:
            self._search = text
            self._refilter()

    def filters(self) -> Tuple[bool, bool, bool]:
        """(hide built-ins, hide standard library, hide site-packages)."""
        return self._hide_builtins, self._hide_stdlib, self._hide_site

    def set_filters(self, hide_builtins: bool, hide_stdlib: bool, hide_site: bool) -> None:
        new = (bool(hide_builtins), bool(hide_stdlib), bool(hide_site))
        if new != self.filters():
            self._hide_builtins, self._hide_stdlib, self._hide_site = new
            self._refilter()

    def hide_waiting(self) -> bool:
        return self._hide_waiting

    def set_hide_waiting(self, hide: bool) -> None:
        """Hide functions that wait (see :mod:`spyder_callgrind.engine.waiting`)."""
        if bool(hide) != self._hide_waiting:
            self._hide_waiting = bool(hide)
            self._refilter()

    def set_hide_builtins(self, hide: bool) -> None:
        self.set_filters(hide, self._hide_stdlib, self._hide_site)

    def set_hide_stdlib(self, hide: bool) -> None:
        self.set_filters(self._hide_builtins, hide, self._hide_site)

    def stdlib_dirs(self) -> Tuple[str, ...]:
        return self._stdlib_dirs

    def set_stdlib_dirs(self, dirs: Sequence[str]) -> None:
        """Standard library folders of the interpreter that ran the profiled script."""
        dirs = tuple(dirs)
        if dirs != self._stdlib_dirs:
            self._stdlib_dirs = dirs
            self._kinds = None
            if self._hide_stdlib:
                self._refilter()

    def is_filtering(self) -> bool:
        return bool(self._search or self._hide_builtins or self._hide_stdlib or self._hide_site
                    or self._hide_waiting)

    def _refilter(self) -> None:
        if self._model is not None:
            self._model.refilter()

    # -- masks ---------------------------------------------------------------------------
    _OTHER, _BUILTIN, _STDLIB, _SITE = 0, 1, 2, 4

    def _kind_of(self, file: str) -> int:
        if file == BUILTIN_FILE:
            return self._BUILTIN
        if is_site_packages_file(file):
            return self._SITE
        if file.startswith("<frozen ") or is_stdlib_file(file, self._stdlib_dirs):
            return self._STDLIB
        return self._OTHER

    def _build_mask(self, data: ProfileData) -> Optional[List[bool]]:
        if not self.is_filtering():
            return None
        if data is not self._cached_for:
            self._cached_for, self._haystack, self._kinds = data, None, None
        functions = data.functions
        mask = None
        hidden = ((self._BUILTIN if self._hide_builtins else 0)
                  | (self._STDLIB if self._hide_stdlib else 0)
                  | (self._SITE if self._hide_site else 0))
        if hidden:
            if self._kinds is None:
                # classified once per distinct file, not per function
                by_file = {f.file: 0 for f in functions}
                for file in by_file:
                    by_file[file] = self._kind_of(file)
                self._kinds = [by_file[f.file] for f in functions]
            mask = [not kind & hidden for kind in self._kinds]
        if self._hide_waiting:
            working = [not waiting for waiting in waiting_of(data)]
            mask = working if mask is None else [a and b for a, b in zip(mask, working)]
        if self._search:
            if self._haystack is None:
                # name and file in one string; a kept search text never holds "\n"
                self._haystack = [f"{f.name}\n{f.file}".lower() for f in functions]
            needle = self._search
            found = [needle in text for text in self._haystack]
            mask = found if mask is None else [a and b for a, b in zip(mask, found)]
        return mask
