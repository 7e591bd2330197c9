"""The compact run picker and the current run's status line.

A docked pane has no room for a list of runs beside the call table, so the runs are picked
in a combo box (script, start time, duration) that shares :class:`RunHistoryModel` with the
full list; the full list is shown beside the views when the pane is wide, or on demand.
:func:`run_status_text` says in one line what a run was: script, duration, processes
profiled (and lost), mode and outcome.
"""

from __future__ import annotations

import os
import threading
from typing import List, Optional, Sequence

from qtpy.QtCore import QObject, QSize, Qt, Signal
from qtpy.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStyle,
    QStyleOptionComboBox, QStylePainter, QToolButton, QWidget)

from spyder_callgrind.engine.interpreters import cached_paths, interpreter_paths
from spyder_callgrind.engine.records import STATUS_OK, RunRecord
from spyder_callgrind.widgets.columns import Role
from spyder_callgrind.widgets.history import (
    HISTORY_RUN, RunHistoryModel, format_duration, status_text)
from spyder_callgrind.widgets.i18n import _

#: A combo box's frame, padding and arrow beside its text and icon (px).
RUN_BOX_FRAME_PX = 32
#: Between the parts of a status line.
SEPARATOR = " · "


def _same_words(status: str, message: str) -> bool:
    """True when ``message`` only repeats the status word ("stopped" / "stopped by user")."""
    return message.strip().lower().startswith(status.lower())


def outcome_text(record: RunRecord) -> str:
    """How the run ended, without saying the same word twice: "stopped by user",
    "error: exit code 1", "ok"."""
    status = status_text(record.status)
    message = (record.message or "").strip()
    if not message:
        if record.status != STATUS_OK and record.exit_code not in (None, 0):
            return _("{status}: exit code {code}").format(status=status,
                                                         code=record.exit_code)
        return status
    if _same_words(status, message) or _same_words(record.status, message):
        return message
    return f"{status}: {message}"


def processes_text(record: RunRecord) -> str:
    """"1 process", "5 processes", "4 of 5 processes profiled (1 lost)"."""
    total = len(record.processes)
    if total == 0:
        return ""
    profiled = record.profiled_count
    if profiled < total:
        return _("{profiled} of {total} processes profiled ({lost} lost)").format(
            profiled=profiled, total=total, lost=total - profiled)
    if total == 1:
        return _("1 process")
    return _("time summed over {total} processes").format(total=total)


def mode_text(record: RunRecord) -> str:
    if record.source == "import":
        return _("imported file")
    if record.source == "console":
        return _("in the console")
    return _("children followed") if record.children else _("main process only")


def measure_text(record: RunRecord) -> str:
    """What the run's numbers are: cProfile's exact ones, stack samples, or both."""
    if record.source == "import":
        return ""
    if not record.exact_counts:
        return _("sampled")
    return _("exact + sampled") if record.sampled else _("exact")


def sampling_text(record: Optional[RunRecord]) -> str:
    """How a run was sampled: "sampled: 850 samples every 4.0 ms (wall clock)"."""
    if record is None or not record.sampled:
        return ""
    clock = _("CPU time") if record.sample_clock == "cpu" else _("wall clock")
    return _("sampled: {count:,} samples every {ms:.1f} ms ({clock})").format(
        count=record.sample_count, ms=record.sample_interval_ns / 1e6, clock=clock)


def _brief_parts(record: RunRecord) -> List[str]:
    """The status line's say in a docked pane, where the toolbar is narrow: what differs
    from the usual (one process, or all processes profiled and children followed) and
    what the numbers are; the tooltip has it all."""
    profiled, total = record.profiled_count, len(record.processes)
    parts = []
    if profiled < total:
        parts.append(processes_text(record))
    elif total > 1:
        parts.append(_("times summed"))   # the process box says "All N processes"
    if record.source in ("import", "console") or not record.children:
        parts.append(mode_text(record))
    parts.append(measure_text(record))
    return parts


def run_status_text(record: Optional[RunRecord], running_seconds: Optional[float] = None,
                    brief: bool = False) -> str:
    """One line about ``record``: script, duration, outcome, processes, mode, what its
    numbers are. A running run gives ``running_seconds`` instead of a duration. ``brief``
    leaves out what the run picker's box already says (script, duration, outcome), unless
    the outcome has more to say than one word, and what is usual (:func:`_brief_parts`)."""
    if record is None:
        return ""
    name = record.origin if record.origin and record.origin != "console" else \
        os.path.basename(record.script) or record.script
    parts = [] if brief else [name]
    if running_seconds is not None:
        parts.append(_("running for {elapsed}").format(
            elapsed=format_duration(running_seconds)))
    else:
        outcome = outcome_text(record)
        if not brief:
            parts.append(format_duration(record.duration))
        if not brief or outcome != status_text(record.status):
            parts.append(outcome)
        if brief:
            parts.extend(_brief_parts(record))
        else:
            parts.append(processes_text(record))
            parts.append(mode_text(record))
            parts.append(measure_text(record))
    if record.label:
        parts.append(record.label)
    # How to read the numbers (time per thread not separated, workers not followed...):
    # the line shows the first note; the status line's tooltip has them all.
    if running_seconds is None and record.notes:
        parts.append(_("note: {note}").format(note=record.notes[0]))
    return SEPARATOR.join(p for p in parts if p)


def notes_text(record: Optional[RunRecord]) -> str:
    """Every note of ``record``, one per line."""
    if record is None:
        return ""
    return "\n".join(_("note: {note}").format(note=note) for note in record.notes)


