"""engine.profiles: strict .prof reading, isolated reading, merging, the table file."""

import marshal
import os
import pstats
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spyder_callgrind.engine.model import BUILTIN_FILE, EdgeColumns, Function, ProfileData
from spyder_callgrind.engine.profiles import (
    ProfileError, load_pstats, load_pstats_isolated, merge_profiles, write_pstats)
from spyder_callgrind.engine.table import (
    MAGIC, TABLE_VERSION, load_table, save_table, save_top, table_bytes, top_subset)


def ns(seconds):
    return round(seconds * 1e9)


def absolute(key, base):
    file, line, name = key
    if file != "~" and not os.path.isabs(file):
        file = os.path.normpath(os.path.join(base, file))
    return (file, line, name)


def test_matches_pstats_exactly(sample_prof):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    stats = pstats.Stats(path).stats
    assert len(data) == len(stats)
    for key, (cc, nc, tt, ct, callers) in stats.items():
        i = data.index_of(absolute(key, base))
        f = data.functions[i]
        assert (f.primitive_calls, f.total_calls) == (cc, nc)
        assert (f.self_ns, f.inclusive_ns) == (ns(tt), ns(ct))
        incoming = {data.functions[e.caller].key: e for e in data.callers_of(i)}
        assert len(incoming) == len(callers)
        for caller, (total, primitive, ett, ect) in callers.items():
            e = incoming[absolute(caller, base)]
            assert (e.total_calls, e.primitive_calls) == (total, primitive)
            assert (e.self_ns, e.inclusive_ns) == (ns(ett), ns(ect))


def test_paths_absolute_and_builtins(sample_prof):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    files = {f.file for f in data.functions}
    assert os.path.join(base, "sample.py") in files
    for f in data.functions:
        assert f.file == BUILTIN_FILE or os.path.isabs(f.file) or f.file.startswith("<")
        if f.file == BUILTIN_FILE:
            assert f.line == 0
    assert any(f.name == "<built-in method builtins.len>" for f in data.functions)


def test_profile_module_output(sample_profile_module):
    path, base = sample_profile_module
    data = load_pstats(path, base_dir=base)
    names = {f.name for f in data.functions}
    assert "fib" in names and "work" in names
    assert all(isinstance(f.name, str) for f in data.functions)
    fib = next(f for f in data.functions if f.name == "fib")
    assert fib.total_calls == pstats.Stats(path).stats[("sample.py", 2, "fib")][1]
    assert fib.file == os.path.join(base, "sample.py")
    assert any(n.startswith("<profile: ") for n in names)   # the code-object key


def _write(tmp_path, payload):
    path = tmp_path / "data.bin"
    path.write_bytes(payload)
    return str(path)


