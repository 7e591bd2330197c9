"""The Callgrind pane in Spyder: Spyder's glue around :class:`~spyder_callgrind.widgets.pane.
ProfilePane`, which holds the runs, the views and what is done to runs.

Here are only what needs Spyder: the actions (toolbar, options menu, the list of runs'
context menu), the preferences the pane reads and writes, the spinner, Spyder's icons, and
the jump to a function's source in the editor.
"""

from __future__ import annotations

import qtawesome
from qtpy.QtCore import QTimer, Signal
from qtpy.QtWidgets import QMenu, QVBoxLayout

from spyder.api.config.decorators import on_conf_change
from spyder.api.translations import _
from spyder.api.widgets.main_widget import PluginMainWidget
from spyder.utils.icon_manager import ima

from spyder_callgrind.engine.records import (
    STATUS_ERROR, STATUS_FAILED, STATUS_OK, STATUS_RUNNING, STATUS_STOPPED)
from spyder_callgrind.widgets.importexport import EXPORT_FORMATS
from spyder_callgrind.widgets.pane import ProfilePane

#: The export menu: ``spyder-callgrind export`` format -> its menu entry.
EXPORT_ENTRIES = {
    "callgrind": _("Export callgrind file..."),
    "pstats": _("Export merged .prof..."),
    "speedscope": _("Export speedscope JSON..."),
    "collapsed": _("Export collapsed stacks (flamegraph.pl)..."),
    "text": _("Export text summary..."),
    "chrome": _("Export timeline (Trace Event JSON)..."),
}


