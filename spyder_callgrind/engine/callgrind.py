"""Writing callgrind files from a ProfileData, and reading/checking callgrind files strictly.

What we take from pyprof2calltree (1.4.5) and what we change
------------------------------------------------------------
pyprof2calltree's ``CalltreeConverter`` holds the accepted mapping from pstats to callgrind,
and we keep that mapping unchanged: costs are integer nanoseconds (its ``SCALE``) under
``events: ns``; each function gets one self-cost line at its first line
(``positions: line``); built-ins keep ``fl=~`` and line 0; a call is ``cfl=``/``cfn=``,
``calls=<count> <callee line>`` and one line with the inclusive cost of those calls, taken
from pstats' per-caller cumulative time.

It is not a dependency: ``tests/engine/test_pyprof2calltree_oracle.py`` runs both
converters on the same profiles and checks, function by function and call by call, that our
files carry its numbers. We do not run its ``output()``, because what it writes is wrong or
slow in the ways below, and each needs the writer itself to change:

* header: it writes no ``# callgrind format``/``version:``/``creator:``/``positions:``; we
  write the full header (``pid:``, ``cmd:``, ``desc:``, ``positions: line``, ``event:``,
  ``events:``) and ``summary:`` right after ``events:``;
* ``summary:``: it writes the largest cumulative time, which is below the sum of self costs;
  we write that sum, and the same number as ``totals:`` at the end;
* size and speed: no name compression; we write ``fl=(n) name`` / ``fn=(n) name`` the first
  time and ``fn=(n)`` after, leave out ``cfl=`` when the callee is in the caller's file, and
  build the text in one list written once (about a third of its size and time);
* relative paths: paths arrive absolute from :mod:`.profiles`;
* call counts: ``calls=`` carries the exact total count of the edge (recursive calls too);
* self-recursion: it writes a function's calls to itself with their inclusive cost, which
  ``callgrind_annotate --inclusive=yes`` adds to the function's inclusive cost a second time.
  We keep the self-call edge (so its count stays visible, and KCacheGrind sees the
  recursion) but give it cost 0; then self + outgoing call costs == pstats cumtime for every
  function, recursive or not. (Mutual recursion f -> g -> f is left to the viewer:
  KCacheGrind detects cycles; ``callgrind_annotate`` over-counts as for C programs.)
* names: it makes same-named functions distinct only within one file (``name:line``), but
  KCacheGrind identifies a function by its name (and ELF object) alone, so ``__init__`` of
  two files became one function there. A name used by more than one function anywhere in
  the profile becomes ``name [file.py:line]`` (the full path if even that repeats).
* the pure-Python ``profile`` module's output crashes it; :mod:`.profiles` normalises that.

Several processes
-----------------
One file per process (:func:`callgrind_file_names`, :func:`write_process_files`), never one
file with several ``part:``s: KCacheGrind refuses a ``cmd:`` that differs between parts
("Redefined command") and ``callgrind_annotate`` reads only a file's first part. KCacheGrind,
given one file name, loads every file in that folder whose name *starts with* it as parts
of one trace (``TraceData::load``). So the main process writes ``callgrind.out.<run>`` and
process k writes ``callgrind.out.<run>.<k>`` (k zero-padded to one width, so that no
process's name is a prefix of another's): opening the main file shows all processes, each
a part that can be switched off in the Parts dock, and opening ``callgrind.out.<run>.<k>``
shows that process alone. Costs shown for several parts are their time summed over
processes, not wall time; every file says so in a ``desc:`` line. All files of one run
carry the same ``cmd:``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from spyder_callgrind import __version__
from spyder_callgrind.engine.atomic import atomic_file
from spyder_callgrind.engine.model import (
    BUILTIN_FILE, NS_EVENT, Edge, Function, ProfileData, readable)

PREFIX = "callgrind.out."
CREATOR = f"spyder-callgrind {__version__}"
#: how a file says its call counts were not measured (a sampled run): read back, they are 0
NOT_COUNTED = "Call counts not measured"
SUM_NOTE = ("Costs of several processes add up: their sum is time summed over processes, "
            "not wall time")


class CallgrindError(ValueError):
    """A callgrind file cannot be read; one line naming the file and line."""


@dataclass
class CallgrindPart:
    """One profile to write as one part: a process (or one thread of it)."""

    data: ProfileData
    pid: int
    cmd: str                        #: the run's command line; the same for every process
    description: str = ""           #: e.g. "main process", "worker 2 (pid 1234)"
    thread: Optional[int] = None
    #: sampled costs at source lines (``samples.LineCosts``): written by ``callgrind_lines``
    lines: Optional[Any] = None


class CallgrindNames(NamedTuple):
    """File names (no folder) of a run's callgrind files."""

    main: str                        #: open this one to see all processes
    per_process: List[str]           #: one per process; ``per_process[0] == main``


