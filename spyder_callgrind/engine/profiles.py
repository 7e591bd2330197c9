"""Reading profiles into :class:`~spyder_callgrind.engine.model.ProfileData`, and the table file.

Three ways in and out of a profile live here:

* ``.prof`` files (pstats marshal) written by ``cProfile`` or by the pure-Python ``profile``
  module: :func:`load_pstats` reads and validates them strictly, :func:`write_pstats` writes
  one that ``pstats.Stats`` reads. Marshal data from an untrusted or damaged file can crash
  the interpreter that reads it, so :func:`load_pstats_isolated` does the reading in a child
  interpreter that hands back the safe table form.
* the *table* (``save_table`` / ``load_table`` / ``save_top``): a compact, versioned JSON
  form of a ``ProfileData`` in columns. The Spyder pane reads only this, never marshal.
  Since table version 2 each column is a list of slices (``TABLE_CHUNK`` values each, one
  slice per line), and :func:`load_table` parses slice by slice: one ``json.loads`` of a
  100k-row table holds the interpreter lock for a third of a second, which froze Spyder's
  GUI thread while a background thread read it; between slices the lock is free.
  Version 1 files (flat columns) are still read.
* :func:`merge_profiles`: the sum of several profiles (all processes of a run).

Every failure to read is a :class:`ProfileError` with a one-line message for the user.
"""

from __future__ import annotations

import contextlib
import gc
import json
import marshal
import os
import re
import subprocess
import sys
import tempfile
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.isolated import module_command
from spyder_callgrind.engine.model import (
    BUILTIN_FILE, NS_EVENT, Edge, FuncKey, Function, ProfileData)

#: Identifies our table files; ``TABLE_VERSION`` is bumped when the layout changes.
TABLE_FORMAT = "spyder-callgrind-table"
TABLE_VERSION = 2
#: Values per column slice in a version 2 table (each slice is parsed on its own).
TABLE_CHUNK = 4096

_NS = 1e9
_FUNCTION_COLUMNS = ("file", "line", "name", "primitive_calls", "total_calls", "self_ns",
                     "inclusive_ns")
_EDGE_COLUMNS = ("caller", "callee", "primitive_calls", "total_calls", "self_ns",
                 "inclusive_ns")


class ProfileError(ValueError):
    """A profile or table file cannot be read; the message is one line for the user."""


# -- pstats ---------------------------------------------------------------------------------

def _normalise_key(key: Any, base_dir: str, cache: Dict[Any, FuncKey]) -> Optional[FuncKey]:
    """The (file, line, name) we keep for a pstats key, or None when the key is malformed.

    cProfile records file names as the interpreter saw them (often relative); the
    pure-Python ``profile`` module records C functions as ``("", 0, name)`` and its own
    entry points as ``("profile", 0, <code object or name>)``. All become proper keys here.
    """
    found = cache.get(key)
    if found is not None:
        return found
    if type(key) is not tuple or len(key) != 3:
        return None
    file, line, name = key
    if type(file) is not str or type(line) is not int or line < 0:
        return None
    if type(name) is not str:
        code_name = getattr(name, "co_name", None)
        if not isinstance(code_name, str):
            return None
        name = "<profile: %s of %s>" % (code_name, getattr(name, "co_filename", "?"))
    if file == "" or (file == "profile" and line == 0):
        # the ``profile`` module's C functions and its own pseudo-functions
        file = BUILTIN_FILE
    elif file != BUILTIN_FILE and not (file.startswith("<") and file.endswith(">")):
        if not os.path.isabs(file):
            file = os.path.normpath(os.path.join(base_dir, file))
    result = (file, line, name)
    cache[key] = result
    return result


