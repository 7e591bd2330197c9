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

from spyder_callgrind.engine.table import load_table
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


# -- convert -o onto what is not a plain file ----------------------------------------------
@pytest.fixture
def prof(tmp_path):
    write_script(tmp_path, "prog.py", "def f():\n    return 1\nf()\n")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", "prog.prof", "prog.py"],
                   cwd=str(tmp_path), check=True, stdout=subprocess.DEVNULL)
    return str(tmp_path / "prog.prof")


def test_convert_writes_through_a_symlink(tmp_path, prof):
    real = tmp_path / "real" / "callgrind.out.prog"
    real.parent.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)                         # dangling: the target is created
    assert cli("convert", prof, "-o", link).returncode == 0
    assert link.is_symlink() and os.readlink(str(link)) == str(real)
    strict_callgrind.read(str(real))
    real.write_text("old")                        # an existing target is replaced
    assert cli("convert", prof, "-o", link).returncode == 0
    assert link.is_symlink()
    strict_callgrind.read(str(real))


def test_convert_writes_into_a_fifo_without_replacing_it(tmp_path, prof):
    fifo = tmp_path / "pipe"
    os.mkfifo(str(fifo))
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    try:
        done = cli("convert", prof, "-o", fifo)
        assert stat.S_ISFIFO(os.lstat(str(fifo)).st_mode)
        received = reader.communicate(timeout=120)[0]
    finally:
        if reader.poll() is None:    # a FIFO replaced by a file leaves cat waiting for good
            reader.kill()
            reader.wait()
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(str(fifo)).st_mode)
    copy = tmp_path / "callgrind.out.received"
    copy.write_bytes(received)
    strict_callgrind.read(str(copy))


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_convert_writes_into_a_character_device_without_replacing_it(tmp_path, prof):
    null = tmp_path / "null"                   # our own /dev/null: the real one is shared
    try:
        os.mknod(str(null), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError as error:
        pytest.skip(f"cannot make a device node here: {error}")
    done = cli("convert", prof, "-o", null)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.lstat(str(null)).st_mode)
    assert os.listdir(str(tmp_path)).count("null") == 1 and not any(
        n.startswith(".tmp-") for n in os.listdir(str(tmp_path)))


def test_convert_refuses_a_socket_in_one_line(tmp_path, prof):
    import socket
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        message = _one_clear_line(cli("convert", prof, "-o", path))
    finally:
        server.close()
    assert "not a regular file" in message and stat.S_ISSOCK(os.lstat(str(path)).st_mode)


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_honour_the_umask_and_replaced_ones_keep_their_mode(
        tmp_path, prof, umask, expected):
    out, store = tmp_path / "callgrind.out.prog", tmp_path / "store"

    def set_umask():
        os.umask(umask)

    assert cli("convert", prof, "-o", out, preexec_fn=set_umask).returncode == 0
    assert stat.S_IMODE(os.stat(str(out)).st_mode) == expected
    os.chmod(str(out), 0o640)
    assert cli("convert", prof, "-o", out, preexec_fn=set_umask).returncode == 0
    assert stat.S_IMODE(os.stat(str(out)).st_mode) == 0o640
    script = write_script(tmp_path, "quick.py", "print(1)\n")
    assert cli("run", "--top", "0", script, store=store, preexec_fn=set_umask).returncode == 0
    (run_id,) = os.listdir(str(store))
    for name in os.listdir(str(store / run_id)):
        if os.path.isfile(str(store / run_id / name)):
            assert stat.S_IMODE(os.stat(str(store / run_id / name)).st_mode) == expected, name


# -- names no file format expects ----------------------------------------------------------------
def _check_callgrind(path, tmp_path, kcachegrind=False):
    """Valid UTF-8, our strict reader, callgrind_annotate without a warning, and (where it is
    installed and asked for) the real KCacheGrind without a loader message."""
    with open(path, "rb") as stream:
        stream.read().decode("utf-8")
    parsed = strict_callgrind.read(path)
    if shutil.which("callgrind_annotate"):
        done = subprocess.run(["callgrind_annotate", path], capture_output=True, text=True)
        assert done.returncode == 0 and "warning" not in done.stderr.lower(), done.stderr
    if kcachegrind:
        from tests.engine.test_callgrind import run_kcachegrind
        messages, titles = run_kcachegrind(path, tmp_path)
        assert os.path.basename(path) + " [" in titles, titles[-500:]
        assert messages == []
    return parsed


def _only_run(store):
    done = cli("list", "--json", store=store)
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)
    return record, os.path.join(str(store), record["id"])


