"""The call table: one row per profiled function, fast at 100k rows.

:class:`CallTableModel` reads a :class:`~spyder_callgrind.engine.model.ProfileData` directly:
``data()`` formats a cell from the function's NamedTuple when the view asks for it, so loading
a profile costs nothing per row. Its columns are :data:`COLUMNS` (see
:mod:`spyder_callgrind.widgets.columns`). The model sorts itself, over cached key arrays,
and filters itself with a :class:`FunctionFilter` (search text and hide toggles), whose
masks are computed once per filter change (file kinds once per distinct file).

The helpers :func:`format_calls`, :func:`format_percent` and :func:`location_tooltip` are
shared with the callers/callees tables.
"""

from __future__ import annotations

import os
import sysconfig
import threading
import weakref
from collections import deque
from itertools import compress
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from qtpy.QtCore import QAbstractTableModel, QModelIndex, Qt

from spyder_callgrind.engine.model import (
    BUILTIN_FILE, Function, ProfileData, display_location, format_ns, is_site_packages_file,
    is_stdlib_file)
from spyder_callgrind.engine.waiting import is_waiting, waiting_mask
from spyder_callgrind.widgets.columns import (
    NOT_MEASURED, Column, ColumnModelMixin, Role, counts_measured, not_measured_tooltip)
from spyder_callgrind.widgets.i18n import _

COL_FUNCTION = 0
COL_LOCATION = 1
COL_CALLS = 2
COL_SELF = 3
COL_SELF_PERCENT = 4
COL_INCLUSIVE = 5
COL_INCLUSIVE_PERCENT = 6
COL_PER_CALL = 7
COLUMN_COUNT = 8


def waiting_tooltip() -> str:
    return _("Waiting: this function blocks (lock, sleep, pipe, socket, queue, join); "
             "cProfile counts its waiting as its time")


def waiting_of(data: ProfileData) -> List[bool]:
    """Whether each function of ``data`` waits (kept with the profile's sort caches)."""
    cache = _caches_of(data)
    if cache.waiting is None:
        cache.waiting = waiting_mask(data.functions)
    return cache.waiting


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


# -- the columns ---------------------------------------------------------------------------
# A row object is a function index; ``m`` is the CallTableModel.

def _function_tooltip(m: "CallTableModel", i: int) -> str:
    f = m.functions[i]
    text = f"{f.name}\n{location_tooltip(f)}"
    if m.is_waiting(i):
        text += "\n" + waiting_tooltip()
    return text


def _calls_text(m: "CallTableModel", i: int) -> str:
    f = m.functions[i]
    return format_calls(f.primitive_calls, f.total_calls) if m.counts_measured \
        else NOT_MEASURED


def _calls_tooltip(m: "CallTableModel", i: int) -> str:
    if not m.counts_measured:
        return not_measured_tooltip()
    f = m.functions[i]
    return _("{primitive} primitive calls, {total} in all").format(
        primitive=f.primitive_calls, total=f.total_calls)


def _location_keys(functions: Sequence[Function]) -> list:
    # (basename, line) packed into one int: rank of the basename, then the line.
    # Int keys sort several times faster than tuples or built strings.
    files = {f[0] for f in functions}
    names = {file: "" if file == BUILTIN_FILE else os.path.basename(file).lower()
             for file in files}
    rank = {name: n for n, name in enumerate(sorted(set(names.values())))}
    file_rank = {file: rank[name] << 32 for file, name in names.items()}
    return [file_rank[f[0]] | f[1] for f in functions]


def _name_keys(functions: Sequence[Function]) -> list:
    return [f[2].lower() for f in functions]


def _calls_keys(functions: Sequence[Function]) -> list:
    return [f[4] for f in functions]


def _self_keys(functions: Sequence[Function]) -> list:
    return [f[5] for f in functions]


def _inclusive_keys(functions: Sequence[Function]) -> list:
    return [f[6] for f in functions]


def _per_call_keys(functions: Sequence[Function]) -> list:
    return [f[6] / (f[3] or f[4] or 1) for f in functions]


def _cached_key(column: int):
    return lambda m, i: m.sort_keys(column)[i]


