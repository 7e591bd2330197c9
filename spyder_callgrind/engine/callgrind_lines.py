"""Callgrind parts with costs at real source lines, from stack samples.

:func:`.callgrind._render_part` writes each function's cost at its first line: cProfile
knows no lines.  When a part carries :class:`.samples.LineCosts`, this module writes it
instead, with ``positions: line`` meaning what KCacheGrind's source view expects:

* own time at the line that was running (each sample's leaf frame, its current line);
* calls at the line of the call site, with the time spent below that call.

Mode "both": two events, ``ns`` (cProfile's exact time and call counts, at the function's
first line as before) and ``samples_ns`` (sampled time at real lines).  A call site that
samples saw gets cProfile's exact cost on its busiest line; its other lines carry sampled
cost only, and cProfile's count is shared out so that the site's lines add up to it (one
call for each other line, the rest on the busiest; a line left without a call of its own
joins the busiest). A call cProfile does not list (samples skip C functions, so ``f ->
sorted -> key`` becomes ``f -> key``) says ``calls=1``: it was seen; a ``desc:`` line says
so.

Mode "sample": one event, ``samples_ns``; call counts were not measured, so every
``calls=`` line says 1 (the call was seen) and a ``desc:`` line says why.

No ``calls=`` line says 0: ``callgrind_annotate`` reads the cost line after ``calls=0``
as the caller's own cost, which would count the time below every such call twice.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from spyder_callgrind.engine.callgrind import (
    NOT_COUNTED, CallgrindPart, _display_names, _one_line, _safe_names, part_header)

EXACT_EVENT = "event: ns : Time (exact, cProfile)\n"
SAMPLED_EVENT = "event: samples_ns : Time (sampled)\n"
COUNTS_NOTE = (f"{NOT_COUNTED}: this run was sampled, not traced (each calls= "
               "line says 1: the call was seen); costs are sampled time")
SEEN_NOTE = ("Call counts are cProfile's; a call seen only in stack samples (made through "
             "a C function) says calls=1")
LINES_NOTE = "Costs at source lines come from stack samples"


def render_part_with_lines(part: CallgrindPart, number: Optional[int], write,
                           adds_up: bool) -> None:
    """Write one part whose ``lines`` (:class:`.samples.LineCosts`) give per-line costs;
    ``adds_up``: it is one of several processes whose costs a viewer adds up."""
    data = part.data
    costs = part.lines
    both = costs.mode != "sample"
    functions = data.functions
    names, names_escaped = _safe_names(_display_names(functions))
    files, files_escaped = _safe_names([f.file for f in functions])

    def cost_text(exact: int, sampled: int) -> str:
        return f"{exact} {sampled}" if both else f"{sampled}"

    self_rows: List[Dict[int, List[int]]] = []
    for i, f in enumerate(functions):
        rows: Dict[int, List[int]] = {}
        if both:
            rows[f.line] = [f.self_ns, 0]
        for line, ns in costs.self_lines.get(i, {}).items():
            rows.setdefault(line, [0, 0])[1] += ns
        if not rows:
            rows[f.line] = [0, 0]
        self_rows.append(rows)
    totals = [sum(r[k] for rows in self_rows for r in rows.values()) for k in (0, 1)]
    summary = " ".join(str(t) for t in (totals if both else totals[1:]))

    header = part_header(part, number, adds_up, names_escaped or files_escaped)
    header.append(f"desc: Note: {LINES_NOTE} ({_one_line(costs.label)})\n")
    header.append(f"desc: Note: {SEEN_NOTE if both else COUNTS_NOTE}\n")
    header.append("positions: line\n")
    header.append(EXACT_EVENT + SAMPLED_EVENT + "events: ns samples_ns\n" if both
                  else SAMPLED_EVENT + "events: samples_ns\n")
    header.append(f"summary: {summary}\n\n")
    write("".join(header))

    exact_out: List[List] = [[] for _ in functions]
    if both:
        for edge in data.edges:
            exact_out[edge.caller].append(edge)

    file_ref: Dict[str, str] = {}
    defined = [False] * len(functions)
    out: List[str] = []

    def fn_ref(j: int, kind: str) -> str:
        if defined[j]:
            return f"{kind}=({j + 1})"
        defined[j] = True
        return f"{kind}=({j + 1}) {names[j]}"

    def fl_ref(file: str, kind: str) -> str:
        ref = file_ref.get(file)
        if ref is None:
            ref = file_ref[file] = f"({len(file_ref) + 1})"
            return f"{kind}={ref} {file}"
        return f"{kind}={ref}"

    def call(caller_file: str, callee: int, count: int, at: int, exact: int,
             sampled: int) -> None:
        g = functions[callee]
        if files[callee] != caller_file:
            out.append(fl_ref(files[callee], "cfl") + "\n")
        out.append(f"{fn_ref(callee, 'cfn')}\ncalls={count} {g.line}\n"
                   f"{at} {cost_text(exact, sampled)}\n")

    current_file = None
    for i in sorted(range(len(functions)), key=files.__getitem__):
        f = functions[i]
        if files[i] != current_file:
            current_file = files[i]
            out.append(fl_ref(current_file, "fl") + "\n")
        out.append(fn_ref(i, "fn") + "\n")
        rows = self_rows[i]
        for line in [f.line] * (f.line in rows) + sorted(k for k in rows if k != f.line):
            exact, sampled = rows[line]
            out.append(f"{line} {cost_text(exact, sampled)}\n")
        sites: Dict[int, List[Tuple[int, int]]] = {}
        for (callee, at), ns in costs.call_lines.get(i, {}).items():
            sites.setdefault(callee, []).append((at, ns))
        for edge in exact_out[i]:
            callee = edge.callee
            exact = edge.inclusive_ns if callee != i else 0
            lines = sorted(sites.pop(callee, []), key=lambda s: -s[1])
            if not lines:
                call(current_file, callee, edge.total_calls, f.line, exact, 0)
                continue
            (at, ns), rest = lines[0], lines[1:]
            # one call for each other line while the count lasts; the rest join the busiest
            spare = max(edge.total_calls - 1, 0)
            own, rest = sorted(rest[:spare]), rest[spare:]
            ns += sum(r[1] for r in rest)
            call(current_file, callee, edge.total_calls - len(own), at, exact, ns)
            for at, ns in own:
                call(current_file, callee, 1, at, 0, ns)
        for callee in sorted(sites):
            for at, ns in sorted(sites[callee]):
                call(current_file, callee, 1, at, 0, ns)
        if len(out) > 65536:
            write("".join(out))
            out.clear()
    out.append(f"\ntotals: {summary}\n")
    write("".join(out))
