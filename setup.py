"""Packaging for spyder-callgrind: the Spyder plugin, its engine and the command line."""

import os
import re

from setuptools import find_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))


def read(*parts):
    with open(os.path.join(HERE, *parts), encoding="utf-8") as handle:
        return handle.read()


VERSION = re.search(r'__version__ = "([^"]+)"',
                    read("spyder_callgrind", "__init__.py")).group(1)

setup(
    name="spyder-callgrind",
    version=VERSION,
    description="Profile Python scripts from Spyder to callgrind files, "
                "with a call-table pane and one-click QCacheGrind/KCacheGrind",
    long_description=read("README.md"),
    long_description_content_type="text/markdown",
    license="MIT",
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks"]),
    package_data={"spyder_callgrind": ["engine/workers/*.py"]},
    python_requires=">=3.9",
    install_requires=[
        "spyder>=6.1,<7",
        # spyder-kernels 3.1.6 (what Spyder 6.1.8 installs) imports
        # IPython.utils.PyColorize.linux_theme, which IPython 9.18 removed: with IPython
        # 9.18 every console start shows "Spyder has encountered an internal problem!".
        # 9.17.1 is the newest that works (a real kernel started and checked in
        # tests/test_install.py).
        "ipython<9.18",
        "qtpy",
    ],
    extras_require={
        "test": [
            "pytest>=7",
            "pytest-qt",
            "pytest-timeout",
            "hypothesis",
            "PyQt5",
            # the reference converter our callgrind files are checked against
            # (tests/engine/test_pyprof2calltree_oracle.py) and measured against
            # (benchmarks/)
            "pyprof2calltree",
        ],
    },
    entry_points={
        "console_scripts": ["spyder-callgrind = spyder_callgrind.engine.cli:main"],
        "spyder.plugins": ["spyder_callgrind = spyder_callgrind.plugin.plugin:CallgrindPlugin"],
    },
    classifiers=[
        "Framework :: Spyder",
        "Intended Audience :: Developers",
        "Topic :: Software Development :: Debuggers",
        "Programming Language :: Python :: 3",
    ],
)
