"""The plugin in a real Spyder main window (headless), driven as a user would."""

import json
import os

import pytest
from tests.plugin.conftest import write_script

pytestmark = pytest.mark.spyder

SCRIPT = """\
import sys

def slow_part(n):
    return sum(i * i for i in range(n))

def main():
    print("result", slow_part(20000), sys.argv[1:])

if __name__ == "__main__":
    main()
"""


def complete_runs(store_dir):
    """Runs in the store that are complete: run.json plus a callgrind file."""
    found = []
    if not os.path.isdir(store_dir):
        return found
    for name in sorted(os.listdir(store_dir)):
        folder = os.path.join(str(store_dir), name)
        if name.startswith(".") or not os.path.isfile(os.path.join(folder, "run.json")):
            continue
        with open(os.path.join(folder, "run.json"), encoding="utf-8") as stream:
            record = json.load(stream)
        if any(f.startswith("callgrind.out") for f in os.listdir(folder)):
            found.append(record)
    return found


def tree_menu_actions(tree):
    """Visible actions of the tree's right-click menu, as when it is about to show."""
    from qtpy.QtWidgets import QApplication
    # Offscreen Qt starts with no clipboard data, which Spyder's own menu update reads.
    QApplication.clipboard().setText("spyder-callgrind test")
    tree.context_menu.aboutToShow.emit()
    return [a for a in tree.context_menu.get_actions()
            if a is not None and hasattr(a, "text") and a.isVisible()]


def select_in_tree(qtbot, tree, path):
    tree.chdir(os.path.dirname(path))
    index = {}

    def ready():
        index["i"] = tree.get_index(path) if hasattr(tree, "get_index") else \
            tree.proxymodel.mapFromSource(tree.fsmodel.index(path))
        return index["i"].isValid()

    qtbot.waitUntil(ready, timeout=10000)
    tree.setCurrentIndex(index["i"])
    tree.selectionModel().select(index["i"], tree.selectionModel().ClearAndSelect
                                 | tree.selectionModel().Rows)
    assert tree.get_selected_filenames() == [path]


def open_run_configuration(main_window, qtbot, script):
    """Open ``script`` in the editor and its Run > Configuration per file dialog, with the
    "Profile to callgrind" executor chosen, as a user does."""
    editor = main_window.get_plugin("editor")
    editor.load(script)
    qtbot.waitUntil(lambda: editor.get_current_filename() == script, timeout=10000)
    container = main_window.get_plugin("run").get_container()
    container.edit_run_configurations(display_dialog=True,
                                      selected_executor="spyder_callgrind")
    dialog = container.dialog
    qtbot.waitUntil(lambda: dialog.current_widget is not None, timeout=10000)
    return dialog


def test_plugin_loads_and_docks(main_window, plugin):
    assert plugin is not None
    widget = plugin.get_widget()
    assert widget.get_title() == "Callgrind"
    assert plugin.dockwidget is not None
    assert plugin.dockwidget.parent() is main_window or plugin.dockwidget.isFloating() \
        or plugin.dockwidget.window() is main_window


def test_files_pane_right_click_profiles_a_script(main_window, plugin, store_dir, tmp_path,
                                                  qtbot):
    script = write_script(tmp_path, "from_files.py", SCRIPT)
    text_file = write_script(tmp_path, "notes.txt", "not python\n")
    explorer = main_window.get_plugin("explorer")
    tree = explorer.get_widget().treewidget

    select_in_tree(qtbot, tree, text_file)
    texts = [a.text() for a in tree_menu_actions(tree)]
    assert "Profile to callgrind" not in texts

    select_in_tree(qtbot, tree, script)
    actions = {a.text(): a for a in tree_menu_actions(tree)}
    assert "Profile to callgrind" in actions
    actions["Profile to callgrind"].trigger()

    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=60000)
    record = complete_runs(store_dir)[0]
    assert record["script"] == script
    assert record["status"] == "ok"
    # Not open in the editor, never configured: like Spyder's own "Run" in the Files pane.
    assert (record["args"], record["cwd"]) == ([], str(tmp_path))
    widget = plugin.get_widget()
    qtbot.waitUntil(lambda: not widget.pane.processes, timeout=30000)
    # The pane shows the finished run and its call table.
    qtbot.waitUntil(lambda: widget.pane.view.model.rowCount() > 0, timeout=30000)
    names = {widget.pane.view.model.profile().functions[i].name
             for i in range(len(widget.pane.view.model.profile().functions))}
    assert "slow_part" in names
    assert "result" in widget.pane.view.output_text()


