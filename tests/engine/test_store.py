"""The run store: atomic runs, damaged folders skipped, lookup by id/prefix/last, retention."""

import json
import os
import stat

import pytest

from spyder_callgrind.engine.records import (
    SCHEMA_VERSION, ProcessRecord, RecordError, RunRecord)
from spyder_callgrind.engine.store import (
    INCOMPLETE_PREFIX, STORE_ENV, RunStore, StoreError, default_store_dir)


def make_run(store, started, label="", run_id=None):
    pending = store.begin(run_id)
    record = RunRecord(id=pending.id, script="/tmp/x.py", started=started, label=label,
                       processes=[ProcessRecord(pid=1, profile="profiles/1.prof")])
    pending.commit(record)
    return record


def test_run_is_invisible_until_committed(tmp_path):
    store = RunStore(str(tmp_path))
    pending = store.begin("20260101-000000-aaaa")
    with open(pending.file("output.txt"), "w") as stream:
        stream.write("hello")
    assert store.list_runs() == ([], [])
    record = RunRecord(id=pending.id, script="/tmp/x.py", started="2026-01-01T00:00:00")
    folder = pending.commit(record)
    assert os.path.basename(folder) == pending.id
    runs, problems = store.list_runs()
    assert [r.id for r in runs] == [pending.id] and problems == []
    assert not any(n.startswith(INCOMPLETE_PREFIX) for n in os.listdir(tmp_path))


def test_lookup_by_id_prefix_last_and_folder(tmp_path):
    store = RunStore(str(tmp_path))
    old = make_run(store, "2026-01-01T00:00:00", run_id="20260101-000000-aaaa")
    new = make_run(store, "2026-01-02T00:00:00", run_id="20260102-000000-bbbb")
    assert store.get("last").id == new.id
    assert store.get("20260101").id == old.id
    assert store.get(new.id).id == new.id
    assert store.get(os.path.join(str(tmp_path), old.id)).id == old.id
    with pytest.raises(StoreError, match="ambiguous"):
        store.get("2026010")
    with pytest.raises(StoreError, match="no run"):
        store.get("nope")


def test_damaged_run_json_is_reported_and_skipped(tmp_path):
    store = RunStore(str(tmp_path))
    good = make_run(store, "2026-01-01T00:00:00")
    for name, content in [("20260103-000000-dddd", "{not json"),
                          ("20260104-000000-eeee", json.dumps({"schema": 1})),
                          ("20260105-000000-ffff", json.dumps({"schema": 99, "id": "x",
                                                               "script": "/x"})),
                          ("20260106-000000-gggg", b"\xff\xfe\x00garbage")]:
        os.makedirs(tmp_path / name)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(tmp_path / name / "run.json", mode) as stream:
            stream.write(content)
    os.makedirs(tmp_path / "20260107-000000-hhhh")  # no run.json at all
    runs, problems = store.list_runs()
    assert [r.id for r in runs] == [good.id]
    assert len(problems) == 5
    text = " | ".join(str(p) for p in problems)
    assert "damaged" in text and "newer" in text and "no run.json" in text


def test_retention_keeps_labelled_and_protected(tmp_path):
    store = RunStore(str(tmp_path))
    labelled = make_run(store, "2026-01-01T00:00:00", label="baseline")
    protected = make_run(store, "2026-01-01T00:00:01")
    others = [make_run(store, f"2026-01-02T00:00:0{i}") for i in range(5)]
    removed = store.apply_retention(keep=3, protect=[protected.id])
    kept = {r.id for r in store.list_runs()[0]}
    assert labelled.id in kept and protected.id in kept
    assert {r.id for r in others[2:]} <= kept
    assert {r.id for r in removed} == {others[0].id, others[1].id}


def test_label_and_remove(tmp_path):
    store = RunStore(str(tmp_path))
    record = make_run(store, "2026-01-01T00:00:00")
    assert store.set_label(record.id[:10], "  fast  ").label == "fast"
    assert store.get(record.id).label == "fast"
    store.remove(record.id)
    assert store.list_runs() == ([], [])


def test_file_names_from_run_json_cannot_escape_the_run_folder(tmp_path):
    store = RunStore(str(tmp_path))
    record = make_run(store, "2026-01-01T00:00:00")
    assert store.file_of(record, "../../etc/passwd") is None
    assert store.file_of(record, "/etc/passwd") is None
    assert store.file_of(record, "summary.txt").endswith(os.path.join(record.id,
                                                                      "summary.txt"))


def test_older_schema_is_read_and_unknown_fields_ignored():
    record = RunRecord.from_json({"schema": 1, "id": "a", "script": "/s.py",
                                  "future_field": 3, "processes": [{"pid": 4}]})
    assert record.processes[0].pid == 4 and record.schema == SCHEMA_VERSION
    with pytest.raises(RecordError):
        RunRecord.from_json({"schema": 1, "id": "a", "script": "/s.py", "status": "weird"})
    with pytest.raises(RecordError):
        RunRecord.from_json([1, 2])


def test_env_variable_names_the_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "store"))
    assert default_store_dir() == str(tmp_path / "store")
    assert RunStore().root == str(tmp_path / "store")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root can write to read-only folders")
def test_read_only_store_gives_a_clear_error(tmp_path):  # pragma: no cover - non-root
    os.chmod(tmp_path, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreError, match="not writable"):
            RunStore(str(tmp_path)).begin()
    finally:
        os.chmod(tmp_path, stat.S_IRWXU)


def test_relative_names_and_the_previous_run_of_a_script(tmp_path):
    store = RunStore(str(tmp_path))

    def run(day, script="/tmp/x.py", args=(), python="py", status="ok"):
        pending = store.begin(f"202601{day:02d}-000000-aaaa")
        record = RunRecord(id=pending.id, script=script, args=list(args), python=python,
                           status=status, started=f"2026-01-{day:02d}T00:00:00")
        pending.commit(record)
        return record.id

    first = run(1)
    run(2, args=["-v"])
    run(3, python="other")
    run(4, script="/tmp/y.py")
    run(5, status="error")
    last = run(6)
    assert store.get("last~0").id == last and store.get("last~5").id == first
    assert store.get(f"{last}~2").id == store.get("last~2").id
    # Same script, arguments and interpreter, and complete: only the first run.
    assert store.get("prev").id == first and store.get(f"{last}~prev").id == first
    assert store.previous_of(store.get(first)) is None
    with pytest.raises(StoreError, match="only 5 runs before"):
        store.get("last~6")
    with pytest.raises(StoreError, match="no earlier complete run of x.py"):
        store.get("prev~prev")


def test_every_record_field_has_a_json_type():
    """A field added to the records without its JSON type would make every run unreadable."""
    import dataclasses
    from spyder_callgrind.engine.records import _FIELD_TYPES, ProcessRecord, RunRecord
    for cls in (RunRecord, ProcessRecord):
        missing = [f.name for f in dataclasses.fields(cls)
                   if f.name not in _FIELD_TYPES and f.name != "processes"]
        assert not missing, (cls.__name__, missing)
