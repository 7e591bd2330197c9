"""Interpreters the worker is tested with: every Python 3.9-3.13 found on this machine."""

import glob
import os
import subprocess
import sys

import pytest

_CANDIDATES = [sys.executable] + sorted(
    glob.glob("/root/.pyenv/versions/3.*/bin/python")
    + glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python")))


def _version(python):
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def _pythons():
    found = {}
    for python in _CANDIDATES:
        version = _version(python)
        if version and version in ("3.9", "3.10", "3.11", "3.12", "3.13"):
            found.setdefault(version, python)
    return found


PYTHONS = _pythons()


@pytest.fixture(params=sorted(PYTHONS), ids=lambda v: "py" + v)
def python(request):
    """Path of one installed interpreter (one test per version)."""
    return PYTHONS[request.param]
