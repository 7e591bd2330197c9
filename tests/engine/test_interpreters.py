"""Asking an interpreter for its standard library folders (engine/interpreters.py)."""

import os
import sys
import sysconfig

from spyder_callgrind.engine import interpreters
from spyder_callgrind.engine.interpreters import cached_paths, interpreter_paths


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
