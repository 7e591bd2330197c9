"""The table file: a :class:`ProfileData` in typed binary columns, read in one go.

A run folder keeps its profiles as tables (``tables/*.table``); the Spyder pane and the
command line read only these, never marshal. The layout, all integers little-endian::

    magic        8 bytes   b"SCGTABLE"
    header       struct    version, functions, edges, strings, string bytes (uint32 x 5),
                           the profile's total cost (uint64: a top table's is the whole's)
    offsets      int64 x (strings + 1)   where each string starts in the blob
    blob         UTF-8 (surrogates kept: file names that are not UTF-8 round-trip)
    functions    int32 file, int64 line, int32 name, int64 x 4 (calls, calls, self, incl.)
    edges        int32 caller, int32 callee, int64 x 4
    callers      int32 offsets x (functions + 1), int32 edge numbers x edges
    callees      the same, grouped by caller (see ``model.grouped_by``)
    by inclusive int32 x functions: the function indices by inclusive time, largest first
    strings 0, 1 are the profile's description and event.

The call graph is kept indexed both ways, as the writer found it, and so is the order by
inclusive time: a loaded profile shows its rows in their first order, and a function's
callers and callees, without sorting anything first.

Each column is one ``array.frombytes`` of a slice of the file: no parser, no per-value
Python work but the building of the ``Function`` tuples the models read (the edges stay
columns, an :class:`~spyder_callgrind.engine.model.EdgeColumns`). Any
damage (a wrong magic, a truncated file, an index out of range, a negative count) is a
:class:`~spyder_callgrind.engine.model.ProfileError` with a one-line message.
"""

from __future__ import annotations

import os
import struct
import sys
from array import array
from itertools import repeat
from typing import List, Tuple

from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.model import (Edge, EdgeColumns, Function, ProfileData, ProfileError,
                                           no_gc)
from spyder_callgrind.engine.samples import attach_stacks

MAGIC = b"SCGTABLE"
#: Bumped when the layout changes; older versions are refused (the run's callgrind file
#: is read instead, see :mod:`.runfolder`).
TABLE_VERSION = 5
_HEADER = struct.Struct("<5IQ")
#: Rows of a top table: the first by self time, by inclusive time and by calls (each).
TOP_ROWS = 500
_INDEX, _WIDE = "i", "q"
#: (typecode) of each function column and each edge column, in Function/Edge field order.
_FUNCTION_TYPES = (_INDEX, _WIDE, _INDEX, _WIDE, _WIDE, _WIDE, _WIDE)
_EDGE_TYPES = (_INDEX, _INDEX, _WIDE, _WIDE, _WIDE, _WIDE)
_SWAP = sys.byteorder != "little"
assert array(_INDEX).itemsize == 4 and array(_WIDE).itemsize == 8


class TableVersionError(ProfileError):
    """A table file of another layout (an older or newer spyder-callgrind's)."""


def _column(typecode: str, values) -> bytes:
    column = array(typecode, values)
    if _SWAP:
        column.byteswap()
    return column.tobytes()


def table_bytes(data: ProfileData) -> bytes:
    """``data`` as the bytes of a table file."""
    strings = {data.description: 0}
    strings.setdefault(data.event, len(strings))
    functions, edges = data.functions, data.edges
    file_ids = [strings.setdefault(f[0], len(strings)) for f in functions]
    name_ids = [strings.setdefault(f[2], len(strings)) for f in functions]
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    offsets = [0]
    for text in encoded:
        offsets.append(offsets[-1] + len(text))
    blob = b"".join(encoded)
    parts = [MAGIC, _HEADER.pack(TABLE_VERSION, len(functions), len(edges), len(encoded),
                                 len(blob), data.total_ns),
             _column(_WIDE, offsets), blob]
    columns = [file_ids, [f[1] for f in functions], name_ids]
    columns += [[f[n] for f in functions] for n in range(3, 7)]
    parts += [_column(code, values) for code, values in zip(_FUNCTION_TYPES, columns)]
    parts += [_column(code, [e[n] for e in edges]) for n, code in enumerate(_EDGE_TYPES)]
    for offsets, items in data.adjacency():
        parts += [_column(_INDEX, offsets), _column(_INDEX, items)]
    parts.append(_column(_INDEX, data.by_inclusive()))
    return b"".join(parts)