class ElidedLabel(QLabel):
    """A one-line label that elides its text at the right instead of widening its parent;
    the full text is its tooltip and what :meth:`text` gives."""

    def __init__(self, text: str = "", parent=None):
        super().__init__("", parent)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setTextFormat(Qt.PlainText)
        self._full = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def elided_text(self) -> str:
        return self.fontMetrics().elidedText(self._full, Qt.ElideRight,
                                             self.contentsRect().width())

    def _elide(self) -> None:
        # QLabel paints what it holds: hold the elided text (no paintEvent of our own,
        # which Qt may call while the label is being destroyed)
        super().setText(self.elided_text())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()


class RunBox(QComboBox):
    """The run picker's box: closed, it shows the run in brief (script, duration,
    outcome) and asks only for that width; opened, its list gives each run whole, start
    time included."""

    def brief_text(self) -> str:
        brief = self.itemData(self.currentIndex(), Role.RUN_BRIEF) \
            if self.currentIndex() >= 0 else None
        return brief or self.currentText()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        text = self.fontMetrics().horizontalAdvance(self.brief_text())
        icon = self.iconSize().width() + 6 if not self.itemIcon(
            self.currentIndex()).isNull() else 0
        return QSize(min(hint.width(), text + icon + RUN_BOX_FRAME_PX), hint.height())

    def paintEvent(self, event) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        option.currentText = self.brief_text()
        painter.drawComplexControl(QStyle.CC_ComboBox, option)
        painter.drawControl(QStyle.CE_ComboBoxLabel, option)


class RunPicker(QWidget):
    """A row: runs-list button, combo box of runs, status line of the run shown.

    Signals:
        run_chosen(str): the user picked a run (its id) in the combo box.
        list_toggled(bool): the user asked to show (True) or hide the full list of runs.
    """

    run_chosen = Signal(str)
    list_toggled = Signal(bool)

    def __init__(self, model: RunHistoryModel, parent=None, list_icon=None):
        super().__init__(parent)
        self.model = model
        self.list_button = QToolButton(self)
        self.list_button.setCheckable(True)
        self.list_button.setToolTip(_("Show the list of runs (select two to compare them)"))
        if list_icon is not None:
            self.list_button.setIcon(list_icon)
        else:
            self.list_button.setText(_("Runs"))
        self.list_button.clicked.connect(self.list_toggled)
        self.combo = RunBox(self)
        self.combo.setModel(model)
        self.combo.setModelColumn(HISTORY_RUN)
        self.combo.setToolTip(_("Run shown"))
        # Its preferred width shows the whole run ("script  time  duration  outcome"); it
        # gives way (eliding) when the pane is narrower.
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.combo.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 12))
        self.combo.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.combo.activated.connect(self._on_activated)
        self.combo.currentIndexChanged.connect(lambda _i: self.combo.updateGeometry())
        self.status_label = ElidedLabel("", self)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._layout.addWidget(self.list_button)
        self._layout.addWidget(self.combo)
        self._layout.addWidget(self.status_label, 1)

    def add_chooser(self, widget: QWidget) -> None:
        """Put ``widget`` (e.g. the process box) between the run box and the status."""
        self._layout.insertWidget(self._layout.indexOf(self.status_label), widget)

    def _on_activated(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.run_chosen.emit(self.model.run_at(row).id)

    def set_current_run(self, run_id: Optional[str]) -> None:
        """Show ``run_id`` in the combo box (without emitting ``run_chosen``)."""
        row = self.model.row_of_id(run_id) if run_id else -1
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(row)
        self.combo.blockSignals(False)

    def current_run(self) -> Optional[str]:
        row = self.combo.currentIndex()
        return self.model.run_at(row).id if 0 <= row < self.model.rowCount() else None

    def set_status(self, record: Optional[RunRecord],
                   running_seconds: Optional[float] = None) -> None:
        """Describe ``record`` in the status line (the script is named there only when
        the combo box, which names it, is hidden)."""
        self.status_label.setText(run_status_text(record, running_seconds,
                                                  brief=not self.combo.isHidden()))
        tip = run_status_text(record, running_seconds)
        notes = notes_text(record) if running_seconds is None else ""
        sampling = sampling_text(record) if running_seconds is None else ""
        self.status_label.setToolTip(tip.split(SEPARATOR + _("note: "))[0]
                                     + ("\n" + sampling if sampling else "")
                                     + ("\n" + notes if notes else ""))

    def set_list_shown(self, shown: bool) -> None:
        """The runs list is shown beside the views: the combo box is not needed then."""
        self.list_button.setChecked(shown)
        self.combo.setVisible(not shown)

    def set_list_button_shown(self, shown: bool) -> None:
        """A narrow pane needs the room: the glue offers the list in a menu instead."""
        self.list_button.setVisible(shown)


class StdlibProbe(QObject):
    """Finds the standard library folders of the interpreters runs were made with, off the
    GUI thread (asking an interpreter starts it, which can take a second).

    Signals:
        found(str, tuple): interpreter path and its standard library folders.
    """

    found = Signal(str, tuple)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._asking: set = set()

    def stdlib_dirs(self, executable: str) -> Optional[Sequence[str]]:
        """The folders of ``executable`` when known; otherwise None, and they are looked
        up in a thread and announced by ``found``."""
        known = cached_paths(executable) if executable else None
        if known is not None:
            return known.stdlib_dirs
        if not executable or not os.path.isfile(executable):
            return None
        if executable not in self._asking:
            self._asking.add(executable)
            threading.Thread(target=self._ask, args=(executable,), daemon=True,
                             name="spyder-callgrind stdlib probe").start()
        return None

    def _ask(self, executable: str) -> None:
        paths = interpreter_paths(executable)
        self._asking.discard(executable)
        if paths is not None:
            self.found.emit(executable, tuple(paths.stdlib_dirs))