def _time_columns(column: int, title: str, tooltip: str, percent_title: str,
                  percent_tooltip: str, field: int) -> Tuple[Column, Column]:
    """A time column (``Function[field]``) and its share of the total, both drawn with a
    bar of that share."""
    def percent(m: "CallTableModel", i: int) -> float:
        return m.functions[i][field] * m.percent_scale

    def heat(m: "CallTableModel", i: int) -> float:
        return m.functions[i][field] * m.heat_scale

    return (Column(title, lambda m, i: format_ns(m.functions[i][field]), tooltip,
                   sort_key=_cached_key(column), numeric=True, heat=heat),
            Column(percent_title, lambda m, i: format_percent(percent(m, i)),
                   percent_tooltip, sort_key=percent, numeric=True, heat=heat))


#: The columns, in COL_* order (short titles: a docked pane is narrow).
COLUMNS = (
    Column(_("Function"), lambda m, i: m.functions[i].name, _("Function name"),
           sort_key=_cached_key(COL_FUNCTION), cell_tooltip=_function_tooltip,
           decoration=lambda m, i: m.waiting_icon if m.is_waiting(i) else None),
    Column(_("File:line"), lambda m, i: display_location(m.functions[i]),
           _("File and first line of the function"), sort_key=_cached_key(COL_LOCATION),
           cell_tooltip=lambda m, i: location_tooltip(m.functions[i])),
    Column(_("Calls"), _calls_text,
           _("Calls: primitive/total when some calls were recursive"),
           sort_key=_cached_key(COL_CALLS), numeric=True, cell_tooltip=_calls_tooltip),
    *_time_columns(COL_SELF, _("Self"), _("Self time: time spent in the function itself"),
                   _("Self %"), _("Self time as a share of the total"), field=5),
    *_time_columns(COL_INCLUSIVE, _("Inclusive"),
                   _("Inclusive time: time spent in the function and everything it called"),
                   _("Incl. %"), _("Inclusive time as a share of the total"), field=6),
    Column(_("Per call"), lambda m, i: format_ns(per_call_ns(m.functions[i])),
           _("Inclusive time per primitive call"),
           sort_key=_cached_key(COL_PER_CALL), numeric=True),
)

#: How each column's sort keys are built for all rows at once (one C-level ``sorted``
#: over them); a percentage sorts like the time it is a share of.
KEY_BUILDERS = (_name_keys, _location_keys, _calls_keys, _self_keys, _self_keys,
                _inclusive_keys, _inclusive_keys, _per_call_keys)


# -- the model -----------------------------------------------------------------------------

class CallTableModel(ColumnModelMixin, QAbstractTableModel):
    """Table model of the functions of a profile; it sorts and filters them itself.

    Rows are positions in ``_order``, a list of the shown function indices in sort order, so
    sorting permutes one list and filtering shortens it; nothing is stored per row. Use
    :meth:`row_of` / :meth:`function_at` to go between rows and function indices. Sorting
    runs over cached key arrays (one C-level ``sorted`` call) instead of
    QSortFilterProxyModel's per-row ``lessThan``, which would call back into Python about
    n·log(n) times; :attr:`row_filter` (a :class:`FunctionFilter`) says which rows show.
    """

    columns = COLUMNS
    row_roles = {Role.FUNCTION_INDEX: lambda _m, i: i,
                 Role.WAITING: lambda m, i: m.is_waiting(i)}

    def __init__(self, data: Optional[ProfileData] = None, parent=None,
                 stdlib_dirs: Optional[Sequence[str]] = None):
        super().__init__(parent)
        self.waiting_icon = None
        self.row_filter = FunctionFilter(stdlib_dirs)
        self._sort_column = COL_INCLUSIVE
        self._sort_order = Qt.DescendingOrder
        self._install(data or ProfileData([], []))

    def row_object(self, index: QModelIndex) -> int:
        return self._order[index.row()]

    # -- data in -----------------------------------------------------------------------
    def _install(self, data: ProfileData) -> None:
        self._data = data
        self.functions = data.functions
        self.percent_scale = 100.0 / data.total_ns if data.total_ns else 0.0
        self.heat_scale = 1.0 / data.total_ns if data.total_ns else 0.0
        self.counts_measured = counts_measured(data)
        # built once per profile (possibly by prepare_sort(), in a loader thread), shared
        # by every model showing it
        self._cache = _caches_of(data)
        self._full_order = self._sorted_order(self._sort_column, self._sort_order)
        self._mask = self.row_filter.mask(data)
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

    def is_waiting(self, function_index: int) -> bool:
        """Whether the function waits: from the profile's mask once it is built (the
        loader builds it after the first paint), else judged for this one row."""
        mask = _caches_of(self._data).waiting
        if mask is not None:
            return mask[function_index]
        f = self._data.functions[function_index]
        return is_waiting(f.file, f.name)

    def update_filter(self, **settings) -> None:
        """Change :attr:`row_filter`'s settings (see :class:`FunctionFilter`); the rows are
        filtered again when one really changed."""
        if self.row_filter.update(**settings):
            self.beginResetModel()
            self._mask = self.row_filter.mask(self._data)
            self._apply_mask()
            self.endResetModel()

    # -- rows and functions --------------------------------------------------------------
    def function_at(self, row: int) -> int:
        """Function index shown in ``row``."""
        return self._order[row]

    def row_of(self, function_index: int) -> int:
        """Row showing function ``function_index``; -1 when it is filtered out or unknown."""
        if not 0 <= function_index < len(self.functions):
            return -1
        if self._positions is None:
            positions = [-1] * len(self.functions)
            order = self._order
            # one C-level loop: positions[order[row]] = row for every row
            deque(map(positions.__setitem__, order, range(len(order))), maxlen=0)
            self._positions = positions
        return self._positions[function_index]

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._order)

    # -- sorting -------------------------------------------------------------------------
    def sort_keys(self, column: int) -> list:
        """Sort key of every function for ``column``, by function index (cached)."""
        return self._cache.keys_for(self.functions, KEY_BUILDERS[column])

    def _sorted_order(self, column: int, order) -> List[int]:
        if column < 0 or column >= COLUMN_COUNT:
            return list(range(len(self.functions)))
        return self._cache.order_for(self.functions, KEY_BUILDERS[column],
                                     order == Qt.DescendingOrder)

    def sort(self, column, order=Qt.AscendingOrder):
        """Sort rows by ``column``'s raw values (numbers numerically), keeping selections."""
        if (column, order) == (self._sort_column, self._sort_order):
            return  # already in that order (QTableView.sortByColumn asks twice)
        if column == COL_CALLS and not self.counts_measured:
            # no counts to sort by (every one is 0): the rows keep their order
            self._sort_column, self._sort_order = column, order
            return
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

