"""The engine: profiling, conversion, the run store and the command line (no Qt)."""
