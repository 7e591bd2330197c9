"""The Callgrind pane: a run picker on top, the selected run's views below.

Docked (narrow), runs are picked in a combo box; wide (maximized, undocked), the list of
runs is also shown beside the views. The layout follows the pane's width as it is resized.

Spyder glue around the Qt views of :mod:`spyder_callgrind.widgets`: actions, toolbar,
options menu, dialogs. Runs are started through
:class:`~spyder_callgrind.widgets.runprocess.ProfileProcess` and loaded off the GUI thread
by :class:`~spyder_callgrind.widgets.loading.RunLoader`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
from typing import Dict, List, Optional, Tuple

from qtpy.QtCore import QByteArray, QFileSystemWatcher, Qt, QTimer, QUrl, Signal
from qtpy.QtGui import QDesktopServices
from qtpy.QtWidgets import (
    QAbstractItemView, QApplication, QFileDialog, QHeaderView, QInputDialog, QLabel,
    QMessageBox, QSplitter, QTableView, QVBoxLayout, QWidget)

from spyder.api.config.decorators import on_conf_change
from spyder.api.translations import _
from spyder.api.widgets.main_widget import PluginMainWidget

from spyder_callgrind.engine import exports
from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.engine.previous import compare_with_previous
from spyder_callgrind.engine.profiles import ProfileError
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.engine.store import RunStore, StoreError
from spyder_callgrind.engine.table import load_table
from spyder_callgrind.engine.viewer import ViewerNotFound, open_in_viewer
from spyder_callgrind.widgets.calltree import CallTreeView
from spyder_callgrind.widgets.compare import CompareView
from spyder_callgrind.widgets.flamegraph import FlameGraphView
from spyder_callgrind.widgets.history import HISTORY_LABEL, HISTORY_RUN, RunHistoryModel
from spyder_callgrind.widgets.loading import PREVIEW_POLL_SECONDS, RunLoader
from spyder_callgrind.widgets.profileview import STREAM_INPUT, ProfileView
from spyder_callgrind.widgets.runpicker import RunPicker, StdlibProbe, run_status_text
from spyder_callgrind.widgets.runprocess import ProfileProcess
from spyder_callgrind.widgets.previous import PreviousRunLabel
from spyder_callgrind.widgets.timeline import TimelineView

logger = logging.getLogger(__name__)

#: Status shown in the history for a run still in progress.
STATUS_RUNNING = "running"
#: From this width on the list of runs is shown beside the views (a docked pane is
#: about 700 px wide, a maximized one 1600).
WIDE_PANE_PX = 1100


class CallgrindWidgetActions:
    Stop = "stop_run"
    OpenViewer = "open_in_viewer"
    Import = "import_profile"
    Label = "label_run"
    Delete = "delete_run"
    Reveal = "reveal_run_folder"
    Refresh = "refresh_runs"
    Compare = "compare_runs"
    ExportProf = "export_prof"
    ExportSummary = "export_summary"
    ExportSpeedscope = "export_speedscope"
    ExportCallgrind = "export_callgrind"
    CopyTable = "copy_table"
    ShowList = "show_runs_list"


class CallgrindWidgetToolbarSections:
    Main = "main_section"
    Picker = "picker_section"


class CallgrindWidget(PluginMainWidget):
    """Dockable pane of the spyder-callgrind plugin."""

    sig_edit_goto_requested = Signal(str, int, str)
    #: (run id) a run finished and is in the store
    sig_run_finished = Signal(str)
    _previous_found = Signal(str, object)    # run id, engine.previous.Change or None

    def __init__(self, name=None, plugin=None, parent=None):
        super().__init__(name, plugin, parent)
        self.processes: Dict[str, ProfileProcess] = {}
        #: (stream, text) chunks of each running run's output, in arrival order
        self.live_output: Dict[str, List[Tuple[str, str]]] = {}
        self.running_records: Dict[str, RunRecord] = {}
        self.current_id: Optional[str] = None
        self.profile_action = None
        self._loader = RunLoader(self)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.failed.connect(self._on_load_failed)
        self._loader.compared.connect(self._on_compared)
        self._process_data = {}

        self.history_model = RunHistoryModel(parent=self, icons=_status_icons())
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
        self.history.customContextMenuRequested.connect(self._history_menu)
        self.history.selectionModel().currentRowChanged.connect(self._on_history_current)
        self.history.doubleClicked.connect(lambda _i: self.open_selected_in_viewer())

        self.picker = RunPicker(self.history_model, self,
                                list_icon=self.create_icon("history"))
        self.picker.run_chosen.connect(self.select_run)
        self.picker.list_toggled.connect(self._on_list_toggled)
        self.status_label = self.picker.status_label

        self.view = ProfileView(self, search_icon=self.create_icon("find"),
                                filter_icon=self.create_icon("filter"),
                                edges_icon=self.create_icon("callers_or_callees"),
                                waiting_icon=_themed_icon("mdi6.timer-sand"))
        self.view.jump_to_source.connect(
            lambda path, line: self.sig_edit_goto_requested.emit(path, line, ""))
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
        self._partial: Dict[str, str] = {}

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
        self._previous_found.connect(self._on_previous_found)
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

    # ---- PluginMainWidget API
    def get_title(self):
        return _("Callgrind")

    def get_focus_widget(self):
        return self.view

    def setup(self):
        self.stop_action = self.create_action(
            CallgrindWidgetActions.Stop, text=_("Stop"),
            tip=_("Stop the running profile (its profile so far is kept)"),
            icon=self.create_icon("stop"), triggered=self.stop_current_run)
        self.viewer_action = self.create_action(
            CallgrindWidgetActions.OpenViewer, text=_("Open in QCacheGrind/KCacheGrind"),
            tip=_("Open the selected run's callgrind file in QCacheGrind/KCacheGrind"),
            icon=self.create_icon("undock"), triggered=self.open_selected_in_viewer)
        self.import_action = self.create_action(
            CallgrindWidgetActions.Import, text=_("Open profile file..."),
            tip=_("Import a .prof or callgrind file as a run"),
            icon=self.create_icon("fileopen"), triggered=self.import_dialog)
        self.label_action = self.create_action(
            CallgrindWidgetActions.Label, text=_("Rename / label run..."),
            icon=self.create_icon("edit"), triggered=self.label_selected)
        self.delete_action = self.create_action(
            CallgrindWidgetActions.Delete, text=_("Delete run..."),
            icon=self.create_icon("editdelete"), triggered=self.delete_selected)
        self.reveal_action = self.create_action(
            CallgrindWidgetActions.Reveal, text=_("Show run folder"),
            icon=self.create_icon("DirOpenIcon"), triggered=self.reveal_selected)
        self.refresh_action = self.create_action(
            CallgrindWidgetActions.Refresh, text=_("Refresh runs"),
            icon=self.create_icon("refresh"), triggered=self.refresh_history)
        self.compare_action = self.create_action(
            CallgrindWidgetActions.Compare, text=_("Compare two selected runs"),
            icon=self.create_icon("compare"), triggered=self.compare_selected)
        self.export_prof_action = self.create_action(
            CallgrindWidgetActions.ExportProf, text=_("Export merged .prof..."),
            triggered=lambda: self.export_selected("prof"))
        self.export_summary_action = self.create_action(
            CallgrindWidgetActions.ExportSummary, text=_("Export text summary..."),
            triggered=lambda: self.export_selected("summary"))
        self.export_speedscope_action = self.create_action(
            CallgrindWidgetActions.ExportSpeedscope, text=_("Export speedscope JSON..."),
            triggered=lambda: self.export_selected("speedscope"))
        self.export_callgrind_action = self.create_action(
            CallgrindWidgetActions.ExportCallgrind, text=_("Export callgrind file..."),
            triggered=lambda: self.export_selected("callgrind"))
        self.list_action = self.create_action(
            CallgrindWidgetActions.ShowList, text=_("Show list of runs"),
            tip=_("Show the list of runs beside the views (select two to compare them)"),
            toggled=self._on_list_toggled, initial=self.history.isVisible())
        self.copy_action = self.create_action(
            CallgrindWidgetActions.CopyTable, text=_("Copy call table as text"),
            icon=self.create_icon("editcopy"), triggered=self.view.copy_selection_as_text)

        toolbar = self.get_main_toolbar()
        for action in (self.stop_action, self.viewer_action):
            self.add_item_to_toolbar(action, toolbar=toolbar,
                                     section=CallgrindWidgetToolbarSections.Main)
        # The run picker and status line live in the toolbar: a docked pane has no
        # height to spare for a row of their own.
        self.picker.ID = "run_picker"
        self.add_item_to_toolbar(self.picker, toolbar=toolbar,
                                 section=CallgrindWidgetToolbarSections.Picker)
        menu = self.get_options_menu()
        for action in (self.list_action, self.import_action, self.label_action,
                       self.delete_action, self.reveal_action, self.compare_action,
                       self.refresh_action):
            self.add_item_to_menu(action, menu=menu, section="run_section")
        for action in (self.export_callgrind_action, self.export_prof_action,
                       self.export_summary_action, self.export_speedscope_action,
                       self.copy_action):
            self.add_item_to_menu(action, menu=menu, section="export_section")
        self._add_extra_views()
        self.view.set_filters(self.get_conf("hide_builtins"), self.get_conf("hide_stdlib"),
                              self.get_conf("hide_site_packages"))
        self.view.set_hide_waiting(self.get_conf("hide_waiting"))
        self.restore_layout()
        QTimer.singleShot(0, self.refresh_history)

    def update_actions(self):
        record = self.selected_record()
        has_file = bool(record and record.callgrind)
        self.stop_action.setEnabled(any(p.running for p in self.processes.values()))
        self.viewer_action.setEnabled(has_file)
        for action in (self.export_callgrind_action, self.export_prof_action,
                       self.export_summary_action, self.export_speedscope_action):
            action.setEnabled(has_file)
        finished = bool(record and record.id not in self.processes)
        for action in (self.label_action, self.delete_action, self.reveal_action):
            action.setEnabled(finished)
        self.compare_action.setEnabled(len(self.selected_records()) == 2)

    def _add_extra_views(self):
        """Flame graph and call tree tabs next to the call table."""
        self._extra_views["flame"] = FlameGraphView(self)
        self._extra_views["tree"] = CallTreeView(self)
        self.tabs.insertTab(1, self._extra_views["flame"], _("Flame graph"))
        self.tabs.insertTab(2, self._extra_views["tree"], _("Call tree"))
        for view in self._extra_views.values():
            view.function_activated.connect(self._jump_to_function)
        self.timeline_view = TimelineView(self)
        self.tabs.insertTab(3, self.timeline_view, _("Timeline"))
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
            self.sig_edit_goto_requested.emit(function.file, max(1, function.line), "")

    def _fill_current_extra_view(self):
        """Extra views are built when first shown (a flame graph of 100k functions is not
        free), and again when the run or process changes."""
        view = self.tabs.currentWidget()
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

    # ---- Conf
    @on_conf_change(option=["hide_builtins", "hide_stdlib", "hide_site_packages"])
    def _on_filters_changed(self, option, value):
        self.view.set_filters(self.get_conf("hide_builtins"), self.get_conf("hide_stdlib"),
                              self.get_conf("hide_site_packages"))

    @on_conf_change(option="hide_waiting")
    def _on_waiting_filter_changed(self, value):
        self.view.set_hide_waiting(bool(value))

    def _on_view_filters_changed(self, hide_builtins, hide_stdlib, hide_site):
        """A toggle flipped in the pane: it is the preference from now on."""
        for option, value in (("hide_builtins", hide_builtins), ("hide_stdlib", hide_stdlib),
                              ("hide_site_packages", hide_site)):
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
        action = getattr(self, "list_action", None)
        if action is not None:
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)
        if appears:
            # wide enough for its columns, at most a third of the pane
            self.history.resizeColumnsToContents()
            total = self.splitter.width() or self.width()
            columns = self.history.horizontalHeader().length() + \
                self.history.verticalScrollBar().sizeHint().width() + 4
            left = min(total // 3, max(240, columns))
            self.splitter.setSizes([left, total - left])
        self.picker.set_status(self.selected_record())

    def _on_list_toggled(self, shown):
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

    @on_conf_change(option="store_dir")
    def _on_store_changed(self, value):
        self.refresh_history()

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
        self.update_actions()

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
            self.update_actions()

    def _on_history_current(self, current, _previous):
        if not current.isValid():
            return
        record = self.history_model.run_at(current.row())
        self.picker.set_current_run(record.id)
        if record.id == self.current_id:
            return
        self.current_id = record.id
        self.show_run(record)
        self.update_actions()

    def _find_previous(self, record: RunRecord):
        """How ``record`` changed since the previous run of its script, found in a thread
        (it reads two profiles: about a second at 50,000 functions)."""
        self.previous_label.set_change(None)
        self._previous_for = record.id
        store = self.store

        def find():
            try:
                change = compare_with_previous(store, record)
            except Exception as error:     # a damaged previous run: no line, not a crash
                logger.info("spyder-callgrind: no comparison with the previous run (%s)",
                            error)
                change = None
            self._previous_found.emit(record.id, change)
        threading.Thread(target=find, daemon=True,
                         name="spyder-callgrind previous run").start()

    def _on_previous_found(self, run_id: str, change):
        if run_id == self._previous_for and run_id == self.current_id:
            self.previous_label.set_change(change)

    def show_run(self, record: RunRecord):
        """Show ``record``: first rows at once from the top table, all rows when loaded."""
        self.view.clear()
        self._process_data = {}
        self._show_in_extra_views(None)
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
        self._find_previous(record)
        stdlib = self._stdlib_probe.stdlib_dirs(record.python)
        if stdlib:
            self.view.set_stdlib_dirs(stdlib)
        store = self.store
        self.view.set_output(_read_text(store.file_of(record, record.output)))
        self.view.set_summary(_read_text(store.file_of(record, record.summary)))
        if record.status == "failed":
            self.show_message(run_status_text(record), error=True)
        if not record.callgrind:
            self.view.show_output()
            return
        self._loader.load(record, store, top_table=store.folder(record).top_table)

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

    def _show_in_extra_views(self, data):
        self._extra_data = data
        self._fill_current_extra_view()

    def _on_load_failed(self, run_id: str, message: str):
        if run_id == self.current_id:
            self.show_message(_("Cannot show this run: {}").format(message), error=True)

    def _on_process_changed(self, pid):
        data = self._process_data.get(pid)
        if data is not None:
            self._show_in_extra_views(data)

    # ---- Running
    def set_profile_action(self, action):
        """The Run plugin's "Profile to callgrind" action. It is on Spyder's Profile
        toolbar and in the Run menu; the pane's own toolbar keeps its room for the run
        picker and the status line, as Spyder's Profiler pane has no run button either."""
        self.profile_action = action

    def start_run(self, script: str, args=(), cwd=None, python=None) -> ProfileProcess:
        """Profile ``script`` in a subprocess; the pane follows it live."""
        store = self.store
        try:
            store.ensure()
        except StoreError as error:
            self.show_message(str(error), error=True)
            raise
        # Retention never prunes what the user is looking at.
        protect = [self.current_id] + [r.id for r in self.selected_records()]
        process = ProfileProcess(script, args, store=store.root, cwd=cwd, python=python,
                                 children=bool(self.get_conf("profile_children")),
                                 keep=int(self.get_conf("keep_runs")), protect=protect,
                                 subprocesses=bool(self.get_conf("profile_subprocesses")),
                                 parent=self)
        process.output.connect(self._on_output)
        process.elapsed.connect(self._on_elapsed)
        process.finished.connect(self._on_finished)
        self.processes[process.run_id] = process
        self.live_output[process.run_id] = []
        record = RunRecord(id=process.run_id, script=process.script, args=list(args),
                           cwd=process.cwd, python=python or sys.executable,
                           status=STATUS_RUNNING)
        from datetime import datetime
        record.started = datetime.now().astimezone().isoformat(timespec="seconds")
        self.running_records[process.run_id] = record
        process.start()
        self._preview_timer.start()
        self.start_spinner()
        self.refresh_history()
        self.select_run(process.run_id)
        self.update_actions()
        return process

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
        running = process is not None and process.running
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
        if self._closing:         # stopped by Spyder's closing: kept, nothing to show
            return
        output = "".join(text for _stream, text in self.live_output.pop(run_id, []))
        if not self.processes:
            self.stop_spinner()
        try:
            record = self.store.get(run_id)
        except StoreError:
            record = None
        if record is None:
            # The command itself failed (store unwritable, disk full...): say why.
            last = output.strip().splitlines()[-1:] or [_("unknown error")]
            self.show_message(_("The run could not be kept: {}").format(last[0]), error=True)
            self.current_id = None
            self.refresh_history()
            return
        was_shown = self.current_id == run_id
        if was_shown:
            self.current_id = None  # it was shown as running: show the kept run now
        self.refresh_history()
        self.select_run(run_id)
        if was_shown and record.callgrind and record.status in ("ok", "stopped"):
            self.view.show_calls()
        after = self.get_conf("after_run")
        if after in ("viewer", "both") and record.callgrind:
            self.open_in_viewer(record)
        self.sig_run_finished.emit(run_id)

    def stop_current_run(self):
        record = self.selected_record()
        if record is not None and record.id in self.processes:
            self.processes[record.id].stop()
            return
        for process in self.processes.values():
            process.stop()

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
        for process in list(self.processes.values()):
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

    def import_file(self, path: str) -> Optional[RunRecord]:
        """Keep ``path`` as a run (read in a child process: it may be hostile)."""
        from spyder_callgrind.engine.importing import import_file
        from spyder_callgrind.engine.profiles import ProfileError
        from spyder_callgrind.engine.callgrind import CallgrindError
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            record = import_file(self.store, path)
        except (ProfileError, CallgrindError, StoreError, OSError) as error:
            QApplication.restoreOverrideCursor()
            QMessageBox.warning(self, _("Open profile"), str(error))
            return None
        QApplication.restoreOverrideCursor()
        self.refresh_history()
        self.select_run(record.id)
        return record

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
                lambda path, line: self.sig_edit_goto_requested.emit(path, line, ""))
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
        record = self.selected_record()
        if record is None or not record.callgrind:
            return
        store = self.store
        suggestions = {
            "callgrind": ("callgrind.out." + record.id, "callgrind files (callgrind.out*)"),
            "prof": (record.id + ".prof", "pstats files (*.prof)"),
            "summary": (record.id + ".txt", "text (*.txt)"),
            "speedscope": (record.id + ".speedscope.json", "speedscope (*.json)"),
        }
        name, filters = suggestions[kind]
        target, _f = QFileDialog.getSaveFileName(
            self, _("Export"), os.path.join(os.path.expanduser("~"), name), filters)
        if not target:
            return
        try:
            self.export_run(record, kind, target, store)
        except Exception as error:  # disk full, permission: say so, keep going
            QMessageBox.warning(self, _("Export"), str(error))

    def export_run(self, record: RunRecord, kind: str, target: str, store=None):
        store = store or self.store
        if kind == "callgrind":
            shutil.copyfile(store.file_of(record, record.callgrind), target)
        elif kind == "prof":
            shutil.copyfile(store.file_of(record, record.profile), target)
        elif kind == "summary":
            shutil.copyfile(store.file_of(record, record.summary), target)
        elif kind == "speedscope":
            exports.write_speedscope(store.folder(record).load_profile(), target,
                                     name=os.path.basename(record.script))

    def _history_menu(self, pos):
        from qtpy.QtWidgets import QMenu
        menu = QMenu(self)
        for action in (self.viewer_action, self.label_action, self.delete_action,
                       self.reveal_action, self.compare_action, None,
                       self.export_callgrind_action, self.export_prof_action,
                       self.export_summary_action, self.export_speedscope_action):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        self.update_actions()
        menu.popup(self.history.viewport().mapToGlobal(pos))


def _themed_icon(name: str):
    """A qtawesome icon in the colour Spyder's theme gives its own icons (None if this
    Spyder has no such icon)."""
    try:
        import qtawesome
        from spyder.utils.icon_manager import ima
        return qtawesome.icon(name, color=ima.MAIN_FG_COLOR)
    except Exception:  # a missing icon must not break the pane
        return None


def _status_icons():
    """An icon per run outcome, for the run picker and the list of runs."""
    found = {}
    for status, (name, colour) in {"ok": ("mdi6.check-circle", "#2fb344"),
                                   "error": ("mdi6.alert-circle", "#e5484d"),
                                   "stopped": ("mdi6.stop-circle", "#f59f00"),
                                   "failed": ("mdi6.close-circle", "#e5484d"),
                                   STATUS_RUNNING: ("mdi6.play-circle", "#3b8eea")}.items():
        try:
            import qtawesome
            found[status] = qtawesome.icon(name, color=colour)
        except Exception:  # an icon font missing: the words alone still say it
            pass
    return found


def _read_text(path: Optional[str], limit: int = 2_000_000) -> str:
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            text = stream.read(limit)
    except OSError:
        return ""
    return text

