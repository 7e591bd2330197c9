"""When each process and thread of a run was busy, and what it waited for.

Built from a run's stack samples (:mod:`.samples`): each sample covers the time since the
previous one in its process, on the thread it was taken in.  A thread's lane is a list of
:class:`Segment` s, consecutive samples with the same stack merged, each labelled by the
innermost frame of the user's own code; and a segment is *waiting* when the thread used
(almost) no CPU meanwhile, where the samples carry CPU time, else when the innermost frame
is a function that blocks (:mod:`.waiting`).

From the lanes: :func:`summarize` (wall time, busy time summed over processes, each
worker's busy share, parallel efficiency, how long the main process waited) and
:func:`trace_events` (the Trace Event format of Perfetto's UI, ``chrome://tracing`` and
speedscope).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from spyder_callgrind.engine.model import FuncKey, format_ns
from spyder_callgrind.engine.waiting import is_waiting as _is_waiting_function

#: A thread that used less CPU than this share of the elapsed time was waiting.
IDLE_CPU_SHARE = 0.2


@dataclass
class Segment:
    """A stretch of one thread's time with one label."""

    start_ns: int                   #: from the run's start
    end_ns: int
    function: Optional[FuncKey]     #: innermost user frame (None: none of the user's code)
    waiting: bool
    stack: Tuple[FuncKey, ...] = ()  #: whole stack of the segment's first sample, root first

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


@dataclass
class Lane:
    """One thread of one process."""

    pid: int
    role: str                       #: "main", "worker 2"...
    thread: str                     #: thread name
    start_ns: int                   #: the process' lifetime, from the run's start
    end_ns: int
    segments: List[Segment] = field(default_factory=list)
    main_thread: bool = False

    @property
    def label(self) -> str:
        return f"{self.role} ({self.pid}) · {self.thread}"

    def busy_ns(self) -> int:
        return sum(s.duration_ns for s in self.segments if not s.waiting)

    def waiting_ns(self) -> int:
        return sum(s.duration_ns for s in self.segments if s.waiting)

    def segment_at(self, at_ns: int) -> Optional[Segment]:
        starts = [s.start_ns for s in self.segments]
        i = bisect.bisect_right(starts, at_ns) - 1
        if i >= 0 and self.segments[i].start_ns <= at_ns < self.segments[i].end_ns:
            return self.segments[i]
        return None


@dataclass
class Timeline:
    lanes: List[Lane]
    end_ns: int                     #: the run's wall time (lanes start at 0)

    def lanes_of(self, pid: int) -> List[Lane]:
        return [lane for lane in self.lanes if lane.pid == pid]


def _default_is_user(file: str) -> bool:
    """Crude: not a built-in, not frozen, not in the standard library or site-packages."""
    if not file or file.startswith("<") or file == "~":
        return False
    path = file.replace("\\", "/")
    return "/lib/python3" not in path and "/site-packages/" not in path \
        and "/Lib/" not in path


def _default_is_waiting(key: FuncKey) -> bool:
    return _is_waiting_function(key[0], key[2])


def run_timeline(store, record, pid: Optional[int] = None) -> Optional["Timeline"]:
    """The timeline of a kept run (or of its process ``pid``); None without samples."""
    processes = store.folder(record).load_samples(pid)
    if not processes:
        return None
    return build_timeline(processes)


def build_timeline(processes: Sequence[Any], *,
                   epochs_ns: Optional[Dict[int, int]] = None,
                   is_user: Callable[[str], bool] = _default_is_user,
                   is_waiting: Optional[Callable[[FuncKey], bool]] = _default_is_waiting
                   ) -> Timeline:
    """Lanes of every thread of every process, on one wall-clock axis.

    ``processes``: :class:`.samples.ProcessSamples`; ``epochs_ns``: per pid, the wall-clock
    time (ns) of that process' sample time 0 (default: the process' own ``epoch_ns``, else
    0: all processes start together); ``is_user(file)``: whether a file is the user's own
    code; ``is_waiting(key)``: whether a function blocks (used when the samples carry no
    CPU time).
    """
    epochs = dict(epochs_ns or {})
    for process in processes:
        epochs.setdefault(process.pid, int(getattr(process, "epoch_ns", 0) or 0))
    origin = min(epochs.values()) if epochs else 0
    lanes: List[Lane] = []
    end = 0
    for process in processes:
        shift = epochs[process.pid] - origin
        lanes_here = _process_lanes(process, shift, is_user, is_waiting)
        for lane in lanes_here:
            end = max(end, lane.end_ns)
        lanes.extend(lanes_here)
    lanes.sort(key=lambda lane: (lane.role != "main", lane.start_ns, lane.pid,
                                 not lane.main_thread, lane.thread))
    return Timeline(lanes, end)