@contextlib.contextmanager
def _no_gc():
    """Pause the cyclic garbage collector: building ~10^5 tuples next to a large live
    heap otherwise triggers full collections again and again (half the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _bad(source: str, what: str) -> ProfileError:
    return ProfileError(f"not a profile: {source} has {what}")


def _from_stats(stats: Any, source: str, base_dir: Optional[str],
                description: str = "") -> ProfileData:
    """Validate a pstats dictionary and turn it into ProfileData (times in ns).

    Written for speed (this is most of a conversion's time): checks are inlined, and
    Function/Edge tuples are made with ``tuple.__new__``.
    """
    if type(stats) is not dict:
        raise ProfileError(f"not a profile: {source} does not hold a pstats dictionary")
    if not stats:
        raise ProfileError(f"empty profile: {source} holds no functions")
    base = os.path.abspath(base_dir) if base_dir else os.getcwd()
    cache: Dict[Any, FuncKey] = {}
    index: Dict[FuncKey, int] = {}
    raw_index: Dict[Any, int] = {}     # recorded key -> function index
    rows: List[List[Any]] = []         # [file, line, name, cc, nc, tt, ct]
    raw_callers: List[Tuple[int, dict]] = []
    float_, int_, tuple_, dict_ = float, int, tuple, dict
    merged = False
    for key, value in stats.items():
        fkey = _normalise_key(key, base, cache)
        if fkey is None:
            raise _bad(source, "a malformed function key")
        if type(value) is not tuple_ or len(value) != 5:
            raise _bad(source, f"a malformed entry for {fkey[2]}")
        cc, nc, tt, ct, callers = value
        if (type(cc) is not int_ or type(nc) is not int_ or type(callers) is not dict_
                or (type(tt) is not float_ and type(tt) is not int_)
                or (type(ct) is not float_ and type(ct) is not int_)
                or not (cc >= 0 and nc >= 0 and 0 <= tt < 1e9 and 0 <= ct < 1e9)):
            raise _bad(source, f"a malformed entry for {fkey[2]}")
        n = index.get(fkey)
        if n is None:
            index[fkey] = n = len(rows)
            rows.append([fkey[0], fkey[1], fkey[2], cc, nc, round(tt * 1e9), round(ct * 1e9)])
        else:   # two recorded keys name the same function (relative and absolute path)
            merged = True
            row = rows[n]
            row[3] += cc
            row[4] += nc
            row[5] += round(tt * 1e9)
            row[6] += round(ct * 1e9)
        raw_index[key] = n
        if callers:
            raw_callers.append((n, callers))

    new = tuple.__new__
    edge_rows: List[Any] = []
    for callee, callers in raw_callers:
        callee_row = rows[callee]
        outside = None
        for caller_key, info in callers.items():
            caller = raw_index.get(caller_key)
            if caller is None:
                raise _bad(source, f"a caller of {callee_row[2]} that is not in the profile")
            if type(info) is tuple_:
                if len(info) != 4:
                    raise _bad(source, f"a malformed call record for {callee_row[2]}")
                # a caller record is (total calls, primitive calls, tt, ct): the reverse
                # of a function's own (primitive, total) order
                total, prim, tt, ct = info
                if (type(total) is not int_ or type(prim) is not int_
                        or (type(tt) is not float_ and type(tt) is not int_)
                        or (type(ct) is not float_ and type(ct) is not int_)
                        or not (total >= 0 and prim >= 0 and 0 <= tt < 1e9 and 0 <= ct < 1e9)):
                    raise _bad(source, f"a malformed call record for {callee_row[2]}")
                edge_rows.append(new(Edge, (caller, callee, prim, total, round(tt * 1e9),
                                            round(ct * 1e9))))
            elif type(info) is int_ and info >= 0:
                # The pure-Python ``profile`` module keeps only a call count per caller:
                # share the callee's times out among its other callers by calls (an
                # estimate, said in the docs); a call to itself gets no time.
                if caller == callee:
                    edge_rows.append(new(Edge, (caller, callee, 0, info, 0, 0)))
                    continue
                if outside is None:
                    outside = sum(v for k, v in callers.items()
                                  if type(v) is int_ and raw_index.get(k) != callee)
                share = info / outside if outside else 0.0
                edge_rows.append(new(Edge, (caller, callee, info, info,
                                            round(callee_row[5] * share),
                                            round(callee_row[6] * share))))
            else:
                raise _bad(source, f"a malformed call record for {callee_row[2]}")

    functions = [new(Function, row) for row in rows]
    del rows
    if merged:   # the same (caller, callee) pair may now appear twice: add them up
        sums: Dict[Tuple[int, int], List[int]] = {}
        for e in edge_rows:
            known = sums.get((e[0], e[1]))
            if known is None:
                sums[(e[0], e[1])] = list(e[2:])
            else:
                for i in range(4):
                    known[i] += e[2 + i]
        edge_rows = [new(Edge, pair + tuple(v)) for pair, v in sums.items()]
    return ProfileData(functions, edge_rows, description)


def _read_bytes(path: str) -> bytes:
    """The file's bytes, or a ProfileError naming it."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise ProfileError(f"cannot read {os.path.basename(path)}: "
                           f"{error.strerror or error}") from None


