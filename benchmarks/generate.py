"""Profiles to benchmark with: synthetic pstats files of any size, and a real large profile.

``synthetic_profile(n)`` builds a pstats dictionary of ``n`` functions that looks like a real
program's: functions spread over files (absolute paths, a few hundred functions per file),
about 15 % built-ins (file ``~``, line 0), calls that form a DAG from ``<module>`` downwards
with a heavy-tailed fan-in (a few helpers are called from thousands of places), self- and
mutual recursion (primitive calls below total calls), and times that add up the way cProfile's
do (a function's cumulative time is its own time plus its calls' cumulative times, a caller
record's times are the callee's times shared out by calls). ``write_synthetic(path, n)``
writes it with ``marshal`` exactly as ``pstats.Stats.dump_stats`` does, so ``pstats.Stats``,
pyprof2calltree and our reader all load it.

``write_real_program(folder, n)`` writes a Python package of ``n`` generated functions that
call each other (and built-ins and the standard library), and ``profile_real_program`` runs it
under ``cProfile`` for real and dumps the ``.prof``.

Run as a script to write the files: ``python benchmarks/generate.py OUT_DIR 1000 10000``.
"""

from __future__ import annotations

import marshal
import os
import random
import subprocess
import sys
from typing import Dict, List, Tuple

FUNCTIONS_PER_FILE = 250
BUILTIN_SHARE = 0.15
BUILTIN_NAMES = (
    "<built-in method builtins.len>", "<built-in method builtins.isinstance>",
    "<method 'append' of 'list' objects>", "<method 'get' of 'dict' objects>",
    "<built-in method builtins.getattr>", "<method 'join' of 'str' objects>",
    "<built-in method math.sqrt>", "<method 'items' of 'dict' objects>",
    "<built-in method builtins.sorted>", "<method 'format' of 'str' objects>",
)
NAME_PARTS = ("load", "parse", "compute", "update", "render", "check", "merge", "visit",
              "build", "apply", "read", "write", "step", "walk", "fit", "score")


def _edge_times(total_calls: int, prim_calls: int, tt: float, ct: float) -> tuple:
    # pstats caller records are (total calls, primitive calls, tt, ct)
    return (total_calls, prim_calls, tt, ct)


