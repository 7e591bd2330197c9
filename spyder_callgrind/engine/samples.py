"""Stack samples of a run: reading them, and what is built from them.

The worker's sampler (``workers/_spyder_callgrind_sampler.py``) leaves one
``<pid>.samples`` per process beside its profile: interned frames, a prefix tree of stack
nodes and, per sample, its leaf node, thread, time and weight (ns).  From them:

* :func:`profile_from_samples`: per-function self/inclusive times and call edges, for runs
  recorded with ``--mode sample`` (call counts are 0: not measured);
* :func:`line_costs`: sampled cost per source line of each function, and per call site,
  for callgrind files with real line positions;
* :class:`SampledStacks`: real stacks, aggregated over threads and processes, in function
  indices of a :class:`ProfileData`; saved beside a run's table (``<name>.stacks.json`` beside ``<name>.table``)
  and attached to the table's ProfileData when it is read, so that
  :func:`.stacks.build_stack_tree` returns real stacks for a run that has them;
* :func:`collapsed_lines`: the collapsed-stack text format (flamegraph.pl, inferno,
  speedscope);
* :func:`thread_times`: each thread's share of the sampled time.

A stack holds only Python frames: time in a C function (``time.sleep``, ``sorted``) is
the time of the Python line that called it.
"""

from __future__ import annotations

import json
import os
import tokenize
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from spyder_callgrind.engine.atomic import atomic_write
from spyder_callgrind.engine.model import Edge, FuncKey, Function, ProfileData, format_ns
from spyder_callgrind.engine.stacks import ALL_NAME, SAMPLED_STACKS_KEY, Share, StackNode

SAMPLES_FORMAT = "spyder-callgrind-samples/1"
SAMPLES_SUFFIX = ".samples"
STACKS_FORMAT = "spyder-callgrind-stacks/1"
#: Beside a table ``X.table``: ``X.stacks.json``.
STACKS_SUFFIX = ".stacks.json"


class SamplesError(ValueError):
    """A samples file cannot be read; one line for the user."""


@dataclass
class ProcessSamples:
    """The samples of one process, frames normalised like profile keys."""

    pid: int
    clock: str
    timer: str
    interval_requested_ns: int
    interval_achieved_ns: int
    ticks: int
    frames: List[FuncKey]                 #: (file, first line, name)
    node_parent: List[int]
    node_frame: List[int]
    node_line: List[int]
    threads: List[str]                    #: thread names, by thread index
    sample_node: List[int]
    sample_thread: List[int]
    sample_time: List[int]
    sample_weight: List[int]
    role: str = ""
    #: per sample, the CPU time its thread used since its previous sample (-1: unknown)
    sample_cpu: Optional[List[int]] = None
    epoch_ns: int = 0                     #: wall-clock time (ns) of sample time 0

    @property
    def count(self) -> int:
        return len(self.sample_node)

    def path(self, node: int) -> List[int]:
        """Nodes from the root down to ``node``."""
        chain = []
        parents = self.node_parent
        while node >= 0:
            chain.append(node)
            node = parents[node]
        chain.reverse()
        return chain

    def stack_weights(self) -> Dict[Tuple[int, int], List[int]]:
        """(thread, leaf node) -> [samples, weight ns]."""
        found: Dict[Tuple[int, int], List[int]] = {}
        for node, thread, weight in zip(self.sample_node, self.sample_thread,
                                        self.sample_weight):
            entry = found.get((thread, node))
            if entry is None:
                found[(thread, node)] = [1, weight]
            else:
                entry[0] += 1
                entry[1] += weight
        return found

    def node_weights(self) -> Dict[int, List[int]]:
        """leaf node -> [samples, weight ns], all threads together."""
        found: Dict[int, List[int]] = {}
        for node, weight in zip(self.sample_node, self.sample_weight):
            entry = found.get(node)
            if entry is None:
                found[node] = [1, weight]
            else:
                entry[0] += 1
                entry[1] += weight
        return found


def _ints(value: Any, what: str, source: str) -> List[int]:
    if type(value) is not list or not all(type(v) is int for v in value):
        raise SamplesError(f"damaged samples: {source} has a bad {what}")
    return value


