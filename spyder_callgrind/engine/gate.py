"""The regression gate: ``spyder-callgrind diff A B --fail-above PCT [--min-ms MS]``.

A build fails when the second run's total time, or the inclusive time of any function found
in both runs, grew by more than ``PCT`` percent *and* by more than ``MS`` milliseconds. The
two bounds work together: the percentage says what counts as a slowdown, the milliseconds
keep the jitter of tiny functions (a 40 µs function that takes 80 µs once) from failing it.

Functions are matched across the runs as :mod:`~spyder_callgrind.engine.diff` matches them
(file and name). A function found in only one run is not gated on its own: its time shows
in its callers' inclusive time and in the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from spyder_callgrind.engine.diff import CHANGED, DiffRow
from spyder_callgrind.engine.model import TimeChange, format_ns

#: Default of ``--min-ms``. Between two runs of an unchanged script on a busy machine a
#: function of 10 ms was seen to take 5 ms more (+50%): the default stays above that jitter,
#: and below any slowdown worth a failed build.
DEFAULT_MIN_MS = 10.0

#: Name given to the whole run's time in a gate's findings.
TOTAL = "total"


@dataclass
class Growth(TimeChange):
    """A time before and after: the whole run's, or one function's inclusive time."""

    name: str = TOTAL
    file: str = ""                      #: "" for the total
    line: int = 0
    location: str = ""                  #: ``file.py:12`` or ``built-in``; "" for the total

    def grew(self, percent: float, min_ns: int) -> bool:
        """True when it grew by more than ``percent`` % and by more than ``min_ns``."""
        return self.change_ns > min_ns and (self.percent is None or self.percent > percent)

    def figures(self) -> str:
        """``100 ms -> 2.39 s (+2.29 s, +2290%)``."""
        percent = "new" if self.percent is None else f"{self.percent:+.0f}%"
        sign = "+" if self.change_ns > 0 else ""
        return (f"{format_ns(self.before_ns)} -> {format_ns(self.after_ns)} "
                f"({sign}{format_ns(self.change_ns)}, {percent})")

    def to_json(self) -> dict:
        return dict(name=self.name, file=self.file, line=self.line, before_ns=self.before_ns,
                    after_ns=self.after_ns, change_ns=self.change_ns, percent=self.percent)


@dataclass
class GateResult:
    """What the gate found; :attr:`failed` decides the exit status."""

    fail_above_percent: float
    min_ms: float
    total: Growth
    #: what grew beyond both bounds: the total first (if it did), then the functions whose
    #: own time grew beyond them (largest first), then those that grew through their callees,
    #: smallest time first (from the slow code up to ``<module>``)
    grown: List[Growth] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.grown)

    def bounds(self) -> str:
        return f"more than {self.fail_above_percent:g}% and {self.min_ms:g} ms"

    def report(self, limit: Optional[int] = 20) -> str:
        """The verdict as text, naming what grew with both figures."""
        if not self.failed:
            return (f"Gate passed: nothing grew by {self.bounds()} "
                    f"(total {self.total.figures()})")
        functions = sum(1 for g in self.grown if g is not self.total)
        lines = [f"Gate FAILED: {'the total and ' if self.grown[0] is self.total else ''}"
                 f"{functions} function{'s' if functions != 1 else ''} grew by "
                 f"{self.bounds()}:"]
        shown = self.grown if limit is None else self.grown[:limit]
        labels = [g.name if g is self.total else f"{g.name} ({g.location})" for g in shown]
        width = max(len(label) for label in labels)
        lines += [f"  {label:<{width}}  {g.figures()}" for label, g in zip(labels, shown)]
        if len(self.grown) > len(shown):
            lines.append(f"  ... {len(self.grown) - len(shown)} more")
        return "\n".join(lines)

    def to_json(self) -> dict:
        """Times in integer nanoseconds; ``percent`` is null where there was no time before."""
        return dict(unit="ns", fail_above_percent=self.fail_above_percent,
                    min_ms=self.min_ms, failed=self.failed, total=self.total.to_json(),
                    grown=[g.to_json() for g in self.grown])


def check(rows: Sequence[DiffRow], fail_above_percent: float,
          min_ms: float = DEFAULT_MIN_MS) -> GateResult:
    """Apply the gate to the rows of :func:`~spyder_callgrind.engine.diff.diff_profiles`."""
    min_ns = int(min_ms * 1e6)
    total = Growth(sum(r.self_before for r in rows), sum(r.self_after for r in rows))
    result = GateResult(fail_above_percent, min_ms, total)
    if total.grew(fail_above_percent, min_ns):
        result.grown.append(total)
    found = []
    for row in rows:
        growth = Growth(row.inclusive_before, row.inclusive_after, row.name, row.file,
                        row.line, row.location)
        if row.status == CHANGED and growth.grew(fail_above_percent, min_ns):
            own = Growth(row.self_before, row.self_after).grew(fail_above_percent, min_ns)
            found.append((not own, -row.change if own else row.inclusive_after, growth))
    found.sort(key=lambda item: item[:2])
    result.grown += [growth for _own, _order, growth in found]
    return result
