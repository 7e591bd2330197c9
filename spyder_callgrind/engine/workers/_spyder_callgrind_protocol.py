"""What the workers and the engine agree on: the meta files, exit codes, environment and
run-folder names.

Stdlib-free constants only, so the workers import it by name (their folder is on
``sys.path`` when they run) and the engine imports it as
``spyder_callgrind.engine.workers._spyder_callgrind_protocol``.
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
#: Keys of the main process' meta naming its interpreter's standard library folders and
#: its ``sys.prefix``, ``sys.base_prefix``, ``sys.exec_prefix``.
META_STDLIB_DIRS = "stdlib_dirs"
META_SYS_PREFIXES = "sys_prefixes"
