"""Forget the modules our start-up imported that the profiled script's folder shadows.

Plain ``python script.py`` has the script's folder first on ``sys.path``, so the script's
own ``json.py`` or ``signal.py`` wins over the standard one.  Our worker modules import
the standard ones before that folder is in place; ``forget_shadowed`` drops those entries
from ``sys.modules`` so the script imports its own on first use.  Stdlib only, Python
3.9-3.13.
"""

import sys
from importlib.machinery import PathFinder

#: Every worker module's name starts with this: imported by name inside the user's
#: interpreter, they must never be shadowed nor forgotten (their state would split in two).
OUR_PREFIX = "_spyder_callgrind_"
#: Modules that must stay single: a second copy would break the running interpreter.
_NEVER_FORGET = frozenset({"threading", "__main__"})


def forget_shadowed(folder, before):
    """Forget the modules imported since ``before`` that a module in ``folder`` shadows.

    Plain ``python script.py`` imports the script's own ``json.py`` or ``signal.py``; our
    imports, made before the script's folder is on ``sys.path``, must not change that.  We
    keep our references to the standard modules; the script imports its own on first use.
    """
    if not folder:
        return
    verdicts = {}
    for name in list(sys.modules):
        if name in before:
            continue
        top = name.partition(".")[0]
        if top in _NEVER_FORGET or top.startswith(OUR_PREFIX):
            continue
        if top not in verdicts:
            try:
                spec = PathFinder.find_spec(top, [folder])
            except (ImportError, OSError, ValueError):
                spec = None
            verdicts[top] = spec is not None and spec.loader is not None
        if verdicts[top]:
            del sys.modules[name]
