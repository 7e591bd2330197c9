"""Options of a "Profile to callgrind" run in Spyder's Run configuration dialog."""

from __future__ import annotations

import shlex
import sys
from typing import List

from qtpy.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLineEdit, QVBoxLayout

from spyder.api.translations import _
from spyder.plugins.run.api import (
    Context, RunConfigurationMetadata, RunExecutorConfigurationGroup)


class CallgrindRunOptions(RunExecutorConfigurationGroup):
    """Command line arguments of the profiled script."""

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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(group)
        layout.addStretch(100)

    @staticmethod
    def get_default_configuration() -> dict:
        return {"args_enabled": False, "args": ""}

    def set_configuration(self, config: dict):
        self.args_cb.setChecked(bool(config.get("args_enabled")))
        self.args_edit.setText(config.get("args", ""))

    def get_configuration(self) -> dict:
        return {"args_enabled": self.args_cb.isChecked(), "args": self.args_edit.text()}

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
