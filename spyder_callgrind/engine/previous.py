"""How a run changed since the previous run of the same script: "did my change make it faster?"

People profile in a loop: profile, change one thing, profile again. After each run the
command line and the pane say how its total time moved against the previous complete run
of the same script with the same arguments and interpreter
(:meth:`~spyder_callgrind.engine.store.RunStore.previous_of`, the run named ``RUN~prev``),
and which functions moved most.

Times are the profiled time (the sum of all functions' self time, as ``diff`` counts it),
not the wall-clock duration, which also holds the interpreter's start.

The functions that "moved most" are ranked by the change of their inclusive time, but a
function whose change is mostly the change of one of its callees is passed over for that
callee: otherwise ``<module>``, ``main`` and every caller above the slow function would tie
at the top, and the list would name the path to it instead of the function itself. A
built-in never explains its caller: what a user changes is the Python code that calls
``sorted`` or ``sum``, so that code is named, and the built-in is left out for it when the
caller moved by about as much.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from spyder_callgrind.engine.diff import DiffRow, diff_profiles
from spyder_callgrind.engine.model import ProfileData, TimeChange, format_ns
from spyder_callgrind.engine.records import STATUS_OK, RunRecord

if TYPE_CHECKING:
    from spyder_callgrind.engine.store import RunStore

#: How many functions a change names.
MOVERS = 3

#: A caller is explained by a callee (and left out of the movers) when the callee's change
#: is at least this share of the caller's.
EXPLAINED_SHARE = 0.9


@dataclass
class Change(TimeChange):
    """A run against the previous run of its script: their profiled times
    (``before_ns``, ``after_ns``) and the functions that moved most."""

    previous: Optional[RunRecord] = None
    record: Optional[RunRecord] = None
    #: the functions that moved most, largest inclusive change first (either direction)
    movers: List[DiffRow] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """``"slower"``, ``"faster"`` or ``"same"`` (within half a percent)."""
        percent = self.percent or 0.0
        if abs(percent) < 0.5:
            return "same"
        return "slower" if percent > 0 else "faster"

    def summary(self) -> str:
        """``2.41 s, 0.38 s faster than the previous run (-14%)``."""
        total = format_ns(self.after_ns)
        percent = self.percent or 0.0
        if self.verdict == "same":
            return f"{total}, about the same as the previous run ({percent:+.1f}%)"
        return (f"{total}, {format_ns(abs(self.change_ns))} {self.verdict} than the previous "
                f"run ({percent:+.0f}%)")

    def to_json(self) -> Dict[str, Any]:
        """The change as JSON (``show RUN --previous --json``): the runs by id."""
        return {"previous": self.previous.id if self.previous else None,
                "run": self.record.id if self.record else None,
                "before_ns": self.before_ns, "after_ns": self.after_ns,
                "verdict": self.verdict, "summary": self.summary(),
                "movers": [row._asdict() for row in self.movers]}

    @classmethod
    def from_json(cls, data: Any, store: "RunStore") -> "Change":
        """A change read back from :meth:`to_json` (the runs looked up in ``store``);
        ValueError (or a StoreError) when it is not one."""
        try:
            movers = [DiffRow(**row) for row in data["movers"]]
            before, after = int(data["before_ns"]), int(data["after_ns"])
            previous, run = str(data["previous"]), str(data["run"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a comparison with the previous run ({error})") from None
        return cls(before, after, store.get(previous), store.get(run), movers)

    def movers_text(self) -> str:
        """``score_words +1.90 s, tokenize -12.0 ms``; empty when nothing moved."""
        return ", ".join(f"{row.name} {format_change(row.inclusive_change)}"
                         for row in self.movers)


def format_change(ns: int) -> str:
    """A signed duration: ``+1.90 s``, ``-12.0 ms``."""
    return ("+" if ns > 0 else "") + format_ns(ns)


def compare_with_previous(store: RunStore, record: RunRecord,
                          profile: Optional[ProfileData] = None,
                          movers: int = MOVERS) -> Optional[Change]:
    """How ``record`` changed against the previous run of its script; None when ``record``
    did not end normally, has no such previous run, or one of the two has no profile.

    ``profile`` is ``record``'s merged profile when the caller has it already (as the run
    command has, just after converting it); otherwise it is read from the store.
    """
    if record.status != STATUS_OK:
        return None
    previous = store.previous_of(record)
    if previous is None:
        return None
    after = profile if profile is not None else store.folder(record).load_profile()
    before = store.folder(previous).load_profile()
    if before is None or after is None:
        return None
    return Change(before.total_ns, after.total_ns, previous, record,
                  top_movers(before, after, movers))


def top_movers(before: ProfileData, after: ProfileData, count: int = MOVERS) -> List[DiffRow]:
    """The ``count`` functions whose inclusive time changed most, callers explained by one
    of their callees left out (see the module docstring)."""
    rows = [r for r in diff_profiles(before, after) if r.inclusive_change != 0]
    rows.sort(key=lambda r: (-abs(r.inclusive_change), r.name, r.file))
    by_key: Dict[Tuple[str, str, int], DiffRow] = {}
    for row in rows:
        if row.line_after is not None:
            by_key[(row.file, row.name, row.line_after)] = row

    def part_of(part: DiffRow, row: DiffRow) -> bool:
        return (part.inclusive_change * row.inclusive_change > 0
                and abs(part.inclusive_change) >= EXPLAINED_SHARE * abs(row.inclusive_change))

    def explained(row: DiffRow) -> bool:
        index = after.index_of((row.file, row.line_after, row.name))
        if index is None:                       # vanished: no callees in this run
            return False
        if after.functions[index].is_builtin:
            # A built-in whose Python caller moved as much: the caller is named instead.
            for edge in after.callers_of(index):
                caller = after.functions[edge.caller]
                part = by_key.get((caller.file, caller.name, caller.line))
                if (part is not None and not caller.is_builtin and part_of(row, part)
                        and part_of(part, row)):
                    return True
        for edge in after.callees_of(index):
            callee = after.functions[edge.callee]
            part = by_key.get((callee.file, callee.name, callee.line))
            if part is None or part is row or callee.is_builtin:
                continue
            # The callee moved in the same direction by about as much, or more (a sibling
            # may have moved the other way). Only a callee below its caller explains it, so
            # that of two functions calling each other (mutual recursion) one stays.
            if part_of(part, row) and below(part, edge.callee, row, index):
                return True
        return False

    def below(callee: DiffRow, callee_index: int, caller: DiffRow, caller_index: int) -> bool:
        # A strict order, never both ways: less time after; at equal time, a callee that
        # does not call its caller back (a wrapper's callee), else by name.
        if callee.inclusive_after != caller.inclusive_after:
            return callee.inclusive_after < caller.inclusive_after
        if not any(e.callee == caller_index for e in after.callees_of(callee_index)):
            return True
        return ((callee.name, callee.file, callee.line)
                < (caller.name, caller.file, caller.line))

    # A longer cycle of calls with equal times could explain every one of its functions.
    return ([row for row in rows if not explained(row)] or rows)[:count]