def test_projects_pane_right_click_shows_entry_only_for_one_python_file(
        main_window, plugin, tmp_path, qtbot):
    project = tmp_path / "project"
    project.mkdir()
    script = write_script(project, "analysis.py", SCRIPT)
    other = write_script(project, "data.txt", "1 2 3\n")
    projects = main_window.get_plugin("project_explorer")
    projects.open_project(path=str(project))
    tree = projects.get_widget().treewidget
    for path, expected in ((script, True), (other, False)):
        index = {}

        def ready():
            index["i"] = tree.get_index(path)
            return index["i"].isValid()

        qtbot.waitUntil(ready, timeout=15000)
        tree.selectionModel().setCurrentIndex(
            index["i"], tree.selectionModel().ClearAndSelect | tree.selectionModel().Rows)
        assert tree.get_selected_filenames() == [path]
        texts = [a.text() for a in tree_menu_actions(tree)]
        assert ("Profile to callgrind" in texts) is expected, texts
    # Several files selected: hidden.
    tree.selectAll()
    assert "Profile to callgrind" not in [a.text() for a in tree_menu_actions(tree)]
    projects.close_project()


def test_toolbar_button_profiles_the_editor_file(main_window, plugin, store_dir, tmp_path,
                                                 qtbot):
    script = write_script(tmp_path, "in_editor.py", SCRIPT)
    editor = main_window.get_plugin("editor")
    editor.load(script)
    qtbot.waitUntil(lambda: editor.get_current_filename() == script, timeout=10000)
    action = plugin.run_action
    assert "callgrind" in action.toolTip().lower()
    toolbar = main_window.get_plugin("toolbar").get_application_toolbar("profile_toolbar")
    assert action in toolbar.actions()
    # Edit without saving: the run must see the edit (saved first, as Run does).
    code_editor = editor.get_current_editor()
    code_editor.set_text(SCRIPT.replace("20000", "30000"))
    action.trigger()
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=60000)
    record = complete_runs(store_dir)[0]
    assert record["script"] == script
    with open(script, encoding="utf-8") as stream:
        assert "30000" in stream.read()


def test_double_click_jumps_to_source(main_window, plugin, store_dir, tmp_path, qtbot):
    script = write_script(tmp_path, "jump.py", SCRIPT)
    widget = plugin.get_widget()
    widget.pane.start_run(script, cwd=str(tmp_path))
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=60000)
    qtbot.waitUntil(lambda: widget.pane.view.model.rowCount() > 5, timeout=30000)
    model = widget.pane.view.model
    data = model.profile()
    target = next(i for i, f in enumerate(data.functions) if f.name == "slow_part")
    widget.pane.view.select_function(target)
    table = widget.pane.view.table
    index = table.currentIndex()
    assert index.isValid()
    table.doubleClicked.emit(index)
    editor = main_window.get_plugin("editor")
    qtbot.waitUntil(lambda: editor.get_current_filename() == script, timeout=10000)
    line = editor.get_current_editor().get_cursor_line_number()
    assert line == data.functions[target].line == 3