class CallgrindWidgetActions:
    Stop = "stop_run"
    OpenViewer = "open_in_viewer"
    Import = "import_profile"
    Label = "label_run"
    Delete = "delete_run"
    Reveal = "reveal_run_folder"
    Refresh = "refresh_runs"
    Compare = "compare_runs"
    Export = "export_"        # + a format of EXPORT_FORMATS
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

    def __init__(self, name=None, plugin=None, parent=None):
        super().__init__(name, plugin, parent)
        self.profile_action = None
        icons = {"list": self.create_icon("history"), "find": self.create_icon("find"),
                 "filter": self.create_icon("filter"),
                 "edges": self.create_icon("callers_or_callees"),
                 "waiting": _themed_icon("mdi6.timer-sand"), "status": _status_icons()}
        self.pane = ProfilePane(self.get_conf, self.set_conf, icons=icons, parent=self)
        self.pane.edit_requested.connect(
            lambda path, line: self.sig_edit_goto_requested.emit(path, line, ""))
        self.pane.run_finished.connect(self.sig_run_finished)
        self.pane.busy_changed.connect(
            lambda busy: self.start_spinner() if busy else self.stop_spinner())
        self.pane.state_changed.connect(self.update_actions)
        self.pane.history_menu_requested.connect(self._history_menu)
        self.pane.list_shown_changed.connect(self._on_list_shown)
        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pane)
        self.setLayout(layout)

    # ---- PluginMainWidget API
    def get_title(self):
        return _("Callgrind")

    def get_focus_widget(self):
        return self.pane.view

    def setup(self):
        pane = self.pane
        self.stop_action = self.create_action(
            CallgrindWidgetActions.Stop, text=_("Stop"),
            tip=_("Stop the running profile (its profile so far is kept), or cancel an "
                  "import or export"),
            icon=self.create_icon("stop"), triggered=pane.stop_current_run)
        self.viewer_action = self.create_action(
            CallgrindWidgetActions.OpenViewer, text=_("Open in QCacheGrind/KCacheGrind"),
            tip=_("Open the selected run's callgrind file in QCacheGrind/KCacheGrind"),
            icon=self.create_icon("undock"), triggered=pane.open_selected_in_viewer)
        self.import_action = self.create_action(
            CallgrindWidgetActions.Import, text=_("Open profile file..."),
            tip=_("Import a .prof or callgrind file as a run"),
            icon=self.create_icon("fileopen"), triggered=pane.import_dialog)
        self.label_action = self.create_action(
            CallgrindWidgetActions.Label, text=_("Rename / label run..."),
            icon=self.create_icon("edit"), triggered=pane.label_selected)
        self.delete_action = self.create_action(
            CallgrindWidgetActions.Delete, text=_("Delete run..."),
            icon=self.create_icon("editdelete"), triggered=pane.delete_selected)
        self.reveal_action = self.create_action(
            CallgrindWidgetActions.Reveal, text=_("Show run folder"),
            icon=self.create_icon("DirOpenIcon"), triggered=pane.reveal_selected)
        self.refresh_action = self.create_action(
            CallgrindWidgetActions.Refresh, text=_("Refresh runs"),
            icon=self.create_icon("refresh"), triggered=pane.refresh_history)
        self.compare_action = self.create_action(
            CallgrindWidgetActions.Compare, text=_("Compare two selected runs"),
            icon=self.create_icon("compare"), triggered=pane.compare_selected)
        #: format -> its export action
        self.export_actions = {
            kind: self.create_action(
                CallgrindWidgetActions.Export + kind,
                text=EXPORT_ENTRIES.get(kind, _("Export {}...").format(kind)),
                triggered=lambda _checked=False, kind=kind: pane.export_selected(kind))
            for kind in EXPORT_FORMATS}
        self.list_action = self.create_action(
            CallgrindWidgetActions.ShowList, text=_("Show list of runs"),
            tip=_("Show the list of runs beside the views (select two to compare them)"),
            toggled=pane.show_list, initial=pane.history.isVisible())
        self.copy_action = self.create_action(
            CallgrindWidgetActions.CopyTable, text=_("Copy call table as text"),
            icon=self.create_icon("editcopy"), triggered=pane.view.copy_selection_as_text)

        toolbar = self.get_main_toolbar()
        for action in (self.stop_action, self.viewer_action):
            self.add_item_to_toolbar(action, toolbar=toolbar,
                                     section=CallgrindWidgetToolbarSections.Main)
        # The run picker and status line live in the toolbar: a docked pane has no
        # height to spare for a row of their own.
        pane.picker.ID = "run_picker"
        self.add_item_to_toolbar(pane.picker, toolbar=toolbar,
                                 section=CallgrindWidgetToolbarSections.Picker)
        menu = self.get_options_menu()
        for action in (self.list_action, self.import_action, self.label_action,
                       self.delete_action, self.reveal_action, self.compare_action,
                       self.refresh_action):
            self.add_item_to_menu(action, menu=menu, section="run_section")
        for action in [*self.export_actions.values(), self.copy_action]:
            self.add_item_to_menu(action, menu=menu, section="export_section")
        pane.apply_filters()
        pane.restore_layout()
        QTimer.singleShot(0, pane.refresh_history)

    def update_actions(self):
        if not hasattr(self, "stop_action"):    # before setup(): no actions yet
            return
        pane = self.pane
        record = pane.selected_record()
        finished = bool(record and record.id not in pane.processes)
        self.stop_action.setEnabled(pane.is_busy())
        self.viewer_action.setEnabled(bool(record and record.callgrind))
        for action in self.export_actions.values():
            action.setEnabled(finished and bool(record.callgrind)
                              and pane.export_process is None)
        for action in (self.label_action, self.delete_action, self.reveal_action):
            action.setEnabled(finished)
        self.compare_action.setEnabled(len(pane.selected_records()) == 2)

    def _history_menu(self, position):
        menu = QMenu(self)
        for action in (self.viewer_action, self.label_action, self.delete_action,
                       self.reveal_action, self.compare_action, None,
                       *self.export_actions.values()):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        self.update_actions()
        menu.popup(position)

    def _on_list_shown(self, shown):
        action = getattr(self, "list_action", None)   # None before setup()
        if action is not None:
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)

    # ---- Conf
    @on_conf_change(option=["hide_builtins", "hide_stdlib", "hide_site_packages"])
    def _on_filters_changed(self, option, value):
        self.pane.apply_filters()

    @on_conf_change(option="hide_waiting")
    def _on_waiting_filter_changed(self, value):
        self.pane.view.set_hide_waiting(bool(value))

    @on_conf_change(option="store_dir")
    def _on_store_changed(self, value):
        self.pane.refresh_history()

    # ---- Running
    def set_profile_action(self, action):
        """The Run plugin's "Profile to callgrind" action. It is on Spyder's Profile
        toolbar and in the Run menu; the pane's own toolbar keeps its room for the run
        picker and the status line, as Spyder's Profiler pane has no run button either."""
        self.profile_action = action

    def shutdown(self):
        """Spyder is closing: stop every run (each keeps its profile) and every timer."""
        self.pane.shutdown()


def _themed_icon(name: str):
    """A qtawesome icon in the colour Spyder's theme gives its own icons (None if this
    Spyder has no such icon)."""
    try:
        return qtawesome.icon(name, color=ima.MAIN_FG_COLOR)
    except Exception:  # a missing icon must not break the pane
        return None


def _status_icons():
    """An icon per run outcome, for the run picker and the list of runs."""
    found = {}
    for status, (name, colour) in {STATUS_OK: ("mdi6.check-circle", "#2fb344"),
                                   STATUS_ERROR: ("mdi6.alert-circle", "#e5484d"),
                                   STATUS_STOPPED: ("mdi6.stop-circle", "#f59f00"),
                                   STATUS_FAILED: ("mdi6.close-circle", "#e5484d"),
                                   STATUS_RUNNING: ("mdi6.play-circle", "#3b8eea")}.items():
        try:
            found[status] = qtawesome.icon(name, color=colour)
        except Exception:  # an icon font missing: the words alone still say it
            pass
    return found
