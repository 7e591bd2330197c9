"""Starting our own code in a helper interpreter without running anyone else's.

``python -m pkg.mod`` puts the current folder first on ``sys.path``: a ``json.py`` planted
beside a downloaded profile, or an ``argparse.py`` in the user's project folder, would run
in place of the standard module. So every interpreter we start to run *our* code (the
isolated profile reader, the command line the pane drives) is started with ``-I``: no
current folder, no script folder, no ``PYTHON*`` variables, no user site-packages. The
folder holding this package is put on ``sys.path`` by hand, so the helper runs the same
copy of the package as its caller.

(The worker that runs the user's script is started by path and is not isolated on purpose:
the script must see its own environment.)
"""

from __future__ import annotations

import os
from typing import List, Sequence

#: The folder that holds the ``spyder_callgrind`` package.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_BOOT = ("import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
         "runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)")


def module_command(python: str, module: str, args: Sequence[str] = (),
                   site: bool = True) -> List[str]:
    """The argument list that runs ``python -m module args`` isolated (see above).

    ``-I`` also ignores ``PYTHONIOENCODING`` and ``PYTHONUNBUFFERED``: ``-X utf8`` and ``-u``
    say the same on the command line (UTF-8 pipes on every system, output as it comes).
    ``site=False`` (``-S``): no site-packages either, for a module that needs only the
    standard library and this package (it starts about 10 ms sooner).
    """
    return [python, "-I", *(() if site else ("-S",)), "-X", "utf8", "-u", "-c", _BOOT,
            PACKAGE_PARENT, module, *args]
