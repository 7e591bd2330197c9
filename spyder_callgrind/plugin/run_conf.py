"""Options of a "Profile to callgrind" run in Spyder's Run configuration dialog."""

from __future__ import annotations

import shlex
import sys
from typing import List

from qtpy.QtWidgets import (
    QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout)

from spyder.api.translations import _
from spyder.plugins.run.api import (
    Context, RunConfigurationMetadata, RunExecutorConfigurationGroup)

from spyder_callgrind.engine.records import MODE_BOTH, MODE_EXACT, MODE_SAMPLE, MODES


class CallgrindRunOptions(RunExecutorConfigurationGroup):
    """Command line arguments of the profiled script, and what to measure in this file
    ("mode": empty for the preference, else a ``--mode``)."""

    def __init__(self, parent, context: Context, input_extension: str,
                 input_metadata: RunConfigurationMetadata):
        super().__init__(parent, context, input_extension, input_metadata)
        group = QGroupBox(_("Profile to callgrind"))
        group_layout = QVBoxLayout(group)
        self.args_cb = QCheckBox(_("Command line arguments:"))
        self.args_edit = QLineEdit(self)
        self.args_edit.setMinimumWidth(300)
        self.args_edit.setPlaceholderText(_("arguments passed to the script, as in a shell"))
        self.args_cb.toggled.connect(self.args_edit.setEnabled)
        self.args_edit.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.args_cb)
        row.addWidget(self.args_edit)
        group_layout.addLayout(row)
        self.mode_combo = QComboBox(self)
        for text, mode in ((_("As in Preferences"), ""),
                           (_("Exact and sampled"), MODE_BOTH),
                           (_("Exact only (cProfile's cost)"), MODE_EXACT),
                           (_("Sampled only (a few percent)"), MODE_SAMPLE)):
            self.mode_combo.addItem(text, mode)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("What to measure:")))
        row.addWidget(self.mode_combo, 1)
        group_layout.addLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(group)
        layout.addStretch(100)

    @staticmethod
    def get_default_configuration() -> dict:
        return {"args_enabled": False, "args": "", "mode": ""}

    def set_configuration(self, config: dict):
        self.args_cb.setChecked(bool(config.get("args_enabled")))
        self.args_edit.setText(config.get("args", ""))
        index = self.mode_combo.findData(CallgrindRunOptions.mode_of(config) or "")
        self.mode_combo.setCurrentIndex(max(0, index))

    def get_configuration(self) -> dict:
        return {"args_enabled": self.args_cb.isChecked(), "args": self.args_edit.text(),
                "mode": self.mode_combo.currentData() or ""}

    @staticmethod
    def mode_of(config: dict) -> str:
        """This file's ``--mode``, or "" for the preference (also for configurations
        stored before the option existed)."""
        mode = (config or {}).get("mode")
        return mode if mode in MODES else ""

    @staticmethod
    def arguments_of(config: dict) -> List[str]:
        """The script's argument list from a stored configuration (shell-like quoting)."""
        if not config or not config.get("args_enabled"):
            return []
        text = config.get("args") or ""
        try:
            return shlex.split(text, posix=sys.platform != "win32")
        except ValueError:  # unbalanced quotes: pass words as typed
            return text.split()
