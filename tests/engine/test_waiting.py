"""Which functions wait (engine/waiting.py), judged on the names a real cProfile gives."""

import cProfile
import os
import pstats
import queue
import select
import threading
import time

from spyder_callgrind.engine.model import BUILTIN_FILE, Function
from spyder_callgrind.engine.waiting import is_waiting, waiting_functions, waiting_mask


def _waits_and_works():
    items = queue.Queue()
    worker = threading.Thread(target=lambda: (time.sleep(0.005), items.put(1)))
    worker.start()
    time.sleep(0.001)
    items.get()
    worker.join()
    event = threading.Event()
    event.set()
    event.wait(0.01)
    reader, writer = os.pipe()
    os.write(writer, b"x")
    select.select([reader], [], [], 1.0)
    os.read(reader, 1)
    os.close(reader)
    os.close(writer)
    return sorted(range(100), key=lambda x: -x)


def test_real_profile_waiting_and_working_functions():
    profiler = cProfile.Profile()
    profiler.runcall(_waits_and_works)
    keys = pstats.Stats(profiler).stats.keys()
    waiting = {(os.path.basename(file), name) for file, _line, name in keys
               if is_waiting(file, name)}
    for expected in [("~", "<method 'acquire' of '_thread.lock' objects>"),
                     ("~", "<built-in method time.sleep>"),
                     ("~", "<built-in method select.select>"),
                     ("~", "<built-in method posix.read>"),
                     ("queue.py", "get"), ("threading.py", "join"),
                     ("threading.py", "wait")]:
        assert expected in waiting, expected
    working = {(os.path.basename(file), name) for file, _line, name in keys
               if not is_waiting(file, name)}
    for expected in [("~", "<built-in method builtins.sorted>"), ("threading.py", "set"),
                     ("threading.py", "start"), ("~", "<built-in method posix.write>"),
                     ("test_waiting.py", "_waits_and_works")]:
        assert expected in working, expected


def test_lookalikes_are_not_waiting():
    assert not is_waiting(BUILTIN_FILE, "<built-in method select.poll>")  # makes a poll object
    assert is_waiting(BUILTIN_FILE, "<method 'poll' of 'select.poll' objects>")
    assert not is_waiting("/home/me/mythreading.py", "join")
    assert not is_waiting("/usr/lib/python3.11/threading.py", "start")
    assert not is_waiting(BUILTIN_FILE, "<function wait at 0x7f00>")
    assert is_waiting("C:\\Python311\\Lib\\multiprocessing\\connection.py", "_recv_bytes")


def test_mask_and_list_agree():
    functions = [Function(BUILTIN_FILE, 0, "<built-in method time.sleep>", 1, 1, 5, 5),
                 Function("/x/work.py", 3, "crunch", 1, 1, 9, 9),
                 Function("/usr/lib/python3.11/queue.py", 154, "get", 1, 1, 1, 6)]
    assert waiting_mask(functions) == [True, False, True]
    assert waiting_functions(functions) == [functions[0], functions[2]]
