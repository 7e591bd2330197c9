"""Steadier figures from repeated runs: ``spyder-callgrind run --repeat N``.

One run's time moves with what else the machine does. Running the script N times and
keeping the run whose profiled time is the median gives a figure that one slow or fast
outlier does not move, which is what a comparison or a regression gate wants. The other
runs are removed from the store; the kept one says in a note which of the N it was.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from spyder_callgrind.engine.model import format_ns
from spyder_callgrind.engine.records import RunRecord
from spyder_callgrind.engine.store import RunStore


def median_index(totals: Sequence[int]) -> int:
    """Position in ``totals`` of the median; for an even count, the faster middle one."""
    order = sorted(range(len(totals)), key=lambda n: (totals[n], n))
    return order[(len(order) - 1) // 2]


def profiled_ns(store: RunStore, record: RunRecord) -> int:
    """A run's profiled time (0 when it has no profile)."""
    data = store.folder(record).load_profile()
    return data.total_ns if data is not None else 0


def keep_median(store: RunStore, runs: Sequence[RunRecord]) -> Tuple[RunRecord, List[int]]:
    """Keep the median of ``runs`` (in the order they ran), remove the others from the store
    and note in the kept run which of them it was. Returns it and every run's time."""
    totals = [profiled_ns(store, record) for record in runs]
    chosen = median_index(totals)
    kept = runs[chosen]
    for n, record in enumerate(runs):
        if n != chosen:
            store.remove(record.id)
    kept.notes.append(
        f"run {chosen + 1} of {len(runs)}, kept as the median by profiled time "
        f"({format_ns(totals[chosen])}; the {len(runs)} runs took "
        f"{format_ns(min(totals))} to {format_ns(max(totals))})")
    store.save(kept)
    return kept, totals
