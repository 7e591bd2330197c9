"""Reading profiles into :class:`~spyder_callgrind.engine.model.ProfileData`, and the table file.

Three ways in and out of a profile live here:

* ``.prof`` files (pstats marshal) written by ``cProfile`` or by the pure-Python ``profile``
  module: :func:`load_pstats` reads and validates them strictly, :func:`write_pstats` writes
  one that ``pstats.Stats`` reads. Marshal data from an untrusted or damaged file can crash
  the interpreter that reads it, so :func:`load_pstats_isolated` does the reading in a child
  interpreter that hands back the safe table form.
* the table file (:mod:`.table`), which the isolated reader writes and hands back.
* :func:`merge_profiles`: the sum of several profiles (all processes of a run).

Every failure to read is a :class:`ProfileError` with a one-line message for the user.
"""

from __future__ import annotations

import gc
import marshal
import os
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

from spyder_callgrind.engine import callgrind
from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.isolated import module_command
from spyder_callgrind.engine.model import (  # noqa: F401 - ProfileError: raised from here
    BUILTIN_FILE, NS_EVENT, Edge, FuncKey, Function, ProfileData, ProfileError, no_gc)
from spyder_callgrind.engine.table import load_table, read_bytes, save_table

_NS = 1e9


# -- pstats ---------------------------------------------------------------------------------

def _normalise_file(file: str, base_dir: str) -> str:
    """The file name we keep for one recorded by the profiler (see :func:`_normalise_key`)."""
    if file == "":
        return BUILTIN_FILE
    if file == BUILTIN_FILE or (file.startswith("<") and file.endswith(">")) \
            or os.path.isabs(file):
        return file
    return os.path.normpath(os.path.join(base_dir, file))


def _normalise_key(key: Any, base_dir: str, files: Dict[str, str]) -> Optional[FuncKey]:
    """The (file, line, name) we keep for a pstats key, or None when the key is malformed.

    cProfile records file names as the interpreter saw them (often relative); the
    pure-Python ``profile`` module records C functions as ``("", 0, name)`` and its own
    entry points as ``("profile", 0, <code object or name>)``. All become proper keys here.
    ``files`` caches each recorded file name's normalised form (a profile has many
    functions per file).
    """
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
    if file == "profile" and line == 0:
        # the ``profile`` module's own pseudo-functions
        return (BUILTIN_FILE, line, name)
    found = files.get(file)
    if found is None:
        found = files[file] = _normalise_file(file, base_dir)
    return (found, line, name)


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
    files: Dict[str, str] = {}
    index: Dict[FuncKey, int] = {}
    raw_index: Dict[Any, int] = {}     # recorded key -> function index
    rows: List[List[Any]] = []         # [file, line, name, cc, nc, tt, ct]
    raw_callers: List[Tuple[int, dict]] = []
    float_, int_, tuple_, dict_ = float, int, tuple, dict
    merged = False
    str_ = str
    for key, value in stats.items():
        # the usual key, (str file, int line, str name) of a file seen before, inline
        fkey = None
        if type(key) is tuple_ and len(key) == 3:
            file, line, name = key
            found = files.get(file) if type(file) is str_ else None
            if (found is not None and type(line) is int_ and line >= 0
                    and type(name) is str_ and (line or file != "profile")):
                fkey = (found, line, name)
        if fkey is None:
            fkey = _normalise_key(key, base, files)
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


def _read_marshal(path: str) -> Any:
    name = os.path.basename(path)
    raw = read_bytes(path)
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
    with no_gc():
        stats = _read_marshal(path)
        return _from_stats(stats, os.path.basename(path), base_dir, description)


def _run_isolated(args: List[str], name: str, timeout: float) -> str:
    """Run this module's entry point on the untrusted file ``name`` in a child interpreter;
    its standard output. A crash, a timeout or a refusal becomes a :class:`ProfileError`."""
    # Isolated: a module planted beside an untrusted file must not run (see engine.isolated).
    # the reader and writers are standard library and this package only: no site-packages
    command = module_command(sys.executable, "spyder_callgrind.engine.profiles", args,
                             site=False)
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ProfileError(f"reading {name} took longer than {timeout:g} s; gave up") from None
    if done.returncode == 2:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ProfileError(lines[-1] if lines else f"not a profile: {name}")
    if done.returncode != 0:
        raise ProfileError(f"not a profile: reading {name} crashed the reader "
                           f"(exit code {done.returncode})")
    return done.stdout.decode("utf-8", "replace")


