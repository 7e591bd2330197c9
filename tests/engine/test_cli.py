"""The ``spyder-callgrind`` command, end to end, in real subprocesses.

Each test runs the installed command line (``python -m spyder_callgrind``) on a real script,
then checks what a user relies on: the exit status, the output, the kept run, the callgrind
file (read by an independent strict reader and by valgrind's ``callgrind_annotate``), and
exact call counts against the run's own pstats data.
"""

import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from spyder_callgrind.engine.table import load_table

from tests import strict_callgrind

ENV_KEYS_TO_DROP = ("PYTHONPATH",)


def cli(store, *args, cwd=None, timeout=120, check=None):
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS_TO_DROP}
    env["SPYDER_CALLGRIND_STORE"] = str(store)
    result = subprocess.run([sys.executable, "-m", "spyder_callgrind", *args], cwd=cwd,
                            env=env, capture_output=True, text=True, timeout=timeout,
                            encoding="utf-8")
    if check is not None:
        assert result.returncode == check, result.stdout + result.stderr
    return result


def write(folder, name, body):
    path = os.path.join(str(folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(textwrap.dedent(body))
    return path


def runs(store):
    result = cli(store, "list", "--json", check=0)
    return json.loads(result.stdout)


def only_run(store):
    found = runs(store)
    assert len(found) == 1, found
    return found[0], os.path.join(str(store), found[0]["id"])


def pstats_counts(folder, record):
    """{function name: total calls} summed over the run's processes, from pstats."""
    counts = {}
    for process in record["processes"]:
        if not process["profile"]:
            continue
        stats = pstats.Stats(os.path.join(folder, process["profile"])).stats
        for (file, line, name), (cc, nc, tt, ct, callers) in stats.items():
            counts[(os.path.abspath(file) if file != "~" else "~", name)] = (
                counts.get((file, name), 0) + nc)
    return counts


def check_callgrind_file(path):
    parsed = strict_callgrind.read(path)
    if shutil.which("callgrind_annotate"):
        for extra in ([], ["--inclusive=yes"]):
            result = subprocess.run(["callgrind_annotate", *extra, path],
                                    capture_output=True, text=True)
            assert result.returncode == 0, result.stderr
            assert "warning" not in result.stderr.lower(), result.stderr
    return parsed


WORKLOAD = """
    import sys

    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    def is_even(n):
        return True if n == 0 else is_odd(n - 1)

    def is_odd(n):
        return False if n == 0 else is_even(n - 1)

    class Counter:
        def __init__(self):
            self.total = 0

        def add(self, value):
            self.total += value
            return self

    def main():
        counter = Counter()
        for i in range(250):
            counter.add(len(str(i)))
        print("fib", fib(15), "even", is_even(30), "total", counter.total)
        print("args", sys.argv[1:])
        sorted([3, 1, 2] * 40)

    if __name__ == "__main__":
        main()
"""


def test_run_profiles_recursion_methods_and_builtins_exactly(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path / "my dir ünïcode", "prog ram.py", WORKLOAD)
    result = cli(store, "run", script, "one arg", "two", cwd=str(tmp_path), check=0)
    assert "fib 610 even True total 640" in result.stdout
    assert "args ['one arg', 'two']" in result.stdout
    assert "kept in" in result.stderr
    record, folder = only_run(store)
    assert record["status"] == "ok" and record["exit_code"] == 0
    assert record["script"] == script and record["args"] == ["one arg", "two"]
    assert record["python_version"]
    assert os.path.basename(record["callgrind"]).startswith("callgrind.out.")
    parsed = check_callgrind_file(os.path.join(folder, record["callgrind"]))
    stats = pstats.Stats(os.path.join(folder, record["profile"])).stats
    by_name = {name: (key, value) for key, value in stats.items()
               for name in [key[2]] if key[0] == script}
    assert by_name["fib"][1][1] == 1973          # total calls of fib(15)
    assert by_name["is_even"][1][1] + by_name["is_odd"][1][1] == 31
    assert by_name["add"][1][1] == 250
    # Call counts into each function in the callgrind file equal pstats' total calls
    # (the script's entry function is called by nobody in the file).
    calls_into = {}
    for (file, fn), count in parsed["calls_in"].items():
        calls_into[(file, strict_callgrind.short_name(fn))] = (
            calls_into.get((file, strict_callgrind.short_name(fn)), 0) + count)
    for name, expected in (("fib", 1973), ("add", 250), ("__init__", 1)):
        assert calls_into[(script, name)] == expected, (name, calls_into)
    assert calls_into[(script, "is_even")] + calls_into[(script, "is_odd")] == 31
    # Self costs equal pstats tottime in integer nanoseconds.
    for (file, line, name), (cc, nc, tt, ct, callers) in stats.items():
        if file == script and name in ("fib", "add"):
            self_ns = sum(v for (f, fn), v in parsed["self"].items()
                          if f == file and strict_callgrind.short_name(fn) == name)
            assert abs(self_ns - round(tt * 1e9)) <= 1
    # The text summary and output are kept with the run.
    with open(os.path.join(folder, record["summary"]), encoding="utf-8") as stream:
        assert "function calls" in stream.read()
    with open(os.path.join(folder, record["output"]), encoding="utf-8") as stream:
        assert "fib 610" in stream.read()


def test_argv_path_and_main_semantics(tmp_path):
    store = tmp_path / "store"
    write(tmp_path / "proj", "helper_mod.py", "VALUE = 42\n")
    script = write(tmp_path / "proj", "show.py", """
        import os, sys, pickle
        import helper_mod
        def f():
            return 1
        print("name", __name__)
        print("argv", sys.argv)
        print("path0", sys.path[0])
        print("cwd", os.getcwd())
        print("helper", helper_mod.VALUE)
        print("pickled", pickle.loads(pickle.dumps(f)) is f)
    """)
    other = tmp_path / "elsewhere"
    other.mkdir()
    result = cli(store, "run", "--cwd", str(other), script, "a b", "-x", check=0)
    out = result.stdout
    assert "name __main__" in out
    assert f"argv {[script, 'a b', '-x']}" in out
    assert f"path0 {os.path.dirname(script)}" in out
    assert f"cwd {other}" in out
    assert "helper 42" in out and "pickled True" in out


def test_script_that_raises_keeps_run_and_shows_its_traceback(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "boom.py", """
        def work():
            return sum(range(1000))
        work()
        raise ValueError("after working")
    """)
    result = cli(store, "run", script)
    assert result.returncode == 1
    assert "ValueError: after working" in result.stderr
    assert 'File "' + script in result.stderr
    assert "spyder_callgrind" not in result.stderr.split("spyder-callgrind:")[0].replace(
        "spyder-callgrind", "")  # no frames of ours in the traceback
    record, folder = only_run(store)
    assert record["status"] == "error" and record["exit_code"] == 1
    assert "work" in open(os.path.join(folder, record["summary"]), encoding="utf-8").read()


def test_sys_exit_code_is_the_commands_exit_code(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "exits.py", "import sys\nsys.exit(3)\n")
    result = cli(store, "run", script)
    assert result.returncode == 3
    record, _folder = only_run(store)
    assert record["exit_code"] == 3 and record["status"] == "error"


def test_syntax_error_is_one_clear_message(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "bad.py", "x = 1\ndef broken(:\n    pass\n")
    result = cli(store, "run", script)
    assert result.returncode != 0
    assert "SyntaxError" in result.stderr and "bad.py" in result.stderr
    assert "line 2" in result.stderr
    assert "Traceback" not in result.stderr
    record, _folder = only_run(store)
    assert record["status"] == "failed"


@pytest.mark.parametrize("problem", ["missing script", "bad interpreter"])
def test_cannot_start_is_a_short_message(tmp_path, problem):
    store = tmp_path / "store"
    if problem == "missing script":
        args = ["run", str(tmp_path / "nope.py")]
    else:
        args = ["run", "--python", str(tmp_path / "no-python"), write(tmp_path, "ok.py", "")]
    result = cli(store, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 4, result.stderr


def test_stop_with_sigint_keeps_the_profile(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "long.py", """
        import time
        def spin():
            end = time.time() + 0.05
            while time.time() < end:
                pass
        print("started", flush=True)
        for _ in range(100000):
            spin()
    """)
    env = dict(os.environ, SPYDER_CALLGRIND_STORE=str(store))
    process = subprocess.Popen([sys.executable, "-m", "spyder_callgrind", "run", script],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               text=True)
    assert process.stdout.readline().strip() == "started"
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    record, folder = only_run(store)
    assert record["status"] == "stopped"
    parsed = check_callgrind_file(os.path.join(folder, record["callgrind"]))
    spins = [v for (f, fn), v in parsed["calls_in"].items()
             if strict_callgrind.short_name(fn) == "spin"]
    assert spins and spins[0] >= 5


def test_list_show_rm_and_bad_references(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "tiny.py", "print(sum(range(10)))\n")
    cli(store, "run", script, check=0)
    cli(store, "run", script, check=0)
    listing = cli(store, "list", check=0).stdout
    assert listing.count("tiny.py") == 2
    shown = cli(store, "show", "last", "--sort", "calls", "--top", "5", check=0).stdout
    assert "tiny.py" in shown
    as_json = json.loads(cli(store, "show", "last", "--json", check=0).stdout)
    assert as_json["functions"]
    first = runs(store)[-1]["id"]
    cli(store, "rm", first, check=0)
    assert len(runs(store)) == 1
    missing = cli(store, "show", "does-not-exist")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "Traceback" not in missing.stderr


def test_output_piped_into_a_reader_that_stops_early(tmp_path):
    """`spyder-callgrind show last | head -1`: a closed pipe ends the command quietly."""
    store = tmp_path / "store"
    cli(store, "run", write(tmp_path, "tiny.py", "print(1)\n"), check=0)
    env = dict(os.environ, SPYDER_CALLGRIND_STORE=str(store))
    reader, writer = os.pipe()
    os.close(reader)             # the reader is gone before the command writes a byte
    try:
        result = subprocess.run([sys.executable, "-m", "spyder_callgrind", "show", "last"],
                                env=env, stdout=writer, stderr=subprocess.PIPE, text=True,
                                timeout=120)
    finally:
        os.close(writer)
    assert (result.returncode, result.stderr) == (0, "")


def test_convert_merges_profiles_and_refuses_bad_files(tmp_path):
    profiles = []
    source = write(tmp_path, "squares.py", "print(sum(i * i for i in range(20000)))\n")
    for n in range(2):
        out = tmp_path / f"p{n}.prof"
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), source],
                       check=True, capture_output=True)
        profiles.append(str(out))
    target = tmp_path / "callgrind.out.merged"
    cli(tmp_path / "store", "convert", *profiles, "-o", str(target), check=0)
    parsed = check_callgrind_file(str(target))
    assert parsed["totals"] > 0
    assert "add up" in target.read_text()          # two profiles: their costs add up
    single = tmp_path / "callgrind.out.single"
    cli(tmp_path / "store", "convert", profiles[0], "-o", str(single), check=0)
    check_callgrind_file(str(single))
    assert "add up" not in single.read_text()      # one profile: nothing adds up
    bad_files = {"empty.prof": b"", "text.prof": b"hello world\n",
                 "random.prof": os.urandom(512), "truncated.prof": open(profiles[0], "rb")
                 .read()[:50]}
    for name, content in bad_files.items():
        (tmp_path / name).write_bytes(content)
        result = cli(tmp_path / "store", "convert", str(tmp_path / name), "-o",
                     str(tmp_path / "callgrind.out.bad"))
        assert result.returncode != 0, name
        assert "Traceback" not in result.stderr, result.stderr
        assert 1 <= len(result.stderr.strip().splitlines()) <= 3, result.stderr


