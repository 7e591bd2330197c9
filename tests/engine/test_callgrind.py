"""engine.callgrind: the writer against pstats, callgrind_annotate and the real KCacheGrind;
the strict checker; the reader on our files and on valgrind's."""

import os
import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spyder_callgrind.engine.callgrind import (
    CallgrindError, CallgrindPart, callgrind_file_names, check_callgrind, read_callgrind,
    write_callgrind, write_process_files)
from spyder_callgrind.engine.profiles import load_pstats

HAVE_ANNOTATE = shutil.which("callgrind_annotate") is not None
HAVE_KCACHEGRIND = all(shutil.which(p) for p in ("kcachegrind", "xvfb-run", "dbus-run-session",
                                                   "xwininfo"))
needs_annotate = pytest.mark.skipif(not HAVE_ANNOTATE, reason="callgrind_annotate (valgrind) "
                                    "is not installed")
needs_kcachegrind = pytest.mark.skipif(
    not HAVE_KCACHEGRIND, reason="kcachegrind, xvfb-run, dbus-run-session or xwininfo "
    "(apt: kcachegrind xvfb dbus x11-utils) is not installed")


@pytest.fixture
def sample(sample_prof, tmp_path):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    out = str(tmp_path / "callgrind.out.sample")
    write_callgrind(out, [CallgrindPart(data, 4242, "python sample.py", "main process")])
    return data, out


def _body(path):
    """Our own file parsed naively: per function name, self cost; and call records."""
    funcs, calls = {}, []
    names = {}
    current = None
    lines = open(path).read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?$", line)
        if m:
            kind, number, name = m.groups()
            if name is not None:
                names[number] = name
            if kind == "fn":
                current = names[number]
            else:
                count, _ = lines[i + 1][len("calls="):].split()
                cost = int(lines[i + 2].split()[1])
                calls.append((current, names[number], int(count), cost))
                i += 3
                continue
        elif current is not None and re.match(r"^\d+ \d+$", line):
            funcs[current] = funcs.get(current, 0) + int(line.split()[1])
        i += 1
    return funcs, calls


def test_valid_and_header(sample, tmp_path):
    data, path = sample
    assert check_callgrind(path) == []
    lines = open(path).read().splitlines()
    assert lines[:3] == ["# callgrind format", "version: 1", lines[2]]
    assert lines[2].startswith("creator: spyder-callgrind ")
    header = [line.split(":")[0] for line in lines[3:] if line and ":" in line][:9]
    assert header == ["pid", "cmd", "desc", "desc", "positions", "event", "events", "summary"] \
        [:len(header)] or header[:2] == ["pid", "cmd"]
    events = lines.index("events: ns")
    assert lines[events + 1] == f"summary: {data.total_ns}"
    assert lines[-1] == f"totals: {data.total_ns}"
    assert "positions: line" in lines and "event: ns : Nanoseconds" in lines
    # one profile of one process: nothing adds up, so no note says so
    assert not any("not wall time" in line for line in lines if line.startswith("desc:"))
    several = str(tmp_path / "callgrind.out.several")
    write_callgrind(several, [CallgrindPart(data, 4242, "python sample.py")], adds_up=True)
    assert check_callgrind(several) == []
    assert any("not wall time" in line for line in open(several).read().splitlines()
               if line.startswith("desc:"))


def test_costs_match_pstats(sample):
    data, path = sample
    funcs, calls = _body(path)
    by_name = {}
    for f in data.functions:
        by_name.setdefault(f.name, []).append(f)
    # self cost of every function is pstats tottime in ns
    for f in data.functions:
        written = [n for n in funcs if n == f.name or n.startswith(f.name + " [")]
        assert written, f.name
    for name, cost in funcs.items():
        plain = name.split(" [")[0]
        assert any(f.self_ns == cost for f in by_name[plain])
    # call counts exact, self-calls cost nothing
    assert sum(c[2] for c in calls) == sum(e.total_calls for e in data.edges)
    for caller, callee, count, cost in calls:
        if caller == callee:
            assert cost == 0 and count > 0


