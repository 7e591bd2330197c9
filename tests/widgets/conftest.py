"""Real profiles of small real scripts, for the widget tests.

Each script is run by ``cProfile`` in this interpreter (as ``__main__`` through ``runpy``),
dumped to a ``.prof`` file and read back with the engine's :func:`load_pstats`, so the models
see exactly what the plugin will see. The ``pstats.Stats`` of the same file is kept to check
the tables against.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cProfile  # noqa: E402
import pstats  # noqa: E402
import runpy  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
from typing import NamedTuple  # noqa: E402

import pytest  # noqa: E402

from spyder_callgrind.engine.model import ProfileData  # noqa: E402
from spyder_callgrind.engine.profiles import load_pstats  # noqa: E402

#: A package that looks installed (its path has a site-packages folder).
FAKE_PACKAGE = '''
def helper(n):
    return sum(part(i) for i in range(n))


def part(i):
    return i * i
'''

#: Recursion (primitive/total calls differ), a sleep (ms), tiny calls (ns-µs), the standard
#: library (json) and an "installed" package.
MAIN_SCRIPT = '''
import json
import time

from fakepkg import helper


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def slow():
    time.sleep(0.004)


def tiny():
    return 1


def work():
    for _ in range(50):
        tiny()
    slow()
    fib(6)
    json.dumps({"a": [1, 2, 3]})
    helper(3)


def main():
    work()
    work()


if __name__ == "__main__":
    main()
'''

#: A second, different script (the "worker" process of a two-process run).
WORKER_SCRIPT = '''
def crunch(n):
    return sorted(range(n), key=lambda x: -x)


def worker_main():
    for _ in range(3):
        crunch(2000)


if __name__ == "__main__":
    worker_main()
'''


class RealProfile(NamedTuple):
    script: str            #: absolute path of the profiled script
    prof: str              #: the .prof file cProfile wrote
    data: ProfileData      #: as the engine reads it
    stats: dict            #: pstats.Stats(prof).stats, to check against


def _profile_script(folder, name: str, source: str, site_dir: str) -> RealProfile:
    script = os.path.join(str(folder), name)
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(source))
    prof = script[:-3] + ".prof"
    sys.path.insert(0, site_dir)
    try:
        profiler = cProfile.Profile()
        profiler.runcall(runpy.run_path, script, run_name="__main__")
    finally:
        sys.path.remove(site_dir)
        sys.modules.pop("fakepkg", None)
    profiler.dump_stats(prof)
    return RealProfile(script, prof, load_pstats(prof), pstats.Stats(prof).stats)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory):
    site = tmp_path_factory.mktemp("env") / "lib" / "site-packages"
    (site / "fakepkg").mkdir(parents=True)
    (site / "fakepkg" / "__init__.py").write_text(FAKE_PACKAGE, encoding="utf-8")
    return str(site)


@pytest.fixture(scope="session")
def main_profile(tmp_path_factory, site_dir) -> RealProfile:
    """Profile of MAIN_SCRIPT."""
    return _profile_script(tmp_path_factory.mktemp("main"), "busy_script.py", MAIN_SCRIPT,
                           site_dir)


@pytest.fixture(scope="session")
def worker_profile(tmp_path_factory, site_dir) -> RealProfile:
    """Profile of WORKER_SCRIPT."""
    return _profile_script(tmp_path_factory.mktemp("worker"), "worker_script.py",
                           WORKER_SCRIPT, site_dir)


@pytest.fixture(scope="session")
def edited_runs(tmp_path_factory):
    """(before, after): real profiles of ``EDITED_BEFORE`` and ``EDITED_AFTER`` (see
    tests/helpers_profiles.py), one script edited between two runs."""
    from tests.helpers_profiles import EDITED_AFTER, EDITED_BEFORE, profile_source
    folder = tmp_path_factory.mktemp("edited")
    return profile_source(EDITED_BEFORE, folder), profile_source(EDITED_AFTER, folder)


def find_function(data: ProfileData, name: str, file_part: str = "") -> int:
    """Index of the one function called ``name`` (whose file contains ``file_part``)."""
    found = [i for i, f in enumerate(data.functions)
             if f.name == name and file_part in f.file]
    assert len(found) == 1, (name, file_part, found)
    return found[0]


def column_values(model, column, role):
    """Values of ``column`` for ``role``, in row order."""
    return [model.index(row, column).data(role) for row in range(model.rowCount())]
