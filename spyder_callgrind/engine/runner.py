"""Start a script under the profiler in the user's interpreter, watch it, stop it.

The script runs in its own process group (session) through ``workers/profile_script.py``,
which leaves one ``.prof`` + ``.json`` meta per process and per thread in ``profile_dir``.
After the run, :meth:`ScriptRunner.wait` turns those metas into :class:`ProcessRecord` s,
reporting processes that died before saving as lost instead of dropping them.

No Qt and no Spyder here: the CLI and the Spyder plugin both drive this class.  A caller in
a terminal should catch ``KeyboardInterrupt`` and call :meth:`ScriptRunner.stop`: the script
is in its own session, so the terminal's Ctrl-C reaches it once, through us.
"""

from __future__ import annotations

import codecs
import glob
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from spyder_callgrind.engine.interpreters import InterpreterPaths, paths_in_meta
from spyder_callgrind.engine.records import ProcessRecord
from spyder_callgrind.engine.profiles import (
    ProfileError, load_pstats, merge_profiles, write_pstats)
from spyder_callgrind.engine.workers import WORKERS_DIR
from spyder_callgrind.engine.workers._spyder_callgrind_protocol import (  # noqa: F401
    EXIT_CANNOT_START, EXIT_INTERRUPTED, FORMAT, INDEX, KIND, KIND_LAUNCHED, KIND_PROCESS,
    KIND_THREAD, MESSAGE, META_FORMAT, MODE, MODE_BOTH, MODE_SAMPLE, NAME, PID, PPID, PROFILE,
    PYTHON, ROLE, ROLE_FORK, ROLE_MAIN, ROLE_SUBPROCESS, ROLE_WORKER, SAMPLES, STARTED, STATUS,
    STATUS_ERROR, STATUS_FAILED, STATUS_OK, STATUS_PARTIAL, STATUS_RUNNING, STATUS_STOPPED,
    SUBPROCESS_ENV, THREADS, THREAD_TIMES, THREAD_TIMES_SHARED, WORKER_FILE, worker_options)

#: The worker script run by path in the user's interpreter.
WORKER_SCRIPT = os.path.join(WORKERS_DIR, WORKER_FILE)

_WINDOWS = sys.platform == "win32"


#: Started beside the script (POSIX shell: cheap to start): if this runner dies without
#: saying "done" (SIGKILLed, crashed), its stdin pipe ends and it ends the script's process
#: group (SIGTERM, so each process saves, then SIGKILL): no script is left running unwatched.
_WATCHDOG = ('trap "" INT; IFS= read -r line; [ "$line" = done ] && exit 0; '
             'kill -s TERM -- "-$1" 2>/dev/null || exit 0; sleep 2; '
             'kill -s KILL -- "-$1" 2>/dev/null; exit 0')


class StartError(RuntimeError):
    """The run could not start; the message is short and meant for the user."""


@dataclass
class RunOutcome:
    """How a run ended and which processes it profiled."""

    exit_code: Optional[int]           #: negative: killed by that signal (POSIX)
    status: str                        #: one of ``records.STATUS_*``
    message: str                       #: short; "" for a normal end
    started: datetime
    duration: float                    #: wall seconds
    python: str
    python_version: str
    processes: List[ProcessRecord] = field(default_factory=list)
    #: One record per thread started with ``threading`` (role "thread <name>", pid of its
    #: process, profile = that thread alone); their work is also merged into their process'
    #: profile (``<pid>-all.prof``), so ``processes`` alone covers everything.
    threads: List[ProcessRecord] = field(default_factory=list)
    #: What the user must know to read the numbers (see :func:`run_notes`).
    notes: List[str] = field(default_factory=list)
    #: The folders of the interpreter that ran the script, as its main process recorded
    #: them (None: it recorded none).
    interpreter: Optional[InterpreterPaths] = None


#: Said of a run on Python 3.12+ whose processes had threads, profiled the default way.
SHARED_THREADS_NOTE = (
    "time per thread is not separated on Python 3.12+: one profiler per process counts "
    "every thread's calls exactly, but threads that ran at the same time can share each "
    "other's time (--exact-threads separates them, at several times the cost)")


