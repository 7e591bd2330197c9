"""The run store: one folder per kept run, shared by the Spyder pane and the command line.

Layout of a store::

    <store>/
        20261125-133419-a1b2/        a complete run (it has run.json)
            run.json                 RunRecord (versioned schema)
            output.txt               the script's captured stdout/stderr
            summary.txt              text summary, as ``%run -p -T`` writes
            callgrind.out.<id>...    callgrind file(s) for KCacheGrind/QCacheGrind
            profiles/<pid>.prof      raw cProfile data, one per process
            tables/...               binary tables the pane reads (never marshal)
        .incomplete-<id>/            a run being written; invisible until renamed
        .deleting-<id>/              a run being removed

A run appears complete or not at all: it is written under ``.incomplete-<id>`` and renamed
to ``<id>`` once ``run.json`` is in place (a rename within one folder is atomic). A folder
whose ``run.json`` is missing or damaged is reported and skipped, never fatal.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import time
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple

from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.records import STATUS_OK, RecordError, RunRecord
from spyder_callgrind.engine.runfolder import RUN_FILE, RunFolder, StoreError
from spyder_callgrind.engine.workers._spyder_callgrind_protocol import (  # noqa: F401
    INCOMPLETE_PREFIX, OWNER_FILE)

#: Environment variable naming the store folder (overrides the default, not ``--store``).
STORE_ENV = "SPYDER_CALLGRIND_STORE"
DELETING_PREFIX = ".deleting-"
DEFAULT_KEEP = 50
#: What a run id may be: one folder name, never hidden, no separator (it is also part of the
#: run's callgrind file names).
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z")
_CONTROL = re.compile("[\x00-\x1f\x7f]")

#: Run names relative to another run: ``RUN~N`` is the Nth run before RUN in the store
#: (``last~1`` the one before the last), ``RUN~prev`` the previous run of RUN's script (see
#: :meth:`RunStore.previous_of`); ``prev`` alone is ``last~prev``. They chain: ``prev~prev``.
PREVIOUS = "prev"
_RELATIVE = re.compile(r"^(.*)~(\d+|prev)$")


def default_store_dir() -> str:
    """``callgrind`` under Spyder's configuration folder, so Spyder and the CLI agree."""
    env = os.environ.get(STORE_ENV)
    if env:
        return os.path.abspath(os.path.expanduser(env))
    try:
        # spyder.config.base imports no Qt; it knows the XDG / custom / per-OS rules.
        from spyder.config.base import get_conf_path
        return get_conf_path("callgrind")
    except Exception:  # Spyder missing or its config folder unusable: its usual place
        if sys.platform.startswith("linux"):
            base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        else:
            base = os.path.expanduser("~")
        return os.path.join(base, "spyder-py3" if sys.platform.startswith("linux")
                            else ".spyder-py3", "callgrind")


def check_label(label: str) -> str:
    """A label as kept (stripped), or StoreError: one line of text, or ``list`` breaks."""
    label = (label or "").strip()
    if _CONTROL.search(label):
        raise StoreError("a label is one line of text, without line breaks or other control "
                         "characters")
    return label


def record_text(record: RunRecord) -> str:
    """``run.json``'s text. ASCII: a path that is not UTF-8 (``os.fsdecode`` keeps its bytes
    as lone surrogates) is written as ``\\udcXX`` escapes, which read back to the same path."""
    return json.dumps(record.to_json(), indent=1)