def _read_marshal(path: str) -> Any:
    name = os.path.basename(path)
    raw = _read_bytes(path)
    if not raw:
        raise ProfileError(f"empty profile: {name} is an empty file")
    try:
        return marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        if raw[:1] in (b"{", b"\xfb"):   # starts like a marshalled dict
            raise ProfileError(f"not a profile: {name} cannot be read ({detail}); it may "
                               "come from another Python version") from None
        raise ProfileError(f"not a profile: {name} is not a pstats file ({detail})") from None
    except Exception as error:  # marshal can raise odd things on hostile data
        raise ProfileError(f"not a profile: {name} is not a pstats file "
                           f"({type(error).__name__})") from None


def load_pstats(path: str, base_dir: Optional[str] = None, description: str = "") -> ProfileData:
    """Read a ``.prof`` file written by ``cProfile`` or ``profile`` (or ``pstats.dump_stats``).

    ``base_dir`` is the folder relative file names were recorded against (the profiled
    script's working directory); the current directory when None. Built-ins keep file
    ``"~"`` and line 0. Raises :class:`ProfileError` for anything that is not a well-formed
    pstats dictionary. Times of a ``profile``-module caller record (a bare call count) are
    estimated by sharing the callee's times out by calls.
    """
    with _no_gc():
        stats = _read_marshal(path)
        return _from_stats(stats, os.path.basename(path), base_dir, description)


def load_pstats_isolated(path: str, timeout: float = 60, base_dir: Optional[str] = None,
                         description: str = "") -> ProfileData:
    """Like :func:`load_pstats`, but the marshal data is read in a child interpreter.

    The child (``python -I`` running ``spyder_callgrind.engine.profiles --to-table IN OUT``)
    writes the table form; a crash, a timeout or a refusal becomes a :class:`ProfileError`.
    """
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise ProfileError(f"cannot read {name}: no such file")
    fd, out = tempfile.mkstemp(suffix=".json", prefix="spyder-callgrind-")
    os.close(fd)
    args = ["--to-table", os.path.abspath(path), out]
    if base_dir:
        args += ["--base-dir", os.path.abspath(base_dir)]
    # Isolated: a module planted beside an untrusted file must not run (see engine.isolated).
    command = module_command(sys.executable, "spyder_callgrind.engine.profiles", args)
    try:
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ProfileError(f"reading {name} took longer than {timeout:g} s; "
                               "gave up") from None
        if done.returncode == 2:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ProfileError(lines[-1] if lines else f"not a profile: {name}")
        if done.returncode != 0:
            raise ProfileError(f"not a profile: reading {name} crashed the reader "
                               f"(exit code {done.returncode})")
        data = load_table(out)
        data.description = description
        return data
    finally:
        try:
            os.remove(out)
        except OSError:
            pass


# -- merging and writing pstats ---------------------------------------------------------

def merge_profiles(profiles: Sequence[ProfileData], description: str = "") -> ProfileData:
    """Sum several profiles per function (file, line, name) and per call edge.

    The result's times are time summed over the profiles (processes), not wall time.
    """
    events = sorted({data.event for data in profiles})
    if len(events) > 1:
        raise ProfileError(f"cannot add up profiles that count different events "
                           f"({', '.join(events)})")
    index: Dict[FuncKey, int] = {}
    rows: List[List[Any]] = []
    edges: Dict[Tuple[int, int], List[int]] = {}
    for data in profiles:
        mapping: List[int] = []
        for f in data.functions:
            key = (f.file, f.line, f.name)
            n = index.get(key)
            if n is None:
                index[key] = n = len(rows)
                rows.append(list(f))
            else:
                row = rows[n]
                row[3] += f.primitive_calls
                row[4] += f.total_calls
                row[5] += f.self_ns
                row[6] += f.inclusive_ns
            mapping.append(n)
        for e in data.edges:
            pair = (mapping[e.caller], mapping[e.callee])
            known = edges.get(pair)
            if known is None:
                edges[pair] = [e.primitive_calls, e.total_calls, e.self_ns, e.inclusive_ns]
            else:
                known[0] += e.primitive_calls
                known[1] += e.total_calls
                known[2] += e.self_ns
                known[3] += e.inclusive_ns
    return ProfileData([Function(*r) for r in rows],
                       [Edge(p[0], p[1], *v) for p, v in edges.items()], description,
                       events[0] if events else NS_EVENT)


