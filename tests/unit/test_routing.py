"""Routing: routes in order, first match wins, every given key must match, else default."""

from __future__ import annotations

from lpmsync.domain.findings import RuleId, Severity
from lpmsync.domain.routing import RouteRule, RoutingPolicy
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
