"""View models of the item page and the findings page (pure, from a `Snapshot`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from lpmsync.domain.findings import Finding
from lpmsync.domain.model import ItemRef, StateChange, WorkItem
from lpmsync.domain.report import ThemeAssignment
from lpmsync.notify.wording import Names
from lpmsync.web.snapshot import SEVERITY_ORDER, UNALIGNED, Snapshot, item_path
from lpmsync.web.wording import Explanation, explain

FINDING_FILTERS = ("rule", "theme", "source", "severity")
SORTS = ("severity", "rule", "theme", "source", "item")


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    title: str
    path: str | None  # None: not in the store


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of the state history: the tracker status it moved into, and for how long."""

    at: datetime
    status: str
    from_status: str | None
    days: int


@dataclass(frozen=True, slots=True)
class ItemPage:
    item: WorkItem
    assignment: ThemeAssignment
    theme_names: tuple[str, ...]
    colour: str | None
    days_in_state: int
    max_age_days: int | None
    entered: datetime
    explanations: tuple[tuple[Finding, Explanation], ...]
    timeline: tuple[Step, ...]
    parent: Link | None
    children: tuple[Link, ...]


def item_page(snapshot: Snapshot, ref: ItemRef, history: Sequence[StateChange]) -> ItemPage | None:
    item = snapshot.items.get(ref)
    if item is None:
        return None
    assignment = snapshot.assignment(ref)
    entered = snapshot.entered.get(ref, item.updated)
    primary = assignment.primary
    return ItemPage(
        item=item,
        assignment=assignment,
        theme_names=tuple(snapshot.theme_names.get(key, key) for key in assignment.themes),
        colour=snapshot.theme_colours.get(primary) if primary else None,
        days_in_state=max(0, (snapshot.now - entered).days),
        max_age_days=next(
            (s.max_age_days for s in snapshot.policy.states if s.name == item.state), None
        ),
        entered=entered,
        explanations=tuple(
            (f, explain(f, Names(themes=snapshot.theme_names)))
            for f in snapshot.findings_by_item.get(ref, ())
        ),
        timeline=_timeline(history, ref, snapshot.now),
        parent=_link(snapshot, item.parent) if item.parent is not None else None,
        children=tuple(_link(snapshot, child.ref) for child in snapshot.children.get(ref, ())),
    )


def _link(snapshot: Snapshot, ref: ItemRef) -> Link:
    found = snapshot.items.get(ref)
    if found is None:
        return Link(str(ref), "not in the store (out of scope or deleted)", None)
    return Link(found.key, found.title, item_path(found.source, found.key))


def _timeline(history: Sequence[StateChange], ref: ItemRef, now: datetime) -> tuple[Step, ...]:
    """Newest first; each step lasts until the next one (the last until now)."""
    mine = sorted(
        (c for c in history if c.source == ref.source and c.key == ref.key), key=lambda c: c.at
    )
    if not mine:
        return ()
    ends = [change.at for change in mine[1:]] + [now]
    steps = [
        Step(c.at, c.to_status, c.from_status, max(0, (end - c.at).days))
        for c, end in zip(mine, ends, strict=True)
    ]
    return tuple(reversed(steps))


@dataclass(frozen=True, slots=True)
class FindingRow:
    finding: Finding
    explanation: Explanation
    theme: str  # theme key, "unaligned" or "" (not about one theme)
    theme_name: str
    source: str
    item: str  # the item's key, or what a portfolio-wide finding is about ("Implementing epics")
    path: str | None  # the item page, or the board narrowed to the finding's scope
    about_item: bool


@dataclass(frozen=True, slots=True)
class FindingsPage:
    rows: tuple[FindingRow, ...]
    total: int
    filters: Mapping[str, str]
    sort: str
    rules: tuple[str, ...]
    themes: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]
    severities: tuple[str, ...]

    def query(self, **changes: str) -> str:
        merged = {**self.filters, "sort": self.sort, **changes}
        pairs = [(k, v) for k, v in merged.items() if v and not (k == "sort" and v == "severity")]
        return "?" + urlencode(pairs) if pairs else ""


def findings_page(snapshot: Snapshot, query: Mapping[str, str]) -> FindingsPage:
    filters = {name: query.get(name, "") for name in FINDING_FILTERS}
    sort = query.get("sort", "severity")
    sort = sort if sort in SORTS else "severity"
    every = [_row(snapshot, finding) for finding in snapshot.analysis.findings]
    rows = [row for row in every if _matches(row, filters)]
    rows.sort(key=_sort_key(sort))
    return FindingsPage(
        rows=tuple(rows),
        total=len(every),
        filters=filters,
        sort=sort,
        rules=tuple(sorted({row.finding.rule for row in every})),
        themes=(*((t.key, t.name) for t in snapshot.policy.themes), (UNALIGNED, "unaligned")),
        sources=tuple(sorted({row.source for row in every if row.source})),
        severities=("critical", "warning", "info"),
    )


def _row(snapshot: Snapshot, finding: Finding) -> FindingRow:
    subject, theme = finding.subject, finding.scope.theme
    if subject is not None and theme is None:
        theme = snapshot.assignment(ItemRef(subject.source, subject.key)).primary or UNALIGNED
    return FindingRow(
        finding=finding,
        explanation=explain(finding, Names(themes=snapshot.theme_names)),
        theme=theme or "",
        theme_name=snapshot.theme_names.get(theme, theme) if theme else "",
        source=subject.source if subject else "",
        item=subject.key if subject else _scope_label(finding),
        path=item_path(subject.source, subject.key) if subject else _scope_board(finding),
        about_item=subject is not None,
    )


def _scope_label(finding: Finding) -> str:
    scope = finding.scope
    level = f"{scope.level.value}s" if scope.level is not None else "items"
    where = f"{scope.state} {level}" if scope.state else f"active {level}"
    return f"{where} in {scope.value_stream}" if scope.value_stream else where


def _scope_board(finding: Finding) -> str:
    """The board showing what a portfolio-wide finding counts."""
    scope = finding.scope
    pairs = [
        ("level", scope.level.value if scope.level is not None else ""),
        ("value_stream", scope.value_stream or ""),
        ("theme", scope.theme or ""),
    ]
    query = urlencode([(key, value) for key, value in pairs if value])
    return "/?" + query if query else "/"


def _matches(row: FindingRow, filters: Mapping[str, str]) -> bool:
    finding = row.finding
    return (
        (not filters["rule"] or finding.rule == filters["rule"])
        and (not filters["severity"] or finding.severity.value == filters["severity"])
        and (not filters["theme"] or row.theme == filters["theme"])
        and (not filters["source"] or row.source == filters["source"])
    )


def _sort_key(sort: str):  # type: ignore[no-untyped-def]
    def severity(row: FindingRow) -> tuple[object, ...]:
        return (SEVERITY_ORDER[row.finding.severity], row.finding.rule, row.source, row.item)

    keys = {
        "severity": severity,
        "rule": lambda row: (row.finding.rule, severity(row)),
        "theme": lambda row: (row.theme == "", row.theme, severity(row)),
        "source": lambda row: (row.source == "", row.source, severity(row)),
        "item": lambda row: (not row.about_item, row.source, row.item, row.finding.rule),
    }
    return keys[sort]
