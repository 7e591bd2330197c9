"""engine.summary: pstats-like text and top functions."""

import pstats
import re

import pytest

from spyder_callgrind.engine.profiles import load_pstats
from spyder_callgrind.engine.summary import format_summary, top_functions


@pytest.fixture
def data(sample_prof):
    path, base = sample_prof
    return load_pstats(path, base_dir=base)


def test_header_matches_pstats(sample_prof, data):
    stats = pstats.Stats(sample_prof[0])
    text = format_summary(data)
    assert f"{stats.total_calls} function calls ({stats.prim_calls} primitive calls) in " \
           f"{stats.total_tt:.3f} seconds" in text
    assert "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)" in text
    assert "Ordered by: cumulative time" in text


def test_rows_sorted_and_limited(data):
    text = format_summary(data, sort="tottime", limit=3)
    rows = text.split("filename:lineno(function)\n")[1].strip().splitlines()
    assert len(rows) == 3
    assert "List reduced from" in text
    tottimes = [float(r.split()[1]) for r in rows]
    assert tottimes == sorted(tottimes, reverse=True)
    full = format_summary(data, sort="cumulative")
    assert re.search(r"^\s+\d+/\d+ .*:\d+\(fib\)$", full, re.M)      # recursive: total/prim
    assert "{built-in method builtins.len}" in full


def test_unknown_sort(data):
    with pytest.raises(ValueError):
        format_summary(data, sort="nope")
    with pytest.raises(ValueError):
        top_functions(data, sort="nope")


def test_top_functions(data):
    for sort, key in (("self", "self_ns"), ("inclusive", "inclusive_ns"),
                      ("calls", "total_calls")):
        top = top_functions(data, sort=sort, n=4)
        assert len(top) == 4
        values = [getattr(data.functions[i], key) for i in top]
        assert values == sorted(values, reverse=True)
        assert values[0] == max(getattr(f, key) for f in data.functions)


def test_sampled_run_shows_no_counts(data):
    """A sampled run measured no calls: the summary says so, with no count or per-call
    time, instead of a column of zeros."""
    text = format_summary(data, counted=False)
    assert "calls not measured (sampled run)" in text and "function calls" not in text
    rows = text.split("filename:lineno(function)\n")[1].splitlines()
    assert rows and all(row.split()[0] == "-" for row in rows)
