"""Wording of the rules about one item's theme and place in the hierarchy."""

from __future__ import annotations

from lpmsync.domain.findings import Finding, RuleId
from lpmsync.notify.wording.base import RULE_WHY, Facts, Wording, iso_day, join


def unaligned(finding: Finding, facts: Facts) -> Wording:
    reason = facts.text("theme_reason")
    upcoming = [
        f"{facts.names.theme(str(w.get('theme')))} starts on {iso_day(str(w['active_from']))}"
        for w in facts.records("upcoming_themes")
        if w.get("active_from")
    ]
    if reason and reason != "no theme matched":
        said = f"None of its themes is active ({reason})."
    else:
        said = "It carries no theme field value, label, component or tag of an active theme."
    if upcoming:
        said += f" Its theme {join(upcoming)}."
    return Wording(
        headline=f"{facts.kind.capitalize()} in {facts.state} serves no active theme",
        why=RULE_WHY[RuleId.UNALIGNED],
        facts=said,
        next_step="Tag it with an active theme (label, component or theme field), "
        "or stop it if it no longer serves the strategy.",
    )


def retired(finding: Finding, facts: Facts) -> Wording:
    windows = [
        facts.names.theme(str(w.get("theme")))
        + (f" (ended {iso_day(str(w['active_until']))})" if w.get("active_until") else "")
        for w in facts.records("retired_themes")
    ]
    return Wording(
        headline=f"{facts.kind.capitalize()} in {facts.state} serves only a retired theme",
        why=RULE_WHY[RuleId.RETIRED_THEME],
        facts=f"It serves {join(windows) or facts.themes()}, and no active theme.",
        next_step="Re-map it to an active theme or close it; if the theme is still funded, "
        "extend its `active_until` in `themes`.",
    )


def mismatch(finding: Finding, facts: Facts) -> Wording:
    epic = facts.text("epic")
    related = (epic,) if epic else ()
    epic_name = facts.names.item(epic) if epic else "its epic"
    return Wording(
        headline="Feature serves a different theme than its epic",
        why=RULE_WHY[RuleId.THEME_MISMATCH],
        facts=f"It serves {facts.themes()}; its epic {epic_name} serves "
        f"{facts.themes('epic_themes')}.",
        next_step="Give the feature its epic's theme, or move it under an epic of its own theme.",
        related=related,
        related_label="Epic",
    )


def orphan(finding: Finding, facts: Facts) -> Wording:
    parent = facts.text("parent")
    level = facts.text("parent_level")
    if parent is None:
        said = "It has no parent epic."
    elif finding.evidence.get("parent_found") is True:
        said = f"Its parent {facts.names.item(parent)} is a {level or 'non-epic'}, not an epic."
    else:
        said = f"Its parent {facts.names.item(parent)} is not in the portfolio lpmsync reads."
    return Wording(
        headline="Feature has no parent epic",
        why=RULE_WHY[RuleId.ORPHAN_FEATURE],
        facts=said,
        next_step="Link it to the epic it delivers, or decide whether it is portfolio work.",
        related=(parent,) if parent else (),
        related_label="Parent",
    )


def premature(finding: Finding, facts: Facts) -> Wording:
    epic = facts.text("epic")
    epic_name = facts.names.item(epic) if epic else "its epic"
    approved = facts.text("approved_state") or "approval"
    return Wording(
        headline="Feature started before its epic was approved",
        why=RULE_WHY[RuleId.PREMATURE_START],
        facts=f"It is in {facts.state}; its epic {epic_name} is in "
        f"{facts.text('epic_state') or 'an earlier state'}, not yet past {approved}.",
        next_step="Pause the feature until the epic is approved, or take the epic's "
        "go/no-go decision now.",
        related=(epic,) if epic else (),
        related_label="Epic",
    )
