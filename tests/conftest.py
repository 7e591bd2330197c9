"""Settings every test needs before Qt or Spyder is imported."""

import os

# Headless Qt; Spyder's own test mode (clean configuration folder, window returned by
# start.main()); as root QtWebEngine exits silently without this.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SPYDER_PYTEST"] = "True"
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")


import sys  # noqa: E402

import pytest  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    session.config._spyder_callgrind_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """End the process once pytest has reported everything, when Spyder windows ran.

    Spyder keeps its closed main windows' Qt objects alive in module-level registries; at
    interpreter exit Python destroys them in no particular order, and Qt aborts the process
    when one of their internal threads is destroyed while still running ("QThread:
    Destroyed while thread is still running"), turning a green run into exit code 134.
    Every result is written by now, so skip that teardown and exit with pytest's status.
    """
    status = getattr(config, "_spyder_callgrind_status", None)
    if status is not None and "spyder.app.mainwindow" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
