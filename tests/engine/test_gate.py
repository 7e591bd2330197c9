"""Did a change make the script faster? The previous-run line of ``run``, the run names
``last~N`` / ``prev`` / ``RUN~prev``, ``run --repeat`` and the regression gate of
``diff --fail-above``, end to end in real subprocesses of the command.

Slowdowns are made big and deterministic (a loop 20 times longer), never timed: the tests
assert what grew and the exit status, not how long anything took.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

#: This checkout, so that the command under test is the one beside these tests.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: ``slow_part`` loops ``20000 * FACTOR`` times; the tests rewrite FACTOR from 1 to 20.
SCRIPT = """
import sys

FACTOR = {factor}


def slow_part():
    return sum(i * i for i in range(20000 * FACTOR))


def steady():
    return sorted(range(3000), key=lambda x: -x)


def main():
    for _ in range(5):
        slow_part()
        steady()


main()
print("args", sys.argv[1:])
"""


def cli(store, *args, check=None):
    env = dict(os.environ, SPYDER_CALLGRIND_STORE=str(store), PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-m", "spyder_callgrind", *args], env=env,
                            capture_output=True, text=True, timeout=180, encoding="utf-8")
    if check is not None:
        assert result.returncode == check, result.stdout + result.stderr
    return result


def write_script(folder, factor):
    path = os.path.join(str(folder), "work.py")
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(textwrap.dedent(SCRIPT.format(factor=factor)))
    return path


def run_ids(store):
    return [r["id"] for r in json.loads(cli(store, "list", "--json", check=0).stdout)]


def shown_id(store, name):
    return json.loads(cli(store, "show", name, "--json", check=0).stdout)["id"]


@pytest.fixture(scope="module")
def slowed(tmp_path_factory):
    """A store with three runs of one script: fast, fast again, then with ``slow_part``
    made 20 times longer. Returns (store, script, run ids oldest first, run outputs)."""
    folder = tmp_path_factory.mktemp("gate")
    store = folder / "store"
    script = write_script(folder, 1)
    outputs = [cli(store, "run", "--top", "0", script, check=0),
               cli(store, "run", "--top", "0", script, check=0)]
    write_script(folder, 20)
    outputs.append(cli(store, "run", "--top", "0", script, check=0))
    return store, script, run_ids(store)[::-1], outputs


def test_gate_fails_on_the_slowed_function_and_names_it(slowed):
    store, _script, (_fast, fast_again, slow), _outputs = slowed
    result = cli(store, "diff", fast_again, slow, "--fail-above", "50", check=1)
    verdict = result.stdout[result.stdout.index("Gate FAILED"):]
    lines = verdict.splitlines()
    assert "the total and" in lines[0] and "more than 50% and 10 ms" in lines[0]
    named = [line.split()[0] for line in lines[1:]]
    assert named[0] == "total"
    assert "slow_part" in named
    slow_line = next(line for line in lines if line.split()[0] == "slow_part")
    assert "work.py:" in slow_line and "->" in slow_line and "%)" in slow_line


def test_gate_json_names_what_grew_with_both_figures(slowed):
    store, _script, _ids, _outputs = slowed
    result = cli(store, "diff", "prev", "last", "--fail-above", "50", "--json", check=1)
    document = json.loads(result.stdout)
    assert document["failed"] is True
    assert document["before"] == _ids[1] and document["after"] == _ids[2]
    grown = {g["name"]: g for g in document["grown"]}
    slow = grown["slow_part"]
    assert slow["after_ns"] > 10 * slow["before_ns"]
    assert slow["change_ns"] == slow["after_ns"] - slow["before_ns"] and slow["percent"] > 50


def test_gate_passes_unchanged_script_at_a_generous_threshold(slowed):
    store, _script, (fast, fast_again, _slow), _outputs = slowed
    result = cli(store, "diff", fast, fast_again, "--fail-above", "1000", check=0)
    assert "Gate passed" in result.stdout
    document = json.loads(cli(store, "diff", fast, fast_again, "--fail-above", "1000",
                              "--json", check=0).stdout)
    assert document["failed"] is False and document["grown"] == []


def test_min_ms_keeps_small_growth_from_failing(slowed):
    store, _script, (_fast, fast_again, slow), _outputs = slowed
    # slow_part grew by far more than 1% but by less than an hour.
    cli(store, "diff", fast_again, slow, "--fail-above", "1", "--min-ms", "3600000", check=0)
    # What got faster never fails the gate (--min-ms above the jitter of the rest).
    result = cli(store, "diff", slow, fast_again, "--fail-above", "1", "--min-ms", "200",
                 check=0)
    assert "Gate passed" in result.stdout


def test_relative_run_names(slowed):
    store, _script, (fast, fast_again, slow), _outputs = slowed
    assert shown_id(store, "last") == slow
    assert shown_id(store, "last~1") == fast_again
    assert shown_id(store, "last~2") == fast
    assert shown_id(store, "prev") == fast_again
    assert shown_id(store, f"{slow}~prev") == fast_again
    assert shown_id(store, "prev~prev") == fast
    assert shown_id(store, f"{slow[:-1]}~2") == fast
    result = cli(store, "show", "last~3", check=1)
    assert "only 2 runs before" in result.stderr
    result = cli(store, "show", "prev~prev~prev", check=1)
    assert "no earlier complete run of work.py" in result.stderr


def test_run_says_how_it_changed_since_the_previous_run(slowed):
    _store, _script, (fast, fast_again, slow), (first, second, third) = slowed
    assert "previous run" not in first.stderr          # nothing to compare with
    assert "than the previous run" in second.stderr or "same as the previous" in \
        second.stderr
    lines = third.stderr.splitlines()
    summary = next(line for line in lines if "than the previous run" in line)
    assert "slower than the previous run (+" in summary
    movers = next(line for line in lines if line.strip().startswith("moved most:"))
    # The slowed function is named first, not one of its callers (main, <module>): the
    # rest of the script is too small for its jitter to make up a tenth of the change.
    assert movers.split(":", 1)[1].split()[0] == "slow_part"
    assert f"diff {fast_again} {slow}" in third.stderr


def test_show_previous_says_how_a_kept_run_changed(slowed):
    store, _script, (fast, fast_again, slow), _outputs = slowed
    result = cli(store, "show", slow, "--previous", "--top", "3", check=0)
    assert "slower than the previous run (+" in result.stdout
    assert f"diff {fast_again} {slow}" in result.stdout
    answer = json.loads(cli(store, "show", slow, "--previous", "--json", "--top", "1",
                            check=0).stdout)
    change = answer["previous_change"]
    assert (change["previous"], change["run"], change["verdict"]) == (fast_again, slow,
                                                                       "slower")
    assert change["after_ns"] > change["before_ns"] > 0
    assert change["movers"][0]["name"] == "slow_part"
    # the first run of the script has nothing to compare with
    first = json.loads(cli(store, "show", fast, "--previous", "--json", check=0).stdout)
    assert first["previous_change"] is None
    assert "No previous complete run" in cli(store, "show", fast, "--previous",
                                             check=0).stdout


def test_other_arguments_are_not_the_previous_run(slowed, tmp_path):
    store, script, _ids, _outputs = slowed
    result = cli(store, "run", "--top", "0", script, "--other", check=0)
    assert "previous run" not in result.stderr
    assert "args ['--other']" in result.stdout
    assert "no earlier complete run" in cli(store, "show", "prev", check=1).stderr
    cli(store, "rm", "last", check=0)


def test_repeat_keeps_the_median_run(tmp_path):
    store = tmp_path / "store"
    script = write_script(tmp_path, 1)
    result = cli(store, "run", "--repeat", "3", "--top", "2", script, "a", check=0)
    assert result.stderr.count("spyder-callgrind: run 1 of 3\n") == 1
    assert "spyder-callgrind: run 3 of 3\n" in result.stderr
    assert result.stdout.count("args ['a']") == 3
    ids = run_ids(store)
    assert len(ids) == 1
    shown = json.loads(cli(store, "show", "last", "--json", check=0).stdout)
    note = next(n for n in shown["notes"] if "kept as the median" in n)
    assert note.startswith("run ") and " of 3, kept as the median by profiled time" in note
    assert f"Kept run {ids[0]}: {note}" in result.stderr
    assert "function" in result.stderr                  # the top table of the kept run
    # A second batch is compared with the first one's median.
    again = cli(store, "run", "--repeat", "2", "--top", "0", script, "a", check=0)
    assert "than the previous run" in again.stderr or "same as the previous" in again.stderr
    assert len(run_ids(store)) == 2


def test_repeat_stops_at_a_failing_run(tmp_path):
    store = tmp_path / "store"
    script = os.path.join(str(tmp_path), "fails.py")
    with open(script, "w") as stream:
        stream.write("raise SystemExit(3)\n")
    result = cli(store, "run", "--repeat", "3", script, check=3)
    assert "run 2 of 3" not in result.stderr
    assert len(run_ids(store)) == 1
    assert "--id" in cli(store, "run", "--repeat", "2", "--id", "x", script, check=1).stderr