def test_stop_keeps_the_profile(main_window, plugin, store_dir, tmp_path, qtbot):
    script = write_script(tmp_path, "forever.py", """\
import time
def tick():
    time.sleep(0.01)
print("running", flush=True)
while True:
    tick()
""")
    widget = plugin.get_widget()
    process = widget.pane.start_run(script, cwd=str(tmp_path))
    qtbot.waitUntil(lambda: "running" in widget.pane.view.output_text(), timeout=30000)
    # While it runs: elapsed time, the input line; Stop is enabled.
    qtbot.waitUntil(lambda: "running for" in widget.pane.status_label.toolTip(), timeout=10000)
    assert widget.pane.history_model.run_at(0).status == "running"
    assert widget.stop_action.isEnabled()
    assert widget.pane.view.input_row.isVisible()
    assert widget.pane.view.input_edit.isEnabled() == hasattr(process, "send_input")
    widget.stop_action.trigger()
    qtbot.waitUntil(lambda: not process.running, timeout=30000)
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=10000)
    assert complete_runs(store_dir)[0]["status"] == "stopped"

    def shows_tick():
        profile = widget.pane.view.model.profile()
        return profile is not None and any(f.name == "tick" for f in profile.functions)

    try:
        qtbot.waitUntil(shows_tick, timeout=30000)
    except qtbot.TimeoutError:
        # say what the pane shows instead, and what the kept run holds
        record = complete_runs(store_dir)[0]
        profile = widget.pane.view.model.profile()
        raise AssertionError(
            f"pane shows {widget.pane.current_id!r} (kept: {record['id']!r}), message "
            f"{widget.pane.message_label.text()!r}, status "
            f"{widget.pane.status_label.toolTip()!r}, functions "
            f"{None if profile is None else [f.name for f in profile.functions][:10]}, "
            f"tables {sorted(os.listdir(os.path.join(str(store_dir), record['id'], 'tables')))}"
        ) from None
    # The status says "stopped" once, with what else there is to say, parts separated.
    status = widget.pane.status_label.toolTip()
    assert status.lower().count("stopped") == 1, status
    from spyder_callgrind.widgets.runpicker import SEPARATOR
    assert status.startswith("forever.py" + SEPARATOR), status
    assert not widget.pane.view.input_row.isVisible()


def test_editor_right_click_menu_has_the_entry(main_window, plugin, tmp_path, qtbot):
    script = write_script(tmp_path, "menu.py", SCRIPT)
    editor = main_window.get_plugin("editor")
    editor.load(script)
    qtbot.waitUntil(lambda: editor.get_current_filename() == script, timeout=10000)
    from spyder.plugins.editor.widgets.codeeditor.codeeditor import CodeEditorMenus
    menu = editor.get_widget().get_menu(CodeEditorMenus.ContextMenu)
    assert plugin.run_action in [a for a in menu.get_actions() if a is not None]
    for action in plugin.cell_actions:          # profile cell / selection
        assert action in menu.get_actions()
        assert action.shortcut().toString()


def test_run_configuration_arguments_and_working_directory(main_window, plugin, store_dir,
                                                           tmp_path, qtbot):
    """Run > Configuration per file: our options page, arguments with spaces, a custom
    working directory; then Run from the dialog, as a user does."""
    script = write_script(tmp_path, "with_args.py", SCRIPT.replace(
        'print("result"', 'import os; print("cwd", os.getcwd()); print("result"'))
    workdir = tmp_path / "work dir"
    workdir.mkdir()
    dialog = open_run_configuration(main_window, qtbot, script)
    options = dialog.current_widget
    assert type(options).__name__ == "CallgrindRunOptions"
    options.args_cb.setChecked(True)
    options.args_edit.setText('--size 3 "two words"')
    dialog.fixed_dir_radio.setChecked(True)
    dialog.wd_edit.setText(str(workdir))
    dialog.run_btn_clicked()
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=60000)
    record = complete_runs(store_dir)[0]
    assert record["args"] == ["--size", "3", "two words"]
    assert record["cwd"] == str(workdir)
    output = open(os.path.join(str(store_dir), record["id"], "output.txt"),
                  encoding="utf-8").read()
    assert "['--size', '3', 'two words']" in output and f"cwd {workdir}" in output

    # The Files pane's right-click on the same file does the same thing as the button.
    widget = plugin.get_widget()
    qtbot.waitUntil(lambda: not widget.pane.processes, timeout=30000)
    tree = main_window.get_plugin("explorer").get_widget().treewidget
    select_in_tree(qtbot, tree, script)
    {a.text(): a for a in tree_menu_actions(tree)}["Profile to callgrind"].trigger()
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 2, timeout=60000)
    again = [r for r in complete_runs(store_dir) if r["id"] != record["id"]][0]
    assert (again["args"], again["cwd"]) == (["--size", "3", "two words"], str(workdir))


