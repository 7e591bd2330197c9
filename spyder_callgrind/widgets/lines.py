"""The Lines tab: the selected function's source, each line with its share of the time.

The costs come from the run's stack samples (:func:`spyder_callgrind.engine.samples.
function_lines`): *own* is the time the line itself was running, *incl.* the time it was
running or calling something. cProfile measures functions, not lines, so a run without
samples (``--mode exact``, an imported ``.prof``) has no per-line costs; the tab says so.
The samples are read, and the lines computed, in a thread: a run of many processes has
many samples.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import Dict, List, Optional, Sequence, Tuple

from qtpy.QtCore import (
    QAbstractTableModel, QCoreApplication, QElapsedTimer, QItemSelectionModel, QModelIndex,
    Signal)
from qtpy.QtGui import QFontDatabase
from qtpy.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from spyder_callgrind.engine import samples as sampling
from spyder_callgrind.engine.model import FuncKey, format_ns
from spyder_callgrind.widgets.columns import Column, ColumnModelMixin
from spyder_callgrind.widgets.delegates import HeatBarDelegate
from spyder_callgrind.widgets.i18n import _
from spyder_callgrind.widgets.runpicker import ElidedLabel

LINE, OWN, INCLUSIVE, SOURCE = range(4)


def _share(model: "LinesModel", ns: int) -> float:
    return ns / model.total if model.total else 0.0


def _percent(model: "LinesModel", ns: int) -> str:
    return f"{100 * _share(model, ns):.1f}%" if ns else ""


def _time_tip(model: "LinesModel", ns: int) -> Optional[str]:
    return _("{time} of {total}").format(time=format_ns(ns), total=format_ns(model.total)) \
        if ns else None


def _source(model: "LinesModel", row: sampling.LineRow) -> str:
    """The line without the function's own indentation (a method starts far right)."""
    text = row.text.expandtabs(4)
    return text[model.indent:] if not text[:model.indent].strip() else text


class LinesModel(ColumnModelMixin, QAbstractTableModel):
    """Rows of :class:`spyder_callgrind.engine.samples.LineRow`, shares of ``total``."""

    columns = (
        Column(_("Line"), lambda m, r: str(r.number), numeric=True),
        Column(_("Own"), lambda m, r: _percent(m, r.own), numeric=True,
               tooltip=_("Share of the function's sampled time spent on this line itself"),
               heat=lambda m, r: _share(m, r.own) or None,
               cell_tooltip=lambda m, r: _time_tip(m, r.own)),
        Column(_("Incl."), lambda m, r: _percent(m, r.inclusive), numeric=True,
               tooltip=_("Share of the function's sampled time spent on this line or in "
                         "what it called"),
               heat=lambda m, r: _share(m, r.inclusive) or None,
               cell_tooltip=lambda m, r: _time_tip(m, r.inclusive)),
        Column(_("Source"), _source),
    )

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: List[sampling.LineRow] = []
        self.total = 0
        self.indent = 0

    def set_rows(self, rows: Sequence[sampling.LineRow], total: int) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.total = total
        first = self.rows[0].text.expandtabs(4) if self.rows else ""
        self.indent = len(first) - len(first.lstrip())
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def row_object(self, index):
        return self.rows[index.row()]


