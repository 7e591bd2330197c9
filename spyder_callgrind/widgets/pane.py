"""The Callgrind pane without Spyder: the runs, the selected run's views, and what is done
to runs (start, stop, import, export, compare, label, delete).

Docked (narrow), runs are picked in a combo box; wide (maximized, undocked), the list of
runs is also shown beside the views. The layout follows the pane's width as it is resized.

:class:`ProfilePane` needs only Qt: the plugin's main widget wraps it in Spyder's glue
(actions, toolbar, preferences, the editor), and the benchmarks drive it as it is.  Its
settings come through two functions, ``get_conf(option, default)`` and ``set_conf(option,
value)`` (Spyder's configuration in the plugin, :class:`DictSettings` elsewhere).  Runs
and imports are ``spyder-callgrind`` commands in QProcesses
(:class:`~spyder_callgrind.widgets.runprocess.ProfileProcess`,
:mod:`~spyder_callgrind.widgets.importexport`), exports too, and kept runs are loaded off
the GUI thread by :class:`~spyder_callgrind.widgets.loading.RunLoader`: the GUI thread only
shows.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple

from qtpy.QtCore import QByteArray, QFileSystemWatcher, QPoint, Qt, QTimer, QUrl, Signal
from qtpy.QtGui import QDesktopServices
from qtpy.QtWidgets import (
    QAbstractItemView, QFileDialog, QHeaderView, QInputDialog, QLabel, QMessageBox,
    QSplitter, QTableView, QVBoxLayout, QWidget)

from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.engine.model import ProfileError
from spyder_callgrind.engine.table import load_table
from spyder_callgrind.engine.records import (
    STATUS_FAILED, STATUS_OK, STATUS_RUNNING, STATUS_STOPPED, RunRecord)
from spyder_callgrind.engine.store import RunStore, StoreError
from spyder_callgrind.engine.viewer import ViewerNotFound, open_in_viewer
from spyder_callgrind.widgets.calltree import CallTreeView
from spyder_callgrind.widgets.compare import CompareView
from spyder_callgrind.widgets.flamegraph import FlameGraphView
from spyder_callgrind.widgets.history import HISTORY_LABEL, HISTORY_RUN, RunHistoryModel
from spyder_callgrind.widgets.i18n import _
from spyder_callgrind.widgets.importexport import (
    ExportProcess, ImportProcess, export_suggestion, last_error_line)
from spyder_callgrind.widgets.loading import PREVIEW_POLL_SECONDS, RunLoader
from spyder_callgrind.widgets.previous import PreviousProcess, PreviousRunLabel
from spyder_callgrind.widgets.profileview import STREAM_INPUT, ProfileView
from spyder_callgrind.widgets.runpicker import RunPicker, StdlibProbe, run_status_text
from spyder_callgrind.widgets.runprocess import CommandProcess, Measure, ProfileProcess
from spyder_callgrind.widgets.lines import LinesView
from spyder_callgrind.widgets.timeline import TimelineView

logger = logging.getLogger(__name__)

#: From this width on the list of runs is shown beside the views (a docked pane is
#: about 700 px wide, a maximized one 1600).
WIDE_PANE_PX = 1100

#: The pane's settings and their defaults (the plugin's preferences of the same names).
DEFAULT_SETTINGS: Dict[str, Any] = {
    "store_dir": "", "keep_runs": 50, "viewer_path": "", "after_run": "pane",
    "profile_children": True, "profile_subprocesses": False, "run_mode": "both",
    "sample_clock": "wall", "sample_interval_ms": 4, "exact_threads": False,
    "hide_builtins": False, "hide_stdlib": False, "hide_site_packages": False,
    "hide_waiting": False, "pane_state": "",
}


#: How much of a run's text summary the Summary tab shows (about 2,000 functions).
SUMMARY_SHOWN_CHARS = 200_000


@dataclass
class DictSettings:
    """The pane's settings in a dict, for a pane outside Spyder (benchmarks, tests)."""

    values: Dict[str, Any] = field(default_factory=dict)

    def get(self, option: str, default: Any = None) -> Any:
        return self.values.get(option, DEFAULT_SETTINGS.get(option, default))

    def set(self, option: str, value: Any) -> None:
        self.values[option] = value


