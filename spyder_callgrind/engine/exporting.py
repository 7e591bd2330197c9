"""A kept run in another format: what ``spyder-callgrind export`` writes.

One function per format, each taking the run (and optionally one process) and giving the
bytes to write, through one table (:data:`EXPORTERS`).  The writing of each format lives
with its format (:mod:`.exports`, :mod:`.samples`, :mod:`.summary`); this module only
chooses, for a run, real sampled stacks when it has them and rebuilt ones otherwise.
"""

from __future__ import annotations

import json
import os
from typing import Callable, Dict, NamedTuple, Optional

from spyder_callgrind.engine import exports, samples, summary
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.engine.timeline import run_timeline, trace_events


class ExportError(Exception):
    """The run cannot be exported in that format; one line for the user."""


class Export(NamedTuple):
    content: bytes
    binary: bool = False          #: not for a terminal
    note: str = ""                #: what the reader must know (e.g. approximate stacks)


def _copied(store: RunStore, record: RunRecord, pid: Optional[int], kind: str) -> Export:
    process = next((p for p in record.processes if p.pid == pid), None)
    name = record.callgrind if kind == "callgrind" else record.profile
    if process is not None and record.profiled_count > 1:
        name = process.callgrind if kind == "callgrind" else process.profile
    path = store.file_of(record, name)
    if not path or not os.path.isfile(path):
        why = (" (a sampled run measured no call counts: export callgrind, speedscope or "
               "collapsed)" if kind == "pstats" and not record.exact_counts else "")
        raise ExportError(f"run {record.id} has no {kind} file{why}")
    with open(path, "rb") as stream:
        return Export(stream.read(), binary=kind == "pstats")


def _profile(store: RunStore, record: RunRecord, pid: Optional[int]):
    data = store.folder(record).load_profile(pid)
    if data is None:
        raise ExportError(f"run {record.id} has no profile")
    return data


def _callgrind(store, record, pid, unit):
    return _copied(store, record, pid, "callgrind")


def _pstats(store, record, pid, unit):
    return _copied(store, record, pid, "pstats")


def _speedscope(store, record, pid, unit):
    name = os.path.basename(record.script)
    processes = store.folder(record).load_samples(pid)
    if processes:
        document = exports.speedscope_from_samples(processes, name)
    else:
        document = exports.speedscope_document(_profile(store, record, pid), name)
    return Export(json.dumps(document, separators=(",", ":")).encode("utf-8"))


def _collapsed(store, record, pid, unit):
    processes = store.folder(record).load_samples(pid)
    note = ""
    if processes:
        lines = samples.collapsed_lines(processes, unit=unit)
    else:
        lines = exports.collapsed_from_tree(_profile(store, record, pid))
        note = (f"run {record.id} has no stack samples: stacks rebuilt from call totals "
                f"(approximate), in microseconds")
    return Export("".join(line + "\n" for line in lines).encode("utf-8"), note=note)


def _text(store, record, pid, unit):
    text = summary.format_summary(_profile(store, record, pid), sort="cumulative")
    notes = record.all_notes()
    if notes:
        text = "".join(f"Note: {note}\n" for note in notes) + "\n" + text
    return Export(text.encode("utf-8"))


def _chrome(store, record, pid, unit):
    timeline = run_timeline(store, record, pid)
    if timeline is None:
        raise ExportError(f"run {record.id} has no stack samples, so no timeline: profile "
                          f"with --mode both or --mode sample")
    return Export(json.dumps(trace_events(timeline), separators=(",", ":")).encode("utf-8"))


#: ``export --format`` name -> exporter(store, record, pid or None, collapsed unit).
EXPORTERS: Dict[str, Callable[..., Export]] = {
    "callgrind": _callgrind, "pstats": _pstats, "speedscope": _speedscope,
    "collapsed": _collapsed, "text": _text, "chrome": _chrome}


def export_run(store: RunStore, record: RunRecord, kind: str, pid: Optional[int] = None,
               unit: str = "us") -> Export:
    """The run (or its process ``pid``) in the format ``kind`` (see :data:`EXPORTERS`);
    ``unit``: collapsed counts as sampled microseconds ("us") or samples ("samples")."""
    if kind not in EXPORTERS:
        raise ExportError(f"unknown export format {kind!r}")
    return EXPORTERS[kind](store, record, pid, unit)