def callgrind_file_names(run_id: str, n_processes: int) -> CallgrindNames:
    """The names a run with ``n_processes`` processes writes (the first is the main process).

    Keep one run's files in a folder of their own (or use run ids none of which is a prefix
    of another), since KCacheGrind loads every file whose name starts with the opened one.
    """
    run_id = re.sub(r"[^A-Za-z0-9_.+-]", "_", str(run_id)) or "run"
    main = PREFIX + run_id
    width = len(str(max(n_processes, 1)))
    others = [f"{main}.{k:0{width}d}" for k in range(2, n_processes + 1)]
    return CallgrindNames(main, [main] + others)


# -- writing --------------------------------------------------------------------------------

def _one_line(text: str) -> str:
    return readable(" ".join(str(text).split()))


#: What a name may not carry into a ``fn=``/``fl=`` line: line breaks (a ``co_name`` or a
#: ``compile()`` file name can hold "\n", and "x\nfn=(1) y" would add a record), other
#: control characters, and lone surrogates (bytes of a file name that are not UTF-8).
_UNSAFE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
ESCAPE_NOTE = ("Names with line breaks or other control characters, or bytes that are not "
               "UTF-8, are written escaped (\\n, \\xNN); empty names as (name '')")


def _safe_name(name: str) -> str:
    if not name.strip():
        # "fn=(3) " would define no name: KCacheGrind then reports an undefined index
        return f"(name {name!r})"
    name = readable(name)
    return _UNSAFE.sub(lambda m: _ESCAPES.get(m.group()) or "\\x%02x" % ord(m.group()), name)


def _safe_names(names: List[str]) -> Tuple[List[str], bool]:
    """Names as written (see :data:`ESCAPE_NOTE`), and whether any had to change."""
    if _UNSAFE.search("".join(names)) is None and all(map(str.strip, names)):
        return names, False      # the usual case, checked at C speed
    safe = [_safe_name(name) for name in names]
    return safe, safe != names


def _event_name(event: str) -> str:
    """An event name as the format allows it (one word of letters, digits and '_')."""
    return re.sub(r"\W", "_", event, flags=re.ASCII) or NS_EVENT


def _display_names(functions: Sequence[Function]) -> List[str]:
    """Function names as written: unique in the whole profile (see module docstring)."""
    names = [f.name for f in functions]
    seen: Dict[str, int] = {}
    clashes = []
    for i, name in enumerate(names):
        if name in seen:
            first = seen[name]
            if first >= 0:
                clashes.append(first)
                seen[name] = -1
            clashes.append(i)
        else:
            seen[name] = i
    if not clashes:
        return names
    basenames: Dict[str, str] = {}
    short = {}
    for i in clashes:
        f = functions[i]
        base = basenames.get(f[0])
        if base is None:
            base = basenames[f[0]] = os.path.basename(f[0])
        short[i] = f"{f[2]} [{base}:{f[1]}]"
    counts: Dict[str, int] = {}
    for value in short.values():
        counts[value] = counts.get(value, 0) + 1
    for i in clashes:
        name = short[i]
        if counts[name] > 1 or name in seen:
            f = functions[i]
            name = "%s [%s:%d]" % (f.name, f.file, f.line)
        names[i] = name
    return names


#: Pieces of text gathered before they are written out (bounds the memory used).
_CHUNK = 1 << 16