def test_open_starts_the_viewer_with_an_argument_list(tmp_path):
    store = tmp_path / "store"
    cli(store, "run", write(tmp_path, "t.py", "x = 1\n"), check=0)
    # A stand-in viewer (a real executable) that records the arguments it was given.
    log = tmp_path / "viewer-args.json"
    viewer = write(tmp_path, "fake viewer; echo pwned", f"""\
        #!{sys.executable}
        import json, sys
        json.dump(sys.argv[1:], open({str(log)!r}, "w"))
    """)
    os.chmod(viewer, 0o755)
    result = cli(store, "open", "last", "--viewer", viewer, check=0)
    deadline = time.time() + 20
    while not log.exists() and time.time() < deadline:
        time.sleep(0.1)
    args = json.loads(log.read_text())
    record, folder = only_run(store)
    assert args == [os.path.join(folder, record["callgrind"])]
    assert "Opened" in result.stdout


def test_no_viewer_found_gives_install_hints(monkeypatch):
    from spyder_callgrind.engine import viewer

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(viewer, "usual_locations", lambda platform=None: [])
    assert viewer.find_viewer("/no/such/viewer") is None
    with pytest.raises(viewer.ViewerNotFound, match="install"):
        viewer.open_in_viewer(__file__, "/no/such/viewer")


