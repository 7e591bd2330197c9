"""What ``pip install .`` must bring along for Spyder to start cleanly.

Spyder's IPython console runs a spyder-kernels kernel; a kernel that fails while Spyder sets
it up shows "Spyder has encountered an internal problem!" on first start. These tests start
a real kernel in this environment and do what Spyder does to it, and check that the IPython
installed here satisfies the pin in ``setup.py``.
"""

import importlib.metadata
import json
import os
import re
import sys

import pytest
from packaging.requirements import Requirement

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _install_requires():
    with open(os.path.join(ROOT, "setup.py"), encoding="utf-8") as stream:
        block = re.search(r"install_requires=\[(.*?)\]", stream.read(), re.S).group(1)
    return [Requirement(text) for text in re.findall(r'^\s*"([^"]+)"', block, re.M)]


def test_installed_ipython_satisfies_our_pin():
    pins = [r for r in _install_requires() if r.name.lower() == "ipython"]
    assert len(pins) == 1 and str(pins[0].specifier)
    installed = importlib.metadata.version("ipython")
    assert pins[0].specifier.contains(installed, prereleases=True), (installed, pins[0])


def test_a_started_spyder_kernel_accepts_spyders_traceback_style(tmp_path, monkeypatch):
    """Start ``python -m spyder_kernels.console`` and set the traceback colours, as Spyder's
    console does right after start (``set_traceback_syntax_highlighting``): with IPython
    9.18 that raises ImportError for ``linux_theme`` in the kernel."""
    manager = pytest.importorskip("jupyter_client.manager")
    spec = tmp_path / "kernels" / "spyder-callgrind-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "spyder_kernels.console", "-f", "{connection_file}"],
        "display_name": "spyder-kernels", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    kernel, client = manager.start_new_kernel(kernel_name="spyder-callgrind-test",
                                              startup_timeout=120)
    errors = []

    def keep_errors(message):
        if message["msg_type"] == "error":
            errors.append(f"{message['content']['ename']}: {message['content']['evalue']}")

    try:
        style = {name: ("#000000", False, False) for name in (
            "normal", "keyword", "builtin", "string", "number", "comment", "definition",
            "instance")}
        for theme in ("dark", "light"):
            reply = client.execute_interactive(
                "kernel = get_ipython().kernel\n"
                f"kernel.shell.set_spyder_theme({theme!r})\n"
                f"kernel.set_traceback_syntax_highlighting({style!r})\n",
                timeout=120, output_hook=keep_errors)
            assert reply["content"]["status"] == "ok", errors
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
