"""RunLoader: a kept run's top rows at once, then the whole run in steps between events; a
newer load drops the older one's result; a damaged run is one short message."""

import gc
import threading
import weakref

import pytest

from spyder_callgrind.engine.importing import import_file
from spyder_callgrind.engine.model import ProfileData, ProfileError
from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.engine.table import MAGIC, TABLE_VERSION, load_table
from spyder_callgrind.widgets.calltable import _CACHES, KEY_BUILDERS
from spyder_callgrind.widgets.loading import RunLoader


@pytest.fixture
def store_with_runs(tmp_path, main_profile, worker_profile):
    store = RunStore(str(tmp_path / "store"))
    first = import_file(store, main_profile.prof)
    second = import_file(store, worker_profile.prof)
    return store, first, second


def _collect(loader):
    got = {"loaded": [], "failed": []}
    loader.loaded.connect(lambda *args: got["loaded"].append(
        (args[0], args[1], args[2], threading.current_thread() is threading.main_thread())))
    loader.failed.connect(lambda *args: got["failed"].append(args))
    return got


def test_top_rows_first_then_the_whole_run_prepared(qtbot, store_with_runs):
    store, record, _other = store_with_runs
    folder = store.folder(record)
    loader = RunLoader()
    got = _collect(loader)
    loader.load(record, store, top_table=folder.top_table)
    assert [(run_id, complete) for run_id, _d, complete, _m in got["loaded"]] == \
        [(record.id, False)]                    # the top rows, at once
    qtbot.waitUntil(lambda: len(got["loaded"]) == 2, timeout=30000)
    run_id, data, complete, in_gui_thread = got["loaded"][1]
    assert (run_id, complete, in_gui_thread) == (record.id, True, True)
    expected = folder.load_profile()
    assert data.functions == expected.functions and data.edges == expected.edges
    # shown with what the first paint and click need: callers and callees (read with the
    # table, not sorted again) and the call table's first order
    assert data._callers is not None and data._callees is not None
    assert data.adjacency() == ProfileData(expected.functions, expected.edges).adjacency()
    sort_cache = _CACHES.get(data)
    assert sort_cache is not None and sort_cache.orders
    # then, between events, the caches a later click would build: the key index and every
    # column's sort keys
    qtbot.waitUntil(lambda: loader._job is None, timeout=30000)
    assert data._index is not None
    assert set(sort_cache.keys) == set(KEY_BUILDERS)
    assert len(got["loaded"]) == 2          # announced once
    loader.wait()


def test_the_run_shown_before_is_freed_once_the_new_one_settles(qtbot, store_with_runs):
    store, first, second = store_with_runs
    loader = RunLoader()
    got = _collect(loader)
    settled = []
    loader.settled.connect(settled.append)
    loader.load(first, store)
    qtbot.waitUntil(lambda: settled == [first.id], timeout=30000)
    loader.retire([got["loaded"][-1][1]])   # as the pane does when another run is clicked
    shown = weakref.ref(loader._retired[0])
    got["loaded"].clear()
    loader.load(second, store)
    alive_when = {}
    loader.loaded.connect(lambda run_id, *_rest: alive_when.setdefault(
        "loaded", shown() is not None))
    loader.settled.connect(lambda run_id: alive_when.setdefault(
        "settled", shown() is not None))
    qtbot.waitUntil(lambda: settled == [first.id, second.id], timeout=30000)
    # the old rows stay until the new run is shown and its caches are built ...
    assert alive_when == {"loaded": True, "settled": True}
    # ... and go in a step of their own just after
    gc.collect()
    qtbot.waitUntil(lambda: shown() is None and not loader._retired, timeout=30000)
    assert [(run_id, complete) for run_id, _d, complete, _g in got["loaded"]] == \
        [(second.id, True)]


def test_a_newer_load_drops_the_older_result(qtbot, store_with_runs):
    store, first, second = store_with_runs
    loader = RunLoader()
    got = _collect(loader)
    loader.load(first, store)
    loader.load(second, store)
    loader.wait()
    qtbot.waitUntil(lambda: any(c for _r, _d, c, _g in got["loaded"]), timeout=30000)
    qtbot.wait(50)     # anything else queued arrives now
    assert [(run_id, complete) for run_id, _d, complete, _g in got["loaded"]] == \
        [(second.id, True)]


def test_a_truncated_table_is_one_short_message(qtbot, store_with_runs):
    store, record, _other = store_with_runs
    table = store.folder(record).table()
    with open(table, "rb") as stream:
        data = stream.read()
    with open(table, "wb") as stream:
        stream.write(data[:len(data) // 2])
    loader = RunLoader()
    got = _collect(loader)
    loader.load(record, store)
    qtbot.waitUntil(lambda: bool(got["failed"]), timeout=30000)
    (run_id, message), = got["failed"]
    assert run_id == record.id and "all.table is cut short" in message
    assert "\n" not in message and not got["loaded"]


def test_a_table_of_another_version_is_read_from_the_callgrind_file(qtbot, store_with_runs):
    # A run kept by an older spyder-callgrind: its table's layout is refused, and the run
    # shows from its callgrind file, with the same rows and calls.
    store, record, _other = store_with_runs
    folder = store.folder(record)
    expected = folder.load_profile()
    table = folder.table()
    with open(table, "r+b") as handle:
        handle.seek(len(MAGIC))
        handle.write((TABLE_VERSION - 1).to_bytes(4, "little"))
    with pytest.raises(ProfileError, match="older spyder-callgrind"):
        load_table(table)
    loader = RunLoader()
    got = _collect(loader)
    loader.load(record, store)
    qtbot.waitUntil(lambda: loader._job is None, timeout=30000)
    assert got["failed"] == []
    (_run_id, data, complete, _gui), = got["loaded"]
    assert complete
    # (a callgrind file writes clashing names with their file and line, and has calls
    # and inclusive costs only along its call lines: the functions' own costs are compared)
    def costs(profile):
        return sorted((f.file, f.line, f.self_ns) for f in profile.functions)
    assert costs(data) == costs(expected)
    assert data.total_ns == expected.total_ns
    assert len(data.edges) == len(expected.edges)