def load_pstats_isolated(path: str, timeout: float = 60, base_dir: Optional[str] = None,
                         description: str = "") -> ProfileData:
    """Like :func:`load_pstats`, but the marshal data is read in a child interpreter.

    The child (``python -I`` running ``spyder_callgrind.engine.profiles --to-table IN OUT``)
    writes the table form; a crash, a timeout or a refusal becomes a :class:`ProfileError`.
    """
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise ProfileError(f"cannot read {name}: no such file")
    fd, out = tempfile.mkstemp(suffix=".table", prefix="spyder-callgrind-")
    os.close(fd)
    args = ["--to-table", os.path.abspath(path), out]
    if base_dir:
        args += ["--base-dir", os.path.abspath(base_dir)]
    try:
        _run_isolated(args, name, timeout)
        data = load_table(out)
        data.description = description
        return data
    finally:
        try:
            os.remove(out)
        except OSError:
            pass


def convert_isolated(paths: Sequence[str], out: str, cmd: str, timeout: float = 600) -> int:
    """Write the callgrind file ``out`` of the ``.prof`` files ``paths`` (summed when
    several), reading and writing both in a child interpreter (as
    :func:`load_pstats_isolated`): nothing comes back but the count of functions read."""
    names = ", ".join(os.path.basename(p) for p in paths)
    found = _run_isolated(["--to-callgrind", out, cmd, *paths], names, timeout)
    try:
        return int(found.split()[-1])
    except (ValueError, IndexError):
        raise ProfileError(f"not a profile: reading {names} gave no answer") from None


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


def write_pstats(data: ProfileData, path: str) -> None:
    """Write ``data`` as a ``.prof`` that ``pstats.Stats`` reads, atomically."""
    atomic_write(path, marshal.dumps(to_pstats_dict(data)))


# -- the isolated reader's entry point ---------------------------------------------------------

def _to_callgrind(out: str, cmd: str, paths: List[str]) -> None:
    """Read the ``.prof`` files ``paths`` and write their (summed) callgrind file ``out``;
    the count of functions read on standard output."""
    datas = [load_pstats(path) for path in paths]
    parts = [callgrind.CallgrindPart(
        data=merge_profiles(datas) if len(datas) > 1 else datas[0], pid=0, cmd=cmd,
        description="merged from " + cmd)]
    callgrind.write_callgrind(out, parts, adds_up=len(datas) > 1)
    print(sum(len(d) for d in datas))


def _main(argv: List[str]) -> int:
    """``--to-table IN OUT [--base-dir DIR]``: read a .prof, write its table file;
    ``--to-callgrind OUT CMD IN...``: read .prof files, write their callgrind file.

    Exit code 0 on success, 2 with the message on stderr for a refused file.
    """
    converting = len(argv) >= 4 and argv[0] == "--to-callgrind"
    if not converting and (len(argv) not in (3, 5) or argv[0] != "--to-table" or (
            len(argv) == 5 and argv[3] != "--base-dir")):
        sys.stderr.write("usage: python -m spyder_callgrind.engine.profiles --to-table IN OUT "
                         "[--base-dir DIR] | --to-callgrind OUT CMD IN...\n")
        return 64
    # A one-shot child that builds ~10^6 objects and exits: the cyclic collector would
    # only walk them again and again (a tenth of a conversion at 10^5 functions).
    gc.disable()
    try:
        if converting:
            _to_callgrind(argv[1], argv[2], argv[3:])
        else:
            save_table(load_pstats(argv[1], argv[4] if len(argv) == 5 else None), argv[2])
    except ProfileError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    except (OSError, ValueError) as error:   # the output cannot be written
        filename = getattr(error, "filename", None)
        sys.stderr.write(f"{getattr(error, 'strerror', None) or error}"
                         f"{': ' + str(filename) if filename else ''}\n")
        return 2
    return 0


if __name__ == "__main__":
    _code = _main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # A one-shot child: its ~10^6 objects go with the process, not one by one (os._exit
    # skips the interpreter's teardown; everything it wrote is closed or flushed).
    os._exit(_code)
