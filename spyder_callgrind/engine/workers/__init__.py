"""Scripts run *by file path* inside the user's interpreter (Python 3.9-3.13).

Everything here imports only the standard library and each other: the user's environment
may not have spyder-callgrind (or anything else) installed.
"""

import os

#: Folder holding the worker scripts, to build their paths for a subprocess.
WORKERS_DIR = os.path.dirname(os.path.abspath(__file__))