def new_run_id() -> str:
    """Sortable, unique id: start time plus a random suffix."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def _os_message(error: OSError) -> str:
    return error.strerror or str(error)


@dataclass
class StoreProblem:
    """A run folder that could not be read (reported, then skipped)."""

    folder: str
    message: str

    def __str__(self) -> str:
        return f"{os.path.basename(self.folder)}: {self.message}"


class PendingRun:
    """A run folder being written; invisible to readers until :meth:`commit`."""

    def __init__(self, store: "RunStore", run_id: str, adopt: bool = False):
        self.store = store
        self.id = run_id
        self.path = os.path.join(store.root, INCOMPLETE_PREFIX + run_id)
        if adopt:        # written so far by another process (a console's kernel): ours now
            atomic_write(os.path.join(self.path, OWNER_FILE), str(os.getpid()))
            return
        os.makedirs(self.path)
        try:
            with open(os.path.join(self.path, OWNER_FILE), "w") as stream:
                stream.write(str(os.getpid()))
        except BaseException:   # e.g. disk full: leave no half-made folder behind
            self.discard()
            raise

    @property
    def folder(self) -> RunFolder:
        """The folder as it is now (``.incomplete-<id>``, or kept once committed)."""
        return RunFolder(self.path)

    def file(self, *names: str) -> str:
        """Absolute path of a file inside the run folder."""
        return self.folder.file(*names)

    def commit(self, record: RunRecord) -> str:
        """Write ``run.json`` and make the run visible; returns the final folder."""
        final = os.path.join(self.store.root, self.id)
        try:
            atomic_write(self.file(RUN_FILE), record_text(record))
            try:
                os.unlink(self.file(OWNER_FILE))
            except OSError:
                pass
            os.rename(self.path, final)
        except OSError as error:
            raise StoreError(f"cannot save the run in {self.store.root}: "
                             f"{_os_message(error)}") from None
        self.path = final
        return final

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class RunStore:
    """The folder of kept runs."""

    def __init__(self, root: Optional[str] = None):
        self.root = os.path.abspath(os.path.expanduser(root)) if root else default_store_dir()

    # -- writing -------------------------------------------------------------------------
    def ensure(self) -> None:
        try:
            os.makedirs(self.root, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the run store {self.root}: "
                             f"{_os_message(error)}") from None
        if not os.access(self.root, os.W_OK):
            raise StoreError(f"the run store {self.root} is not writable")

    def begin(self, run_id: Optional[str] = None) -> PendingRun:
        """Start writing a new run; a given ``run_id`` must be a new, plain folder name."""
        if run_id is not None:
            if not _RUN_ID.match(run_id):
                raise StoreError(f"bad run id {run_id!r}: use letters, digits, '-', '_' and "
                                 "'.' (not first), at most 100")
            if os.path.lexists(os.path.join(self.root, run_id)):
                raise StoreError(f"a run with id {run_id} already exists")
        self.ensure()
        try:
            return PendingRun(self, run_id or new_run_id())
        except FileExistsError:
            raise StoreError(f"a run with id {run_id} already exists") from None
        except OSError as error:
            raise StoreError(f"cannot write to the run store {self.root}: "
                             f"{_os_message(error)}") from None

    def save(self, record: RunRecord) -> None:
        """Rewrite an existing run's ``run.json`` (label changes)."""
        try:
            atomic_write(os.path.join(self.path_of(record), RUN_FILE), record_text(record))
        except OSError as error:
            raise StoreError(f"cannot update run {record.id}: {_os_message(error)}") from None

    def set_label(self, ref: str, label: str) -> RunRecord:
        label = check_label(label)
        record = self.get(ref)
        record.label = label
        self.save(record)
        return record

    def remove(self, ref: str) -> RunRecord:
        """Delete a run: it disappears at once (rename), then its files are removed."""
        record = self.get(ref)
        folder = self.path_of(record)
        doomed = os.path.join(self.root, DELETING_PREFIX + record.id)
        try:
            os.rename(folder, doomed)
        except OSError as error:
            raise StoreError(f"cannot delete run {record.id}: {_os_message(error)}") from None
        shutil.rmtree(doomed, ignore_errors=True)
        return record

    def apply_retention(self, keep: int = DEFAULT_KEEP,
                        protect: Iterable[str] = ()) -> List[RunRecord]:
        """Delete the oldest runs beyond ``keep``; labelled and protected runs stay."""
        if keep <= 0:
            return []
        protected = set(protect)
        runs, _problems = self.list_runs()
        removed = []
        for record in runs[keep:]:
            if record.label or record.id in protected:
                continue
            try:
                removed.append(self.remove(record.id))
            except StoreError:
                continue
        return removed

    # -- reading -------------------------------------------------------------------------
    def pending_folder(self, run_id: str) -> RunFolder:
        """The folder of a run that is still being written (it may not exist yet)."""
        return RunFolder(os.path.join(self.root, INCOMPLETE_PREFIX + run_id))

    def path_of(self, record: RunRecord) -> str:
        return os.path.join(self.root, record.id)

    def folder(self, record: RunRecord) -> RunFolder:
        """The kept run ``record``'s folder: its files, and loading them."""
        return RunFolder(self.path_of(record), record)

    def file_of(self, record: RunRecord, name: Optional[str]) -> Optional[str]:
        """Absolute path of a file named in ``run.json``, kept inside the run folder."""
        return self.folder(record).named(name)

    def read_folder(self, folder: str) -> RunRecord:
        """Read one run folder; raises StoreError with a short reason."""
        path = os.path.join(folder, RUN_FILE)
        try:
            with open(path, encoding="utf-8") as stream:
                data = json.load(stream)
        except FileNotFoundError:
            raise StoreError("no run.json (incomplete or not a run)") from None
        except (OSError, UnicodeDecodeError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not valid JSON"
            raise StoreError(f"run.json is damaged ({reason})") from None
        try:
            record = RunRecord.from_json(data)
        except RecordError as error:
            raise StoreError(str(error)) from None
        if record.id != os.path.basename(folder.rstrip(os.sep)):
            raise StoreError(f"run.json names run {record.id!r}, not its folder")
        return record

    def list_runs(self) -> Tuple[List[RunRecord], List[StoreProblem]]:
        """All complete runs, newest first, and the folders that could not be read."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return [], []
        except OSError as error:
            return [], [StoreProblem(self.root, f"cannot read the store: {_os_message(error)}")]
        runs, problems = [], []
        for name in names:
            folder = os.path.join(self.root, name)
            if name.startswith(".") or not os.path.isdir(folder):
                continue
            try:
                runs.append(self.read_folder(folder))
            except StoreError as error:
                problems.append(StoreProblem(folder, str(error)))
        runs.sort(key=lambda r: (r.started, r.id), reverse=True)
        return runs, problems

    def interrupted(self) -> List[str]:
        """Folders of runs whose writer died before committing them."""
        found = []
        try:
            names = os.listdir(self.root)
        except OSError:
            return found
        for name in names:
            if not name.startswith(INCOMPLETE_PREFIX):
                continue
            folder = os.path.join(self.root, name)
            try:
                with open(os.path.join(folder, OWNER_FILE)) as stream:
                    owner = int(stream.read().strip() or 0)
            except (OSError, ValueError):
                owner = 0
            if not _pid_alive(owner):
                found.append(folder)
        return found

    def clean(self) -> List[str]:
        """Remove interrupted runs and leftovers of interrupted deletions; returns them."""
        doomed = self.interrupted()
        try:
            doomed += [os.path.join(self.root, n) for n in os.listdir(self.root)
                       if n.startswith(DELETING_PREFIX)]
        except OSError:
            pass
        removed = []
        for folder in doomed:
            shutil.rmtree(folder, ignore_errors=True)
            if not os.path.exists(folder):
                removed.append(folder)
        return removed

    def get(self, ref: str) -> RunRecord:
        """A run by id, unique id prefix, ``last``, folder path, or relative to one of
        these: ``RUN~N``, ``RUN~prev``, ``prev`` (see :data:`PREVIOUS`)."""
        ref = (ref or "").strip()
        if not ref:
            raise StoreError("no run given")
        if os.path.isdir(ref) and os.path.isfile(os.path.join(ref, RUN_FILE)):
            folder = os.path.abspath(ref)
            if os.path.dirname(folder) != self.root:
                # A run folder from another store: read it from there.
                return RunStore(os.path.dirname(folder)).get(os.path.basename(folder))
            return self.read_folder(folder)
        relative = _RELATIVE.match(ref)
        if relative or ref == PREVIOUS:
            base, step = (relative.groups() if relative else ("last", PREVIOUS))
            return self._relative(self.get(base or "last"), step, ref)
        folder = os.path.join(self.root, ref)
        if os.sep not in ref and not ref.startswith(".") and os.path.isdir(folder):
            # An exact id (its folder's name): read that run alone, not every run.
            try:
                return self.read_folder(folder)
            except StoreError as error:
                raise StoreError(f"run {ref} cannot be read: {error}") from None
        runs, _problems = self.list_runs()
        if ref == "last":
            if not runs:
                raise StoreError(f"no runs in {self.root}")
            return runs[0]
        matches = [r for r in runs if r.id.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise StoreError(f"run {ref!r} is ambiguous: "
                             + ", ".join(r.id for r in matches[:5]))
        raise StoreError(f"no run {ref!r} in {self.root}")

    def previous_of(self, record: RunRecord) -> Optional[RunRecord]:
        """The newest run started before ``record`` that ran the same script with the same
        arguments and interpreter and ended normally (status ok); None if there is none."""
        runs, _problems = self.list_runs()
        mark = (record.started, record.id)
        for run in runs:                        # newest first
            if ((run.started, run.id) < mark and run.status == STATUS_OK
                    and (run.script, run.args, run.python)
                    == (record.script, record.args, record.python)):
                return run
        return None

    def _relative(self, record: RunRecord, step: str, ref: str) -> RunRecord:
        """The run ``step`` (a count or ``prev``) before ``record``; ``ref`` for messages."""
        if step == PREVIOUS:
            found = self.previous_of(record)
            if found is None:
                raise StoreError(f"no run {ref!r}: no earlier complete run of "
                                 f"{os.path.basename(record.script)} with the same arguments "
                                 f"and interpreter before run {record.id}")
            return found
        runs, _problems = self.list_runs()
        position = next((n for n, r in enumerate(runs) if r.id == record.id), None)
        if position is None:                     # a run folder from another store
            raise StoreError(f"no run {ref!r}: run {record.id} is not in {self.root}")
        if position + int(step) >= len(runs):
            raise StoreError(f"no run {ref!r}: only {len(runs) - 1 - position} runs "
                             f"before run {record.id} in {self.root}")
        return runs[position + int(step)]


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        # os.kill(pid, 0) would terminate the process on Windows.
        try:
            import psutil
        except ImportError:
            return True
        return psutil.pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
