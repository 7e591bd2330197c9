"""Following child processes and threads, through ScriptRunner and real subprocesses."""

import glob
import os
import pstats
import subprocess
import sys
import textwrap
import threading

import pytest

from spyder_callgrind.engine import records
from spyder_callgrind.engine.runner import ScriptRunner

METHODS = ["fork", "spawn", "forkserver"]
REPEATS = int(os.environ.get("SPYDER_CALLGRIND_REPEATS", "20"))


def _pythons():
    found = {}
    for python in [sys.executable] + sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python")):
        try:
            version = subprocess.run(
                [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version in ("3.9", "3.10", "3.11", "3.12", "3.13"):
            found.setdefault(version, python)
    return found


PYTHONS = _pythons()


def write(path, source):
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source))
    return str(path)


def run(tmp_path, source, args=(), python=None, name="run"):
    script = write(tmp_path / "script.py", source)
    runner = ScriptRunner(script, args, python=python, profile_dir=str(tmp_path / name))
    runner.start()
    return runner.wait(timeout=300)


def calls(profile_dir, profile, name):
    stats = pstats.Stats(os.path.join(profile_dir, profile)).stats
    return sum(v[1] for k, v in stats.items() if k[2] == name)


POOL = """\
    import multiprocessing as mp, sys
    def work(x):
        return sum(range(x))
    if __name__ == "__main__":
        with mp.get_context(sys.argv[1]).Pool(4) as pool:
            assert pool.map(work, [1000] * 40, chunksize=1) == [499500] * 40
"""


@pytest.mark.parametrize("method", METHODS)
def test_pool_repeated(tmp_path, method):
    """Every worker is captured every time, and the calls add up exactly, even when the
    pool's terminate() ends a worker that is still starting (one worker took every task)."""
    failures = []
    for i in range(REPEATS):
        outcome = run(tmp_path, POOL, [method], name="run%d" % i)
        folder = str(tmp_path / ("run%d" % i))
        assert outcome.status == records.STATUS_OK, outcome.message
        main, *workers = outcome.processes
        assert main.role == "main" and main.profiled
        assert [w.role for w in workers] == ["worker %d" % n for n in range(1, len(workers) + 1)]
        total = sum(calls(folder, w.profile, "work") for w in workers if w.profiled)
        if total != 40 or len(workers) != 4 or not all(w.profiled for w in workers):
            failures.append((i, len(workers), [w.note for w in workers], total))
    assert failures == []


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_pool_and_workers_terminated_while_they_start(tmp_path, version, method):
    """On each Python: a Pool's calls add up exactly; and terminate() right after start()
    kills each child with SIGTERM as the caller expects, yet each is in the run with its
    (short) profile, never dropped."""
    outcome = run(tmp_path, """\
        import multiprocessing as mp, sys, time
        def square(x):
            return x * x
        def work():
            time.sleep(30)
        if __name__ == "__main__":
            ctx = mp.get_context(sys.argv[1])
            with ctx.Pool(2) as pool:
                assert pool.map(square, range(30), chunksize=1) == [x * x for x in range(30)]
            codes = []
            for _ in range(2):
                ps = [ctx.Process(target=work) for _ in range(3)]
                for p in ps: p.start()
                for p in ps: p.terminate()
                for p in ps: p.join()
                codes += [p.exitcode for p in ps]
            with open(sys.argv[2], "w") as f:
                f.write(repr(codes))
    """, [method, str(tmp_path / "codes.txt")], python=PYTHONS[version])
    assert outcome.status == records.STATUS_OK, outcome.message
    assert (tmp_path / "codes.txt").read_text() == repr([-15] * 6)
    main, *workers = outcome.processes
    assert len(workers) == 2 + 6
    assert all(w.profiled for w in workers), [w.note for w in workers]
    folder = str(tmp_path / "run")
    assert sum(calls(folder, w.profile, "square") for w in workers) == 30


