"""Profile cells and selections in Spyder's IPython console (glue to the console plugin).

The console's kernel loads ``workers/_spyder_callgrind_kernel.py`` by path (it may run
another environment, without this package) and gets the ``%callgrindcell``, ``%callgrind``,
``%%callgrind`` and ``%callgrind_file`` magics; a profiled execution writes an unfinished run
into the store, which is converted here, off the GUI thread, each time the console is ready
again (``engine/cells.py``).
"""

from __future__ import annotations

import logging
import os
import shlex
import threading
from typing import Callable, Optional

from qtpy.QtCore import QObject, Signal

from spyder.api.translations import _

from spyder_callgrind.engine.cells import finish_console_runs
from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.engine.workers import WORKERS_DIR

logger = logging.getLogger(__name__)

KERNEL_MODULE = os.path.join(WORKERS_DIR, "_spyder_callgrind_kernel.py")

#: Run silently in the kernel: load our module by path (again when it changed) and register
#: the magics; it runs in a namespace of its own, so the console's variables stay as they are.
_LOADER = """\
import importlib.util, sys
module = sys.modules.get('_spyder_callgrind_kernel')
if module is None or getattr(module, '__file__', None) != path:
    spec = importlib.util.spec_from_file_location('_spyder_callgrind_kernel', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
module.install(shell, store)
"""


def loader_code(store_root: str) -> str:
    """One line of code that installs our magics in a console kernel."""
    return ("exec(%r, {'path': %r, 'store': %r, 'shell': get_ipython()})"
            % (_LOADER, KERNEL_MODULE, store_root))


class ConsoleProfiling(QObject):
    """Our magics in every console, the Cell/Selection executors' work, and the
    conversion of the runs they leave in the store."""

    #: run ids of console runs just kept (emitted in the GUI thread)
    sig_runs_finished = Signal(list)
    #: a short message for the user (no console, busy, debugging)
    sig_message = Signal(str)

    def __init__(self, store_root: Callable[[], str], parent=None):
        super().__init__(parent)
        self._store_root = store_root
        self._collecting = threading.Lock()
        self._again = False

    # -- consoles ------------------------------------------------------------------------
    def attach(self, ipyconsole) -> None:
        """Install in the consoles there are and in each new one."""
        ipyconsole.sig_shellwidget_created.connect(self._on_shellwidget)
        for client in ipyconsole.get_clients() or []:
            shellwidget = getattr(client, "shellwidget", None)
            if shellwidget is not None:
                self._on_shellwidget(shellwidget)
                if getattr(shellwidget, "spyder_kernel_ready", False):
                    self.install(shellwidget)

    def detach(self, ipyconsole) -> None:
        try:
            ipyconsole.sig_shellwidget_created.disconnect(self._on_shellwidget)
        except (TypeError, RuntimeError):
            pass

    def _on_shellwidget(self, shellwidget) -> None:
        shellwidget.sig_kernel_is_ready.connect(lambda sw=shellwidget: self.install(sw))
        shellwidget.sig_prompt_ready.connect(self.collect)

    def install(self, shellwidget) -> None:
        try:
            shellwidget.silent_execute(loader_code(self._store_root()))
        except Exception as error:    # a console going away: lose the magics, not Spyder
            logger.info("spyder-callgrind: magics not installed (%s)", error)

    # -- the Cell and Selection executors --------------------------------------------------
    def _usable_console(self, ipyconsole):
        """The current console's shell widget, or None after telling the user why not."""
        client = ipyconsole.get_current_client() if ipyconsole is not None else None
        shellwidget = getattr(client, "shellwidget", None)
        if shellwidget is None or not shellwidget.is_running():
            self.sig_message.emit(_("No IPython console to profile in: open one first."))
            return None
        if shellwidget.is_debugging():
            self.sig_message.emit(_("The console is debugging: leave the debugger, then "
                                    "profile the cell again."))
            return None
        if getattr(shellwidget, "_executing", False):
            self.sig_message.emit(_("The console is busy: profile the cell once it is "
                                    "ready."))
            return None
        if not getattr(shellwidget, "is_spyder_kernel", True):
            self.sig_message.emit(_("The console is not running a Spyder kernel, so it "
                                    "cannot profile cells."))
            return None
        return shellwidget

    def profile_cell(self, ipyconsole, run_input) -> bool:
        """Profile a cell of the editor in the current console, as Run cell runs it."""
        if run_input.get("copy"):
            return self.profile_code(ipyconsole, run_input.get("cell") or "",
                                     run_input.get("path") or "")
        shellwidget = self._usable_console(ipyconsole)
        if shellwidget is None:
            return False
        self.install(shellwidget)           # after a kernel restart, too
        ipyconsole.run_cell(run_input.get("cell") or "", run_input.get("cell_name"),
                            run_input.get("path") or "", method="callgrindcell")
        return True

    def profile_code(self, ipyconsole, code: str, path: str = "",
                     first_line: Optional[int] = None) -> bool:
        """Profile a selection (or a copied cell) in the current console."""
        if not code.strip():
            self.sig_message.emit(_("Nothing to profile: select some code first."))
            return False
        shellwidget = self._usable_console(ipyconsole)
        if shellwidget is None:
            return False
        self.install(shellwidget)
        options = ""
        if path:
            options = " --file %s --line %d" % (_quote(path), first_line or 1)
        ipyconsole.run_selection("%%callgrind" + options + "\n" + code)
        return True

    # -- runs left in the store --------------------------------------------------------------
    def collect(self) -> None:
        """Convert finished console runs, in a thread; ``sig_runs_finished`` when done.

        A call while a collection runs is never lost: it asks that thread for another pass,
        which it makes even when the call comes just before it lets go."""
        self._again = True
        if not self._collecting.acquire(blocking=False):
            return
        threading.Thread(target=self._collect, daemon=True,
                         name="spyder-callgrind console runs").start()

    def _collect(self) -> None:
        while True:
            try:
                while self._again:
                    self._again = False
                    self._collect_once()
            finally:
                self._collecting.release()
            # a collect() between the last pass and the release found the lock taken:
            # take it back for one more pass (unless that call started a thread itself)
            if not self._again or not self._collecting.acquire(blocking=False):
                return

    def _collect_once(self) -> None:
        try:
            records, problems = finish_console_runs(RunStore(self._store_root()))
        except Exception as error:      # a damaged folder: report, keep going
            records, problems = [], [str(error)]
        for problem in problems:
            logger.warning("spyder-callgrind: %s", problem)
        if records:
            self.sig_runs_finished.emit([r.id for r in records])


def _quote(path: str) -> str:
    return shlex.quote(path)