class _SortCache:
    """The call table's sort keys and sorted orders of one profile, and which of its
    functions wait. Lists handed out are never changed in place."""

    def __init__(self, data: ProfileData):
        # weak: the cache lives in a WeakKeyDictionary keyed by this very profile
        self._data = weakref.ref(data)
        self.keys: Dict[Callable, list] = {}
        self.orders: Dict[Tuple[Callable, bool], List[int]] = {}
        self.waiting: Optional[List[bool]] = None

    def keys_for(self, functions: Sequence[Function], builder: Callable) -> list:
        found = self.keys.get(builder)
        if found is None:
            found = self.keys[builder] = builder(functions)
        return found

    def order_for(self, functions: Sequence[Function], builder: Callable,
                  descending: bool) -> List[int]:
        found = self.orders.get((builder, descending))
        data = self._data()
        if found is None and builder is _inclusive_keys and descending and data is not None:
            # the profile's own first order (a loaded table keeps it: no sort at all)
            found = self.orders[(builder, descending)] = data.by_inclusive()
        if found is None:
            keys = self.keys_for(functions, builder)
            found = sorted(range(len(functions)), key=keys.__getitem__, reverse=descending)
            self.orders[(builder, descending)] = found
        return found


# A view's caches stay on the widgets side, kept as long as their profile lives.
_CACHES: "weakref.WeakKeyDictionary[ProfileData, _SortCache]" = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _caches_of(data: ProfileData) -> _SortCache:
    with _CACHES_LOCK:
        found = _CACHES.get(data)
        if found is None:
            found = _CACHES[data] = _SortCache(data)
        return found


def prepare_sort(data: ProfileData, column: int = COL_INCLUSIVE, descending: bool = True,
                 all_keys: bool = True) -> ProfileData:
    """Build, ahead of showing ``data``, the order the call table starts with and, with
    ``all_keys``, the sort keys of every column and which functions wait, so that neither
    showing the profile nor a first sort by a column or filter has to build them."""
    for _step in iter_prepare_sort(data, column, descending, all_keys):
        pass
    return data


