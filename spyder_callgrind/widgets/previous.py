"""One line for the pane: how the run shown changed since the previous run of its script.

"2.41 s, 0.38 s faster than the previous run (-14%) · moved most: score_words -0.35 s, ...
· Compare". The numbers come from
:func:`spyder_callgrind.engine.previous.compare_with_previous`, run by
:class:`PreviousProcess` as ``spyder-callgrind show RUN --previous --json`` in a child
process: it reads two whole profiles, and in a thread of Spyder's process that work (and the
garbage collections it sets off) would hold the interpreter lock for tenths of a second at
100,000 functions, freezing the pane. The "Compare" link asks the pane to compare the two
runs in full.
"""

from __future__ import annotations

import html
import json
from typing import List, Optional

from qtpy.QtCore import QObject, Qt, Signal
from qtpy.QtWidgets import QLabel, QSizePolicy, QWidget

from spyder_callgrind.engine.previous import Change, format_change
from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.widgets.i18n import _
from spyder_callgrind.widgets.runprocess import CommandProcess

_COLOURS = {"slower": "#be1e1e", "faster": "#148232"}    # as the Compare view's title
_COMPARE_LINK = "compare"


class PreviousRunLabel(QLabel):
    """The change since the previous run, with a "Compare" link; empty (and hidden) when
    there is nothing to compare with. Fill it with :meth:`set_change`."""

    #: "Compare" was clicked: (previous run id, this run id), oldest first.
    compare_requested = Signal(str, str)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setTextFormat(Qt.RichText)
        self.setTextInteractionFlags(Qt.LinksAccessibleByMouse
                                     | Qt.LinksAccessibleByKeyboard)
        # A long line of function names must not widen the pane: it is cut instead.
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.linkActivated.connect(self._link_activated)
        self._change: Optional[Change] = None
        self.set_change(None)

    def set_change(self, change: Optional[Change]) -> None:
        """Show ``change`` (None: nothing to compare with; the line hides)."""
        self._change = change
        if change is None:
            self.setText("")
            self.setToolTip("")
            self.setVisible(False)
            return
        summary = html.escape(change.summary())
        colour = _COLOURS.get(change.verdict)
        if colour:
            summary = f"<span style='color:{colour}'>{summary}</span>"
        parts = [summary]
        if change.movers:
            parts.append(_("moved most: {functions}").format(functions=", ".join(
                f"{html.escape(row.name)} {format_change(row.inclusive_change)}"
                for row in change.movers)))
        parts.append(f"<a href='{_COMPARE_LINK}'>{_('Compare')}</a>")
        self.setText(" \u00b7 ".join(parts))
        self.setToolTip(_("Against run {previous} (started {started}), the previous complete "
                          "run of this script with the same arguments and interpreter")
                        .format(previous=change.previous.id,
                                started=change.previous.started[:19].replace("T", " ")))
        self.setVisible(True)

    def change(self) -> Optional[Change]:
        return self._change

    def _link_activated(self, link: str) -> None:
        if link == _COMPARE_LINK and self._change is not None:
            self.compare_requested.emit(self._change.previous.id, self._change.record.id)


class PreviousProcess(CommandProcess):
    """``spyder-callgrind show RUN --previous --json`` for the run ``run_id`` of ``store``;
    :meth:`change` reads its answer once it has ended."""

    def __init__(self, run_id: str, *, store: str, parent: Optional[QObject] = None,
                 driver_python: Optional[str] = None):
        super().__init__(run_id, store, parent, driver_python)
        self.store = store
        self._stdout: List[str] = []
        self.output.connect(lambda _id, stream, text: self._stdout.append(text)
                            if stream == "stdout" else None)

    def command(self) -> List[str]:
        return self._command_of(["show", "--store", self.store, self.run_id, "--previous",
                                 "--json", "--top", "1"])

    def change(self) -> Optional[Change]:
        """The change it found: None when there is nothing to compare with; ValueError
        (or a StoreError) when its answer cannot be read."""
        try:
            answer = json.loads("".join(self._stdout))
            found = answer["previous_change"]
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"no answer from the comparison ({error})") from None
        return None if found is None else Change.from_json(found, RunStore(self.store))
