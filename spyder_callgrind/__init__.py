"""spyder-callgrind: profile Python scripts to callgrind files from Spyder or the command line.

Layers (imports point one way only): ``plugin`` (Spyder glue) -> ``widgets`` (qtpy) ->
``engine`` (no Qt). ``engine/workers`` holds the stdlib-only scripts that run inside the
user's interpreter, started by file path.
"""

__version__ = "0.1.0.dev0"