@pytest.mark.parametrize("method", METHODS)
def test_process_pool_executor(tmp_path, method):
    outcome = run(tmp_path, """\
        import concurrent.futures as cf, multiprocessing as mp, sys
        def work(x):
            return x * 2
        if __name__ == "__main__":
            ctx = mp.get_context(sys.argv[1])
            with cf.ProcessPoolExecutor(2, mp_context=ctx) as ex:
                assert list(ex.map(work, range(25))) == [2 * x for x in range(25)]
    """, [method])
    assert outcome.status == records.STATUS_OK, outcome.message
    main, *workers = outcome.processes
    assert workers and all(w.profiled for w in workers)
    folder = str(tmp_path / "run")
    assert sum(calls(folder, w.profile, "work") for w in workers) == 25
    assert calls(folder, main.profile, "work") == 0


@pytest.mark.parametrize("method", METHODS)
def test_process_with_nested_calls_and_names(tmp_path, method):
    outcome = run(tmp_path, """\
        import multiprocessing as mp, sys
        def leaf():
            pass
        def job(n):
            for _ in range(n):
                leaf()
        if __name__ == "__main__":
            ctx = mp.get_context(sys.argv[1])
            ps = [ctx.Process(target=job, args=(n,), name="job-%d" % n) for n in (3, 5)]
            for p in ps: p.start()
            for p in ps: p.join()
            leaf()
    """, [method])
    assert outcome.status == records.STATUS_OK
    main, *workers = outcome.processes
    folder = str(tmp_path / "run")
    assert calls(folder, main.profile, "leaf") == 1
    assert sorted(w.name for w in workers) == ["job-3", "job-5"]
    for w in workers:
        assert w.ppid == main.pid
        assert calls(folder, w.profile, "leaf") == int(w.name.split("-")[1])


THREADS = """\
    import threading
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    def job(k):
        for _ in range(k):
            fib(12)
    if __name__ == "__main__":
        ts = [threading.Thread(target=job, args=(k,), name="job%d" % k) for k in (2, 3, 4)]
        for t in ts: t.start()
        job(1)
        for t in ts: t.join()
"""
PER_FIB = 465                                   # calls of fib for one fib(12)


def _monitoring(version):
    return tuple(int(x) for x in version.split(".")) >= (3, 12)


@pytest.mark.parametrize("exact", [False, True], ids=["default", "exact_threads"])
@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_threads_exact_counts(tmp_path, version, exact):
    if exact and not _monitoring(version):
        pytest.skip("threads are timed separately anyway before 3.12")
    script = write(tmp_path / "script.py", THREADS)
    runner = ScriptRunner(script, python=PYTHONS[version], profile_dir=str(tmp_path / "run"),
                          exact_threads=exact)
    runner.start()
    outcome = runner.wait(timeout=300)
    assert outcome.status == records.STATUS_OK, outcome.message
    folder = str(tmp_path / "run")
    [main] = outcome.processes
    if _monitoring(version) and not exact:
        # One native profiler sees every thread: exact counts, time not split per thread,
        # and the run says so.
        assert outcome.threads == []
        assert main.profile == "%d.prof" % main.pid
        assert calls(folder, main.profile, "fib") == (1 + 2 + 3 + 4) * PER_FIB
        assert outcome.notes and "not separated" in outcome.notes[0]
        return
    assert outcome.notes == []
    by_name = {t.name: t for t in outcome.threads}
    assert set(by_name) == {"job2", "job3", "job4"}
    for k in (2, 3, 4):
        assert by_name["job%d" % k].role == "thread job%d" % k
        assert calls(folder, by_name["job%d" % k].profile, "fib") == k * PER_FIB
    assert main.profile == "%d-all.prof" % main.pid    # main thread and threads merged
    assert calls(folder, main.profile, "fib") == (1 + 2 + 3 + 4) * PER_FIB
    assert calls(folder, "%d.prof" % main.pid, "fib") == PER_FIB


