"""The pane's run driver (``widgets.runprocess.ProfileProcess``) with a real QProcess running
the real command line: the script's stdin is fed through ``send_input`` / ``send_eof``."""

import os

from spyder_callgrind.engine.store import RunStore
from spyder_callgrind.widgets.runprocess import Measure, ProfileProcess

SCRIPT = """\
import sys
name = input("name? ")
print("hello", name, flush=True)
print("rest", repr(sys.stdin.read()))
"""


def test_send_input_and_eof_reach_the_script(tmp_path, qtbot):
    script = tmp_path / "ask.py"
    script.write_text(SCRIPT)
    process = ProfileProcess(str(script), store=str(tmp_path / "store"), cwd=str(tmp_path))
    output = []
    process.output.connect(lambda _id, stream, text: output.append(text))
    process.start()
    qtbot.waitUntil(lambda: "name? " in "".join(output), timeout=60000)
    assert process.running              # input() waits: the script's stdin is still open
    with qtbot.waitSignal(process.finished, timeout=120000) as finished:
        process.send_input("wörld")
        qtbot.waitUntil(lambda: "hello wörld" in "".join(output), timeout=60000)
        process.send_input("two\nthree")
        process.send_eof()
    text = "".join(output)
    assert finished.args[1] == 0, text
    assert "rest 'two\\nthree\\n'" in text
    assert os.listdir(tmp_path / "store") == [process.run_id]


def _parsed(process):
    """The run options the real command line parser reads from the process's command."""
    from spyder_callgrind.engine.cli import build_parser
    command = process.command()
    return build_parser().parse_args(command[command.index("run"):])


def test_measure_options_reach_the_command_line(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("pass\n")
    default = _parsed(ProfileProcess(str(script), store=str(tmp_path)))
    assert (default.mode, default.sample_clock, default.sample_interval,
            default.exact_threads) == ("both", "wall", 4.0, False)
    sampled = _parsed(ProfileProcess(str(script), store=str(tmp_path), measure=Measure(
        mode="sample", sample_clock="cpu", sample_interval_ms=2.5, exact_threads=True)))
    # exact time per thread means nothing without cProfile: not passed for "sample"
    assert (sampled.mode, sampled.sample_clock, sampled.sample_interval,
            sampled.exact_threads) == ("sample", "cpu", 2.5, False)
    exact = _parsed(ProfileProcess(str(script), store=str(tmp_path), measure=Measure(
        mode="exact", exact_threads=True)))
    assert (exact.mode, exact.exact_threads) == ("exact", True)
    assert "--sample-clock" not in ProfileProcess(
        str(script), store=str(tmp_path), measure=Measure(mode="exact")).command()


def test_a_sampled_only_run_is_kept_as_sampled(tmp_path, qtbot):
    script = tmp_path / "busy.py"
    script.write_text("import time\nend = time.time() + 0.3\nwhile time.time() < end:\n"
                      "    sum(range(1000))\n")
    process = ProfileProcess(str(script), store=str(tmp_path / "store"), cwd=str(tmp_path),
                             measure=Measure(mode="sample"))
    with qtbot.waitSignal(process.finished, timeout=120000) as finished:
        process.start()
    assert finished.args[1] == 0
    record = RunStore(str(tmp_path / "store")).get(process.run_id)
    assert record.mode == "sample" and not record.exact_counts