def test_current_working_directory_option_from_the_button_and_the_files_pane(
        main_window, plugin, store_dir, tmp_path, qtbot):
    """Run > Configuration per file, "the current working directory", saved with OK: the
    toolbar button and a Files-pane right-click both run in Spyder's current working
    directory (stored without a path: we resolve it for the right-click), not the file's
    folder."""
    (tmp_path / "scripts").mkdir()
    script = write_script(tmp_path / "scripts", "cwd_option.py", SCRIPT)
    elsewhere = tmp_path / "spyder cwd"
    elsewhere.mkdir()
    # The console, once its kernel is up, sets Spyder's working directory: wait for it.
    ipyconsole = main_window.get_plugin("ipython_console")
    qtbot.waitUntil(lambda: ipyconsole.get_current_shellwidget() is not None
                    and ipyconsole.get_current_shellwidget().spyder_kernel_ready,
                    timeout=60000)
    workingdir = main_window.get_plugin("workingdir")
    workingdir.chdir(str(elsewhere), sender_plugin="test")    # as the toolbar's box does
    dialog = open_run_configuration(main_window, qtbot, script)
    dialog.cwd_radio.setChecked(True)
    dialog.accept()                          # "OK": save only
    plugin.run_action.trigger()
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=60000)
    assert complete_runs(store_dir)[0]["cwd"] == str(elsewhere)
    # What the right-click uses (selecting the file in the Files pane would move Spyder's
    # working directory to the file's folder, as Spyder syncs them: ask directly).
    current = workingdir.get_workdir()
    assert current != os.path.dirname(script)
    assert plugin.configured_run(script) == ([], current)


BUSY = """\
import time
end = time.time() + 0.5
while time.time() < end:
    sum(i * i for i in range(1000))
"""


def test_what_to_measure_from_preferences_and_the_run_configuration(
        main_window, plugin, store_dir, tmp_path, qtbot):
    """Preferences > Callgrind "What to measure": sampled only is what the kept run says;
    a file's Run configuration overrides it; configurations stored before the option
    existed still load (as "as in Preferences")."""
    from spyder_callgrind.plugin.confpage import CallgrindConfigPage
    preferences = main_window.get_plugin("preferences")
    preferences.open_dialog()
    dialog = preferences.get_container().dialog
    page = dialog.findChildren(CallgrindConfigPage)[0]
    combos = {option: combo for combo, (_section, option, _default)
              in page.comboboxes.items()}
    assert combos["run_mode"].currentData() == "both"          # the default
    combos["run_mode"].setCurrentIndex(combos["run_mode"].findData("sample"))
    page.apply_changes()
    dialog.close()
    assert plugin.get_conf("run_mode") == "sample"
    try:
        _profile_sampled_then_exact(main_window, plugin, store_dir, tmp_path, qtbot)
    finally:          # the preferences outlive this test's window: the next tests' default
        plugin.set_conf("run_mode", "both")


def _profile_sampled_then_exact(main_window, plugin, store_dir, tmp_path, qtbot):
    from spyder_callgrind.plugin.run_conf import CallgrindRunOptions
    script = write_script(tmp_path, "busy.py", BUSY)
    plugin.profile_path(script)
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=60000)
    first = complete_runs(store_dir)[0]
    assert first["mode"] == "sample"
    assert plugin.get_widget().pane.store.get(first["id"]).exact_counts is False

    widget = plugin.get_widget()
    qtbot.waitUntil(lambda: not widget.pane.processes, timeout=30000)
    dialog = open_run_configuration(main_window, qtbot, script)
    options = dialog.current_widget
    options.set_configuration({"args_enabled": False, "args": ""})    # an old one
    assert options.mode_combo.currentData() == ""
    assert CallgrindRunOptions.mode_of({"args_enabled": False, "args": ""}) == ""
    options.mode_combo.setCurrentIndex(options.mode_combo.findData("exact"))
    dialog.run_btn_clicked()
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 2, timeout=60000)
    second = [r for r in complete_runs(store_dir) if r["id"] != first["id"]][0]
    assert second["mode"] == "exact"


