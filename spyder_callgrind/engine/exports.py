"""Exports of a profile to other viewers' formats: speedscope JSON, collapsed stacks.

speedscope (https://www.speedscope.app) reads its own JSON format; we write its "sampled"
profile type.  For a run with stack samples, the real stacks: one speedscope profile per
thread of each process (:func:`speedscope_from_samples`), or the sampled stacks of all
threads together that a run's table carries (:func:`speedscope_document`).  Otherwise one
sample per frame of the rebuilt stack tree (:mod:`.stacks`), weighted by the frame's self
time in nanoseconds. The weights then add up to the root's inclusive time, and speedscope's
flame graph shows the same stacks as ours, approximation included (pstats keeps no real
stacks; see :data:`.stacks.APPROXIMATION_NOTE`).

Collapsed stacks (flamegraph.pl, inferno, speedscope): :func:`.samples.collapsed_lines`
for real stacks, :func:`collapsed_from_tree` for rebuilt ones.

The text summary export lives in ``engine/summary.py``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List

from spyder_callgrind import __version__
from spyder_callgrind.engine.atomic import atomic_file
from spyder_callgrind.engine.model import ProfileData
from spyder_callgrind.engine.samples import frame_label, sampled_label
from spyder_callgrind.engine.stacks import (
    DEFAULT_MAX_DEPTH, build_stack_tree, stack_note)

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"

#: Frame for the time of entry points too small to be built as frames of their own.
OTHER_ENTRY_POINTS = "(other entry points)"

#: Exports go finer than the on-screen flame graph: nobody has to draw them.
EXPORT_MIN_FRACTION = 1e-4


def speedscope_document(data: ProfileData, name: str,
                        min_fraction: float = EXPORT_MIN_FRACTION,
                        max_depth: int = DEFAULT_MAX_DEPTH) -> Dict[str, Any]:
    """The speedscope file content (a dict ready for ``json.dump``) of ``data`` (its
    sampled stacks when it has them)."""
    tree = build_stack_tree(data, min_fraction=min_fraction, max_depth=max_depth)
    frames: List[Dict[str, Any]] = []
    frame_of: Dict[int, int] = {}

    def frame_index(function: int) -> int:
        if function not in frame_of:
            f = data.functions[function]
            frame: Dict[str, Any] = {"name": f.name}
            if not f.is_builtin:
                frame.update(file=f.file, line=f.line)
            frame_of[function] = len(frames)
            frames.append(frame)
        return frame_of[function]

    samples: List[List[int]] = []
    weights: List[int] = []
    if tree.self_ns > 0:
        frames.append({"name": OTHER_ENTRY_POINTS})
        samples.append([len(frames) - 1])
        weights.append(tree.self_ns)
    # Walk with the stack of frame indices of each node's path (the synthetic root has none).
    pending = [(child, [frame_index(child.function)]) for child in reversed(tree.children)]
    while pending:
        node, stack = pending.pop()
        if node.self_ns > 0:
            samples.append(stack)
            weights.append(node.self_ns)
        for child in reversed(node.children):
            pending.append((child, stack + [frame_index(child.function)]))

    total = sum(weights)
    return {
        "$schema": SPEEDSCOPE_SCHEMA,
        "shared": {"frames": frames},
        "profiles": [{
            "type": "sampled",
            "name": name,
            "unit": "nanoseconds",
            "startValue": 0,
            "endValue": total,
            "samples": samples,
            "weights": weights,
        }],
        "name": f"{name} ({stack_note(data)})",
        "activeProfileIndex": 0,
        "exporter": f"spyder-callgrind {__version__}",
    }


def write_speedscope(data: ProfileData, path: str, name: str = "") -> None:
    """Write ``data`` as a speedscope JSON file at ``path`` (atomically).

    ``name`` names the profile inside the file (default: the file's own name).
    """
    document = speedscope_document(data, name or os.path.basename(path))
    with atomic_file(path) as stream:
        json.dump(document, stream, separators=(",", ":"))


def speedscope_from_samples(processes, name: str) -> Dict[str, Any]:
    """The speedscope file content of stack samples (``samples.ProcessSamples``): one
    profile per thread of each process, its real stacks weighted in nanoseconds."""
    frames: List[Dict[str, Any]] = []
    frame_of: Dict[tuple, int] = {}
    profiles = []
    for process in processes:
        ids = []
        for key in process.frames:
            if key not in frame_of:
                frame_of[key] = len(frames)
                frames.append({"name": key[2], "file": key[0], "line": key[1]})
            ids.append(frame_of[key])
        per_thread: Dict[int, Any] = {}
        for (thread, leaf), (_count, weight) in sorted(process.stack_weights().items()):
            samples, weights = per_thread.setdefault(thread, ([], []))
            samples.append([ids[process.node_frame[n]] for n in process.path(leaf)])
            weights.append(weight)
        for thread, (samples, weights) in sorted(per_thread.items()):
            profiles.append({
                "type": "sampled",
                "name": f"{process.role or 'process'} (pid {process.pid}) "
                        f"{process.threads[thread]}",
                "unit": "nanoseconds", "startValue": 0, "endValue": sum(weights),
                "samples": samples, "weights": weights})
    return {
        "$schema": SPEEDSCOPE_SCHEMA,
        "shared": {"frames": frames},
        "profiles": profiles,
        "name": f"{name} ({sampled_label(list(processes))})",
        "activeProfileIndex": 0,
        "exporter": f"spyder-callgrind {__version__}",
    }


def collapsed_from_tree(data: ProfileData, min_fraction: float = EXPORT_MIN_FRACTION,
                        max_depth: int = DEFAULT_MAX_DEPTH) -> List[str]:
    """Collapsed stacks (``root;...;leaf MICROSECONDS``) of ``data``'s stack tree: real
    stacks when it carries samples, else rebuilt from call totals (approximate)."""
    tree = build_stack_tree(data, min_fraction=min_fraction, max_depth=max_depth)
    out: Dict[str, int] = {}
    pending = [(child, [frame_label(data.functions[child.function].key)])
               for child in tree.children]
    while pending:
        node, stack = pending.pop()
        value = (node.self_ns + 500) // 1000
        if value > 0:
            key = ";".join(stack)
            out[key] = out.get(key, 0) + value
        for child in node.children:
            pending.append((child, stack + [frame_label(data.functions[child.function].key)]))
    return [f"{stack} {value}" for stack, value in out.items()]
