"""``python -m spyder_callgrind``: the same as the ``spyder-callgrind`` command."""

import sys

from spyder_callgrind.engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
