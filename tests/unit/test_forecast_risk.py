"""`forecast-risk`: an epic in progress whose 85% forecast falls after its target date."""

from __future__ import annotations

from datetime import date

import pytest

from lpmsync.analysis import analyse
from lpmsync.domain.findings import RuleId
from lpmsync.domain.model import Level
from tests.unit.flow_fixtures import NOW, flow_policy, story

# Payments finishes one feature a week over the window: three remaining take three weeks, so
# the 85% forecast is Monday 23 Mar 2026.
P85 = date(2026, 3, 23)


def _portfolio(target: date | None, stream: str = "Payments"):  # type: ignore[no-untyped-def]
    epic = story(
        "E-1", [(40, "In Progress")], level=Level.EPIC, value_stream=stream, target_date=target
    )
    children = [
        story(f"F-{n}", [(30, "Analyzing")], parent="E-1", value_stream=stream) for n in range(3)
    ]
    throughput = [
        story(f"T-{week}", [(30, "Analyzing"), (week * 7 + 1, "Done")], value_stream="Payments")
        for week in range(3)
    ]
    stories = [epic, *children, *throughput]
    items = [item for item, _ in stories]
    history = [change for _, changes in stories for change in changes]
    return analyse(items, flow_policy(trials=300), NOW, history)


@pytest.mark.parametrize(
    ("target", "fires"),
    [
        (date(2026, 3, 22), True),  # a day before the 85% date
        (P85, False),  # on the date: not after it
        (date(2026, 4, 30), False),
        (None, False),  # no target date
    ],
)
def test_fires_when_the_85_percent_date_is_after_the_target(
    target: date | None, fires: bool
) -> None:
    findings = [f for f in _portfolio(target).findings if f.rule == RuleId.FORECAST_RISK]
    assert bool(findings) is fires
    if fires:
        (finding,) = findings
        assert finding.subject is not None and finding.subject.key == "E-1"
        assert {
            key: finding.evidence[key]
            for key in ("remaining", "p50", "p85", "target_date", "days_late")
        } == {
            "remaining": 3,
            "p50": "2026-03-23",
            "p85": "2026-03-23",
            "target_date": "2026-03-22",
            "days_late": 1,
        }
        assert finding.message == (
            "Epic E-1 (Implementing) is 85% likely done by 23 Mar 2026, after its target "
            "date 22 Mar 2026 (3 features to go)"
        )


def test_no_velocity_no_forecast_no_finding() -> None:
    analysis = _portfolio(date(2026, 3, 3), stream="Mobile")
    assert analysis.flow is not None and analysis.flow.forecasts[0].p85 is None
    assert not [f for f in analysis.findings if f.rule == RuleId.FORECAST_RISK]