def test_inclusive_consistent(sample):
    data, path = sample
    [again] = read_callgrind(path)
    assert again.total_ns == data.total_ns
    for f in data.functions:
        g = next(g for g in again.functions
                 if g.file == f.file and g.line == f.line and g.name.split(" [")[0] == f.name)
        assert g.self_ns == f.self_ns
        assert g.total_calls == (f.total_calls if data.callers_of(data.index_of(f.key)) else 0)
        # self + outgoing inclusive call costs == pstats cumtime (recursive or not);
        # mutual recursion (even/odd) is the one case pstats itself counts differently
        if f.name not in ("even", "odd"):
            assert g.inclusive_ns == f.inclusive_ns, f.name


def test_same_named_functions_distinct(sample):
    data, path = sample
    text = open(path).read()
    runs = re.findall(r"fn=\(\d+\) (run \[sample\.py:\d+\])", text)
    assert len(set(runs)) == 2


def test_names_compressed(sample):
    _, path = sample
    text = open(path).read()
    defined = re.findall(r"^c?fn=\((\d+)\) ", text, re.M)
    assert len(defined) == len(set(defined))
    files = re.findall(r"^c?fl=\((\d+)\) ", text, re.M)
    assert len(files) == len(set(files))


def test_profile_module_converts(sample_profile_module, tmp_path):
    path, base = sample_profile_module
    data = load_pstats(path, base_dir=base)
    out = str(tmp_path / "callgrind.out.p")
    write_callgrind(out, [CallgrindPart(data, 1, "python -m profile sample.py")])
    assert check_callgrind(out) == []
    assert read_callgrind(out)[0].total_ns == data.total_ns