def test_runs_use_the_consoles_interpreter(main_window, plugin, store_dir, tmp_path, qtbot):
    """Preferences > Python interpreter: the script runs in that interpreter."""
    other = "/root/.pyenv/versions/3.12.1/bin/python"
    if not os.path.isfile(other):
        pytest.skip("Python 3.12 is not installed here")
    plugin.set_conf("default", False, section="main_interpreter")
    plugin.set_conf("custom", True, section="main_interpreter")
    plugin.set_conf("custom_interpreter", other, section="main_interpreter")
    plugin.set_conf("executable", other, section="main_interpreter")
    script = write_script(tmp_path, "which.py",
                          "import os, sys\nprint('version', sys.version_info[:2])\n"
                          "print('PYTHONPATH=' + os.environ.get('PYTHONPATH', ''))\n")
    plugin.profile_path(script)
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=60000)
    record = complete_runs(store_dir)[0]
    assert record["python"] == other
    assert record["python_version"].startswith("3.12")
    # Spyder's own packages are not put in front of the user's: the script sees Spyder's
    # PYTHONPATH as it is (the tests may set one to reach this copy of the package).
    output = open(os.path.join(str(store_dir), record["id"], "output.txt"),
                  encoding="utf-8").read()
    line = next(x for x in output.splitlines() if x.startswith("PYTHONPATH="))
    assert line.split("=", 1)[1] == os.environ.get("PYTHONPATH", "")
    # "Hide standard library" judges files by that interpreter's standard library.
    widget = plugin.get_widget()
    qtbot.waitUntil(lambda: widget.pane.current_id == record["id"], timeout=30000)
    qtbot.waitUntil(lambda: any("3.12" in d for d in
                                widget.pane.view.model.row_filter.stdlib_dirs),
                    timeout=30000)
    assert not any("3.11" in d for d in widget.pane.view.model.row_filter.stdlib_dirs)


def test_pool_run_shows_every_process_in_the_pane(main_window, plugin, store_dir, tmp_path,
                                                  qtbot):
    script = write_script(tmp_path, "pool_job.py", """\
import multiprocessing as mp

def work(n):
    return sum(i * i for i in range(n))

if __name__ == "__main__":
    mp.set_start_method("spawn")
    with mp.Pool(3) as pool:
        print("total", sum(pool.map(work, [2000] * 30, chunksize=1)))
""")
    widget = plugin.get_widget()
    widget.pane.start_run(script, cwd=str(tmp_path))
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=90000)
    record = complete_runs(store_dir)[0]
    # The main process and the workers that started (on a loaded machine the pool can
    # finish before its last worker is up; Pool.terminate then ends that one before it ran
    # anything of the script's, so there is nothing of it to profile).
    processes = record["processes"]
    assert processes[0]["role"] == "main" and 2 <= len(processes) <= 4
    assert all(p["profiled"] for p in processes)
    view = widget.pane.view
    qtbot.waitUntil(lambda: view.process_combo.count() == len(processes) + 1,
                    timeout=30000)
    assert view.process_combo.isVisibleTo(widget)
    merged = view.profile()
    calls = sum(f.total_calls for f in merged.functions if f.name == "work")
    assert calls == 30
    per_worker = []
    for index in range(1, view.process_combo.count()):
        view.process_combo.setCurrentIndex(index)
        data = view.profile()
        per_worker.append(sum(f.total_calls for f in data.functions if f.name == "work"))
        label = view.process_combo.itemText(index)
        assert ("main" in label) or ("worker" in label)
    assert sum(per_worker) == 30 and per_worker[0] == 0  # main does no work itself


def test_two_runs_at_once_of_the_same_script(main_window, plugin, store_dir, tmp_path, qtbot):
    script = write_script(tmp_path, "twice.py", SCRIPT)
    widget = plugin.get_widget()
    first = widget.pane.start_run(script, cwd=str(tmp_path))
    second = widget.pane.start_run(script, args=["second"], cwd=str(tmp_path))
    assert first.run_id != second.run_id
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 2, timeout=90000)
    qtbot.waitUntil(lambda: not widget.pane.processes, timeout=30000)
    records = complete_runs(store_dir)
    assert sorted(r["args"] for r in records) == [[], ["second"]]
    assert all(r["status"] == "ok" for r in records)
    assert widget.pane.history_model.rowCount() == 2


def test_shortcut_is_registered(main_window, plugin):
    from spyder.config.manager import CONF
    assert CONF.get_shortcut(plugin.NAME, f"run file in {plugin.NAME}") == "Ctrl+Shift+F10"
    assert plugin.run_action.shortcut().toString() == "Ctrl+Shift+F10"


