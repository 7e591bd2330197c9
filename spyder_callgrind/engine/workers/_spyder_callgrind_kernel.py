"""Profile code in Spyder's IPython console: cells, selections, statements and files.

Loaded by path into the console's kernel by the Spyder plugin (stdlib only, Python 3.9-3.13:
the console may run another environment, without spyder-callgrind installed).
``install(shell, store)`` registers the magics:

* ``%callgrindcell -n NAME FILE`` / ``-i INDEX FILE``: what "Profile cell to callgrind" sends;
  the arguments of Spyder's ``%runcell``, and the cell runs the way ``%runcell`` runs it
  (spyder-kernels fetches the code from the editor and runs it in the console's namespace).
* ``%callgrind STATEMENT`` and ``%%callgrind [--name NAME] [--file FILE --line N]`` (the
  selection, with where it came from, so tracebacks and costs point at the file's lines).
* ``%callgrind_file SCRIPT [ARGS]``: the arguments of ``%runfile``, as ``%profilefile``.

Each profiled execution is written as an unfinished run of the store, the layout a script's
run has while it runs (``.incomplete-<id>/``, its ``.owner`` naming this kernel's pid):
``profiles/`` holds the metas and ``.prof`` files of ``_spyder_callgrind_tracker`` and, last,
``cell.json`` says where the code came from and how it ended.  Spyder (or the command line)
turns a folder with a ``cell.json`` into a kept run (``engine/cells.py``).

Threads the code starts are profiled; multiprocessing workers are not: patching a kernel
that lives on after the cell is not safe, and the run says so.  An interrupt (the console's
stop button, Ctrl+C) keeps the profile made up to then.
"""

import importlib
import os
import secrets
import shlex
import sys
import threading
import time

#: Said of every console run.
NO_WORKERS_NOTE = ("multiprocessing workers are not followed in the console (a kernel that "
                   "lives on cannot be patched safely): profile the file to follow them")

#: Said of console runs on Python 3.12+, where one profiler sees every thread.
KERNEL_THREADS_NOTE = ("on Python 3.12+ one profiler sees every thread of the kernel: calls "
                       "made meanwhile by the console's own threads (its output, its event "
                       "loop) can appear in this profile")

_WORKERS_DIR = os.path.dirname(os.path.abspath(__file__))


def _import_ours(name):
    """One of our worker modules, imported from its folder without leaving it on
    ``sys.path`` (and without picking up a module of the console's working folder)."""
    if name in sys.modules:
        return sys.modules[name]
    path = sys.path[:]
    sys.path[:] = [_WORKERS_DIR] + [p for p in path if p not in ("", os.getcwd())]
    try:
        return importlib.import_module(name)
    finally:
        sys.path[:] = path


protocol = _import_ours("_spyder_callgrind_protocol")