def test_our_own_profiler_frames_are_not_in_the_run(tmp_path):
    store = tmp_path / "store"
    cli(store, "run", write(tmp_path, "plain.py", "print(sorted([3, 1, 2]))\n"), check=0)
    shown = json.loads(cli(store, "show", "last", "--json", "--top", "1000",
                           check=0).stdout)
    files = {f["file"] for f in shown["functions"]}
    names = {f["name"] for f in shown["functions"]}
    assert not any("spyder_callgrind" in f for f in files), files
    assert not any("_lsprof.Profiler" in n for n in names), names
    assert "<built-in method builtins.sorted>" in names


def test_python_found_on_path_by_name(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "v.py", "import sys\nprint('v', sys.version_info[:2])\n")
    name = os.path.basename(sys.executable)
    result = cli(store, "run", "--python", name, script, check=0)
    assert "v (" in result.stdout
    record, _folder = only_run(store)
    assert os.path.isabs(record["python"])


@pytest.mark.skipif(not shutil.which("valgrind"), reason="valgrind is not installed")
def test_import_a_real_valgrind_callgrind_file(tmp_path):
    """A callgrind file from a C program (valgrind's own) opens as an imported run."""
    out = tmp_path / "callgrind.out.true"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    "/bin/true"], check=True, capture_output=True)
    store = tmp_path / "store"
    result = cli(store, "import", str(out), check=0)
    assert "Imported" in result.stdout
    record, folder = only_run(store)
    assert record["source"] == "import"
    shown = json.loads(cli(store, "show", "last", "--json", "--top", "5", check=0).stdout)
    assert shown["functions"] and shown["functions"][0]["self_ns"] > 0
    check_callgrind_file(os.path.join(folder, record["callgrind"]))


