"""What a kept run is: the records written to a run folder's ``run.json``.

``run.json`` carries ``schema``; :func:`RunRecord.from_json` reads every schema version we
ever wrote and refuses anything else with :class:`RecordError` (a short message, no traceback).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

from spyder_callgrind.engine.workers._spyder_callgrind_protocol import (  # noqa: F401
    MODE_BOTH, MODE_EXACT, MODE_SAMPLE, MODES, ROLE_MAIN, STATUS_ERROR, STATUS_FAILED,
    STATUS_OK, STATUS_STOPPED)
from spyder_callgrind.engine.runfolder import OUTPUT_FILE, SUMMARY_FILE

#: Version of the ``run.json`` layout written by this code.
SCHEMA_VERSION = 1

#: Outcome of a run, the words its processes' metas use too: ``STATUS_OK`` the script
#: ended normally (exit code 0); ``STATUS_ERROR`` it raised or exited non-zero, its profile
#: is kept; ``STATUS_STOPPED`` the user stopped it, the profile up to then is kept;
#: ``STATUS_FAILED`` it could not start or no profile could be written.
STATUSES = (STATUS_OK, STATUS_ERROR, STATUS_STOPPED, STATUS_FAILED)
#: A run (or an import) still in progress, as the pane lists it; never in a kept run.
STATUS_RUNNING = "running"


class RecordError(ValueError):
    """``run.json`` is missing, damaged or of an unknown schema."""


@dataclass
class ProcessRecord:
    """One process of a run (the script itself, a worker, a child Python)."""

    pid: int
    role: str = ROLE_MAIN               #: "main", "worker 1", "process 3", "subprocess 2"...
    ppid: Optional[int] = None
    name: str = ""                      #: multiprocessing process name, if any
    profile: Optional[str] = None       #: ``.prof`` file name in the run folder
    callgrind: Optional[str] = None     #: callgrind file name in the run folder
    profiled: bool = True               #: False when the process' profile was lost
    note: str = ""                      #: why it was lost, when it was
    samples: Optional[str] = None       #: its stack samples (``.samples``) in the run folder

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "ProcessRecord":
        if not isinstance(data, dict) or type(data.get("pid")) is not int:
            raise RecordError("a process entry has no pid")
        return cls(**_checked_fields(cls, data, "a process entry"))


@dataclass
class RunRecord:
    """Everything ``run.json`` says about one run."""

    id: str
    script: str                          #: absolute path of the profiled script
    args: List[str] = field(default_factory=list)
    cwd: str = ""
    python: str = ""                     #: interpreter that ran the script
    python_version: str = ""
    started: str = ""                    #: ISO 8601, local time with offset
    duration: float = 0.0                #: wall seconds from start to end
    exit_code: Optional[int] = None
    status: str = STATUS_OK
    message: str = ""                    #: short explanation for error/failed/stopped
    processes: List[ProcessRecord] = field(default_factory=list)
    callgrind: Optional[str] = None      #: main callgrind file (all processes, merged)
    profile: Optional[str] = None        #: main ``.prof`` (all processes, merged)
    output: Optional[str] = OUTPUT_FILE
    summary: Optional[str] = SUMMARY_FILE
    label: str = ""
    source: str = "run"                  #: "run", "import" (a file) or "console" (a cell)
    #: where console code came from: "analysis.py: cell 'load'", "console"...
    origin: str = ""
    #: an imported file's modification time (ISO 8601); ``started`` is when it was imported
    file_date: str = ""
    children: bool = True                #: whether child processes were followed
    notes: List[str] = field(default_factory=list)   #: how to read the numbers
    #: "exact" (cProfile), "sample" (stack sampler alone) or "both"; older runs: "exact"
    mode: str = MODE_EXACT
    sample_clock: str = ""               #: "wall" or "cpu" when sampled
    sample_count: int = 0                #: samples taken (all processes and threads)
    sample_interval_ns: int = 0          #: interval between samples achieved (mean)
    #: per thread, its sampled time: {"pid", "role", "thread", "ns", "share" (%)}
    sampled_threads: List[Dict[str, Any]] = field(default_factory=list)
    #: standard library folders of the interpreter that ran the code, as it named them
    #: when the run started (each ending in a separator); [] for runs kept before
    stdlib_dirs: List[str] = field(default_factory=list)
    #: its ``sys.prefix``, ``sys.base_prefix``, ``sys.exec_prefix`` (as pyinstrument's
    #: ``sys_prefixes``); [] for runs kept before
    sys_prefixes: List[str] = field(default_factory=list)
    schema: int = SCHEMA_VERSION

    @property
    def sampled(self) -> bool:
        """The run has stack samples (real stacks and per-line costs)."""
        return self.sample_count > 0

    @property
    def exact_counts(self) -> bool:
        """Call counts were measured (cProfile ran)."""
        return self.mode != MODE_SAMPLE

    # -- derived -------------------------------------------------------------------------
    @property
    def profiled_count(self) -> int:
        return sum(1 for p in self.processes if p.profiled)

    def all_notes(self) -> List[str]:
        """What to show beside the run's numbers: lost processes, then ``notes``."""
        lost = self.processes_note()
        return ([lost] if lost else []) + list(self.notes)

    def processes_note(self) -> str:
        """"3 of 4 processes profiled" when some were lost, else ""."""
        total = len(self.processes)
        if total and self.profiled_count < total:
            return f"{self.profiled_count} of {total} processes profiled"
        return ""

    # -- JSON ----------------------------------------------------------------------------
    def to_json(self) -> Dict[str, Any]:
        data = asdict(self)
        data["schema"] = SCHEMA_VERSION
        return data

    @classmethod
    def from_json(cls, data: Any) -> "RunRecord":
        if not isinstance(data, dict):
            raise RecordError("run.json does not hold an object")
        schema = data.get("schema")
        if not isinstance(schema, int) or schema < 1:
            raise RecordError("run.json has no schema version")
        if schema > SCHEMA_VERSION:
            raise RecordError(f"run.json schema {schema} is newer than this version "
                              f"understands ({SCHEMA_VERSION}); update spyder-callgrind")
        for name in ("id", "script"):
            if not isinstance(data.get(name), str) or not data.get(name):
                raise RecordError(f"run.json has no {name}")
        if data.get("status", STATUS_OK) not in STATUSES:
            raise RecordError(f"run.json has an unknown status {data.get('status')!r}")
        processes = data.get("processes")
        if processes is None:
            processes = []
        if not isinstance(processes, list):
            raise RecordError("run.json has a bad 'processes' field")
        fields = _checked_fields(cls, {k: v for k, v in data.items() if k != "processes"},
                                 "run.json")
        fields["processes"] = [ProcessRecord.from_json(p) for p in processes]
        return cls(**fields)


