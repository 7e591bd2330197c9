"""Right-click "Profile to callgrind" in the Files and Projects panes.

Spyder 6.1 has no public API for these menus. Their tree widgets do accept
``add_item_to_menu(action, menu=tree.context_menu, section=DirViewContextMenuSections.Extras)``;
the entry is shown only for one selected Python file (set on ``aboutToShow``). Everything
here is guarded: if Spyder changes, the entry is missing and a line is logged, nothing else.
"""

from __future__ import annotations

import logging
import os
from typing import Callable, Optional, Sequence

from qtpy.QtWidgets import QAction

logger = logging.getLogger(__name__)


class TreeMenuIntegration:
    """Our action in one file tree's context menu."""

    def __init__(self, name: str, tree, action: QAction, extensions: Sequence[str],
                 callback: Callable[[str], None]):
        self.name = name
        self.tree = tree
        self.action = action
        self.extensions = tuple("." + e.lstrip(".") for e in extensions)
        self.callback = callback
        self.action.triggered.connect(self._trigger)
        self.tree.context_menu.aboutToShow.connect(self.update_visibility)

    @classmethod
    def install(cls, plugin, name: str, *, text: str, icon, extensions: Sequence[str],
                callback: Callable[[str], None]) -> Optional["TreeMenuIntegration"]:
        """Add the entry to ``plugin``'s tree (Files or Projects); None if it can't be."""
        try:
            # deferred: ~0.6 s to import at Spyder start, and absent from other Spyders
            from spyder.plugins.explorer.widgets.explorer import DirViewContextMenuSections
            tree = plugin.get_widget().treewidget
            action = QAction(icon, text, tree)
            action.setObjectName(f"spyder_callgrind_profile_in_{name}")
            # SpyderMenu refuses items without an id (SpyderAction has one; a QAction not).
            action.action_id = f"spyder_callgrind_profile_in_{name}"
            tree.add_item_to_menu(action, menu=tree.context_menu,
                                  section=DirViewContextMenuSections.Extras)
            return cls(name, tree, action, extensions, callback)
        except Exception as error:  # Spyder's private API moved: degrade, don't crash
            logger.warning("spyder-callgrind: no 'Profile to callgrind' entry in the %s "
                           "context menu (%s: %s)", name, type(error).__name__, error)
            return None

    def selected_script(self) -> Optional[str]:
        """The selected file when it is exactly one Python file, else None."""
        try:
            names = self.tree.get_selected_filenames()
        except Exception:
            return None
        if len(names) != 1:
            return None
        path = names[0]
        if os.path.isfile(path) and path.lower().endswith(self.extensions):
            return os.path.abspath(path)
        return None

    def update_visibility(self) -> None:
        script = self.selected_script()
        self.action.setVisible(script is not None)
        self.action.setEnabled(script is not None)

    def _trigger(self) -> None:
        script = self.selected_script()
        if script is not None:
            self.callback(script)

    def uninstall(self) -> None:
        try:
            self.tree.context_menu.aboutToShow.disconnect(self.update_visibility)
        except (TypeError, RuntimeError):
            pass
        try:
            self.tree.context_menu.removeAction(self.action)
            remove = getattr(self.tree, "remove_item_from_menu", None)
            if remove is not None:
                remove(self.action, menu=self.tree.context_menu)
        except Exception as error:
            logger.info("spyder-callgrind: removing the %s menu entry: %s", self.name, error)