POOL = """
    import multiprocessing as mp
    import sys

    def work(n):
        return sum(i * i for i in range(n))

    if __name__ == "__main__":
        mp.set_start_method(sys.argv[1])
        with mp.Pool(3) as pool:
            print("total", sum(pool.map(work, [3000] * 24, chunksize=2)))
"""


def _kcachegrind():
    from tests.engine import test_callgrind
    return test_callgrind


@pytest.mark.kcachegrind
@pytest.mark.skipif(not _kcachegrind().HAVE_KCACHEGRIND, reason="KCacheGrind is not installed "
                    "(apt: kcachegrind xvfb dbus x11-utils)")
def test_runs_made_by_the_command_load_in_kcachegrind(tmp_path):
    """Files from real runs (a path with spaces and non-ASCII characters; a Pool of three
    workers) load in the real KCacheGrind with no loader message, and pass the strict reader
    and callgrind_annotate."""
    store = tmp_path / "store"
    script = write(tmp_path / "dir ä b", "work load.py", WORKLOAD)
    cli(store, "run", script, "x y", check=0)
    pool = write(tmp_path, "pool.py", POOL)
    cli(store, "run", pool, "spawn", check=0)
    for record in runs(store):
        folder = os.path.join(str(store), record["id"])
        files = sorted(f for f in os.listdir(folder) if f.startswith("callgrind.out."))
        assert len(files) == len(record["processes"])
        for name in files:
            check_callgrind_file(os.path.join(folder, name))
        messages, titles = _kcachegrind().run_kcachegrind(
            os.path.join(folder, record["callgrind"]), tmp_path)
        assert record["callgrind"] + " [" in titles, titles[-500:]
        assert messages == []
    pool_record = runs(store)[0]
    assert len(pool_record["processes"]) == 4
    calls = 0
    for process in pool_record["processes"]:
        stats = pstats.Stats(os.path.join(str(store), pool_record["id"],
                                          process["profile"])).stats
        calls += sum(v[1] for k, v in stats.items() if k[2] == "work")
    assert calls == 24


