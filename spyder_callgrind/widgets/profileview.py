"""The view of one run: searchable call table, callers and callees, output and summary.

:class:`ProfileView` puts the models of :mod:`.calltable` and :mod:`.edges` into views and
wires them together. It knows nothing of Spyder: it reports what the user asks for through
signals (``jump_to_source``, ``process_changed``...) and the Spyder glue acts on them.
Icons are optional QIcons so the glue can pass Spyder's; colours come from the palette.

It is laid out for the size Spyder gives a docked pane (about 700x350): the call table
takes the room, with only the columns that fit (Function stretches, numbers keep their
width); callers and callees are shown below it when there is height for them or on
demand; output and summary are tabs. :meth:`save_state` / :meth:`restore_state` keep
splitters, columns and those choices across sessions.
"""

from __future__ import annotations

import base64
import json
from operator import itemgetter, ne
from typing import List, Optional, Sequence, Tuple

from qtpy.QtCore import (
    QByteArray, QEvent, QItemSelectionModel, QObject, QSize, Qt, QTimer, Signal)
from qtpy.QtGui import (
    QColor, QFont, QFontDatabase, QKeySequence, QPalette, QTextCharFormat, QTextCursor)
from qtpy.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QMenu, QPlainTextEdit, QSizePolicy, QSplitter, QTableView,
    QTabWidget, QToolButton, QVBoxLayout, QWidget)

from spyder_callgrind.engine.model import BUILTIN_FILE, ProfileData, format_ns
from spyder_callgrind.widgets.calltable import (
    COL_CALLS, COL_FUNCTION, COL_INCLUSIVE, COL_INCLUSIVE_PERCENT, COL_LOCATION,
    COL_PER_CALL, COL_SELF, COL_SELF_PERCENT, COLUMN_COUNT, COLUMNS, CallTableModel,
    format_calls)
from spyder_callgrind.widgets.columns import Role
from spyder_callgrind.widgets.edges import (
    EDGE_CALLS, EDGE_FUNCTION, EDGE_LOCATION, EDGE_PERCENT, EDGE_SELF, EDGE_TIME,
    MODE_CALLEES, MODE_CALLERS, EdgeTableModel)
from spyder_callgrind.widgets.delegates import ElidingDelegate, HeatBarDelegate
from spyder_callgrind.widgets.i18n import _
from spyder_callgrind.widgets.icons import edges_icon as painted_edges_icon
from spyder_callgrind.widgets.icons import waiting_icon as painted_waiting_icon

#: Lines kept in the Output tab; older lines are dropped as new ones arrive.
OUTPUT_MAX_LINES = 20_000
#: Characters accepted from one ``set_output`` / ``append_output`` call (the tail is kept).
OUTPUT_MAX_CHARS = 2_000_000
#: Delay between the last keystroke in the search field and filtering (ms).
SEARCH_DELAY_MS = 150

#: Below this height or width the view is compact: callers/callees hidden unless asked for.
ROOMY_HEIGHT_PX = 480
#: Below this width the view is compact too.
ROOMY_WIDTH_PX = 900
#: Call table columns shown when they fit, most useful first (Function always shows).
COLUMN_PRIORITY = (COL_INCLUSIVE, COL_SELF, COL_CALLS, COL_LOCATION, COL_SELF_PERCENT,
                   COL_INCLUSIVE_PERCENT, COL_PER_CALL)
#: Characters of a function name that must stay readable before more columns are shown.
FUNCTION_MIN_CHARS = 24
#: A combo box's frame and arrow, beside its text.
COMBO_ARROW_PX = 26
#: Room kept free between the tabs and the search bar (frames, the style's margins).
CORNER_SLACK_PX = 16
#: Width the search field grows by when the tab bar has room to spare.
SEARCH_EXTRA_PX = 160
#: Callers/callees columns shown when they fit, most useful first.
EDGE_PRIORITY = (EDGE_TIME, EDGE_CALLS, EDGE_PERCENT, EDGE_SELF, EDGE_LOCATION)
#: Characters of a caller's or callee's name kept readable.
EDGE_FUNCTION_MIN_CHARS = 18
#: Characters of the File:line column when it is shown.
LOCATION_CHARS = 20
#: Space above and below a row's text (px): rows stay compact so a docked pane shows many.
ROW_PADDING_PX = 4
#: Room for the header's sort arrow, and a cell's margins (px).
SORT_ARROW_PX = 4
CELL_PADDING_PX = 14
#: Space kept free at the right of a header title for the sort arrow.
HEADER_ARROW_ROOM_PX = 18
#: Version of :meth:`ProfileView.save_state`'s layout.
STATE_VERSION = 1