def load_samples(path: str, base_dir: Optional[str] = None, role: str = "") -> ProcessSamples:
    """Read a ``.samples`` file; relative frame files are made absolute from ``base_dir``."""
    source = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as stream:
            doc = json.load(stream)
    except OSError as error:
        raise SamplesError(f"cannot read {source}: {error.strerror or error}") from None
    except ValueError:
        raise SamplesError(f"damaged samples: {source} is not JSON") from None
    if type(doc) is not dict or doc.get("format") != SAMPLES_FORMAT:
        raise SamplesError(f"damaged samples: {source} is not a samples file")
    base = os.path.abspath(base_dir) if base_dir else os.getcwd()
    frames: List[FuncKey] = []
    for entry in doc.get("frames") or []:
        if type(entry) is not list or len(entry) != 3:
            raise SamplesError(f"damaged samples: {source} has a bad frame")
        file, name, line = entry
        if type(file) is not str or type(name) is not str or type(line) is not int:
            raise SamplesError(f"damaged samples: {source} has a bad frame")
        if not (file.startswith("<") and file.endswith(">")) and not os.path.isabs(file):
            file = os.path.normpath(os.path.join(base, file))
        frames.append((file, line, name))
    nodes = _ints(doc.get("nodes") or [], "node list", source)
    samples = _ints(doc.get("samples") or [], "sample list", source)
    if len(nodes) % 3 or len(samples) % 4:
        raise SamplesError(f"damaged samples: {source} is truncated")
    threads = doc.get("threads") or []
    names = [str(t[1]) if type(t) is list and len(t) == 2 else "thread" for t in threads]
    result = ProcessSamples(
        pid=int(doc.get("pid") or 0), clock=str(doc.get("clock") or "wall"),
        timer=str(doc.get("timer") or ""),
        interval_requested_ns=int(doc.get("interval_requested_ns") or 0),
        interval_achieved_ns=int(doc.get("interval_achieved_ns") or 0),
        ticks=int(doc.get("ticks") or 0), frames=frames,
        node_parent=nodes[0::3], node_frame=nodes[1::3], node_line=nodes[2::3],
        threads=names, sample_node=samples[0::4], sample_thread=samples[1::4],
        sample_time=samples[2::4], sample_weight=samples[3::4], role=role,
        epoch_ns=doc.get("epoch_ns") if type(doc.get("epoch_ns")) is int else 0)
    cpu = doc.get("cpu")
    if cpu is not None:
        cpu = _ints(cpu, "cpu list", source)
        if len(cpu) == result.count and any(c >= 0 for c in cpu):
            result.sample_cpu = cpu
    n_nodes, n_frames = len(result.node_parent), len(frames)
    if any(not -1 <= p < n for n, p in enumerate(result.node_parent)) or any(
            not 0 <= f < n_frames for f in result.node_frame) or any(
            not 0 <= s < n_nodes for s in result.sample_node) or any(
            not 0 <= t < len(names) for t in result.sample_thread):
        raise SamplesError(f"damaged samples: {source} refers to what it does not hold")
    return result


# -- a profile from samples ---------------------------------------------------------------

def profile_from_samples(samples: ProcessSamples, description: str = "") -> ProfileData:
    """Per-function self and inclusive sampled time, and caller -> callee edges.

    A function's inclusive time counts each sample once however often the function is on
    its stack (recursion); call counts are 0: sampling does not count calls.
    """
    index: Dict[FuncKey, int] = {}
    keys: List[FuncKey] = []
    fn_of_frame = []
    for key in samples.frames:
        n = index.get(key)
        if n is None:
            n = index[key] = len(keys)
            keys.append(key)
        fn_of_frame.append(n)
    self_ns = [0] * len(keys)
    incl = [0] * len(keys)
    edge_incl: Dict[Tuple[int, int], int] = {}
    edge_self: Dict[Tuple[int, int], int] = {}
    for node, (_count, weight) in samples.node_weights().items():
        chain = [fn_of_frame[samples.node_frame[n]] for n in samples.path(node)]
        for function in set(chain):
            incl[function] += weight
        self_ns[chain[-1]] += weight
        pairs = set(zip(chain, chain[1:]))
        for pair in pairs:
            edge_incl[pair] = edge_incl.get(pair, 0) + weight
        if len(chain) > 1:
            last = (chain[-2], chain[-1])
            edge_self[last] = edge_self.get(last, 0) + weight
    functions = [Function(k[0], k[1], k[2], 0, 0, self_ns[i], incl[i])
                 for i, k in enumerate(keys)]
    edges = [Edge(a, b, 0, 0, edge_self.get((a, b), 0), w if a != b else 0)
             for (a, b), w in edge_incl.items()]
    return ProfileData(functions, edges, description or sampled_label(samples))