def part_header(part: CallgrindPart, number: Optional[int], adds_up: bool,
                escaped: bool) -> List[str]:
    """A part's header lines up to its notes (``positions:`` and events come next);
    ``adds_up``: it is one of several processes whose costs a viewer adds up; ``escaped``:
    names had to be escaped (both said in ``desc:`` lines)."""
    header = [f"pid: {int(part.pid)}\n", f"cmd: {_one_line(part.cmd)}\n"]
    if number is not None:
        header.append(f"part: {number}\n")
    if part.thread is not None:
        header.append(f"thread: {int(part.thread)}\n")
    if part.description:
        header.append(f"desc: Process: {_one_line(part.description)}\n")
    if adds_up:
        header.append(f"desc: Note: {SUM_NOTE}\n")
    if escaped:
        header.append(f"desc: Note: {ESCAPE_NOTE}\n")
    return header


def _render_part(part: CallgrindPart, number: Optional[int], write, adds_up: bool) -> None:
    """Write one part through ``write(text)``; ``adds_up``: it is one of several processes
    whose costs a viewer adds up (said in a ``desc:`` line)."""
    if part.lines is not None:
        # imported here: callgrind_lines builds on this module (imports it)
        from spyder_callgrind.engine.callgrind_lines import render_part_with_lines
        render_part_with_lines(part, number, write, adds_up)
        return
    data = part.data
    functions = data.functions
    total = sum(f.self_ns for f in functions)
    names, names_escaped = _safe_names(_display_names(functions))
    files, files_escaped = _safe_names([f[0] for f in functions])
    header = part_header(part, number, adds_up, names_escaped or files_escaped)
    # An imported file's own event (valgrind's Ir...) is kept, never relabelled as ns.
    event = _event_name(data.event)
    long_name = " : Nanoseconds" if event == NS_EVENT else ""
    header.append(f"positions: line\nevent: {event}{long_name}\nevents: {event}\n"
                  f"summary: {total}\n\n")
    write("".join(header))

    count = len(functions)
    callees: List[Optional[List[Edge]]] = [None] * count
    for edge in data.edges:
        known = callees[edge[0]]
        if known is None:
            callees[edge[0]] = [edge]
        else:
            known.append(edge)

    # The first use of a name defines its id ("fn=(3) name"), later uses give the id only.
    # A call to j is written as pre[j] + count + post[j] + cost: "cfn=(j)\ncalls=", the
    # count, " <line of j>\n* ", the cost; "*" repeats the line of the previous cost line,
    # which is the caller's own self-cost line.
    pre: List[Optional[str]] = [None] * count
    # A call from another file adds "cfl=(k)\n" before it; once both the callee's file and
    # name are defined, that whole head is the same for every such call: made once.
    away: List[Optional[str]] = [None] * count
    post = [f" {f[1]}\n* " for f in functions]
    file_ref: Dict[str, str] = {}
    out: List[str] = []
    append = out.append
    current_file = None
    for i in sorted(range(count), key=files.__getitem__):
        f = functions[i]
        file = files[i]
        if file is not current_file and file != current_file:
            ref = file_ref.get(file)
            if ref is None:
                ref = file_ref[file] = f"({len(file_ref) + 1})"
                append(f"fl={ref} {file}\n")
            else:
                append(f"fl={ref}\n")
            current_file = file
        if pre[i] is None:
            pre[i] = f"cfn=({i + 1})\ncalls="
            append(f"fn=({i + 1}) {names[i]}\n{f[1]} {f[5]}\n")
        else:
            append(f"fn=({i + 1})\n{f[1]} {f[5]}\n")
        edges = callees[i]
        if edges is not None:
            for edge in edges:
                callee = edge[1]
                cfile = files[callee]
                away_file = cfile is not file and cfile != file
                if away_file and away[callee] is not None:
                    # another file: never a call to itself
                    append(f"{away[callee]}{edge[3]}{post[callee]}{edge[5]}\n")
                    continue
                head = pre[callee]
                if head is None:
                    pre[callee] = f"cfn=({callee + 1})\ncalls="
                    head = f"cfn=({callee + 1}) {names[callee]}\ncalls="
                elif away_file and cfile in file_ref:
                    # both names already defined: the same head for every later call
                    away[callee] = f"cfl={file_ref[cfile]}\n{head}"
                if away_file:
                    fref = file_ref.get(cfile)
                    if fref is None:
                        fref = file_ref[cfile] = f"({len(file_ref) + 1})"
                        fref = f"{fref} {cfile}"
                    head = f"cfl={fref}\n{head}"
                append(f"{head}{edge[3]}{post[callee]}{edge[5] if callee != i else 0}\n")
        if len(out) > _CHUNK:
            write("".join(out))
            out.clear()
    append(f"\ntotals: {total}\n")
    write("".join(out))