def to_pstats_dict(data: ProfileData) -> Dict[FuncKey, tuple]:
    """The ``pstats`` dictionary for ``data`` (times back in seconds)."""
    functions = data.functions
    callers: List[Dict[FuncKey, tuple]] = [{} for _ in functions]
    for e in data.edges:
        callers[e.callee][functions[e.caller].key] = (
            e.total_calls, e.primitive_calls, e.self_ns / _NS, e.inclusive_ns / _NS)
    return {f.key: (f.primitive_calls, f.total_calls, f.self_ns / _NS, f.inclusive_ns / _NS,
                    callers[i])
            for i, f in enumerate(functions)}


def write_pstats(data_or_paths: Union[ProfileData, Iterable[str]], path: str,
                 base_dir: Optional[str] = None) -> None:
    """Write a ``.prof`` that ``pstats.Stats`` reads.

    ``data_or_paths`` is a ProfileData, or ``.prof`` paths that are read (strictly) and
    summed. Written atomically.
    """
    if isinstance(data_or_paths, ProfileData):
        data = data_or_paths
    else:
        data = merge_profiles([load_pstats(p, base_dir) for p in data_or_paths])
    atomic_write(path, marshal.dumps(to_pstats_dict(data)))


# -- the table ------------------------------------------------------------------------------

def _table_columns(data: ProfileData) -> Tuple[List[str], Dict[str, list], Dict[str, list]]:
    files: Dict[str, int] = {}
    functions = data.functions
    edges = data.edges
    file_column = [files.setdefault(f[0], len(files)) for f in functions]
    function_columns = {"file": file_column}
    for n, name in enumerate(_FUNCTION_COLUMNS[1:], 1):
        function_columns[name] = [f[n] for f in functions]
    edge_columns = {name: [e[n] for e in edges] for n, name in enumerate(_EDGE_COLUMNS)}
    return list(files), function_columns, edge_columns


def _table_text(data: ProfileData, chunk: int = TABLE_CHUNK) -> str:
    """The table as one JSON document whose columns are lists of slices, a slice a line."""
    # ASCII: names from paths that are not UTF-8 (lone surrogates) become \udcXX escapes
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    files, function_columns, edge_columns = _table_columns(data)
    out = ['{"format":', dumps(TABLE_FORMAT), ',"version":', str(TABLE_VERSION),
           ',"description":', dumps(data.description), ',"event":', dumps(data.event),
           ',"files":', dumps(files)]
    for block, columns in (("functions", function_columns), ("edges", edge_columns)):
        out.append(f',\n"{block}":{{')
        for number, (name, values) in enumerate(columns.items()):
            slices = [dumps(values[i:i + chunk]) for i in range(0, len(values), chunk)]
            out.append(f'{"," if number else ""}\n"{name}":[\n' + ",\n".join(slices) + "]")
        out.append("}")
    out.append("}\n")
    return "".join(out)


def save_table(data: ProfileData, path: str) -> None:
    """Write ``data`` as a table file (JSON, columns in slices), atomically."""
    atomic_write(path, _table_text(data).encode("ascii"))


def top_subset(data: ProfileData, n: int = 500) -> ProfileData:
    """The ``n`` first functions by inclusive time and by self time (union), with the
    edges among them."""
    functions = data.functions
    count = len(functions)
    if count <= n:
        return data
    order = range(count)
    by_inclusive = sorted(order, key=lambda i: -functions[i].inclusive_ns)[:n]
    by_self = sorted(order, key=lambda i: -functions[i].self_ns)[:n]
    keep = sorted(set(by_inclusive).union(by_self))
    new_index = {old: new for new, old in enumerate(keep)}
    edges = [Edge(new_index[e.caller], new_index[e.callee], *e[2:]) for e in data.edges
             if e.caller in new_index and e.callee in new_index]
    return ProfileData([functions[i] for i in keep], edges, data.description, data.event)