def save_table(data: ProfileData, path: str) -> None:
    """Write ``data`` as a table file, atomically."""
    atomic_write(path, table_bytes(data))


def top_subset(data: ProfileData, n: int = TOP_ROWS) -> ProfileData:
    """The ``n`` first functions by inclusive time, by self time and by calls (union),
    with the edges among them; its ``total_ns`` stays the whole profile's."""
    functions = data.functions
    count = len(functions)
    if count <= n:
        return data
    order = range(count)
    by_inclusive = data.by_inclusive()[:n]
    by_self = sorted(order, key=lambda i: -functions[i].self_ns)[:n]
    by_calls = sorted(order, key=lambda i: -functions[i].total_calls)[:n]
    keep = sorted(set(by_inclusive).union(by_self, by_calls))
    new_index = {old: new for new, old in enumerate(keep)}
    edges = [Edge(new_index[e.caller], new_index[e.callee], *e[2:]) for e in data.edges
             if e.caller in new_index and e.callee in new_index]
    top = ProfileData([functions[i] for i in keep], edges, data.description, data.event)
    top.total_ns = data.total_ns
    return top


def save_top(data: ProfileData, path: str, n: int = TOP_ROWS) -> None:
    """Write a table file with only the top ``n`` rows (see :func:`top_subset`)."""
    save_table(top_subset(data, n), path)


def read_bytes(path: str) -> bytes:
    """The file's bytes, or a ProfileError naming it."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise ProfileError(f"cannot read {os.path.basename(path)}: "
                           f"{error.strerror or error}") from None


class _Columns:
    """Cuts typed columns off the front of a table's bytes, checking each fits."""

    def __init__(self, raw: memoryview, start: int, source: str):
        self.raw, self.pos, self.source = raw, start, source

    def take(self, typecode: str, count: int) -> array:
        column = array(typecode)
        end = self.pos + count * column.itemsize
        if end > len(self.raw):
            raise ProfileError(f"damaged table: {self.source} is cut short")
        column.frombytes(self.raw[self.pos:end])
        if _SWAP:
            column.byteswap()
        self.pos = end
        return column

    def blob(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.raw):
            raise ProfileError(f"damaged table: {self.source} is cut short")
        found = bytes(self.raw[self.pos:end])
        self.pos = end
        return found


def _strings(offsets: array, blob: bytes, source: str) -> List[str]:
    offsets = offsets.tolist()
    # in order (a C sort of sorted numbers is one pass), from 0 to the blob's end
    if offsets[0] != 0 or offsets[-1] != len(blob) or offsets != sorted(offsets):
        raise ProfileError(f"damaged table: {source} has a bad string table")
    try:
        text = blob.decode("utf-8", "surrogatepass")
        if len(text) == len(blob):   # ASCII: byte offsets are character offsets
            return [text[a:b] for a, b in zip(offsets, offsets[1:])]
        # An offset inside a character is damage too: each name is decoded on its own.
        return [blob[a:b].decode("utf-8", "surrogatepass")
                for a, b in zip(offsets, offsets[1:])]
    except UnicodeDecodeError:
        raise ProfileError(f"damaged table: {source} has a name that is not text") from None


def _negative(column: array) -> bool:
    """Whether a signed column holds a value below zero: a C-level look at the top byte
    of each value (its sign bit), not a Python integer per value as ``min`` makes."""
    size = column.itemsize
    raw = column.tobytes()
    top = raw[size - 1::size] if not _SWAP else raw[::size]
    return bool(top.translate(None, _LOW_BYTES))


_LOW_BYTES = bytes(range(128))


def _check(columns: List[array], limits: Tuple[int, ...], source: str, what: str) -> None:
    """Every value is >= 0, and each index column below its limit (0: no limit)."""
    for column, limit in zip(columns, limits):
        if column and (_negative(column) or (limit and max(column) >= limit)):
            raise ProfileError(f"damaged table: {source} has a bad {what} column")


#: Rows made into Function/Edge tuples in one step of :func:`iter_load_table`.
BUILD_ROWS = 16384


def run_steps(steps):
    """Run a generator of steps (as :func:`iter_load_table` is) to its end; its value."""
    try:
        while True:
            next(steps)
    except StopIteration as done:
        return done.value


