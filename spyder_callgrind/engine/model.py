"""Plain data passed between the layers: a profile, its functions and call edges.

A :class:`ProfileData` is what every reader produces (pstats files, callgrind files) and what
every consumer reads (the callgrind writer, the text summary, the Qt models, the command line).
Nothing here knows about files or Qt.

Costs are integers in the profile's *event*: nanoseconds (``ns``) for every Python profile,
as in the callgrind files we write; an imported callgrind file keeps its own first event
(valgrind's ``Ir``, instructions, for a C program). The ``*_ns`` field names say what they
hold for Python profiles; :func:`format_cost` shows any event in its own unit.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
from array import array
from dataclasses import dataclass
from collections import Counter
from itertools import accumulate, repeat
from operator import eq, itemgetter
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

#: The file name cProfile/pstats gives built-in functions ("~"); we keep it.
BUILTIN_FILE = "~"

#: The event (cost unit) of Python profiles: integer nanoseconds.
NS_EVENT = "ns"

#: pstats key of a function: (file, first line, name).
FuncKey = Tuple[str, int, str]
_KEY = itemgetter(0, 1, 2)
_SELF_NS = itemgetter(5)   # Function.self_ns


@contextlib.contextmanager
def no_gc():
    """Pause the cyclic garbage collector while ~10^5 tuples are built: Function and Edge
    tuples (a tuple subclass) stay tracked by the collector, and next to a large live heap
    each full collection set off by their allocation walks them all again (more than half
    of a table's load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ProfileError(ValueError):
    """A profile or table file cannot be read; the message is one line for the user."""


class Function(NamedTuple):
    """One function of a profile, with its totals over the whole profile."""

    file: str               #: absolute path, or BUILTIN_FILE for built-ins
    line: int               #: first line of the function (0 for built-ins)
    name: str               #: function name as pstats has it
    primitive_calls: int    #: calls that were not recursive
    total_calls: int        #: all calls, recursive ones included
    self_ns: int            #: time spent in the function itself (pstats tottime)
    inclusive_ns: int       #: time including callees (pstats cumtime)

    @property
    def key(self) -> FuncKey:
        return (self.file, self.line, self.name)

    @property
    def is_builtin(self) -> bool:
        return self.file == BUILTIN_FILE


class Edge(NamedTuple):
    """Calls from one function to another; indices point into ``ProfileData.functions``."""

    caller: int
    callee: int
    primitive_calls: int
    total_calls: int
    self_ns: int            #: callee's own time spent under this caller
    inclusive_ns: int       #: callee's inclusive time under this caller


class EdgeColumns(Sequence):
    """The edges of a profile kept as six typed columns (as a table file stores them), a
    read-only sequence of :class:`Edge`: each edge is made when it is read. A loaded
    profile then holds ~10^5 edges as a few arrays, not as tuples that take tens of
    milliseconds to build and that the cyclic garbage collector walks again and again."""

    __slots__ = ("_columns",)

    def __init__(self, columns: Sequence[Sequence[int]]):
        if len(columns) != len(Edge._fields) or len({len(c) for c in columns}) > 1:
            raise ValueError("EdgeColumns needs six columns of one length")
        self._columns = tuple(columns)

    def column(self, field: int) -> Sequence[int]:
        """Field ``field`` (Edge order: 0 caller, 1 callee...) of every edge."""
        return self._columns[field]

    def __len__(self) -> int:
        return len(self._columns[0])

    def __getitem__(self, item):
        if isinstance(item, slice):
            return list(map(tuple.__new__, repeat(Edge),
                            zip(*(column[item] for column in self._columns))))
        return tuple.__new__(Edge, [column[item] for column in self._columns])

    def __iter__(self):
        return map(tuple.__new__, repeat(Edge), zip(*self._columns))

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(map(eq, self, other))

    def __ne__(self, other) -> bool:
        same = self.__eq__(other)
        return same if same is NotImplemented else not same

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EdgeColumns({len(self)} edges)"


def grouped_by(ends: Sequence[int], count: int) -> Tuple[array, array]:
    """Edge numbers grouped by one end (the caller or callee index of each edge in
    ``ends``) among ``count`` functions, CSR-like: function ``i``'s edges are
    ``items[offsets[i]:offsets[i + 1]]``, in the profile's order. A stable sort of the edge
    numbers (C loops, not a Python one per edge)."""
    with no_gc():
        counts = Counter(ends)
        offsets = array("l", accumulate(map(counts.get, range(count), repeat(0)), initial=0))
        items = array("l", sorted(range(len(ends)), key=ends.__getitem__))
    return offsets, items


class ProfileData:
    """A whole profile: functions, edges, and indices to walk them.

    ``functions`` is a list, ``edges`` a list or an :class:`EdgeColumns`; ``callers_of(i)``
    / ``callees_of(i)`` give the edges into / out of function ``i``. Built once, read many
    times (never mutated).
    ``cache`` holds what the engine derives from the profile and keeps with it (its sampled
    stacks), so it can be computed once, e.g. in a loader thread. Views keep their own
    caches keyed by a weak reference to the profile.
    """

    __slots__ = ("functions", "edges", "_callers", "_callees", "_index", "_by_inclusive",
                 "total_ns", "description", "cache", "event", "__weakref__")

    def __init__(self, functions: List[Function], edges: Sequence[Edge], description: str = "",
                 event: str = NS_EVENT, total_ns: Optional[int] = None):
        self.functions = functions
        self.edges = edges
        self.description = description
        #: what the costs count: NS_EVENT, or an imported callgrind file's event ("Ir"...)
        self.event = event
        #: the whole run's time: the sum of the self times unless the caller knows it
        self.total_ns = sum(map(_SELF_NS, functions)) if total_ns is None else total_ns
        self._callers: Optional[Tuple[array, array]] = None   # (offsets, edge indices)
        self._callees: Optional[Tuple[array, array]] = None
        self._index: Optional[Dict[FuncKey, int]] = None
        self._by_inclusive: Optional[List[int]] = None
        self.cache: Dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self.functions)

    def _build_adjacency(self) -> None:
        """Edges grouped by callee and by caller, as offsets into flat ``array``s (CSR).

        Not a list per function: 2x10^5 small lists would be objects the cyclic garbage
        collector walks again and again; arrays of machine integers are invisible to it.
        Built by a stable sort of the edge numbers (C loops, not a Python one per edge), so
        each function's edges keep the profile's order.
        """
        for _step in self._iter_adjacency():
            pass

    def _iter_adjacency(self):
        """:meth:`_build_adjacency` in four steps (a generator)."""
        found = []
        for end in (1, 0):      # grouped by callee (callers_of), then by caller
            edges = self.edges
            if isinstance(edges, EdgeColumns):
                ends = edges.column(end)
            else:
                with no_gc():
                    ends = [e[end] for e in edges]
            yield
            found.append(grouped_by(ends, len(self.functions)))
            yield
        self._callers, self._callees = found

    def adjacency(self) -> Tuple[Tuple[array, array], Tuple[array, array]]:
        """(callers, callees): each ``(offsets, edge numbers)``, see :func:`grouped_by`
        (a table file keeps them, so that a loaded profile needs no sorting)."""
        if self._callers is None:
            self._build_adjacency()
        return self._callers, self._callees

    def set_adjacency(self, callers: Tuple[array, array],
                      callees: Tuple[array, array]) -> None:
        """Take the lookup by callee and by caller as read (from a table file)."""
        self._callers, self._callees = callers, callees

    def by_inclusive(self) -> List[int]:
        """Function indices by inclusive time, largest first (a stable order: equal times
        keep their index order). The order a profile is first looked at in; a table file
        keeps it. The list is shared: never change it."""
        if self._by_inclusive is None:
            inclusive = [f[6] for f in self.functions]
            self._by_inclusive = sorted(range(len(inclusive)), key=inclusive.__getitem__,
                                        reverse=True)
        return self._by_inclusive

    def set_by_inclusive(self, order: List[int]) -> None:
        """Take :meth:`by_inclusive` as read (from a table file)."""
        self._by_inclusive = order

    def prepare(self) -> "ProfileData":
        """Build the lookup indices now (e.g. while loading, not at the first click)."""
        for _step in self.iter_prepare():
            pass
        return self

    def iter_prepare(self, index: bool = True):
        """:meth:`prepare` in steps of a few tens of milliseconds (callers, callees, the key
        index unless ``index`` is false), a generator, for a GUI thread that builds them
        between events."""
        if self._callers is None:
            yield from self._iter_adjacency()
        if index and self._index is None:
            index: Dict[FuncKey, int] = {}
            functions = self.functions
            for start in range(0, len(functions), 32768):
                with no_gc():
                    index.update(zip(map(_KEY, functions[start:start + 32768]),
                                     range(start, start + 32768)))
                yield
            self._index = index

    def _build_index(self) -> None:
        self._index = dict(zip(map(_KEY, self.functions), range(len(self.functions))))

    def _edges_in(self, table, index: int) -> List[Edge]:
        offsets, items = table
        edges = self.edges
        return [edges[n] for n in items[offsets[index]:offsets[index + 1]]]

    def callers_of(self, index: int) -> List[Edge]:
        """Edges whose callee is function ``index``."""
        if self._callers is None:
            self._build_adjacency()
        return self._edges_in(self._callers, index)

    def callees_of(self, index: int) -> List[Edge]:
        """Edges whose caller is function ``index``."""
        if self._callees is None:
            self._build_adjacency()
        return self._edges_in(self._callees, index)

    def index_of(self, key: FuncKey) -> Optional[int]:
        """Index of the function with pstats key ``key``, or None."""
        if self._index is None:
            self._build_index()
        return self._index.get(key)

    def roots(self) -> List[int]:
        """Functions nobody calls (entry points), largest inclusive time first."""
        if self._callers is None:
            self._build_adjacency()
        offsets = self._callers[0]
        found = [i for i in range(len(self.functions)) if offsets[i] == offsets[i + 1]]
        return sorted(found, key=lambda i: -self.functions[i].inclusive_ns)


