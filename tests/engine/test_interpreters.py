"""Asking an interpreter for its standard library folders (engine/interpreters.py)."""

import os
import sys
import sysconfig

import pytest

from spyder_callgrind.engine import interpreters
from spyder_callgrind.engine.interpreters import cached_paths, interpreter_paths, paths_in_meta
from spyder_callgrind.engine.records import RecordError, RunRecord


def test_this_interpreter_answers_without_a_process():
    paths = interpreter_paths(sys.executable)
    assert os.path.join(os.path.normpath(sysconfig.get_paths()["stdlib"]), "") \
        in paths.stdlib_dirs
    assert all(p.endswith(os.sep) for p in paths.stdlib_dirs + paths.prefixes)


def test_another_interpreter_is_asked_once(tmp_path, monkeypatch):
    # A symlink is another path to a real interpreter: it gets asked in a subprocess.
    link = tmp_path / "python-link"
    os.symlink(os.path.realpath(sys.executable), link)
    assert cached_paths(str(link)) is None
    paths = interpreter_paths(str(link))
    assert paths is not None
    real = os.path.join(os.path.normpath(sysconfig.get_paths()["stdlib"]), "")
    assert os.path.realpath(paths.stdlib_dirs[0]) == os.path.realpath(real)
    monkeypatch.setattr(interpreters, "_ask", lambda exe: (_ for _ in ()).throw(
        AssertionError("asked twice")))
    assert interpreter_paths(str(link)) == paths == cached_paths(str(link))


def test_broken_interpreters_give_none(tmp_path):
    assert interpreter_paths(str(tmp_path / "missing-python")) is None
    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/sh\necho not json\n")
    fake.chmod(0o755)
    assert interpreter_paths(str(fake)) is None


def test_paths_in_meta_takes_only_lists_of_folders():
    meta = {"stdlib_dirs": ["/py/lib/python3.9", "/py/lib/python3.9/", None, 3],
            "sys_prefixes": ["/py", "/py"]}
    paths = paths_in_meta(meta)
    assert paths.stdlib_dirs == (os.path.join("/py/lib/python3.9", ""),)
    assert paths.prefixes == (os.path.join("/py", ""),)
    assert paths_in_meta({"stdlib_dirs": "/py/lib"}) is None        # not a list
    assert paths_in_meta({"stdlib_dirs": []}) is None
    assert paths_in_meta({}) is None and paths_in_meta(None) is None


def test_records_keep_the_folders_and_old_records_load_without_them():
    old = {"schema": 1, "id": "20240101-000000-ab12", "script": "/x.py"}
    assert RunRecord.from_json(old).stdlib_dirs == [] == RunRecord.from_json(old).sys_prefixes
    record = RunRecord(id="20240101-000000-ab12", script="/x.py",
                       stdlib_dirs=["/py/lib/python3.9/"], sys_prefixes=["/py/"])
    again = RunRecord.from_json(record.to_json())
    assert (again.stdlib_dirs, again.sys_prefixes) == (["/py/lib/python3.9/"], ["/py/"])
    for bad in ("/py/lib", [1], [None]):
        with pytest.raises(RecordError, match="stdlib_dirs"):
            RunRecord.from_json(dict(old, stdlib_dirs=bad))
