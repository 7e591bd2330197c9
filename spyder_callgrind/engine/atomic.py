"""Writing a file so that readers see the old one or the new one, whole, never a part.

Every file the engine writes (run.json, tables, callgrind files, exports) goes through
:func:`atomic_file`: it is written under a temporary name in the same folder, flushed to
disk, then renamed over the target (a rename within one folder is atomic). If anything fails
(a full disk, a signal), the temporary file is removed and the target is untouched.

Targets that are not plain files are never replaced: a symbolic link is followed and its
target written (the link stays), a FIFO or a character device (``/dev/null``, a terminal)
is opened and written to as it is, and anything else (a block device, a socket) is refused.
A new file gets the permissions the umask gives (``0644`` under the usual ``022``), a
replaced one keeps its own.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from typing import IO, Iterator, Optional, Union


def _umask() -> int:
    """The process' umask, read without changing it where the system says it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)   # elsewhere: set and restore (briefly process-wide)
    os.umask(mask)
    return mask


def _existing(path: str) -> Optional[os.stat_result]:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "w", **open_options) -> Iterator[IO]:
    """Open a stream that replaces ``path`` when the ``with`` block ends without error.

    ``mode`` is "w" (text; UTF-8 unless ``encoding`` is given, and text that cannot be
    encoded, such as a file name's undecodable bytes, written as ``\\`` escapes unless
    ``errors`` is given) or "wb"; other keyword arguments go to :func:`open` (``newline``,
    ``buffering``...). See the module docstring for symbolic links, FIFOs and devices.
    """
    if "b" not in mode:
        open_options.setdefault("encoding", "utf-8")
        open_options.setdefault("errors", "backslashreplace")
    target = os.path.realpath(path)        # through symbolic links: the link itself stays
    found = _existing(target)
    if found is not None and not stat.S_ISREG(found.st_mode):
        if not (stat.S_ISFIFO(found.st_mode) or stat.S_ISCHR(found.st_mode)):
            raise OSError(errno.EINVAL, "not a regular file, FIFO or character device", path)
        # Written in place: it cannot be replaced, and must not be (as root, replacing
        # /dev/null with a file would break every other program).
        with open(os.open(target, os.O_WRONLY), mode, **open_options) as stream:
            yield stream
        return
    folder = os.path.dirname(target)
    handle, temp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(target),
                                    dir=folder)
    try:
        with open(handle, mode, **open_options) as stream:
            # mkstemp makes the file 0600; a new file gets what the umask allows, as with
            # open(), and a replaced one keeps its permissions.
            os.chmod(temp, stat.S_IMODE(found.st_mode) if found is not None
                     else 0o666 & ~_umask())
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def atomic_write(path: str, content: Union[str, bytes]) -> None:
    """Replace ``path`` with ``content`` (text is written as UTF-8)."""
    with atomic_file(path, "wb" if isinstance(content, bytes) else "w") as stream:
        stream.write(content)