def _process_lanes(process, shift: int, is_user, is_waiting) -> List[Lane]:
    frames = process.frames
    node_frame, node_parent = process.node_frame, process.node_parent
    user_of_node: Dict[int, Optional[FuncKey]] = {}
    stack_of_node: Dict[int, Tuple[FuncKey, ...]] = {}

    def labels(node: int) -> Tuple[Optional[FuncKey], Tuple[FuncKey, ...]]:
        if node not in user_of_node:
            chain = []
            n = node
            while n >= 0:
                chain.append(frames[node_frame[n]])
                n = node_parent[n]
            user_of_node[node] = next((key for key in chain if is_user(key[0])), None)
            stack_of_node[node] = tuple(reversed(chain))
        return user_of_node[node], stack_of_node[node]

    cpu = getattr(process, "sample_cpu", None) or None
    times, weights = process.sample_time, process.sample_weight
    first = min(times[i] - weights[i] for i in range(len(times))) if times else 0
    start = shift + max(0, min(0, first))
    last = max(times) if times else 0
    per_thread: Dict[int, List[Segment]] = {}
    order = sorted(range(len(times)), key=times.__getitem__)
    for i in order:
        node = process.sample_node[i]
        function, stack = labels(node)
        if cpu is not None and weights[i] > 0:
            waiting = cpu[i] < IDLE_CPU_SHARE * weights[i]
        else:
            leaf = stack[-1] if stack else None
            waiting = bool(leaf is not None and is_waiting is not None and is_waiting(leaf))
        t1 = shift + times[i]
        t0 = max(shift, t1 - weights[i])
        segments = per_thread.setdefault(process.sample_thread[i], [])
        if segments and segments[-1].stack == stack \
                and segments[-1].waiting == waiting and segments[-1].end_ns >= t0:
            segments[-1].end_ns = t1
        else:
            if segments and segments[-1].end_ns > t0:
                t0 = segments[-1].end_ns
            segments.append(Segment(t0, t1, function, waiting, stack))
    lanes = []
    for thread, segments in per_thread.items():
        name = process.threads[thread] if thread < len(process.threads) else "thread"
        lanes.append(Lane(process.pid, process.role or f"pid {process.pid}", name,
                          start, shift + last, segments,
                          main_thread=(thread == 0)))
    return lanes


# -- the summary line -----------------------------------------------------------------------

@dataclass
class TimelineSummary:
    wall_ns: int
    cpu_ns: int                      #: busy time summed over processes and threads
    processes: int
    workers: List[Tuple[str, float]]  #: (role, busy share of its lifetime)
    efficiency: Optional[float]      #: workers' busy time / (workers x their lifetime)
    main_waited_ns: int
    main_lifetime_ns: int

    def text(self) -> str:
        parts = []
        if self.workers:
            shares = " / ".join(f"{share:.0%}" for _role, share in self.workers)
            parts.append(f"{len(self.workers)} worker{'s' if len(self.workers) > 1 else ''} "
                         f"busy {shares}")
        parts.append(f"main waited {format_ns(self.main_waited_ns)} of "
                     f"{format_ns(self.main_lifetime_ns)}")
        if self.efficiency is not None:
            parts.append(f"parallel efficiency {self.efficiency:.0%}")
        parts.append(f"busy {format_ns(self.cpu_ns)} summed over {self.processes} "
                     f"process{'es' if self.processes > 1 else ''} in "
                     f"{format_ns(self.wall_ns)} wall")
        return "; ".join(parts)


def summarize(timeline: Timeline) -> TimelineSummary:
    by_pid: Dict[int, List[Lane]] = {}
    for lane in timeline.lanes:
        by_pid.setdefault(lane.pid, []).append(lane)
    workers = []
    worker_busy = worker_life = 0
    main_waited = main_life = 0
    for pid, lanes in by_pid.items():
        main_lane = next((lane for lane in lanes if lane.main_thread), lanes[0])
        life = max(main_lane.end_ns - main_lane.start_ns, 1)
        busy = main_lane.busy_ns()
        if main_lane.role == "main":
            main_waited = main_lane.waiting_ns()
            main_life = life
        else:
            workers.append((main_lane.role, min(1.0, busy / life)))
            worker_busy += busy
            worker_life += life
    cpu = sum(lane.busy_ns() for lane in timeline.lanes)
    return TimelineSummary(
        wall_ns=timeline.end_ns, cpu_ns=cpu, processes=len(by_pid), workers=workers,
        efficiency=(min(1.0, worker_busy / worker_life) if worker_life else None),
        main_waited_ns=main_waited, main_lifetime_ns=main_life)


# -- Trace Event format -----------------------------------------------------------------------

def _frame_name(key: FuncKey) -> str:
    file, line, name = key
    return f"{name} ({file}:{line})" if file and file != "~" else name


def trace_events(timeline: Timeline) -> Dict[str, Any]:
    """The Trace Event format: processes as pids, threads as tids (named), and runs of
    consecutive samples with the same stack as complete events nested by depth."""
    events: List[Dict[str, Any]] = []
    tids: Dict[Tuple[int, str], int] = {}
    named = set()
    for lane in timeline.lanes:
        if lane.pid not in named:
            named.add(lane.pid)
            events.append({"ph": "M", "name": "process_name", "pid": lane.pid, "tid": 0,
                           "args": {"name": f"{lane.role} (pid {lane.pid})"}})
        tid = tids.setdefault((lane.pid, lane.thread), len(tids) + 1)
        events.append({"ph": "M", "name": "thread_name", "pid": lane.pid, "tid": tid,
                       "args": {"name": lane.thread}})
        events.extend(_complete_events(lane, tid))
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"generator": "spyder-callgrind"}}


def _complete_events(lane: Lane, tid: int) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    open_frames: List[Tuple[FuncKey, int]] = []     # (frame, start ns)

    def close(depth: int, at: int) -> None:
        while len(open_frames) > depth:
            key, began = open_frames.pop()
            out.append({"ph": "X", "name": _frame_name(key), "pid": lane.pid, "tid": tid,
                        "ts": began / 1000.0, "dur": max(at - began, 0) / 1000.0,
                        "cat": "sample"})

    last_end = None
    for segment in lane.segments:
        if last_end is not None and segment.start_ns > last_end:
            close(0, last_end)
        stack = segment.stack
        common = 0
        while common < len(open_frames) and common < len(stack) \
                and open_frames[common][0] == stack[common]:
            common += 1
        close(common, segment.start_ns)
        for key in stack[common:]:
            open_frames.append((key, segment.start_ns))
        last_end = segment.end_ns
    if last_end is not None:
        close(0, last_end)
    return out
