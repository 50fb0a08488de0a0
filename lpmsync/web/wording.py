"""A finding on the board in the same plain words as in Slack and the CLI.

The words come from the shared per-rule wording (`lpmsync.notify.wording`): a headline, why it
matters, the facts and the next step. The board adds a short badge per rule for its cards.
"""

from __future__ import annotations

from dataclasses import dataclass

from lpmsync.domain.findings import Finding
from lpmsync.notify.wording import Names, word

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
    "forecast-risk": "late forecast",
}


@dataclass(frozen=True, slots=True)
class Explanation:
    headline: str
    why: str
    facts: str
    next_step: str
    badge: str


def explain(finding: Finding, names: Names | None = None) -> Explanation:
    """The finding in plain words, with its rule's badge."""
    words = word(finding, names)
    badge = BADGES.get(finding.rule, finding.rule)
    return Explanation(words.headline, words.why, words.facts, words.next_step, badge)