def test_diff_json_is_one_json_document(tmp_path):
    """``diff --json`` prints an object (not a JSON string holding JSON), exact call counts."""
    store = tmp_path / "store"
    script = write(tmp_path, "calls.py", """
        import sys
        def work():
            return sum(range(100))
        for _ in range(int(sys.argv[1])):
            work()
    """)
    cli(store, "run", "--top", "0", script, "3", check=0)
    cli(store, "run", "--top", "0", script, "5", check=0)
    first, second = [r["id"] for r in reversed(runs(store))]
    document = json.loads(cli(store, "diff", first, second, "--json", check=0).stdout)
    assert isinstance(document, dict) and document["unit"] == "ns"
    work = next(r for r in document["rows"] if r["name"] == "work")
    assert (work["calls_before"], work["calls_after"], work["status"]) == (3, 5, "changed")


@pytest.mark.skipif(not shutil.which("valgrind"), reason="valgrind is not installed")
def test_imported_valgrind_file_keeps_its_own_event(tmp_path):
    """``events: Ir`` stays instructions everywhere: the run's callgrind file, its table,
    ``show`` (text and JSON), the summary and ``diff``; never shown as a duration."""
    out = tmp_path / "callgrind.out.true"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    "/bin/true"], check=True, capture_output=True)
    original = out.read_text()
    total = int(next(line.split()[1] for line in original.splitlines()
                     if line.startswith(("summary:", "totals:"))))
    store = tmp_path / "store"
    cli(store, "import", str(out), check=0)
    record, folder = only_run(store)
    written = os.path.join(folder, record["callgrind"])
    check_callgrind_file(written)
    with open(written, encoding="utf-8") as stream:
        header = stream.read().split("\nfl=", 1)[0]
    assert "events: Ir\n" in header and "ns" not in header.split("events:")[1]
    shown = json.loads(cli(store, "show", "last", "--json", "--top", "100000", check=0).stdout)
    assert shown["unit"] == "Ir"
    assert sum(f["self_ns"] for f in shown["functions"]) == total
    text = cli(store, "show", "last", check=0).stdout
    assert " Ir " in text and not any(u in text for u in (" ns ", " µs ", " ms "))
    with open(os.path.join(folder, record["summary"]), encoding="utf-8") as stream:
        assert f"costing {total} Ir" in stream.read()
    assert load_table(os.path.join(folder, "tables", "all.table")).event == "Ir"
    cli(store, "import", str(out), check=0)
    first, second = [r["id"] for r in reversed(runs(store))]
    document = json.loads(cli(store, "diff", first, second, "--json", check=0).stdout)
    assert document["unit"] == "Ir" and document["total_after"] == total
    text = cli(store, "diff", first, second, check=0).stdout
    assert f"Total cost: {total:,} Ir" in text
    # a Python run and an instruction count are not compared
    script = write(tmp_path, "tiny.py", "print(1)\n")
    cli(store, "run", "--top", "0", script, check=0)
    refused = cli(store, "diff", first, "last", check=1)
    assert "different events" in refused.stderr and "Traceback" not in refused.stderr


