"""The report use case: analyse what the store holds against the configured policy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from difflib import get_close_matches
from typing import Any, Protocol

from lpmsync.analysis import analyse, report_json
from lpmsync.domain.findings import RuleId
from lpmsync.domain.model import StateChange, WorkItem
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.report import Analysis
from lpmsync.services.clock import Clock
from lpmsync.settings import Settings, to_policy

RULE_IDS: tuple[str, ...] = tuple(rule.value for rule in RuleId)


class ItemSource(Protocol):
    """What the report reads: the store's item repository fits."""

    def load(self, sources: Iterable[str] | None = None) -> list[WorkItem]: ...

    def history(self, sources: Iterable[str] | None = None) -> Sequence[StateChange]: ...


@dataclass(frozen=True, slots=True)
class Report:
    """One analysis of the store, with the policy it was made against and when."""

    policy: PortfolioPolicy
    analysis: Analysis
    generated_at: datetime

    def as_json(self) -> dict[str, Any]:
        """The documented JSON report (docs/report.md)."""
        return report_json(self.analysis, self.policy, self.generated_at)

    def only(self, rules: Iterable[str]) -> Report:
        """The same report with only the findings of `rules` (aggregates unchanged)."""
        wanted = frozenset(rules)
        findings = tuple(finding for finding in self.analysis.findings if finding.rule in wanted)
        return replace(self, analysis=replace(self.analysis, findings=findings))


def build_report(settings: Settings, items: ItemSource, clock: Clock) -> Report:
    """Analyse every stored item as of `clock()`.

    The state history feeds the flow metrics, and dates an item's entry into its state where
    `entered_state_at` is missing.
    """
    policy = to_policy(settings)
    now = clock()
    return Report(policy, analyse(items.load(), policy, now, items.history()), now)


def unknown_rule(rule_id: str) -> str | None:
    """None for a known rule id, else an error message with a did-you-mean where one is close."""
    if rule_id in RULE_IDS:
        return None
    close = get_close_matches(rule_id, RULE_IDS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown rule id {rule_id!r}{hint}; expected one of {', '.join(RULE_IDS)}"