def test_file_names_that_are_not_utf8(tmp_path):
    """A script named ``caf\\xe9.py`` in a latin-1 folder, importing a module from another:
    the run is kept, its paths read back byte for byte, every file it writes is valid, and
    ``import``/``convert`` of its profile work."""
    folder = os.path.join(os.fsencode(str(tmp_path)), b"lat\xe9 dir")
    os.makedirs(os.path.join(folder, b"lib\xe9"))
    with open(os.path.join(folder, b"lib\xe9", b"m\xf6d.py"), "w") as stream:
        stream.write("def helper():\n    return sum(range(10))\n")
    script = os.path.join(folder, b"caf\xe9.py")
    with open(script, "w") as stream:
        stream.write("import os, sys\n"
                     "sys.path.insert(0, os.path.join(os.path.dirname(__file__), "
                     "os.fsdecode(b'lib\\xe9')))\n"
                     "mod = __import__(os.fsdecode(b'm\\xf6d'))\n"
                     "def main():\n    return mod.helper()\nprint('result', main())\n")
    store = tmp_path / "store"
    done = subprocess.run([sys.executable, "-m", "spyder_callgrind", "run", "--store",
                           os.fsencode(str(store)), "--top", "5", script],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"result 45" in done.stdout and b"Traceback" not in done.stderr
    record, run_folder = _only_run(store)
    assert os.fsencode(record["script"]) == script          # byte for byte
    parsed = _check_callgrind(os.path.join(run_folder, record["callgrind"]), tmp_path)
    files = {file for file, _name in parsed["self"]}
    assert any("caf\\xe9.py" in f for f in files) and any("m\\xf6d.py" in f for f in files)
    for name in (record["summary"], "run.json"):
        with open(os.path.join(run_folder, name), "rb") as stream:
            stream.read().decode("utf-8")
    names = {f.file for f in load_table(os.path.join(run_folder, "tables", "all.table"))
             .functions}
    assert any(os.fsencode(n).endswith(b"caf\xe9.py") for n in names), names
    shown = cli("show", "last", "--top", "500", store=store)
    assert shown.returncode == 0 and "helper" in shown.stdout, shown.stderr
    profile = os.path.join(run_folder, record["profile"])
    out = str(tmp_path / "callgrind.out.converted")
    assert cli("convert", profile, "-o", out).returncode == 0
    _check_callgrind(out, tmp_path)
    imported = cli("import", profile, store=tmp_path / "store2")
    assert imported.returncode == 0, imported.stderr
    assert cli("show", "last", store=tmp_path / "store2").returncode == 0


WEIRD_NAMES = """\
code = compile("def f():\\n    return 1\\nf()\\n", "weird\\nfile.py", "exec")
exec(code)

def template():
    return 2

for name in ("x\\nfn=(1) injected", "", "   ", "a\\rb", "tab\\there", "nul\\x00byte"):
    function = type(template)(template.__code__.replace(co_name=name), globals())
    function()
"""


@pytest.mark.parametrize("viewer", [
    False, pytest.param(True, marks=[pytest.mark.kcachegrind, pytest.mark.skipif(
        not shutil.which("kcachegrind") or not shutil.which("xvfb-run"),
        reason="KCacheGrind is not installed (apt: kcachegrind xvfb dbus x11-utils)")])])
def test_names_with_newlines_or_nothing_keep_callgrind_files_valid(tmp_path, viewer):
    """Function and file names with a newline (one that would inject a record), CR, tab, NUL,
    empty or blank: escaped, said in ``desc:``, and the file stays valid everywhere."""
    store = tmp_path / "store"
    script = write_script(tmp_path, "weird.py", WEIRD_NAMES)
    assert cli("run", "--top", "0", script, store=store).returncode == 0
    record, run_folder = _only_run(store)
    path = os.path.join(run_folder, record["callgrind"])
    parsed = _check_callgrind(path, tmp_path, kcachegrind=viewer)
    names = {name for _file, name in parsed["self"]}
    for expected in ("x\\nfn=(1) injected", "(name '')", "(name '   ')", "a\\rb",
                     "tab\\there", "nul\\x00byte", "f"):
        assert expected in names, names
    assert any(file.endswith("weird\\nfile.py") for file, _name in parsed["self"])
    with open(path, encoding="utf-8") as stream:
        lines = stream.read().split("\n")
    assert not any(line.startswith("fn=(1) injected") for line in lines)
    assert any(line.startswith("desc: Note: Names with line breaks") for line in lines)
    out = str(tmp_path / "callgrind.out.converted")
    assert cli("convert", os.path.join(run_folder, record["profile"]), "-o", out).returncode == 0
    _check_callgrind(out, tmp_path)