def _render(parts: Sequence[CallgrindPart], write, adds_up: Optional[bool] = None) -> None:
    if not parts:
        raise ValueError("no part to write")
    write(f"# callgrind format\nversion: 1\ncreator: {CREATOR}\n")
    several = len(parts) > 1
    for number, part in enumerate(parts, 1):
        if several and number > 1:
            write("\n")
        _render_part(part, number if several else None, write,
                     several if adds_up is None else adds_up)


def render_callgrind(parts: Sequence[CallgrindPart]) -> str:
    """The text of a callgrind file holding ``parts`` (one part each)."""
    out: List[str] = []
    _render(parts, out.append)
    return "".join(out)


def write_callgrind(path: str, parts: Sequence[CallgrindPart],
                    adds_up: Optional[bool] = None) -> None:
    """Write ``parts`` to the callgrind file ``path``, atomically (temp name + rename).

    One part per file is what the run store writes (see module docstring); several parts in
    one file are written as the format allows, with the same ``cmd:`` required.
    ``adds_up``: say that costs add up over processes (default: when there are several
    parts; one run's per-process files, or one profile merged from several, say so too).
    """
    if isinstance(parts, CallgrindPart):
        parts = [parts]
    commands = {_one_line(p.cmd) for p in parts}
    if len(commands) > 1:
        raise ValueError("all parts of one callgrind file need the same cmd")
    with atomic_file(path, "w", newline="\n", buffering=1 << 20) as handle:
        _render(parts, handle.write, adds_up)


def write_process_files(folder: str, run_id: str, parts: Sequence[CallgrindPart]) -> CallgrindNames:
    """Write one callgrind file per process of a run (``parts[0]`` = main process).

    Returns the names written; open ``names.main`` in KCacheGrind to see all processes.
    """
    names = callgrind_file_names(run_id, len(parts))
    cmd = parts[0].cmd if parts else ""
    for name, part in zip(names.per_process, parts):
        if part.cmd != cmd:
            part = replace(part, cmd=cmd)
        write_callgrind(os.path.join(folder, name), [part], adds_up=len(parts) > 1)
    return names


# -- reading --------------------------------------------------------------------------------

_HEADER = re.compile(r"([a-z]+):\s?(.*)$")
_SPEC = re.compile(r"([a-z]+)=(.*)$")
_COMPRESSED = re.compile(r"\((\d+)\)(?:\s(.*))?$")
_HEADER_KEYS = {"version", "creator", "pid", "cmd", "part", "thread", "desc", "positions",
                "event", "events", "summary", "totals"}
_NEW_PART_KEYS = {"pid", "part", "thread", "events", "positions"}
_NAME_SPECS = {"ob", "cob", "fl", "fi", "fe", "fn", "cfl", "cfi", "cfn", "jfi", "jfn"}


class _Part:
    """Parsing state and results of one part."""

    def __init__(self, events: Optional[List[str]] = None, npos: int = 1):
        self.header: Dict[str, str] = {}
        self.descs: List[str] = []
        self.events = events
        self.npos = npos
        self.tables: Dict[str, Dict[int, str]] = {"ob": {}, "fl": {}, "fn": {}}
        self.last_pos = [0] * npos
        self.functions: Dict[Tuple[str, str], List[int]] = {}   # -> [self, line, calls, prim]
        self.order: List[Tuple[str, str]] = []
        self.edges: Dict[Tuple[Tuple[str, str], Tuple[str, str]], List[int]] = {}
        self.self_sum = 0
        self.has_body = False
        self.summary: Optional[int] = None
        self.totals: Optional[int] = None
        self.line_index: Optional[int] = 0
        self.totals_line = 0


