"""What the workers and the engine agree on: the meta files, exit codes, environment,
run-folder names and the worker's command line.

It imports nothing, so the workers import it by name (their folder is on ``sys.path``
when they run, or put there for the import in a console's kernel) and the engine imports
it as ``spyder_callgrind.engine.workers._spyder_callgrind_protocol``.
"""

#: ``format`` field of every meta file, so readers can tell ours from other JSON files.
META_FORMAT = "spyder-callgrind-meta/1"
#: Exit code of ``profile_script.py`` when the script cannot start.
EXIT_CANNOT_START = 2
#: Exit code of ``profile_script.py`` when the script was interrupted (KeyboardInterrupt).
EXIT_INTERRUPTED = 130
#: Set to "1" in the profiled script's environment to follow ``[sys.executable, "x.py"]``.
SUBPROCESS_ENV = "SPYDER_CALLGRIND_SUBPROCESSES"
#: Name prefix of a run folder still being written, and the file naming its owner's pid.
INCOMPLETE_PREFIX = ".incomplete-"
OWNER_FILE = ".owner"
#: Sub-folder of a run holding the metas and ``.prof`` files.
PROFILES_DIR = "profiles"
#: Written last into a console run's folder by ``_spyder_callgrind_kernel``: its presence
#: means "ready to convert" (``engine/cells.py``).
CELL_FILE = "cell.json"
CELL_FORMAT = "spyder-callgrind-cell/1"

# -- the fields of a meta file (``<pid>.json``, ``<pid>-t<k>.json``, ``<c>.launched.json``)
FORMAT = "format"
KIND = "kind"                  #: one of the ``KIND_*`` below
PID = "pid"
PPID = "ppid"
ROLE = "role"                  #: one of the ``ROLE_*`` below; "thread <name>" for a thread
NAME = "name"                  #: multiprocessing's name of the process, or the thread's
STATUS = "status"              #: one of the ``STATUS_*`` below
MESSAGE = "message"
EXIT_CODE = "exit_code"
PROFILE = "profile"            #: its ``.prof`` file name; None until it is saved
SAMPLES = "samples"            #: its ``.samples`` file name, when it was sampled
PYTHON = "python"              #: "3.12.1"
STARTED = "started"            #: ``time.time()`` at its start
MODE = "mode"                  #: "exact", "sample" or "both"
THREAD_TIMES = "thread_times"  #: ``THREAD_TIMES_SHARED`` or "exact"
THREADS = "threads"            #: how many threads a shared profiler saw
INDEX = "index"                #: a thread's number in its process
#: The main process' interpreter's standard library folders and its ``sys.prefix``,
#: ``sys.base_prefix``, ``sys.exec_prefix``.
STDLIB_DIRS = "stdlib_dirs"
SYS_PREFIXES = "sys_prefixes"

KIND_PROCESS = "process"
KIND_THREAD = "thread"
#: Written by a parent for the multiprocessing child it started: a child that dies before
#: writing its own meta is still reported.
KIND_LAUNCHED = "launched"

ROLE_MAIN = "main"             #: the script the user asked for
ROLE_WORKER = "worker"         #: a multiprocessing child
ROLE_SUBPROCESS = "subprocess"  #: a Python the script started through ``subprocess``
ROLE_FORK = "fork"             #: a child of a bare ``os.fork()``

#: What a run records: cProfile's exact counts, stack samples, or both (the default).
MODE_EXACT = "exact"
MODE_SAMPLE = "sample"
MODE_BOTH = "both"
MODES = (MODE_EXACT, MODE_SAMPLE, MODE_BOTH)

#: How a process ended, the same words as a run's status (``engine/records.py``).
STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_STOPPED = "stopped"
STATUS_FAILED = "failed"
#: Ended by SIGTERM (a pool's ``terminate()``).
STATUS_TERMINATED = "terminated"
#: Not saved (yet): a meta still "running" without a profile is a lost process.
STATUS_RUNNING = "running"
#: What a daemon thread still running at its process' end did up to then.
STATUS_PARTIAL = "partial"
#: One profiler saw every thread of the process (Python 3.12+).
THREAD_TIMES_SHARED = "shared"


#: The worker script run by path in the user's interpreter (in the workers' folder).
WORKER_FILE = "profile_script.py"


def worker_options(out_dir, follow=True, exact_threads=False, mode=MODE_BOTH,
                   sample_clock="wall", sample_interval=0.004, role=None):
    """The options of ``profile_script.py`` (what comes before ``-- SCRIPT ARGS``), as the
    engine gives them to a run and a followed subprocess gives them to its child."""
    options = ["--out", out_dir]
    if role is not None:
        options += ["--role", role]
    if not follow:
        options.append("--no-children")
    if exact_threads:
        options.append("--exact-threads")
    return options + ["--mode", mode, "--sample-clock", sample_clock,
                      "--sample-interval", repr(float(sample_interval))]
