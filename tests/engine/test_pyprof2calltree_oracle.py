"""pyprof2calltree as the reference: our callgrind file carries its numbers, function by
function and call by call, with the differences our writer makes on purpose.

pyprof2calltree holds the accepted mapping from pstats to callgrind; we replace only its
output stage (see the docstring of ``spyder_callgrind.engine.callgrind``). This test runs
both commands on the same ``.prof`` files and compares what a viewer would read from each.
Deliberate differences: a function's calls to itself cost 0 in ours (its inclusive time is
not counted twice), and names are written differently (keys here are file, line, name).
"""

import os
import re
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(os.path.dirname(HERE), "data")
NAME = re.compile(r"^(fl|fi|fe|fn|cfl|cfi|cfn)=(?:\((\d+)\))?\s?(.*)$")



def _name(text):
    """A function's name without either writer's way of telling same names apart."""
    text = re.sub(r" \[[^\]]*\]$", "", text)           # ours: "run [job.py:12]"
    return re.sub(r":\d+$", "", text)                   # theirs: "run:12"


def read_calls(path, base=None):
    """{function: self cost} and {(caller, callee): (calls, inclusive cost)}, a function
    being (file, first line, name); lenient about headers, strict about costs. Relative
    file names are taken from ``base`` (ours makes them absolute, pyprof2calltree not)."""
    ids = {"fl": {}, "fn": {}}
    selfs, edges = {}, {}
    file = function = None
    callee_file = callee_name = None
    pending = None          # (callee file, callee name, count, callee line) after calls=
    last = 0                # the previous cost line's position ("*", "+n", "-n" are relative)
    with open(path, encoding="utf-8") as stream:
        for line in stream.read().splitlines():
            match = NAME.match(line)
            if match:
                kind, number, text = match.groups()
                table = ids["fn" if kind in ("fn", "cfn") else "fl"]
                if number is not None:
                    text = table.setdefault(number, text) if text else table[number]
                if base and kind in ("fl", "cfl") and text[:1] not in ("~", "<") and \
                        not os.path.isabs(text):
                    text = os.path.join(base, text)
                if kind in ("fl", "fi", "fe"):
                    file = text
                elif kind == "fn":
                    function, callee_file = text, None
                elif kind == "cfl":
                    callee_file = text
                else:
                    callee_name = text
                continue
            if line.startswith("calls="):
                count, target = line[6:].split()[:2]
                pending = (callee_file or file, callee_name, int(count), int(target))
                callee_file = None
                continue
            if not line or not (line[0].isdigit() or line[0] in "*+-"):
                continue
            where, cost = line.split()[:2]
            position = last if where == "*" else last + int(where) if where[0] in "+-" \
                else int(where)
            last, cost = position, int(cost)
            if pending is not None:
                cfile, cname, count, target = pending
                caller = current
                callee = (cfile, target, _name(cname))
                old = edges.get((caller, callee), (0, 0))
                edges[(caller, callee)] = (old[0] + count, old[1] + cost)
                pending = None
            else:
                current = (file, position, _name(function))
                selfs[current] = selfs.get(current, 0) + cost
    return selfs, edges


def convert_both(prof, folder):
    ours, theirs = os.path.join(folder, "ours.out"), os.path.join(folder, "theirs.out")
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run([sys.executable, "-m", "spyder_callgrind", "convert", prof, "-o", ours],
                   check=True, env=env, capture_output=True, timeout=120, cwd=folder)
    subprocess.run(["pyprof2calltree", "-i", prof, "-o", theirs], check=True,
                   capture_output=True, timeout=120, cwd=folder)
    return read_calls(ours), read_calls(theirs, folder)


def fresh_profile(folder):
    """A real cProfile run: recursion, same names in two files, methods, built-ins."""
    with open(os.path.join(folder, "other.py"), "w", encoding="utf-8") as stream:
        stream.write("def run(n):\n    return sorted(range(n))\n")
    script = os.path.join(folder, "main.py")
    with open(script, "w", encoding="utf-8") as stream:
        stream.write(textwrap.dedent("""\
            import json
            import other

            def fib(n):
                return n if n < 2 else fib(n - 1) + fib(n - 2)

            class Box:
                def run(self, n):
                    return [other.run(i) for i in range(n)]

            def run(n):
                return json.dumps(Box().run(n))

            fib(15)
            run(40)
        """))
    out = os.path.join(folder, "fresh.prof")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", out, script], check=True,
                   cwd=folder, capture_output=True, timeout=120)
    return out


@pytest.mark.parametrize("source", ["fresh", "prof-py3.9.prof", "prof-py3.13.prof"])
def test_same_numbers_as_pyprof2calltree(source, tmp_path):
    prof = fresh_profile(str(tmp_path)) if source == "fresh" else os.path.join(DATA, source)
    (our_self, our_edges), (their_self, their_edges) = convert_both(prof, str(tmp_path))
    assert our_self.keys() == their_self.keys()
    assert len(our_self) >= 8
    for function, cost in their_self.items():
        assert abs(our_self[function] - cost) <= 1, function
    assert our_edges.keys() == their_edges.keys()
    recursive = set()
    for (caller, callee), (calls, cost) in their_edges.items():
        our_calls, our_cost = our_edges[(caller, callee)]
        assert our_calls == calls, (caller, callee)
        if caller == callee:       # ours: a self-call costs 0 (no double count)
            recursive.add(caller[2])
            assert our_cost == 0 < cost or cost == 0
        else:
            assert abs(our_cost - cost) <= 1, (caller, callee)
    if source == "fresh":
        assert "fib" in recursive
        names = {f[2] for f in our_self}
        assert {"fib", "run", "<module>"} <= names
        assert len([f for f in our_self if f[2] == "run"]) == 3  # main, Box, other
