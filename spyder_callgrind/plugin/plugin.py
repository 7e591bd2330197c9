"""The Spyder plugin: registration, Run/Editor/Files/Projects integration and preferences.

Glue only. Profiling happens in :mod:`spyder_callgrind.engine` (started through
:class:`~spyder_callgrind.widgets.runprocess.ProfileProcess`), and the pane lives in
:mod:`spyder_callgrind.plugin.main_widget`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import List

from qtpy.QtCore import Qt, Signal

from spyder.api.plugin_registration.decorators import (
    on_plugin_available, on_plugin_teardown)
from spyder.api.plugins import Plugins, SpyderDockablePlugin
from spyder.api.translations import _
from spyder.plugins.mainmenu.api import ApplicationMenus, RunMenuSections
from spyder.plugins.run.api import (
    ExtendedRunExecutionParameters, RunConfiguration, RunContext, RunExecutor, RunResult,
    WorkingDirSource, run_execute)
from spyder.plugins.toolbar.api import ApplicationToolbars

from spyder_callgrind.plugin.confpage import CallgrindConfigPage
from spyder_callgrind.plugin.console import ConsoleProfiling
from spyder_callgrind.plugin.context_menus import TreeMenuIntegration
from spyder_callgrind.plugin.main_widget import CallgrindWidget
from spyder_callgrind.plugin.run_conf import CallgrindRunOptions
from spyder_callgrind.widgets.icons import callgrind_icon

logger = logging.getLogger(__name__)

#: Files this plugin profiles (one executor entry per extension: Spyder 6.1's Run plugin
#: crashes when deregistering a list-valued ``input_extension``).
PYTHON_EXTENSIONS = ("py", "pyw", "ipy")


class CallgrindPlugin(SpyderDockablePlugin, RunExecutor):
    """Profile the file in the editor to callgrind files and show where the time went."""

    NAME = "spyder_callgrind"
    REQUIRES = [Plugins.Preferences, Plugins.Run]
    OPTIONAL = [Plugins.Editor, Plugins.Explorer, Plugins.Projects, Plugins.Toolbar,
                Plugins.MainMenu, Plugins.MainInterpreter, Plugins.WorkingDirectory,
                Plugins.IPythonConsole]
    TABIFY = [Plugins.Help, Plugins.VariableExplorer]
    WIDGET_CLASS = CallgrindWidget
    CONF_SECTION = NAME
    CONF_FILE = True
    CONF_VERSION = "1.3.0"
    CONF_WIDGET_CLASS = CallgrindConfigPage
    CONF_DEFAULTS = [
        (CONF_SECTION, {
            "store_dir": "",                # empty: <Spyder config>/callgrind
            "keep_runs": 50,
            "viewer_path": "",              # empty: find qcachegrind/kcachegrind
            "after_run": "pane",            # "pane", "viewer" or "both"
            "profile_children": True,
            "profile_subprocesses": False,  # Pythons started with subprocess
            "run_mode": "both",             # --mode: "both", "exact" or "sample"
            "sample_clock": "wall",         # --sample-clock: "wall" or "cpu"
            "sample_interval_ms": 4,        # --sample-interval
            "exact_threads": False,         # --exact-threads (Python 3.12+)
            "hide_builtins": False,
            "hide_stdlib": False,
            "hide_site_packages": False,
            "hide_waiting": False,
            "pane_state": "",               # the pane's layout, from save_state()
        }),
        ("shortcuts", {
            f"{NAME}/run file in {NAME}": "Ctrl+Shift+F10",
            f"{NAME}/run cell in {NAME}": "Alt+Shift+F10",
            f"{NAME}/run selection in {NAME}": "Ctrl+Alt+Shift+F10",
        }),
    ]

    sig_edit_goto_requested = Signal(str, int, str)

    # ---- SpyderDockablePlugin API
    @staticmethod
    def get_name():
        return _("Callgrind")

    @staticmethod
    def get_description():
        return _("Profile Python files to callgrind files, browse the calls and open them "
                 "in QCacheGrind/KCacheGrind.")

    @classmethod
    def get_icon(cls):
        return callgrind_icon()

    def on_initialize(self):
        self.editor_run_configuration = {
            "origin": self.NAME,
            "extension": list(PYTHON_EXTENSIONS),
            "contexts": [{"name": "File"}, {"name": "Cell"}, {"name": "Selection"}],
        }
        # Files run in a process of their own (configurable); cells and selections run
        # in the current console, as Spyder's Run cell does (nothing to configure).
        self.executor_configuration = [
            {
                "input_extension": extension,
                "context": {"name": context},
                "output_formats": [],
                "configuration_widget": CallgrindRunOptions if context == "File" else None,
                "requires_cwd": context == "File",
                "priority": 8,
            }
            for context in ("File", "Cell", "Selection")
            for extension in PYTHON_EXTENSIONS
        ]
        self.console_profiling = ConsoleProfiling(lambda: self.get_widget().pane.store.root,
                                                  parent=self)
        self.tree_menus: List[TreeMenuIntegration] = []
        widget = self.get_widget()
        widget.sig_edit_goto_requested.connect(self.sig_edit_goto_requested)

    def on_close(self, cancelable=False):
        # Spyder is closing: stop every run (its profile is still kept), no orphans.
        self.get_widget().shutdown()
        return True

    # ---- Run plugin
    @on_plugin_available(plugin=Plugins.Run)
    def on_run_available(self):
        run = self.get_plugin(Plugins.Run)
        run.register_executor_configuration(self, self.executor_configuration)
        self.run_action = run.create_run_in_executor_button(
            RunContext.File,
            self.NAME,
            text=_("Profile to callgrind"),
            tip=_("Profile the current file to a callgrind file"),
            icon=callgrind_icon(),
            shortcut_context=self.NAME,
            register_shortcut=True,
            add_to_menu={"menu": ApplicationMenus.Run, "section": RunMenuSections.Profile},
            add_to_toolbar=ApplicationToolbars.Profile,
            shortcut_widget_context=Qt.ShortcutContext.ApplicationShortcut,
        )
        self.cell_actions = [
            run.create_run_in_executor_button(
                context, self.NAME, text=text, tip=tip, icon=self.create_icon(icon),
                shortcut_context=self.NAME, register_shortcut=True,
                add_to_menu={"menu": ApplicationMenus.Run,
                             "section": RunMenuSections.Profile},
                add_to_toolbar=ApplicationToolbars.Profile)
            for context, text, tip, icon in (
                (RunContext.Cell, _("Profile cell to callgrind"),
                 _("Profile the current cell in the console, to a callgrind run"),
                 "profile_cell"),
                (RunContext.Selection, _("Profile selection to callgrind"),
                 _("Profile the current line or selection in the console, to a callgrind "
                   "run"), "profile_selection"))]
        self.get_widget().set_profile_action(self.run_action)
        self._add_to_editor_menu()

    @on_plugin_teardown(plugin=Plugins.Run)
    def on_run_teardown(self):
        run = self.get_plugin(Plugins.Run)
        run.deregister_executor_configuration(self, self.executor_configuration)
        for context in (RunContext.File, RunContext.Cell, RunContext.Selection):
            run.destroy_run_in_executor_button(context, self.NAME)

    # ---- IPython console: cells, selections and magics
    @on_plugin_available(plugin=Plugins.IPythonConsole)
    def on_ipython_console_available(self):
        console = self.get_plugin(Plugins.IPythonConsole)
        self.console_profiling.attach(console)
        self.console_profiling.sig_runs_finished.connect(self._on_console_runs)
        self.console_profiling.sig_message.connect(self._on_console_message)

    @on_plugin_teardown(plugin=Plugins.IPythonConsole)
    def on_ipython_console_teardown(self):
        self.console_profiling.detach(self.get_plugin(Plugins.IPythonConsole))

    def _on_console_runs(self, run_ids):
        widget = self.get_widget()
        widget.pane.refresh_history()
        if run_ids:
            widget.pane.select_run(run_ids[-1])
            if self.get_conf("after_run") != "viewer":
                self.switch_to_plugin()

    def _on_console_message(self, text):
        self.get_widget().pane.show_message(text, error=True)
        self.switch_to_plugin()

    @run_execute(context=RunContext.Cell)
    def profile_cell(self, input: RunConfiguration,
                     conf: ExtendedRunExecutionParameters) -> List[RunResult]:
        console = self.get_plugin(Plugins.IPythonConsole, error=False)
        self.console_profiling.profile_cell(console, input["run_input"])
        return []

    @run_execute(context=RunContext.Selection)
    def profile_selection(self, input: RunConfiguration,
                          conf: ExtendedRunExecutionParameters) -> List[RunResult]:
        console = self.get_plugin(Plugins.IPythonConsole, error=False)
        run_input = input["run_input"]
        path = run_input.get("path") or ""
        self.console_profiling.profile_code(console, run_input.get("selection") or "",
                                            path, self._selection_first_line(path))
        return []

    def _selection_first_line(self, path):
        """1-based line where the editor's selection (or current line) starts."""
        editor = self.get_plugin(Plugins.Editor, error=False)
        try:
            code_editor = editor.get_current_editor()
            if os.path.normcase(code_editor.filename) != os.path.normcase(path):
                return None
            cursor = code_editor.textCursor()
            block = code_editor.document().findBlock(cursor.selectionStart())
            return block.blockNumber() + 1
        except Exception:            # no editor, or Spyder changed: no line mapping
            return None

    # ---- Editor
    @on_plugin_available(plugin=Plugins.Editor)
    def on_editor_available(self):
        editor = self.get_plugin(Plugins.Editor)
        editor.add_supported_run_configuration(self.editor_run_configuration)
        self.sig_edit_goto_requested.connect(self._go_to)
        self._add_to_editor_menu()

    @on_plugin_teardown(plugin=Plugins.Editor)
    def on_editor_teardown(self):
        editor = self.get_plugin(Plugins.Editor)
        editor.remove_supported_run_configuration(self.editor_run_configuration)
        try:
            self.sig_edit_goto_requested.disconnect(self._go_to)
        except (TypeError, RuntimeError):
            pass

    def _add_to_editor_menu(self):
        """Editor right-click: 'Profile to callgrind', '... cell ...' and '... selection
        ...' next to Run/Debug actions."""
        editor = self.get_plugin(Plugins.Editor, error=False)
        if editor is None or getattr(self, "_editor_menu_done", False):
            return
        try:
            # deferred: ~0.6 s to import at Spyder start, and absent from other Spyders
            from spyder.plugins.editor.widgets.codeeditor.codeeditor import (
                CodeEditorContextMenuSections, CodeEditorMenus)
            actions = [getattr(self, "run_action", None)] + list(
                getattr(self, "cell_actions", []))
            if None in actions:
                return
            menu = editor.get_widget().get_menu(CodeEditorMenus.ContextMenu)
            for action in actions:       # file, cell, selection
                editor.get_widget().add_item_to_menu(
                    action, menu=menu, section=CodeEditorContextMenuSections.RunSection)
            self._editor_menu_done = True
        except Exception as error:  # Spyder changed: lose the menu entry, not Spyder
            logger.info("spyder-callgrind: no editor context menu entry (%s)", error)

    def _go_to(self, filename, line, word=""):
        editor = self.get_plugin(Plugins.Editor)
        if editor is not None and filename and os.path.isfile(filename):
            editor.load(filename, goto=max(1, int(line)), word=word or "")

    # ---- Files and Projects right-click
    @on_plugin_available(plugin=Plugins.Explorer)
    def on_explorer_available(self):
        explorer = self.get_plugin(Plugins.Explorer)
        self._add_tree_menu(explorer, "explorer")

    @on_plugin_teardown(plugin=Plugins.Explorer)
    def on_explorer_teardown(self):
        self._remove_tree_menu("explorer")

    @on_plugin_available(plugin=Plugins.Projects)
    def on_projects_available(self):
        projects = self.get_plugin(Plugins.Projects)
        self._add_tree_menu(projects, "projects")

    @on_plugin_teardown(plugin=Plugins.Projects)
    def on_projects_teardown(self):
        self._remove_tree_menu("projects")

    def _add_tree_menu(self, plugin, name):
        integration = TreeMenuIntegration.install(
            plugin, name, text=_("Profile to callgrind"), icon=callgrind_icon(),
            extensions=PYTHON_EXTENSIONS, callback=self.profile_tree_file)
        if integration is not None:
            self.tree_menus.append(integration)

    def _remove_tree_menu(self, name):
        for integration in [t for t in self.tree_menus if t.name == name]:
            integration.uninstall()
            self.tree_menus.remove(integration)

    # ---- Preferences
    @on_plugin_available(plugin=Plugins.Preferences)
    def on_preferences_available(self):
        self.get_plugin(Plugins.Preferences).register_plugin_preferences(self)

    @on_plugin_teardown(plugin=Plugins.Preferences)
    def on_preferences_teardown(self):
        self.get_plugin(Plugins.Preferences).deregister_plugin_preferences(self)

    # ---- Toolbar (the Profile toolbar is created by Spyder's Profiler; make sure it exists)
    @on_plugin_available(plugin=Plugins.Toolbar)
    def on_toolbar_available(self):
        toolbar = self.get_plugin(Plugins.Toolbar)
        try:
            toolbar.get_application_toolbar(ApplicationToolbars.Profile)
        except Exception:
            toolbar.create_application_toolbar(ApplicationToolbars.Profile,
                                               _("Profile toolbar"))

    # ---- Running
    def user_interpreter(self) -> str:
        """The interpreter of Spyder's consoles (Preferences > Python interpreter)."""
        try:
            executable = self.get_conf("executable", section="main_interpreter")
        except Exception:
            executable = None
        if executable and os.path.isfile(executable):
            return executable
        return sys.executable

    @run_execute(context=RunContext.File)
    def profile_file(self, input: RunConfiguration,
                     conf: ExtendedRunExecutionParameters) -> List[RunResult]:
        filename = input["run_input"]["path"]
        args, cwd = self._args_and_cwd(filename, conf["params"])
        self.profile_path(filename, args=args, cwd=cwd,
                          mode=self._mode_of(conf["params"]))
        return []

    def _args_and_cwd(self, filename, params):
        """The script's arguments and working folder from Run execution parameters."""
        args = CallgrindRunOptions.arguments_of(params.get("executor_params") or {})
        wdir = params.get("working_dir") or {}
        source, cwd = wdir.get("source"), wdir.get("path")
        if source == WorkingDirSource.CurrentDirectory and not cwd:
            cwd = self._spyder_working_dir()
        elif source == WorkingDirSource.ConfigurationDirectory:
            cwd = os.path.dirname(filename)
        return args, cwd or os.path.dirname(filename)

    @staticmethod
    def _mode_of(params):
        """The file's "What to measure" override, or None for the preference."""
        return CallgrindRunOptions.mode_of(params.get("executor_params") or {}) or None

    def configured_run(self, filename):
        """``(args, cwd)`` of a Files/Projects right-click: what the toolbar button would
        use for this file (see :meth:`_configured_params`)."""
        params = self._configured_params(filename)
        if params is None:
            return [], os.path.dirname(filename)
        return self._args_and_cwd(filename, params)

    def _configured_params(self, filename):
        """The Run execution parameters the toolbar button would use for this file.  The
        file's own Run configuration for this executor when the file is open in the editor
        (where Spyder keeps per-file configurations), else the default one (Preferences >
        Run); with neither, None: the file's folder and no arguments, like Spyder's own
        "Run" in the Files pane."""
        run = self.get_plugin(Plugins.Run, error=False)
        if run is None:
            return None
        try:
            extension = os.path.splitext(filename)[1][1:].lower()
            stored = run.get_executor_configuration_parameters(
                self.NAME, extension, RunContext.File).get("params") or {}
            chosen = None
            uuid = self._editor_file_id(filename)
            if uuid is not None:
                # Spyder's Run plugin keeps the last parameters used per file and executor
                # (no public getter for that pair; the public one gives the last executor).
                container = run.get_container()
                getter = getattr(container, "get_last_used_execution_params", None)
                if getter is not None:
                    chosen = stored.get(getter(uuid, self.NAME))
                if chosen is None:
                    last = run.get_last_used_executor_parameters(uuid) or {}
                    if last.get("executor") == self.NAME:
                        chosen = stored.get(last.get("selected"))
            if chosen is None:
                chosen = next((p for p in stored.values() if p.get("default")), None)
            return None if chosen is None else (chosen.get("params") or {})
        except Exception as error:   # Spyder's Run plugin changed: run as Spyder's Files do
            logger.info("spyder-callgrind: no run configuration for %s (%s: %s)",
                        filename, type(error).__name__, error)
            return None

    def _spyder_working_dir(self):
        """Spyder's current working directory, as its Run plugin sees it."""
        run = self.get_plugin(Plugins.Run, error=False)
        try:
            cwd = getattr(run.get_container(), "current_working_dir", None)
        except Exception:
            cwd = None
        if not cwd:
            workdir = self.get_plugin(Plugins.WorkingDirectory, error=False)
            cwd = workdir.get_workdir() if workdir is not None else None
        return cwd

    def _editor_file_id(self, filename):
        """The Run configuration id of ``filename`` when it is open in the editor."""
        editor = self.get_plugin(Plugins.Editor, error=False)
        ids = getattr(editor.get_widget(), "id_per_file", None) if editor else None
        if not ids:
            return None
        wanted = os.path.normcase(os.path.abspath(filename))
        return next((uuid for name, uuid in ids.items()
                     if os.path.normcase(os.path.abspath(name)) == wanted), None)

    def profile_tree_file(self, filename):
        """Right-click "Profile to callgrind" in the Files or Projects pane."""
        args, cwd = self.configured_run(filename)
        params = self._configured_params(filename) or {}
        self.profile_path(filename, args=args, cwd=cwd, mode=self._mode_of(params))

    def _save_if_open(self, filename):
        """Save ``filename`` when it is open in the editor, as Spyder's Run does."""
        editor = self.get_plugin(Plugins.Editor)
        if editor is None:
            return
        try:
            stack = editor.get_widget().get_current_editorstack()
            index = stack.get_index_from_filename(filename)
            if index is not None:
                stack.save(index=index)
        except Exception as error:  # never let a save problem stop the run
            logger.info("spyder-callgrind: could not save %s (%s)", filename, error)

    def profile_path(self, filename, args=(), cwd=None, mode=None):
        """Profile ``filename`` (from any entry point) and show the run in the pane."""
        self._save_if_open(filename)
        if self.get_conf("after_run") != "viewer":  # "viewer": the run goes to the viewer
            self.switch_to_plugin()
        self.get_widget().pane.start_run(filename, args=list(args),
                                    cwd=cwd or os.path.dirname(filename),
                                    python=self.user_interpreter(), mode=mode)