def cli_in_store(store_dir, *args):
    import subprocess
    import sys
    env = dict(os.environ, SPYDER_CALLGRIND_STORE=str(store_dir))
    return subprocess.run([sys.executable, "-m", "spyder_callgrind", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_command_line_runs_show_in_the_pane_and_deletions_are_noticed(
        main_window, plugin, store_dir, tmp_path, qtbot):
    script = write_script(tmp_path, "from_cli.py", SCRIPT)
    assert cli_in_store(store_dir, "run", script).returncode == 0
    widget = plugin.get_widget()
    widget.pane.refresh_history()
    qtbot.waitUntil(lambda: widget.pane.history_model.rowCount() == 1, timeout=10000)
    run_id = widget.pane.history_model.run_at(0).id
    qtbot.waitUntil(lambda: widget.pane.current_id == run_id, timeout=10000)
    qtbot.waitUntil(lambda: widget.pane.view.model.rowCount() > 0, timeout=30000)
    assert cli_in_store(store_dir, "rm", run_id).returncode == 0
    widget.pane.refresh_history()
    assert widget.pane.history_model.rowCount() == 0
    assert "deleted" in widget.pane.message_label.text()


def test_import_label_and_delete_from_the_pane(main_window, plugin, store_dir, tmp_path,
                                               qtbot, monkeypatch):
    import subprocess
    import sys
    from qtpy.QtWidgets import QInputDialog, QMessageBox
    script = write_script(tmp_path, "imported.py", SCRIPT)
    prof = str(tmp_path / "imported.prof")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", prof, script], check=True,
                   capture_output=True)
    widget = plugin.get_widget()
    # Read and converted in a child process, listed as in progress (Stop cancels it).
    with qtbot.waitSignal(widget.pane.imported, timeout=60000) as imported:
        widget.pane.import_file(prof)
        assert widget.pane.history_model.run_at(0).status == "running"
        assert widget.stop_action.isEnabled()
    record = widget.pane.store.get(imported.args[0])
    assert record is not None and record.source == "import"
    assert widget.pane.current_id == record.id
    qtbot.waitUntil(lambda: widget.pane.view.model.rowCount() > 0, timeout=30000)
    assert any(f.name == "slow_part" for f in widget.pane.view.model.profile().functions)
    # A bad file is refused with a message box, not an exception.
    bad = tmp_path / "bad.prof"
    bad.write_bytes(b"not a profile at all")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    widget.pane.import_file(str(bad))
    qtbot.waitUntil(lambda: bool(shown) and not widget.pane.processes, timeout=60000)
    assert "Traceback" not in shown[0] and "\n" not in shown[0].strip()
    assert widget.pane.history_model.rowCount() == 1
    # Label it (the dialog answered as a user would), then delete it (confirmed).
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("baseline", True))
    widget.pane.label_selected()
    assert widget.pane.store.get(record.id).label == "baseline"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    widget.pane.delete_selected()
    assert widget.pane.history_model.rowCount() == 0
    assert not os.path.exists(os.path.join(str(store_dir), record.id))