def synthetic_profile(n: int, seed: int = 1) -> Dict[tuple, tuple]:
    """A pstats dictionary of ``n`` functions (see module docstring)."""
    rng = random.Random(seed)
    keys: List[tuple] = []
    n_builtin = max(1, int(n * BUILTIN_SHARE))
    n_python = n - n_builtin
    n_files = max(1, n_python // FUNCTIONS_PER_FILE)
    files = [f"/home/user/project/pkg{k // 40}/module_{k}.py" for k in range(n_files)]
    # functions 0..n_python-1 are Python functions in topological order (callers first)
    keys.append((files[0], 1, "<module>"))
    seen = set(keys)
    for i in range(1, n_python):
        file = files[rng.randrange(n_files)] if i > 1 else files[0]
        name = f"{rng.choice(NAME_PARTS)}_{rng.choice(NAME_PARTS)}_{i}"
        if rng.random() < 0.03:
            name = rng.choice(("__init__", "__call__", "run", "get"))  # clashing names
        key = (file, 10 + (i * 7) % 4000, name)
        if key in seen:
            key = (file, key[1], f"{name}_{i}")
        seen.add(key)
        keys.append(key)
    builtins = []
    for j in range(n_builtin):
        base = BUILTIN_NAMES[j % len(BUILTIN_NAMES)]
        builtins.append(("~", 0, base if j < len(BUILTIN_NAMES) else f"{base[:-1]} #{j}>"))
    keys.extend(builtins)

    # call edges: (caller, callee) -> calls. Each function but <module> gets 1..k callers
    # among earlier functions; callers are chosen with a preference for "hub" functions,
    # and callees of many callers (fan-in) are picked from a heavy-tailed distribution.
    edges: Dict[Tuple[int, int], int] = {}
    for callee in range(1, n_python):
        fan_in = 1 + int(rng.paretovariate(1.6)) if rng.random() < 0.2 else 1
        for _ in range(min(fan_in, callee, 200)):
            caller = int(callee * rng.random() ** 2)  # bias towards early (high) callers
            edges[(caller, callee)] = edges.get((caller, callee), 0) + rng.randint(1, 20)
    for b in range(n_builtin):
        callee = n_python + b
        fan_in = 1 + int(rng.paretovariate(1.2)) if b < 50 else rng.randint(1, 3)
        for _ in range(min(fan_in, 2000)):
            caller = rng.randrange(n_python)
            edges[(caller, callee)] = edges.get((caller, callee), 0) + rng.randint(1, 50)
    # recursion: self-calls (total > primitive), and a few mutual recursion pairs
    recursive = {rng.randrange(1, n_python) for _ in range(max(1, n // 100))}
    for i in recursive:
        edges[(i, i)] = rng.randint(2, 100)
    mutual = []
    for _ in range(max(1, n // 500)):
        a = rng.randrange(1, n_python - 1)
        b = rng.randrange(a + 1, n_python)
        edges[(a, b)] = edges.get((a, b), 0) + rng.randint(1, 5)
        edges[(b, a)] = edges.get((b, a), 0) + rng.randint(1, 5)
        mutual.append((b, a))

    # totals per function
    total_calls = [0] * n
    prim_calls = [0] * n
    callers_of: List[List[Tuple[int, int]]] = [[] for _ in range(n)]
    callees_of: List[List[Tuple[int, int]]] = [[] for _ in range(n)]
    back = set(mutual)
    for (caller, callee), calls in edges.items():
        callers_of[callee].append((caller, calls))
        callees_of[caller].append((callee, calls))
        total_calls[callee] += calls
        if caller != callee and (caller, callee) not in back:
            prim_calls[callee] += calls
    total_calls[0] = prim_calls[0] = 1
    tt = [0.0] * n
    for i in range(n):
        per_call = rng.lognormvariate(-12, 2.0)    # ~6 µs median, long tail
        tt[i] = min(per_call * max(total_calls[i], 1), 5.0)
    # cumulative times bottom-up (callees have larger indices, built-ins call nothing);
    # recursive and back edges carry no extra time, as cProfile counts them once
    ct = list(tt)
    share_ct: Dict[Tuple[int, int], float] = {}
    share_tt: Dict[Tuple[int, int], float] = {}
    for callee in range(n - 1, -1, -1):
        if callee < n_python:
            ct[callee] = tt[callee] + sum(
                share_ct[(callee, c)] for c, _calls in callees_of[callee]
                if c != callee and (callee, c) not in back)
        calls_in = sum(calls for caller, calls in callers_of[callee]) or 1
        for caller, calls in callers_of[callee]:
            share = calls / calls_in
            share_ct[(caller, callee)] = ct[callee] * share
            share_tt[(caller, callee)] = tt[callee] * share
    stats = {}
    for i, key in enumerate(keys):
        callers = {}
        for caller, calls in callers_of[i]:
            recursive_edge = caller == i or (i, caller) in back
            callers[keys[caller]] = _edge_times(
                calls, 0 if recursive_edge else calls, share_tt[(caller, i)],
                0.0 if recursive_edge else share_ct[(caller, i)])
        stats[key] = (prim_calls[i] or total_calls[i] or 1, total_calls[i] or 1, tt[i], ct[i],
                      callers)
    return stats


def write_synthetic(path: str, n: int, seed: int = 1) -> str:
    """Write a synthetic profile of ``n`` functions to ``path`` (as ``dump_stats`` does)."""
    stats = synthetic_profile(n, seed)
    temp = path + ".tmp"
    with open(temp, "wb") as handle:
        marshal.dump(stats, handle)
    os.replace(temp, path)
    return path


# -- a real program ------------------------------------------------------------------------

_MODULE_HEAD = '''"""Generated for the spyder-callgrind benchmarks."""
import math
import json

'''


def write_real_program(folder: str, n: int = 20_000, per_module: int = 500,
                       seed: int = 2) -> str:
    """Write package ``benchpkg`` (``n`` functions in modules of ``per_module``) and a
    ``main.py`` that drives it; returns the path of ``main.py``."""
    rng = random.Random(seed)
    package = os.path.join(folder, "benchpkg")
    os.makedirs(package, exist_ok=True)
    n_modules = max(1, n // per_module)
    with open(os.path.join(package, "__init__.py"), "w") as handle:
        handle.write("")
    for m in range(n_modules):
        lines = [_MODULE_HEAD]
        imports = sorted({rng.randrange(m, n_modules) for _ in range(4)} - {m})
        for other in imports:
            lines.append(f"from benchpkg import mod_{other}\n")
        lines.append("\n")
        for k in range(per_module):
            i = m * per_module + k
            calls = []
            for _ in range(rng.choice((0, 1, 2, 2, 3))):
                j = rng.randrange(i + 1, min(n, i + 3000)) if i + 1 < n else None
                if j is None:
                    break
                jm = j // per_module
                target = f"f_{j}" if jm == m else (
                    f"mod_{jm}.f_{j}" if jm in imports else None)
                if target:
                    calls.append(f"    if depth:\n        total += {target}(depth - 1)\n")
            body = [f"def f_{i}(depth):\n", f"    total = {i % 7}\n"]
            kind = i % 5
            if kind == 0:
                body.append("    total += int(math.sqrt(len(str(depth)) + 1))\n")
            elif kind == 1:
                body.append("    total += len(json.dumps([depth, 1]))\n")
            elif kind == 2:
                body.append("    total += sum(range(depth + 3))\n")
            elif kind == 3 and i % 15 == 3:
                body.append(f"    if depth > 1:\n        total += f_{i}(depth - 2)\n")
            body.extend(calls)
            body.append("    return total\n\n\n")
            lines.extend(body)
        with open(os.path.join(package, f"mod_{m}.py"), "w") as handle:
            handle.write("".join(lines))
    main = os.path.join(folder, "main.py")
    with open(main, "w") as handle:
        handle.write(
            "import importlib\n\n"
            f"N_MODULES = {n_modules}\nPER_MODULE = {per_module}\n\n\n"
            "def main():\n"
            "    total = 0\n"
            "    for m in range(N_MODULES):\n"
            "        module = importlib.import_module(f'benchpkg.mod_{m}')\n"
            "        for k in range(PER_MODULE):\n"
            "            total += getattr(module, f'f_{m * PER_MODULE + k}')(3)\n"
            "    return total\n\n\n"
            "if __name__ == '__main__':\n"
            "    print(main())\n")
    return main


def profile_real_program(folder: str, out: str, n: int = 20_000) -> str:
    """Generate the program (if needed) and profile it with ``python -m cProfile -o``."""
    main = os.path.join(folder, "main.py")
    if not os.path.exists(main):
        write_real_program(folder, n)
    subprocess.run([sys.executable, "-m", "cProfile", "-o", os.path.abspath(out), "main.py"],
                   cwd=folder, check=True, stdout=subprocess.DEVNULL)
    return out


if __name__ == "__main__":
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for size in sys.argv[2:]:
        print(write_synthetic(os.path.join(out_dir, f"synthetic-{size}.prof"), int(size)))
