"""Fixtures for the engine tests: real profiles of small scripts, made by cProfile/profile
in a child interpreter (the way a run makes them)."""

import subprocess
import sys
import textwrap

import pytest

#: One script exercising what a converter gets wrong: recursion, mutual recursion,
#: methods, built-ins, same-named functions in one file, a generator.
SAMPLE = textwrap.dedent('''
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    def even(n):
        return True if n == 0 else odd(n - 1)

    def odd(n):
        return False if n == 0 else even(n - 1)

    class A:
        def run(self):
            return sorted([3, 1, 2])

    class B:
        def run(self):
            return sum(range(100))

    def gen():
        for i in range(5):
            yield i * i

    def work():
        fib(12)
        even(20)
        A().run()
        B().run()
        list(gen())
        len("abc")

    def work_again():
        pass

    work()
    work_again()
''')


def _profile(tmp_path, source, module="cProfile", name="sample.py"):
    script = tmp_path / name
    script.write_text(source)
    out = tmp_path / (name + "." + module + ".prof")
    subprocess.run([sys.executable, "-m", module, "-o", str(out), name],
                   cwd=str(tmp_path), check=True, stdout=subprocess.DEVNULL)
    return str(out)


@pytest.fixture
def sample_prof(tmp_path):
    """(path of a cProfile .prof of SAMPLE, folder it was run in: paths are relative)."""
    return _profile(tmp_path, SAMPLE), str(tmp_path)


@pytest.fixture
def sample_profile_module(tmp_path):
    """The same script profiled by the pure-Python ``profile`` module."""
    return _profile(tmp_path, SAMPLE, module="profile"), str(tmp_path)


@pytest.fixture
def make_prof(tmp_path):
    """Profile any source text: ``make_prof(source, module="cProfile") -> path``."""
    def make(source, module="cProfile", name="script.py"):
        return _profile(tmp_path, textwrap.dedent(source), module, name)
    return make


@pytest.fixture
def engine_tmp(tmp_path):
    return tmp_path