def sampled_label(samples: Sequence[ProcessSamples] | ProcessSamples) -> str:
    """"sampled: 1234 samples every 4.0 ms (wall clock)"."""
    if isinstance(samples, ProcessSamples):
        samples = [samples]
    count = sum(s.count for s in samples)
    intervals = [s.interval_achieved_ns for s in samples if s.interval_achieved_ns]
    every = f" every {format_ns(sum(intervals) / len(intervals))}" if intervals else ""
    clocks = sorted({"wall clock, then CPU time" if "itimer-real+itimer-prof" in s.timer
                     else "CPU time" if s.clock == "cpu" else "wall clock"
                     for s in samples}) or ["wall clock"]
    clock = " and ".join(clocks)
    return f"sampled: {count} samples{every} ({clock})"


# -- mapping frames to a profile's functions ---------------------------------------------

def function_map(samples: ProcessSamples, data: ProfileData) -> List[int]:
    """For each frame of ``samples``, the index of its function in ``data`` (-1: none).

    By (file, first line, name); failing that, by (file, name) when that is unique."""
    by_name: Dict[Tuple[str, str], int] = {}
    for i, f in enumerate(data.functions):
        pair = (f.file, f.name)
        by_name[pair] = -2 if pair in by_name else i
    mapped = []
    for key in samples.frames:
        found = data.index_of(key)
        if found is None:
            found = by_name.get((key[0], key[2]), -1)
            found = found if found >= 0 else -1
        mapped.append(found)
    return mapped


@dataclass
class LineCosts:
    """Sampled costs at source lines, in function indices of one :class:`ProfileData`."""

    #: function -> {line: sampled own time (ns)}
    self_lines: Dict[int, Dict[int, int]] = field(default_factory=dict)
    #: caller -> {(callee, call-site line): sampled inclusive time (ns)}
    call_lines: Dict[int, Dict[Tuple[int, int], int]] = field(default_factory=dict)
    #: function -> sampled inclusive time (ns)
    inclusive: Dict[int, int] = field(default_factory=dict)
    #: "both": a second event beside cProfile's; "sample": the only event
    mode: str = "both"
    label: str = ""

    @property
    def total_ns(self) -> int:
        return sum(sum(lines.values()) for lines in self.self_lines.values())


def line_costs(samples: Sequence[ProcessSamples], data: ProfileData,
               mode: str = "both") -> LineCosts:
    """Per-line costs of ``data``'s functions from ``samples`` (of the same process(es)).

    A frame's own time is at its current line; the time below a frame is at the line of
    its call, counted once per sample even when the same call repeats (recursion).
    """
    costs = LineCosts(mode=mode, label=sampled_label(list(samples)))
    for process in samples:
        mapped = function_map(process, data)
        for node, (_count, weight) in process.node_weights().items():
            chain = [(mapped[process.node_frame[n]], process.node_line[n])
                     for n in process.path(node)]
            chain = [c for c in chain if c[0] >= 0]
            if not chain:
                continue
            function, line = chain[-1]
            lines = costs.self_lines.setdefault(function, {})
            lines[line] = lines.get(line, 0) + weight
            seen_calls = set()
            seen_functions = set()
            for (caller, at), (callee, _l) in zip(chain, chain[1:]):
                if caller == callee or (caller, at, callee) in seen_calls:
                    continue
                seen_calls.add((caller, at, callee))
                calls = costs.call_lines.setdefault(caller, {})
                calls[(callee, at)] = calls.get((callee, at), 0) + weight
            for function, _l in chain:
                if function not in seen_functions:
                    seen_functions.add(function)
                    costs.inclusive[function] = costs.inclusive.get(function, 0) + weight
    return costs