# -- the script's stdin -------------------------------------------------------------------------
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASK = """
    import sys
    name = input("name? ")
    print("hello", name, flush=True)
    rest = sys.stdin.read()
    print("rest", repr(rest))
"""


def _command(store):
    env = dict(os.environ, PYTHONPATH=REPO, SPYDER_CALLGRIND_STORE=str(store))
    return [sys.executable, "-m", "spyder_callgrind", "run", "--top", "0"], env


def test_piped_stdin_reaches_the_script(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "stdin_sum.py", """
        import sys
        print("sum", sum(int(x) for x in sys.stdin))
    """)
    command, env = _command(store)
    done = subprocess.run(command + [script], input="".join(f"{i}\n" for i in range(1, 101)),
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "sum 5050" in done.stdout


def test_terminal_stdin_reaches_the_script(tmp_path):
    """In a real terminal (a pseudo-terminal that is the command's controlling terminal),
    ``input()`` waits for the typed line instead of raising EOFError."""
    import fcntl
    import pty  # noqa: F401  (POSIX only, like the test)
    import select
    import termios
    store = tmp_path / "store"
    script = write(tmp_path, "ask.py", ASK)
    command, env = _command(store)
    master, slave = os.openpty()

    def controlling_terminal():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(command + [script], stdin=slave, stdout=slave, stderr=slave,
                            preexec_fn=controlling_terminal, env=env)
    os.close(slave)
    seen, typed = b"", False
    try:
        while select.select([master], [], [], 120)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:       # the terminal's other side closed: the command ended
                break
            if not chunk:
                break
            seen += chunk
            if b"name? " in seen and not typed:
                os.write(master, b"world\n\x04")     # a line, then Ctrl-D (end of file)
                typed = True
    finally:
        os.close(master)
    assert proc.wait(120) == 0, seen
    assert b"hello world" in seen and b"rest ''" in seen, seen


def test_control_stdin_protocol_feeds_the_script(tmp_path):
    """``--control-stdin`` (the pane's channel): ``input`` lines reach the script's stdin,
    which stays open (``input()`` waits) until ``eof``; ``stop`` still stops."""
    store = tmp_path / "store"
    script = write(tmp_path, "ask.py", ASK)
    command, env = _command(store)
    proc = subprocess.Popen(command + ["--control-stdin", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdin.write("input wörld\n".encode())
    proc.stdin.flush()
    line = b""
    while b"hello" not in line:           # the script answered the first line...
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
    assert line.decode().endswith("hello wörld\n")
    assert proc.poll() is None             # ...and waits on its open stdin
    proc.stdin.write(b"input two\ninput three\neof\n")
    proc.stdin.flush()
    out = proc.stdout.read()               # our end stays open: its end would mean "stop"
    assert proc.wait(120) == 0, proc.stderr.read()
    proc.stdin.close()
    assert "rest 'two\\nthree\\n'" in out.decode()
    stopped = subprocess.Popen(command + ["--control-stdin", script], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _out, err = stopped.communicate(b"stop\n", timeout=120)
    assert stopped.returncode == 130 and b"stopped" in err, err


def test_background_child_holding_the_output_does_not_hold_the_run(tmp_path):
    """A process the script leaves running keeps the output pipes open (and keeps writing):
    the run ends with the script, keeps what the script wrote, and says later output was not
    captured."""
    store, release = tmp_path / "store", tmp_path / "release"
    child = write(tmp_path, "child.py", f"""
        import os, time
        while not os.path.exists({str(release)!r}):
            print("child still writing", flush=True)     # never silent, never done
            time.sleep(0.05)
        print("late output", flush=True)
    """)
    script = write(tmp_path, "leave_child.py", f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, {child!r}])
        open({str(tmp_path / 'child.pid')!r}, "w").write(str(child.pid))
        print("script output", flush=True)
    """)
    command, env = _command(store)
    try:
        done = subprocess.run(command + [script], capture_output=True, text=True, env=env,
                              timeout=120)
        child = int((tmp_path / "child.pid").read_text())
        os.kill(child, 0)                  # the child still runs (and holds the pipes)
    finally:
        release.write_text("")
    assert done.returncode == 0, done.stderr
    assert "script output" in done.stdout
    note = "output after the script ended was not captured"
    assert note in done.stderr
    record, folder = only_run(store)
    with open(os.path.join(folder, record["output"]), encoding="utf-8") as stream:
        kept = stream.read()
    assert "script output" in kept and note in kept and "late output" not in kept


# -- smaller things a user meets ------------------------------------------------------------------
@pytest.mark.parametrize("how, number", [
    ("os.kill(os.getpid(), signal.SIGKILL)", signal.SIGKILL),
    ("os.kill(os.getpid(), signal.SIGTERM)", signal.SIGTERM),
    ("os.abort()", signal.SIGABRT)])
def test_script_killed_by_a_signal_exits_128_plus_n(tmp_path, how, number):
    store = tmp_path / "store"
    script = write(tmp_path, "die.py", f"import os, signal\n{how}\n")
    done = cli(store, "run", "--top", "0", script)
    assert done.returncode == 128 + number, done.stderr
    assert f"killed by {signal.Signals(number).name}" in done.stderr
    record, _folder = only_run(store)
    assert record["exit_code"] == -number


def test_label_with_a_line_break_is_refused(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "quick.py", "print('ran')\n")
    refused = cli(store, "run", "--label", "two\nlines", script, check=1)
    assert "one line" in refused.stderr and "ran" not in refused.stdout
    assert not os.path.exists(str(store)) or runs(store) == []
    cli(store, "run", "--top", "0", "--label", "kept", script, check=0)
    refused = cli(store, "label", "last", "a\rb")
    assert refused.returncode == 1 and "one line" in refused.stderr
    record, folder = only_run(store)
    assert record["label"] == "kept"
    # a run.json edited by hand (or written by an older version) still lists on one line
    path = os.path.join(folder, "run.json")
    data = json.load(open(path))
    data["label"] = "hand\nedited"
    with open(path, "w") as stream:
        json.dump(data, stream)
    listed = cli(store, "list", check=0).stdout.splitlines()
    assert len(listed) == 2 and listed[1].endswith("[hand edited]")


def test_imported_profile_is_the_newest_run_and_says_where_it_came_from(tmp_path):
    store = tmp_path / "store"
    script = write(tmp_path, "quick.py", "def f():\n    return 1\nf()\n")
    prof = str(tmp_path / "old.prof")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", prof, script], check=True,
                   capture_output=True)
    os.utime(prof, (946684800, 946684800))                 # dated 2000-01-01
    cli(store, "run", "--top", "0", script, check=0)
    cli(store, "import", prof, check=0)
    newest = runs(store)[0]
    assert newest["source"] == "import" and newest["file_date"].startswith("2000-01-01")
    shown = cli(store, "show", "last", check=0).stdout
    assert f"imported from {prof} (file dated 2000-01-01" in shown
    assert "exit code" not in shown and "python" not in shown.split("\n\n")[0]


def test_argv0_is_the_script_as_typed(tmp_path):
    """`python sub/x.py` gives sys.argv[0] == "sub/x.py"; so does `run sub/x.py`. With
    --cwd elsewhere, the path typed would not name the file from there: it is made whole."""
    folder = tmp_path / "sub"
    folder.mkdir()
    write(folder, "x.py", "import sys\nprint('argv', sys.argv)\n")
    store = tmp_path / "store"
    done = cli(store, "run", "--top", "0", "--no-compare", os.path.join("sub", "x.py"), "a",
               cwd=str(tmp_path), check=0)
    assert "argv ['%s', 'a']" % os.path.join("sub", "x.py") in done.stdout
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    done = cli(store, "run", "--top", "0", "--no-compare", "--cwd", str(elsewhere),
               os.path.join("sub", "x.py"), cwd=str(tmp_path), check=0)
    assert "argv ['%s']" % str(folder / "x.py") in done.stdout
