"""External viewers that crash or hang, and names from run folders that look like shell."""

import json
import os
import shutil
import sys

import pytest

from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.engine.viewer import open_in_viewer
from tests.faults.conftest import alive, cli, kill_quietly, wait_for

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
RUN_ID = "20240102-030405-ab12"
HOSTILE = "callgrind.out.x; touch PWNED1 $(touch PWNED2) `touch PWNED3` | touch PWNED4"


def _fake_viewer(tmp_path, behaviour):
    """A viewer that records its argv, then sleeps forever or dies of SIGSEGV."""
    record = tmp_path / "argv.json"
    body = {"hang": "time.sleep(3600)",
            "segv": "os.kill(os.getpid(), signal.SIGSEGV)"}[behaviour]
    viewer = tmp_path / f"viewer-{behaviour}"
    viewer.write_text(f"#!{sys.executable}\n"
                      "import json, os, signal, sys, time\n"
                      f"json.dump([os.getpid()] + sys.argv[1:], open({str(record)!r}, 'w'))\n"
                      + body + "\n")
    viewer.chmod(0o755)
    return str(viewer), record


@pytest.fixture
def hostile_store(tmp_path):
    """The schema-1 run, its callgrind file renamed to a name full of shell syntax."""
    store = tmp_path / "store"
    shutil.copytree(os.path.join(DATA, "store-schema1"), store)
    folder = store / RUN_ID
    os.rename(folder / f"callgrind.out.{RUN_ID}", folder / HOSTILE)
    data = json.loads((folder / "run.json").read_text())
    data["callgrind"] = HOSTILE
    data["script"] = "/tmp/x.py; touch PWNED5"
    data["args"] = ["$(touch PWNED6)"]
    (folder / "run.json").write_text(json.dumps(data))
    return store


def _pwned(*folders):
    return [os.path.join(f, n) for f in folders for n in os.listdir(f) if n.startswith("PWNED")]


@pytest.mark.parametrize("behaviour", ["hang", "segv"])
def test_open_returns_at_once_and_never_uses_a_shell(tmp_path, hostile_store, behaviour):
    viewer, record = _fake_viewer(tmp_path, behaviour)
    done = cli("open", "last", "--viewer", viewer, store=hostile_store, cwd=str(tmp_path),
               timeout=60)   # returns while the viewer still runs (hang) or crashes (segv)
    assert done.returncode == 0, done.stderr
    assert wait_for(record.exists)
    pid, *argv = json.loads(record.read_text())
    try:
        assert argv == [str(hostile_store / RUN_ID / HOSTILE)]
        if behaviour == "segv":
            assert wait_for(lambda: not alive(pid))
        else:
            assert alive(pid) and os.getsid(pid) == pid    # detached: its own session
        assert _pwned(str(tmp_path), str(hostile_store / RUN_ID), os.getcwd(), "/tmp") == []
        assert cli("list", store=hostile_store).returncode == 0
    finally:
        kill_quietly([pid])


def test_open_in_viewer_in_process_is_detached(tmp_path, hostile_store):
    viewer, record = _fake_viewer(tmp_path, "hang")
    store = RunStore(str(hostile_store))
    path = store.file_of(store.get("last"), HOSTILE)
    process = open_in_viewer(path, viewer)
    try:
        assert process.poll() is None        # not waited for
        assert wait_for(record.exists)
        assert json.loads(record.read_text())[1:] == [path]
    finally:
        process.kill()
        process.wait()


def test_callgrind_cmd_line_is_text_only(tmp_path):
    """An imported callgrind file's ``cmd:`` and names are shown, never run."""
    hostile = tmp_path / "callgrind.out.hostile"
    hostile.write_text(
        "# callgrind format\nversion: 1\ncreator: x\n"
        "cmd: touch PWNED7; $(touch PWNED8) `touch PWNED9`\n"
        "positions: line\nevents: ns\nsummary: 10\n\n"
        "fl=$(touch PWNEDa).py\nfn=`touch PWNEDb`\n1 10\n")
    store = tmp_path / "store"
    done = cli("import", hostile, store=store, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    shown = cli("show", "last", store=store, cwd=str(tmp_path))
    assert shown.returncode == 0 and "touch PWNEDb" in shown.stdout
    assert cli("show", "last", "--json", store=store, cwd=str(tmp_path)).returncode == 0
    assert _pwned(str(tmp_path), os.getcwd(), "/tmp") == []


def test_only_the_asked_script_runs(tmp_path):
    """A run profiles the script given, with its arguments as plain strings."""
    script = tmp_path / "echo.py"
    script.write_text("import sys, json\nprint(json.dumps(sys.argv[1:]))\n")
    args = ["; touch PWNEDc", "$(touch PWNEDd)", "`touch PWNEDe`"]
    done = cli("run", "--top", "0", script, *args, store=tmp_path / "store",
               cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[0]) == args
    assert _pwned(str(tmp_path), os.getcwd(), "/tmp") == []