#: The JSON types each field of a record may hold (None is allowed where listed).
_FIELD_TYPES: Dict[str, tuple] = {
    "pid": (int,), "role": (str,), "ppid": (int, type(None)), "name": (str,),
    "profile": (str, type(None)), "callgrind": (str, type(None)), "profiled": (bool,),
    "note": (str,),
    "id": (str,), "script": (str,), "args": (list,), "cwd": (str,), "python": (str,),
    "python_version": (str,), "started": (str,), "duration": (int, float),
    "exit_code": (int, type(None)), "status": (str,), "message": (str,),
    "output": (str, type(None)), "summary": (str, type(None)), "label": (str,),
    "source": (str,), "children": (bool,), "schema": (int,), "file_date": (str,),
    "origin": (str,), "notes": (list,), "mode": (str,), "sample_clock": (str,),
    "sample_count": (int,), "sample_interval_ns": (int,), "sampled_threads": (list,),
    "samples": (str, type(None)), "stdlib_dirs": (list,), "sys_prefixes": (list,),
}

#: The fields holding lists of strings.
_STRING_LISTS = ("args", "notes", "stdlib_dirs", "sys_prefixes")


def _checked_fields(cls, data: Dict[str, Any], what: str) -> Dict[str, Any]:
    """The known fields of ``data``, each of the type the record expects, or RecordError
    (a damaged file must be refused here, not crash whoever reads the record later)."""
    fields = {}
    for name in cls.__dataclass_fields__:
        if name not in data:
            continue
        value = data[name]
        kinds = _FIELD_TYPES[name]
        if type(value) not in kinds:     # type(), not isinstance(): JSON true is no pid
            raise RecordError(f"{what} has a bad '{name}' field")
        if name in _STRING_LISTS and not all(type(a) is str for a in value):
            raise RecordError(f"{what} has a bad '{name}' field")
        if name == "sampled_threads" and not all(type(a) is dict for a in value):
            raise RecordError(f"{what} has a bad '{name}' field")
        fields[name] = value
    return fields
