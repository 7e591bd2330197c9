"""Runs made in Spyder's IPython console: cells, selections, ``%callgrind`` magics.

The console's kernel writes them into the store itself (``workers/_spyder_callgrind_kernel.py``)
as unfinished runs; :func:`finish_console_runs` turns each one whose ``cell.json`` is written
into a kept run, through the same conversion as a script's run.  Spyder calls it when the
console is ready again; ``list`` and ``show`` call it too, so the command line sees console
runs made while Spyder was not watching.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import List, Tuple

from spyder_callgrind.engine.records import (
    MODE_EXACT, MODES, STATUS_ERROR, STATUS_FAILED, STATUS_OK, STATUS_STOPPED, RunRecord)
from spyder_callgrind.engine.interpreters import paths_in_meta
from spyder_callgrind.engine.recording import (
    OUTPUT_FILE, PROFILES_DIR, convert_run, in_run_folder, with_interpreter)
from spyder_callgrind.engine.runner import build_records, main_meta, read_metas, run_notes
from spyder_callgrind.engine.store import (
    INCOMPLETE_PREFIX, PendingRun, RunStore, StoreError)
from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.workers._spyder_callgrind_protocol import (
    CELL_FILE, CELL_FORMAT, KIND, KIND_PROCESS, MODE)

#: What a console run's ``cell.json`` may say of how it ended (anything else: an error).
_STATUSES = (STATUS_OK, STATUS_ERROR, STATUS_STOPPED)


def pending_console_runs(store: RunStore) -> List[str]:
    """Ids of console runs whose kernel has finished writing them."""
    try:
        names = os.listdir(store.root)
    except OSError:
        return []
    return sorted(name[len(INCOMPLETE_PREFIX):] for name in names
                  if name.startswith(INCOMPLETE_PREFIX)
                  and os.path.isfile(os.path.join(store.root, name, CELL_FILE)))


def finish_console_runs(store: RunStore) -> Tuple[List[RunRecord], List[str]]:
    """Convert every finished console run into a kept run: ``(records, problems)``.

    Each run is claimed first (its ``cell.json`` renamed), so two finishers (Spyder and
    the command line) never convert the same run twice.
    """
    records, problems = [], []
    for run_id in pending_console_runs(store):
        folder = os.path.join(store.root, INCOMPLETE_PREFIX + run_id)
        claimed = os.path.join(folder, f"{CELL_FILE}.{os.getpid()}")
        try:
            os.rename(os.path.join(folder, CELL_FILE), claimed)
        except OSError:
            continue                        # claimed by another finisher
        try:
            records.append(_finish(store, run_id, claimed))
        except (OSError, ValueError, StoreError) as error:
            problems.append(f"console run {run_id}: {error}")
    return records, problems


def _finish(store: RunStore, run_id: str, cell_path: str) -> RunRecord:
    with open(cell_path, encoding="utf-8") as stream:
        cell = json.load(stream)
    if not isinstance(cell, dict) or cell.get("format") != CELL_FORMAT:
        raise ValueError(f"{CELL_FILE} is not a console run's")
    pending = PendingRun(store, run_id, adopt=True)
    profile_dir = pending.file(PROFILES_DIR)
    metas = read_metas(profile_dir)
    processes = in_run_folder(build_records(metas, profile_dir, cwd=str(cell.get("cwd") or "") or None)[0])
    started = datetime.fromtimestamp(float(cell.get("started") or 0)).astimezone()
    record = RunRecord(
        id=run_id, script=str(cell.get("file") or "<console>"), cwd=str(cell.get("cwd") or ""),
        python=str(cell.get("python") or ""), python_version=str(cell.get("python_version")
                                                               or ""),
        started=started.isoformat(timespec="milliseconds"),
        duration=round(float(cell.get("duration") or 0.0), 3),
        exit_code=cell.get("exit_code") if isinstance(cell.get("exit_code"), int) else None,
        status=cell.get("status") if cell.get("status") in _STATUSES else STATUS_ERROR,
        message=str(cell.get("message") or ""), processes=processes, source="console",
        origin=str(cell.get("origin") or "console"), children=False,
        mode=next((str(m.get(MODE)) for m in metas if m.get(KIND) == KIND_PROCESS
                   and m.get(MODE) in MODES), MODE_EXACT),
        notes=[str(n) for n in cell.get("notes") or []] + run_notes(metas))
    with_interpreter(record, paths_in_meta(main_meta(metas)))
    if not any(p.profiled for p in processes):
        record.status = STATUS_FAILED
        record.message = record.message or "no profile was saved"
    atomic_write(pending.file(OUTPUT_FILE), "")
    convert_run(pending, record)
    pending.commit(record)
    try:
        os.unlink(os.path.join(store.path_of(record), os.path.basename(cell_path)))
    except OSError:
        pass
    return record
