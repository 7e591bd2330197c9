"""A profile as text, the way ``%run -p`` / ``pstats.Stats.print_stats`` print it.

Used for a run's ``summary.txt`` and the command line. Numbers come from a
:class:`~spyder_callgrind.engine.model.ProfileData` (integer ns), shown in seconds.
"""

from __future__ import annotations

from typing import List, Optional

from spyder_callgrind.engine.model import (
    BUILTIN_FILE, NS_EVENT, Function, ProfileData, readable)

#: Sort orders of :func:`format_summary` (pstats names and ours).
SORT_KEYS = {
    "cumulative": lambda f: (-f.inclusive_ns, f.file, f.line, f.name),
    "cumtime": lambda f: (-f.inclusive_ns, f.file, f.line, f.name),
    "inclusive": lambda f: (-f.inclusive_ns, f.file, f.line, f.name),
    "tottime": lambda f: (-f.self_ns, f.file, f.line, f.name),
    "time": lambda f: (-f.self_ns, f.file, f.line, f.name),
    "self": lambda f: (-f.self_ns, f.file, f.line, f.name),
    "calls": lambda f: (-f.total_calls, f.file, f.line, f.name),
    "ncalls": lambda f: (-f.total_calls, f.file, f.line, f.name),
    "name": lambda f: (f.name, f.file, f.line),
    "filename": lambda f: (f.file, f.line, f.name),
}

_SORT_TITLES = {
    "cumulative": "cumulative time", "cumtime": "cumulative time",
    "inclusive": "cumulative time", "tottime": "internal time", "time": "internal time",
    "self": "internal time", "calls": "call count", "ncalls": "call count",
    "name": "function name", "filename": "file name",
}

_TOP_KEYS = {
    "self": lambda f: f.self_ns,
    "inclusive": lambda f: f.inclusive_ns,
    "calls": lambda f: f.total_calls,
}


def _location(f: Function) -> str:
    if f.file == BUILTIN_FILE:
        # pstats shows built-ins as {name} without the angle brackets
        name = f.name
        if name.startswith("<") and name.endswith(">"):
            name = name[1:-1]
        return "{%s}" % name
    return readable(f"{f.file}:{f.line}({f.name})")


def _amount(cost: float, event: str) -> str:
    """pstats' seconds for ``ns``; another event's count as it is."""
    return "%8.3f" % (cost / 1e9) if event == NS_EVENT else "%8d" % round(cost)


def _per_call(cost: int, calls: int, event: str) -> str:
    return _amount(cost / calls, event) if calls else " " * 8


def format_summary(data: ProfileData, sort: str = "cumulative", limit: Optional[int] = None,
                   title: str = "", counted: bool = True) -> str:
    """pstats-like text: a header line, then one row per function.

    ``sort`` is one of :data:`SORT_KEYS`; ``limit`` keeps the first rows only; ``counted``
    False: the calls were not measured (a sampled run), so no count or time per call.
    """
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort order {sort!r}; use one of {', '.join(SORT_KEYS)}")
    functions = data.functions
    total_calls = sum(f.total_calls for f in functions)
    primitive = sum(f.primitive_calls for f in functions)
    lines: List[str] = []
    if title:
        lines.append(title)
        lines.append("")
    head = f"         {total_calls} function calls" if counted else \
        "         calls not measured (sampled run)"
    if counted and primitive != total_calls:
        head += f" ({primitive} primitive calls)"
    head += (" in %.3f seconds" % (data.total_ns / 1e9) if data.event == NS_EVENT
             else f" costing {data.total_ns} {data.event}")
    lines.append(head)
    lines.append("")
    order = sorted(functions, key=SORT_KEYS[sort])
    shown = order if limit is None else order[:max(limit, 0)]
    lines.append(f"   Ordered by: {_SORT_TITLES[sort]}")
    if len(shown) < len(order):
        lines.append(f"   List reduced from {len(order)} to {len(shown)} due to restriction "
                     f"<{limit}>")
    lines.append("")
    lines.append("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)")
    for f in shown:
        calls = str(f.total_calls) if counted else "-"
        if counted and f.primitive_calls != f.total_calls:
            calls = f"{f.total_calls}/{f.primitive_calls}"
        lines.append("%9s %s %s %s %s %s" % (
            calls, _amount(f.self_ns, data.event),
            _per_call(f.self_ns, f.total_calls if counted else 0, data.event),
            _amount(f.inclusive_ns, data.event),
            _per_call(f.inclusive_ns, f.primitive_calls if counted else 0, data.event),
            _location(f)))
    return "\n".join(lines) + "\n"


def top_functions(data: ProfileData, sort: str = "self", n: int = 10) -> List[int]:
    """Indices of the ``n`` first functions by ``"self"``, ``"inclusive"`` time or ``"calls"``.

    Ties keep the profile's order.
    """
    if sort not in _TOP_KEYS:
        raise ValueError(f"unknown sort {sort!r}; use self, inclusive or calls")
    key = _TOP_KEYS[sort]
    functions = data.functions
    order = sorted(range(len(functions)), key=lambda i: -key(functions[i]))
    return order[:max(n, 0)]
