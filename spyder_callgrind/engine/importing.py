"""Keeping an existing profile as a run: a ``.prof`` (cProfile or ``profile``) or any
callgrind file (ours, pyprof2calltree's, valgrind's own from C programs).

Outside files are untrusted: ``.prof`` files are read in a child process (marshal data can
crash an interpreter) and callgrind files by a pure-Python parser that only raises
:class:`~spyder_callgrind.engine.callgrind.CallgrindError`.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from typing import Optional

from spyder_callgrind.engine import callgrind, profiles
from spyder_callgrind.engine.records import STATUS_OK, ProcessRecord, RunRecord
from spyder_callgrind.engine.recording import PROFILES_DIR, write_outputs
from spyder_callgrind.engine.store import RunStore, StoreError, check_label


def looks_like_callgrind(path: str) -> bool:
    """Callgrind files are text starting with a header line; pstats files are marshal."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(4096)
    except OSError:
        return False
    if os.path.basename(path).startswith(("callgrind.out", "cachegrind.out")):
        return True
    text = head.lstrip()
    return text.startswith(b"# callgrind format") or any(
        text.startswith(k) for k in (b"version:", b"creator:", b"events:", b"cmd:", b"pid:",
                                     b"positions:", b"desc:"))


def import_file(store: RunStore, path: str, label: str = "",
                run_id: Optional[str] = None) -> RunRecord:
    """Keep ``path`` as a new run of the store (with the id ``run_id`` when given); raises
    ProfileError/CallgrindError/StoreError."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise StoreError(f"no such file: {path}")
    if looks_like_callgrind(path):
        datas = callgrind.read_callgrind(path)
        kind = "callgrind"
    else:
        datas = [profiles.load_pstats_isolated(path)]
        kind = "pstats"
    label = check_label(label)
    pending = store.begin(run_id)
    try:
        # Imported now, so it sorts as the newest run ("show last"); the file's own date
        # is kept apart.
        record = RunRecord(id=pending.id, script=path, cwd=os.path.dirname(path),
                           started=datetime.now().astimezone().isoformat(
                               timespec="milliseconds"),
                           file_date=datetime.fromtimestamp(os.path.getmtime(path))
                           .astimezone().isoformat(timespec="seconds"),
                           status=STATUS_OK, label=label, source="import",
                           message=f"imported {kind} file {os.path.basename(path)}",
                           children=False, output=None)
        os.makedirs(pending.file(PROFILES_DIR))
        loaded = []
        for number, data in enumerate(datas):
            process = ProcessRecord(pid=number, role="imported" if len(datas) == 1
                                    else f"part {number + 1}")
            if kind == "pstats":
                process.profile = f"{PROFILES_DIR}/{os.path.basename(path)}"
                if not process.profile.endswith(".prof"):
                    process.profile += ".prof"
                shutil.copyfile(path, pending.file(process.profile))
            loaded.append((process, data))
        record.processes = [p for p, _d in loaded]
        write_outputs(pending.folder, record, loaded)
        if kind == "callgrind":
            # Keep the original too: it may hold more than we read (other events, objects).
            shutil.copyfile(path, pending.file("original-" + os.path.basename(path)))
        pending.commit(record)
    except BaseException:
        pending.discard()
        raise
    return record
