"""Checks across the epic → feature hierarchy: `orphan-feature`, `theme-mismatch`,
`premature-start`. Parents are looked up by source and key, so an epic may live in another
source than its features."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lpmsync.analysis.context import Context, describe, ref_name
from lpmsync.domain.findings import Finding, JsonValue, RuleId
from lpmsync.domain.model import Level, WorkItem


def hierarchy_findings(ctx: Context) -> list[Finding]:
    return [*_orphans(ctx), *_mismatches(ctx), *_premature(ctx)]


def _orphans(ctx: Context) -> list[Finding]:
    config = ctx.rule(RuleId.ORPHAN_FEATURE)
    if config is None or Level.FEATURE not in config.levels:
        return []
    findings = []
    for feature in _without_epic(ctx, ctx.active_states(config)):
        parent = feature.parent
        found = ctx.find(parent)
        if parent is None:
            why = "has no parent epic"
        elif found is None:
            why = f"has parent {ref_name(parent, feature.source)}, which is not in the portfolio"
        else:
            why = f"has parent {ref_name(parent, feature.source)}, which is not an epic"
        evidence: dict[str, JsonValue] = {
            "parent": str(parent) if parent is not None else None,
            "parent_found": found is not None,
            "parent_level": found.level.value if found is not None else None,
        }
        findings.append(
            ctx.item_finding(
                RuleId.ORPHAN_FEATURE, config, feature, f"{describe(feature)} {why}", evidence
            )
        )
    return findings


def _without_epic(ctx: Context, states: Iterable[str]) -> Iterator[WorkItem]:
    for state in states:
        for feature, epic in zip(ctx.cell(state, Level.FEATURE), ctx.epics_in(state), strict=True):
            if epic is None:
                yield feature


def _with_own_themes(ctx: Context, states: Iterable[str]) -> Iterator[tuple[WorkItem, WorkItem]]:
    """Features with themes of their own (not inherited) and an epic, with that epic."""
    for state in states:
        features = ctx.cell(state, Level.FEATURE)
        owns = ctx.assignments_in(state, Level.FEATURE)
        for feature, own, epic in zip(features, owns, ctx.epics_in(state), strict=True):
            if own.inherited_from is None and own.themes and epic is not None:
                yield feature, epic


def _mismatches(ctx: Context) -> list[Finding]:
    config = ctx.rule(RuleId.THEME_MISMATCH)
    if config is None or Level.FEATURE not in config.levels:
        return []
    findings = []
    for feature, epic in _with_own_themes(ctx, ctx.active_states(config)):
        own, theirs = ctx.assignment(feature), ctx.assignment(epic)
        if not theirs.themes or set(own.themes) & set(theirs.themes):
            continue
        epic_name = ref_name(epic.ref, feature.source)
        message = (
            f"{describe(feature)} serves {', '.join(own.themes)} "
            f"but its epic {epic_name} serves {', '.join(theirs.themes)}"
        )
        evidence: dict[str, JsonValue] = {
            "epic": str(epic.ref),
            "epic_themes": list(theirs.themes),
            "epic_theme_reason": theirs.reason,
        }
        findings.append(ctx.item_finding(RuleId.THEME_MISMATCH, config, feature, message, evidence))
    return findings


def _premature(ctx: Context) -> list[Finding]:
    config = ctx.rule(RuleId.PREMATURE_START)
    if config is None or Level.FEATURE not in config.levels:
        return []
    approved = ctx.state_index.get(config.approved_state)
    if approved is None:
        return []
    findings = []
    features = ctx.cell(config.start_state, Level.FEATURE)
    for feature, epic in zip(features, ctx.epics_in(config.start_state), strict=True):
        epic_at = ctx.state_index.get(epic.state) if epic is not None else None
        if epic is None or epic_at is None or epic_at > approved:
            continue
        message = (
            f"{describe(feature)} started while its epic {ref_name(epic.ref, feature.source)} "
            f"is in {epic.state}, not yet past {config.approved_state}"
        )
        evidence: dict[str, JsonValue] = {
            "epic": str(epic.ref),
            "epic_state": epic.state,
            "start_state": config.start_state,
            "approved_state": config.approved_state,
        }
        findings.append(
            ctx.item_finding(RuleId.PREMATURE_START, config, feature, message, evidence)
        )
    return findings