@needs_annotate
def test_callgrind_annotate(sample):
    data, path = sample
    for inclusive in ("no", "yes"):
        done = subprocess.run(["callgrind_annotate", f"--inclusive={inclusive}", path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert done.returncode == 0, done.stderr
        assert "malformed" not in (done.stdout + done.stderr).lower()
        total = re.search(r"^\s*([\d,]+) .*PROGRAM TOTALS", done.stdout, re.M)
        assert int(total.group(1).replace(",", "")) == data.total_ns
        rows = re.findall(r"^\s*([\d,]+) \([ \d.]+%\)\s+\S*:(fib)$", done.stdout, re.M)
        fib = next(f for f in data.functions if f.name == "fib")
        expected = fib.inclusive_ns if inclusive == "yes" else fib.self_ns
        # recursive fib is not double-counted: inclusive == pstats cumtime
        assert rows and all(int(r[0].replace(",", "")) == expected for r in rows)


def test_process_files_and_names(sample, tmp_path):
    data, _ = sample
    names = callgrind_file_names("run-1", 12)
    assert names.per_process[0] == names.main == "callgrind.out.run-1"
    assert all(n.startswith("callgrind.out.") for n in names.per_process)
    assert len(set(names.per_process)) == 12
    others = names.per_process[1:]
    assert not any(a != b and b.startswith(a) for a in others for b in others)
    folder = tmp_path / "run"
    folder.mkdir()
    parts = [CallgrindPart(data, 100 + k, "python sample.py", f"process {k}") for k in range(3)]
    written = write_process_files(str(folder), "run-1", parts)
    assert sorted(os.listdir(folder)) == sorted(written.per_process)
    for name in written.per_process:
        assert check_callgrind(str(folder / name)) == []


def test_several_parts_in_one_file(sample, tmp_path):
    data, _ = sample
    out = str(tmp_path / "callgrind.out.two")
    write_callgrind(out, [CallgrindPart(data, 1, "c"), CallgrindPart(data, 2, "c")])
    assert check_callgrind(out) == []
    assert [p.total_ns for p in read_callgrind(out)] == [data.total_ns] * 2
    with pytest.raises(ValueError):
        write_callgrind(out, [CallgrindPart(data, 1, "a"), CallgrindPart(data, 2, "b")])


# -- the strict checker -------------------------------------------------------------------

GOOD = """# callgrind format
version: 1
creator: test
positions: line
events: ns
summary: 30

fl=(1) /a.py
fn=(1) f
1 10
cfn=(2) g
calls=2 5
* 20
fn=(2)
5 20

totals: 30
"""

BROKEN = {
    "summary below": GOOD.replace("summary: 30", "summary: 29"),
    "totals differ": GOOD.replace("totals: 30", "totals: 31"),
    "undefined id": GOOD.replace("fn=(2)\n", "fn=(7)\n"),
    "calls without cost": GOOD.replace("* 20\nfn=(2)", "fn=(2)"),
    "float cost": GOOD.replace("1 10", "1 10.5"),
    "negative cost": GOOD.replace("5 20", "5 -20").replace("30", "10"),
    "summary before events": GOOD.replace("events: ns\nsummary: 30", "summary: 30\nevents: ns"),
    "no first line": GOOD.replace("# callgrind format\n", ""),
    "no events": GOOD.replace("events: ns\n", ""),
    "no totals": GOOD.replace("totals: 30\n", ""),
    "garbage": GOOD.replace("fn=(2)\n", "what is this\nfn=(2)\n"),
}


def test_checker_accepts_good(tmp_path):
    path = tmp_path / "callgrind.out.good"
    path.write_text(GOOD)
    assert check_callgrind(str(path)) == []
    [data] = read_callgrind(str(path))
    f = data.functions[data.index_of(("/a.py", 1, "f"))]
    g = data.functions[data.index_of(("/a.py", 5, "g"))]
    assert (f.self_ns, f.inclusive_ns, g.total_calls) == (10, 30, 2)


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_checker_finds_problems(tmp_path, kind):
    path = tmp_path / "callgrind.out.bad"
    path.write_text(BROKEN[kind])
    problems = check_callgrind(str(path))
    assert problems, kind
    assert all("callgrind.out.bad:" in p and "\n" not in p for p in problems)


def test_reader_errors_name_file_and_line(tmp_path):
    path = tmp_path / "callgrind.out.bad"
    path.write_text(BROKEN["undefined id"])
    with pytest.raises(CallgrindError, match=r"callgrind\.out\.bad:\d+: "):
        read_callgrind(str(path))


VALGRIND_LIKE = """# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 77
cmd:  ./prog
part: 1

desc: I1 cache: 32768 B, 64 B, 8-way associative

positions: instr line
events: Ir Dr Dw
summary: 55 9 3

ob=(1) /usr/bin/prog
fl=(1) prog.c
fn=(1) main
0x1000 10 5 1 1
+2 * 5
fi=(2) inl.h
+4 +3 5 1
fe=(1)
jump=1 +8 *
* *
cob=(2) /lib/libc.so
cfl=(3) ???
cfn=(2) helper
calls=3 0x9000 0
+8 -1 40 5 2

ob=(2)
fl=(3)
fn=(2)
0x9000 0 40 5 2

totals: 55 9 3
"""


def test_reads_valgrind_like_file(tmp_path):
    path = tmp_path / "callgrind.out.77"
    path.write_text(VALGRIND_LIKE)
    assert check_callgrind(str(path)) == []
    [data] = read_callgrind(str(path))
    assert data.total_ns == 55
    main = next(f for f in data.functions if f.name == "main")
    helper = next(f for f in data.functions if f.name == "helper")
    assert (main.self_ns, main.inclusive_ns, main.line) == (15, 55, 10)
    assert (helper.self_ns, helper.total_calls, helper.file) == (40, 3, "/lib/libc.so")


@pytest.mark.skipif(not shutil.which("valgrind"), reason="valgrind is not installed")
def test_reads_real_valgrind_output(tmp_path):
    out = tmp_path / "callgrind.out.true"
    subprocess.run(["valgrind", "--tool=callgrind", "--dump-instr=yes", "--collect-jumps=yes",
                    "--cache-sim=yes", f"--callgrind-out-file={out}", "/bin/true"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    [data] = read_callgrind(str(out))
    assert len(data) > 10 and data.total_ns > 0
    problems = check_callgrind(str(out))
    assert not [p for p in problems if "summary" not in p and "totals" not in p]


FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.data())
def test_fuzz_read_callgrind(tmp_path, data):
    base = data.draw(st.sampled_from([GOOD, VALGRIND_LIKE]))
    start = data.draw(st.integers(0, len(base) - 1))
    junk = data.draw(st.text(alphabet="0123456789+-*=() :\nabcflnx.#", max_size=10))
    text = base[:start] + junk + base[start + data.draw(st.integers(0, 10)):]
    path = tmp_path / "callgrind.out.fuzz"
    path.write_text(text)
    try:
        read_callgrind(str(path))
    except CallgrindError:
        pass
    assert isinstance(check_callgrind(str(path)), list)


@FUZZ
@given(payload=st.binary(max_size=300))
def test_fuzz_read_callgrind_bytes(tmp_path, payload):
    path = tmp_path / "callgrind.out.bytes"
    path.write_bytes(payload)
    try:
        read_callgrind(str(path))
    except CallgrindError:
        pass


# -- the real KCacheGrind -------------------------------------------------------------------

KC_SCRIPT = r"""
kcachegrind "$1" 2>"$2" &
pid=$!
# loaded when the main window's title names the file; an error dialog ends the wait too
for i in $(seq 1 120); do
  sleep 0.5
  kill -0 $pid 2>/dev/null || break
  titles=$(xwininfo -root -tree 2>/dev/null)
  if echo "$titles" | grep -q -e "$(basename "$1") \[" -e '"Error'; then break; fi
done
echo "$titles" > "$3"
kill $pid 2>/dev/null
wait $pid 2>/dev/null
exit 0
"""


def run_kcachegrind(path, tmp_path):
    """Open ``path`` in KCacheGrind under Xvfb; (loader messages, window titles)."""
    script = tmp_path / "kc.sh"
    script.write_text(KC_SCRIPT)
    err, titles = tmp_path / "kc.err", tmp_path / "kc.titles"
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)     # the tests run Qt offscreen; KCacheGrind needs X
    subprocess.run(["xvfb-run", "-a", "dbus-run-session", "--", "sh", str(script), str(path),
                    str(err), str(titles)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=180, env=env)
    messages = [line for line in err.read_text().splitlines()
                if re.match(r'\s*Loading ".*" : \d+ :', line)]
    return messages, titles.read_text()


@needs_kcachegrind
def test_kcachegrind_loads_without_message(sample, tmp_path):
    _, path = sample
    messages, titles = run_kcachegrind(path, tmp_path)
    assert os.path.basename(path) + " [python sample.py]" in titles
    assert messages == []


@needs_kcachegrind
def test_kcachegrind_loads_profile_module_output(sample_profile_module, tmp_path):
    path, base = sample_profile_module
    out = tmp_path / "callgrind.out.profile"
    write_callgrind(str(out), [CallgrindPart(load_pstats(path, base), 1, "python x.py")])
    messages, titles = run_kcachegrind(out, tmp_path)
    assert "callgrind.out.profile [" in titles and messages == []


@needs_kcachegrind
def test_kcachegrind_multi_process_layout(sample, tmp_path):
    """Opening the main file loads every process file of the run as one trace (KCacheGrind
    loads all files starting with the opened name): proven by a process file with another
    cmd: line, which KCacheGrind then reports as "Redefined command". With the same cmd,
    as we write them, there is no message."""
    data, _ = sample
    folder = tmp_path / "run"
    folder.mkdir()
    parts = [CallgrindPart(data, 100 + k, "python sample.py", f"process {k}") for k in range(3)]
    names = write_process_files(str(folder), "r1", parts)
    messages, titles = run_kcachegrind(folder / names.main, tmp_path)
    assert names.main + " [python sample.py]" in titles and messages == []
    messages, titles = run_kcachegrind(folder / names.per_process[2], tmp_path)
    assert names.per_process[2] + " [" in titles and messages == []
    # the evidence that the other files are loaded with the main one
    write_callgrind(str(folder / (names.main + ".9")), [CallgrindPart(data, 9, "python other")])
    messages, _ = run_kcachegrind(folder / names.main, tmp_path)
    assert any("Redefined command" in m for m in messages)
