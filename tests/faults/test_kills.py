"""Processes killed for real (SIGKILL by pid): the script, the runner; two runs at once."""

import json
import os
import signal
import subprocess

import pytest

from tests.faults.conftest import (
    BUSY, CLI, alive, cli, group_members, kill_quietly, wait_for, write_script)

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc") or os.name != "posix",
                                reason="uses /proc and POSIX signals")


def _runs(store):
    done = cli("list", "--json", store=store)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def _start_busy(tmp_path, store):
    script = write_script(tmp_path, "busy.py", BUSY)
    pid_file = tmp_path / "script.pid"
    runner = subprocess.Popen(CLI + ["run", "--store", str(store), "--top", "0", script,
                                     str(pid_file)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=str(tmp_path))
    assert wait_for(pid_file.exists), "the script never started"
    return runner, int(pid_file.read_text())


def test_script_killed_is_kept_as_failed(tmp_path):
    store = tmp_path / "store"
    runner, script_pid = _start_busy(tmp_path, store)
    try:
        os.kill(script_pid, signal.SIGKILL)
        _out, err = runner.communicate(timeout=60)
    finally:
        kill_quietly([runner.pid])
    assert runner.returncode != 0
    assert "SIGKILL" in err and "Traceback" not in err
    runs, problems = _runs(store)
    [run] = runs
    assert run["status"] in ("failed", "error")
    assert "killed by SIGKILL" in run["message"]
    assert problems == ""
    assert [n for n in os.listdir(store) if n.startswith(".")] == []


def test_runner_killed_leaves_no_orphan_and_store_readable(tmp_path):
    store = tmp_path / "store"
    earlier = write_script(tmp_path, "quick.py", "print(sum(range(10)))\n")
    first = cli("run", "--top", "0", earlier, store=store, cwd=str(tmp_path))
    assert first.returncode == 0, first.stderr
    [before], _ = _runs(store)

    runner, script_pid = _start_busy(tmp_path, store)
    group = os.getpgid(script_pid)
    assert group == script_pid   # the script leads its own process group
    try:
        runner.kill()            # SIGKILL, by pid
        runner.wait(30)
        # The watchdog ends the script's group; wait (with a deadline) for it to be gone.
        gone = wait_for(lambda: not group_members(group), timeout=20)
    finally:
        kill_quietly(group_members(group))
    assert gone, "the script kept running after its runner was killed"
    assert not alive(script_pid)

    runs, stderr = _runs(store)
    assert [r["id"] for r in runs] == [before["id"]]     # earlier run intact, nothing half
    assert runs[0] == before
    leftovers = [n for n in os.listdir(store) if n.startswith(".incomplete-")]
    assert len(leftovers) == 1
    assert "interrupted run " + leftovers[0][len(".incomplete-"):] in stderr
    cleaned = cli("clean", store=store)
    assert cleaned.returncode == 0 and "Removed .incomplete-" in cleaned.stdout
    runs, stderr = _runs(store)
    assert [r["id"] for r in runs] == [before["id"]] and "interrupted" not in stderr
    assert not [n for n in os.listdir(store) if n.startswith(".")]


def test_clean_leaves_a_live_run_alone(tmp_path):
    store = tmp_path / "store"
    runner, script_pid = _start_busy(tmp_path, store)
    try:
        assert cli("clean", store=store).stdout.startswith("Nothing to clean")
        runs, stderr = _runs(store)
        assert runs == [] and "interrupted" not in stderr   # being written, not interrupted
    finally:
        os.kill(script_pid, signal.SIGKILL)
        runner.communicate(timeout=60)
    assert len(_runs(store)[0]) == 1


def test_two_runs_of_the_same_script_at_once(tmp_path):
    store = tmp_path / "store"
    script = write_script(tmp_path, "twice.py", """\
        import sys, time
        def work():
            return sum(range(200000))
        work()
        time.sleep(0.5)
        print("done", sys.argv[1])
    """)
    runners = [subprocess.Popen(CLI + ["run", "--store", str(store), "--top", "0", script,
                                       str(n)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=str(tmp_path))
               for n in range(2)]
    results = [r.communicate(timeout=120) for r in runners]
    assert [r.returncode for r in runners] == [0, 0], results
    runs, problems = _runs(store)
    assert len(runs) == 2 and len({r["id"] for r in runs}) == 2
    assert sorted(r["args"] for r in runs) == [["0"], ["1"]]
    assert all(r["status"] == "ok" and r["callgrind"] for r in runs)
    assert problems == ""
