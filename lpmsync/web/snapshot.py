"""The portfolio as the pages see it, indexed once per sync (pure: no clock, no I/O).

Every page request filters and groups these precomputed cards; nothing here is rebuilt until the
store's last run changes (`version`, which is also the pages' ETag).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from lpmsync.domain.findings import Finding, Severity
from lpmsync.domain.history import as_history, last_entries
from lpmsync.domain.model import ItemRef, StateChange, WorkItem
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.report import Analysis, ThemeAssignment
from lpmsync.web.wording import BADGES

DONE_WINDOW = timedelta(days=30)
UNALIGNED = "unaligned"
# Distinct on white, readable as a stripe; themes take them in configuration order.
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f",
)  # fmt: skip
UNALIGNED_COLOUR = "#b0b0b0"
SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Badge:
    rule: str
    label: str
    severity: str


@dataclass(frozen=True, slots=True)
class Card:
    source: str
    key: str
    level: str
    title: str
    url: str
    path: str  # this item's page
    state: str
    theme: str  # theme key, or "unaligned"
    theme_name: str
    colour: str
    value_stream: str | None
    owner: str | None
    days: int  # whole days in its current state
    max_age_days: int | None
    badges: tuple[Badge, ...]
    on_board: bool  # False: done more than 30 days ago

    @property
    def aging(self) -> bool:
        return self.max_age_days is not None and self.days > self.max_age_days

    @property
    def flagged(self) -> bool:
        return bool(self.badges)


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: str
    now: datetime
    policy: PortfolioPolicy
    analysis: Analysis
    items: Mapping[ItemRef, WorkItem]
    cards: tuple[Card, ...]  # in Kanban order, then oldest in state first
    children: Mapping[ItemRef, tuple[WorkItem, ...]]
    findings_by_item: Mapping[ItemRef, tuple[Finding, ...]]
    entered: Mapping[ItemRef, datetime]
    theme_names: Mapping[str, str]
    theme_colours: Mapping[str, str]
    last_sync: datetime | None = None

    def assignment(self, ref: ItemRef) -> ThemeAssignment:
        return self.analysis.assignments.get(ref) or ThemeAssignment()


def item_path(source: str, key: str) -> str:
    return f"/items/{quote(source, safe='')}/{quote(key, safe='')}"


def build_snapshot(
    items: Sequence[WorkItem],
    history: Sequence[StateChange],
    analysis: Analysis,
    policy: PortfolioPolicy,
    *,
    now: datetime,
    version: str,
    last_sync: datetime | None = None,
) -> Snapshot:
    by_ref = {item.ref: item for item in items}
    entered = entered_dates(by_ref.values(), history)
    findings = _findings_by_item(analysis.findings)
    names = {theme.key: theme.name for theme in policy.themes}
    colours = {theme.key: PALETTE[i % len(PALETTE)] for i, theme in enumerate(policy.themes)}
    order = {state.name: index for index, state in enumerate(policy.states)}
    facts = _CardFacts(
        now=now,
        done_state=policy.done_state,
        analysis=analysis,
        findings=findings,
        names=names,
        colours=colours,
        max_age={state.name: state.max_age_days for state in policy.states},
    )
    cards = [
        _card(item, entered[item.ref], facts) for item in by_ref.values() if item.state in order
    ]
    cards.sort(key=lambda card: (order[card.state], -card.days, card.source, card.key))
    return Snapshot(
        version=version,
        now=now,
        policy=policy,
        analysis=analysis,
        items=by_ref,
        cards=tuple(cards),
        children=_children(by_ref.values()),
        findings_by_item=findings,
        entered=entered,
        theme_names=names,
        theme_colours=colours,
        last_sync=last_sync,
    )


def entered_dates(
    items: Iterable[WorkItem], history: Sequence[StateChange]
) -> dict[ItemRef, datetime]:
    """When each item entered its state: `entered_state_at`, else the last transition into its
    current status, else its last update (the same fallbacks as the analysis)."""
    known = list(items)
    status = {(i.source, i.key): i.status for i in known if i.entered_state_at is None}
    latest = last_entries(as_history(history), status) if status else {}
    return {i.ref: i.entered_state_at or latest.get((i.source, i.key)) or i.updated for i in known}


def _children(items: Iterable[WorkItem]) -> dict[ItemRef, tuple[WorkItem, ...]]:
    children: dict[ItemRef, list[WorkItem]] = defaultdict(list)
    for item in items:
        if item.parent is not None:
            children[item.parent].append(item)
    return {ref: tuple(sorted(kids, key=_by_key)) for ref, kids in children.items()}


def _findings_by_item(findings: Sequence[Finding]) -> dict[ItemRef, tuple[Finding, ...]]:
    grouped: dict[ItemRef, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.subject is not None:
            grouped[ItemRef(finding.subject.source, finding.subject.key)].append(finding)
    return {
        ref: tuple(sorted(found, key=lambda f: (SEVERITY_ORDER[f.severity], f.rule)))
        for ref, found in grouped.items()
    }


@dataclass(frozen=True, slots=True)
class _CardFacts:
    now: datetime
    done_state: str
    analysis: Analysis
    findings: Mapping[ItemRef, tuple[Finding, ...]]
    names: Mapping[str, str]
    colours: Mapping[str, str]
    max_age: Mapping[str, int | None]


def _card(item: WorkItem, since: datetime, facts: _CardFacts) -> Card:
    now, names, colours = facts.now, facts.names, facts.colours
    assignment = facts.analysis.assignments.get(item.ref)
    theme = assignment.primary if assignment is not None else None
    badges = tuple(
        Badge(f.rule, BADGES.get(f.rule, f.rule), f.severity.value)
        for f in facts.findings.get(item.ref, ())
    )
    done = item.state == facts.done_state
    return Card(
        source=item.source,
        key=item.key,
        level=item.level.value,
        title=item.title,
        url=item.url,
        path=item_path(item.source, item.key),
        state=item.state,
        theme=theme or UNALIGNED,
        theme_name=names.get(theme, theme) if theme else UNALIGNED,
        colour=colours.get(theme, UNALIGNED_COLOUR) if theme else UNALIGNED_COLOUR,
        value_stream=item.value_stream,
        owner=item.owner,
        days=max(0, (now - since).days),
        max_age_days=None if done else facts.max_age.get(item.state),
        badges=badges,
        on_board=not done or now - since <= DONE_WINDOW,
    )


def _by_key(item: WorkItem) -> tuple[str, str]:
    return item.source, item.key
