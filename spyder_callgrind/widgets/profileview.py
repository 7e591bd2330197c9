"""The view of one run: searchable call table, callers and callees, output and summary.

:class:`ProfileView` puts the models of :mod:`.calltable` and :mod:`.edges` into views and
wires them together. It knows nothing of Spyder: it reports what the user asks for through
signals (``jump_to_source``, ``process_changed``...) and the Spyder glue acts on them.
Icons are optional QIcons so the glue can pass Spyder's; colours come from the palette.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from qtpy.QtCore import QEvent, QItemSelectionModel, QObject, QRect, Qt, QTimer, Signal
from qtpy.QtGui import QColor, QFont, QFontDatabase, QKeySequence, QPalette, QTextCursor
from qtpy.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QPlainTextEdit, QSizePolicy, QSplitter, QStyle, QStyledItemDelegate, QTableView,
    QTabWidget, QToolButton, QVBoxLayout, QWidget)

from spyder_callgrind.engine.model import BUILTIN_FILE, ProfileData
from spyder_callgrind.widgets.calltable import (
    COL_FUNCTION, COL_INCLUSIVE, COL_INCLUSIVE_PERCENT, COL_LOCATION, COL_SELF,
    COL_SELF_PERCENT, COLUMN_COUNT, FUNCTION_INDEX_ROLE, HEAT_ROLE, CallTableModel,
    CallTableProxy)
from spyder_callgrind.widgets.edges import (
    EDGE_FUNCTION, EDGE_LOCATION, EDGE_PERCENT, EDGE_TIME, MODE_CALLEES, MODE_CALLERS,
    EdgeTableModel)
from spyder_callgrind.widgets.i18n import _

#: Lines kept in the Output tab; older lines are dropped as new ones arrive.
OUTPUT_MAX_LINES = 20_000
#: Characters accepted from one ``set_output`` / ``append_output`` call (the tail is kept).
OUTPUT_MAX_CHARS = 2_000_000
#: Delay between the last keystroke in the search field and filtering (ms).
SEARCH_DELAY_MS = 150

#: (label, pid, profile) of one process, as given to :meth:`ProfileView.set_profile`.
ProcessEntry = Tuple[str, int, ProfileData]


class HeatBarDelegate(QStyledItemDelegate):
    """Draws a bar behind a time cell, as long as the cell's share (``HEAT_ROLE``).

    The bar is the palette's highlight colour made translucent, so the text on it keeps the
    contrast of the theme in light and dark palettes alike. Selected cells get no bar: the
    selection colour already fills them.
    """

    ALPHA = 70

    def paint(self, painter, option, index):
        fraction = index.data(HEAT_ROLE)
        if fraction and not option.state & QStyle.State_Selected:
            color = QColor(option.palette.color(QPalette.Highlight))
            color.setAlpha(self.ALPHA)
            rect = QRect(option.rect)
            rect.setWidth(max(1, int(rect.width() * min(1.0, float(fraction)))))
            painter.fillRect(rect, color)
        super().paint(painter, option, index)


def _is_source_file(file: str) -> bool:
    """True for a file an editor can open (not a built-in, not ``<frozen ...>``/``<string>``)."""
    return bool(file) and file != BUILTIN_FILE and not file.startswith("<")


class ProfileView(QWidget):
    """Everything shown for one run.

    Signals:
        jump_to_source(str, int): file and 1-based line of a function the user double-clicked
            (or pressed Enter on in the call table); never for built-ins.
        process_changed(object): pid of the process now shown, None for all processes.
        function_selected(object): function index now chosen in the call table, or None.
        filters_changed(bool, bool, bool): hide built-ins / standard library / site-packages,
            when the user flips a toggle.
    """

    jump_to_source = Signal(str, int)
    process_changed = Signal(object)
    function_selected = Signal(object)
    filters_changed = Signal(bool, bool, bool)

    def __init__(self, parent=None, *, stdlib_dirs: Optional[Sequence[str]] = None,
                 builtins_icon=None, stdlib_icon=None, site_icon=None, search_icon=None):
        super().__init__(parent)
        self._merged = ProfileData([], [])
        self._processes: List[ProcessEntry] = []
        self._current: Optional[int] = None

        self.model = CallTableModel(parent=self)
        self.proxy = CallTableProxy(self, stdlib_dirs=stdlib_dirs)
        self.proxy.setSourceModel(self.model)
        self.callers_model = EdgeTableModel(MODE_CALLERS, self)
        self.callees_model = EdgeTableModel(MODE_CALLEES, self)

        # -- toolbar row ----------------------------------------------------------------
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText(_("Search functions"))
        self.search_edit.setToolTip(_("Show only functions whose name or file contains "
                                      "this text"))
        self.search_edit.setClearButtonEnabled(True)
        if search_icon is not None:
            self.search_edit.addAction(search_icon, QLineEdit.LeadingPosition)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_edit.returnPressed.connect(self._apply_search)

        self.builtins_toggle = self._make_toggle(
            _("Hide built-ins"), _("Hide functions written in C (built-ins)"), builtins_icon)
        self.stdlib_toggle = self._make_toggle(
            _("Hide standard library"), _("Hide functions of Python's standard library"),
            stdlib_icon)
        self.site_toggle = self._make_toggle(
            _("Hide site-packages"), _("Hide functions of installed packages"), site_icon)

        self.process_combo = QComboBox(self)
        self.process_combo.setToolTip(_("Process whose profile is shown"))
        self.process_combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.process_combo.currentIndexChanged.connect(self._on_process_index)
        self.process_combo.hide()

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search_edit, 1)
        for toggle in (self.builtins_toggle, self.stdlib_toggle, self.site_toggle):
            top.addWidget(toggle)
        top.addWidget(self.process_combo)

        # -- tables ---------------------------------------------------------------------
        self.table = self._make_table(self.proxy)
        heat = HeatBarDelegate(self.table)
        for column in (COL_SELF, COL_SELF_PERCENT, COL_INCLUSIVE, COL_INCLUSIVE_PERCENT):
            self.table.setItemDelegateForColumn(column, heat)
        self.table.sortByColumn(COL_INCLUSIVE, Qt.DescendingOrder)
        self._size_columns(self.table, COLUMN_COUNT, COL_FUNCTION, COL_LOCATION)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.proxy.modelReset.connect(self._restore_selection)

        self.callers_view = self._make_table(self.callers_model)
        self.callees_view = self._make_table(self.callees_model)
        for view in (self.callers_view, self.callees_view):
            edge_heat = HeatBarDelegate(view)
            for column in (EDGE_TIME, EDGE_PERCENT):
                view.setItemDelegateForColumn(column, edge_heat)
            view.sortByColumn(EDGE_TIME, Qt.DescendingOrder)
            self._size_columns(view, 6, EDGE_FUNCTION, EDGE_LOCATION, 18, 14)
            view.doubleClicked.connect(self._on_edge_double_clicked)
        self.callers_label = self._make_label(_("Callers"))
        self.callees_label = self._make_label(_("Callees"))

        edges = QSplitter(Qt.Horizontal, self)
        edges.setChildrenCollapsible(False)
        for label, view in ((self.callers_label, self.callers_view),
                            (self.callees_label, self.callees_view)):
            pane = QWidget(edges)
            layout = QVBoxLayout(pane)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(2)
            layout.addWidget(label)
            layout.addWidget(view)
            edges.addWidget(pane)
        self.edges_splitter = edges

        # -- output and summary ---------------------------------------------------------
        fixed = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        fixed.setStyleHint(QFont.TypeWriter)  # some systems report a proportional one
        fixed.setFixedPitch(True)
        self.output_edit = QPlainTextEdit(self)
        self.output_edit.setReadOnly(True)
        self.output_edit.setFont(fixed)
        self.output_edit.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.output_edit.setMaximumBlockCount(OUTPUT_MAX_LINES)
        self.output_edit.setPlaceholderText(_("The script's output appears here"))
        self.summary_edit = QPlainTextEdit(self)
        self.summary_edit.setReadOnly(True)
        self.summary_edit.setFont(fixed)
        self.summary_edit.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.output_edit, _("Output"))
        self.tabs.addTab(self.summary_edit, _("Summary"))

        self.splitter = QSplitter(Qt.Vertical, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(edges)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(2, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

    # -- building ------------------------------------------------------------------------
    def _make_toggle(self, text: str, tip: str, icon) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        if icon is not None:
            button.setIcon(icon)
            button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        button.toggled.connect(self._on_toggle)
        return button

    def _make_label(self, text: str) -> QLabel:
        label = QLabel(text, self)
        # long function names must not widen the pane
        label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        label.setTextFormat(Qt.PlainText)
        return label

    def _make_table(self, model) -> QTableView:
        view = QTableView(self)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectRows)
        view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        view.setWordWrap(False)
        view.setShowGrid(False)
        view.setAlternatingRowColors(True)
        view.setSortingEnabled(True)
        # uniform row heights: a fixed-size vertical header never measures rows
        rows = view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.Fixed)
        rows.setDefaultSectionSize(view.fontMetrics().height() + 6)
        header = view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        view.installEventFilter(self)
        return view

    @staticmethod
    def _size_columns(view: QTableView, count: int, name_column: int, file_column: int,
                      name_chars: int = 30, file_chars: int = 22) -> None:
        # Sized from the font, not from the contents: measuring 100k rows would be slow.
        metrics = view.fontMetrics()
        header = view.horizontalHeader()
        for column in range(count):
            title = str(view.model().headerData(column, Qt.Horizontal) or "")
            width = max(metrics.horizontalAdvance(title), metrics.horizontalAdvance("999.9 ms"))
            header.resizeSection(column, width + 28)
        header.resizeSection(name_column, metrics.horizontalAdvance("x" * name_chars))
        header.resizeSection(file_column, metrics.horizontalAdvance("x" * file_chars))

    # -- profile in ----------------------------------------------------------------------
    def set_profile(self, data: Optional[ProfileData],
                    processes: Optional[Sequence[ProcessEntry]] = None) -> None:
        """Show ``data`` (all processes merged); ``processes`` lists ``(label, pid, data)``
        per process for the process box, which is shown only for two processes or more."""
        self._merged = data or ProfileData([], [])
        self._processes = list(processes or [])
        combo = self.process_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(_("All processes (CPU time summed)"), None)
        combo.setItemData(0, _("The processes' costs added up: CPU time summed over "
                               "processes, not wall time"), Qt.ToolTipRole)
        for label, pid, _profile in self._processes:
            combo.addItem(_("{label} (pid {pid})").format(label=label, pid=pid), pid)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)
        combo.setVisible(len(self._processes) > 1)
        self._current = None
        self._show(self._merged)

    def _show(self, data: ProfileData) -> None:
        self.model.set_profile(data)  # a reset: _restore_selection fills callers/callees

    def profile(self) -> ProfileData:
        """The profile shown now (merged, or the chosen process')."""
        return self.model.profile()

    def current_process(self) -> Optional[int]:
        """pid of the process shown, None when all processes are shown."""
        return self.process_combo.currentData()

    def set_process(self, pid: Optional[int]) -> None:
        """Show the process ``pid`` (None: all processes)."""
        index = self.process_combo.findData(pid) if pid is not None else 0
        if index >= 0:
            self.process_combo.setCurrentIndex(index)

    def _on_process_index(self, index: int) -> None:
        if index < 0:
            return
        data = self._merged if index == 0 else self._processes[index - 1][2]
        old = self.model.profile()
        key = old.functions[self._current].key if self._current is not None else None
        self._current = data.index_of(key) if key is not None else None
        self._show(data)
        self.process_changed.emit(self.process_combo.itemData(index))

    def clear(self) -> None:
        """Show nothing: no profile, no output, no summary."""
        self.set_profile(None)
        self.output_edit.clear()
        self.summary_edit.clear()

    # -- filters -------------------------------------------------------------------------
    def set_filters(self, hide_builtins: bool, hide_stdlib: bool, hide_site: bool) -> None:
        """Set the three toggles (without emitting ``filters_changed``)."""
        toggles = (self.builtins_toggle, self.stdlib_toggle, self.site_toggle)
        for toggle, hide in zip(toggles, (hide_builtins, hide_stdlib, hide_site)):
            toggle.blockSignals(True)
            toggle.setChecked(bool(hide))
            toggle.blockSignals(False)
        self.proxy.set_filters(hide_builtins, hide_stdlib, hide_site)

    def filters(self) -> Tuple[bool, bool, bool]:
        return self.proxy.filters()

    def set_stdlib_dirs(self, dirs: Sequence[str]) -> None:
        """Standard library folders of the interpreter that ran the script."""
        self.proxy.set_stdlib_dirs(tuple(dirs))

    def set_search_text(self, text: str) -> None:
        """Put ``text`` in the search field and filter at once."""
        self.search_edit.setText(text)
        self._apply_search()

    def _apply_search(self) -> None:
        self._search_timer.stop()
        self.proxy.set_search_text(self.search_edit.text())

    def _on_toggle(self, _checked: bool) -> None:
        state = (self.builtins_toggle.isChecked(), self.stdlib_toggle.isChecked(),
                 self.site_toggle.isChecked())
        self.proxy.set_filters(*state)
        self.filters_changed.emit(*state)

    # -- selection -----------------------------------------------------------------------
    def selected_function(self) -> Optional[int]:
        """Index (in ``profile().functions``) of the function chosen in the call table."""
        return self._current

    def select_function(self, function_index: Optional[int]) -> None:
        """Choose ``function_index`` in the call table (clearing the search if it hides it)
        and show its callers and callees."""
        if function_index is None or not 0 <= function_index < len(self.model.profile()):
            return
        self._current = function_index
        row = self.model.row_of(function_index)
        if row < 0 and self.proxy.search_text():
            self.search_edit.blockSignals(True)
            self.search_edit.clear()
            self.search_edit.blockSignals(False)
            self.proxy.set_search_text("")
            row = self.model.row_of(function_index)
        if row >= 0:
            self._select_row(row)
        self._show_edges()

    def _select_row(self, row: int) -> None:
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
        self.table.scrollTo(index)

    def _restore_selection(self) -> None:
        """After a model reset (new profile or filter), select the chosen function again."""
        if self._current is None and self.model.rowCount():
            self._current = self.model.function_at(0)
        if self._current is not None:
            row = self.model.row_of(self._current)
            if row >= 0:
                self._select_row(row)
        self._show_edges()

    def _on_current_row(self, current, _previous) -> None:
        if not current.isValid():
            return  # a reset is under way; _restore_selection follows
        function_index = current.data(FUNCTION_INDEX_ROLE)
        if function_index is not None and function_index != self._current:
            self._current = int(function_index)
            self._show_edges()

    def _show_edges(self) -> None:
        if self.callers_model.function() != self._current or \
                self.callers_model.profile() is not self.model.profile():
            data = self.model.profile()
            self.callers_model.set_profile(data, self._current)
            self.callees_model.set_profile(data, self._current)
            self._update_edge_labels()
            self.function_selected.emit(self._current)

    def _update_edge_labels(self) -> None:
        if self._current is None:
            self.callers_label.setText(_("Callers"))
            self.callees_label.setText(_("Callees"))
            return
        name = self.model.profile().functions[self._current].name
        self.callers_label.setText(_("Callers of {name}").format(name=name))
        self.callees_label.setText(_("Callees of {name}").format(name=name))

    # -- activation ----------------------------------------------------------------------
    def _jump_to(self, function_index: Optional[int]) -> None:
        if function_index is None:
            return
        function = self.model.profile().functions[int(function_index)]
        if _is_source_file(function.file):
            self.jump_to_source.emit(function.file, function.line)

    def _on_table_double_clicked(self, index) -> None:
        self._jump_to(index.data(FUNCTION_INDEX_ROLE))

    def _on_edge_double_clicked(self, index) -> None:
        function_index = index.data(FUNCTION_INDEX_ROLE)
        self._jump_to(function_index)
        self.select_function(function_index)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.KeyPress and isinstance(watched, QTableView):
            if event.matches(QKeySequence.Copy):
                self.copy_selection_as_text(watched)
                return True
            if event.key() in (Qt.Key_Return, Qt.Key_Enter):
                index = watched.currentIndex()
                if index.isValid():
                    if watched is self.table:
                        self._jump_to(index.data(FUNCTION_INDEX_ROLE))
                    else:
                        self.select_function(index.data(FUNCTION_INDEX_ROLE))
                    return True
        return super().eventFilter(watched, event)

    # -- clipboard -----------------------------------------------------------------------
    def copy_selection_as_text(self, view: Optional[QTableView] = None) -> str:
        """Copy the selected rows of ``view`` (the call table by default) to the clipboard,
        one line per row, cells separated by tabs, in the order shown. Returns the text."""
        view = view or self.table
        model = view.model()
        selection = view.selectionModel()
        rows = sorted({index.row() for index in selection.selectedRows()})
        if not rows and view.currentIndex().isValid():
            rows = [view.currentIndex().row()]
        header = view.horizontalHeader()
        columns = [header.logicalIndex(visual) for visual in range(header.count())
                   if not header.isSectionHidden(header.logicalIndex(visual))]
        lines = ["\t".join(str(model.index(row, column).data() or "") for column in columns)
                 for row in rows]
        text = "\n".join(lines)
        if text:
            QApplication.clipboard().setText(text)
        return text

    # -- output and summary --------------------------------------------------------------
    def set_output(self, text: str) -> None:
        """Replace the Output tab's text (only the last ``OUTPUT_MAX_CHARS`` are kept)."""
        self.output_edit.setPlainText((text or "")[-OUTPUT_MAX_CHARS:])
        self._scroll_output_to_end()

    def append_output(self, text: str) -> None:
        """Add ``text`` (not necessarily whole lines) to the Output tab, following the end
        unless the user scrolled up."""
        if not text:
            return
        text = text[-OUTPUT_MAX_CHARS:]
        bar = self.output_edit.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.output_edit.document())  # not the user's cursor
        cursor.movePosition(QTextCursor.End)
        cursor.insertText(text)
        if at_end:
            self._scroll_output_to_end()

    def output_text(self) -> str:
        return self.output_edit.toPlainText()

    def _scroll_output_to_end(self) -> None:
        bar = self.output_edit.verticalScrollBar()
        bar.setValue(bar.maximum())

    def set_summary(self, text: str) -> None:
        """Replace the Summary tab's plain text."""
        self.summary_edit.setPlainText(text or "")
