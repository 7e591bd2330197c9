"""A profiling run driven from Qt: ``spyder-callgrind run`` in a QProcess
(:class:`ProfileProcess`, on :class:`CommandProcess`, which imports and exports share).

The pane never profiles or converts in Spyder's own process: it starts the command line
(with Spyder's interpreter), which starts the script in the user's interpreter, converts the
profiles and keeps the run. Output arrives through Qt's event loop, so the GUI thread is never
blocked. The command's stdin carries commands, a line each (``cli._watch_stdin``): ``input
TEXT`` for the script's stdin, ``eof`` to end it, and ``stop`` (portable, unlike signals on
Windows); if Spyder goes away the command sees end-of-file and stops the script too.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from functools import partial
from typing import List, Optional, Sequence

from qtpy.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from spyder_callgrind.engine.isolated import module_command
from spyder_callgrind.engine.records import MODE_BOTH, MODES
from spyder_callgrind.engine.store import new_run_id


@dataclass
class Measure:
    """What a run measures: ``spyder-callgrind run``'s ``--mode``, ``--sample-clock``,
    ``--sample-interval`` and ``--exact-threads`` (Preferences, or a file's Run
    configuration for the mode)."""

    mode: str = MODE_BOTH              #: "exact", "sample" or "both"
    sample_clock: str = "wall"         #: "wall" or "cpu"
    sample_interval_ms: float = 4.0
    exact_threads: bool = False

    def arguments(self) -> List[str]:
        mode = self.mode if self.mode in MODES else MODE_BOTH
        args = ["--mode", mode]
        if mode != "exact":
            clock = self.sample_clock if self.sample_clock in ("wall", "cpu") else "wall"
            interval = self.sample_interval_ms if self.sample_interval_ms > 0 else 4.0
            args += ["--sample-clock", clock, "--sample-interval", f"{interval:g}"]
        if self.exact_threads and mode != "sample":
            args.append("--exact-threads")
        return args


def _end_quietly(process: QProcess, _owner=None) -> None:
    try:
        process.blockSignals(True)
        if process.state() != QProcess.NotRunning:
            process.kill()
            process.waitForFinished(2000)
    except RuntimeError:   # already deleted: nothing left to end
        pass


class CommandProcess(QObject):
    """One ``spyder-callgrind`` command in a QProcess (a run, an import, an export): its
    output and end arrive through Qt's event loop. ``start()``, then wait for ``finished``;
    subclasses give :meth:`command` and may redefine :meth:`stop`."""

    #: (run id, stream name "stdout"/"stderr", text)
    output = Signal(str, str, str)
    #: (run id, seconds elapsed) about twice a second while running
    elapsed = Signal(str, float)
    #: (run id, exit code of the command, or -1 when it could not start / crashed)
    finished = Signal(str, int)

    def __init__(self, run_id: str, cwd: str, parent: Optional[QObject] = None,
                 driver_python: Optional[str] = None):
        super().__init__(parent)
        self.run_id = run_id
        self.cwd = cwd
        self.started_at: Optional[float] = None
        self.stopping = False
        self.error_message = ""
        self._driver_python = driver_python or sys.executable
        self._process = QProcess(self)
        # Bound methods, never lambdas: PyQt drops a bound method's connection when this
        # object is deleted, while a lambda would still be called into a deleted object.
        self._process.readyReadStandardOutput.connect(self._read_stdout)
        self._process.readyReadStandardError.connect(self._read_stderr)
        self._process.finished.connect(self._on_finished)
        self._process.errorOccurred.connect(self._on_error)
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._tick)
        self._done = False
        # Deleted with its owner (a pane closed while the command runs): the QProcess,
        # deleted next, kills the command and would report that to this half-deleted
        # object. Nothing of ours may hear it (a crash in PyQt), so it goes quietly first.
        self.destroyed.connect(partial(_end_quietly, self._process))

    def command(self) -> List[str]:
        """The command line started (interpreter first)."""
        raise NotImplementedError

    def _command_of(self, args: List[str]) -> List[str]:
        # Isolated (-I): a module in the script's folder named like one the command imports
        # (argparse.py, secrets.py...) must not replace it (see engine.isolated).
        return module_command(self._driver_python, "spyder_callgrind", args)

    def start(self) -> None:
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONIOENCODING", "utf-8")
        env.insert("PYTHONUNBUFFERED", "1")
        # No PYTHONPATH of ours: the command finds this package by itself (module_command),
        # and the user's script inherits this environment, where Spyder's own packages must
        # not shadow the user's.
        self._process.setProcessEnvironment(env)
        self._process.setWorkingDirectory(self.cwd if os.path.isdir(self.cwd)
                                          else os.path.expanduser("~"))
        self.started_at = time.monotonic()
        self._timer.start()
        command = self.command()
        self._process.start(command[0], command[1:])

    @property
    def running(self) -> bool:
        # Once finished, the QProcess may already be deleted (the pane frees it).
        return not self._done and self._process.state() != QProcess.NotRunning

    def stop(self) -> None:
        """Cancel: end the command now."""
        if self.running and not self.stopping:
            self.stopping = True
            self._process.kill()

    def kill(self) -> None:
        """Stop now and wait (Spyder is closing)."""
        if self.running:
            self.stopping = True
            self._process.kill()
            self._process.waitForFinished(2000)

    def seconds(self) -> float:
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at

    # -- internals -------------------------------------------------------------------------
    def _kill_if_running(self) -> None:
        if self.running:
            self._process.kill()

    def _read_stdout(self) -> None:
        self._read("stdout")

    def _read_stderr(self) -> None:
        self._read("stderr")

    def _read(self, stream: str) -> None:
        if stream == "stdout":
            raw = bytes(self._process.readAllStandardOutput())
        else:
            raw = bytes(self._process.readAllStandardError())
        if raw:
            self.output.emit(self.run_id, stream, raw.decode("utf-8", errors="replace"))

    def _tick(self) -> None:
        self.elapsed.emit(self.run_id, self.seconds())

    def _on_finished(self, code: int, status) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        self._read("stdout")
        self._read("stderr")
        if status != QProcess.NormalExit:
            code = -1
        self.finished.emit(self.run_id, code)

    def _on_error(self, error) -> None:
        if error == QProcess.FailedToStart and not self._done:
            self._done = True
            self._timer.stop()
            self.error_message = (f"could not start {self._driver_python}: "
                                  f"{self._process.errorString()}")
            self.output.emit(self.run_id, "stderr", self.error_message + "\n")
            self.finished.emit(self.run_id, -1)


class ProfileProcess(CommandProcess):
    """One run in progress. ``start()``, then wait for ``finished``."""

    def __init__(self, script: str, args: Sequence[str] = (), *, store: str,
                 cwd: Optional[str] = None, python: Optional[str] = None,
                 children: bool = True, keep: int = 50, protect: Sequence[str] = (),
                 subprocesses: bool = False, measure: Optional[Measure] = None,
                 parent: Optional[QObject] = None, driver_python: Optional[str] = None):
        script = os.path.abspath(script)
        super().__init__(new_run_id(), cwd or os.path.dirname(script), parent,
                         driver_python)
        self.script = script
        self.args = list(args)
        self.store = store
        self.python = python
        self.children = children
        self.subprocesses = subprocesses
        self.keep = keep
        self.measure = measure or Measure()
        #: runs that retention must not prune (e.g. the one shown in the pane)
        self.protect = [p for p in protect if p]

    def command(self) -> List[str]:
        """The command line started for this run (interpreter first)."""
        args = ["run", "--store", self.store, "--id", self.run_id,
                "--control-stdin", "--keep", str(self.keep), "--top", "0",
                # the pane shows the change since the previous run itself
                "--no-compare",
                "--cwd", self.cwd]
        if self.python:
            args += ["--python", self.python]
        if not self.children:
            args.append("--no-children")
        elif self.subprocesses:
            args.append("--subprocesses")
        for run_id in self.protect:
            args += ["--protect", run_id]
        args += self.measure.arguments()
        return self._command_of(args + ["--", self.script, *self.args])

    def stop(self) -> None:
        """Ask for a stop: the script gets SIGINT, its profile up to then is kept."""
        if not self.running or self.stopping:
            return
        self.stopping = True
        self._process.write(b"stop\n")
        # If the command itself hangs, end it; the store never sees a half-written run.
        QTimer.singleShot(15000, self._kill_if_running)

    def send_input(self, text: str) -> None:
        """Send one line to the script's stdin (a newline is added); its ``input()`` gets it.
        Text with newlines is sent as several lines."""
        if not self.running:
            return
        for line in text.split("\n"):
            self._process.write(b"input " + line.encode("utf-8", "replace") + b"\n")

    def send_eof(self) -> None:
        """End the script's stdin (its ``input()`` raises EOFError, ``read()`` returns)."""
        if self.running:
            self._process.write(b"eof\n")

    def kill(self) -> None:
        """Stop now (Spyder is closing): close stdin so the command stops the script."""
        if self.running:
            self._process.write(b"stop\n")
            self._process.closeWriteChannel()
            if not self._process.waitForFinished(8000):
                self._process.kill()
                self._process.waitForFinished(2000)