class ProfilePane(QWidget):
    """The runs of a store and the selected run's views."""

    #: (path, line) the user asked to see a function's source
    edit_requested = Signal(str, int)
    #: (run id) a run finished and is in the store
    run_finished = Signal(str)
    #: (run id, complete) the run shown has its first rows (complete False) or all of them
    run_loaded = Signal(str, bool)
    #: (run id) an imported file is kept as that run
    imported = Signal(str)
    #: (target, succeeded, one line saying how it ended) an export ended
    exported = Signal(str, bool, str)
    #: (busy) whether a run, import or export is in progress (the plugin's spinner)
    busy_changed = Signal(bool)
    #: the selection or the tasks changed: what can be done to runs may have changed
    state_changed = Signal()
    #: (position in the list of runs) a context menu asked for the list of runs
    history_menu_requested = Signal(QPoint)
    #: (shown) the list of runs was shown or hidden by the pane
    list_shown_changed = Signal(bool)
    #: (run id, engine.previous.Change or None) the run shown compared with the previous
    #: run of its script, once it is loaded
    previous_found = Signal(str, object)

    def __init__(self, get_conf: Optional[Callable[..., Any]] = None,
                 set_conf: Optional[Callable[[str, Any], None]] = None, *,
                 icons: Optional[Dict[str, Any]] = None, parent=None):
        """``icons``: QIcons by name, all optional: "list", "find", "filter", "edges",
        "waiting", and "status" (a dict: run status -> QIcon)."""
        super().__init__(parent)
        if get_conf is None or set_conf is None:
            settings = DictSettings()
            get_conf, set_conf = get_conf or settings.get, set_conf or settings.set
        self.get_conf = get_conf
        self.set_conf = set_conf
        icons = icons or {}
        #: runs and imports in progress, by run id
        self.processes: Dict[str, CommandProcess] = {}
        #: the export in progress
        self.export_process: Optional[ExportProcess] = None
        #: the comparison of the run shown with its script's previous run, under way
        self.previous_process: Optional[PreviousProcess] = None
        #: (stream, text) chunks of each running run's output, in arrival order
        self.live_output: Dict[str, List[Tuple[str, str]]] = {}
        #: what the list of runs shows of each run or import in progress
        self.running_records: Dict[str, RunRecord] = {}
        self.current_id: Optional[str] = None
        self._loader = RunLoader(self)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.settled.connect(self._on_settled)
        self._loader.failed.connect(self._on_load_failed)
        self._loader.compared.connect(self._on_compared)
        self._process_data = {}
        self._shown_pid = None

        self.history_model = RunHistoryModel(parent=self, icons=icons.get("status") or {})
        self.history = QTableView(self)
        self.history.setModel(self.history_model)
        self.history.setColumnHidden(HISTORY_RUN, True)
        self.history.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.history.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.history.verticalHeader().hide()
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.history.setWordWrap(False)
        self.history.setContextMenuPolicy(Qt.CustomContextMenu)
        self.history.customContextMenuRequested.connect(
            lambda pos: self.history_menu_requested.emit(
                self.history.viewport().mapToGlobal(pos)))
        self.history.selectionModel().currentRowChanged.connect(self._on_history_current)
        self.history.doubleClicked.connect(lambda _i: self.open_selected_in_viewer())

        self.picker = RunPicker(self.history_model, self,
                                list_icon=icons.get("list"))
        self.picker.run_chosen.connect(self.select_run)
        self.picker.list_toggled.connect(self.show_list)
        self.status_label = self.picker.status_label

        self.view = ProfileView(self, search_icon=icons.get("find"),
                                filter_icon=icons.get("filter"),
                                edges_icon=icons.get("edges"),
                                waiting_icon=icons.get("waiting"))
        self.view.jump_to_source.connect(
            lambda path, line: self.edit_requested.emit(path, line))
        self.view.process_changed.connect(self._on_process_changed)
        self.view.filters_changed.connect(self._on_view_filters_changed)
        self.view.waiting_filter_changed.connect(
            lambda hide: self.set_conf("hide_waiting", bool(hide)))
        self.view.input_submitted.connect(self.send_input)
        self.view.eof_requested.connect(self.send_eof)
        self._stdlib_probe = StdlibProbe(self)
        self._stdlib_probe.found.connect(self._on_stdlib_found)

        self.tabs = self.view.tabs
        self._extra_views: Dict[str, QWidget] = {}
        self._extra_data = None
        self._extra_filled: Dict[str, object] = {}
        self._compared_ids = ()

        self.message_label = QLabel("", self)
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(2)
        right_layout.addWidget(self.message_label)
        # "0.38 s faster than the previous run (-14%) · moved most: ... · Compare"
        self.previous_label = PreviousRunLabel(right)
        self.previous_label.compare_requested.connect(self.compare_ids)
        self._previous_for: Optional[str] = None
        self.previous_found.connect(self._on_previous_found)
        right_layout.addWidget(self.previous_label)
        right_layout.addWidget(self.view, 1)

        self.splitter = QSplitter(Qt.Horizontal, self)
        self.splitter.addWidget(self.history)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)   # room gained or lost goes to the views
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        # the runs list beside the views, chosen per layout (narrow, wide)
        self._list_wanted = {True: False, False: True}
        self._narrow: Optional[bool] = None

        self.picker.add_chooser(self.view.detach_process_combo())

        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.splitter, 1)
        self.setLayout(layout)
        self._update_layout()

        self._closing = False           # Spyder is closing: nothing of ours runs any more
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _p: self._refresh_timer.start())
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(300)
        self._refresh_timer.timeout.connect(self.refresh_history)
        # While a run converts, its first rows are shown as soon as they are written.
        self._preview_timer = QTimer(self)
        self._preview_timer.setInterval(int(PREVIEW_POLL_SECONDS * 1000))
        self._preview_timer.timeout.connect(self._poll_preview)
        self._previewed: set = set()
        self._add_extra_views()


    def _add_extra_views(self):
        """Flame graph, call tree, lines and timeline tabs next to the call table."""
        self._extra_views["flame"] = FlameGraphView(self)
        self._extra_views["tree"] = CallTreeView(self)
        # short names: seven tabs share a docked pane's width with the search field
        self.tabs.insertTab(1, self._extra_views["flame"], _("Flame"))
        self.tabs.setTabToolTip(1, _("Flame graph"))
        self.tabs.insertTab(2, self._extra_views["tree"], _("Tree"))
        self.tabs.setTabToolTip(2, _("Call tree: top-down, or the callers of a function"))
        for view in self._extra_views.values():
            view.function_activated.connect(self._jump_to_function)
        self.lines_view = LinesView(self)
        self.tabs.insertTab(3, self.lines_view, _("Lines"))
        self.lines_view.line_activated.connect(self.edit_requested)
        self.view.function_selected.connect(lambda _i: self._show_lines())
        self.timeline_view = TimelineView(self)
        self.tabs.insertTab(4, self.timeline_view, _("Timeline"))
        self.timeline_view.function_activated.connect(self._select_function_key)
        self.tabs.currentChanged.connect(lambda _i: self._fill_current_extra_view())

    def _select_function_key(self, key):
        """A function clicked on the timeline: select it in the call table."""
        data = self.view.profile()
        index = next((i for i, f in enumerate(data.functions)
                      if (f.file, f.line, f.name) == tuple(key)), None)
        if index is not None:
            self.view.show_calls()
            self.view.select_function(index)

    def _jump_to_function(self, index: int):
        data = self._extra_data
        if data is None or not 0 <= index < len(data.functions):
            return
        function = data.functions[index]
        if not function.is_builtin and os.path.isfile(function.file):
            self.edit_requested.emit(function.file, max(1, function.line))

    def _show_lines(self):
        """The Lines tab follows the function selected in the call table, once shown."""
        if self.tabs.currentWidget() is not self.lines_view:
            return
        index = self.view.selected_function()
        data = self.view.profile()
        function = data.functions[index] if index is not None and \
            0 <= index < len(data.functions) else None
        key = (function.file, function.line, function.name) if function else None
        self.lines_view.show_function(key, self._shown_pid)

    def _fill_current_extra_view(self):
        """Extra views are built when first shown (a flame graph of 100k functions is not
        free), and again when the run or process changes."""
        view = self.tabs.currentWidget()
        if view is self.lines_view:
            self._show_lines()
        if view is self.timeline_view:
            record = self.selected_record()
            finished = record is not None and record.id not in self.processes
            self.timeline_view.load(self.store, record if finished else None)
        for name, candidate in self._extra_views.items():
            if candidate is view and name != "compare" and \
                    self._extra_filled.get(name) is not self._extra_data:
                self._extra_filled[name] = self._extra_data
                try:
                    candidate.set_profile(self._extra_data or ProfileData([], []))
                except Exception as error:  # a view's bug must not break the pane
                    logger.warning("spyder-callgrind: %s view failed (%s)", name, error)

    # ---- Settings
    FILTER_OPTIONS = ("hide_builtins", "hide_stdlib", "hide_site_packages")

    def apply_filters(self):
        """The call table filters from the settings."""
        self.view.set_filters(*(self.get_conf(option) for option in self.FILTER_OPTIONS))
        self.view.set_hide_waiting(bool(self.get_conf("hide_waiting")))

    def _on_view_filters_changed(self, hide_builtins, hide_stdlib, hide_site):
        """A toggle flipped in the pane: it is the preference from now on."""
        for option, value in zip(self.FILTER_OPTIONS, (hide_builtins, hide_stdlib, hide_site)):
            if bool(self.get_conf(option)) != bool(value):
                self.set_conf(option, bool(value))

    # ---- Layout
    def _update_layout(self):
        narrow = self.width() < WIDE_PANE_PX
        if narrow != self._narrow:
            self._narrow = narrow
            self._apply_list()

    def _apply_list(self):
        shown = self._list_wanted[bool(self._narrow)]
        appears = shown and self.history.isHidden()
        self.history.setVisible(shown)
        self.picker.set_list_shown(shown)
        self.picker.set_list_button_shown(not self._narrow)
        self.list_shown_changed.emit(shown)
        if appears:
            # wide enough for its columns, at most a third of the pane
            self.history.resizeColumnsToContents()
            total = self.splitter.width() or self.width()
            columns = self.history.horizontalHeader().length() + \
                self.history.verticalScrollBar().sizeHint().width() + 4
            left = min(total // 3, max(240, columns))
            self.splitter.setSizes([left, total - left])
        self.picker.set_status(self.selected_record())

    def show_list(self, shown):
        """Show or hide the list of runs beside the views, in the current layout."""
        self._list_wanted[bool(self._narrow)] = bool(shown)
        self._apply_list()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._update_layout()

    def save_state(self) -> bytes:
        """The pane's layout (splitters, columns, what is shown), for :meth:`restore_state`."""
        state = {"version": 1,
                 "splitter": bytes(self.splitter.saveState().toBase64()).decode("ascii"),
                 "list_narrow": self._list_wanted[True],
                 "list_wide": self._list_wanted[False],
                 "view": self.view.save_state().decode("utf-8")}
        return json.dumps(state).encode("utf-8")

    def restore_state(self, state: bytes) -> bool:
        """Restore :meth:`save_state`'s bytes; False (nothing changed) if unreadable."""
        try:
            found = json.loads(bytes(state).decode("utf-8"))
            splitter = QByteArray.fromBase64(found["splitter"].encode("ascii"))
            view = found["view"].encode("utf-8")
            wanted = {True: bool(found["list_narrow"]), False: bool(found["list_wide"])}
        except (ValueError, TypeError, KeyError, AttributeError):
            return False
        if found.get("version") != 1 or not self.view.restore_state(view):
            return False
        self._list_wanted = wanted
        self._apply_list()
        self.splitter.restoreState(splitter)   # the user's sizes win over the defaults
        return True

    def save_layout(self):
        """Keep the layout in the preferences (called when Spyder closes)."""
        try:
            self.set_conf("pane_state", self.save_state().decode("utf-8"))
        except Exception as error:  # never stop Spyder from closing
            logger.info("spyder-callgrind: pane layout not saved (%s)", error)

    def restore_layout(self):
        state = self.get_conf("pane_state", default="")
        if not isinstance(state, str):
            state = ""  # a hand-edited configuration: the default layout
        if state and not self.restore_state(state.encode("utf-8", "replace")):
            logger.info("spyder-callgrind: saved pane layout unreadable; default used")

    # ---- Store
    @property
    def store(self) -> RunStore:
        return RunStore(self.get_conf("store_dir") or None)

    def refresh_history(self):
        """Read the store again (also picks up runs made from the command line)."""
        if self._closing:
            return
        store = self.store
        runs, problems = store.list_runs()
        if os.path.isdir(store.root) and store.root not in self._watcher.directories():
            for old in self._watcher.directories():
                self._watcher.removePath(old)
            self._watcher.addPath(store.root)
        running = [r for r in self.running_records.values()]
        self.history_model.set_runs(running + runs)
        # the Label column only when some run has a label: the list stays narrow
        self.history.setColumnHidden(HISTORY_LABEL, not any(r.label for r in runs))
        if problems:
            self.show_message(_("Skipped {} damaged run folder(s): {}").format(
                len(problems), "; ".join(str(p) for p in problems[:3])))
        vanished = (self.current_id is not None
                    and self.history_model.row_of_id(self.current_id) < 0)
        if vanished:
            # Deleted elsewhere (the command line, a file manager) while it was shown.
            self.current_id = None
            self.view.clear()
        if self.current_id is None and self.history_model.rowCount() > 0:
            self.select_run(self.history_model.run_at(0).id)
        if vanished:
            self.show_message(_("The run you were viewing was deleted from the store."))
        self.state_changed.emit()

    def show_message(self, text: str, error: bool = False):
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        if error:
            logger.info("spyder-callgrind: %s", text)

    # ---- History selection
    def selected_records(self) -> List[RunRecord]:
        rows = sorted({i.row() for i in self.history.selectionModel().selectedRows()})
        return [self.history_model.run_at(r) for r in rows]

    def selected_record(self) -> Optional[RunRecord]:
        if self.current_id is None:
            return None
        row = self.history_model.row_of_id(self.current_id)
        return self.history_model.run_at(row) if row >= 0 else None

    def select_run(self, run_id: str):
        """Select ``run_id`` in the history and show it (again, if it was selected)."""
        row = self.history_model.row_of_id(run_id)
        if row < 0:
            return
        self.history.selectRow(row)
        self.history.setCurrentIndex(self.history_model.index(row, 0))
        self.picker.set_current_run(run_id)
        if self.current_id != run_id:
            self.current_id = run_id
            self.show_run(self.history_model.run_at(row))
            self.state_changed.emit()

    def _on_history_current(self, current, _previous):
        if not current.isValid():
            return
        record = self.history_model.run_at(current.row())
        self.picker.set_current_run(record.id)
        if record.id == self.current_id:
            return
        self.current_id = record.id
        self.show_run(record)
        self.state_changed.emit()

    def _find_previous(self, record: RunRecord):
        """How ``record`` changed since the previous run of its script, once the run shown
        is loaded: found by a child process (:class:`PreviousProcess`), which reads both
        whole profiles without taking the GUI's interpreter lock."""
        self._previous_for = record.id
        if self.previous_process is not None:
            self.previous_process.stop()
            self.previous_process = None
        if record.status != STATUS_OK or record.id in self.processes:
            self.previous_found.emit(record.id, None)
            return
        process = PreviousProcess(record.id, store=self.store.root, parent=self)
        process.finished.connect(lambda _id, code: self._on_previous_done(process, code))
        self.previous_process = process
        process.start()

    def _on_previous_done(self, process: PreviousProcess, code: int):
        if self.previous_process is process:
            self.previous_process = None
        process.deleteLater()
        if process.stopping or self._closing:
            return
        change = None
        try:
            if code != 0:
                raise ValueError(f"exit code {code}")
            change = process.change()
        except (ValueError, StoreError) as error:  # a damaged previous run: no line
            logger.info("spyder-callgrind: no comparison with the previous run (%s)", error)
        self.previous_found.emit(process.run_id, change)

    def _on_previous_found(self, run_id: str, change):
        if run_id == self._previous_for and run_id == self.current_id:
            self.previous_label.set_change(change)

    def show_run(self, record: RunRecord):
        """Show ``record``: first rows at once from the top table, all rows when loaded."""
        shown_until_now = [self.view.profile(), *self._process_data.values()]
        self.view.clear()
        self._process_data = {}
        self._shown_pid = None
        self._show_in_extra_views(None)
        self.lines_view.set_run(self.store, None if record.id in self.processes else record)
        self.show_message("")
        if record.id not in self._compared_ids:
            self._remove_compare_tab()   # a comparison of other runs would mislead
        elif self.tabs.currentWidget() is self._extra_views.get("compare"):
            self.view.show_calls()       # the user picked one run: show that run
        process = self.processes.get(record.id)
        self._update_input_line(process)
        if process is not None:
            self._previewed.discard(record.id)
            self.picker.set_status(record, process.seconds())
            for stream, text in self.live_output.get(record.id, []):
                self.view.append_output(text, stream)
            self.view.show_output()
            return
        self.picker.set_status(record)
        self.previous_label.set_change(None)
        self._previous_for = None
        # the folders the run's interpreter reported; asked of it only for older runs
        stdlib = record.stdlib_dirs or self._stdlib_probe.stdlib_dirs(record.python)
        if stdlib:
            self.view.set_stdlib_dirs(stdlib)
        store = self.store
        self.view.set_output(_read_text(store.file_of(record, record.output)))
        if record.status == STATUS_FAILED:
            self.show_message(run_status_text(record), error=True)
        if not record.callgrind:
            self._after_load(record)
            self.view.show_output()
            return
        top = store.folder(record).top_table
        self._loader.retire(shown_until_now)   # freed after the new run shows
        self._loader.load(record, store, top_table=top)

    def _on_stdlib_found(self, executable: str, dirs):
        record = self.selected_record()
        if record is not None and record.python == executable:
            self.view.set_stdlib_dirs(dirs)

    def _on_loaded(self, run_id: str, data, complete: bool, processes):
        if run_id != self.current_id:
            return
        self.view.set_profile(data, processes or None)
        if complete:
            self._process_data = {pid: d for _label, pid, d in processes}
            self._process_data[None] = data
            self._show_in_extra_views(data)
        self.run_loaded.emit(run_id, complete)

    def _on_settled(self, run_id: str):
        """The run's rows are on screen and its caches built: now its summary and the
        comparison with the previous run, which the rows do not wait for."""
        if run_id == self.current_id:
            self._after_load(self.selected_record())

    def _after_load(self, record: Optional[RunRecord]):
        """What the run shown needs once its rows are in: its summary (of 100,000
        functions: megabytes of text) and the comparison with the previous run."""
        if record is None:
            return
        store = self.store
        # a summary lists every function: the first few thousand say what matters
        self.view.set_summary(_read_text(store.file_of(record, record.summary),
                                         limit=SUMMARY_SHOWN_CHARS))
        self._find_previous(record)

    def _show_in_extra_views(self, data):
        self._extra_data = data
        self._fill_current_extra_view()

    def _on_load_failed(self, run_id: str, message: str):
        if run_id == self.current_id:
            self.show_message(_("Cannot show this run: {}").format(message), error=True)
            self._after_load(self.selected_record())

    def _on_process_changed(self, pid):
        self._shown_pid = pid
        self._show_lines()
        data = self._process_data.get(pid)
        if data is not None:
            self._show_in_extra_views(data)

    # ---- Running
    def measure(self, mode: Optional[str] = None) -> Measure:
        """What a run measures: the settings, with ``mode`` (a file's Run configuration)
        over the preferred mode."""
        return Measure(mode=mode or self.get_conf("run_mode") or "both",
                       sample_clock=self.get_conf("sample_clock") or "wall",
                       sample_interval_ms=float(self.get_conf("sample_interval_ms") or 4),
                       exact_threads=bool(self.get_conf("exact_threads")))

    def start_run(self, script: str, args=(), cwd=None, python=None,
                  mode: Optional[str] = None) -> ProfileProcess:
        """Profile ``script`` in a subprocess; the pane follows it live. ``mode``: what to
        measure, when not the preference's."""
        store = self._ensured_store()
        # Retention never prunes what the user is looking at.
        protect = [self.current_id] + [r.id for r in self.selected_records()]
        process = ProfileProcess(script, args, store=store.root, cwd=cwd, python=python,
                                 children=bool(self.get_conf("profile_children")),
                                 keep=int(self.get_conf("keep_runs")), protect=protect,
                                 subprocesses=bool(self.get_conf("profile_subprocesses")),
                                 measure=self.measure(mode), parent=self)
        self.follow(process, RunRecord(
            id=process.run_id, script=process.script, args=list(args), cwd=process.cwd,
            python=python or sys.executable, mode=process.measure.mode))
        return process

    def _ensured_store(self) -> RunStore:
        store = self.store
        try:
            store.ensure()
        except StoreError as error:
            self.show_message(str(error), error=True)
            raise
        return store

    def follow(self, process: CommandProcess, record: RunRecord) -> None:
        """Start ``process`` (a command that writes the run ``record.id``) and list it as
        ``record`` until it ends; its first rows are shown as soon as they are written."""
        process.output.connect(self._on_output)
        process.elapsed.connect(self._on_elapsed)
        process.finished.connect(self._on_finished)
        self.processes[process.run_id] = process
        self.live_output[process.run_id] = []
        record.status = STATUS_RUNNING
        record.started = datetime.now().astimezone().isoformat(timespec="seconds")
        self.running_records[process.run_id] = record
        process.start()
        self._preview_timer.start()
        self._set_busy()
        self.refresh_history()
        self.select_run(process.run_id)
        self.state_changed.emit()

    def is_busy(self) -> bool:
        return bool(self.processes) or self.export_process is not None

    def _set_busy(self) -> None:
        self.busy_changed.emit(self.is_busy())

    def _poll_preview(self):
        """Show the top rows of the selected run while it is still being converted."""
        if not self.processes:
            self._preview_timer.stop()
            return
        run_id = self.current_id
        if run_id not in self.processes or run_id in self._previewed:
            return
        path = self.store.pending_folder(run_id).top_table
        if not os.path.isfile(path):
            return
        self._previewed.add(run_id)
        try:
            data = load_table(path)
        except ProfileError:
            return  # the finished run is loaded (and its problems reported) normally
        self.view.set_profile(data)
        self.view.show_calls()       # the script has ended: its top functions are ready
        self.show_message(_("Writing the callgrind file; these are the top functions, "
                            "the full table follows."))

    def _on_output(self, run_id: str, stream: str, text: str):
        self.live_output.setdefault(run_id, []).append((stream, text))
        if run_id == self.current_id:
            self.view.append_output(text, stream)

    def _on_elapsed(self, run_id: str, seconds: float):
        record = self.running_records.get(run_id)
        if run_id == self.current_id and record is not None:
            self.picker.set_status(record, seconds)

    # ---- The running script's input
    def _update_input_line(self, process):
        """The input line shows while the run shown is running; it works when the run can
        take input."""
        running = isinstance(process, ProfileProcess) and process.running
        available = callable(getattr(process, "send_input", None))
        self.view.set_input_state(running, available,
                                  _("This version cannot send input to the script"))

    def send_input(self, text: str):
        """Send ``text`` as one line to the running script shown, echoed in its output."""
        process = self.processes.get(self.current_id)
        send = getattr(process, "send_input", None)
        if process is None or not callable(send) or not process.running:
            return
        send(text)
        self._on_output(process.run_id, STREAM_INPUT, text + "\n")

    def send_eof(self):
        """Close the running script's input (Ctrl+D in the input line)."""
        process = self.processes.get(self.current_id)
        send_eof = getattr(process, "send_eof", None)
        if process is None or not callable(send_eof) or not process.running:
            return
        send_eof()
        self.view.set_input_state(True, False, _("The script's input is closed"))

    def _on_finished(self, run_id: str, code: int):
        process = self.processes.pop(run_id, None)
        if process is not None:
            process.deleteLater()  # its QProcess and timer are not needed any more
        self.running_records.pop(run_id, None)
        if isinstance(process, ImportProcess) and process.stopping:
            process.discard_pending()   # cancelled: nothing of it stays in the store
        if self._closing:         # stopped by Spyder's closing: kept, nothing to show
            return
        output = "".join(text for _stream, text in self.live_output.pop(run_id, []))
        self._set_busy()
        try:
            record = self.store.get(run_id)
        except StoreError:
            record = None
        if record is None:
            self.current_id = None
            self.refresh_history()
            if isinstance(process, ImportProcess):
                self._on_import_failed(process, output)
                return
            # The command itself failed (store unwritable, disk full...): say why.
            last = output.strip().splitlines()[-1:] or [_("unknown error")]
            self.show_message(_("The run could not be kept: {}").format(last[0]), error=True)
            return
        was_shown = self.current_id == run_id
        if was_shown:
            self.current_id = None  # it was shown as running: show the kept run now
        self.refresh_history()
        self.select_run(run_id)
        if was_shown and record.callgrind and record.status in (STATUS_OK, STATUS_STOPPED):
            self.view.show_calls()
        elif was_shown:
            self.view.show_output()  # it failed: its output says why
        if isinstance(process, ImportProcess):
            self.imported.emit(run_id)
            return
        after = self.get_conf("after_run")
        if after in ("viewer", "both") and record.callgrind:
            self.open_in_viewer(record)
        self.run_finished.emit(run_id)

    def stop_current_run(self):
        """Stop the run shown (or cancel the import shown); else every run, import and
        export in progress."""
        record = self.selected_record()
        if record is not None and record.id in self.processes:
            self.processes[record.id].stop()
            return
        self.stop_all_runs()

    def shutdown(self):
        """Spyder is closing: stop every run (each keeps its profile) and every timer, so
        that nothing of ours runs once Spyder's configuration is gone."""
        self.save_layout()
        self._closing = True
        for timer in (self._refresh_timer, self._preview_timer):
            timer.stop()
        watched = self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)
        self.stop_all_runs(wait=True)

    def stop_all_runs(self, wait: bool = False):
        tasks = list(self.processes.values())
        for helper in (self.export_process, self.previous_process):
            if helper is not None:
                tasks.append(helper)
        for process in tasks:
            if wait:
                process.kill()
            else:
                process.stop()

    # ---- Actions on runs
    def open_selected_in_viewer(self):
        record = self.selected_record()
        if record is not None:
            self.open_in_viewer(record)

    def open_in_viewer(self, record: RunRecord):
        path = self.store.file_of(record, record.callgrind)
        if not path or not os.path.isfile(path):
            self.show_message(_("This run has no callgrind file."), error=True)
            return
        try:
            open_in_viewer(path, self.get_conf("viewer_path") or None)
        except ViewerNotFound as error:
            QMessageBox.information(self, _("Callgrind viewer"), str(error))
        except OSError as error:
            self.show_message(_("Could not start the viewer: {}").format(error), error=True)

    def import_dialog(self):
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Open a profile"), os.path.expanduser("~"),
            _("Profiles (*.prof *.pstats callgrind.out* *.out);;All files (*)"))
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> ImportProcess:
        """Keep ``path`` as a run: ``spyder-callgrind import`` in a child process (the file
        may be hostile, and large), listed as in progress; Stop cancels it. The new run is
        shown when done (``imported``), or a warning says in one line why it was not."""
        store = self._ensured_store()
        process = ImportProcess(path, store=store.root, parent=self)
        self.follow(process, RunRecord(id=process.run_id, script=process.script,
                                        cwd=process.cwd, source="import"))
        return process

    def _on_import_failed(self, process: ImportProcess, output: str):
        if process.stopping:
            self.show_message(_("Import of {} cancelled").format(
                os.path.basename(process.script)))
            return
        QMessageBox.warning(self, _("Open profile"), last_error_line(
            output, _("the import stopped (exit code unknown)")))

    def label_selected(self):
        record = self.selected_record()
        if record is None or record.id in self.processes:
            return
        text, ok = QInputDialog.getText(self, _("Label run"),
                                        _("Label (empty to remove):"), text=record.label)
        if ok:
            try:
                self.store.set_label(record.id, text)
            except StoreError as error:
                self.show_message(str(error), error=True)
            self.refresh_history()

    def delete_selected(self, confirm: bool = True):
        # The selected rows, or else the run shown.
        records = [r for r in (self.selected_records() or [self.selected_record()])
                   if r is not None and r.id not in self.processes]
        if not records:
            return
        if confirm:
            names = "\n".join(f"{os.path.basename(r.script)}  {r.started}" for r in records[:10])
            answer = QMessageBox.question(
                self, _("Delete runs"),
                _("Delete {} run(s)? Their files are removed.").format(len(records))
                + "\n\n" + names)
            if answer != QMessageBox.Yes:
                return
        for record in records:
            try:
                self.store.remove(record.id)
            except StoreError as error:
                self.show_message(str(error), error=True)
        self.current_id = None
        self.view.clear()
        self.refresh_history()

    def reveal_selected(self):
        record = self.selected_record()
        if record is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.store.path_of(record)))

    def compare_selected(self):
        records = self.selected_records()
        if len(records) == 2:
            self.compare_runs(*records)

    def compare_ids(self, first_id: str, second_id: str):
        """Compare two kept runs named by id (the previous-run line's "Compare")."""
        try:
            self.compare_runs(self.store.get(first_id), self.store.get(second_id))
        except StoreError as error:
            self.show_message(str(error), error=True)

    def compare_runs(self, first: RunRecord, second: RunRecord):
        """Open the Compare tab on two runs, the older one first."""
        before, after = sorted((first, second), key=lambda r: (r.started, r.id))
        view = self._extra_views.get("compare")
        if view is None:
            view = self._extra_views["compare"] = CompareView(self)
            view.location_activated.connect(
                lambda path, line: self.edit_requested.emit(path, line))
        if self.tabs.indexOf(view) < 0:
            self.tabs.addTab(view, _("Compare"))
        self._compared_ids = (before.id, after.id)
        view.set_rows([], before.id, after.id)  # nothing stale while the runs load
        self._loader.compare(before, after, self.store)
        self.tabs.setCurrentWidget(view)

    def _remove_compare_tab(self):
        view = self._extra_views.get("compare")
        if view is not None and self.tabs.indexOf(view) >= 0:
            if self.tabs.currentWidget() is view:
                self.view.show_calls()
            self.tabs.removeTab(self.tabs.indexOf(view))
        self._compared_ids = ()

    def _on_compared(self, before, after, before_id, after_id):
        view = self._extra_views.get("compare")
        if view is not None and self._compared_ids == (before_id, after_id):
            view.set_profiles(before, after, before_label=before_id, after_label=after_id)

    def export_selected(self, kind: str):
        """Ask where to write the run shown as ``kind`` (a format of ``spyder-callgrind
        export``), then export it."""
        record = self.selected_record()
        if record is None or record.id in self.processes:
            return
        name, filters = export_suggestion(kind, record.id)
        target, _f = QFileDialog.getSaveFileName(
            self, _("Export"), os.path.join(os.path.expanduser("~"), name), filters)
        if target:
            self.export_run(record, kind, target)

    def export_run(self, record: RunRecord, kind: str, target: str) -> ExportProcess:
        """Write ``record`` as ``kind`` to ``target`` with ``spyder-callgrind export`` in a
        child process (a large run's stacks take seconds to build); Stop cancels it, and
        ``exported`` says how it ended."""
        if self.export_process is not None:
            self.export_process.stop()
        process = ExportProcess(record.id, kind, target, store=self.store.root, parent=self)
        chunks: List[str] = []
        process.output.connect(lambda _id, _stream, text: chunks.append(text))
        process.finished.connect(
            lambda _id, code: self._on_exported(process, code, "".join(chunks)))
        self.export_process = process
        process.start()
        self.show_message(_("Exporting {} to {}...").format(kind, target))
        self._set_busy()
        self.state_changed.emit()
        return process

    def _on_exported(self, process: ExportProcess, code: int, output: str):
        if self.export_process is process:
            self.export_process = None
        process.deleteLater()
        if self._closing:
            return
        self._set_busy()
        self.state_changed.emit()
        if process.stopping:
            message, ok = _("Export cancelled"), False
        elif code == 0:
            message, ok = _("Exported to {}").format(process.target), True
        else:
            message, ok = _("Export failed: {}").format(
                last_error_line(output, _("exit code {}").format(code))), False
        self.show_message(message, error=not ok)
        self.exported.emit(process.target, ok, message)

def _read_text(path: Optional[str], limit: int = 2_000_000) -> str:
    """The text of ``path`` up to ``limit`` characters (whole lines, then a line saying
    where the rest is): a text view lays out what it holds on the GUI thread."""
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            text = stream.read(limit + 1)
    except OSError:
        return ""
    if len(text) > limit:
        text = text[:text.rfind("\n", 0, limit) + 1] + \
            _("… (cut here; the whole text is in {})").format(path) + "\n"
    return text

