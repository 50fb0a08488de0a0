"""The pure analysis core: from work items and the portfolio policy to findings and aggregates.

Standard library and domain only: no clock (`now` is passed in), no I/O. Everything is computed
from items grouped once by state and level and looked up by key, so a run is linear in the
number of items.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from lpmsync.analysis.aging import aging_findings, oldest, stale_findings
from lpmsync.analysis.alignment import alignment_findings, alignment_rate
from lpmsync.analysis.allocation import measure_allocation
from lpmsync.analysis.build import build_context
from lpmsync.analysis.context import RefMapping
from lpmsync.analysis.fingerprint import fingerprint
from lpmsync.analysis.flow import measure_flow
from lpmsync.analysis.forecast_risk import forecast_risk_findings
from lpmsync.analysis.hierarchy import hierarchy_findings
from lpmsync.analysis.json_report import REPORT_VERSION, finding_json, report_json
from lpmsync.analysis.themes import ThemeMapper, ThemeStatus, theme_status
from lpmsync.analysis.wip import wip_findings, wip_rows
from lpmsync.analysis.wsjf import wsjf_findings
from lpmsync.domain.history import History, as_history
from lpmsync.domain.model import StateChange, WorkItem
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.report import Analysis, UnmappedItem

__all__ = [
    "REPORT_VERSION",
    "ThemeMapper",
    "ThemeStatus",
    "analyse",
    "finding_json",
    "fingerprint",
    "report_json",
    "theme_status",
]


def analyse(
    items: Sequence[WorkItem],
    policy: PortfolioPolicy,
    now: datetime,
    history: Sequence[StateChange] = (),
) -> Analysis:
    """Run every enabled check over `items` as of `now`; `history` (tracker status changes)
    dates entries into a state for items without `entered_state_at` and feeds the flow metrics.
    The store hands it over as a `History` (columns); any other sequence is converted first."""
    with _cyclic_gc_paused():
        return _analyse(items, policy, now, as_history(history))


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A run allocates hundreds of thousands of short-lived, acyclic objects (findings, evidence,
    lists); reference counting frees them all, but each allocation burst would trigger cyclic
    collections that walk every item again. Pausing the collector keeps a run linear."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What the run leaves behind (the analysis, its findings) is long-lived; left in the
        # youngest generation, the first collection after the run would walk all of it (about
        # 0.1 s at 100,000 items). Freezing and unfreezing moves it to the oldest generation
        # without examining it; anything cyclic is still collected by a later full collection.
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _analyse(
    items: Sequence[WorkItem],
    policy: PortfolioPolicy,
    now: datetime,
    history: History,
) -> Analysis:
    ctx = build_context(items, policy, now, history)
    wip = wip_rows(ctx)
    allocation_rows, drift = measure_allocation(ctx)
    flow = measure_flow(ctx, history)
    findings = [
        *alignment_findings(ctx),
        *hierarchy_findings(ctx),
        *drift,
        *wip_findings(ctx, wip),
        *aging_findings(ctx, flow),
        *stale_findings(ctx),
        *wsjf_findings(ctx),
        *forecast_risk_findings(ctx, flow),
    ]
    findings.sort(key=lambda finding: (finding.rule, finding.fingerprint))
    rate, active = alignment_rate(ctx)
    unmapped = sorted(ctx.outside, key=lambda item: (item.source, item.key))
    return Analysis(
        findings=tuple(findings),
        assignments=RefMapping(ctx.assignments),
        allocation=tuple(allocation_rows),
        wip=tuple(wip),
        alignment_rate=rate,
        active_count=active,
        oldest=oldest(ctx),
        unmapped=tuple(UnmappedItem(item.source, item.key, item.status) for item in unmapped),
        items_count=len(ctx.items),
        flow=flow,
    )