def save_top(data: ProfileData, path: str, n: int = 500) -> None:
    """Write a table file with only the top ``n`` rows by inclusive and by self time."""
    save_table(top_subset(data, n), path)


_SPACE = re.compile(r"[ \t\n\r]*")
_COLUMN_BLOCKS = ("functions", "edges")


class _TableParser:
    """Reads a table document value by value with ``raw_decode``, and each column slice by
    slice, so no single parse holds the interpreter lock for long. Any JSON document is
    read (a malformed one raises ValueError); only the layout of the two column blocks is
    special-cased: an object whose values are arrays are read an element at a time when
    those elements are arrays (slices), in one piece otherwise (version 1 flat columns)."""

    def __init__(self, text: str):
        self.text = text
        self.decode = json.JSONDecoder().raw_decode
        self.pos = 0

    def skip(self) -> str:
        self.pos = _SPACE.match(self.text, self.pos).end()
        if self.pos >= len(self.text):
            raise ValueError("unexpected end")
        return self.text[self.pos]

    def expect(self, char: str) -> None:
        if self.skip() != char:
            raise ValueError(f"expected {char!r} at {self.pos}")
        self.pos += 1

    def value(self) -> Any:
        self.skip()
        value, self.pos = self.decode(self.text, self.pos)
        return value

    def members(self, read_value):
        """An object, its values read by the generator ``read_value(key)``."""
        self.expect("{")
        found: Dict[str, Any] = {}
        if self.skip() == "}":
            self.pos += 1
            return found
        while True:
            key = self.value()
            if type(key) is not str:
                raise ValueError("object key is not a string")
            self.expect(":")
            found[key] = yield from read_value(key)
            char = self.skip()
            self.pos += 1
            if char == "}":
                return found
            if char != ",":
                raise ValueError(f"expected ',' or '}}' at {self.pos - 1}")

    def column(self):
        """A column: read slice by slice (yielding after each) if it is an array of arrays."""
        if self.skip() != "[":
            return self.value()
        start = self.pos
        self.pos += 1
        if self.skip() != "[":
            self.pos = start
            return self.value()
        slices = []
        while True:
            slices.append(self.value())
            yield
            char = self.skip()
            self.pos += 1
            if char == "]":
                return slices
            if char != ",":
                raise ValueError(f"expected ',' or ']' at {self.pos - 1}")

    def block(self, key: str):
        if key in _COLUMN_BLOCKS and self.skip() == "{":
            return (yield from self.members(lambda _name: self.column()))
        return self.value()

    def document(self):
        """The whole document (a generator: yields between slices, returns the value)."""
        if self.skip() != "{":
            return self.value()
        table = yield from self.members(self.block)
        self.pos = _SPACE.match(self.text, self.pos).end()
        if self.pos != len(self.text):
            raise ValueError("extra data after the table")
        return table


def _column(block: Any, name: str, kind: type, length: Optional[int], source: str,
            sliced: bool) -> list:
    values = block.get(name) if type(block) is dict else None
    if sliced and type(values) is list:
        if not all(type(part) is list for part in values):
            raise ProfileError(f"damaged table: {source} has a bad '{name}' column")
        values = [v for part in values for v in part]
    if type(values) is not list or (length is not None and len(values) != length):
        raise ProfileError(f"damaged table: {source} has a bad '{name}' column")
    if kind is int:
        if not all(type(v) is int and v >= 0 for v in values):
            raise ProfileError(f"damaged table: {source} has a bad value in '{name}'")
    elif not all(type(v) is kind for v in values):
        raise ProfileError(f"damaged table: {source} has a bad value in '{name}'")
    return values


#: Rows turned into Function/Edge tuples between two yields of :func:`iter_load_table`.
_BUILD_SLICE = 8192


def run_steps(steps):
    """Run a generator of steps (as :func:`iter_load_table` returns) to its end; its value."""
    try:
        while True:
            next(steps)
    except StopIteration as done:
        return done.value