def is_stdlib_file(path: str, stdlib_dirs: Tuple[str, ...]) -> bool:
    """True when ``path`` lies in one of the interpreter's standard library folders."""
    return any(path.startswith(d) for d in stdlib_dirs) and "site-packages" not in path


def is_site_packages_file(path: str) -> bool:
    """True when ``path`` belongs to an installed third-party package."""
    parts = path.replace("\\", "/").split("/")
    return "site-packages" in parts or "dist-packages" in parts


def format_ns(ns: float) -> str:
    """A duration as a user reads it: ``812 ns``, ``3.40 µs``, ``12.5 ms``, ``2.31 s``."""
    value = float(ns)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if round(value) < 1e3:
        return f"{sign}{value:.0f} ns"
    for unit, scale in (("µs", 1e3), ("ms", 1e6), ("s", 1e9)):
        shown = value / scale
        digits = 2 if shown < 10 else 1 if shown < 100 else 0
        if round(shown, digits) < 1000 or unit == "s":
            return f"{sign}{shown:.{digits}f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class TimeChange:
    """A time in one run and in a later one (of a function, a frame, a whole run)."""

    before_ns: int
    after_ns: int

    @property
    def change_ns(self) -> int:
        """Positive: slower."""
        return self.after_ns - self.before_ns

    @property
    def percent(self) -> Optional[float]:
        """The change in percent of the time before; None when there was none before."""
        return 100.0 * self.change_ns / self.before_ns if self.before_ns > 0 else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def readable(text: str) -> str:
    """``text`` that any UTF-8 file or screen takes: the bytes of a file name that are not
    UTF-8 (which ``os.fsdecode`` and Python keep as lone surrogates) become ``\\xNN``."""
    if _SURROGATE.search(text) is None:
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:   # a surrogate that no byte came from
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def format_cost(value: float, event: str = NS_EVENT) -> str:
    """A cost in its own unit: a duration for ``ns``, else ``24,600 Ir``."""
    if event == NS_EVENT:
        return format_ns(value)
    return f"{int(value):,} {event}"


def display_location(function: Function) -> str:
    """``file:line`` as a user reads it (built-ins shown as ``built-in``)."""
    if function.is_builtin:
        return "built-in"
    return f"{os.path.basename(function.file)}:{function.line}"
