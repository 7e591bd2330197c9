"""The worker run by path in the user's interpreter, on every installed Python 3.9-3.13."""

import json
import os
import pstats
import signal
import subprocess
import sys
import textwrap

import pytest

from spyder_callgrind.engine.workers import WORKERS_DIR

WORKER = os.path.join(WORKERS_DIR, "profile_script.py")


def run(python, script, args=(), out=None, cwd=None, extra=()):
    out = out or os.path.join(os.path.dirname(script), "out")
    os.makedirs(out, exist_ok=True)
    proc = subprocess.run([python, WORKER, "--out", out, *extra, "--", script, *args],
                          capture_output=True, text=True, encoding="utf-8",
                          cwd=cwd or os.path.dirname(script), timeout=120)
    metas = []
    for name in sorted(os.listdir(out)):
        if name.endswith(".json"):
            with open(os.path.join(out, name), encoding="utf-8") as f:
                metas.append(json.load(f))
    return proc, out, metas


def main_meta(metas):
    [meta] = [m for m in metas if m["role"] == "main"]
    return meta


def calls(out, meta, name):
    stats = pstats.Stats(os.path.join(out, meta["profile"])).stats
    return sum(v[1] for k, v in stats.items() if k[2] == name)


def write(path, source):
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source))
    return str(path)


PROBE = """
    import json, os, sys
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    if __name__ == "__main__":
        fib(10)
        print(json.dumps({"argv": sys.argv, "path0": sys.path[0], "file": __file__,
                          "name": __name__, "main": sys.modules["__main__"].__dict__ is globals(),
                          "mods": sorted(m for m in sys.modules if "callgrind" in m and m.startswith("spyder")),
                          "path": sys.path}))
"""