def load_table(path: str) -> ProfileData:
    """Read a table file written by :func:`save_table` (any table version up to ours);
    :class:`ProfileError` if damaged."""
    return run_steps(iter_load_table(path))


def iter_load_table(path: str):
    """:func:`load_table` in small steps: a generator that yields after each slice of work
    (a few milliseconds each at 100k rows) and returns the ProfileData, so that a GUI
    thread can read a large table between events (``run_steps`` runs it at once)."""
    # Without the pause, building ~10^6 objects runs several full collections, each
    # holding the interpreter lock (and so a GUI thread) for tens of milliseconds.
    with _no_gc():
        data = yield from _iter_load_table(path)
    # A run with stack samples keeps them beside its table: the views then show them.
    from spyder_callgrind.engine.samples import attach_stacks
    return attach_stacks(data, path)


def _iter_load_table(path: str):
    source = os.path.basename(path)
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8")
        if text.startswith("\ufeff"):
            raise ValueError("byte order mark")
        del raw
        yield
        table = yield from _TableParser(text).document()
    except (ValueError, RecursionError, IndexError):
        raise ProfileError(f"damaged table: {source} is not a table file") from None
    del text
    yield
    if type(table) is not dict or table.get("format") != TABLE_FORMAT:
        raise ProfileError(f"damaged table: {source} is not a table file")
    version = table.get("version")
    if type(version) is not int or version < 1:
        raise ProfileError(f"damaged table: {source} has no version")
    if version > TABLE_VERSION:
        raise ProfileError(f"{source} was written by a newer spyder-callgrind "
                           f"(table version {version}); update spyder-callgrind")
    sliced = version >= 2
    description = table.get("description", "")
    event = table.get("event", NS_EVENT)      # tables before events were kept: ns
    files = table.get("files")
    if type(description) is not str or type(event) is not str or not event \
            or type(files) is not list or not all(
            type(f) is str for f in files):
        raise ProfileError(f"damaged table: {source} has a bad header")
    block = table.get("functions")
    file_ids = _column(block, "file", int, None, source, sliced)
    count = len(file_ids)
    if file_ids and max(file_ids) >= len(files):
        raise ProfileError(f"damaged table: {source} names a file it does not list")
    columns = [[files[i] for i in file_ids],
               _column(block, "line", int, count, source, sliced),
               _column(block, "name", str, count, source, sliced)]
    yield
    for name in _FUNCTION_COLUMNS[3:]:
        columns.append(_column(block, name, int, count, source, sliced))
        yield
    edge_block = table.get("edges")
    callers = _column(edge_block, "caller", int, None, source, sliced)
    edge_columns = [callers, _column(edge_block, "callee", int, len(callers), source, sliced)]
    yield
    for name in _EDGE_COLUMNS[2:]:
        edge_columns.append(_column(edge_block, name, int, len(callers), source, sliced))
        yield
    del table, block, edge_block
    if callers and (max(callers) >= count or max(edge_columns[1]) >= count):
        raise ProfileError(f"damaged table: {source} has a call to a function it does not "
                           "list")
    functions: List[Function] = []
    for start in range(0, count, _BUILD_SLICE):
        end = start + _BUILD_SLICE
        functions.extend(map(Function._make, zip(*[c[start:end] for c in columns])))
        yield
    del columns
    edges: List[Edge] = []
    for start in range(0, len(callers), _BUILD_SLICE):
        end = start + _BUILD_SLICE
        edges.extend(map(Edge._make, zip(*[c[start:end] for c in edge_columns])))
        yield
    return ProfileData(functions, edges, description, event)


# -- the isolated reader's entry point ---------------------------------------------------------

def _main(argv: List[str]) -> int:
    """``--to-table IN OUT [--base-dir DIR]``: read a .prof, write its table file.

    Exit code 0 on success, 2 with the message on stderr for a refused file.
    """
    if len(argv) not in (3, 5) or argv[0] != "--to-table" or (
            len(argv) == 5 and argv[3] != "--base-dir"):
        sys.stderr.write("usage: python -m spyder_callgrind.engine.profiles --to-table IN OUT "
                         "[--base-dir DIR]\n")
        return 64
    base_dir = argv[4] if len(argv) == 5 else None
    try:
        data = load_pstats(argv[1], base_dir)
        save_table(data, argv[2])
    except ProfileError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
