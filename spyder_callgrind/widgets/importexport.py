"""Import and export driven from Qt: ``spyder-callgrind import`` and ``spyder-callgrind
export`` in QProcesses, as runs are (:class:`~.runprocess.CommandProcess`).

An imported file is untrusted and may be large: reading and converting it in a child
process keeps it away from Spyder's process and its GUI thread, and cancelling is ending
that process.  An export builds its bytes (speedscope stacks of a large run take seconds)
in the child too; the command writes the file atomically, so a cancelled or failed export
leaves no half-written file.
"""

from __future__ import annotations

import os
import shutil
from typing import List, Optional

from qtpy.QtCore import QObject

from spyder_callgrind.engine.exporting import EXPORTERS
from spyder_callgrind.engine.store import RunStore, new_run_id
from spyder_callgrind.widgets.runprocess import CommandProcess

#: Format of ``spyder-callgrind export`` -> (file name suggested, file filter).
_SUGGESTIONS = {
    "callgrind": ("callgrind.out.{id}", "callgrind files (callgrind.out*)"),
    "pstats": ("{id}.prof", "pstats files (*.prof)"),
    "speedscope": ("{id}.speedscope.json", "speedscope (*.json)"),
    "collapsed": ("{id}.collapsed.txt", "collapsed stacks (*.txt)"),
    "text": ("{id}.txt", "text (*.txt)"),
    "chrome": ("{id}.trace.json", "Trace Event JSON (*.json)"),
}
#: Every format of ``spyder-callgrind export``, in its order.
EXPORT_FORMATS = tuple(EXPORTERS)


def export_suggestion(kind: str, run_id: str):
    """``(file name, file dialog filter)`` suggested for exporting ``run_id`` as ``kind``."""
    name, filters = _SUGGESTIONS.get(kind, ("{id}." + kind, "All files (*)"))
    return name.format(id=run_id), filters


def last_error_line(output: str, fallback: str) -> str:
    """The command's last line without its ``spyder-callgrind:`` prefix: its error."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return fallback
    return lines[-1].split(": ", 1)[1] if lines[-1].startswith("spyder-callgrind: ") \
        else lines[-1]


class ImportProcess(CommandProcess):
    """``spyder-callgrind import FILE`` into ``store`` as the run ``run_id``."""

    def __init__(self, path: str, *, store: str, parent: Optional[QObject] = None,
                 driver_python: Optional[str] = None):
        path = os.path.abspath(path)
        super().__init__(new_run_id(), os.path.dirname(path), parent, driver_python)
        self.script = path
        self.store = store

    def command(self) -> List[str]:
        return self._command_of(["import", "--store", self.store, "--id", self.run_id,
                                 self.script])

    def discard_pending(self) -> None:
        """After a cancel: remove what the import had written of the run."""
        shutil.rmtree(RunStore(self.store).pending_folder(self.run_id).path, ignore_errors=True)


class ExportProcess(CommandProcess):
    """``spyder-callgrind export RUN --format FORMAT -o TARGET``."""

    def __init__(self, run_id: str, kind: str, target: str, *, store: str,
                 parent: Optional[QObject] = None, driver_python: Optional[str] = None):
        super().__init__(run_id, os.path.dirname(os.path.abspath(target)), parent,
                         driver_python)
        self.kind = kind
        self.target = target
        self.store = store

    def command(self) -> List[str]:
        return self._command_of(["export", "--store", self.store, self.run_id,
                                 "--format", self.kind, "-o", self.target])