def test_main_semantics_argv_path(python, tmp_path):
    folder = tmp_path / "dir with spaces é"
    folder.mkdir()
    script = write(folder / "prøbe script.py", PROBE)
    proc, out, metas = run(python, script, ["a b", "ü", "--out", "x"], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["argv"] == [script, "a b", "ü", "--out", "x"]
    assert seen["path0"] == str(folder)
    assert seen["file"] == script
    assert seen["name"] == "__main__" and seen["main"]
    assert WORKERS_DIR not in seen["path"]
    meta = main_meta(metas)
    assert meta["status"] == "ok" and meta["exit_code"] == 0
    assert calls(out, meta, "fib") == 177
    assert meta["profile"] == "%d.prof" % meta["pid"]


def test_user_module_named_like_ours_is_not_shadowed(python, tmp_path):
    write(tmp_path / "profile_script.py", "WHO = 'user'\n")
    script = write(tmp_path / "s.py", "import profile_script\nprint(profile_script.WHO)\n")
    proc, out, metas = run(python, script)
    assert proc.stdout.strip() == "user", proc.stderr


def test_main_meta_records_the_interpreters_folders(python, tmp_path):
    # What the run keeps is what asking the interpreter afterwards gives (the fallback for
    # runs kept before), normalised the same way.
    from spyder_callgrind.engine.interpreters import _ask, paths_in_meta
    script = write(tmp_path / "s.py", "print('ran')\n")
    proc, out, metas = run(python, script)
    assert proc.returncode == 0, proc.stderr
    recorded = paths_in_meta(main_meta(metas))
    assert recorded is not None and recorded == _ask(python)
    version = "python%d.%d" % tuple(int(x) for x in main_meta(metas)["python"].split(".")[:2])
    assert any(d.rstrip(os.sep).endswith(version) for d in recorded.stdlib_dirs)


def test_users_sysconfig_is_not_shadowed_by_ours(python, tmp_path):
    # The worker imports sysconfig (to record the folders) before the script runs.
    write(tmp_path / "sysconfig.py", "WHO = 'user'\n")
    script = write(tmp_path / "s.py", "import sysconfig\nprint(sysconfig.WHO)\n")
    proc, out, metas = run(python, script)
    assert proc.stdout.strip() == "user", proc.stderr


@pytest.mark.parametrize("code, expected", [("sys.exit(3)", 3), ("sys.exit()", 0),
                                            ("sys.exit('bye')", 1), ("raise SystemExit(0)", 0)])
def test_sys_exit_keeps_profile(python, tmp_path, code, expected):
    script = write(tmp_path / "s.py", "import sys\ndef f():\n    pass\nf()\n" + code + "\n")
    proc, out, metas = run(python, script)
    assert proc.returncode == expected
    meta = main_meta(metas)
    assert meta["exit_code"] == expected
    assert meta["status"] == ("ok" if expected == 0 else "error")
    assert calls(out, meta, "f") == 1
    if code == "sys.exit('bye')":
        assert proc.stderr.strip() == "bye"


def test_exception_traceback_has_no_frames_of_ours(python, tmp_path):
    script = write(tmp_path / "s.py", """\
        def g():
            return 1 / 0
        def f():
            try:
                g()
            except ZeroDivisionError as e:
                raise ValueError("bad value") from e
        f()
    """)
    proc, out, metas = run(python, script)
    assert proc.returncode == 1
    assert "profile_script" not in proc.stderr and "callgrind" not in proc.stderr
    assert proc.stderr.startswith('Traceback (most recent call last):\n  File "%s", line 5'
                                  % script), proc.stderr
    assert 'Traceback (most recent call last):\n  File "%s", line 8, in <module>' % script \
        in proc.stderr
    assert proc.stderr.rstrip().endswith("ValueError: bad value")
    assert "ZeroDivisionError" in proc.stderr
    meta = main_meta(metas)
    assert meta["status"] == "error" and meta["message"] == "ValueError: bad value"
    assert calls(out, meta, "g") == 1


def test_syntax_error_is_one_message(python, tmp_path):
    script = write(tmp_path / "bad.py", "x = 1\ny = 2\nz = (\n")
    proc, out, metas = run(python, script)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("SyntaxError: ")
    assert proc.stderr.rstrip().endswith("(%s, line 3)" % script)
    meta = main_meta(metas)
    assert meta["status"] == "failed" and meta["profile"] is None
    assert meta["error_line"] == 3


def test_not_utf8(python, tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = 1\ny = '\xe9t\xe9'\n")
    proc, out, metas = run(python, str(path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "line 2" in proc.stderr and str(path) in proc.stderr
    assert main_meta(metas)["status"] == "failed"


def test_encoding_cookie_and_bom(python, tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nprint('\xe9t\xe9' == '\\xe9t\\xe9')\n")
    proc, out, metas = run(python, str(path))
    assert proc.stdout.strip() == "True", proc.stderr
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbfprint('ok')\n")
    proc, out, metas = run(python, str(path))
    assert proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_cannot_open(python, tmp_path, kind):
    target = tmp_path / "nothing.py"
    if kind == "folder":
        target.mkdir()
    proc, out, metas = run(python, str(target), out=str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("cannot open script: %s: " % target)
    assert proc.stderr.count("\n") == 1
    assert main_meta(metas)["status"] == "failed"


def test_keyboard_interrupt_keeps_profile(python, tmp_path):
    script = write(tmp_path / "s.py", """\
        import os, signal
        def f():
            pass
        f(); f()
        os.kill(os.getpid(), signal.SIGINT)
        while True:
            pass
    """)
    os.makedirs(tmp_path / "out")
    # Started with SIGINT ignored, as a background job of a non-interactive shell is.
    proc = subprocess.run([python, WORKER, "--out", str(tmp_path / "out"), "--", script],
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert proc.returncode == 130
    assert proc.stderr.rstrip().endswith("KeyboardInterrupt")
    [meta_name] = [n for n in os.listdir(tmp_path / "out") if n.endswith(".json")]
    with open(tmp_path / "out" / meta_name) as f:
        meta = json.load(f)
    assert meta["status"] == "stopped"
    assert calls(str(tmp_path / "out"), meta, "f") == 2


def test_no_children_flag(python, tmp_path):
    script = write(tmp_path / "s.py", "import threading\nt = threading.Thread(target=print)\n"
                                      "t.start(); t.join()\n")
    proc, out, metas = run(python, script, extra=("--no-children",))
    assert proc.returncode == 0, proc.stderr
    assert [m["role"] for m in metas] == ["main"]
