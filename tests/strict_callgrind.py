"""A strict, independent reader of the callgrind files we write, for tests only.

It shares no code with ``spyder_callgrind.engine.callgrind``: a bug there cannot hide here.
It follows valgrind's "Callgrind Format Specification" and refuses anything loose: unknown
header lines, an id used before it is defined, a ``calls=`` line without its cost line,
non-integer or negative costs, ``summary:`` below the sum of self costs, ``totals:`` not equal
to it. It returns per-function self cost, call counts into each function, and call edges.

Events: ``ns`` (cProfile), ``ns samples_ns`` (cProfile and samples) or ``samples_ns``
(samples alone); every cost line has one cost per event, every event is checked against
``summary:``/``totals:``; the returned costs are the first event's, ``sampled_self`` /
``sampled_lines`` the ``samples_ns`` event's per function / per (function, line).
"""

import re
from collections import defaultdict

HEADER_KEYS = {"version", "creator", "pid", "cmd", "part", "desc", "positions", "event",
               "events", "summary", "thread", "totals"}
NAME = re.compile(r"^(fl|fi|fe|fn|cfl|cfi|cfn|ob|cob)=(?:\((\d+)\))?\s?(.*)$")


class StrictError(AssertionError):
    pass


def is_position(text):
    """A line number: absolute, or relative to the previous one (``+n``, ``-n``, ``*``)."""
    return text.isdigit() or text == "*" or (text[:1] in "+-" and text[1:].isdigit())


def read(path):
    """Parse ``path``; returns a dict with 'self', 'calls_in', 'edges', 'summary', 'totals'."""
    with open(path, encoding="utf-8") as stream:
        lines = stream.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "# callgrind format":
        raise StrictError("first line is not '# callgrind format'")
    names = {"fl": {}, "fn": {}}
    n_events = 1
    sums = [0]
    sampled_at = None                       # index of samples_ns among the events
    sampled_self = defaultdict(int)
    sampled_lines = defaultdict(int)
    last_line = 0
    header = {}
    seen_events = False
    self_cost = defaultdict(int)
    calls_in = defaultdict(int)
    edges = defaultdict(lambda: [0, 0])  # (caller, callee) -> [calls, inclusive]
    current_file = current_fn = None
    call_file = call_fn = None
    pending_calls = None
    total = 0
    for number, line in enumerate(lines[1:], start=2):
        where = f"{path}:{number}"
        if not line.strip() or line.startswith("#"):
            continue
        if pending_calls is not None:
            parts = line.split()
            if len(parts) != 1 + n_events or not is_position(parts[0]) or not all(
                    p.isdigit() for p in parts[1:]):
                raise StrictError(f"{where}: a calls= line must be followed by a cost line")
            key = ((current_file, current_fn), (call_file, call_fn))
            edges[key][0] += pending_calls
            edges[key][1] += int(parts[1])
            calls_in[(call_file, call_fn)] += pending_calls
            pending_calls = None
            continue
        header_match = re.match(r"^([a-z]+):\s?(.*)$", line)
        if header_match and header_match.group(1) in HEADER_KEYS:
            key, value = header_match.groups()
            if key == "summary" and not seen_events:
                raise StrictError(f"{where}: summary: before events:")
            if key == "events":
                seen_events = True
                # "ns" for Python profiles (plus "samples_ns" with stack samples), or
                # an imported file's own single event ("Ir"...)
                event_names = value.split()
                if event_names not in (["ns"], ["ns", "samples_ns"], ["samples_ns"]) and not (
                        len(event_names) == 1
                        and re.fullmatch(r"\w+", event_names[0], re.ASCII)):
                    raise StrictError(f"{where}: events must be 'ns', 'ns samples_ns', "
                                      f"'samples_ns' or one event name, not {value!r}")
                n_events = len(event_names)
                sums = [0] * n_events
                if "samples_ns" in event_names:
                    sampled_at = event_names.index("samples_ns")
            if key in header and key not in ("totals", "desc", "event"):
                raise StrictError(f"{where}: header {key}: repeated")
            header[key] = value
            continue
        name_match = NAME.match(line)
        if name_match:
            kind, ident, name = name_match.groups()
            table = names["fl" if kind in ("fl", "fi", "fe", "cfl", "cfi") else "fn"]
            if kind in ("ob", "cob"):
                continue
            if ident is not None:
                if name:
                    if ident in table and table[ident] != name:
                        raise StrictError(f"{where}: id ({ident}) redefined")
                    table[ident] = name
                elif ident not in table:
                    raise StrictError(f"{where}: id ({ident}) used before it is defined")
                name = table[ident]
            if not name:
                raise StrictError(f"{where}: empty name")
            if kind in ("fl", "fi", "fe"):
                current_file = name
            elif kind == "fn":
                current_fn = name
                call_file = call_fn = None
            elif kind == "cfl":
                call_file = name
            else:
                call_fn = name
                if call_file is None:
                    call_file = current_file
            continue
        if line.startswith("calls="):
            parts = line[6:].split()
            if len(parts) != 2 or not parts[0].isdigit() or not is_position(parts[1]):
                raise StrictError(f"{where}: bad calls= line {line!r}")
            if call_fn is None:
                raise StrictError(f"{where}: calls= without cfn=")
            pending_calls = int(parts[0])
            continue
        parts = line.split()
        if len(parts) == 1 + n_events and is_position(parts[0]) and all(
                p.isdigit() for p in parts[1:]):
            if current_fn is None:
                raise StrictError(f"{where}: cost line outside a function")
            self_cost[(current_file, current_fn)] += int(parts[1])
            total += int(parts[1])
            for k in range(n_events):
                sums[k] += int(parts[1 + k])
            if parts[0].isdigit():
                last_line = int(parts[0])
            elif parts[0][:1] in "+-":
                last_line += int(parts[0])
            if sampled_at is not None:
                cost = int(parts[1 + sampled_at])
                sampled_self[(current_file, current_fn)] += cost
                sampled_lines[(current_file, current_fn, last_line)] += cost
            continue
        raise StrictError(f"{where}: cannot parse {line!r}")
    if pending_calls is not None:
        raise StrictError(f"{path}: file ends after a calls= line")
    for required in ("version", "creator", "cmd", "positions", "events", "summary", "totals"):
        if required not in header:
            raise StrictError(f"{path}: no {required}: header")
    if header["version"] != "1" or header["positions"] != "line":
        raise StrictError(f"{path}: version/positions must be 1/line")
    summaries = [int(v) for v in header["summary"].split()]
    totals_all = [int(v) for v in header["totals"].split()]
    if len(summaries) != n_events or len(totals_all) != n_events:
        raise StrictError(f"{path}: summary/totals need one number per event")
    for summary, totals, total in zip(summaries, totals_all, sums):
        if summary < total:
            raise StrictError(f"{path}: summary {summary} < sum of self costs {total}")
        if totals != total:
            raise StrictError(f"{path}: totals {totals} != sum of self costs {total}")
    return {"self": dict(self_cost), "calls_in": dict(calls_in),
            "edges": {k: tuple(v) for k, v in edges.items()}, "summary": summaries[0],
            "totals": totals_all[0], "header": header, "sampled_self": dict(sampled_self),
            "sampled_lines": dict(sampled_lines)}


def short_name(fn_name):
    """Function name without the ``:line`` suffix used to tell same-named functions apart."""
    return re.sub(r"(:\d+)$", "", fn_name.split("'")[0].strip())