#: Streams of :meth:`ProfileView.append_output`.
STREAM_STDOUT, STREAM_STDERR, STREAM_INPUT = "stdout", "stderr", "input"
#: Standard error's colour on dark and on light backgrounds.
STDERR_ON_DARK, STDERR_ON_LIGHT = "#ff8a80", "#b3261e"

#: (label, pid, profile) of one process, as given to :meth:`ProfileView.set_profile`.
ProcessEntry = Tuple[str, int, ProfileData]

#: Function fields read in C loops (see ProfileView._column_widths).
_PRIMITIVE_CALLS, _TOTAL_CALLS, _INCLUSIVE = itemgetter(3), itemgetter(4), itemgetter(6)


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _unb64(text: str) -> QByteArray:
    return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))


def summed_label(count: int) -> str:
    """The process box's entry for all ``count`` processes merged (their times summed:
    the status line and the entry's tooltip say so)."""
    return _("All {count} processes").format(count=count)


def fit_columns(view: QTableView, widths: dict, priority: Sequence[int], name_px: int,
                hidden=(), flexible=()) -> None:
    """Show the columns of ``view`` that fit, in ``priority`` order, each at its width in
    ``widths``, keeping ``name_px`` for the stretching name column; the others (and those
    in ``hidden``) are hidden. A ``flexible`` column keeps a larger width the user gave it,
    when that still fits."""
    header = view.horizontalHeader()
    room = view.viewport().width() - name_px
    for column in priority:
        width = widths[column]
        if column in flexible and header.sectionSize(column) > width and \
                not header.isSectionHidden(column):
            width = min(header.sectionSize(column), max(width, room))
        show = column not in hidden and width <= room
        if show:
            room -= width
            header.resizeSection(column, width)
        header.setSectionHidden(column, not show)


