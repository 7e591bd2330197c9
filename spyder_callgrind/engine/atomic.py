"""Writing a file so that readers see the old one or the new one, whole, never a part.

Every file the engine writes (run.json, tables, callgrind files, exports) goes through
:func:`atomic_file`: it is written under a temporary name in the same folder, flushed to
disk, then renamed over the target (a rename within one folder is atomic). If anything fails
(a full disk, a signal), the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Iterator, Union


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "w", **open_options) -> Iterator[IO]:
    """Open a stream that replaces ``path`` when the ``with`` block ends without error.

    ``mode`` is "w" (text; UTF-8 unless ``encoding`` is given) or "wb"; other keyword
    arguments go to :func:`open` (``newline``, ``errors``, ``buffering``...).
    """
    folder = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path),
                                    dir=folder)
    if "b" not in mode:
        open_options.setdefault("encoding", "utf-8")
    try:
        with open(handle, mode, **open_options) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
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
