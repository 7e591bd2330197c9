"""What real programs and hostile inputs hit: odd run ids, planted modules beside untrusted
profiles, special output files, file and function names no file format expects.

Everything runs for real: the command line in a subprocess, real files, FIFOs, symlinks."""

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from tests import strict_callgrind
from tests.faults.conftest import cli, write_script

MARKER_SCRIPT = """\
    import sys
    open(sys.argv[1], "w").write("the script ran")
"""


def _one_clear_line(done):
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return lines[0]


# -- the hidden --id ----------------------------------------------------------------------------
@pytest.mark.parametrize("run_id", ["../escape", "a/b", ".hidden", "", "x" * 101, "sp ace"])
def test_bad_run_id_is_refused_before_the_script_starts(tmp_path, run_id):
    store, marker = tmp_path / "store", tmp_path / "ran"
    script = write_script(tmp_path, "marker.py", MARKER_SCRIPT)
    message = _one_clear_line(cli("run", "--id", run_id, script, marker, store=store))
    assert "bad run id" in message
    assert not marker.exists()
    assert not (tmp_path / "escape").exists() and not (tmp_path / ".incomplete-escape").exists()


def test_reused_run_id_is_refused_before_the_script_starts(tmp_path):
    store, marker = tmp_path / "store", tmp_path / "ran"
    script = write_script(tmp_path, "marker.py", MARKER_SCRIPT)
    assert cli("run", "--id", "mine-1", script, tmp_path / "first", store=store).returncode == 0
    message = _one_clear_line(cli("run", "--id", "mine-1", script, marker, store=store))
    assert "already exists" in message and not marker.exists()
    assert sorted(os.listdir(store)) == ["mine-1"]


# -- modules planted beside untrusted files -------------------------------------------------------
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLANT = 'open({marker!r}, "a").write("{name} ran\\n")\n'


def _plant(folder, marker, *names):
    for name in names:
        (folder / f"{name}.py").write_text(PLANT.format(marker=str(marker), name=name))


def _console_script(tmp_path):
    """The command as pip installs it (a script in a bin folder, not ``python -m``)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / "spyder-callgrind"
    launcher.write_text("import sys\nfrom spyder_callgrind.engine.cli import main\n"
                        "sys.exit(main())\n")
    return [sys.executable, str(launcher)]


def test_convert_and_import_never_run_modules_planted_beside_the_profile(tmp_path):
    downloads, marker = tmp_path / "downloads", tmp_path / "PLANTED"
    downloads.mkdir()
    write_script(downloads, "prog.py", "def f():\n    return 1\nf()\n")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", "prog.prof", "prog.py"],
                   cwd=str(downloads), check=True, stdout=subprocess.DEVNULL)
    # modules the isolated reader imports (json, marshal's users, tempfile's, re...)
    _plant(downloads, marker, "json", "re", "tempfile", "gc", "contextlib", "spyder_callgrind")
    env = dict(os.environ, PYTHONPATH=REPO)
    command = _console_script(tmp_path)
    for args in (["convert", "prog.prof", "-o", "callgrind.out.prog"],
                 ["import", "--store", str(tmp_path / "store"), "prog.prof"]):
        done = subprocess.run(command + args, cwd=str(downloads), env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert not marker.exists(), (args, marker.read_text())
    strict_callgrind.read(str(downloads / "callgrind.out.prog"))


def test_pane_command_never_runs_modules_planted_in_the_script_folder(tmp_path, qtbot):
    from spyder_callgrind.widgets.runprocess import ProfileProcess

    project, marker = tmp_path / "project", tmp_path / "PLANTED"
    project.mkdir()
    script = write_script(project, "main.py", "print('script ran')\n")
    # modules the command line imports, which the script itself does not
    _plant(project, marker, "argparse", "secrets", "shlex", "spyder_callgrind")
    process = ProfileProcess(script, store=str(tmp_path / "store"), cwd=str(project))
    output = []
    process.output.connect(lambda _id, _stream, text: output.append(text))
    with qtbot.waitSignal(process.finished, timeout=120000) as finished:
        process.start()
    assert finished.args[1] == 0, "".join(output)
    assert "script ran" in "".join(output)
    assert not marker.exists(), marker.read_text()
