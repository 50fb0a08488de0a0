"""Which findings `lpmsync report` shows: by rule, severity, theme, source, owner and state, most
severe and biggest first; and the same findings as CSV rows in plain words."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lpmsync.domain.findings import Finding
from lpmsync.notify.wording import Names, priority, subject_link, word

CSV_COLUMNS = (
    "severity",
    "rule",
    "source",
    "key",
    "type",
    "title",
    "url",
    "state",
    "theme",
    "value_stream",
    "owner",
    "headline",
    "facts",
    "next_step",
)


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """Each given list keeps findings whose value is in it; None keeps everything."""

    rules: Sequence[str] | None = None
    severities: Sequence[str] | None = None
    themes: Sequence[str] | None = None
    sources: Sequence[str] | None = None
    owners: Sequence[str] | None = None
    states: Sequence[str] | None = None

    def keeps(self, finding: Finding) -> bool:
        subject = finding.subject
        owner = finding.evidence.get("owner")
        checks = (
            (self.rules, finding.rule),
            (self.severities, finding.severity.value),
            (self.themes, finding.scope.theme),
            (self.sources, subject.source if subject else None),
            (self.owners, owner.lower() if isinstance(owner, str) else None),
            (self.states, finding.scope.state),
        )
        return all(wanted is None or value in wanted for wanted, value in checks)

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings kept, most severe first, then the biggest (age, size of a breach)."""
        return sorted((f for f in findings if self.keeps(f)), key=priority)

    @property
    def active(self) -> bool:
        return any(
            value is not None
            for value in (
                self.rules,
                self.severities,
                self.themes,
                self.sources,
                self.owners,
                self.states,
            )
        )


def owner_of(finding: Finding) -> str:
    owner = finding.evidence.get("owner")
    return owner if isinstance(owner, str) else ""


def findings_csv(findings: Iterable[Finding], names: Names) -> str:
    """One row per finding (CSV_COLUMNS), in plain words: what a spreadsheet user needs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for finding in findings:
        wording = word(finding, names)
        item = subject_link(finding)
        scope = finding.scope
        writer.writerow(
            (
                finding.severity.value,
                finding.rule,
                item.source if item else "",
                item.key if item else "",
                item.kind if item else "",
                item.title if item else "",
                item.url if item else "",
                scope.state or "",
                scope.theme or "",
                scope.value_stream or "",
                owner_of(finding),
                wording.headline,
                wording.facts,
                wording.next_step,
            )
        )
    return buffer.getvalue()
