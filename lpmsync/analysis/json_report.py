"""The report's JSON form: a documented, stable interface (docs/report.md).

Keys are only ever added within a `version`; renaming or removing one bumps it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lpmsync.analysis.flow_json import flow_json
from lpmsync.domain.findings import JsonValue, finding_to_json
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.report import AllocationRow, Analysis, ItemAge, WipRow

REPORT_VERSION = 1
_DIGITS = 4  # shares and rates are rounded to this many decimal places


def report_json(
    analysis: Analysis, policy: PortfolioPolicy, generated_at: datetime
) -> dict[str, Any]:
    """The whole report as JSON-ready data (dicts, lists, str, int, float, bool, None)."""
    return {
        "version": REPORT_VERSION,
        "generated_at": generated_at.isoformat(),
        "portfolio": policy.name,
        "items": analysis.items_count,
        "active_items": analysis.active_count,
        "alignment_rate": round(analysis.alignment_rate, _DIGITS),
        "findings": [finding_json(finding) for finding in analysis.findings],
        "allocation": [_allocation(row) for row in analysis.allocation],
        "wip": [_wip(row) for row in analysis.wip],
        "oldest": {state: [_age(age) for age in ages] for state, ages in analysis.oldest.items()},
        "unmapped": [
            {"source": item.source, "key": item.key, "status": item.status}
            for item in analysis.unmapped
        ],
        "flow": None if analysis.flow is None else flow_json(analysis.flow),
    }


finding_json = finding_to_json
"""One finding as `{rule, severity, fingerprint, subject, scope, message, evidence}`."""


def _allocation(row: AllocationRow) -> dict[str, JsonValue]:
    return {
        "theme": row.theme,
        "name": row.name,
        "target_share": row.target_share,
        "actual_share": round(row.actual_share, _DIGITS),
        "weight": row.weight,
        "retired": row.retired,
        "active": row.active,
    }


def _wip(row: WipRow) -> dict[str, JsonValue]:
    return {
        "state": row.state,
        "level": row.level.value,
        "value_stream": row.value_stream,
        "count": row.count,
        "limit": row.limit,
        "min": row.min,
    }


def _age(age: ItemAge) -> dict[str, JsonValue]:
    return {
        "source": age.source,
        "key": age.key,
        "title": age.title,
        "url": age.url,
        "level": age.level.value,
        "since": age.since.isoformat(),
        "since_source": age.since_source,
        "days": age.days,
        "theme": age.theme,
        "value_stream": age.value_stream,
    }