GOOD_ENTRY = (1, 1, 0.5, 1.0, {})
BAD_FILES = {
    "empty": b"",
    "text": b"hello, this is text\n",
    "random": bytes(range(7, 250, 3)),
    "list": marshal.dumps([1, 2, 3]),
    "empty dict": marshal.dumps({}),
    "bad key": marshal.dumps({("a.py", "1", "f"): GOOD_ENTRY}),
    "short key": marshal.dumps({("a.py", 1): GOOD_ENTRY}),
    "bad value": marshal.dumps({("a.py", 1, "f"): (1, 1, 0.5, 1.0)}),
    "negative": marshal.dumps({("a.py", 1, "f"): (1, 1, -0.5, 1.0, {})}),
    "nan": marshal.dumps({("a.py", 1, "f"): (1, 1, float("nan"), 1.0, {})}),
    "string count": marshal.dumps({("a.py", 1, "f"): ("1", 1, 0.5, 1.0, {})}),
    "unknown caller": marshal.dumps({("a.py", 1, "f"): (1, 1, 0.5, 1.0,
                                                        {("b.py", 2, "g"): (1, 1, 0.1, 0.1)})}),
    "bad caller record": marshal.dumps({("a.py", 1, "f"): (1, 1, 0.5, 1.0,
                                                           {("a.py", 1, "f"): (1, 1)})}),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_refuses_bad_files(tmp_path, kind):
    path = _write(tmp_path, BAD_FILES[kind])
    with pytest.raises(ProfileError) as info:
        load_pstats(path)
    message = str(info.value)
    assert "\n" not in message and "data.bin" in message


def test_refuses_truncated(sample_prof, tmp_path):
    raw = open(sample_prof[0], "rb").read()
    with pytest.raises(ProfileError):
        load_pstats(_write(tmp_path, raw[:len(raw) // 2]))


def test_another_python_version(tmp_path):
    # a dict whose entries use a type code this marshal does not know
    with pytest.raises(ProfileError, match="another Python version"):
        load_pstats(_write(tmp_path, b"{\xfe\x00\x00\x00"))


def test_missing_file(tmp_path):
    with pytest.raises(ProfileError, match="cannot read"):
        load_pstats(str(tmp_path / "nope.prof"))


def test_isolated_same_result(sample_prof):
    path, base = sample_prof
    assert load_pstats_isolated(path, base_dir=base).functions == \
        load_pstats(path, base_dir=base).functions


def test_isolated_refusal_message(tmp_path):
    with pytest.raises(ProfileError, match="not a pstats file"):
        load_pstats_isolated(_write(tmp_path, b"garbage"))


def _fake_python(tmp_path, body):
    fake = tmp_path / "fakepython"
    fake.write_text("#!/bin/sh\n" + body + "\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return str(fake)


def test_isolated_crash(sample_prof, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.executable", _fake_python(tmp_path, "kill -SEGV $$"))
    with pytest.raises(ProfileError, match="crashed"):
        load_pstats_isolated(sample_prof[0])


def test_isolated_timeout(sample_prof, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.executable", _fake_python(tmp_path, "exec sleep 30"))
    with pytest.raises(ProfileError, match="longer than"):
        load_pstats_isolated(sample_prof[0], timeout=0.5)


def test_merge_sums(sample_prof):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    merged = merge_profiles([data, data], description="all")
    assert merged.description == "all"
    assert len(merged) == len(data) and len(merged.edges) == len(data.edges)
    for f in data.functions:
        g = merged.functions[merged.index_of(f.key)]
        assert (g.total_calls, g.self_ns, g.inclusive_ns) == \
            (2 * f.total_calls, 2 * f.self_ns, 2 * f.inclusive_ns)
    assert merged.total_ns == 2 * data.total_ns


def test_write_pstats_roundtrip(sample_prof, tmp_path):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    out = str(tmp_path / "out.prof")
    write_pstats(data, out)
    stats = pstats.Stats(out)
    assert stats.total_calls == sum(f.total_calls for f in data.functions)
    again = load_pstats(out)
    assert again.functions == data.functions
    assert sorted(again.edges) == sorted(data.edges)


def _recurse(n):
    return n if n < 2 else _recurse(n - 1) + _recurse(n - 2)


def _profile_to(path, work):
    import cProfile
    profiler = cProfile.Profile()
    profiler.runcall(work)
    profiler.dump_stats(path)


def test_merged_prof_matches_pstats_add(tmp_path):
    """The .prof written from the merged profile in memory holds what ``pstats`` itself
    gives when it adds up the same files, function by function and caller by caller."""
    a, b, out = (str(tmp_path / n) for n in ("a.prof", "b.prof", "merged.prof"))
    _profile_to(a, lambda: [_recurse(12), sorted(range(1000))])
    _profile_to(b, lambda: [_recurse(9), sum(range(1000)), str(_recurse(3))])
    merged = merge_profiles([load_pstats(a), load_pstats(b)])
    write_pstats(merged, out)
    ours = pstats.Stats(out).stats
    theirs = pstats.Stats(a).add(b).stats
    assert set(ours) == set(theirs)
    for key, (cc, nc, tt, ct, callers) in theirs.items():
        cc2, nc2, tt2, ct2, callers2 = ours[key]
        assert (cc2, nc2) == (cc, nc), key
        assert tt2 == pytest.approx(tt, abs=2e-9) and ct2 == pytest.approx(ct, abs=2e-9)
        assert set(callers2) == set(callers), key
        for caller, (total, prim, ctt, cct) in callers.items():
            total2, prim2, ctt2, cct2 = callers2[caller]
            assert (total2, prim2) == (total, prim), (key, caller)
            assert ctt2 == pytest.approx(ctt, abs=2e-9)
            assert cct2 == pytest.approx(cct, abs=2e-9)


def test_table_roundtrip(sample_prof, tmp_path):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base, description="main")
    out = str(tmp_path / "table.table")
    save_table(data, out)
    again = load_table(out)
    assert again.functions == data.functions and again.edges == data.edges
    assert again.description == "main"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp")]


def test_a_loaded_table_keeps_its_edges_as_columns_and_its_first_order(sample_prof,
                                                                      tmp_path):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    out = str(tmp_path / "table.table")
    save_table(data, out)
    again = load_table(out)
    assert isinstance(again.edges, EdgeColumns) and len(again.edges) == len(data.edges)
    assert list(again.edges) == list(data.edges)
    assert again.edges[3] == data.edges[3] and again.edges[-1] == data.edges[-1]
    assert again.edges[2:5] == data.edges[2:5] and again.edges != data.edges[1:]
    for index in range(len(data)):
        assert again.callers_of(index) == data.callers_of(index)
        assert again.callees_of(index) == data.callees_of(index)
    # the order by inclusive time is read, not sorted again, and is the one sorting gives
    inclusive = [f.inclusive_ns for f in data.functions]
    expected = sorted(range(len(data)), key=lambda i: -inclusive[i])
    assert again.by_inclusive() == data.by_inclusive() == expected
    # a profile built from loaded edges indexes them as one built from tuples
    rebuilt = ProfileData(again.functions, again.edges)
    assert rebuilt.adjacency() == ProfileData(data.functions, list(data.edges)).adjacency()
    assert table_bytes(again) == table_bytes(data)


def test_load_table_refuses_a_damaged_order(sample_prof, tmp_path):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    good = table_bytes(data)
    size = 4 * len(data)             # the order is the file's last column
    order = [int.from_bytes(good[-size:][4 * i:4 * i + 4], "little") for i in range(len(data))]
    assert order == data.by_inclusive()
    bad = tmp_path / "order.table"
    for wrong in ([order[0]] * len(order), [len(order)] + order[1:], [-1] + order[1:]):
        bad.write_bytes(good[:-size] + b"".join(n.to_bytes(4, "little", signed=True)
                                                for n in wrong))
        with pytest.raises(ProfileError, match="order.table has a bad order column"):
            load_table(str(bad))


def test_save_top(sample_prof, tmp_path):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    top = top_subset(data, 3)
    by_incl = sorted(data.functions, key=lambda f: -f.inclusive_ns)[:3]
    by_self = sorted(data.functions, key=lambda f: -f.self_ns)[:3]
    by_calls = sorted(data.functions, key=lambda f: -f.total_calls)[:3]
    assert {f.key for f in top.functions} == {f.key for f in by_incl + by_self + by_calls}
    assert top.total_ns == data.total_ns      # percentages stay those of the whole
    keys = {f.key for f in top.functions}
    expected = {(data.functions[e.caller].key, data.functions[e.callee].key)
                for e in data.edges if data.functions[e.caller].key in keys
                and data.functions[e.callee].key in keys}
    assert {(top.functions[e.caller].key, top.functions[e.callee].key)
            for e in top.edges} == expected
    out = str(tmp_path / "top.table")
    save_top(data, out, n=3)
    again = load_table(out)
    assert again.functions == top.functions and again.total_ns == data.total_ns


def _damaged_tables(good):
    """(label, bytes) of table files damaged in the ways a disk or a user can."""
    header = len(MAGIC)
    yield "empty", b""
    yield "truncated", good[: len(good) // 2]
    yield "header only", good[:header + 8]
    yield "one byte short", good[:-1]
    yield "extra data", good + b"\0"
    yield "not a table", b"hello"
    yield "old json table", b'{"format":"spyder-callgrind-table","version":2}\n'
    newer = bytearray(good)
    newer[header:header + 4] = (TABLE_VERSION + 1).to_bytes(4, "little")
    yield "newer", bytes(newer)


def _table_with(data, **changes):
    """``data`` as a table whose first function or edge has other values."""
    functions, edges = list(data.functions), list(data.edges)
    if "function" in changes:
        functions[0] = functions[0]._replace(**changes["function"])
    if "edge" in changes:
        edges[0] = edges[0]._replace(**changes["edge"])
    return table_bytes(ProfileData(functions, edges, data.description, data.event))


def test_load_table_refuses_damage(sample_prof, tmp_path):
    path, base = sample_prof
    data = load_pstats(path, base_dir=base)
    good = table_bytes(data)
    damaged = list(_damaged_tables(good))
    damaged += [("dangling edge", _table_with(data, edge={"callee": 10 ** 6})),
                ("negative", _table_with(data, function={"self_ns": -1})),
                ("negative caller", _table_with(data, edge={"caller": -1}))]
    bad = tmp_path / "bad.table"
    for label, payload in damaged:
        bad.write_bytes(payload)
        with pytest.raises(ProfileError) as error:
            load_table(str(bad))
        message = str(error.value)
        assert "\n" not in message and "bad.table" in message, (label, message)
        if label == "newer":
            assert "newer" in message
        if label in ("truncated", "one byte short", "header only"):
            assert "cut short" in message, (label, message)


def test_load_table_refuses_an_offset_inside_a_character(tmp_path):
    # The blob as a whole is text, but one string starts in the middle of "é": the
    # found-by-fuzzing case where only decoding each name on its own sees the damage.
    data = ProfileData([Function("a.py", 1, "\u00e9", 1, 1, 5, 5)], [], "d", "ns")
    good = table_bytes(data)
    header = len(MAGIC) + 28
    offsets = [int.from_bytes(good[header + 8 * i:header + 8 * i + 8], "little")
               for i in range(5)]
    assert offsets == [0, 1, 3, 7, 9]
    split = good[:header + 24] + (8).to_bytes(8, "little") + good[header + 32:]
    bad = tmp_path / "split.table"
    bad.write_bytes(split)
    with pytest.raises(ProfileError, match="split.table has a name that is not text"):
        load_table(str(bad))


def test_table_keeps_names_that_are_not_utf8(tmp_path):
    name = "caf\udce9.py"    # a file name byte that is not UTF-8, as os.fsdecode keeps it
    data = ProfileData([Function(name, 1, "f\u00e9", 1, 1, 5, 5),
                        Function("~", 0, "<built-in>", 1, 1, 2, 2)], [], "d\u00e9sc", "Ir")
    out = str(tmp_path / "t.table")
    save_table(data, out)
    again = load_table(out)
    assert again.functions == data.functions
    assert (again.description, again.event) == ("d\u00e9sc", "Ir")


# -- fuzzing --------------------------------------------------------------------------------

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(st.integers(-5, 10 ** 6), st.floats(allow_nan=True), st.text(max_size=5),
                    st.none(), st.booleans())
keys = st.tuples(st.sampled_from(["a.py", "~", "", "profile", "/x/b.py"]),
                 st.integers(-1, 50), st.sampled_from(["f", "g", "<module>"]))
values = st.tuples(st.integers(-1, 9), st.integers(-1, 9), scalars, scalars,
                   st.dictionaries(keys, st.one_of(st.integers(-1, 5),
                                                   st.tuples(scalars, scalars, scalars, scalars)),
                                   max_size=3))
pstats_like = st.one_of(st.dictionaries(keys, values, max_size=5),
                        st.dictionaries(keys, scalars, max_size=3),
                        st.lists(scalars, max_size=3), scalars)


@FUZZ
@given(payload=st.binary(max_size=200))
def test_fuzz_load_pstats_bytes(tmp_path, payload):
    path = _write(tmp_path, payload)
    try:
        assert isinstance(load_pstats(path), ProfileData)
    except ProfileError:
        pass


@FUZZ
@given(obj=pstats_like)
def test_fuzz_load_pstats_shapes(tmp_path, obj):
    path = _write(tmp_path, marshal.dumps(obj))
    try:
        assert isinstance(load_pstats(path), ProfileData)
    except ProfileError:
        pass


_GOOD_TABLE = None


@FUZZ
@given(data=st.data())
def test_fuzz_load_table(tmp_path, sample_prof, data):
    global _GOOD_TABLE
    if _GOOD_TABLE is None:
        out = str(tmp_path / "good.table")
        save_table(load_pstats(sample_prof[0], base_dir=sample_prof[1]), out)
        _GOOD_TABLE = open(out, "rb").read()
    good = _GOOD_TABLE
    start = data.draw(st.integers(0, len(good) - 1))
    junk = data.draw(st.binary(max_size=8))
    payload = good[:start] + junk + good[start + len(junk):]
    bad = tmp_path / "bad.table"
    bad.write_bytes(payload)
    try:
        load_table(str(bad))
    except ProfileError:
        pass
