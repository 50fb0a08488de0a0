"""Checks across sections: what a route, an owner or a rule names must exist in the config.

Each check returns every problem it finds (`key: what is wrong (did you mean …?)`), so one run of
`lpmsync config validate` lists them all. A route that names a rule or theme that does not
exist would otherwise never match, and its alerts would go to the default channel, skipping the
route's quiet hours, without a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import get_close_matches
from typing import TYPE_CHECKING

from lpmsync.domain.findings import RuleId

if TYPE_CHECKING:
    from lpmsync.settings.model import Settings

RULE_IDS = [rule.value for rule in RuleId]
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")
OWNER_ID = re.compile(r"[UWS][A-Z0-9]{2,20}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown(key: str, what: str, value: str, choices: Sequence[str]) -> str:
    listed = f"; expected one of {', '.join(choices)}" if choices else f"; no {what} is configured"
    return f"{key}: unknown {what} {value!r}{did_you_mean(value, choices)}{listed}"


def route_problems(settings: Settings) -> list[str]:
    slack = settings.notify.slack
    if slack is None:
        return []
    themes = [theme.key for theme in settings.themes]
    streams = list(settings.portfolio.value_streams)
    problems = []
    for index, route in enumerate(slack.routes):
        key = f"notify.slack.routes[{index}].match"
        match = route.match
        problems += [
            unknown(f"{key}.rule", "rule id", r, RULE_IDS)
            for r in match.rule or []
            if r not in RULE_IDS
        ]
        problems += [
            unknown(f"{key}.theme", "theme", t, themes)
            for t in match.theme or []
            if t not in themes
        ]
        if streams:  # without portfolio.value_streams, any name the trackers use may match
            problems += [
                unknown(f"{key}.value_stream", "value stream", v, streams)
                for v in match.value_stream or []
                if v not in streams
            ]
    return problems


def slack_id_problems(settings: Settings) -> list[str]:
    """Channels must be channel ids (`C…`, `G…`): chart uploads need them; owners and people
    user or user-group ids (`U…`, `W…`, `S…`): anything else can never mention anyone."""
    problems = []
    for index, theme in enumerate(settings.themes):
        if theme.owner is not None and not OWNER_ID.fullmatch(theme.owner):
            problems.append(
                f"themes[{index}].owner: {theme.owner!r} is not a Slack user or user-group id "
                "(expected U…, W… or S…, e.g. U012AB3CD, from the person's Slack profile)"
            )
    slack = settings.notify.slack
    if slack is None:
        return problems
    channels = [("notify.slack.default_channel", slack.default_channel)]
    channels += [
        (f"notify.slack.routes[{i}].channel", r.channel) for i, r in enumerate(slack.routes)
    ]
    if slack.digest.channel is not None:
        channels.append(("notify.slack.digest.channel", slack.digest.channel))
    problems += [
        f"{key}: {value!r} is not a Slack channel id (expected C… or G…, e.g. C012AB3CD; "
        "in Slack: channel details → About → Channel ID)"
        for key, value in channels
        if not CHANNEL_ID.fullmatch(value)
    ]
    return problems