class SearchEdit(QLineEdit):
    """A line edit whose preferred width shows its placeholder text whole (Qt's default
    is a fixed 17 characters, too wide for a docked pane's tab bar)."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        text = self.fontMetrics().horizontalAdvance(self.placeholderText() + "  ")
        icons = len(self.actions()) * (hint.height() - 4) + hint.height()  # icon, clear
        return QSize(min(hint.width(), text + icons), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("x" * 6), super().minimumSizeHint()
                     .height())


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
        waiting_filter_changed(bool): hide waiting functions, when the user flips it.
        input_submitted(str): a line the user typed for the running script (no newline).
        eof_requested(): the user asked to close the running script's input.
    """

    jump_to_source = Signal(str, int)
    process_changed = Signal(object)
    function_selected = Signal(object)
    filters_changed = Signal(bool, bool, bool)
    waiting_filter_changed = Signal(bool)
    input_submitted = Signal(str)
    eof_requested = Signal()

    def __init__(self, parent=None, *, stdlib_dirs: Optional[Sequence[str]] = None,
                 search_icon=None, filter_icon=None, edges_icon=None, waiting_icon=None):
        super().__init__(parent)
        self._merged = ProfileData([], [])
        self._processes: List[ProcessEntry] = []
        self._current: Optional[int] = None
        self._compact: Optional[bool] = None
        # callers/callees shown below the table, chosen per layout (compact, roomy)
        self._edges_wanted = {True: False, False: True}
        self._hidden_columns: set = set()   # columns the user hid (header menu)
        self._partial_stream: Optional[str] = None  # stream of an unfinished output line

        self.model = CallTableModel(parent=self, stdlib_dirs=stdlib_dirs)
        # Icons drawn here take the palette's colours; a theme that styles widgets with a
        # style sheet (Spyder's) passes its own icons instead.
        self.model.waiting_icon = waiting_icon or painted_waiting_icon(
            self.palette().color(QPalette.Text))
        self.callers_model = EdgeTableModel(MODE_CALLERS, self)
        self.callees_model = EdgeTableModel(MODE_CALLEES, self)

        # -- search row -----------------------------------------------------------------
        self.search_edit = SearchEdit(self)
        self.search_edit.setPlaceholderText(_("Search"))
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
            _("Hide built-ins"), _("Hide functions written in C (built-ins)"))
        self.stdlib_toggle = self._make_toggle(
            _("Hide standard library"), _("Hide functions of Python's standard library"))
        self.site_toggle = self._make_toggle(
            _("Hide site-packages"), _("Hide functions of installed packages"))
        self.waiting_toggle = self._make_toggle(
            _("Hide waiting"), _("Hide functions that wait (locks, sleep, select, "
                                 "pipes, sockets, queues, joins): with cProfile's wall "
                                 "clock their waiting counts as their time"))
        self.waiting_toggle.toggled.disconnect(self._on_toggle)
        self.waiting_toggle.toggled.connect(self._on_waiting_toggle)
        self._toggles = (self.builtins_toggle, self.stdlib_toggle, self.site_toggle,
                         self.waiting_toggle)

        # In a narrow pane the four toggles are one menu button; the actions and the
        # buttons mirror each other.
        self.filter_button = QToolButton(self)
        self.filter_button.setText(_("Filters"))
        self.filter_button.setPopupMode(QToolButton.InstantPopup)
        if filter_icon is not None:
            # the funnel alone until a filter is on; then the count beside it
            self.filter_button.setIcon(filter_icon)
            self.filter_button.setToolButtonStyle(Qt.ToolButtonIconOnly)
        menu = QMenu(self.filter_button)
        self.filter_actions = []
        for toggle in self._toggles:
            action = menu.addAction(toggle.text())
            action.setCheckable(True)
            action.setToolTip(toggle.toolTip())
            action.toggled.connect(toggle.setChecked)
            toggle.toggled.connect(action.setChecked)
            self.filter_actions.append(action)
        self.filter_button.setMenu(menu)

        self.edges_button = QToolButton(self)
        self.edges_button.setText(_("Callers/callees"))
        self.edges_button.setIcon(edges_icon or painted_edges_icon(
            self.palette().color(QPalette.ButtonText)))
        self.edges_button.setToolButtonStyle(Qt.ToolButtonIconOnly)
        self.edges_button.setToolTip(_("Show the callers and callees of the chosen "
                                       "function below the table"))
        self.edges_button.setCheckable(True)
        self.edges_button.clicked.connect(self._on_edges_clicked)

        self.process_combo = QComboBox(self)
        self.process_combo.setToolTip(_("Process whose profile is shown"))
        # as wide as "All processes": a pid shows whole in the list, may be elided closed
        self.process_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.process_combo.setMinimumContentsLength(1)
        self.process_combo.currentIndexChanged.connect(self._on_process_index)
        self.process_combo.hide()

        # The toggles show as buttons only when they fit (see _update_layout); they never
        # make the pane wider than Spyder gives it.
        self.toggle_bar = QWidget(self)
        self.toggle_bar.setMinimumWidth(1)  # not its buttons' width: see _toggles_fit
        toggle_layout = QHBoxLayout(self.toggle_bar)
        toggle_layout.setContentsMargins(0, 0, 0, 0)
        toggle_layout.setSpacing(2)
        for toggle in self._toggles:
            toggle_layout.addWidget(toggle)
        # Search and filters sit right of the tabs (shown with the Calls tab): a docked
        # pane has no height to spare for a row of their own.
        self.search_bar = QWidget(self)
        top = QHBoxLayout(self.search_bar)
        top.setContentsMargins(4, 1, 0, 1)
        top.setSpacing(4)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.toggle_bar)
        top.addWidget(self.filter_button)
        top.addWidget(self.edges_button)
        top.addWidget(self.process_combo)
        self._search_layout = top

        # -- tables ---------------------------------------------------------------------
        self.table = self._make_table(self.model)
        # The delegates belong to the view (kept in a list too): their tables hold only
        # pointers to them.
        heat = HeatBarDelegate(self)
        eliding = ElidingDelegate(self)
        self._delegates = [heat, eliding]
        for column in (COL_SELF, COL_SELF_PERCENT, COL_INCLUSIVE, COL_INCLUSIVE_PERCENT):
            self.table.setItemDelegateForColumn(column, heat)
        self.table.setItemDelegateForColumn(COL_LOCATION, eliding)
        self.table.sortByColumn(COL_INCLUSIVE, Qt.DescendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_FUNCTION, QHeaderView.Stretch)
        header.setContextMenuPolicy(Qt.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.model.modelReset.connect(self._restore_selection)
        self.table.viewport().installEventFilter(self)

        self.callers_view = self._make_table(self.callers_model)
        self.callees_view = self._make_table(self.callees_model)
        for view in (self.callers_view, self.callees_view):
            for column in (EDGE_TIME, EDGE_PERCENT):
                view.setItemDelegateForColumn(column, heat)
            view.setItemDelegateForColumn(EDGE_LOCATION, eliding)
            view.sortByColumn(EDGE_TIME, Qt.DescendingOrder)
            view.horizontalHeader().setSectionResizeMode(EDGE_FUNCTION, QHeaderView.Stretch)
            view.viewport().installEventFilter(self)
            view.doubleClicked.connect(self._on_edge_double_clicked)
        self._fit_columns()
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

        self.splitter = QSplitter(Qt.Vertical, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(edges)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        self.calls_page = QWidget(self)
        calls_layout = QVBoxLayout(self.calls_page)
        calls_layout.setContentsMargins(0, 0, 0, 0)
        calls_layout.addWidget(self.splitter, 1)

        # -- output (with the running script's input line) and summary ------------------
        fixed = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        fixed.setStyleHint(QFont.TypeWriter)  # some systems report a proportional one
        fixed.setFixedPitch(True)
        self.output_edit = QPlainTextEdit(self)
        self.output_edit.setReadOnly(True)
        self.output_edit.setFont(fixed)
        self.output_edit.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.output_edit.setMaximumBlockCount(OUTPUT_MAX_LINES)
        self.output_edit.setPlaceholderText(_("The script's output appears here"))
        self.input_edit = QLineEdit(self)
        self.input_edit.setFont(fixed)
        self.input_edit.setPlaceholderText(_("Input for the script: Enter sends a line, "
                                             "Ctrl+D ends the input"))
        self.input_edit.returnPressed.connect(self._submit_input)
        self.eof_button = QToolButton(self)
        self.eof_button.setText(_("EOF"))
        self.eof_button.setToolTip(_("End the script's input (Ctrl+D)"))
        self.eof_button.clicked.connect(self._request_eof)
        self.input_edit.installEventFilter(self)
        self.input_row = QWidget(self)
        input_layout = QHBoxLayout(self.input_row)
        input_layout.setContentsMargins(0, 0, 0, 0)
        input_layout.addWidget(self.input_edit, 1)
        input_layout.addWidget(self.eof_button)
        self.input_row.hide()
        self.output_page = QWidget(self)
        output_layout = QVBoxLayout(self.output_page)
        output_layout.setContentsMargins(0, 0, 0, 0)
        output_layout.setSpacing(2)
        output_layout.addWidget(self.output_edit, 1)
        output_layout.addWidget(self.input_row)

        self.summary_edit = QPlainTextEdit(self)
        self.summary_edit.setReadOnly(True)
        self.summary_edit.setFont(fixed)
        self.summary_edit.setLineWrapMode(QPlainTextEdit.NoWrap)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        # In a docked pane the tabs may not all fit beside the search bar: shorten their
        # names a little, then scroll, never clip one (some styles have no scroll buttons).
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.ElideRight)
        self.tabs.addTab(self.calls_page, _("Calls"))
        self.tabs.addTab(self.output_page, _("Output"))
        self.tabs.addTab(self.summary_edit, _("Summary"))
        self.tabs.setCornerWidget(self.search_bar, Qt.TopRightCorner)
        self.tabs.currentChanged.connect(self._on_tab_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, 1)
        self._update_layout()

    # -- building ------------------------------------------------------------------------
    def _make_toggle(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
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
        # A header made here (not by the view) lets sectionSizeFromContents be asked: the
        # width a title needs in the current style, sort arrow and padding included.
        header = QHeaderView(Qt.Horizontal, view)
        header.setSectionsClickable(True)
        # Styles draw the sort arrow over the right end of the title: numbers' titles are
        # right-aligned, so keep that end free.
        header.setStyleSheet("QHeaderView::section { padding-right: %dpx; }"
                             % HEADER_ARROW_ROOM_PX)
        view.setHorizontalHeader(header)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectRows)
        view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        view.setWordWrap(False)
        view.setShowGrid(False)
        view.setAlternatingRowColors(True)
        view.setSortingEnabled(True)
        view.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        # uniform row heights: a fixed-size vertical header never measures rows
        rows = view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.Fixed)
        rows.setDefaultSectionSize(view.fontMetrics().height() + ROW_PADDING_PX)
        header = view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setMinimumSectionSize(24)
        view.installEventFilter(self)
        return view

    # -- columns -------------------------------------------------------------------------
    def _number_width(self, view: QTableView, column: int, samples: Sequence[str]) -> int:
        """Width that shows ``column``'s title (with the sort arrow) and every sample."""
        metrics = view.fontMetrics()
        text = max([metrics.horizontalAdvance(s) for s in samples] or [0])
        header = view.horizontalHeader()
        title = header.sectionSizeFromContents(column).width()
        if header.isSortIndicatorShown():
            title += SORT_ARROW_PX  # some styles leave the arrow out of the measure
        return max(title, text + CELL_PADDING_PX)

    def _column_widths(self) -> dict:
        """Width each column of the call table needs; numbers sized from the font and the
        largest values of the profile shown (never cut), File:line from a typical name."""
        data = self.model.profile()
        functions = data.functions
        # C loops (map, itemgetter), not a Python step per function: 10^5 rows, each load
        largest = max(map(_INCLUSIVE, functions), default=0)
        calls = max(map(_TOTAL_CALLS, functions), default=0)
        recursive = any(map(ne, map(_PRIMITIVE_CALLS, functions), map(_TOTAL_CALLS, functions)))
        calls_text = format_calls(max(map(_PRIMITIVE_CALLS, functions)), calls) \
            if recursive else str(calls)
        # a time per call is at most the inclusive time: the same samples fit it
        times = [format_ns(largest), "99.9 ms", "9.99 µs"]
        table = self.table
        metrics = table.fontMetrics()
        return {
            COL_CALLS: self._number_width(table, COL_CALLS, [calls_text, "9999"]),
            COL_SELF: self._number_width(table, COL_SELF, times),
            COL_INCLUSIVE: self._number_width(table, COL_INCLUSIVE, times),
            COL_SELF_PERCENT: self._number_width(table, COL_SELF_PERCENT, ["100.0 %"]),
            COL_INCLUSIVE_PERCENT: self._number_width(table, COL_INCLUSIVE_PERCENT,
                                                      ["100.0 %"]),
            COL_PER_CALL: self._number_width(table, COL_PER_CALL, times),
            COL_LOCATION: metrics.horizontalAdvance("x" * LOCATION_CHARS) + CELL_PADDING_PX,
        }

    def _fit_columns(self) -> None:
        """Show the columns that fit beside a readable Function column, most useful first;
        the Function column takes the rest. Columns the user hid stay hidden."""
        metrics = self.table.fontMetrics()
        fit_columns(self.table, self._column_widths(), COLUMN_PRIORITY,
                    metrics.horizontalAdvance("x" * FUNCTION_MIN_CHARS),
                    hidden=self._hidden_columns, flexible=(COL_LOCATION,))
        for view in (self.callers_view, self.callees_view):
            fit_columns(view, self._edge_widths(view), EDGE_PRIORITY,
                        metrics.horizontalAdvance("x" * EDGE_FUNCTION_MIN_CHARS),
                        flexible=(EDGE_LOCATION,))

    def _edge_widths(self, view: QTableView) -> dict:
        times = ["99.9 ms", "9.99 µs", format_ns(self.model.profile().total_ns)]
        widths = {column: self._number_width(view, column, samples)
                  for column, samples in ((EDGE_CALLS, ["9999/9999"]),
                                          (EDGE_TIME, times), (EDGE_SELF, times),
                                          (EDGE_PERCENT, ["100.0 %"]))}
        widths[EDGE_LOCATION] = view.fontMetrics().horizontalAdvance("x" * 16)
        return widths

    def column_visible(self, column: int) -> bool:
        return not self.table.horizontalHeader().isSectionHidden(column)

    def set_column_hidden(self, column: int, hidden: bool) -> None:
        """Hide (or show again, when it fits) a column of the call table."""
        if column == COL_FUNCTION:
            return
        if hidden:
            self._hidden_columns.add(column)
        else:
            self._hidden_columns.discard(column)
        self._fit_columns()

    def _header_menu(self, pos) -> None:
        menu = QMenu(self)
        for column in range(1, COLUMN_COUNT):
            action = menu.addAction(COLUMNS[column].header)
            action.setCheckable(True)
            action.setChecked(column not in self._hidden_columns)
            action.toggled.connect(
                lambda on, c=column: self.set_column_hidden(c, not on))
        menu.addSeparator()
        note = menu.addAction(_("Columns that do not fit are hidden; widen the pane to "
                                "see them"))
        note.setEnabled(False)
        menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

    # -- layout --------------------------------------------------------------------------
    def is_compact(self) -> bool:
        """True when the view is too low for callers/callees below the table."""
        return bool(self._compact)

    def edges_shown(self) -> bool:
        return not self.edges_splitter.isHidden()

    def set_edges_shown(self, shown: bool) -> None:
        """Show or hide callers/callees below the table (remembered for this layout)."""
        self._edges_wanted[self.is_compact()] = bool(shown)
        self._apply_edges()

    def _on_edges_clicked(self, checked: bool) -> None:
        self.set_edges_shown(checked)

    def _apply_edges(self) -> None:
        shown = self._edges_wanted[self.is_compact()]
        self.edges_splitter.setVisible(shown)
        self.edges_button.setChecked(shown)

    def _search_bar_room(self, buttons: bool) -> int:
        """Width left beside the tabs once the search field (at its preferred width) and
        the controls beside it are placed: the toggles as buttons, or the Filters menu."""
        widths = [self.search_edit.sizeHint().width(), self.edges_button.sizeHint().width()]
        if buttons:
            widths += [t.sizeHint().width() + 2 for t in self._toggles]
        else:
            widths.append(self.filter_button.sizeHint().width())
        if self._owns_process_combo() and not self.process_combo.isHidden():
            widths.append(self.process_combo.sizeHint().width())
        margins = self._search_layout.contentsMargins()
        needed = (self.tabs.tabBar().sizeHint().width() + sum(widths)
                  + self._search_layout.spacing() * len(widths)
                  + margins.left() + margins.right() + CORNER_SLACK_PX)
        return self.width() - needed

    def _toggles_fit(self) -> bool:
        """True when the four toggles fit beside the tabs as buttons."""
        return self._search_bar_room(True) >= 0

    def _owns_process_combo(self) -> bool:
        return self.process_combo.parent() is self.search_bar

    def detach_process_combo(self) -> QComboBox:
        """Take the process box out of the search bar (the glue puts it beside the run
        picker); it keeps working the same."""
        self._search_layout.removeWidget(self.process_combo)
        return self.process_combo

    def _on_tab_changed(self, _index: int) -> None:
        self.search_bar.setVisible(self.tabs.currentWidget() is self.calls_page)

    def _update_layout(self) -> None:
        compact = self.height() < ROOMY_HEIGHT_PX or self.width() < ROOMY_WIDTH_PX
        buttons = self._toggles_fit()
        self.toggle_bar.setVisible(buttons)
        self.filter_button.setVisible(not buttons)
        # room to spare goes to the search field, up to a comfortable width
        spare = max(0, min(self._search_bar_room(buttons), SEARCH_EXTRA_PX))
        self.search_edit.setMinimumWidth(self.search_edit.sizeHint().width() + spare)
        if compact != self._compact:
            self._compact = compact
            self._apply_edges()
        self._update_filter_button()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_layout()

    def _update_filter_button(self) -> None:
        count = sum(t.isChecked() for t in self._toggles)
        button = self.filter_button
        if button.icon().isNull():
            button.setText(_("Filters ({count})").format(count=count) if count
                           else _("Filters"))
        else:
            button.setText(str(count) if count else _("Filters"))
            button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon if count
                                      else Qt.ToolButtonIconOnly)
        active = [t.text() for t in self._toggles if t.isChecked()]
        button.setToolTip("\n".join([_("Filters")] + active) if active else
                          _("Hide built-ins, the standard library, site-packages or "
                            "waiting functions"))

    # -- state ---------------------------------------------------------------------------
    def save_state(self) -> bytes:
        """Splitters, call table columns (widths, order, sort) and the layout choices, as
        bytes for :meth:`restore_state`."""
        state = {
            "version": STATE_VERSION,
            "splitter": _b64(self.splitter.saveState()),
            "edges_splitter": _b64(self.edges_splitter.saveState()),
            "header": _b64(self.table.horizontalHeader().saveState()),
            "callers_header": _b64(self.callers_view.horizontalHeader().saveState()),
            "callees_header": _b64(self.callees_view.horizontalHeader().saveState()),
            "edges_compact": self._edges_wanted[True],
            "edges_roomy": self._edges_wanted[False],
            "hidden_columns": sorted(self._hidden_columns),
        }
        return json.dumps(state).encode("utf-8")

    def restore_state(self, state: bytes) -> bool:
        """Restore what :meth:`save_state` gave; False (and nothing changed) when ``state``
        is unreadable or of another version."""
        try:
            found = json.loads(bytes(state).decode("utf-8"))
            if not isinstance(found, dict) or found.get("version") != STATE_VERSION:
                return False
            parts = {name: _unb64(found[name]) for name in (
                "splitter", "edges_splitter", "header", "callers_header", "callees_header")}
            hidden = {int(c) for c in found.get("hidden_columns", [])
                      if 0 < int(c) < COLUMN_COUNT}
            edges = (bool(found.get("edges_compact")), bool(found.get("edges_roomy", True)))
        except (ValueError, TypeError, KeyError, AttributeError):
            return False
        self.splitter.restoreState(parts["splitter"])
        self.edges_splitter.restoreState(parts["edges_splitter"])
        header = self.table.horizontalHeader()
        sort = (header.sortIndicatorSection(), header.sortIndicatorOrder())
        if header.restoreState(parts["header"]):
            header.setSectionResizeMode(COL_FUNCTION, QHeaderView.Stretch)
            section, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
            if 0 <= section < COLUMN_COUNT and (section, order) != sort:
                self.table.sortByColumn(section, order)
        self.callers_view.horizontalHeader().restoreState(parts["callers_header"])
        self.callees_view.horizontalHeader().restoreState(parts["callees_header"])
        for view in (self.callers_view, self.callees_view):
            view.horizontalHeader().setSectionResizeMode(EDGE_FUNCTION, QHeaderView.Stretch)
        self._hidden_columns = hidden
        self._edges_wanted = {True: edges[0], False: edges[1]}
        self._apply_edges()
        self._fit_columns()
        return True

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
        count = len(self._processes)
        combo.addItem(summed_label(count), None)
        combo.setItemData(0, _("Time summed over {count} processes: cProfile measures "
                               "each process' wall time, and their times are added up "
                               "here, so they can exceed the run's duration").format(
                                   count=count), Qt.ToolTipRole)
        for label, pid, _profile in self._processes:
            combo.addItem(_("{label} (pid {pid})").format(label=label, pid=pid), pid)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)
        # wide enough for "All N processes"; a process' longer name shows in the list
        combo.setMinimumWidth(combo.fontMetrics().horizontalAdvance(combo.itemText(0))
                              + COMBO_ARROW_PX)
        combo.setVisible(len(self._processes) > 1)
        self._update_layout()
        self._current = None
        self._show(self._merged)

    def _show(self, data: ProfileData) -> None:
        self.model.set_profile(data)  # a reset: _restore_selection fills callers/callees
        self._fit_columns()            # the numbers' widths follow the largest values

    def profile(self) -> ProfileData:
        """The profile shown now (merged, or the chosen process')."""
        return self.model.profile()

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
            self._set_quietly(toggle, hide)
        self.model.update_filter(hide_builtins=hide_builtins, hide_stdlib=hide_stdlib,
                                 hide_site=hide_site)
        self._update_filter_button()

    def set_hide_waiting(self, hide: bool) -> None:
        """Set the "Hide waiting" toggle (without emitting ``waiting_filter_changed``)."""
        self._set_quietly(self.waiting_toggle, hide)
        self.model.update_filter(hide_waiting=hide)
        self._update_filter_button()

    def _set_quietly(self, toggle: QToolButton, checked: bool) -> None:
        toggle.blockSignals(True)
        toggle.setChecked(bool(checked))
        toggle.blockSignals(False)
        action = self.filter_actions[self._toggles.index(toggle)]
        action.blockSignals(True)
        action.setChecked(bool(checked))
        action.blockSignals(False)

    def filters(self) -> Tuple[bool, bool, bool]:
        return self.model.row_filter.filters()

    def set_stdlib_dirs(self, dirs: Sequence[str]) -> None:
        """Standard library folders of the interpreter that ran the script."""
        self.model.update_filter(stdlib_dirs=dirs)

    def set_search_text(self, text: str) -> None:
        """Put ``text`` in the search field and filter at once."""
        self.search_edit.setText(text)
        self._apply_search()

    def _apply_search(self) -> None:
        self._search_timer.stop()
        self.model.update_filter(search=self.search_edit.text())

    def _on_toggle(self, _checked: bool) -> None:
        state = (self.builtins_toggle.isChecked(), self.stdlib_toggle.isChecked(),
                 self.site_toggle.isChecked())
        self.model.update_filter(hide_builtins=state[0], hide_stdlib=state[1],
                                 hide_site=state[2])
        self._update_filter_button()
        self.filters_changed.emit(*state)

    def _on_waiting_toggle(self, checked: bool) -> None:
        self.model.update_filter(hide_waiting=checked)
        self._update_filter_button()
        self.waiting_filter_changed.emit(bool(checked))

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
        if row < 0 and self.model.row_filter.search:
            self.search_edit.blockSignals(True)
            self.search_edit.clear()
            self.search_edit.blockSignals(False)
            self.model.update_filter(search="")
            row = self.model.row_of(function_index)
        if row >= 0:
            self._select_row(row)
        self._show_edges()

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
        self.table.scrollTo(index)

    def _restore_selection(self) -> None:
        """After a model reset (new profile or filter), select the chosen function again."""
        row = -1
        if self._current is None and self.model.rowCount():
            self._current, row = self.model.function_at(0), 0   # a new profile: its top
        elif self._current is not None:
            row = self.model.row_of(self._current)
        if row >= 0:
            self._select_row(row)
        self._show_edges()

    def _on_current_row(self, current, _previous) -> None:
        if not current.isValid():
            return  # a reset is under way; _restore_selection follows
        function_index = current.data(Role.FUNCTION_INDEX)
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
        self._jump_to(index.data(Role.FUNCTION_INDEX))

    def _on_edge_double_clicked(self, index) -> None:
        function_index = index.data(Role.FUNCTION_INDEX)
        self._jump_to(function_index)
        self.select_function(function_index)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Resize and watched in (
                self.table.viewport(), self.callers_view.viewport(),
                self.callees_view.viewport()):
            self._fit_columns()
        if watched is getattr(self, "input_edit", None) and event.type() in (
                QEvent.ShortcutOverride, QEvent.KeyPress) and \
                event.key() == Qt.Key_D and event.modifiers() & Qt.ControlModifier:
            if event.type() == QEvent.ShortcutOverride:
                event.accept()  # Ctrl+D is ours here, not an application shortcut's
                return False
            self._request_eof()
            return True
        if event.type() == QEvent.KeyPress and isinstance(watched, QTableView):
            if event.matches(QKeySequence.Copy):
                self.copy_selection_as_text(watched)
                return True
            if event.key() in (Qt.Key_Return, Qt.Key_Enter):
                index = watched.currentIndex()
                if index.isValid():
                    if watched is self.table:
                        self._jump_to(index.data(Role.FUNCTION_INDEX))
                    else:
                        self.select_function(index.data(Role.FUNCTION_INDEX))
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
    def show_output(self) -> None:
        """Bring the Output tab to the front."""
        self.tabs.setCurrentWidget(self.output_page)

    def show_calls(self) -> None:
        """Bring the Calls tab to the front."""
        self.tabs.setCurrentWidget(self.calls_page)

    def set_output(self, text: str) -> None:
        """Replace the Output tab's text (only the last ``OUTPUT_MAX_CHARS`` are kept)."""
        self._partial_stream = None
        self.output_edit.setPlainText((text or "")[-OUTPUT_MAX_CHARS:])
        self._scroll_output_to_end()

    def append_output(self, text: str, stream: str = STREAM_STDOUT) -> None:
        """Add ``text`` (not necessarily whole lines) of ``stream`` ("stdout", "stderr", or
        "input" for a line the user sent) to the Output tab in the order it arrives,
        following the end unless the user scrolled up. Standard error is tinted; a stream
        that starts while the other's line is unfinished starts on a line of its own."""
        if not text:
            return
        text = text[-OUTPUT_MAX_CHARS:]
        bar = self.output_edit.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.output_edit.document())  # not the user's cursor
        cursor.movePosition(QTextCursor.End)
        partial = self._partial_stream
        if partial is not None and partial != stream and stream != STREAM_INPUT:
            cursor.insertText("\n", QTextCharFormat())
        cursor.insertText(text, self._stream_format(stream))
        self._partial_stream = None if text.endswith("\n") else stream
        if at_end:
            self._scroll_output_to_end()

    def _stream_format(self, stream: str) -> QTextCharFormat:
        char_format = QTextCharFormat()
        if stream == STREAM_STDERR:
            dark = self.output_edit.palette().color(QPalette.Base).lightness() < 128
            char_format.setForeground(QColor(STDERR_ON_DARK if dark else STDERR_ON_LIGHT))
        elif stream == STREAM_INPUT:
            char_format.setFontWeight(QFont.Bold)
        return char_format

    def output_text(self) -> str:
        return self.output_edit.toPlainText()

    def _scroll_output_to_end(self) -> None:
        bar = self.output_edit.verticalScrollBar()
        bar.setValue(bar.maximum())

    def set_summary(self, text: str) -> None:
        """Replace the Summary tab's plain text."""
        self.summary_edit.setPlainText(text or "")

    # -- the running script's input ------------------------------------------------------
    def set_input_state(self, running: bool, available: bool = True,
                        why_not: str = "") -> None:
        """Show the input line while a script runs; ``available`` False disables it (with
        ``why_not`` as its tooltip) when the run cannot take input."""
        self.input_row.setVisible(bool(running))
        self.input_edit.setEnabled(bool(running and available))
        self.eof_button.setEnabled(bool(running and available))
        tip = why_not if not available else _("Typed lines go to the script's standard "
                                               "input")
        self.input_edit.setToolTip(tip)
        if not running:
            self.input_edit.clear()

    def _submit_input(self) -> None:
        if not self.input_edit.isEnabled():
            return
        text = self.input_edit.text()
        self.input_edit.clear()
        self.input_submitted.emit(text)

    def _request_eof(self) -> None:
        if self.input_edit.isEnabled():
            self.eof_requested.emit()