def new_run_id():
    """The store's run id: sortable start time and a random suffix (as ``store.new_run_id``)."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


class ConsoleRun:
    """One profiled execution in this kernel, written into the store as it goes."""

    def __init__(self, store, origin, file="", first_line=1):
        # Imported at the first profiled execution, not when the magics are installed: a
        # console that never profiles does not load the profilers.
        self.tracking = _import_ours("_spyder_callgrind_tracker")
        self.state = _import_ours("_spyder_callgrind_state").current
        self.threads = _import_ours("_spyder_callgrind_threads")
        self.id = new_run_id()
        self.folder = os.path.join(store, protocol.INCOMPLETE_PREFIX + self.id)
        self.origin = origin
        self.file = file
        self.first_line = first_line
        self.status, self.message, self.exit_code = protocol.STATUS_OK, "", 0
        self.started = time.time()
        self.tracker = None
        self.error = None           # what the profiled code raised

    def __enter__(self):
        os.makedirs(os.path.join(self.folder, protocol.PROFILES_DIR))
        with open(os.path.join(self.folder, protocol.OWNER_FILE), "w") as f:
            f.write(str(os.getpid()))
        # Exact counts and stack samples, as a script's default run has them.
        self.tracker = self.tracking.Tracker(os.path.join(self.folder, protocol.PROFILES_DIR),
                                             follow=True, mode=protocol.MODE_BOTH)
        # The kernel's own threads (its output, heartbeat, history) are not the code's.
        main = threading.main_thread()
        self.tracker.skip_threads = [t.ident for t in threading.enumerate() if t is not main]
        extra = {"argv": [self.origin]}
        extra.update(self.tracking.interpreter_meta())
        self.tracker.begin_process(protocol.ROLE_MAIN, "MainProcess", start_profile=False,
                                   extra=extra)
        self.threads.patch_threads()
        self.state.tracker = self.tracker         # threads started from now are followed
        return self

    def exec_function(self, code, glob=None, loc=None):
        """``exec`` under the profiler (the ``exec_fun`` spyder-kernels' runners take)."""
        __tracebackhide__ = True          # IPython leaves this frame out of tracebacks
        self.tracker.start_profile()
        try:
            return exec(code, glob, loc)
        except BaseException as error:
            self.error = error
            raise
        finally:
            self.tracker.stop_profile(keep_for_threads=False)
            self._note_outcome()

    def _note_outcome(self):
        """Status and message from the exception the code raised (profiler stopped)."""
        error = self.error
        if error is None:
            return
        if isinstance(error, KeyboardInterrupt):
            self._interrupted()
        elif isinstance(error, SystemExit):
            if error.code:
                self.status, self.message, self.exit_code = protocol.STATUS_ERROR, "SystemExit", 1
        else:
            first = str(error).splitlines()
            self.status, self.exit_code = protocol.STATUS_ERROR, 1
            self.message = type(error).__name__ + (": " + first[0] if first else "")

    def _interrupted(self):
        self.status, self.message = protocol.STATUS_STOPPED, "interrupted"
        self.exit_code = protocol.EXIT_INTERRUPTED

    def __exit__(self, kind, error, tb):
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            self._interrupted()
        try:
            self.tracker.end_process(self.status, self.exit_code, self.message)
        except OSError as problem:
            self.tracking.report_save_error("the profile could not be saved", problem)
        finally:
            if self.state.tracker is self.tracker:
                self.state.tracker = None
        cell = {
            "format": protocol.CELL_FORMAT, "origin": self.origin, "file": self.file,
            "first_line": self.first_line, "cwd": os.getcwd(), "status": self.status,
            "message": self.message, "exit_code": self.exit_code, "started": self.started,
            "duration": time.time() - self.started, "python": sys.executable,
            "python_version": self.tracking.python_version(),
            "notes": [NO_WORKERS_NOTE] + ([KERNEL_THREADS_NOTE]
                                          if self.tracker.profilers.shared else []),
        }
        try:
            self.tracking.write_json(os.path.join(self.folder, protocol.CELL_FILE), cell)
        except OSError as problem:
            self.tracking.report_save_error("the run could not be saved", problem)
        return False


class _Magics:
    """The magics, bound to one shell and one store folder."""

    def __init__(self, shell, store):
        self.shell = shell
        self.store = store

    def _runner(self):
        runner = self.shell.magics_manager.registry.get("SpyderCodeRunner")
        if runner is None:
            raise RuntimeError("this console does not run a Spyder kernel")
        return runner

    def callgrindcell(self, line, local_ns=None):
        """Profile a cell of the editor (arguments of ``%runcell``)."""
        runner = self._runner()
        args = runner._parse_runcell_argstring(runner.runcell, line)
        name = args.cell_id
        where = ("cell %d" % (name + 1)) if isinstance(name, int) else "cell '%s'" % name
        origin = "%s: %s" % (os.path.basename(args.canonic_filename), where)
        with ConsoleRun(self.store, origin, args.canonic_filename) as run:
            return runner._exec_cell(
                cell_id=args.cell_id, filename=args.filename,
                canonic_filename=args.canonic_filename, exec_fun=run.exec_function,
                post_mortem=args.post_mortem, context_globals=self.shell.user_ns,
                context_locals=local_ns)

    def callgrind_file(self, line, local_ns=None):
        """Profile a script in the console (arguments of ``%runfile``)."""
        runner = self._runner()
        args, local_ns = runner._parse_runfile_argstring(runner.runfile, line, local_ns)
        origin = "%s (console)" % os.path.basename(args.canonic_filename)
        with ConsoleRun(self.store, origin, args.canonic_filename) as run:
            return runner._exec_file(
                filename=args.filename, canonic_filename=args.canonic_filename,
                wdir=args.wdir, current_namespace=args.current_namespace, args=args.args,
                exec_fun=run.exec_function, post_mortem=args.post_mortem,
                context_globals=args.namespace, context_locals=local_ns)

    def callgrind(self, line, cell=None, local_ns=None):
        """``%callgrind STATEMENT``, or ``%%callgrind [--name N] [--file F --line L]``."""
        name, file, first = "console", "", 1
        if cell is None:
            code = line
        else:
            code = cell
            options = shlex.split(line)
            while options:
                option = options.pop(0)
                value = options.pop(0) if options else ""
                if option == "--name":
                    name = value
                elif option == "--file":
                    file = value
                elif option == "--line":
                    first = int(value) if value.isdigit() else 1
                else:
                    print("%%callgrind: unknown option %s (use --name, --file, --line)"
                          % option)
                    return None
        if not code.strip():
            print("Nothing to profile.")
            return None
        if file and name == "console":
            name = "%s: lines %d-%d" % (os.path.basename(file), first,
                                        first + code.rstrip().count("\n"))
        __tracebackhide__ = True
        # Blank lines first: costs and tracebacks point at the file's own lines.  Code typed
        # in the console gets a name of IPython's cache, so tracebacks can show its lines.
        source = "\n" * (first - 1) + code
        try:
            compiled = compile(source, file or self.shell.compile.cache(source), "exec")
        except SyntaxError:
            self.shell.showsyntaxerror()
            return None
        try:
            with ConsoleRun(self.store, name, file, first) as run:
                run.exec_function(compiled, self.shell.user_ns, local_ns)
        except SystemExit as error:
            if error.code:
                self.shell.showtraceback(exception_only=True)
        except BaseException:
            self.shell.showtraceback()
        return None


def install(shell, store):
    """Register our magics in ``shell`` (again after a kernel restart: it is idempotent)."""
    magics = _Magics(shell, store)

    def callgrindcell(line, local_ns=None):
        return magics.callgrindcell(line, local_ns)

    def callgrind_file(line, local_ns=None):
        return magics.callgrind_file(line, local_ns)

    def callgrind(line, cell=None, local_ns=None):
        return magics.callgrind(line, cell, local_ns)

    for function, kind in ((callgrindcell, "line"), (callgrind_file, "line"),
                           (callgrind, "line_cell")):
        function.needs_local_scope = True     # IPython passes the caller's namespace
        function.__doc__ = getattr(_Magics, function.__name__).__doc__
        shell.register_magic_function(function, kind, function.__name__)
    return magics
