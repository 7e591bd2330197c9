"""Comparing two profiles function by function: what got slower, what appeared, what went.

Functions are matched across runs by what survives an edit of the script: the file and the
function's name. The first line is not part of the match, since adding a line above a
function moves it. When a file has several functions of one name (methods of different
classes, redefinitions), they are paired by nearest first line. Built-ins all share the file
``~`` and are therefore matched by name. A function renamed between the runs shows up as one
``vanished`` and one ``added`` row: nothing links the two names. Names that carry a memory
address (``<function Random.seed at 0x7f...>``, ``<built-in method __exit__ of _thread.lock
object at 0x7f...>``) differ in every run; the address is dropped before matching, and
functions that then share a name in one run are counted together.

Rows are sorted by the change of *self* time, largest slowdown first: self time says where
the extra time was spent; inclusive time would put every caller of the slow function (up to
``<module>``) above it.
"""

from __future__ import annotations

import json
import os
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from spyder_callgrind.engine.model import (
    BUILTIN_FILE, NS_EVENT, Function, ProfileData, format_cost)

CHANGED = "changed"     #: in both runs
ADDED = "added"         #: only in the second run
VANISHED = "vanished"   #: only in the first run
STATUSES = (CHANGED, ADDED, VANISHED)


class DiffRow(NamedTuple):
    """One function of the comparison; the ``*_before`` values are 0 when it was added,
    the ``*_after`` ones when it vanished (``line_before``/``line_after`` are then None)."""

    name: str
    file: str
    line_before: Optional[int]
    line_after: Optional[int]
    status: str
    self_before: int
    self_after: int
    inclusive_before: int
    inclusive_after: int
    calls_before: int
    calls_after: int

    @property
    def change(self) -> int:
        """Change of self time in ns (positive: slower)."""
        return self.self_after - self.self_before

    @property
    def inclusive_change(self) -> int:
        return self.inclusive_after - self.inclusive_before

    @property
    def ratio(self) -> Optional[float]:
        """Self time after / before; None when there is no time before."""
        if self.self_before <= 0:
            return None
        return self.self_after / self.self_before

    @property
    def line(self) -> int:
        """The line to show: the one in the second run, if the function is still there."""
        return self.line_after if self.line_after is not None else (self.line_before or 0)

    @property
    def location(self) -> str:
        if self.file == BUILTIN_FILE:
            return "built-in"
        return f"{os.path.basename(self.file)}:{self.line}"


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def normalise_name(name: str) -> str:
    """``name`` without the memory addresses Python puts in the repr of objects."""
    return _ADDRESS.sub("", name) if " at 0x" in name else name


def _without_addresses(functions: Sequence[Function]) -> List[Function]:
    """``functions`` with addresses dropped from their names; functions whose file, line
    and name then coincide are merged (times and calls added up)."""
    if not any(" at 0x" in f.name for f in functions):
        return list(functions)
    merged: Dict[Tuple[str, int, str], Function] = {}
    for f in functions:
        key = (f.file, f.line, normalise_name(f.name))
        seen = merged.get(key)
        if seen is None:
            merged[key] = f._replace(name=key[2])
        else:
            merged[key] = seen._replace(
                primitive_calls=seen.primitive_calls + f.primitive_calls,
                total_calls=seen.total_calls + f.total_calls,
                self_ns=seen.self_ns + f.self_ns, inclusive_ns=seen.inclusive_ns + f.inclusive_ns)
    return list(merged.values())


def _pair_by_line(before: List[int], after: List[int], old: Sequence[Function],
                  new: Sequence[Function]) -> Tuple[List[Tuple[int, int]], List[int], List[int]]:
    """Pair same-named functions of one file, nearest first line first."""
    if len(before) == 1 and len(after) == 1:
        return [(before[0], after[0])], [], []
    candidates = sorted((abs(old[b].line - new[a].line), old[b].line, new[a].line, b, a)
                        for b in before for a in after)
    pairs, used_b, used_a = [], set(), set()
    for _, _, _, b, a in candidates:
        if b not in used_b and a not in used_a:
            pairs.append((b, a))
            used_b.add(b)
            used_a.add(a)
    return (pairs, [b for b in before if b not in used_b], [a for a in after if a not in used_a])


