"""The store under faults: read-only, full disk, damaged folders, retention, old schema,
names that try to leave a run folder.

Read-only and full disk are real here: a tmpfs is mounted (``mount -t tmpfs -o size=...``),
filled up, or remounted read-only (``mount -o remount,ro``). As root, ``chmod`` does not stop
writes, so a mount is the honest read-only folder (running the CLI as ``nobody`` was tried:
that user cannot read this machine's /root/.pyenv site-packages). Where mounting is not
permitted the tests skip; no error is injected.
"""

import errno
import json
import os
import shutil

import pytest

from spyder_callgrind.engine.records import SCHEMA_VERSION, RunRecord
from spyder_callgrind.engine.store import RunStore, StoreError
from tests.faults.conftest import cli, write_script

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
QUICK = """\
    def work():
        return sum(range(1000))
    for _ in range(5):
        work()
    print("ran")
"""


def _list(store):
    done = cli("list", "--json", store=store)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def _one_clear_line(done):
    """The command's last stderr line, after checking it failed without a traceback."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and lines
    assert "Traceback" not in done.stderr, done.stderr
    return lines[-1]


def _snapshot(folder):
    result = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as stream:
                result[os.path.relpath(path, folder)] = stream.read()
    return result


def test_read_only_store(tmp_path, tmpfs):
    store = tmpfs.mount("4m") / "store"
    script = write_script(tmp_path, "quick.py", QUICK)
    assert cli("run", "--top", "0", script, store=store, cwd=str(tmp_path)).returncode == 0
    [before], _ = _list(store)
    files = _snapshot(store)
    tmpfs.remount_ro(store.parent)

    done = cli("run", "--top", "0", script, store=store, cwd=str(tmp_path))
    assert "not writable" in _one_clear_line(done)
    for command in (["label", before["id"], "x"], ["rm", before["id"]]):
        done = cli(*command[:1], *command[1:], store=store)
        message = _one_clear_line(done)
        assert before["id"] in message and "Read-only file system" in message
    # reading still works, and nothing changed
    assert _list(store)[0] == [before]
    shown = cli("show", before["id"], store=store)
    assert shown.returncode == 0 and "work" in shown.stdout
    assert _snapshot(store) == files


@pytest.mark.parametrize("room", ["none", "some"])
def test_full_disk(tmp_path, tmpfs, room):
    """A real full filesystem: nothing left at all, or room for the raw profile only."""
    store = tmpfs.mount("1m") / "store"
    script = write_script(tmp_path, "quick.py", QUICK)
    assert cli("run", "--top", "0", script, store=store, cwd=str(tmp_path)).returncode == 0
    [before], _ = _list(store)
    files = _snapshot(store)
    filler = store.parent / "filler"
    leave = 0 if room == "none" else 12 * 1024
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\1" * 4096)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, os.path.getsize(filler) - leave)

    big = write_script(tmp_path, "big.py", "\n".join(
        f"def f{n}():\n    return {n}\nf{n}()" for n in range(400)) + "\n")
    done = cli("run", "--top", "0", big, store=store, cwd=str(tmp_path))
    # The worker that cannot save says so in one line too: no traceback anywhere.
    message = _one_clear_line(done)
    assert "No space left on device" in message or "no profile was saved" in message, message
    # (the script prints nothing: every line is ours, short, one per problem)
    assert all(line.startswith("spyder-callgrind: ") for line in done.stderr.splitlines())
    runs, problems = _list(store)
    assert before in runs and problems == ""
    if runs != [before]:
        # Room for run.json but not for the profile: kept as a failed run that says so.
        [extra] = [r for r in runs if r != before]
        assert extra["status"] == "failed" and "no profile" in extra["message"]
    assert not [n for n in os.listdir(store) if n.startswith(".incomplete-")]
    os.remove(filler)
    assert {k: v for k, v in _snapshot(store).items()
            if k.startswith(before["id"])} == files
    # with room again, runs work again
    assert cli("run", "--top", "0", script, store=store, cwd=str(tmp_path)).returncode == 0


def test_damaged_run_folder_is_skipped(tmp_path):
    store = tmp_path / "store"
    shutil.copytree(os.path.join(DATA, "store-schema1"), store)
    for name, content in {"20240103-000000-dead": b"{\"schema\": 1, \"id\": ",
                          "20240104-000000-beef": b"\xff\xfe garbage",
                          "20240105-000000-cafe": None}.items():
        (store / name).mkdir()
        if content is not None:
            (store / name / "run.json").write_bytes(content)
    runs, stderr = _list(store)
    assert [r["id"] for r in runs] == ["20240102-030405-ab12"]
    assert stderr.count("skipped damaged run") == 3
    done = cli("show", "20240103-000000-dead", store=store)
    assert "cannot be read" in _one_clear_line(done)


def test_schema1_fixture_is_read(tmp_path):
    store = tmp_path / "store"
    shutil.copytree(os.path.join(DATA, "store-schema1"), store)
    record = RunStore(str(store)).get("20240102-030405-ab12")
    assert record.schema == 1 and record.status == "ok"
    assert record.callgrind == "callgrind.out.20240102-030405-ab12"
    shown = cli("show", "last", store=store)
    assert shown.returncode == 0 and "work" not in shown.stderr and " f  (" in shown.stdout
    # a label rewrites run.json in the current schema, and it still reads
    assert cli("label", "last", "kept", store=store).returncode == 0
    data = json.loads((store / "20240102-030405-ab12" / "run.json").read_text())
    assert data["schema"] == SCHEMA_VERSION and data["label"] == "kept"


def test_newer_schema_is_refused_clearly(tmp_path):
    store = tmp_path / "store"
    shutil.copytree(os.path.join(DATA, "store-schema1"), store)
    path = store / "20240102-030405-ab12" / "run.json"
    data = json.loads(path.read_text())
    data["schema"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    runs, stderr = _list(store)
    assert runs == [] and "newer than this version" in stderr


def test_retention_keeps_labelled_and_protected_runs(tmp_path):
    store = tmp_path / "store"
    script = write_script(tmp_path, "quick.py", QUICK)
    ids = []
    for _ in range(4):
        done = cli("run", "--top", "0", "--keep", "0", script, store=store, cwd=str(tmp_path))
        assert done.returncode == 0, done.stderr
        ids.append(_list(store)[0][0]["id"])
    oldest, second, third, newest = ids
    assert cli("label", oldest, "baseline", store=store).returncode == 0
    done = cli("run", "--top", "0", "--keep", "1", "--protect", second, script, store=store,
               cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    kept = {r["id"] for r in _list(store)[0]}
    assert oldest in kept and second in kept        # labelled, protected (being viewed)
    assert third not in kept and newest not in kept
    assert len(kept) == 3                            # + the run just made


def test_file_of_never_leaves_the_run_folder(tmp_path):
    store = RunStore(str(tmp_path / "store"))
    shutil.copytree(os.path.join(DATA, "store-schema1"), store.root)
    record = store.get("last")
    folder = store.path_of(record)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    os.symlink(str(secret), os.path.join(folder, "link-out"))
    os.symlink(str(tmp_path), os.path.join(folder, "dir-out"))
    os.symlink("summary.txt", os.path.join(folder, "link-in"))
    for name in ("../secret.txt", "/etc/passwd", "../../" + os.path.basename(str(tmp_path)),
                 "link-out", "dir-out/secret.txt", "tables/../../x", "..", "."):
        assert store.file_of(record, name) is None, name
    assert store.file_of(record, "link-in") == os.path.join(folder, "link-in")
    assert store.file_of(record, "tables/all.json") == os.path.join(folder, "tables",
                                                                     "all.json")
    # run.json naming an outside file as its callgrind file: refused, not opened
    data = json.loads(open(os.path.join(folder, "run.json")).read())
    data["callgrind"] = "link-out"
    with open(os.path.join(folder, "run.json"), "w") as stream:
        json.dump(data, stream)
    done = cli("open", "last", "--viewer", "/bin/true", store=store.root)
    assert "has no callgrind file" in _one_clear_line(done)


def test_store_deleted_then_recreated(tmp_path):
    store = tmp_path / "store"
    script = write_script(tmp_path, "quick.py", QUICK)
    assert cli("run", "--top", "0", script, store=store, cwd=str(tmp_path)).returncode == 0
    shutil.rmtree(store)
    assert RunStore(str(store)).list_runs() == ([], [])
    done = cli("list", store=store)
    assert done.returncode == 0 and "No runs" in done.stdout
    assert cli("run", "--top", "0", script, store=store, cwd=str(tmp_path)).returncode == 0
    assert len(_list(store)[0]) == 1


def test_record_refusals_are_short():
    for data in ([], {"schema": "1"}, {"schema": 1}, {"schema": 1, "id": "x"},
                 {"schema": 1, "id": "x", "script": "s", "status": "weird"},
                 {"schema": 1, "id": "x", "script": "s", "processes": [{"pid": "1"}]}):
        with pytest.raises(ValueError) as info:
            RunRecord.from_json(data)
        assert "\n" not in str(info.value)
    with pytest.raises(StoreError):
        RunStore("/nonexistent-root").get("nothing")


def test_damaged_run_folder_in_show_and_diff_is_one_line(tmp_path):
    """Tables removed and the callgrind name pointing outside the run; ``processes: true``."""
    store = tmp_path / "store"
    shutil.copytree(os.path.join(DATA, "store-schema1"), store)
    run_id = "20240102-030405-ab12"
    good = json.loads((store / run_id / "run.json").read_text())
    shutil.rmtree(store / run_id / "tables")
    (tmp_path / "outside").write_text("# callgrind format\nevents: ns\nfn=x\n1 5\n")
    damaged = dict(good, callgrind="../../outside")
    (store / run_id / "run.json").write_text(json.dumps(damaged))
    assert "is damaged" in _one_clear_line(cli("show", run_id, store=store))
    assert "is damaged" in _one_clear_line(cli("diff", run_id, run_id, store=store))
    assert "is damaged" in _one_clear_line(cli("show", run_id, "--json", store=store))
    for field, value in (("processes", True), ("args", "not a list"), ("duration", "long"),
                         ("processes", [dict(good["processes"][0], profiled="yes")])):
        (store / run_id / "run.json").write_text(json.dumps(dict(good, **{field: value})))
        message = _one_clear_line(cli("show", run_id, store=store))
        assert f"bad '{field if field != 'processes' or value is True else 'profiled'}'" \
            in message, message
        runs, stderr = _list(store)
        assert runs == [] and "skipped damaged run" in stderr


def test_truncated_table_is_one_line(tmp_path):
    """A kept run whose binary tables were cut short (a full disk, a copy stopped halfway):
    each command that reads them says so in one line, the loader of the pane too."""
    store = tmp_path / "store"
    script = write_script(tmp_path, "quick.py", QUICK)
    assert cli("run", "--top", "0", script, store=store).returncode == 0
    (record,), _stderr = _list(store)
    tables = store / record["id"] / "tables"
    for name in ("all.table", "top.table"):
        data = (tables / name).read_bytes()
        (tables / name).write_bytes(data[:len(data) // 2])
    for args in (["show", "last"], ["show", "last", "--json"], ["diff", "last", "last"]):
        message = _one_clear_line(cli(*args, store=store))
        assert "all.table is cut short" in message, (args, message)
    runs = RunStore(str(store))
    with pytest.raises(ValueError, match="cut short"):
        runs.folder(runs.get("last")).load()


def test_old_json_tables_fall_back_to_the_callgrind_file(tmp_path):
    """A run kept by a version that wrote JSON tables (``tables/all.json``) is read from its
    callgrind file: the same functions, no error."""
    store = tmp_path / "store"
    shutil.copytree(os.path.join(DATA, "store-schema1"), store)
    assert (store / "20240102-030405-ab12" / "tables" / "all.json").exists()
    runs = RunStore(str(store))
    data = runs.folder(runs.get("last")).load_profile()
    assert data is not None and any(f.name == "f" for f in data.functions)