# -- real stacks ------------------------------------------------------------------------

class SampledStacks:
    """Sampled stacks as a prefix tree of function indices of one :class:`ProfileData`.

    ``parents[n]``/``functions[n]``: node ``n``'s parent (-1 for a root) and function;
    ``weights[n]``: time (ns) of the samples whose stack ends at ``n``.
    """

    def __init__(self, parents: List[int], functions: List[int], weights: List[int],
                 samples: int, label: str):
        self.parents = parents
        self.functions = functions
        self.weights = weights
        self.samples = samples
        self.label = label
        # derived once, for the call tree's many questions
        self._inclusive: Optional[List[int]] = None
        self._children: Optional[List[List[int]]] = None
        self._known: Optional[set] = None

    @classmethod
    def build(cls, processes: Sequence[ProcessSamples], data: ProfileData) -> "SampledStacks":
        """All threads of all ``processes`` together, mapped onto ``data``'s functions.
        A frame with no function in ``data`` is left out (its time goes to its caller)."""
        parents: List[int] = []
        functions: List[int] = []
        weights: List[int] = []
        node_of: Dict[Tuple[int, int], int] = {}
        for process in processes:
            mapped = function_map(process, data)
            for leaf, (_count, weight) in process.node_weights().items():
                node = -1
                for n in process.path(leaf):
                    function = mapped[process.node_frame[n]]
                    if function < 0:
                        continue
                    key = (node, function)
                    found = node_of.get(key)
                    if found is None:
                        found = node_of[key] = len(parents)
                        parents.append(node)
                        functions.append(function)
                        weights.append(0)
                    node = found
                if node >= 0:
                    weights[node] += weight
        return cls(parents, functions, weights, sum(p.count for p in processes),
                   sampled_label(list(processes)))

    def inclusive(self) -> List[int]:
        """Each node's time with everything below it."""
        total = list(self.weights)
        for n in range(len(self.parents) - 1, -1, -1):   # children come after parents
            parent = self.parents[n]
            if parent >= 0:
                total[parent] += total[n]
        return total

    def stacks(self) -> Iterator[Tuple[List[int], int]]:
        """(function indices root first, own time) of every node with own time."""
        for n, weight in enumerate(self.weights):
            if weight <= 0:
                continue
            chain = []
            node = n
            while node >= 0:
                chain.append(self.functions[node])
                node = self.parents[node]
            chain.reverse()
            yield chain, weight

    def tree(self, data: ProfileData, min_fraction: float, max_depth: int,
             root: Optional[int] = None):
        """The same :class:`.stacks.StackNode` tree ``build_stack_tree`` gives, from real
        stacks.  ``root``: the stacks of that function (its outermost frames merged)."""
        inclusive = self.inclusive()
        children: List[List[int]] = [[] for _ in self.parents]
        tops: List[int] = []
        for n, parent in enumerate(self.parents):
            (children[parent] if parent >= 0 else tops).append(n)
        if root is not None:
            starts, pending = [], list(tops)
            while pending:
                n = pending.pop()
                if self.functions[n] == root:
                    starts.append(n)
                else:
                    pending.extend(children[n])
            f = data.functions[root]
            top = StackNode(f.name, root, sum(inclusive[n] for n in starts), 0)
            groups = [starts]
        else:
            top = StackNode(ALL_NAME, -1, sum(inclusive[n] for n in tops), 0)
            groups = [tops]
        threshold = max(1, int(top.inclusive_ns * min_fraction)) if min_fraction > 0 else 0
        # Nodes of the same function under one frame are merged (several prefix-tree
        # nodes map onto one StackNode when the root merges outermost frames).
        pending = [(top, groups[0] if root is None else
                    [c for s in groups[0] for c in children[s]])]
        while pending:
            node, members = pending.pop()
            by_function: Dict[int, List[int]] = {}
            for m in members:
                by_function.setdefault(self.functions[m], []).append(m)
            kept = 0
            for function, group in sorted(by_function.items(),
                                          key=lambda kv: -sum(inclusive[m] for m in kv[1])):
                time = sum(inclusive[m] for m in group)
                if time <= 0 or time < threshold or node.depth + 1 > max_depth:
                    continue
                child = StackNode(data.functions[function].name, function, time, 0, node)
                node.children.append(child)
                kept += time
                pending.append((child, [c for m in group for c in children[m]]))
            node.self_ns = node.inclusive_ns - kept
        return top

    def callee_shares(self, function: int, inclusive_ns: int, on_path) -> Optional[list]:
        """:func:`.stacks.callee_shares` from real stacks: the callees of ``function`` in
        the samples whose stack holds every function of ``on_path`` above it, scaled to
        ``inclusive_ns``; None when the samples never saw ``function`` (a C function)."""
        functions, parents = self.functions, self.parents
        # Functions the samples never see (C functions such as ``exec``) are no clue.
        if self._known is None:
            self._known = set(functions)
        above = (set(on_path) - {function}) & self._known
        inclusive = self.cache_inclusive()
        children = self.cache_children()
        total = 0
        by_callee: Dict[int, List[int]] = {}
        seen = False
        for n, f in enumerate(functions):
            if f != function:
                continue
            seen = True
            if above:
                chain = set()
                node = parents[n]
                while node >= 0:
                    chain.add(functions[node])
                    node = parents[node]
                if not above <= chain:
                    continue
            total += inclusive[n]
            for c in children[n]:
                entry = by_callee.setdefault(functions[c], [0, 0])
                entry[0] += inclusive[c]
                entry[1] += self.weights[c]
        if not seen:
            return None
        if total <= 0:
            return []
        shares = [Share(f, inclusive_ns * t // total, inclusive_ns * own // total, None)
                  for f, (t, own) in by_callee.items()
                  if f != function and f not in above and t > 0]
        shares.sort(key=lambda share: -share.inclusive_ns)
        return shares

    def cache_inclusive(self) -> List[int]:
        if self._inclusive is None:
            self._inclusive = self.inclusive()
        return self._inclusive

    def cache_children(self) -> List[List[int]]:
        if self._children is None:
            children: List[List[int]] = [[] for _ in self.parents]
            for n, parent in enumerate(self.parents):
                if parent >= 0:
                    children[parent].append(n)
            self._children = children
        return self._children

    # -- file -------------------------------------------------------------------------------
    def to_json(self) -> Dict[str, Any]:
        return {"format": STACKS_FORMAT, "label": self.label, "samples": self.samples,
                "parents": self.parents, "functions": self.functions, "weights": self.weights}

    def save(self, path: str) -> None:
        atomic_write(path, json.dumps(self.to_json(), separators=(",", ":")).encode("utf-8"))

    @classmethod
    def load(cls, path: str, size: int) -> Optional["SampledStacks"]:
        """Read ``path`` (None when absent or damaged); ``size``: functions of the table."""
        try:
            with open(path, encoding="utf-8") as stream:
                doc = json.load(stream)
        except (OSError, ValueError):
            return None
        if type(doc) is not dict or doc.get("format") != STACKS_FORMAT:
            return None
        parents, functions, weights = (doc.get(k) for k in ("parents", "functions", "weights"))
        if not all(type(v) is list for v in (parents, functions, weights)) or not (
                len(parents) == len(functions) == len(weights)):
            return None
        if any(type(p) is not int or not -1 <= p < n for n, p in enumerate(parents)) or any(
                type(f) is not int or not 0 <= f < size for f in functions) or any(
                type(w) is not int or w < 0 for w in weights):
            return None
        return cls(parents, functions, weights, int(doc.get("samples") or 0),
                   str(doc.get("label") or ""))


def stacks_path(table_path: str) -> str:
    """Where the sampled stacks of the table ``table_path`` are kept."""
    base = os.path.splitext(table_path)[0]
    return base + STACKS_SUFFIX


def attach_stacks(data: ProfileData, table_path: str) -> ProfileData:
    """Give ``data`` the sampled stacks saved beside its table, if there are any."""
    path = stacks_path(table_path)
    if os.path.exists(path):
        stacks = SampledStacks.load(path, len(data.functions))
        if stacks is not None:
            data.cache[SAMPLED_STACKS_KEY] = stacks
    return data


# -- collapsed stacks ---------------------------------------------------------------------

def frame_label(key: FuncKey, line: Optional[int] = None) -> str:
    """``function (file:line)`` for the collapsed format (no ``;`` inside)."""
    file, first, name = key
    where = f"{file}:{line if line is not None else first}"
    return f"{name} ({where})".replace(";", ",")


def collapsed_lines(processes: Sequence[ProcessSamples], unit: str = "us",
                    label_processes: Optional[bool] = None) -> List[str]:
    """``frame;frame;...;frame COUNT`` per distinct stack, root first.

    ``unit``: "us" (COUNT is sampled time in microseconds) or "samples".  With several
    processes or threads (or ``label_processes``), each stack starts with a frame naming
    the process (role and pid), then one naming the thread.
    """
    several = label_processes if label_processes is not None else (
        len(processes) > 1 or any(len(p.threads) > 1 for p in processes))
    totals: Dict[str, int] = {}
    for process in processes:
        labels = [frame_label(k) for k in process.frames]
        head = (f"{process.role or 'process'} (pid {process.pid})").replace(";", ",")
        for (thread, leaf), (count, weight) in process.stack_weights().items():
            frames = [labels[process.node_frame[n]] for n in process.path(leaf)]
            if several:
                frames = [head, "thread " + process.threads[thread].replace(";", ",")] + frames
            value = count if unit == "samples" else (weight + 500) // 1000
            key = ";".join(frames)
            totals[key] = totals.get(key, 0) + value
    return [f"{stack} {value}" for stack, value in totals.items() if value > 0]


# -- per-thread time -----------------------------------------------------------------------

def thread_times(processes: Sequence[ProcessSamples]) -> List[Dict[str, Any]]:
    """Each thread's sampled time: ``{"pid", "role", "thread", "ns", "share"}`` (share in %
    of all threads' sampled time), largest first."""
    rows = []
    for process in processes:
        per = [0] * len(process.threads)
        for thread, weight in zip(process.sample_thread, process.sample_weight):
            per[thread] += weight
        for thread, ns in enumerate(per):
            rows.append({"pid": process.pid, "role": process.role,
                         "thread": process.threads[thread], "ns": ns})
    total = sum(r["ns"] for r in rows) or 1
    for row in rows:
        row["share"] = round(100.0 * row["ns"] / total, 1)
    rows.sort(key=lambda r: -r["ns"])
    return rows


def thread_note(rows: List[Dict[str, Any]], several_processes: bool) -> str:
    """"time per thread from samples: MainThread 40%, job2 20%"."""
    parts = []
    for row in rows:
        name = row["thread"]
        if several_processes:
            name = f"{row['role'] or 'pid ' + str(row['pid'])}/{name}"
        parts.append(f"{name} {row['share']:.0f}%")
    return "time per thread from samples: " + ", ".join(parts)


# -- one function's lines -------------------------------------------------------------------

@dataclass
class FunctionLines:
    """Sampled time of one function per source line: ``own`` (the line was running) and
    ``inclusive`` (the line was running or calling), ``total``: the function's time."""

    key: FuncKey
    own: Dict[int, int]
    inclusive: Dict[int, int]
    total: int


def functions_matching(processes: Sequence[ProcessSamples], query: str) -> List[FuncKey]:
    """Sampled functions named ``query``: a name, ``name (file.py:line)``-like text, or a
    ``file.py:line`` of its first line; largest sampled time first."""
    text = query.strip()
    weights: Dict[FuncKey, int] = {}
    for process in processes:
        per_frame = [0] * len(process.frames)
        for node, (_count, weight) in process.node_weights().items():
            for frame in {process.node_frame[n] for n in process.path(node)}:
                per_frame[frame] += weight
        for frame, key in enumerate(process.frames):
            weights[key] = weights.get(key, 0) + per_frame[frame]

    def matches(key: FuncKey) -> bool:
        file, line, name = key
        where = f"{os.path.basename(file)}:{line}"
        return text in (name, where, f"{file}:{line}", f"{name} ({where})") or (
            ":" in text and text.endswith(where) and text.split(":")[0] in (file, where))
    found = [k for k in weights if matches(k)]
    if not found:
        found = [k for k in weights if text in k[2]]
    return sorted(found, key=lambda k: -weights[k])


def function_lines(processes: Sequence[ProcessSamples], key: FuncKey) -> FunctionLines:
    """Per-line sampled time of the function ``key`` over ``processes``."""
    own: Dict[int, int] = {}
    inclusive: Dict[int, int] = {}
    total = 0
    for process in processes:
        frames = {n for n, k in enumerate(process.frames) if k == key}
        if not frames:
            continue
        for node, (_count, weight) in process.node_weights().items():
            path = process.path(node)
            lines = {process.node_line[n] for n in path if process.node_frame[n] in frames}
            if not lines:
                continue
            total += weight
            for line in lines:
                inclusive[line] = inclusive.get(line, 0) + weight
            if process.node_frame[path[-1]] in frames:
                line = process.node_line[path[-1]]
                own[line] = own.get(line, 0) + weight
    return FunctionLines(key, own, inclusive, total)


class LineRow(NamedTuple):
    """One source line of a function: its number, own and inclusive sampled time (ns),
    and its text ("" when the source is not available)."""

    number: int
    own: int
    inclusive: int
    text: str


def function_rows(lines: FunctionLines, source: Optional[List[str]]) -> List[LineRow]:
    """The lines of the function ``lines.key``, from its first line to its end in
    ``source`` (the file's lines; None when unreadable: the sampled lines only)."""
    first = lines.key[1]
    last = max(set(lines.inclusive) | set(lines.own) | {first})
    if source is not None and lines.key[2] == "<module>":
        last = max(last, len(source))          # a module's code is the whole file
    elif source is not None and 0 < first <= len(source):
        # to the end of the function: the lines indented deeper than its first line
        indent = len(source[first - 1]) - len(source[first - 1].lstrip())
        end = first
        for number in range(first + 1, len(source) + 1):
            text = source[number - 1]
            if text.strip():
                width = len(text) - len(text.lstrip())
                if width <= indent and not text.lstrip().startswith((")", "]", "}")):
                    break
            end = number
        last = max(last, end)
    return [LineRow(number, lines.own.get(number, 0), lines.inclusive.get(number, 0),
                    source[number - 1].rstrip("\r\n")
                    if source and 0 < number <= len(source) else "")
            for number in range(max(1, first), last + 1)]


def hottest_line(rows: Sequence[LineRow]) -> Optional[LineRow]:
    """The row with the largest own time (ties: the first); when no line has own time
    (a function that only calls), the one with the largest inclusive time; None when no
    line has any."""
    best = max(rows, key=lambda r: (r.own, r.inclusive), default=None)
    return best if best is not None and best.inclusive > 0 else None


def read_source(path: str) -> Optional[List[str]]:
    """The lines of the source file ``path`` (its coding cookie honoured), None when it
    cannot be read."""
    try:
        with tokenize.open(path) as stream:
            return stream.read().splitlines()
    except (OSError, SyntaxError, UnicodeDecodeError):
        try:
            with open(path, encoding="utf-8", errors="replace") as stream:
                return stream.read().splitlines()
        except OSError:
            return None


def format_function_lines(lines: FunctionLines, source: Optional[List[str]]) -> str:
    """The function's source with each line's own and inclusive share of its time."""
    file, first, name = lines.key
    total = lines.total or 1
    out = [f"{name}  ({file}:{first})  sampled time {format_ns(lines.total)}",
           f"{'own':>6} {'incl':>6}  line"]
    for row in function_rows(lines, source):
        own_text = f"{100 * row.own / total:5.1f}%" if row.own else " " * 6
        incl_text = f"{100 * row.inclusive / total:5.1f}%" if row.inclusive else " " * 6
        out.append(f"{own_text} {incl_text}  {row.number:>5}  {row.text}")
    return "\n".join(out)
