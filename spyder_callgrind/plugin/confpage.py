"""Preferences > Callgrind."""

from __future__ import annotations

from qtpy.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from spyder.api.preferences import PluginConfigPage
from spyder.api.translations import _

from spyder_callgrind.engine.store import default_store_dir
from spyder_callgrind.engine.viewer import find_viewer, install_hint


class CallgrindConfigPage(PluginConfigPage):
    """Store, retention, viewer, after-run action, child processes, default filters."""

    def setup_page(self):
        store_group = QGroupBox(_("Run store"))
        store = self.create_browsedir(
            _("Folder of kept runs (empty: default)"), "store_dir",
            tip=_("Default: {}").format(default_store_dir()))
        keep = self.create_spinbox(
            _("Keep the last"), _("runs (labelled runs are always kept)"), "keep_runs",
            min_=1, max_=10000, step=10)
        layout = QVBoxLayout(store_group)
        layout.addWidget(store)
        layout.addWidget(keep)

        run_group = QGroupBox(_("Running"))
        children = self.create_checkbox(
            _("Profile child processes and threads (multiprocessing, threading)"),
            "profile_children")
        subprocesses = self.create_checkbox(
            _("Also profile Python scripts started with subprocess "
              "([sys.executable, 'other.py'])"), "profile_subprocesses")
        after = self.create_combobox(
            _("After a run:"),
            [(_("Show it in the Callgrind pane"), "pane"),
             (_("Open it in QCacheGrind/KCacheGrind"), "viewer"),
             (_("Both"), "both")],
            "after_run")
        layout = QVBoxLayout(run_group)
        layout.addWidget(children)
        layout.addWidget(subprocesses)
        layout.addWidget(after)

        measure_group = QGroupBox(_("What to measure"))
        mode = self.create_combobox(
            _("Measure:"),
            [(_("Exact and sampled (call counts, real stacks and lines)"), "both"),
             (_("Exact only (call counts and times; about cProfile's cost)"), "exact"),
             (_("Sampled only (real stacks and lines, no call counts; a few percent)"),
              "sample")],
            "run_mode",
            tip=_("Exact: cProfile counts every call (slows call-heavy code about as much "
                  "as cProfile). Sampled: a stack sampler looks every few milliseconds "
                  "(costs a few percent). A file's Run configuration can override this."))
        clock = self.create_combobox(
            _("Sample clock:"),
            [(_("Wall time (shows waiting: sleep, locks, I/O)"), "wall"),
             (_("CPU time"), "cpu")],
            "sample_clock")
        interval = self.create_spinbox(
            _("Sample every"), _("ms (the system may grant less often)"),
            "sample_interval_ms", min_=1, max_=1000, step=1,
            tip=_("The requested interval; the kernel may wake the sampler less often, "
                  "the run records the interval achieved"))
        threads = self.create_checkbox(
            _("Exact time per thread on Python 3.12+ (slower: a Python-level dispatcher "
              "on every call)"), "exact_threads")
        layout = QVBoxLayout(measure_group)
        for widget in (mode, clock, interval, threads):
            layout.addWidget(widget)

        viewer_group = QGroupBox(_("External viewer"))
        viewer = self.create_browsefile(
            _("QCacheGrind/KCacheGrind executable (empty: find it)"), "viewer_path")
        found = find_viewer(self.get_option("viewer_path", default=""))
        status = QLabel(_("Found: {}").format(found) if found
                        else _("None found: {}").format(install_hint()))
        status.setWordWrap(True)
        layout = QVBoxLayout(viewer_group)
        layout.addWidget(viewer)
        layout.addWidget(status)

        filter_group = QGroupBox(_("Call table filters shown by default"))
        layout = QVBoxLayout(filter_group)
        layout.addWidget(self.create_checkbox(_("Hide built-in functions"), "hide_builtins"))
        layout.addWidget(self.create_checkbox(_("Hide the standard library"), "hide_stdlib"))
        layout.addWidget(self.create_checkbox(_("Hide site-packages"), "hide_site_packages"))
        layout.addWidget(self.create_checkbox(
            _("Hide waiting functions (locks, sleep, select, queues, joins)"), "hide_waiting"))

        main = QVBoxLayout()
        for group in (store_group, run_group, measure_group, viewer_group,
                      filter_group):
            main.addWidget(group)
        main.addStretch(1)
        self.setLayout(main)