class _Reader:
    """A line-by-line callgrind parser; ``strict`` collects problems instead of skipping."""

    def __init__(self, path: str, strict: bool):
        self.name = os.path.basename(path)
        self.path = path
        self.strict = strict
        self.problems: List[str] = []
        self.parts: List[_Part] = []

    def fail(self, lineno: int, message: str) -> None:
        text = f"{self.name}:{lineno}: {message}"
        if self.strict:
            self.problems.append(text)
        else:
            raise CallgrindError(text)

    # names ------------------------------------------------------------------------------
    def resolve(self, part: _Part, kind: str, value: str, lineno: int) -> Optional[str]:
        table = part.tables["fl" if kind in ("fl", "fi", "fe", "cfl", "cfi", "jfi") else
                            "fn" if kind in ("fn", "cfn", "jfn") else "ob"]
        match = _COMPRESSED.match(value)
        if not match:
            return value
        number = int(match.group(1))
        name = match.group(2)
        if name is not None:
            old = table.get(number)
            if old is not None and old != name:
                self.fail(lineno, f"compressed id ({number}) redefined in {kind}=")
            table[number] = name
            return name
        found = table.get(number)
        if found is None:
            self.fail(lineno, f"{kind}=({number}) used before it is defined")
        return found

    # positions and costs ----------------------------------------------------------------
    def numbers(self, part: _Part, fields: List[str], lineno: int,
                track: bool = True) -> Optional[Tuple[List[int], List[int]]]:
        npos = part.npos
        if len(fields) < npos:
            self.fail(lineno, "cost line without its positions")
            return None
        positions = []
        last = part.last_pos
        for k in range(npos):
            text = fields[k]
            try:
                if text == "*":
                    value = last[k]
                elif text[0] in "+-":
                    value = last[k] + int(text[1:], 0) * (1 if text[0] == "+" else -1)
                else:
                    value = int(text, 0)
            except (ValueError, IndexError):
                self.fail(lineno, f"bad position {text!r}")
                return None
            positions.append(value)
        if track:
            part.last_pos = positions
        costs = []
        for text in fields[npos:]:
            try:
                value = int(text)
            except ValueError:
                self.fail(lineno, f"cost {text!r} is not an integer")
                return None
            if value < 0:
                self.fail(lineno, f"negative cost {value}")
                value = 0
            costs.append(value)
        if part.events is not None and len(costs) > len(part.events):
            self.fail(lineno, "more costs than events")
        return positions, costs

    def read(self) -> List[_Part]:
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read()
        except OSError as error:
            raise CallgrindError(f"{self.name}: cannot read ({error.strerror or error})") \
                from None
        if not raw.strip():
            self.fail(1, "empty file")
            return []
        if b"\0" in raw:
            self.fail(1, "binary data, not a callgrind file")
            return []
        text = raw.decode("utf-8", "surrogateescape")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if self.strict and lines[0].rstrip("\r") != "# callgrind format":
            self.fail(1, "first line is not '# callgrind format'")
        part = _Part()
        self.parts.append(part)
        fl = fn = ob = None
        cfl = cfn = cob = None
        pending_call: Optional[Tuple[int, int]] = None   # (count, callee line), lineno
        pending_lineno = 0
        pending_jump = False
        version_seen = False
        strict = self.strict
        for lineno, line in enumerate(lines, 1):
            if line.endswith("\r"):
                if strict:
                    self.fail(lineno, "CR line ending")
                line = line[:-1]
            if not line or line[0] == "#":
                if pending_call is not None and not line:
                    self.fail(lineno, "calls= line not followed by a cost line")
                    pending_call = None
                continue
            first = line[0]
            if first.isdigit() or first in "+-*":
                if part.events is None:
                    self.fail(lineno, "cost line before 'events:'")
                    continue
                if part.totals is not None and strict:
                    self.fail(lineno, "data after 'totals:'")
                part.has_body = True
                result = self.numbers(part, line.split(), lineno,
                                      track=pending_call is None)
                if pending_jump:
                    pending_jump = False
                    continue
                if result is None:
                    pending_call = None
                    continue
                positions, costs = result
                cost = costs[0] if costs else 0
                if fn is None:
                    self.fail(lineno, "cost line before any fn=")
                    pending_call = None
                    continue
                if pending_call is not None:
                    count, target = pending_call
                    pending_call = None
                    callee = (cfl if cfl is not None else fl or "", cfn)
                    record = part.functions.get(callee)
                    if record is None:
                        record = part.functions[callee] = [0, target, 0, 0]
                        part.order.append(callee)
                    elif record[1] < 0:
                        record[1] = target
                    record[2] += count
                    if callee != fn:
                        record[3] += count
                    edge = part.edges.get((fn, callee))
                    if edge is None:
                        part.edges[(fn, callee)] = [count, cost]
                    else:
                        edge[0] += count
                        edge[1] += cost
                    cfl = cob = cfn = None
                else:
                    record = part.functions[fn]
                    record[0] += cost
                    if record[1] < 0 and part.line_index is not None:
                        record[1] = positions[part.line_index]
                    part.self_sum += cost
                continue
            if pending_call is not None:
                self.fail(pending_lineno, "calls= line not followed by a cost line")
                pending_call = None
            match = _SPEC.match(line)
            if match:
                kind, value = match.groups()
                if part.events is None and strict:
                    self.fail(lineno, f"{kind}= before 'events:'")
                part.has_body = True
                if kind in _NAME_SPECS:
                    name = self.resolve(part, kind, value, lineno)
                    if name is None:
                        continue
                    if kind == "fl":
                        fl = name
                    elif kind == "ob":
                        ob = name
                    elif kind == "fn":
                        file = fl if fl not in (None, "???") or ob is None else ob
                        fn = (file or "", name)
                        if fn not in part.functions:
                            part.functions[fn] = [0, -1, 0, 0]
                            part.order.append(fn)
                    elif kind in ("cfl", "cfi"):
                        cfl = name
                    elif kind == "cob":
                        cob = name
                    elif kind == "cfn":
                        if cfl in (None, "???") and cob is not None:
                            cfl = cob
                        elif cfl is None and ob is not None and fl == "???":
                            cfl = ob
                        cfn = name
                elif kind == "calls":
                    fields = value.split()
                    if cfn is None:
                        self.fail(lineno, "calls= without cfn=")
                        continue
                    try:
                        count = int(fields[0])
                    except (ValueError, IndexError):
                        self.fail(lineno, "calls= without a count")
                        continue
                    target = 0
                    if part.line_index is not None and len(fields) > 1 + part.line_index:
                        text = fields[1 + part.line_index]
                        try:
                            target = int(text, 0) if text[0] not in "+-*" else 0
                        except ValueError:
                            self.fail(lineno, f"bad call target {text!r}")
                    if count < 0:
                        self.fail(lineno, "negative call count")
                        count = 0
                    if fn is None:
                        self.fail(lineno, "calls= before any fn=")
                        continue
                    pending_call = (count, target)
                    pending_lineno = lineno
                elif kind in ("jump", "jcnd"):
                    pending_jump = True
                elif strict and kind not in ("rec", "rcalls"):
                    self.fail(lineno, f"unknown specification '{kind}='")
                continue
            match = _HEADER.match(line)
            if not match or match.group(1) not in _HEADER_KEYS:
                self.fail(lineno, f"unexpected line {line[:40]!r}")
                continue
            key, value = match.group(1), match.group(2).strip()
            if key == "version":
                if version_seen and strict:
                    self.fail(lineno, "second 'version:'")
                version_seen = True
                if value not in ("1", "0x1"):
                    self.fail(lineno, f"unknown format version {value!r}")
                continue
            if key in _NEW_PART_KEYS and (part.has_body or part.totals is not None):
                self.finish_part(part, lineno - 1)
                part = _Part(part.events if key != "events" else None, part.npos)
                part.line_index = self.parts[-1].line_index
                self.parts.append(part)
                fl = fn = ob = cfl = cfn = cob = None
            if key == "desc":
                part.descs.append(value)
            elif key == "positions":
                kinds = value.split()
                if not kinds or any(k not in ("line", "instr") for k in kinds):
                    self.fail(lineno, f"unknown positions {value!r}")
                    kinds = kinds or ["line"]
                part.npos = len(kinds)
                part.line_index = kinds.index("line") if "line" in kinds else None
                part.last_pos = [0] * part.npos
                part.header[key] = value
            elif key == "events":
                if not value.split():
                    self.fail(lineno, "'events:' names no event")
                part.events = value.split() or ["ns"]
                part.header[key] = value
            elif key in ("summary", "totals"):
                if part.events is None:
                    self.fail(lineno, f"'{key}:' before 'events:'")
                try:
                    number = int(value.split()[0]) if value.split() else 0
                    if number < 0:
                        raise ValueError
                except ValueError:
                    self.fail(lineno, f"'{key}:' is not a non-negative integer")
                    number = 0
                if key == "summary":
                    if strict and part.has_body:
                        self.fail(lineno, "'summary:' after data")
                    part.summary = number
                else:
                    part.totals = number
                    part.totals_line = lineno
            else:
                if strict and part.has_body and key not in ("desc",):
                    self.fail(lineno, f"'{key}:' after data")
                part.header[key] = value
        if pending_call is not None:
            self.fail(pending_lineno, "calls= line not followed by a cost line")
        self.finish_part(part, len(lines))
        return self.parts

    def finish_part(self, part: _Part, lineno: int) -> None:
        if part.events is None:
            self.fail(lineno, "no 'events:' line")
        if not self.strict:
            return
        if part.summary is None:
            self.fail(lineno, "no 'summary:' line")
        elif part.summary < part.self_sum:
            self.fail(lineno, f"summary {part.summary} is below the sum of self costs "
                              f"{part.self_sum}")
        if part.totals is None:
            self.fail(lineno, "no 'totals:' line")
        elif part.totals != part.self_sum:
            self.fail(part.totals_line, f"totals {part.totals} differ from the sum of self "
                                        f"costs {part.self_sum}")