def test_sigkilled_worker_is_reported_lost(tmp_path):
    outcome = run(tmp_path, """\
        import multiprocessing as mp, os, signal
        def die():
            os.kill(os.getpid(), signal.SIGKILL)
        if __name__ == "__main__":
            p = mp.get_context("spawn").Process(target=die)
            p.start(); p.join()
            print(p.exitcode)
    """)
    assert outcome.status == records.STATUS_OK
    main, worker = outcome.processes
    assert main.profiled
    assert not worker.profiled and worker.profile is None
    assert "before its profile was saved" in worker.note


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_worker_killed_while_it_starts_is_reported_lost(tmp_path, method):
    """SIGKILL right after start(), before the child's interpreter could record anything:
    its parent's note of the start still puts it in the run, reported lost."""
    outcome = run(tmp_path, """\
        import multiprocessing as mp, os, signal, sys
        def work():
            pass
        if __name__ == "__main__":
            p = mp.get_context(sys.argv[1]).Process(target=work, name="doomed")
            p.start()
            os.kill(p.pid, signal.SIGKILL)
            p.join()
    """, [method])
    assert outcome.status == records.STATUS_OK, outcome.message
    main, *workers = outcome.processes
    assert main.profiled and len(workers) == 1
    [worker] = workers
    assert worker.name == "doomed" and worker.role == "worker 1"
    assert not worker.profiled and "before" in worker.note, worker.note


@pytest.mark.parametrize("method", METHODS)
def test_os_exit_worker_is_profiled(tmp_path, method):
    """os._exit skips atexit and multiprocessing's own ending: the worker is saved first."""
    outcome = run(tmp_path, """\
        import multiprocessing as mp, os, sys
        def spin(n):
            return n
        def leave():
            for i in range(50):
                spin(i)
            os._exit(3)
        if __name__ == "__main__":
            p = mp.get_context(sys.argv[1]).Process(target=leave)
            p.start(); p.join()
            assert p.exitcode == 3, p.exitcode
    """, args=[method])
    assert outcome.status == records.STATUS_OK, outcome.message
    main, worker = outcome.processes
    assert main.profiled and worker.profiled, worker.note
    assert calls(str(tmp_path / "run"), worker.profile, "spin") == 50


@pytest.mark.parametrize("method", METHODS)
def test_stop_pool_keeps_profiles(tmp_path, method):
    started = threading.Event()
    script = write(tmp_path / "script.py", """\
        import multiprocessing as mp, sys, time
        def work(x):
            time.sleep(0.01)
            return x
        if __name__ == "__main__":
            with mp.get_context(sys.argv[1]).Pool(2) as pool:
                pool.map(work, range(4))
                print("started", flush=True)
                while True:
                    pool.map(work, range(4))
    """)
    runner = ScriptRunner(script, [method], profile_dir=str(tmp_path / "run"),
                          on_output=lambda s, t: "started" in t and started.set())
    runner.start()
    assert started.wait(120)
    # multiprocessing itself can hang after a SIGINT to every process of a spawn pool
    # (plain `python` too): the stop then terminates it, and still keeps the profiles.
    runner.stop(grace=5)
    outcome = runner.wait(timeout=120)
    assert outcome.status == records.STATUS_STOPPED
    main, *workers = outcome.processes
    # A worker still starting when SIGINT came ran no task; the pool also replaces workers
    # that died of the SIGINT, and the stop may kill a replacement while it starts. Each
    # such worker is in the run, reported lost (never dropped silently).
    assert main.profiled and len(workers) >= 2
    assert sum(w.profiled for w in workers) >= 1, [w.note for w in workers]
    assert all(w.profiled or "before its profile" in w.note or "before its profiler"
               in w.note for w in workers), [w.note for w in workers]
    folder = str(tmp_path / "run")
    assert sum(calls(folder, w.profile, "work") for w in workers if w.profiled) >= 4


def test_no_children(tmp_path):
    script = write(tmp_path / "script.py", """\
        import multiprocessing as mp
        def work(x):
            return x
        if __name__ == "__main__":
            with mp.get_context("spawn").Pool(2) as pool:
                pool.map(work, range(4))
    """)
    runner = ScriptRunner(script, profile_dir=str(tmp_path / "run"), children=False)
    runner.start()
    outcome = runner.wait(timeout=120)
    assert outcome.status == records.STATUS_OK
    assert [p.role for p in outcome.processes] == ["main"] and outcome.threads == []
