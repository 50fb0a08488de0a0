"""`unaligned` and `retired-theme`, and the alignment rate.

An active item is *aligned* when it serves at least one active theme. One that serves none is
`retired-theme` when at least one of its themes is past its window (the fix is to re-map it),
otherwise `unaligned` (no theme at all, or only themes whose window has not begun).
"""

from __future__ import annotations

from lpmsync.analysis.context import Alignment, Context, describe
from lpmsync.analysis.themes import ThemeStatus
from lpmsync.domain.findings import Finding, JsonValue, RuleId
from lpmsync.domain.model import Level, WorkItem
from lpmsync.domain.policies import RuleConfig, Theme


def alignment_rate(ctx: Context) -> tuple[float, int]:
    """(share of active items serving an active theme, number of active items)."""
    aligned = active = 0
    for state in ctx.policy.active_states:
        for level in Level:
            aligned += ctx.split(state, level).aligned
            active += len(ctx.cell(state, level))
    return (aligned / active if active else 1.0), active


def _flagged(ctx: Context, config: RuleConfig, alignment: Alignment) -> list[WorkItem]:
    """The rule's active items with that alignment (the split is computed once per cell)."""
    found: list[WorkItem] = []
    for state in ctx.active_states(config):
        for level in config.levels:
            split = ctx.split(state, level)
            found += split.retired if alignment is Alignment.RETIRED else split.unaligned
    return found


def alignment_findings(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    unaligned = ctx.rule(RuleId.UNALIGNED)
    if unaligned is not None:
        findings += [
            ctx.item_finding(
                RuleId.UNALIGNED,
                unaligned,
                item,
                f"{describe(item)} serves no active theme",
                {"upcoming_themes": _windows(_themes(ctx, item, ThemeStatus.UPCOMING))},
            )
            for item in _flagged(ctx, unaligned, Alignment.UNALIGNED)
        ]
    retired = ctx.rule(RuleId.RETIRED_THEME)
    if retired is not None:
        for item in _flagged(ctx, retired, Alignment.RETIRED):
            themes = _themes(ctx, item, ThemeStatus.RETIRED)
            names = ", ".join(theme.key for theme in themes)
            findings.append(
                ctx.item_finding(
                    RuleId.RETIRED_THEME,
                    retired,
                    item,
                    f"{describe(item)} serves only retired themes ({names})",
                    {"retired_themes": _windows(themes)},
                )
            )
    return findings


def _themes(ctx: Context, item: WorkItem, status: ThemeStatus) -> list[Theme]:
    return [ctx.themes[key] for key in ctx.assignment(item).themes if ctx.status[key] is status]


def _windows(themes: list[Theme]) -> list[JsonValue]:
    return [
        {
            "theme": theme.key,
            "name": theme.name,
            "active_from": theme.active_from.isoformat() if theme.active_from else None,
            "active_until": theme.active_until.isoformat() if theme.active_until else None,
        }
        for theme in themes
    ]