def diff_profiles(before: ProfileData, after: ProfileData) -> List[DiffRow]:
    """Compare two profiles; rows sorted by self-time change, largest slowdown first."""
    old = _without_addresses(before.functions)
    new = _without_addresses(after.functions)
    groups_before: Dict[Tuple[str, str], List[int]] = {}
    groups_after: Dict[Tuple[str, str], List[int]] = {}
    for n, f in enumerate(old):
        groups_before.setdefault((f.file, f.name), []).append(n)
    for n, f in enumerate(new):
        groups_after.setdefault((f.file, f.name), []).append(n)

    rows: List[DiffRow] = []
    for key in groups_before.keys() | groups_after.keys():
        pairs, gone, came = _pair_by_line(groups_before.get(key, []),
                                          groups_after.get(key, []), old, new)
        for b, a in pairs:
            fb, fa = old[b], new[a]
            rows.append(DiffRow(fa.name, fa.file, fb.line, fa.line, CHANGED,
                                fb.self_ns, fa.self_ns, fb.inclusive_ns, fa.inclusive_ns,
                                fb.total_calls, fa.total_calls))
        for b in gone:
            f = old[b]
            rows.append(DiffRow(f.name, f.file, f.line, None, VANISHED, f.self_ns, 0,
                                f.inclusive_ns, 0, f.total_calls, 0))
        for a in came:
            f = new[a]
            rows.append(DiffRow(f.name, f.file, None, f.line, ADDED, 0, f.self_ns,
                                0, f.inclusive_ns, 0, f.total_calls))
    rows.sort(key=lambda r: (-r.change, -r.inclusive_change, r.name, r.file, r.line))
    return rows


def _ratio_text(row: DiffRow) -> str:
    if row.status == ADDED:
        return "new"
    if row.status == VANISHED:
        return "gone"
    if row.ratio is None:
        return "-"
    return f"x{row.ratio:.2f}"


def format_diff(rows: Sequence[DiffRow], limit: Optional[int] = 20,
                event: str = NS_EVENT) -> str:
    """A plain-text table of the first ``limit`` rows (all if None), with totals on top;
    costs are shown in ``event``'s unit (a duration for ``ns``)."""
    def cost(value: int) -> str:
        return format_cost(value, event)

    total_before = sum(r.self_before for r in rows)
    total_after = sum(r.self_after for r in rows)
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUSES}
    lines = [
        f"Total {'time' if event == NS_EVENT else 'cost'}: {cost(total_before)} -> "
        f"{cost(total_after)} ({'+' if total_after >= total_before else ''}"
        f"{cost(total_after - total_before)})",
        f"Functions: {counts[CHANGED]} in both, {counts[ADDED]} added, "
        f"{counts[VANISHED]} vanished",
        "",
    ]
    shown = list(rows if limit is None else rows[:max(limit, 0)])
    header = ("Self change", "Ratio", "Self before", "Self after", "Status", "Function")
    table = [header] + [
        (("+" if r.change > 0 else "") + cost(r.change), _ratio_text(r),
         cost(r.self_before) if r.status != ADDED else "-",
         cost(r.self_after) if r.status != VANISHED else "-",
         r.status, f"{r.name} ({r.location})")
        for r in shown]
    widths = [max(len(line[c]) for line in table) for c in range(len(header) - 1)]
    for line in table:
        cells = [line[c].rjust(widths[c]) if c != 4 else line[c].ljust(widths[c])
                 for c in range(len(widths))]
        lines.append("  ".join(cells + [line[-1]]).rstrip())
    if limit is not None and len(rows) > len(shown):
        lines.append(f"... {len(rows) - len(shown)} more")
    return "\n".join(lines)


def diff_to_dicts(rows: Sequence[DiffRow]) -> List[dict]:
    """Rows as plain dicts (all fields, plus ``change``, ``inclusive_change``, ``ratio``)."""
    result = []
    for r in rows:
        item = r._asdict()
        item.update(change=r.change, inclusive_change=r.inclusive_change, ratio=r.ratio)
        result.append(item)
    return result


def diff_to_json(rows: Sequence[DiffRow], indent: Optional[int] = 2,
                 event: str = NS_EVENT) -> str:
    """The comparison as a JSON document: totals, then the rows in their order.

    Costs are integers in ``unit``: nanoseconds for Python profiles, else the compared
    files' own event ("Ir"...); ``ratio`` is null for added and vanished functions.
    """
    document = {
        "unit": event,
        "total_before": sum(r.self_before for r in rows),
        "total_after": sum(r.self_after for r in rows),
        "rows": diff_to_dicts(rows),
    }
    return json.dumps(document, indent=indent)
