"""Helpers for the fault suite: the command line in a subprocess, scripts, process groups,
and real small or read-only filesystems (tmpfs mounts, where this machine permits them)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from spyder_callgrind.engine.store import STORE_ENV

CLI = [sys.executable, "-m", "spyder_callgrind"]


def cli(*args, store=None, timeout=120, **kwargs):
    """Run ``spyder-callgrind ARGS`` in a subprocess; returns the CompletedProcess."""
    env = dict(os.environ)
    env.pop(STORE_ENV, None)
    env.update(kwargs.pop("env", {}))
    command = list(CLI) + [args[0]]
    if store is not None:
        command += ["--store", str(store)]
    command += [str(a) for a in args[1:]]
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, text=True, env=env, **kwargs)


def write_script(folder, name, body):
    path = os.path.join(str(folder), name)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(textwrap.dedent(body))
    return path


#: A script that burns CPU until it is killed, telling where its pid is.
BUSY = """\
    import os, sys
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    def spin():
        return sum(range(1000))
    while True:
        spin()
"""


def wait_for(predicate, timeout=30.0, interval=0.05):
    """Wait until ``predicate()`` is true; returns its last value (a deadline, not a timing)."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > end:
            return value
        time.sleep(interval)


def alive(pid):
    """True if ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stream:
            state = stream.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def group_members(pgid):
    """Live pids of process group ``pgid`` (read from /proc)."""
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(name))
    return members


def pids_with_arg(text):
    """Live pids whose command line contains ``text``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as stream:
                cmdline = stream.read().decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmdline and alive(int(name)):
            found.append(int(name))
    return found


def kill_quietly(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _can_mount(where):
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", where],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    subprocess.run(["umount", where], capture_output=True)
    return True


@pytest.fixture
def tmpfs(tmp_path):
    """``mount(size)`` makes a real tmpfs of that size in tmp_path; ``remount_ro(path)``
    makes it read-only. Skips where mounting is not permitted (not root, no CAP_SYS_ADMIN)."""
    mounted = []

    class Mounts:
        def mount(self, size="1m"):
            where = tmp_path / ("fs-" + uuid.uuid4().hex[:6])
            where.mkdir()
            if os.geteuid() != 0 or not _can_mount(str(where)):
                pytest.skip("cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)")
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                            str(where)], check=True, capture_output=True)
            mounted.append(str(where))
            return where

        def remount_ro(self, where):
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True,
                           capture_output=True)

    yield Mounts()
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", where], capture_output=True)
