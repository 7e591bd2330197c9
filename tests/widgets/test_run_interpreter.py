"""A run keeps its interpreter's standard library folders; "Hide standard library" uses them.

The run is made by another Python than the one running the tests (and Spyder), so its
standard library lies in other folders: only the folders the run recorded hide it.
"""

import os

import pytest

from spyder_callgrind.engine.recording import Recording
from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.widgets.calltable import default_stdlib_dirs
from spyder_callgrind.widgets.columns import Role
from spyder_callgrind.widgets.profileview import ProfileView
from tests.widgets.conftest import column_values

PYTHON39 = "/root/.pyenv/versions/3.9.18/bin/python"

SCRIPT = """\
import json


def work():
    for _ in range(300):
        json.dumps({"a": [1, 2, 3]})


work()
"""


def shown_files(view):
    functions = view.profile().functions
    return [functions[i].file for i in column_values(view.model, 0, Role.FUNCTION_INDEX)]


@pytest.mark.skipif(not os.path.isfile(PYTHON39), reason="needs Python 3.9 at " + PYTHON39)
def test_hide_stdlib_uses_the_folders_the_run_recorded(qtbot, tmp_path):
    script = tmp_path / "uses_json.py"
    script.write_text(SCRIPT)
    store = RunStore(str(tmp_path / "store"))
    recording = Recording(store, str(script), python=PYTHON39, mode="exact")
    recording.start()
    run_id = recording.finish().id
    record = RunStore(str(tmp_path / "store")).get(run_id)      # as kept, read back
    assert record.python_version.startswith("3.9")
    assert record.stdlib_dirs and all("python3.9" in d for d in record.stdlib_dirs)
    assert all(d.endswith(os.sep) for d in record.stdlib_dirs + record.sys_prefixes)
    assert "/root/.pyenv/versions/3.9.18" + os.sep in record.sys_prefixes
    ours = default_stdlib_dirs()
    assert not set(record.stdlib_dirs) & set(ours)

    view = ProfileView()
    qtbot.addWidget(view)
    view.set_profile(store.folder(record).load_profile())
    files = shown_files(view)
    json_files = [f for f in files if f.startswith(tuple(record.stdlib_dirs))]
    assert any(f.endswith(os.path.join("json", "encoder.py")) for f in json_files)
    view.set_filters(False, True, False)
    # Spyder's own folders (Python 3.11) do not hide the 3.9 standard library...
    view.set_stdlib_dirs(ours)
    assert set(json_files) <= set(shown_files(view))
    # ...the folders the run recorded do, and the script's own code stays.
    view.set_stdlib_dirs(record.stdlib_dirs)
    shown = shown_files(view)
    assert not set(json_files) & set(shown)
    assert os.path.realpath(str(script)) in {os.path.realpath(f) for f in shown if f}
