"""Where alerts go and when they may be sent, as the pure alert lifecycle consumes it.

Built from `notify.slack` settings in the service layer, so the pure core never imports settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta

from lpmsync.domain.findings import Finding


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """Messages are held from `start` to `end` (local time of the portfolio's zone).

    `start > end` wraps midnight (19:00 → 08:00); `start == end` holds nothing unless `weekends`.
    `weekends` also holds all of Saturday and Sunday.
    """

    start: time
    end: time
    weekends: bool = False


@dataclass(frozen=True, slots=True)
class RouteRule:
    """One route: every given matcher (not None) must match the finding; first match wins."""

    channel: str
    rules: frozenset[str] | None = None
    themes: frozenset[str] | None = None
    value_streams: frozenset[str] | None = None
    severities: frozenset[str] | None = None
    quiet_hours: QuietWindow | None = None
    mention_owner: bool = True

    def matches(self, finding: Finding) -> bool:
        scope = finding.scope
        return (
            _allows(self.rules, finding.rule)
            and _allows(self.themes, scope.theme)
            and _allows(self.value_streams, scope.value_stream)
            and _allows(self.severities, finding.severity.value)
        )


def _allows(allowed: frozenset[str] | None, value: str | None) -> bool:
    return allowed is None or (value is not None and value in allowed)


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """Everything the lifecycle needs to decide what to send, where, and when.

    `owners` maps a theme key to its owner's Slack id (user `U…`/`W…` or user group `S…`);
    `theme_names` maps a theme key to its display name. `baseline_threshold`: a run that would
    announce more new alerts than this (or the first run of a store) sends one baseline summary
    instead; None turns the baseline off.
    """

    default_channel: str
    routes: tuple[RouteRule, ...] = ()
    repeat_interval: timedelta = timedelta(hours=24)
    timezone: str = "UTC"
    owners: Mapping[str, str] = field(default_factory=dict)
    theme_names: Mapping[str, str] = field(default_factory=dict)
    default_mention_owner: bool = True
    baseline_threshold: int | None = 25
    # How messages present alerts (the renderer's options, carried with the rest of the policy).
    people: Mapping[str, str] = field(default_factory=dict)  # tracker owner → Slack user id
    show_source: bool = False  # name each item's source (several sources are configured)
    max_items: int = 10
    web_base_url: str | None = None

    def route_for(self, finding: Finding) -> RouteRule:
        """The first route that matches, else the default channel's route."""
        for route in self.routes:
            if route.matches(finding):
                return route
        return RouteRule(channel=self.default_channel, mention_owner=self.default_mention_owner)
