"""ScriptRunner with real subprocesses: outcome, output, stop, start errors."""

import os
import pstats
import sys
import textwrap
import threading

import pytest

from spyder_callgrind.engine import records
from spyder_callgrind.engine.runner import RunOutcome, ScriptRunner, StartError


def write(path, source):
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source))
    return str(path)


def run(tmp_path, source, args=(), **kwargs):
    script = write(tmp_path / "script.py", source)
    runner = ScriptRunner(script, args, profile_dir=str(tmp_path / "run"),
                          output_path=str(tmp_path / "run" / "output.txt"), **kwargs)
    runner.start()
    return runner, runner.wait(timeout=120)


def calls(profile_dir, record, name):
    stats = pstats.Stats(os.path.join(profile_dir, record.profile)).stats
    return sum(v[1] for k, v in stats.items() if k[2] == name)


def test_ok_run(tmp_path):
    runner, outcome = run(tmp_path, """\
        import sys
        def f():
            pass
        for _ in range(7):
            f()
        print("hello", sys.argv[1:])
        print("oops", file=sys.stderr)
    """, ["a b"], cwd=str(tmp_path))
    assert isinstance(outcome, RunOutcome)
    assert (outcome.status, outcome.exit_code, outcome.message) == (records.STATUS_OK, 0, "")
    assert outcome.python == sys.executable
    assert outcome.python_version == "%d.%d.%d" % sys.version_info[:3]
    [main] = outcome.processes
    assert main.role == "main" and main.profiled and main.pid > 0
    assert calls(str(tmp_path / "run"), main, "f") == 7
    output = (tmp_path / "run" / "output.txt").read_text(encoding="utf-8")
    assert "hello ['a b']\n" in output and "oops\n" in output
    assert not runner.running


def test_live_output_and_non_ascii(tmp_path):
    seen = []
    runner, outcome = run(tmp_path, "print('héllo ✓')\nimport sys; sys.stderr.write('ërr')\n",
                          on_output=lambda stream, text: seen.append((stream, text)))
    assert "".join(t for s, t in seen if s == "stdout") == "héllo ✓\n"
    assert "".join(t for s, t in seen if s == "stderr") == "ërr"


@pytest.mark.parametrize("source, status, code, message", [
    ("import sys\nsys.exit(2)\n", records.STATUS_ERROR, 2, "exited with 2"),
    ("1/0\n", records.STATUS_ERROR, 1, "ZeroDivisionError: division by zero"),
    ("x = (\n", records.STATUS_FAILED, 2, None),
])
def test_statuses(tmp_path, source, status, code, message):
    runner, outcome = run(tmp_path, source)
    assert (outcome.status, outcome.exit_code) == (status, code)
    if message:
        assert outcome.message == message
    else:
        script = str(tmp_path / "script.py")
        assert outcome.message.startswith("SyntaxError at %s line 2: " % script) or \
            outcome.message.startswith("SyntaxError at %s line 1: " % script)
        [main] = outcome.processes
        assert not main.profiled


def test_start_errors(tmp_path):
    with pytest.raises(StartError, match="script not found"):
        ScriptRunner(str(tmp_path / "none.py"), profile_dir=str(tmp_path / "r")).start()
    script = write(tmp_path / "s.py", "pass\n")
    with pytest.raises(StartError, match="interpreter not found"):
        ScriptRunner(script, python=str(tmp_path / "nopython"),
                     profile_dir=str(tmp_path / "r")).start()
    with pytest.raises(StartError, match="working folder not found"):
        ScriptRunner(script, cwd=str(tmp_path / "nodir"), profile_dir=str(tmp_path / "r")).start()


STOPPABLE = """\
    import sys, time
    def tick():
        time.sleep(0.01)
    tick()
    print("started", flush=True)
    while True:
        tick()
"""


def _start_and_stop_when_started(tmp_path, source, grace=3.0):
    started = threading.Event()
    script = write(tmp_path / "script.py", source)
    runner = ScriptRunner(script, profile_dir=str(tmp_path / "run"),
                          on_output=lambda s, t: "started" in t and started.set())
    runner.start()
    assert started.wait(60)
    assert runner.running
    runner.stop(grace=grace)
    return runner.wait(timeout=120)


def test_stop_keeps_profile(tmp_path):
    outcome = _start_and_stop_when_started(tmp_path, STOPPABLE)
    assert outcome.status == records.STATUS_STOPPED
    assert outcome.message == "stopped by user"
    assert outcome.exit_code == 130
    [main] = outcome.processes
    assert main.profiled and calls(str(tmp_path / "run"), main, "tick") >= 1


def test_script_ignoring_sigint_is_terminated_and_kept(tmp_path):
    source = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" + \
        textwrap.dedent(STOPPABLE)
    outcome = _start_and_stop_when_started(tmp_path, source, grace=0.5)
    assert outcome.status == records.STATUS_STOPPED
    assert outcome.exit_code == -15
    assert "terminated" in outcome.message
    [main] = outcome.processes
    assert main.profiled and calls(str(tmp_path / "run"), main, "tick") >= 1


def test_script_ignoring_sigint_and_sigterm_is_killed(tmp_path):
    source = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" + \
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + textwrap.dedent(STOPPABLE)
    outcome = _start_and_stop_when_started(tmp_path, source, grace=0.5)
    assert outcome.status == records.STATUS_STOPPED
    assert outcome.exit_code == -9
    assert "killed" in outcome.message
    [main] = outcome.processes
    assert not main.profiled and main.note == "killed before its profile was saved"
