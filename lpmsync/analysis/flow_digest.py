"""The flow headlines of the weekly digest, with their week-over-week deltas.

Velocity and load carry their own previous week (the window's previous bucket), so their deltas
need no snapshot; the flow time's delta comes from last week's snapshot like the others.
"""

from __future__ import annotations

from collections.abc import Mapping

from lpmsync.domain.digest import Headline, Unit
from lpmsync.domain.findings import JsonValue
from lpmsync.domain.flow import FlowMetrics
from lpmsync.domain.model import Level


def flow_headlines(flow: FlowMetrics | None, past: Mapping[str, JsonValue]) -> tuple[Headline, ...]:
    if flow is None or not flow.buckets:
        return ()
    finished = flow.velocity[Level.FEATURE]
    headlines = [
        Headline(
            "features_finished",
            "Features finished this week",
            float(finished[-1]),
            float(finished[-2]) if len(finished) > 1 else None,
        )
    ]
    p85 = flow.flow_time[Level.FEATURE].p85
    if p85 is not None:
        before = past.get("feature_flow_time_p85")
        previous = (
            float(before)
            if isinstance(before, int | float) and not isinstance(before, bool)
            else None
        )
        headlines.append(
            Headline(
                "feature_flow_time_p85", "Feature flow time, 85% (days)", p85, previous, Unit.COUNT
            )
        )
    return tuple(headlines)
