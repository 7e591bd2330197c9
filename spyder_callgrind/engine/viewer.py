"""Finding and starting the external viewer, QCacheGrind or KCacheGrind.

The viewer is started detached, with an argument list (never a shell string), so a path
from a run folder can never be interpreted as a command, and a viewer that crashes or hangs
has no effect on Spyder or on the command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import List, Optional

#: Names looked up on PATH, in order.
VIEWER_NAMES = ("qcachegrind", "kcachegrind")


class ViewerNotFound(Exception):
    """No viewer could be found; the message says how to install one."""


def install_hint(platform: str = sys.platform) -> str:
    """How to get a viewer on this operating system."""
    if platform == "win32":
        return ("install QCacheGrind (e.g. 'choco install qcachegrind', or the Windows "
                "build from sourceforge.net/projects/qcachegrindwin) and set its path in "
                "Preferences > Callgrind")
    if platform == "darwin":
        return "install QCacheGrind with 'brew install qcachegrind'"
    return ("install KCacheGrind (Debian/Ubuntu: 'sudo apt install kcachegrind'; "
            "Fedora: 'sudo dnf install kcachegrind') or QCacheGrind")


def usual_locations(platform: str = sys.platform) -> List[str]:
    """Places where installers put the viewer when it is not on PATH."""
    if platform == "win32":
        roots = [os.environ.get(name, "") for name in
                 ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA", "ChocolateyInstall")]
        found = []
        for root in filter(None, roots):
            found += [os.path.join(root, "qcachegrind", "qcachegrind.exe"),
                      os.path.join(root, "QCacheGrind", "qcachegrind.exe"),
                      os.path.join(root, "bin", "qcachegrind.exe")]
        return found
    if platform == "darwin":
        return ["/Applications/qcachegrind.app/Contents/MacOS/qcachegrind",
                os.path.expanduser("~/Applications/qcachegrind.app/Contents/MacOS/qcachegrind"),
                "/opt/homebrew/bin/qcachegrind", "/usr/local/bin/qcachegrind",
                "/Applications/kcachegrind.app/Contents/MacOS/kcachegrind"]
    return ["/usr/bin/kcachegrind", "/usr/bin/qcachegrind", "/usr/local/bin/qcachegrind",
            "/snap/bin/kcachegrind"]


def find_viewer(configured: Optional[str] = None) -> Optional[str]:
    """The viewer to use: the configured path, then PATH, then the usual places."""
    if configured:
        configured = os.path.expanduser(configured)
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return configured
        on_path = shutil.which(configured)
        if on_path:
            return on_path
    for name in VIEWER_NAMES:
        on_path = shutil.which(name)
        if on_path:
            return on_path
    for path in usual_locations():
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def open_in_viewer(callgrind_file: str, configured: Optional[str] = None) -> subprocess.Popen:
    """Start the viewer on ``callgrind_file``, detached; raises ViewerNotFound."""
    if not callgrind_file or not os.path.isfile(callgrind_file):
        raise FileNotFoundError(f"no callgrind file {callgrind_file}")
    viewer = find_viewer(configured)
    if viewer is None:
        where = f" (configured path {configured!r} not found)" if configured else ""
        raise ViewerNotFound(f"no QCacheGrind/KCacheGrind found{where}: {install_hint()}")
    options = {}
    if sys.platform == "win32":
        options["creationflags"] = (subprocess.DETACHED_PROCESS
                                    | subprocess.CREATE_NEW_PROCESS_GROUP)
    else:
        options["start_new_session"] = True
    return subprocess.Popen(
        [viewer, os.path.abspath(callgrind_file)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        close_fds=True, cwd=os.path.dirname(os.path.abspath(callgrind_file)), **options)