def test_timeline_tab_shows_a_pool_run(main_window, plugin, store_dir, tmp_path, qtbot):
    """A Pool run: one lane per process and thread, the summary line, a click on a
    worker's lane selects its function in the call table."""
    script = write_script(tmp_path, "pool_timeline.py", """\
import multiprocessing as mp

def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

if __name__ == "__main__":
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(work, [200000] * 8, chunksize=1)
""")
    widget = plugin.get_widget()
    widget.pane.start_run(script, cwd=str(tmp_path))
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=90000)
    record = complete_runs(store_dir)[0]
    qtbot.waitUntil(lambda: widget.pane.view.model.rowCount() > 3, timeout=30000)
    timeline = widget.pane.timeline_view
    widget.pane.tabs.setCurrentWidget(timeline)
    qtbot.waitUntil(lambda: timeline.canvas.timeline is not None, timeout=30000)
    lanes = timeline.canvas.timeline.lanes
    workers = {lane.pid for lane in lanes if lane.role.startswith("worker")}
    assert len(workers) == len(record["processes"]) - 1 >= 1
    assert "busy" in timeline.summary.text() and "main waited" in timeline.summary.text()
    # Click in the middle of the first worker's lane, where it runs `work`.
    from qtpy.QtCore import QPoint, Qt
    from spyder_callgrind.widgets.timeline import AXIS_HEIGHT, LANE_HEIGHT
    canvas = timeline.canvas
    index = next(i for i, lane in enumerate(lanes) if lane.role.startswith("worker"))
    lane = lanes[index]
    busy = max((s for s in lane.segments if s.function and s.function[2] == "work"),
               key=lambda s: s.duration_ns)
    x = canvas.x_of((busy.start_ns + busy.end_ns) // 2)
    qtbot.mouseClick(canvas, Qt.LeftButton,
                     pos=QPoint(x, AXIS_HEIGHT + index * LANE_HEIGHT + LANE_HEIGHT // 2))
    qtbot.waitUntil(lambda: widget.pane.tabs.currentWidget() is not timeline, timeout=10000)
    view = widget.pane.view
    assert view.profile().functions[view.selected_function()].name == "work"


def test_previous_run_line_and_its_compare_link(main_window, plugin, store_dir, tmp_path,
                                                qtbot):
    """A second run of the same script says how it changed, and 'Compare' opens both."""
    script = write_script(tmp_path, "again.py", SCRIPT)
    widget = plugin.get_widget()
    widget.pane.start_run(script, cwd=str(tmp_path))
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=60000)
    with open(script, "w", encoding="utf-8") as stream:
        stream.write(SCRIPT.replace("20000", "600000"))
    widget.pane.start_run(script, cwd=str(tmp_path))
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 2, timeout=60000)
    label = widget.pane.previous_label
    qtbot.waitUntil(lambda: label.isVisible() and label.change() is not None, timeout=30000)
    change = label.change()
    assert change.verdict == "slower" and "slower than the previous run" in label.text()
    assert any(row.name == "slow_part" for row in change.movers)
    first, second = sorted(complete_runs(store_dir), key=lambda r: r["started"])
    label.compare_requested.emit(change.previous.id, change.record.id)
    assert widget.pane._compared_ids == (first["id"], second["id"])


def test_lines_tab_follows_the_call_table(main_window, plugin, store_dir, tmp_path, qtbot):
    """The Lines tab shows the function chosen in the call table, its hottest line
    selected; a double-click on a line opens the file at that line in the editor."""
    script = write_script(tmp_path, "hot_lines.py", """\
def work():
    total = 0
    for i in range(400000):
        total += i % 7
        total = (total * 31 + i * i) % 1000003 + (i << 3) % 17 + (i ^ 5) // 3  # hot

work()
""")
    widget = plugin.get_widget().pane
    widget.start_run(script, cwd=str(tmp_path))
    qtbot.waitUntil(lambda: len(complete_runs(store_dir)) == 1, timeout=90000)
    qtbot.waitUntil(lambda: widget._extra_data is not None, timeout=30000)
    view = widget.view
    data = view.profile()
    view.select_function(next(i for i, f in enumerate(data.functions) if f.name == "work"))
    lines = widget.lines_view
    widget.tabs.setCurrentWidget(lines)
    qtbot.waitUntil(lambda: lines.model.rowCount() > 0, timeout=30000)
    assert lines.selected_line() == 5
    assert lines.note.text().startswith("work (hot_lines.py:1)")
    # another function chosen while the tab is shown: the tab follows
    view.select_function(next(i for i, f in enumerate(data.functions)
                              if f.name == "<module>"))
    qtbot.waitUntil(lambda: lines.key is not None and lines.key[2] == "<module>",
                    timeout=10000)
    qtbot.waitUntil(lambda: lines.model.rowCount() > 0, timeout=30000)
    assert lines.selected_line() == 7          # `work()`: all of the module's time
    from qtpy.QtCore import Qt
    row = [r.number for r in lines.model.rows].index(7)
    rect = lines.table.visualRect(lines.model.index(row, 3))
    qtbot.mouseClick(lines.table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(lines.table.viewport(), Qt.LeftButton, pos=rect.center())
    editor = main_window.get_plugin("editor")
    qtbot.waitUntil(lambda: editor.get_current_filename() == script, timeout=10000)
    assert editor.get_current_editor().textCursor().blockNumber() + 1 == 7