def iter_prepare_sort(data: ProfileData, column: int = COL_INCLUSIVE, descending: bool = True,
                      all_keys: bool = True):
    """:func:`prepare_sort` in steps (a generator yielding after each column's keys and
    after the sort), for a loader that works between a GUI thread's events."""
    cache = _caches_of(data)
    if 0 <= column < COLUMN_COUNT:
        builder = KEY_BUILDERS[column]
        if builder not in cache.keys:
            cache.keys_for(data.functions, builder)
            yield
        cache.order_for(data.functions, builder, descending)
        yield
    if all_keys:
        for builder in KEY_BUILDERS:
            if builder not in cache.keys:
                cache.keys_for(data.functions, builder)
                yield
    if all_keys and cache.waiting is None:   # for the "hide waiting" filter
        waiting_of(data)
        yield


# -- the filter ----------------------------------------------------------------------------

class FunctionFilter:
    """Which functions the call table shows: search text and hide toggles (no Qt).

    :meth:`mask` gives one list of booleans by function index, computed only when asked
    (after a setting or the profile changed), from per-profile caches: the file kind of
    each distinct file and the searched text of each function.
    """

    _OTHER, _BUILTIN, _STDLIB, _SITE = 0, 1, 2, 4

    def __init__(self, stdlib_dirs: Optional[Sequence[str]] = None):
        self.search = ""
        self.hide_builtins = False
        self.hide_stdlib = False
        self.hide_site = False
        self.hide_waiting = False
        #: standard library folders of the interpreter that ran the profiled script
        self.stdlib_dirs: Tuple[str, ...] = (
            tuple(stdlib_dirs) if stdlib_dirs is not None else default_stdlib_dirs())
        self._cached_for: Optional[ProfileData] = None
        self._haystack: Optional[List[str]] = None
        self._kinds: Optional[List[int]] = None

    def filters(self) -> Tuple[bool, bool, bool]:
        """(hide built-ins, hide standard library, hide site-packages)."""
        return self.hide_builtins, self.hide_stdlib, self.hide_site

    def update(self, search: Optional[str] = None, hide_builtins: Optional[bool] = None,
               hide_stdlib: Optional[bool] = None, hide_site: Optional[bool] = None,
               hide_waiting: Optional[bool] = None,
               stdlib_dirs: Optional[Sequence[str]] = None) -> bool:
        """Change the given settings (``search``: name or file contains it, any case);
        True when the shown rows may change."""
        new = dict(search=None if search is None else search.strip().lower(),
                   hide_builtins=hide_builtins, hide_stdlib=hide_stdlib,
                   hide_site=hide_site, hide_waiting=hide_waiting)
        changed = False
        for name, value in new.items():
            if value is not None and type(getattr(self, name))(value) != getattr(self, name):
                setattr(self, name, type(getattr(self, name))(value))
                changed = True
        if stdlib_dirs is not None and tuple(stdlib_dirs) != self.stdlib_dirs:
            self.stdlib_dirs = tuple(stdlib_dirs)
            self._kinds = None
            changed = changed or self.hide_stdlib
        return changed

    def is_filtering(self) -> bool:
        return bool(self.search or self.hide_builtins or self.hide_stdlib or self.hide_site
                    or self.hide_waiting)

    def _kind_of(self, file: str) -> int:
        if file == BUILTIN_FILE:
            return self._BUILTIN
        if is_site_packages_file(file):
            return self._SITE
        if file.startswith("<frozen ") or is_stdlib_file(file, self.stdlib_dirs):
            return self._STDLIB
        return self._OTHER

    def mask(self, data: ProfileData) -> Optional[List[bool]]:
        """Whether each function of ``data`` shows, or None when all do."""
        if not self.is_filtering():
            return None
        if data is not self._cached_for:
            self._cached_for, self._haystack, self._kinds = data, None, None
        functions = data.functions
        mask = None
        hidden = ((self._BUILTIN if self.hide_builtins else 0)
                  | (self._STDLIB if self.hide_stdlib else 0)
                  | (self._SITE if self.hide_site else 0))
        if hidden:
            if self._kinds is None:
                # classified once per distinct file, not per function
                by_file = {f.file: 0 for f in functions}
                for file in by_file:
                    by_file[file] = self._kind_of(file)
                self._kinds = [by_file[f.file] for f in functions]
            mask = [not kind & hidden for kind in self._kinds]
        if self.hide_waiting:
            working = [not waiting for waiting in waiting_of(data)]
            mask = working if mask is None else [a and b for a, b in zip(mask, working)]
        if self.search:
            if self._haystack is None:
                # name and file in one string; a kept search text never holds "\n"
                self._haystack = [f"{f.name}\n{f.file}".lower() for f in functions]
            needle = self.search
            found = [needle in text for text in self._haystack]
            mask = found if mask is None else [a and b for a, b in zip(mask, found)]
        return mask