class ScriptRunner:
    """Run one script under the profiler.

    ``TERM_GRACE``: seconds between the SIGTERM and the SIGKILL of a stop. ``DRAIN``: once
    the script's process has ended, how long we read its output pipes before we stop (a
    process it started in the background may hold them open for good).

    ``script``: path of the script (relative to ``cwd`` if relative); ``args``: its
    arguments; ``cwd``: working folder (default: ours); ``python``: interpreter (default:
    ``sys.executable``); ``profile_dir``: folder that receives the profiles and metas
    (created); ``output_path``: file that receives stdout and stderr as they arrive;
    ``children``: follow child processes and threads; ``on_output(stream, text)``: called
    from a reader thread with "stdout"/"stderr" and decoded text as it arrives; ``env``:
    variables added to (or, with value None, removed from) our environment;
    ``exact_threads``: on Python 3.12+, time each thread separately (a Python call per
    profiler event: several times cProfile's cost on call-heavy code; see the worker's
    ``Profilers``); ``mode``: "exact" (cProfile), "sample" (stack sampler alone) or
    "both"; ``sample_clock``: "wall" or "cpu"; ``sample_interval``: requested seconds
    between samples.
    ``argv0``: the script's path as the user typed it (its ``sys.argv[0]``).
    ``input_pipe``: the script reads its stdin from a pipe fed by :meth:`send_input` and
    closed by :meth:`close_input` (else it reads our own stdin: a terminal, a pipe, a file).
    """

    TERM_GRACE = 2.0
    DRAIN = 0.5
    #: written to the output when a process the script started still held its output pipes
    OUTPUT_CUT_NOTE = ("spyder-callgrind: output after the script ended was not captured "
                       "(a process it started still holds its output)")

    def __init__(self, script: str, args: Sequence[str] = (), *, cwd: Optional[str] = None,
                 python: Optional[str] = None, profile_dir: str,
                 output_path: Optional[str] = None, children: bool = True,
                 on_output: Optional[Callable[[str, str], None]] = None,
                 env: Optional[Mapping[str, Optional[str]]] = None,
                 subprocesses: bool = False, exact_threads: bool = False,
                 input_pipe: bool = False, mode: str = MODE_BOTH,
                 sample_clock: str = "wall", sample_interval: float = 0.004,
                 argv0: Optional[str] = None):
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self.script = os.path.join(self.cwd, script)
        #: ``sys.argv[0]`` as the user typed the script (``python x.py`` gives "x.py"),
        #: when it names the same file from the run's folder; else the full path
        self.argv0 = argv0 if argv0 and os.path.abspath(
            os.path.join(self.cwd, argv0)) == os.path.abspath(self.script) else self.script
        self.args = [str(a) for a in args]
        self.python = python or sys.executable
        self.profile_dir = os.path.abspath(profile_dir)
        self.output_path = output_path
        self.children = children
        #: also profile Pythons the script starts with subprocess ([sys.executable, "x.py"])
        self.subprocesses = subprocesses and children
        self.exact_threads = exact_threads
        self.mode = mode
        self.sample_clock = sample_clock
        self.sample_interval = sample_interval
        self.on_output = on_output
        self.env = dict(env or {})
        self.input_pipe = input_pipe
        #: True when output written after the script's process ended may have been dropped
        self.output_cut = False
        self._input_lock = threading.Lock()
        self._reading = True      # False once wait() stopped taking output
        self._proc: Optional[subprocess.Popen] = None
        self._readers: List[threading.Thread] = []
        self._out_file = None
        self._out_lock = threading.Lock()
        self._partial: Dict[str, str] = {}   # per stream: text after its last newline
        self._started: Optional[datetime] = None
        self._t0 = 0.0
        self._duration: Optional[float] = None
        self._stop_requested = False
        self._hard_killed = False
        self._terminated = False
        self._kill_timer: Optional[threading.Timer] = None
        self._outcome: Optional[RunOutcome] = None
        self._watchdog: Optional[subprocess.Popen] = None

    # -- control ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the script; raise :class:`StartError` if it cannot be started at all."""
        if self._proc is not None:
            raise StartError("this run was already started")
        if not os.path.isdir(self.cwd):
            raise StartError(f"working folder not found: {self.cwd}")
        if not os.path.isfile(self.python) or not os.access(self.python, os.X_OK):
            raise StartError(f"Python interpreter not found: {self.python}")
        if not os.path.exists(self.script):
            raise StartError(f"script not found: {self.script}")
        try:
            os.makedirs(self.profile_dir, exist_ok=True)
            if self.output_path:
                self._out_file = open(self.output_path, "a", encoding="utf-8")
        except OSError as error:
            raise StartError(f"cannot write {error.filename}: {error.strerror}") from None

        options = worker_options(self.profile_dir, self.children, self.exact_threads,
                                 self.mode, self.sample_clock, self.sample_interval)
        cmd = [self.python, WORKER_SCRIPT, *options, "--", self.argv0, *self.args]
        env = dict(os.environ)
        for key, value in self.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        if self.subprocesses:
            env[SUBPROCESS_ENV] = "1"
        else:
            env.pop(SUBPROCESS_ENV, None)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONIOENCODING"] = "utf-8"
        kwargs: Dict = {}
        if _WINDOWS:
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True
        self._started = datetime.now().astimezone()
        self._t0 = time.monotonic()
        try:
            self._proc = subprocess.Popen(
                cmd, cwd=self.cwd, env=env,
                stdin=subprocess.PIPE if self.input_pipe else None,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
        except OSError as error:
            self._close_output()
            raise StartError(f"cannot start {self.python}: "
                             f"{error.strerror or error}") from None
        for name, stream in (("stdout", self._proc.stdout), ("stderr", self._proc.stderr)):
            reader = threading.Thread(target=self._read, args=(name, stream), daemon=True,
                                      name=f"spyder-callgrind {name} reader")
            reader.start()
            self._readers.append(reader)
        self._start_watchdog()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, grace: float = 3.0) -> None:
        """Interrupt the script (SIGINT to its process group); kill it after ``grace`` s.

        Returns at once.  The profile up to the interrupt is kept: the worker saves it.
        If the script is still running after ``grace`` s, the group gets SIGTERM (our
        handlers save each profile and die: multiprocessing pools can hang for good after
        a SIGINT to every worker), then SIGKILL ``TERM_GRACE`` s later.
        """
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        self._stop_requested = True
        self._signal(signal.CTRL_BREAK_EVENT if _WINDOWS else signal.SIGINT)
        if self._kill_timer is None:
            self._kill_timer = threading.Timer(grace, self._terminate)
            self._kill_timer.daemon = True
            self._kill_timer.start()

    def send_input(self, text: str) -> bool:
        """Write ``text`` to the script's stdin (``input_pipe`` runs); False if it is closed
        (not started, ended, or the script closed its stdin)."""
        with self._input_lock:
            stream = self._proc.stdin if self._proc is not None else None
            if stream is None or stream.closed:
                return False
            try:
                stream.write(text.encode("utf-8", "surrogateescape"))
                stream.flush()
                return True
            except (OSError, ValueError):
                return False

    def close_input(self) -> None:
        """End of file on the script's stdin (``input_pipe`` runs): its ``input()`` raises
        EOFError, ``sys.stdin.read()`` returns."""
        with self._input_lock:
            stream = self._proc.stdin if self._proc is not None else None
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass

    def wait(self, timeout: Optional[float] = None) -> RunOutcome:
        """Wait for the end of the run and describe it.

        Raises ``subprocess.TimeoutExpired`` if ``timeout`` passes first.
        """
        if self._outcome is not None:
            return self._outcome
        if self._proc is None:
            raise StartError("the run was not started")
        code = self._proc.wait(timeout)
        self._duration = time.monotonic() - self._t0
        self._release_watchdog()
        if self._kill_timer is not None:
            self._kill_timer.cancel()
        self.close_input()
        self._drain()
        self._close_output()
        self._outcome = self._describe(code)
        return self._outcome

    def _drain(self) -> None:
        """Read what the ended script left in its pipes, then stop. What it wrote is in the
        pipes' buffers (64 KiB each on Linux), read at once; a process it started in the
        background inherited the pipes and may keep them open (and writing) for good: stop
        ``DRAIN`` s after the end, and say that later output was not captured."""
        deadline = time.monotonic() + self.DRAIN
        for reader in self._readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        with self._out_lock:
            self._reading = False
            self.output_cut = any(reader.is_alive() for reader in self._readers)
            leftovers = [self._partial.pop(name) for name in sorted(self._partial)]
            self._write_kept("".join(leftovers))
        if self.output_cut:
            self._write_kept(self.OUTPUT_CUT_NOTE + "\n")
            self._call_on_output("stderr", "\n" + self.OUTPUT_CUT_NOTE + "\n")

    # -- internals -----------------------------------------------------------------------------
    def _start_watchdog(self) -> None:
        if _WINDOWS:
            return
        try:
            self._watchdog = subprocess.Popen(
                ["/bin/sh", "-c", _WATCHDOG, "spyder-callgrind-watchdog",
                 str(self._proc.pid)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)
        except OSError:
            self._watchdog = None  # the run still works, only unguarded
            return
        # Release it as soon as the script ends, even if nobody calls wait(): a watchdog
        # left waiting could later signal a reused process group id.
        proc = self._proc
        threading.Thread(target=lambda: (proc.wait(), self._release_watchdog()),
                         daemon=True, name="spyder-callgrind watchdog release").start()

    def _release_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        try:
            watchdog.stdin.write(b"done\n")
            watchdog.stdin.close()
        except OSError:
            pass
        try:
            watchdog.wait(5.0)
        except subprocess.TimeoutExpired:
            watchdog.kill()

    def _signal(self, sig) -> None:
        proc = self._proc
        try:
            if _WINDOWS:
                proc.send_signal(sig)
            else:
                os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def _terminate(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            if _WINDOWS:
                self._hard_kill()
                return
            self._terminated = True
            self._signal(signal.SIGTERM)
            self._kill_timer = threading.Timer(self.TERM_GRACE, self._hard_kill)
            self._kill_timer.daemon = True
            self._kill_timer.start()

    def _hard_kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._hard_killed = True
            if _WINDOWS:
                self._proc.kill()
            else:
                self._signal(signal.SIGKILL)

    def _read(self, name: str, stream) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            text = decoder.decode(chunk, final=not chunk)
            if text:
                self._emit(name, text)
            if not chunk:
                self._keep(name, "", final=True)
                break
        stream.close()

    def _emit(self, name: str, text: str) -> None:
        if self._keep(name, text):
            self._call_on_output(name, text)

    def _call_on_output(self, name: str, text: str) -> None:
        if self.on_output is not None:
            try:
                self.on_output(name, text)
            except Exception:
                pass

    def _keep(self, name: str, text: str, final: bool = False) -> bool:
        """Append to the kept output whole lines only: stdout and stderr come through two
        pipes, so a partial line of one (``print`` writes the text, then the newline) would
        otherwise be cut in two by a line of the other. Live output is not held back.
        False (nothing kept) once :meth:`wait` has stopped taking output."""
        with self._out_lock:
            if not self._reading:
                return False
            pending = self._partial.get(name, "") + text
            if final:
                whole, self._partial[name] = pending, ""
            else:
                cut = pending.rfind("\n") + 1
                whole, self._partial[name] = pending[:cut], pending[cut:]
            self._write_kept(whole)
            return True

    def _write_kept(self, text: str) -> None:
        if text and self._out_file is not None:
            try:
                self._out_file.write(text)
                self._out_file.flush()
            except (OSError, ValueError):
                pass

    def _close_output(self) -> None:
        with self._out_lock:
            if self._out_file is not None:
                try:
                    self._out_file.close()     # a full disk fails its last flush
                except OSError:
                    pass
                self._out_file = None

    # -- outcome ---------------------------------------------------------------------------------
    def _describe(self, code: Optional[int]) -> RunOutcome:
        metas = read_metas(self.profile_dir)
        main = main_meta(metas)
        processes, threads = build_records(metas, self.profile_dir,
                                           killed=self._hard_killed, cwd=self.cwd)
        status, message = self._status(code, main, processes)
        version = (main or {}).get(PYTHON) or ""
        return RunOutcome(exit_code=code, status=status, message=message,
                          started=self._started, duration=self._duration or 0.0,
                          python=self.python, python_version=version,
                          processes=processes, threads=threads, notes=run_notes(metas),
                          interpreter=paths_in_meta(main))

    def _status(self, code, main, processes):
        main_status = (main or {}).get(STATUS)
        main_message = (main or {}).get(MESSAGE) or ""
        if main_status == STATUS_FAILED:
            return STATUS_FAILED, _failed_message(main_message)
        if self._stop_requested:
            if self._hard_killed:
                return STATUS_STOPPED, "stopped by user (killed: it ignored the interrupt)"
            if self._terminated:
                return STATUS_STOPPED, "stopped by user (terminated: it ignored the interrupt)"
            return STATUS_STOPPED, "stopped by user"
        if main is None and code == EXIT_CANNOT_START:
            return STATUS_FAILED, "the profiler could not start in this interpreter"
        if not any(p.profiled for p in processes):
            return STATUS_FAILED, (_exit_message(code) + "; no profile was saved").lstrip("; ")
        if main_status == STATUS_STOPPED or code == -getattr(signal, "SIGINT", 2):
            return STATUS_STOPPED, "interrupted (KeyboardInterrupt)"
        if code == 0:
            return STATUS_OK, ""
        if main_status == STATUS_ERROR and main_message:
            return STATUS_ERROR, main_message
        return STATUS_ERROR, _exit_message(code)


def _exit_message(code: Optional[int]) -> str:
    if code is None:
        return ""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exited with {code}"


def _failed_message(message: str) -> str:
    """'SyntaxError: invalid syntax (/p/x.py, line 3)' -> 'SyntaxError at /p/x.py line 3: ...'."""
    match = re.match(r"^(\w+): (.*) \((.+), line (\d+)\)$", message)
    if match:
        kind, text, path, line = match.groups()
        return f"{kind} at {path} line {line}: {text}"
    return message


def read_metas(profile_dir: str) -> List[dict]:
    """Every worker meta in ``profile_dir`` (other JSON files are skipped)."""
    metas = []
    for path in glob.glob(os.path.join(glob.escape(profile_dir), "*.json")):
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get(FORMAT) == META_FORMAT \
                and isinstance(data.get(PID), int):
            data["_meta"] = os.path.basename(path)
            metas.append(data)
    return metas


def main_meta(metas: List[dict]) -> Optional[dict]:
    """The meta of the run's main process (None: it never wrote one)."""
    return next((m for m in metas if m.get(KIND) == KIND_PROCESS
                 and m.get(ROLE) == ROLE_MAIN), None)


def run_notes(metas: List[dict]) -> List[str]:
    """Notes on how to read a run's numbers, from its processes' metas."""
    shared = [m for m in metas if m.get(KIND) == KIND_PROCESS
              and m.get(THREAD_TIMES) == THREAD_TIMES_SHARED and (m.get(THREADS) or 0) > 0]
    return [SHARED_THREADS_NOTE] if shared else []


def _lost_note(meta: dict, killed: bool) -> str:
    if meta.get("never_started"):
        return "ended before its profiler started (stopped or killed while starting)"
    if killed:
        return "killed before its profile was saved"
    return "ended before its profile was saved (killed, or left through os._exit)"


def build_records(metas: List[dict], profile_dir: str, killed: bool = False,
                  cwd: Optional[str] = None):
    """Process and thread records from the metas: main first, then by start time.

    ``cwd`` is the script's working folder, which relative file names in the profiles
    were recorded against.

    Children are numbered "worker 1", "worker 2"... in start order ("subprocess N" for
    Pythons started through ``subprocess``, "fork N" for bare ``os.fork()`` children).  A process whose
    threads were profiled gets ``<pid>-all.prof``, its main thread and threads merged.
    """
    procs = [m for m in metas if m.get(KIND) == KIND_PROCESS]
    thread_metas = [m for m in metas if m.get(KIND) == KIND_THREAD]
    seen = {m[PID] for m in procs}
    for launched in metas:
        # Started by its parent, but it died before it could write its own meta (stopped
        # or killed while its interpreter started): report it, never drop it.
        if launched.get(KIND) == KIND_LAUNCHED and launched[PID] not in seen:
            seen.add(launched[PID])
            procs.append({**launched, KIND: KIND_PROCESS, ROLE: ROLE_WORKER,
                          STATUS: STATUS_RUNNING, PROFILE: None, "never_started": True})
    procs.sort(key=lambda m: (m.get(ROLE) != ROLE_MAIN, m.get(STARTED) or 0, m[PID]))
    thread_metas.sort(key=lambda m: (m.get(STARTED) or 0, m.get(INDEX) or 0))

    processes: List[ProcessRecord] = []
    threads: List[ProcessRecord] = []
    by_base: Dict[str, ProcessRecord] = {}
    worker = subprocess_count = fork_count = 0
    for meta in procs:
        if meta.get(ROLE) == ROLE_MAIN:
            role = ROLE_MAIN
        elif meta.get(ROLE) == ROLE_SUBPROCESS:
            subprocess_count += 1
            role = f"subprocess {subprocess_count}"
        elif meta.get(ROLE) == ROLE_FORK:
            fork_count += 1
            role = f"fork {fork_count}"
        else:
            worker += 1
            role = f"worker {worker}"
        record = _record(meta, role, profile_dir, killed)
        if meta.get(STATUS) == STATUS_FAILED:
            record.profiled = False
            record.note = meta.get(MESSAGE) or "could not start"
        processes.append(record)
        by_base[meta["_meta"][:-len(".json")]] = record
    for meta in thread_metas:
        threads.append(_record(meta, meta.get(ROLE) or "thread", profile_dir, killed))

    for base, record in by_base.items():
        parts = [t.profile for t in threads
                 if t.profile and t.pid == record.pid and t.profile.startswith(base + "-t")]
        if record.profile and parts:
            merged = f"{base}-all.prof"
            if _merge(profile_dir, [record.profile] + parts, merged, cwd):
                record.profile = merged
    return processes, threads


def _record(meta: dict, role: str, profile_dir: str, killed: bool) -> ProcessRecord:
    profile = meta.get(PROFILE)
    samples = meta.get(SAMPLES)
    if not (isinstance(samples, str) and os.path.isfile(os.path.join(profile_dir, samples))):
        samples = None
    profiled = bool(profile) and os.path.isfile(os.path.join(profile_dir, profile))
    if not profiled and samples and meta.get(MODE) == MODE_SAMPLE:
        profiled = True                      # sampled alone: its samples are its profile
        profile = None
    note = ""
    if not profiled and meta.get(STATUS) != STATUS_FAILED:
        profile = None
        note = _lost_note(meta, killed)
    elif meta.get(STATUS) == STATUS_PARTIAL:
        note = meta.get(MESSAGE) or ""
    return ProcessRecord(pid=meta[PID], role=role, ppid=meta.get(PPID),
                         name=meta.get(NAME) or "", profile=profile, profiled=profiled,
                         note=note, samples=samples)


def _merge(profile_dir: str, names: List[str], merged: str, cwd: Optional[str]) -> bool:
    """Write the sum of a process' per-thread profiles as ``merged``; False if one of
    them cannot be read (the process then keeps its main thread's profile)."""
    try:
        data = merge_profiles([load_pstats(os.path.join(profile_dir, n), base_dir=cwd)
                               for n in names])
        write_pstats(data, os.path.join(profile_dir, merged))
    except (ProfileError, OSError):
        return False
    return True