def _to_profile(part: _Part, description: str) -> ProfileData:
    # the first event is the cost read (see read_callgrind), and the profile's unit
    index = {key: n for n, key in enumerate(part.order)}
    outgoing = [0] * len(part.order)
    edges = []
    counted = NOT_COUNTED not in description
    for (caller, callee), (count, cost) in part.edges.items():
        if not counted:
            count = 0
        a, b = index[caller], index[callee]
        if a != b:
            outgoing[a] += cost
        edges.append(Edge(a, b, count if a != b else 0, count, 0, cost if a != b else 0))
    functions = []
    for n, key in enumerate(part.order):
        self_cost, line, calls, primitive = part.functions[key]
        file, name = key
        if file == BUILTIN_FILE:
            line = 0
        if not counted:
            calls = primitive = 0
        functions.append(Function(file, max(line, 0), name, primitive, calls, self_cost,
                                  self_cost + outgoing[n]))
    return ProfileData(functions, edges, description,
                       part.events[0] if part.events else NS_EVENT)


def read_callgrind(path: str) -> List[ProfileData]:
    """Read a callgrind file (ours or valgrind's): one ProfileData per part.

    The first event is the cost. A function's line is its first line as the caller's
    ``calls=`` names it, else the first cost line seen; its inclusive cost is self plus
    outgoing call costs (calls to itself excluded). Raises :class:`CallgrindError`.
    """
    reader = _Reader(path, strict=False)
    parts = reader.read()
    # the first cost line of a function gives its line where no caller names one
    result = []
    for part in parts:
        if not part.order and not part.has_body:
            continue
        description = "; ".join(part.descs)
        result.append(_to_profile(part, description))
    if not result:
        raise CallgrindError(f"{reader.name}: no profile data")
    return result


def check_callgrind(path: str) -> List[str]:
    """Problems found by a strict reading of a callgrind file (empty list: valid).

    Checks: first line ``# callgrind format``, ``version:`` known, ``events:`` before data,
    ``summary:`` after ``events:`` and before data and >= the sum of self costs, ``totals:``
    equal to that sum, compressed ids defined before use, every ``calls=`` followed by its
    cost line, integer and non-negative costs.
    """
    reader = _Reader(path, strict=True)
    try:
        reader.read()
    except CallgrindError as error:
        return [str(error)]
    return reader.problems