def load_table(path: str) -> ProfileData:
    """Read a table file written by :func:`save_table` (with its sampled stacks, if the
    run kept them beside it); :class:`ProfileError` if it is damaged or of another version.
    """
    return run_steps(iter_load_table(path))


def _build(kind, columns: list, count: int):
    """``kind`` tuples (Functions) from ``columns``, :data:`BUILD_ROWS` per step."""
    rows: list = []
    for start in range(0, count, BUILD_ROWS):
        chunk = [column[start:start + BUILD_ROWS] for column in columns]
        with no_gc():
            rows.extend(map(tuple.__new__, repeat(kind), zip(*chunk)))
        yield
    return rows


def iter_load_table(path: str):
    """:func:`load_table` as a generator of steps of a few tens of milliseconds at most
    (one read, then the tuples by :data:`BUILD_ROWS`), which returns the ProfileData: a GUI
    thread runs it between events. Not a thread: a thread building Python objects holds the
    interpreter lock, and each call from Qt into Python (every ``data()`` of a paint) then
    waits for it, a switch interval (5 ms) or a whole C loop at a time."""
    source = os.path.basename(path)
    raw = memoryview(read_bytes(path))
    if bytes(raw[:len(MAGIC)]) != MAGIC:
        raise TableVersionError(f"not a table: {source} is not a spyder-callgrind table file "
                           "(or one from an older version)")
    if len(raw) < len(MAGIC) + 4:
        raise ProfileError(f"damaged table: {source} is cut short")
    version = int.from_bytes(raw[len(MAGIC):len(MAGIC) + 4], "little")
    if version != TABLE_VERSION:
        newer = "a newer" if version > TABLE_VERSION else "an older"
        raise TableVersionError(f"{source} was written by {newer} spyder-callgrind (table version "
                           f"{version}, this one reads {TABLE_VERSION})")
    if len(raw) < len(MAGIC) + _HEADER.size:
        raise ProfileError(f"damaged table: {source} is cut short")
    _version, count, edge_count, string_count, blob_size, total = _HEADER.unpack_from(
        raw, len(MAGIC))
    if string_count < 2:
        raise ProfileError(f"damaged table: {source} has a bad string table")
    take = _Columns(raw, len(MAGIC) + _HEADER.size, source)
    offsets = take.take(_WIDE, string_count + 1)
    blob = take.blob(blob_size)
    function_columns = [take.take(code, count) for code in _FUNCTION_TYPES]
    edge_columns = [take.take(code, edge_count) for code in _EDGE_TYPES]
    adjacency = [(take.take(_INDEX, count + 1), take.take(_INDEX, edge_count))
                 for _end in (1, 0)]
    by_inclusive = take.take(_INDEX, count)
    if take.pos != len(raw):
        raise ProfileError(f"damaged table: {source} has extra data at its end")
    del raw
    yield
    strings = _strings(offsets, blob, source)
    if not strings[1]:
        raise ProfileError(f"damaged table: {source} names no event")
    yield
    _check(function_columns, (string_count, 0, string_count, 0, 0, 0, 0), source, "function")
    _check(edge_columns, (count, count, 0, 0, 0, 0), source, "call")
    for offsets, items in adjacency:
        if offsets[0] != 0 or offsets[-1] != edge_count:
            raise ProfileError(f"damaged table: {source} has a bad call index")
        _check([offsets, items], (edge_count + 1, edge_count), source, "call index")
    _check([by_inclusive], (count,), source, "order")
    self_ns = sum(function_columns[5])   # the whole run's time is at least that
    if total < self_ns:
        raise ProfileError(f"damaged table: {source} has a bad total")
    by_inclusive = by_inclusive.tolist()
    if len(set(by_inclusive)) != count:
        raise ProfileError(f"damaged table: {source} has a bad order column")
    yield
    name_of = strings.__getitem__
    function_columns[0] = list(map(name_of, function_columns[0]))
    function_columns[2] = list(map(name_of, function_columns[2]))
    functions = yield from _build(Function, function_columns, count)
    data = ProfileData(functions, EdgeColumns(edge_columns), strings[0], strings[1], total)
    data.set_adjacency(*adjacency)
    data.set_by_inclusive(by_inclusive)
    # A run with stack samples keeps them beside its table: the views then show them.
    return attach_stacks(data, path)
