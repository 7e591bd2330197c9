"""What this interpreter calls its standard library, and its prefixes.

The one definition of "standard library folders": the main worker writes them into its
meta when the script starts, so a run keeps the folders of the interpreter that ran it
(even once that interpreter or its environment has changed or is gone), and
``engine/interpreters.py`` runs this file (``python -I _spyder_callgrind_interpreter.py``)
for runs kept before runs recorded them.  Stdlib only, Python 3.9-3.13; it imports none of
our modules, so the engine imports it too.
"""

import json
import sys
import sysconfig


def interpreter_folders():
    """``(standard library folders, prefixes)`` of this interpreter, as it names them
    (the engine normalises them)."""
    paths = sysconfig.get_paths()
    return ([paths.get("stdlib"), paths.get("platstdlib")],
            [sys.prefix, sys.base_prefix, sys.exec_prefix])


if __name__ == "__main__":
    print(json.dumps(interpreter_folders()))
