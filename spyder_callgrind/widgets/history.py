"""The list of kept runs, newest first, as a Qt table model.

:class:`RunHistoryModel` shows :class:`~spyder_callgrind.engine.records.RunRecord` objects.
The run store is re-read whenever a run starts, ends or is deleted, so :meth:`set_runs` takes
the whole new list and turns it into row removals, insertions and a reordering rather than a
model reset: a view's selection (and current row) then stays on the same run by id.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Dict, List, Optional, Sequence

from qtpy.QtCore import QAbstractTableModel, QModelIndex

from spyder_callgrind.engine.records import (
    STATUS_ERROR, STATUS_FAILED, STATUS_OK, STATUS_STOPPED, RunRecord)
from spyder_callgrind.widgets.columns import Column, ColumnModelMixin, Role
from spyder_callgrind.widgets.i18n import _

HISTORY_SCRIPT = 0
HISTORY_STARTED = 1
HISTORY_DURATION = 2
HISTORY_STATUS = 3
HISTORY_LABEL = 4
#: The whole run in a few words (script, start, duration): the compact run picker's text.
HISTORY_RUN = 5


#: Statuses of finished runs.
STATUS_WORDS = (STATUS_OK, STATUS_ERROR, STATUS_STOPPED, STATUS_FAILED)


def status_text(status: str) -> str:
    """The status word shown to the user, translated."""
    return {STATUS_OK: _("ok"), STATUS_ERROR: _("error"), STATUS_STOPPED: _("stopped"),
            STATUS_FAILED: _("failed")}.get(status, status)


def parse_started(started: str) -> Optional[datetime]:
    """``RunRecord.started`` (ISO 8601) as an aware local datetime, or None if unreadable."""
    if not started:
        return None
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        return None
    # a naive time is taken as local time; an aware one is converted to local time
    return moment.astimezone()


def format_started(started: str) -> str:
    moment = parse_started(started)
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else (started or "")


def format_duration(seconds: float) -> str:
    """``0.42 s``, ``12.3 s``, ``2 min 05 s``, ``1 h 02 min``."""
    seconds = max(0.0, float(seconds or 0.0))
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def format_started_short(started: str) -> str:
    """``14:02`` today, ``Mar 03 14:02`` another day."""
    moment = parse_started(started)
    if moment is None:
        return started or ""
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%b %d %H:%M")


def run_title(run: RunRecord) -> str:
    """``boardgame.py  2.41 s  ok  14:02``: script, duration, outcome (with lost processes:
    ``error, 3 of 4 processes``) and start, most telling first (a narrow box cuts the
    end); ``running`` while it runs."""
    script = os.path.basename(run.script) or run.script
    if run.origin:                    # code run in the console: "cells.py: cell 'load'"
        script = run.origin
    started = format_started_short(run.started)
    if run.status not in STATUS_WORDS:
        return f"{script}  {status_text(run.status)}  {started}"
    outcome = status_text(run.status)
    total = len(run.processes)
    if total and run.profiled_count < total:
        outcome = _("{outcome}, {profiled} of {total} processes").format(
            outcome=outcome, profiled=run.profiled_count, total=total)
    return f"{script}  {format_duration(run.duration)}  {outcome}  {started}"


def run_brief(run: RunRecord) -> str:
    """:func:`run_title` without the start: what the closed run picker shows."""
    return run_title(run).rsplit("  ", 1)[0]


def _timestamp(run: RunRecord) -> float:
    moment = parse_started(run.started)
    return moment.timestamp() if moment else float("-inf")


def _status_text(_model, run: RunRecord) -> str:
    note = run.processes_note()
    text = status_text(run.status)
    return f"{text} ({note})" if note else text


def _status_tooltip(_model, run: RunRecord) -> str:
    parts = [status_text(run.status)]
    if run.exit_code is not None:
        parts.append(_("exit code {code}").format(code=run.exit_code))
    if run.message:
        parts.append(run.message)
    if run.processes_note():
        parts.append(run.processes_note())
    for process in run.processes:
        if not process.profiled:
            parts.append(f"{process.role} (pid {process.pid}): "
                         f"{process.note or _('not profiled')}")
    return "\n".join(parts)


def _command_line(_model, run: RunRecord) -> str:
    return " ".join([run.script] + list(run.args))


def _status_icon(model: "RunHistoryModel", run: RunRecord):
    return model.icons.get(run.status)


#: The columns, in HISTORY_* order.
COLUMNS = (
    Column(_("Script"),
           lambda _m, run: run.origin or os.path.basename(run.script) or run.script,
           sort_key=lambda _m, run: run.script, cell_tooltip=_command_line),
    Column(_("Started"), lambda _m, run: format_started_short(run.started),
           sort_key=lambda _m, run: _timestamp(run),
           cell_tooltip=lambda _m, run: format_started(run.started)),
    Column(_("Duration"), lambda _m, run: format_duration(run.duration),
           sort_key=lambda _m, run: run.duration, numeric=True),
    Column(_("Status"), _status_text, sort_key=lambda _m, run: run.status,
           cell_tooltip=_status_tooltip, decoration=_status_icon),
    Column(_("Label"), lambda _m, run: run.label),
    Column(_("Run"), lambda _m, run: run_title(run), sort_key=lambda _m, run: _timestamp(run),
           cell_tooltip=_command_line, decoration=_status_icon),
)
HISTORY_COLUMN_COUNT = len(COLUMNS)


class RunHistoryModel(ColumnModelMixin, QAbstractTableModel):
    """Kept runs, newest first: Script, Started, Duration, Status, Label.

    ``icons`` optionally maps a status ("ok", "error", "stopped", "failed") to a QIcon shown
    in the Status column (the Spyder glue passes Spyder's icons).
    """

    columns = COLUMNS
    row_roles = {Role.RUN: lambda _m, run: run, Role.RUN_ID: lambda _m, run: run.id,
                 Role.RUN_BRIEF: lambda _m, run: run_brief(run)}

    def __init__(self, runs: Sequence[RunRecord] = (), parent=None,
                 icons: Optional[Dict[str, object]] = None):
        super().__init__(parent)
        self.icons = dict(icons or {})
        self._runs: List[RunRecord] = self._newest_first(runs)

    def row_object(self, index: QModelIndex) -> RunRecord:
        return self._runs[index.row()]

    @staticmethod
    def _newest_first(runs: Sequence[RunRecord]) -> List[RunRecord]:
        # stable: runs with equal or unreadable start times keep the order given
        return sorted(runs, key=_timestamp, reverse=True)

    # -- access --------------------------------------------------------------------------
    def runs(self) -> List[RunRecord]:
        return list(self._runs)

    def run_at(self, row: int) -> RunRecord:
        return self._runs[row]

    def row_of_id(self, run_id: str) -> int:
        for row, run in enumerate(self._runs):
            if run.id == run_id:
                return row
        return -1

    # -- updating ------------------------------------------------------------------------
    def set_runs(self, runs: Sequence[RunRecord]) -> None:
        """Show ``runs``; rows of runs kept (same id) move rather than being recreated."""
        runs = self._newest_first(runs)
        new_ids = [run.id for run in runs]
        if len(set(new_ids)) != len(new_ids):
            self.beginResetModel()
            self._runs = runs
            self.endResetModel()
            return
        keep = set(new_ids)
        # 1. runs that are gone, removed bottom-up in contiguous blocks
        row = len(self._runs) - 1
        while row >= 0:
            if self._runs[row].id in keep:
                row -= 1
                continue
            last = row
            while row >= 0 and self._runs[row].id not in keep:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row + 1, last)
            del self._runs[row + 1:last + 1]
            self.endRemoveRows()
        # 2. new runs, inserted on top
        present = {run.id for run in self._runs}
        added = [run for run in runs if run.id not in present]
        if added:
            self.beginInsertRows(QModelIndex(), 0, len(added) - 1)
            self._runs[0:0] = added
            self.endInsertRows()
        # 3. the final order, with persistent indexes (selections) following their run's id
        if [run.id for run in self._runs] != new_ids:
            self.layoutAboutToBeChanged.emit()
            old_ids = [run.id for run in self._runs]
            self._runs = runs
            new_row = {run_id: n for n, run_id in enumerate(new_ids)}
            persistent = self.persistentIndexList()
            moved = [self.index(new_row[old_ids[i.row()]], i.column()) for i in persistent]
            self.changePersistentIndexList(persistent, moved)
            self.layoutChanged.emit()
        else:
            self._runs = runs
        if self._runs:  # records may have changed (status, label, duration)
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._runs) - 1, HISTORY_COLUMN_COUNT - 1))

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._runs)
