"""The differential flame graph: each frame of the newer run's stacks against the older run.

A frame of the newer run is matched with the older run's frame at the same path: the same
functions from the root down. Functions are identified as :mod:`~spyder_callgrind.engine.diff`
identifies them, by file and name (the first line only breaks ties, since an edit above a
function moves it). The frame's change is then its inclusive time after minus before, and its
status says how to colour it:

* ``slower`` / ``faster``: it moved by more than :data:`UNCHANGED_PERCENT` of its time before
  and by more than :data:`NOISE_SHARE` of the newer run's whole time;
* ``unchanged``: it moved by less;
* ``new``: its function is not in the older run at all. A frame whose function is there
  but not at this path (or too small to be built there) counts from 0, as ``slower``.

Frames of the older run found nowhere in the newer one cannot be drawn in its graph; their
time shows as the parent's loss.

:func:`diff_stack_trees` works on any two stack trees. With the profiles of cProfile they
are rebuilt from caller/callee totals (:func:`diff_rebuilt_stacks`), and the result says
so (:attr:`StackDiff.approximate`); trees from sampled stacks go through the same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from spyder_callgrind.engine.model import ProfileData, TimeChange
from spyder_callgrind.engine.stacks import (
    DEFAULT_MAX_DEPTH, DEFAULT_MIN_FRACTION, StackNode, build_stack_tree, is_sampled)

SLOWER = "slower"
FASTER = "faster"
UNCHANGED = "unchanged"
NEW = "new"

#: A frame that moved by less than this share of its time before is unchanged...
UNCHANGED_PERCENT = 5.0
#: ... and so is one that moved by less than this share of the newer run's whole time.
NOISE_SHARE = 0.002

#: What a view of rebuilt stacks must say.
APPROXIMATE_NOTE = "approximate: stacks rebuilt from call totals"


@dataclass
class FrameChange(TimeChange):
    """How one frame of the newer run moved: its inclusive time now (``after_ns``) and at
    the same path before (``before_ns``, 0 when there is no such frame)."""

    status: str = UNCHANGED     #: SLOWER, FASTER, UNCHANGED or NEW


class StackDiff:
    """The newer run's stack tree with a :class:`FrameChange` for each of its frames."""

    def __init__(self, tree: StackNode, changes: Dict[int, FrameChange], approximate: bool):
        self.tree = tree
        self.approximate = approximate
        self._changes = changes
        #: the largest change of any frame, either way (at least 1), to scale colours by
        self.max_change_ns = max((abs(c.change_ns) for c in changes.values()), default=0) or 1

    def change_of(self, node: StackNode) -> FrameChange:
        return self._changes[id(node)]

    def frames(self) -> List[Tuple[StackNode, FrameChange]]:
        """Every frame with its change, parents before children."""
        return [(node, self._changes[id(node)]) for node in self.tree.walk()]


def _key(data: ProfileData, node: StackNode) -> Tuple[str, str]:
    if node.function < 0:
        return ("", node.name)
    function = data.functions[node.function]
    return (function.file, function.name)


def _line(data: ProfileData, node: StackNode) -> int:
    return data.functions[node.function].line if node.function >= 0 else 0


def _status(before: Optional[StackNode], after_ns: int, known: bool, whole_ns: int) -> str:
    if before is None and not known:
        return NEW
    before_ns = before.inclusive_ns if before is not None else 0
    change = after_ns - before_ns
    if abs(change) <= max(before_ns * UNCHANGED_PERCENT / 100, whole_ns * NOISE_SHARE):
        return UNCHANGED
    return SLOWER if change > 0 else FASTER


def diff_stack_trees(before_data: ProfileData, before_tree: StackNode,
                     after_data: ProfileData, after_tree: StackNode,
                     approximate: bool) -> StackDiff:
    """Match every frame of ``after_tree`` with ``before_tree``'s frame at the same path.

    ``approximate``: whether the trees were rebuilt from totals (the views say so).
    """
    known = {(f.file, f.name) for f in before_data.functions}
    whole = after_tree.inclusive_ns
    changes: Dict[int, FrameChange] = {}
    pending: List[Tuple[StackNode, Optional[StackNode]]] = [(after_tree, before_tree)]
    while pending:
        node, match = pending.pop()
        key = _key(after_data, node)
        status = _status(match, node.inclusive_ns, key in known or node.function < 0, whole)
        changes[id(node)] = FrameChange(match.inclusive_ns if match is not None else 0,
                                        node.inclusive_ns, status)
        # Children of the matched frame by function; several of one name (methods of
        # different classes in one file) by their first line.
        by_key: Dict[Tuple[str, str], List[StackNode]] = {}
        for child in match.children if match is not None else ():
            by_key.setdefault(_key(before_data, child), []).append(child)
        for child in node.children:
            candidates = by_key.get(_key(after_data, child), [])
            line = _line(after_data, child)
            found = min(candidates, key=lambda c: abs(_line(before_data, c) - line),
                        default=None)
            pending.append((child, found))
    return StackDiff(after_tree, changes, approximate)


def diff_rebuilt_stacks(before: ProfileData, after: ProfileData,
                        min_fraction: float = DEFAULT_MIN_FRACTION,
                        max_depth: int = DEFAULT_MAX_DEPTH) -> StackDiff:
    """Compare both runs' stacks: the sampled ones when both runs have samples, else both
    rebuilt from caller/callee totals (and the result says it is approximate).

    The older run's tree is built ten times finer, so that a frame the newer graph shows is
    rarely missing from the older one only for being too small there.
    """
    rebuilt = not (is_sampled(before) and is_sampled(after))
    after_tree = build_stack_tree(after, min_fraction=min_fraction, max_depth=max_depth,
                                  rebuilt=rebuilt)
    before_tree = build_stack_tree(before, min_fraction=min_fraction / 10,
                                   max_depth=max_depth, rebuilt=rebuilt)
    return diff_stack_trees(before, before_tree, after, after_tree, approximate=rebuilt)
