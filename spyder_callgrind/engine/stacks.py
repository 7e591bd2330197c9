"""Call stacks rebuilt from caller/callee totals, for the flame graph, call tree and exports.

cProfile keeps no stacks: only, per function, its totals and, per caller -> callee edge, the
callee's time under that caller. A stack tree is rebuilt from those edges, which makes it an
approximation the views must admit to (:data:`APPROXIMATION_NOTE`):

* **Proportional spread.** A frame of function ``f`` that holds ``T`` ns stands for the share
  ``T / f.inclusive_ns`` of all of ``f``'s time; each callee ``g`` gets the same share of the
  edge ``f -> g``, i.e. ``T * edge.inclusive_ns / f.inclusive_ns``. A function called by two
  callers for 1 s and 3 s is thereby split 1:3, and so is everything below it.
* **No double counting of recursion.** A function already on the current stack is not
  expanded again; the time of that recursive call stays in the ancestor (as its self time).
  pstats counts a recursive function's cumulative time once, at its outermost call, so the
  outermost frame then holds exactly that cumulative time.
* **Children never exceed their parent.** Mutual recursion can make the edges below a frame
  add up to more than the frame; they are then scaled down to fit.

:func:`callee_shares` and :func:`caller_shares` give one level of this split; the lazy call
tree uses them directly, :func:`build_stack_tree` builds a whole, bounded tree from them.

A run recorded with stack samples (``--mode both`` or ``sample``) has real stacks: its
ProfileData carries them (:mod:`.samples`), :func:`build_stack_tree` returns them instead
of the rebuilt guess, and :func:`stack_note` says which of the two a view shows.
"""

from __future__ import annotations

from typing import Container, Dict, Iterator, List, NamedTuple, Optional

from spyder_callgrind.engine.model import ProfileData

#: Key, in ``ProfileData.cache``, of a profile's sampled stacks
#: (``samples.SampledStacks``, put there by ``samples.attach_stacks``).
SAMPLED_STACKS_KEY = "sampled_stacks"

#: What every view built on these stacks must tell its reader.
APPROXIMATION_NOTE = "Stacks rebuilt from caller/callee totals; approximate"

#: Name of the synthetic node above the entry points of a profile.
ALL_NAME = "all"

#: Default bounds: frames narrower than this share of the whole are dropped (their time stays
#: in the parent), and no stack grows deeper than this. Together they cap the tree at roughly
#: ``max_depth / min_fraction`` nodes, whatever the size of the profile.
DEFAULT_MIN_FRACTION = 0.001
DEFAULT_MAX_DEPTH = 96


class Share(NamedTuple):
    """One function's part of a frame's time, one level down (or up) the stack."""

    function: int       #: index into ``ProfileData.functions``
    inclusive_ns: int   #: time of this share
    self_ns: int        #: own time of the function within this share
    #: calls within this share (scaled like the time; approximate); None when the share
    #: comes from sampled stacks, which count no calls
    calls: Optional[int]


class StackNode:
    """One frame of a rebuilt stack tree.

    ``function`` is an index into ``ProfileData.functions``, or -1 for the synthetic root
    above several entry points. ``self_ns`` is ``inclusive_ns`` minus the children's time: it
    holds the function's own time and the time of calls not shown (recursive or too small).
    """

    __slots__ = ("name", "function", "inclusive_ns", "self_ns", "calls", "children",
                 "parent", "depth")

    def __init__(self, name: str, function: int, inclusive_ns: int, calls: int,
                 parent: Optional["StackNode"] = None):
        self.name = name
        self.function = function
        self.inclusive_ns = inclusive_ns
        self.self_ns = inclusive_ns
        self.calls = calls
        self.children: List[StackNode] = []
        self.parent = parent
        self.depth = 0 if parent is None else parent.depth + 1

    def __repr__(self) -> str:
        return (f"StackNode({self.name!r}, function={self.function}, "
                f"inclusive_ns={self.inclusive_ns}, self_ns={self.self_ns}, "
                f"children={len(self.children)})")

    def path(self) -> List["StackNode"]:
        """Nodes from the root down to this one."""
        chain = []
        node: Optional[StackNode] = self
        while node is not None:
            chain.append(node)
            node = node.parent
        chain.reverse()
        return chain

    def walk(self) -> Iterator["StackNode"]:
        """This node and all below it, depth first, parents before children."""
        pending = [self]
        while pending:
            node = pending.pop()
            yield node
            pending.extend(reversed(node.children))

    def max_depth(self) -> int:
        """Depth of the deepest node below this one, relative to this one."""
        return max(node.depth for node in self.walk()) - self.depth


