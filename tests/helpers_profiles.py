"""Real profiles for the tests of the stack, diff, export and view modules.

``profile_source`` runs a small program under ``python -m cProfile`` in a child interpreter
and returns its :class:`ProfileData`; ``synthetic`` builds one by hand where exact numbers
are needed. pstats files are read with ``engine.profiles.load_pstats`` when that module
exists, otherwise with the small reader below.
"""

from __future__ import annotations

import os
import pstats
import subprocess
import sys
import textwrap
from typing import Dict, List, Sequence, Tuple

from spyder_callgrind.engine.model import Edge, Function, ProfileData


def _ns(seconds: float) -> int:
    return int(round(seconds * 1e9))


def read_pstats(path: str) -> ProfileData:
    """``ProfileData`` of a pstats file (the engine's reader when it exists)."""
    try:
        from spyder_callgrind.engine.profiles import load_pstats
    except ImportError:
        return _read_pstats_locally(path)
    return load_pstats(path)


def _read_pstats_locally(path: str) -> ProfileData:
    stats = pstats.Stats(path).stats
    keys = list(stats)
    index = {key: n for n, key in enumerate(keys)}
    functions = []
    edges = []
    for key in keys:
        # Function tuple: (primitive calls, total calls, tottime, cumtime, callers).
        cc, nc, tt, ct, callers = stats[key]
        file, line, name = key
        functions.append(Function(file, line, name, cc, nc, _ns(tt), _ns(ct)))
        for caller, (e_nc, e_cc, e_tt, e_ct) in callers.items():
            # Caller tuple: (total calls, primitive calls, tottime, cumtime).
            edges.append(Edge(index[caller], index[key], e_cc, e_nc, _ns(e_tt), _ns(e_ct)))
    return ProfileData(functions, edges, description=os.path.basename(path))


def profile_source(source: str, folder, name: str = "program.py") -> ProfileData:
    """Write ``source`` to ``folder/name``, profile it with cProfile, read the result."""
    script = os.path.join(str(folder), name)
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(source))
    out = script + ".prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", out, script], check=True,
                   cwd=str(folder), stdout=subprocess.DEVNULL)
    return read_pstats(out)


def find(data: ProfileData, name: str) -> int:
    """Index of the only function called ``name`` that is not a built-in."""
    found = [i for i, f in enumerate(data.functions) if f.name == name]
    assert len(found) == 1, (name, found)
    return found[0]


def synthetic(functions: Sequence[Tuple[str, int, int, int]],
              edges: Sequence[Tuple[str, str, int, int, int]]) -> ProfileData:
    """A hand-made profile.

    ``functions``: ``(name, calls, self_ns, inclusive_ns)``; ``edges``:
    ``(caller, callee, calls, self_ns, inclusive_ns)``, by name.
    """
    index: Dict[str, int] = {}
    made: List[Function] = []
    for n, (name, calls, self_ns, inclusive_ns) in enumerate(functions):
        index[name] = n
        made.append(Function("/src/app.py", 10 * (n + 1), name, calls, calls,
                             self_ns, inclusive_ns))
    made_edges = [Edge(index[a], index[b], calls, calls, self_ns, inclusive_ns)
                  for a, b, calls, self_ns, inclusive_ns in edges]
    return ProfileData(made, made_edges, description="synthetic")


#: A small program with a mix the views should handle: recursion, one function called from
#: two places with 1:3 work, and a slow loop.
MIXED_PROGRAM = """
def spin(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def light():
    return spin(100_000)

def heavy():
    return spin(300_000)

def main():
    fib(18)
    light()
    heavy()

main()
"""


#: A script before and after an edit, for comparisons.
EDITED_BEFORE = """
def work(n):
    return sum(i * i for i in range(n))

def steady():
    return work(50_000)

def slow_later():
    total = 0
    for i in range(20_000):
        total += i
    return total

def old_name():
    return sorted(range(2000), key=lambda x: -x)

steady(); slow_later(); old_name()
"""

# Four lines added above everything (all functions move 4 down), slow_later loops 30x longer,
# old_name is renamed.
EDITED_AFTER = """
import sys  # already imported at start-up: no import machinery in the profile
# a comment
# another

def work(n):
    return sum(i * i for i in range(n))

def steady():
    return work(50_000)

def slow_later():
    total = 0
    for i in range(600_000):
        total += i
    return total

def new_name():
    return sorted(range(2000), key=lambda x: -x)

steady(); slow_later(); new_name()
"""
