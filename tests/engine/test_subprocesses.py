"""Pythons the script starts with ``subprocess``: profiled on request, never broken."""

import json
import os
import pstats
import sys

import pytest

from tests.engine.test_cli import cli, only_run, write

PARENT = """
    import os, subprocess, sys
    here = os.path.dirname(os.path.abspath(__file__))
    result = subprocess.run([sys.executable, os.path.join(here, "child.py"), "a b"],
                            capture_output=True, text=True)
    print("child said:", result.stdout.strip(), result.returncode)
    print("inline:", subprocess.run([sys.executable, "-c", "print(6 * 7)"],
                                    capture_output=True, text=True).stdout.strip())
"""
CHILD = """
    import sys
    def child_work(n):
        return sum(range(n))
    for _ in range(7):
        child_work(100)
    print("hi", sys.argv[1:], __name__)
    sys.exit(3)
"""

PYTHONS = [sys.executable] + [
    p for p in ("/root/.pyenv/versions/3.9.18/bin/python",
                "/root/.pyenv/versions/3.13.0/bin/python") if os.path.isfile(p)]


def calls_of(folder, process, name):
    stats = pstats.Stats(os.path.join(folder, process["profile"])).stats
    return sum(v[1] for k, v in stats.items() if k[2] == name)


@pytest.mark.parametrize("python", PYTHONS, ids=os.path.basename)
def test_subprocess_python_is_profiled_when_asked(tmp_path, python):
    write(tmp_path, "child.py", CHILD)
    parent = write(tmp_path, "parent.py", PARENT)
    store = tmp_path / "store"
    result = cli(store, "run", "--subprocesses", "--python", python, parent, check=0)
    # The child behaves exactly as without us: its output, argv, __name__, exit status.
    assert "child said: hi ['a b'] __main__ 3" in result.stdout
    assert "inline: 42" in result.stdout
    record, folder = only_run(store)
    roles = [p["role"] for p in record["processes"]]
    assert roles == ["main", "subprocess 1"], roles   # `-c` is not followed
    child = record["processes"][1]
    assert child["profiled"] and child["ppid"] == record["processes"][0]["pid"]
    assert calls_of(folder, child, "child_work") == 7
    assert calls_of(folder, record["processes"][0], "child_work") == 0


def test_subprocess_python_is_left_alone_by_default(tmp_path):
    write(tmp_path, "child.py", CHILD)
    parent = write(tmp_path, "parent.py", PARENT)
    store = tmp_path / "store"
    result = cli(store, "run", parent, check=0)
    assert "child said: hi ['a b'] __main__ 3" in result.stdout
    record, _folder = only_run(store)
    assert [p["role"] for p in record["processes"]] == ["main"]


def test_show_selects_a_subprocess(tmp_path):
    write(tmp_path, "child.py", CHILD)
    parent = write(tmp_path, "parent.py", PARENT)
    store = tmp_path / "store"
    cli(store, "run", "--subprocesses", parent, check=0)
    shown = json.loads(cli(store, "show", "last", "--process", "subprocess 1", "--json",
                           "--top", "50", check=0).stdout)
    assert any(f["name"] == "child_work" and f["total_calls"] == 7
               for f in shown["functions"])
