"""Routing: routes in order, first match wins, every given key must match, else default."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from lpmsync.domain.findings import RuleId, Severity
from lpmsync.domain.routing import QuietWindow, RouteRule, RoutingPolicy
from lpmsync.errors import ConfigError
from lpmsync.services.notify import routing_policy
from lpmsync.settings import load_settings
from tests.unit.notify_fixtures import finding, scope_finding

CX = RouteRule(channel="C_CX", themes=frozenset({"cx"}))
FLOW = RouteRule(
    channel="C_FLOW",
    rules=frozenset({RuleId.WIP_BREACH, RuleId.WIP_STARVED}),
    severities=frozenset({Severity.CRITICAL.value}),
    mention_owner=False,
)
STREAM = RouteRule(channel="C_STREAM", value_streams=frozenset({"payments"}))
POLICY = RoutingPolicy(default_channel="C_DEFAULT", routes=(CX, FLOW, STREAM))


def test_first_matching_route_wins() -> None:
    both = finding(theme="cx", value_stream="payments")
    assert POLICY.route_for(both) is CX
    assert POLICY.route_for(finding(value_stream="payments")) is STREAM


def test_all_given_keys_must_match() -> None:
    assert POLICY.route_for(scope_finding()).channel == "C_FLOW"
    warning_breach = finding(rule=RuleId.WIP_BREACH, severity=Severity.WARNING)
    assert POLICY.route_for(warning_breach).channel == "C_DEFAULT"
    critical_other = finding(rule=RuleId.AGING, severity=Severity.CRITICAL)
    assert POLICY.route_for(critical_other).channel == "C_DEFAULT"


def test_a_missing_scope_value_never_matches_a_route_that_asks_for_it() -> None:
    assert POLICY.route_for(finding(theme=None)).channel == "C_DEFAULT"


def test_unmatched_alerts_go_to_the_default_channel_and_empty_match_matches_all() -> None:
    fallback = POLICY.route_for(finding(theme="data"))
    assert fallback.channel == "C_DEFAULT" and fallback.mention_owner
    catch_all = RoutingPolicy(default_channel="C_DEFAULT", routes=(RouteRule(channel="C_ALL"),))
    assert catch_all.route_for(scope_finding()).channel == "C_ALL"


def test_settings_become_the_routing_policy(tmp_path: Path) -> None:
    config = tmp_path / "lpmsync.yaml"
    config.write_text(
        """
portfolio: {name: Acme, timezone: Europe/Berlin}
themes:
  - {key: cx, name: Customer Experience, owner: U0CX}
  - {key: data, name: Data}
notify:
  slack:
    default_channel: C0DEFAULT
    repeat_interval: 12h
    routes:
      - match: {rule: wip-breach, severity: critical}
        channel: C0FLOW
        quiet_hours: {start: "19:00", end: "08:00", weekends: true}
        mention_owner: false
      - match: {theme: [cx], value_stream: Payments}
        channel: C0CX
""",
        encoding="utf-8",
    )
    policy = routing_policy(load_settings(config, {"SLACK_BOT_TOKEN": "x"}))
    flow, cx = policy.routes
    assert flow == RouteRule(
        channel="C0FLOW",
        rules=frozenset({"wip-breach"}),
        severities=frozenset({"critical"}),
        quiet_hours=QuietWindow(time(19, 0), time(8, 0), weekends=True),
        mention_owner=False,
    )
    assert cx == RouteRule(
        channel="C0CX", themes=frozenset({"cx"}), value_streams=frozenset({"Payments"})
    )
    assert policy.default_channel == "C0DEFAULT" and policy.repeat_interval == timedelta(hours=12)
    assert policy.timezone == "Europe/Berlin"
    assert policy.owners == {"cx": "U0CX"}
    assert policy.theme_names == {"cx": "Customer Experience", "data": "Data"}
    assert policy.route_for(scope_finding()) is flow


def test_without_slack_settings_there_is_no_routing_policy(tmp_path: Path) -> None:
    config = tmp_path / "lpmsync.yaml"
    config.write_text("portfolio: {name: Acme}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"notify\.slack"):
        routing_policy(load_settings(config, {}))
