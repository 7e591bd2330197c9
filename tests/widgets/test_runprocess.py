"""The pane's run driver (``widgets.runprocess.ProfileProcess``) with a real QProcess running
the real command line: the script's stdin is fed through ``send_input`` / ``send_eof``."""

import os

from spyder_callgrind.widgets.runprocess import ProfileProcess

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