def _scaled(value: int, numerator: int, denominator: int) -> int:
    if denominator <= 0:
        return 0
    return (value * numerator + denominator // 2) // denominator


def _fit(shares: List[Share], budget_ns: int) -> List[Share]:
    """Scale ``shares`` down so that their times add up to at most ``budget_ns``."""
    total = sum(s.inclusive_ns for s in shares)
    if total <= budget_ns:
        return shares
    fitted = [s._replace(inclusive_ns=_scaled(s.inclusive_ns, budget_ns, total),
                         self_ns=_scaled(s.self_ns, budget_ns, total)) for s in shares]
    # Rounding may still overshoot by a few ns; take it from the largest share.
    excess = sum(s.inclusive_ns for s in fitted) - budget_ns
    if excess > 0:
        big = max(range(len(fitted)), key=lambda n: fitted[n].inclusive_ns)
        fitted[big] = fitted[big]._replace(inclusive_ns=fitted[big].inclusive_ns - excess)
    return fitted


def callee_shares(data: ProfileData, function: int, inclusive_ns: int,
                  exclude: Container[int] = ()) -> List[Share]:
    """Split a frame of ``function`` holding ``inclusive_ns`` over its callees.

    Callees in ``exclude`` (the functions on the stack above, for recursion) are left out:
    their time stays in the frame. The shares add up to at most ``inclusive_ns`` and come
    largest first.

    When ``data`` has sampled stacks that saw ``function``, the split is theirs: the
    callees it really had in the samples whose stacks hold every function of ``exclude``
    (the path above, as the call tree passes it); calls are then None (not counted).
    """
    sampled = sampled_stacks_of(data)
    if sampled is not None:
        found = sampled.callee_shares(function, inclusive_ns, exclude)
        if found is not None:
            return found
    return _rebuilt_callee_shares(data, function, inclusive_ns, exclude)


def _rebuilt_callee_shares(data: ProfileData, function: int, inclusive_ns: int,
                           exclude: Container[int] = ()) -> List[Share]:
    whole = data.functions[function].inclusive_ns
    shares = [Share(e.callee, _scaled(e.inclusive_ns, inclusive_ns, whole),
                    _scaled(e.self_ns, inclusive_ns, whole),
                    _scaled(e.total_calls, inclusive_ns, whole))
              for e in data.callees_of(function)
              if e.callee != function and e.callee not in exclude]
    shares = _fit(shares, inclusive_ns)
    shares.sort(key=lambda s: -s.inclusive_ns)
    return shares


def caller_shares(data: ProfileData, function: int, inclusive_ns: int, self_ns: int,
                  exclude: Container[int] = ()) -> List[Share]:
    """Split the time ``inclusive_ns``/``self_ns`` that reached ``function`` over its callers.

    For the callers ("bottom-up") tree: a caller ``c`` gets the share
    ``edge(c -> function).inclusive_ns / function.inclusive_ns`` of the time. Callers in
    ``exclude`` (already on the path) are left out. Largest first.
    """
    whole = data.functions[function].inclusive_ns
    shares = []
    for e in data.callers_of(function):
        if e.caller == function or e.caller in exclude:
            continue
        shares.append(Share(e.caller, _scaled(inclusive_ns, e.inclusive_ns, whole),
                            _scaled(self_ns, e.inclusive_ns, whole),
                            _scaled(e.total_calls, inclusive_ns, max(whole, 1))
                            if whole else e.total_calls))
    shares = _fit(shares, inclusive_ns)
    shares.sort(key=lambda s: -s.inclusive_ns)
    return shares


def entry_points(data: ProfileData) -> List[int]:
    """Functions the stacks start from, largest inclusive time first.

    First the functions nobody calls. That is not enough: in a real run ``builtins.exec``
    (which runs the script) is also called by the import machinery the script sets off, so
    it sits on a cycle and has callers. Whatever the roots do not reach is therefore covered
    by further entry points: the largest unreached function first (pstats gives a recursive
    function's outermost time, so on a cycle the largest is the outermost), then again
    until every function is reached.
    """
    functions = data.functions
    found = list(data.roots())
    reached = set()

    def reach(start: int) -> None:
        pending = [start]
        reached.add(start)
        while pending:
            for edge in data.callees_of(pending.pop()):
                if edge.callee not in reached:
                    reached.add(edge.callee)
                    pending.append(edge.callee)

    for root in found:
        reach(root)
    if len(reached) < len(functions):
        for i in sorted(range(len(functions)), key=lambda i: -functions[i].inclusive_ns):
            if i not in reached:
                found.append(i)
                reach(i)
    found.sort(key=lambda i: -functions[i].inclusive_ns)
    return found


def sampled_stacks_of(data: ProfileData):
    """The sampled stacks of ``data`` (``samples.SampledStacks``), or None."""
    return data.cache.get(SAMPLED_STACKS_KEY)


def stack_note(data: ProfileData) -> str:
    """What the stacks of ``data`` are: "sampled: N samples every X ms (wall clock)", or
    :data:`APPROXIMATION_NOTE` when they are rebuilt from call totals."""
    sampled = sampled_stacks_of(data)
    return sampled.label if sampled is not None else APPROXIMATION_NOTE


def is_sampled(data: ProfileData) -> bool:
    """True when :func:`build_stack_tree` gives real (sampled) stacks for ``data``."""
    return sampled_stacks_of(data) is not None


def build_stack_tree(data: ProfileData, min_fraction: float = DEFAULT_MIN_FRACTION,
                     max_depth: int = DEFAULT_MAX_DEPTH,
                     root: Optional[int] = None, rebuilt: bool = False) -> StackNode:
    """The stack tree of ``data``: its sampled stacks when it has them (see
    :func:`stack_note`), else rebuilt from its call totals.

    Parameters
    ----------
    data: the profile.
    min_fraction: frames holding less than this share of the root's time are not built;
        their time stays in their parent's ``self_ns``.
    max_depth: frames deeper than this (the root has depth 0) are not built.
    root: index of a function to start from (its whole inclusive time); by default a
        synthetic node named :data:`ALL_NAME` (function -1) above all entry points, holding
        their summed inclusive time.
    rebuilt: rebuild from call totals even when ``data`` has sampled stacks.

    Sampled trees hold time only (``calls`` is 0 in every node: samples count no calls).
    """
    if not rebuilt:
        sampled = sampled_stacks_of(data)
        if sampled is not None:
            return sampled.tree(data, min_fraction, max_depth, root)
    functions = data.functions
    if root is not None:
        f = functions[root]
        top = StackNode(f.name, root, f.inclusive_ns, f.total_calls)
        starts: List[Share] = []
    else:
        starts = [Share(i, functions[i].inclusive_ns, functions[i].self_ns,
                        functions[i].total_calls) for i in entry_points(data)]
        top = StackNode(ALL_NAME, -1, sum(s.inclusive_ns for s in starts),
                        sum(s.calls for s in starts))
    threshold = max(1, int(top.inclusive_ns * min_fraction)) if min_fraction > 0 else 0

    # Depth-first with an explicit stack (no recursion limit). ``on_stack`` counts the
    # functions on the path to the node being expanded, so recursion is seen in O(1); a
    # ``(None, function)`` marker below a node's children takes it off the path again.
    on_stack: Dict[int, int] = {}
    pending: list = [(top, starts if root is None else None)]
    while pending:
        node, shares = pending.pop()
        if node is None:
            left = shares
            if on_stack[left] == 1:
                del on_stack[left]
            else:
                on_stack[left] -= 1
            continue
        if node.function >= 0:
            if node.depth >= max_depth:
                continue
            shares = _rebuilt_callee_shares(data, node.function, node.inclusive_ns, on_stack)
            on_stack[node.function] = on_stack.get(node.function, 0) + 1
            pending.append((None, node.function))
        kept = 0
        for share in shares:
            if share.inclusive_ns < threshold or share.inclusive_ns <= 0:
                continue
            child = StackNode(functions[share.function].name, share.function,
                              share.inclusive_ns, share.calls, node)
            node.children.append(child)
            kept += share.inclusive_ns
            pending.append((child, None))
        node.self_ns = node.inclusive_ns - kept
    return top