class LinesView(QWidget):
    """A note line (function, its sampled time, how it was sampled) above the lines.

    Signals:
        line_activated(str, int): a line was double-clicked: file and line number.
    """

    line_activated = Signal(str, int)
    _computed = Signal(int, object, str)     # request number, result or None, message

    def __init__(self, parent=None):
        super().__init__(parent)
        self.note = ElidedLabel("", self)
        self.model = LinesModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 4)
        bars = HeatBarDelegate(self.table)
        self.table.setItemDelegateForColumn(OWN, bars)
        self.table.setItemDelegateForColumn(INCLUSIVE, bars)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column in (LINE, OWN, INCLUSIVE):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        self.table.doubleClicked.connect(self._on_double_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)

        self._store = None
        self._record = None
        self._samples: Dict[Tuple[str, Optional[int]], list] = {}
        self._lock = threading.Lock()
        self._request = 0
        self._shown: Optional[Tuple[str, Optional[int], FuncKey]] = None
        self.key: Optional[FuncKey] = None
        self._computed.connect(self._on_computed)
        self._say(_("Select a function in the Calls tab to see the time of each of its "
                    "lines."))

    # ---- what to show
    def set_run(self, store, record) -> None:
        """The run whose functions are shown next (None: none; its samples are read when a
        function is first shown)."""
        if record is None or self._record is None or record.id != self._record.id:
            self._shown = None
        self._store, self._record = store, record
        if record is None:
            self.clear()

    def clear(self) -> None:
        self._request += 1
        self._shown = None
        self.key = None
        self.model.set_rows([], 0)
        self._say(_("Select a function in the Calls tab to see the time of each of its "
                    "lines."))

    def show_function(self, key: Optional[FuncKey], pid: Optional[int] = None) -> None:
        """Show the lines of the function ``key`` (file, first line, name) in the run's
        process ``pid`` (None: all processes)."""
        record = self._record
        if key is None or record is None:
            self.clear()
            return
        wanted = (record.id, pid, tuple(key))
        if wanted == self._shown:
            return
        self._shown = wanted
        self._request += 1
        self.key = tuple(key)
        file, _line, name = key
        if not record.sampled:
            self.model.set_rows([], 0)
            self._say(_("No per-line costs: this run has no stack samples (it was "
                        "recorded exactly, or imported). Profile with \"exact + sampled\" "
                        "or \"sampled\" in Preferences > Callgrind."))
            return
        if file == "~" or file.startswith("<"):
            self.model.set_rows([], 0)
            self._say(_("{name} has no Python source lines (built in, or compiled from "
                        "a string).").format(name=name))
            return
        self.model.set_rows([], 0)
        self._say(_("Reading the stack samples…"))
        request = self._request
        store = self._store
        threading.Thread(target=self._compute, args=(request, store, record, pid, key),
                         daemon=True, name="spyder-callgrind lines").start()

    # ---- off the GUI thread
    def _compute(self, request, store, record, pid, key) -> None:
        try:
            cache_key = (record.id, pid)
            # held while reading: a second click during the read waits for these samples
            # instead of reading them again
            with self._lock:
                processes = self._samples.get(cache_key)
                if processes is None:
                    processes = store.folder(record).load_samples(pid)
                    self._samples = {cache_key: processes}   # one run's samples at a time
            if request != self._request:
                return
            lines = sampling.function_lines(processes, tuple(key))
            source = sampling.read_source(key[0])
            rows = sampling.function_rows(lines, source)
            label = sampling.sampled_label(processes) if processes else ""
            self._computed.emit(request, (lines, rows, source is not None, label), "")
        except Exception as error:   # a damaged samples file: one line, never a traceback
            self._computed.emit(request, None, str(error) or type(error).__name__)

    def _on_computed(self, request: int, result, message: str) -> None:
        if request != self._request:
            return
        if result is None:
            self.model.set_rows([], 0)
            self._say(_("No per-line costs: {}").format(message))
            return
        lines, rows, source_found, label = result
        file, first, name = lines.key
        self.model.set_rows(rows, lines.total)
        where = f"{os.path.basename(file)}:{first}"
        if not lines.total:
            self._say(_("{name} ({where}): no sample fell in it; it ran for less than the "
                        "sampling interval").format(name=name, where=where))
            return
        parts = [_("{name} ({where}): {time} sampled").format(
            name=name, where=where, time=format_ns(lines.total))]
        if label:
            parts.append(label)
        if not source_found:
            parts.append(_("source not found: {}").format(file))
        elif self._changed_since_run(file):
            parts.append(_("the file changed after this run: lines may not match"))
        self._say(" · ".join(parts))
        hottest = sampling.hottest_line(rows)
        if hottest is not None:
            self.select_line(hottest.number)

    def _changed_since_run(self, file: str) -> bool:
        record = self._record
        try:
            started = datetime.fromisoformat(record.started).timestamp()
            return os.path.getmtime(file) > started
        except (AttributeError, TypeError, ValueError, OSError):
            return False

    # ---- the table
    def _say(self, text: str) -> None:
        self.note.setText(text)

    def select_line(self, number: int) -> None:
        """Select and show the source line ``number``."""
        for row, line in enumerate(self.model.rows):
            if line.number == number:
                index = self.model.index(row, SOURCE)
                self.table.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
                self.table.scrollTo(index, QAbstractItemView.PositionAtCenter)
                return

    def selected_line(self) -> Optional[int]:
        index = self.table.currentIndex()
        return self.model.rows[index.row()].number if index.isValid() else None

    def _on_double_clicked(self, index) -> None:
        if self.key is None or not index.isValid():
            return
        file = self.key[0]
        if os.path.isfile(file):
            self.line_activated.emit(file, self.model.rows[index.row()].number)

    def wait(self, timeout: float = 30.0) -> None:
        """For tests and scripts: process events until the current request is shown."""
        timer = QElapsedTimer()
        timer.start()
        while self.note.text() == _("Reading the stack samples…") and \
                timer.elapsed() < timeout * 1000:
            QCoreApplication.processEvents()
            threading.Event().wait(0.01)
