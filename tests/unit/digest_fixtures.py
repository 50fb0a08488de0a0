"""A hand-built `Analysis` for digest tests, sized by the caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lpmsync.domain.findings import Finding, RuleId, Scope, Severity, Subject
from lpmsync.domain.model import ItemRef, Level
from lpmsync.domain.policies import KanbanState, PortfolioPolicy, Theme, WipLimit
from lpmsync.domain.report import (
    AllocationRow,
    Analysis,
    ItemAge,
    ThemeAssignment,
    UnmappedItem,
    WipRow,
)

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
POLICY = PortfolioPolicy(
    name="Retail <Portfolio> & Co",
    timezone="Europe/Berlin",
    states=(
        KanbanState("Funnel"),
        KanbanState("Analyzing", (WipLimit(Level.EPIC, max=3),)),
        KanbanState("Implementing", (WipLimit(Level.EPIC, max=5, min=2),)),
        KanbanState("Done"),
    ),
    themes=(Theme("cx", "Customer <Experience>", target_share=0.4), Theme("data", "Data")),
)


def sample_analysis(
    *, unaligned: int = 3, unmapped: int = 2, aging: int = 4, title: str = "Epic"
) -> Analysis:
    findings = tuple(
        Finding(
            rule=RuleId.UNALIGNED,
            severity=Severity.WARNING,
            fingerprint=f"unaligned:jira:U-{i}",
            message=f"U-{i} serves no active theme",
            subject=Subject("jira", f"U-{i}", f"{title} {i}", f"https://jira.example/browse/U-{i}"),
            scope=Scope(state="Implementing", level=Level.EPIC),
        )
        for i in range(unaligned)
    )
    oldest = {
        "Implementing": tuple(
            ItemAge(
                source="jira",
                key=f"A-{i}",
                title=f"{title} aging {i}",
                url=f"https://jira.example/browse/A-{i}",
                level=Level.EPIC,
                state="Implementing",
                since=NOW - timedelta(days=100 - i),
                days=100 - i,
            )
            for i in range(aging)
        )
    }
    return Analysis(
        findings=findings,
        assignments={ItemRef("jira", "A-0"): ThemeAssignment(themes=("cx",), reason="label `cx`")},
        allocation=(
            AllocationRow("cx", "Customer <Experience>", 0.4, 0.55, 11.0),
            AllocationRow("data", "Data", None, 0.2, 4.0),
            AllocationRow("old", "Old theme", 0.1, 0.0, 0.0, retired=True, active=False),
        ),
        wip=(
            WipRow("Analyzing", Level.EPIC, None, 2, limit=3),
            WipRow("Implementing", Level.EPIC, None, 7, limit=5, min=2),
            WipRow("Implementing", Level.FEATURE, None, 0),
            WipRow("Implementing", Level.EPIC, "payments", 4, limit=3),
        ),
        alignment_rate=0.8,
        active_count=20,
        oldest=oldest,
        unmapped=tuple(
            UnmappedItem("ado", f"{1000 + i}", f"Weird <status> {i}") for i in range(unmapped)
        ),
        items_count=20 + unmapped,
    )
