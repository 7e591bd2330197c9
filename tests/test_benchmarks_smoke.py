"""The benchmark script runs end to end (a smoke run: tiny profiles, one repeat).

Benchmarks are not timed tests: this checks only that the script exits 0 and writes every
section of its JSON, never how fast anything was.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "run_benchmarks.py")
SECTIONS = ("meta", "files", "finished", "history", "gui_gap", "table_ops", "transfer_gap",
            "conversion", "commands", "kcachegrind", "overhead", "targets")


def test_benchmark_smoke_run_writes_every_section(tmp_path):
    out = tmp_path / "results.json"
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run([sys.executable, SCRIPT, "--smoke", "--json", str(out)],
                          cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    for section in SECTIONS:
        assert section in results, section
    names = [f["name"] for f in results["files"]]
    assert any(name.startswith("synthetic-") for name in names)
    assert any(name.startswith("real-") for name in names)
    for section in ("finished", "history", "gui_gap", "conversion", "commands"):
        assert set(results[section]) == set(names), section
    assert results["table_ops"]
    # import and export by the real pane, on the largest file
    assert set(next(iter(results["transfer_gap"].values()))) == {"import", "export"}
    assert results["kcachegrind"].get("skipped")
    assert "script_ratio" in results["overhead"]
    assert results["targets"]
