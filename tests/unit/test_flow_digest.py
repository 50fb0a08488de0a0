"""The flow part of the weekly digest: headlines with deltas, forecast lines, the charts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from lpmsync.analysis.digest import AlertCounts, build_digest
from lpmsync.analysis.flow_digest import flow_headlines
from lpmsync.domain.flow import FlowMetrics, Forecast
from lpmsync.domain.model import Level
from lpmsync.domain.report import Analysis
from lpmsync.notify.charts_flow import flow_charts
from lpmsync.notify.render_digest import render_digest
from lpmsync.notify.render_flow import day, flow_blocks, forecast_line, left_out_note
from tests.unit.flow_fixtures import NOW, flow_policy, measure, story

PNG = b"\x89PNG\r\n\x1a\n"


def _flow() -> FlowMetrics:
    stories = [
        story("E-1", [(40, "In Progress")], level=Level.EPIC, value_stream="Payments"),
        *[
            story(f"E-1-F{n}", [(30, "Analyzing")], parent="E-1", value_stream="Payments")
            for n in range(2)
        ],
        story("F-1", [(30, "Analyzing"), (16, "Done")], value_stream="Payments"),
        story("F-2", [(20, "Analyzing"), (3, "Done")], value_stream="Payments"),
        story("F-3", [(25, "In Progress"), (2, "Done")], value_stream="Payments"),
    ]
    return measure(stories, flow_policy(trials=200))


def _forecast(**changes: object) -> Forecast:
    base = Forecast(
        source="jira",
        key="PORT-12",
        title="Checkout <!channel> & co",
        url="https://jira.example/browse/PORT-12",
        remaining=4,
        p50=date(2026, 2, 26),
        p85=date(2026, 3, 12),
        trials=2000,
        target_date=date(2026, 3, 1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_velocity_headline_compares_with_the_week_before_and_flow_time_with_the_snapshot() -> None:
    flow = _flow()
    assert flow.velocity[Level.FEATURE] == (1, 0, 2)
    finished, p85 = flow_headlines(flow, {"feature_flow_time_p85": 10.0})
    assert (finished.label, finished.value, finished.delta) == ("Features finished this week", 2, 2)
    assert p85.key == "feature_flow_time_p85" and p85.previous == 10.0
    assert p85.value == flow.flow_time[Level.FEATURE].p85 == 23.0
    assert flow_headlines(None, {}) == ()


def test_the_digest_carries_flow_headlines_and_forecasts() -> None:
    digest = build_digest(_analysis_with(_flow()), flow_policy(), now=NOW, alerts=AlertCounts())
    assert [h.key for h in digest.headlines][-2:] == ["features_finished", "feature_flow_time_p85"]
    assert len(digest.headlines) <= 10  # Slack shows at most 10 fields
    text = "\n".join(
        _text(block)
        for part in render_digest(digest)
        for block in part.blocks
        if block.get("type") == "section" and "text" in block
    )
    assert "*Forecasts for epics in progress* (1)" in text
    assert "85% likely by" in text and "2 features left" in text


def _text(block: Any) -> str:
    return str(block["text"]["text"])


def _analysis_with(flow: FlowMetrics) -> Analysis:
    return Analysis(flow=flow)


def test_a_forecast_line_reads_like_a_sentence_and_escapes_tracker_text() -> None:
    line = forecast_line(_forecast(), NOW)
    assert line == (
        "⚠️ Late: <https://jira.example/browse/PORT-12|PORT-12> "
        "Checkout &lt;!channel&gt; &amp; co — *85% likely by 12 Mar* (50%: 26 Feb) · "
        "4 features left · target 1 Mar"
    )
    on_time = forecast_line(_forecast(target_date=date(2026, 3, 20)), NOW)
    assert on_time.startswith("🗓️ ")
    unknown = forecast_line(_forecast(p50=None, p85=None, target_date=None), NOW)
    assert "no forecast yet" in unknown and "target" not in unknown


def test_dates_name_the_year_only_when_it_is_not_this_one() -> None:
    assert day(date(2026, 3, 12), NOW) == "12 Mar"
    assert day(date(2027, 1, 5), NOW) == "5 Jan 2027"


def test_late_forecasts_come_first_and_long_lists_are_capped() -> None:
    flow = _flow()
    many = tuple(_forecast(key=f"PORT-{n}", target_date=None) for n in range(40))
    late = _forecast(key="PORT-LATE")
    digest = build_digest(
        _analysis_with(replace(flow, forecasts=(*many, late))),
        flow_policy(),
        now=NOW,
        alerts=AlertCounts(),
    )
    chunks = flow_blocks(digest)
    first = _text(chunks[0][0])
    assert first.startswith("*Forecasts for epics in progress* (41), showing 30")
    assert first.splitlines()[1].startswith(
        "⚠️ Late: <https://jira.example/browse/PORT-12|PORT-LATE>"
    )
    shown = sum(
        _text(block).count("likely by")
        for chunk in chunks
        for block in chunk
        if block["type"] == "section"
    )
    assert shown == 30


def test_the_digest_says_what_was_left_out_for_lack_of_history() -> None:
    flow = _flow()
    assert left_out_note(flow) is None
    short = replace(flow, left_out={**flow.left_out, "load": {Level.EPIC: 2, Level.FEATURE: 1}})
    assert left_out_note(short) == (
        "Items left out for lack of state history: velocity 0, load 3, flow time 0."
    )


def test_flow_charts_are_deterministic_pngs() -> None:
    flow = _flow()
    charts = flow_charts(flow)
    assert sorted(charts) == ["flow_cfd.png", "flow_time.png", "flow_velocity_load.png"]
    assert all(content.startswith(PNG) for content in charts.values())
    assert flow_charts(flow) == charts
    assert flow_charts(None) == {}
    assert "flow_time.png" not in flow_charts(replace(flow, finished=()))


def test_one_feature_left_is_singular() -> None:
    line = forecast_line(replace(_forecast(), remaining=1), NOW)
    assert "1 feature left" in line and "features" not in line
