"""A finding in plain words: a headline, why it matters, and the next step.

Isolated on purpose: the integrator swaps this module for the shared per-rule wording (one view
model for Slack, the CLI and the board). `explain` is the whole interface the pages use.
"""

from __future__ import annotations

from dataclasses import dataclass

from lpmsync.domain.findings import Finding

BADGES: dict[str, str] = {
    "unaligned": "no theme",
    "retired-theme": "retired theme",
    "theme-mismatch": "theme ≠ epic",
    "orphan-feature": "no epic",
    "premature-start": "started early",
    "allocation-drift": "drift",
    "wip-breach": "over WIP",
    "wip-starved": "starved",
    "aging": "aging",
    "stale": "stale",
    "wsjf-inversion": "WSJF order",
}

_WHY_NEXT: dict[str, tuple[str, str]] = {
    "unaligned": (
        "Work that serves no strategic theme spends capacity the strategy did not fund.",
        "Ask the owner which theme it serves and tag it, or stop it.",
    ),
    "retired-theme": (
        "It serves only a theme whose window has ended.",
        "Move it to an active theme or close it.",
    ),
    "theme-mismatch": (
        "A feature and its epic disagree on the theme, so allocation counts it twice over.",
        "Align the feature's theme with its epic's, or re-parent it.",
    ),
    "orphan-feature": (
        "A feature without a portfolio epic is invisible to portfolio decisions.",
        "Link it to the epic it delivers, or raise an epic for it.",
    ),
    "premature-start": (
        "Building started before the epic was approved.",
        "Pause the feature or take the epic through its review.",
    ),
    "allocation-drift": (
        "The share of work on this theme is off its guardrail.",
        "Rebalance at the next portfolio sync: start or stop work on this theme.",
    ),
    "wip-breach": (
        "Too much in progress at once slows everything in this state.",
        "Finish or pull back items here before starting new ones.",
    ),
    "wip-starved": (
        "Too little here leaves the next state without work.",
        "Pull the next items in from the state before.",
    ),
    "aging": (
        "It has sat in this state past the state's limit.",
        "Ask the owner what blocks it; split it, unblock it or stop it.",
    ),
    "stale": (
        "Nobody has touched it for a long time; its data may be wrong.",
        "Ask the owner to update it or close it.",
    ),
    "wsjf-inversion": (
        "Lower-value work started while higher-WSJF work waits.",
        "Review the order at the next prioritisation.",
    ),
}


@dataclass(frozen=True, slots=True)
class Explanation:
    headline: str
    why: str
    next_step: str
    badge: str


def explain(finding: Finding) -> Explanation:
    """The finding's own message as the headline, with the rule's reason and next step."""
    why, next_step = _WHY_NEXT.get(finding.rule, ("", "Review it."))
    return Explanation(finding.message, why, next_step, BADGES.get(finding.rule, finding.rule))
