"""What every check needs, computed once per run (see `build`): items grouped by state and
level, the theme assignments and what they mean today, and helpers that build findings alike.

Hot loops key items by `(source, key)` tuples: hashing them is far cheaper than building and
hashing `ItemRef`s for 100,000 items.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from lpmsync.analysis.fingerprint import fingerprint
from lpmsync.analysis.themes import NO_MATCH, ItemKey, ThemeStatus
from lpmsync.domain.findings import Finding, JsonValue, Scope, Subject
from lpmsync.domain.model import ItemRef, Level, WorkItem
from lpmsync.domain.policies import PortfolioPolicy, RuleConfig, Theme
from lpmsync.domain.report import ThemeAssignment

SECONDS_PER_DAY = 86_400.0
LIST_LIMIT = 50
"""At most this many item keys go into one finding's evidence (the count is always exact)."""

Cell = tuple[str, Level]


class Alignment(StrEnum):
    ALIGNED = "aligned"  # serves at least one active theme
    RETIRED = "retired"  # serves no active theme, but at least one retired one
    UNALIGNED = "unaligned"  # serves no theme, or only themes whose window has not begun


@dataclass(frozen=True, slots=True)
class ThemeView:
    """What a set of themes means today (computed once per distinct set)."""

    alignment: Alignment
    primary: str | None  # the first active theme, else the first theme
    active: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Split:
    """One cell's items by alignment."""

    aligned: int
    unaligned: Sequence[WorkItem]
    retired: Sequence[WorkItem]


@dataclass(frozen=True, slots=True)
class Context:
    policy: PortfolioPolicy
    now: datetime
    today: date
    items: Sequence[WorkItem]
    by_key: Mapping[ItemKey, WorkItem]
    by_cell: Mapping[Cell, Sequence[WorkItem]]
    outside: Sequence[WorkItem]  # unmapped, or in a state the Kanban does not have
    state_index: Mapping[str, int]
    assignments: Mapping[ItemKey, ThemeAssignment]
    views: Mapping[tuple[str, ...], ThemeView]
    themes: Mapping[str, Theme]
    status: Mapping[str, ThemeStatus]
    entered: Mapping[ItemKey, datetime]  # from the history: when the item entered its status
    splits: dict[Cell, Split]  # filled on demand by `split`
    cell_assignments: dict[Cell, list[ThemeAssignment]]  # filled on demand by `assignments_in`
    cell_epics: dict[str, list[WorkItem | None]]  # filled on demand by `epics_in`

    def rule(self, rule_id: str) -> RuleConfig | None:
        """The rule's configuration, or None when it is turned off."""
        config = self.policy.rule(rule_id)
        return config if config.enabled else None

    def active_states(self, config: RuleConfig) -> tuple[str, ...]:
        states = self.policy.active_states
        return states if config.active_states is None else config.active_states

    def in_states(
        self, states: Iterable[str], levels: Iterable[Level] = tuple(Level)
    ) -> list[WorkItem]:
        wanted = tuple(levels)
        found: list[WorkItem] = []
        for state in states:
            for level in wanted:
                found += self.cell(state, level)
        return found

    def selected(self, config: RuleConfig, only: Level | None = None) -> list[WorkItem]:
        """Active items as the rule counts them: its states and levels (or just `only`)."""
        levels = [level for level in config.levels if only is None or level is only]
        return self.in_states(self.active_states(config), levels)

    def cell(self, state: str, level: Level) -> Sequence[WorkItem]:
        return self.by_cell.get((state, level), ())

    def find(self, ref: ItemRef | None) -> WorkItem | None:
        return None if ref is None else self.by_key.get((ref.source, ref.key))

    def epic(self, feature: WorkItem) -> WorkItem | None:
        """The feature's parent, when it is in the portfolio and is an epic."""
        ref = feature.parent
        if ref is None:
            return None
        parent = self.by_key.get((ref.source, ref.key))
        return parent if parent is not None and parent.level is Level.EPIC else None

    def assignment(self, item: WorkItem) -> ThemeAssignment:
        return self.assignments.get((item.source, item.key), NO_MATCH)

    def view(self, item: WorkItem) -> ThemeView:
        return self.views[self.assignment(item).themes]

    def assignments_in(self, state: str, level: Level) -> Sequence[ThemeAssignment]:
        """The assignment of each of the cell's items, in the cell's order: looked up once per
        run and shared by the checks (the assignments themselves are a few shared objects)."""
        cell = (state, level)
        found = self.cell_assignments.get(cell)
        if found is None:
            assignments = self.assignments
            found = self.cell_assignments[cell] = [
                assignments[(item.source, item.key)] for item in self.by_cell.get(cell, ())
            ]
        return found

    def epics_in(self, state: str) -> Sequence[WorkItem | None]:
        """The epic (`epic`) of each feature in the state, in the cell's order: the one walk over
        parents that the hierarchy checks and the forecasts share."""
        found = self.cell_epics.get(state)
        if found is None:
            by_key, epic_level = self.by_key, Level.EPIC
            found = self.cell_epics[state] = []
            for feature in self.cell(state, Level.FEATURE):
                ref = feature.parent
                parent = None if ref is None else by_key.get((ref.source, ref.key))
                found.append(parent if parent is not None and parent.level is epic_level else None)
        return found

    def split(self, state: str, level: Level) -> Split:
        """The cell's items by alignment, computed once per cell."""
        cell = (state, level)
        found = self.splits.get(cell)
        if found is None:
            found = self.splits[cell] = self._split(cell)
        return found

    def _split(self, cell: Cell) -> Split:
        aligned = 0
        unaligned: list[WorkItem] = []
        retired: list[WorkItem] = []
        views = self.views
        members = self.by_cell.get(cell, ())
        for item, assignment in zip(members, self.assignments_in(*cell), strict=True):
            alignment = views[assignment.themes].alignment
            if alignment is Alignment.ALIGNED:
                aligned += 1
            elif alignment is Alignment.RETIRED:
                retired.append(item)
            else:
                unaligned.append(item)
        return Split(aligned, unaligned, retired)

    def item_finding(
        self,
        rule: str,
        config: RuleConfig,
        item: WorkItem,
        message: str,
        evidence: Mapping[str, JsonValue],
        *identity: str,
    ) -> Finding:
        """A finding about one item: its scope carries the item's theme and value stream."""
        assignment = self.assignments.get((item.source, item.key), NO_MATCH)
        return Finding(
            rule=rule,
            severity=config.severity,
            fingerprint=fingerprint(rule, item.source, item.key, *identity),
            message=message,
            subject=Subject(item.source, item.key, item.title, item.url),
            scope=Scope(
                item.state, item.level, item.value_stream, self.views[assignment.themes].primary
            ),
            evidence={
                "item": item.key,
                "source": item.source,
                "state": item.state,
                "themes": list(assignment.themes),
                "theme_reason": assignment.reason,
                **({"owner": item.owner} if item.owner else {}),
                **evidence,
            },
        )

    def scope_finding(
        self,
        rule: str,
        config: RuleConfig,
        scope: Scope,
        message: str,
        evidence: Mapping[str, JsonValue],
    ) -> Finding:
        """A finding about a state, level, value stream or theme rather than one item."""
        identity = (
            scope.state,
            scope.level.value if scope.level is not None else None,
            scope.value_stream,
            scope.theme,
        )
        return Finding(
            rule=rule,
            severity=config.severity,
            fingerprint=fingerprint(rule, *("" if part is None else part for part in identity)),
            message=message,
            scope=scope,
            evidence=dict(evidence),
        )


class RefMapping(Mapping[ItemRef, ThemeAssignment]):
    """The assignments keyed by `ItemRef`, built on demand from the internal tuple-keyed dict."""

    def __init__(self, by_key: Mapping[ItemKey, ThemeAssignment]) -> None:
        self._by_key = by_key

    def __getitem__(self, ref: ItemRef) -> ThemeAssignment:
        if not isinstance(ref, ItemRef):
            raise KeyError(ref)
        return self._by_key[(ref.source, ref.key)]

    def __iter__(self) -> Iterator[ItemRef]:
        return (ItemRef(source, key) for source, key in self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, ItemRef) and (ref.source, ref.key) in self._by_key


def days_between(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / SECONDS_PER_DAY


def keys(items: Iterable[WorkItem]) -> list[JsonValue]:
    """Item references (`source:key`) for evidence, sorted and capped at LIST_LIMIT."""
    first = heapq.nsmallest(LIST_LIMIT, items, key=lambda item: (item.source, item.key))
    return [f"{item.source}:{item.key}" for item in first]


def describe(item: WorkItem) -> str:
    """'Epic PORT-12 (Implementing)': how messages name an item (titles stay in the subject)."""
    return f"{item.level.value.capitalize()} {item.key} ({item.state})"


def ref_name(ref: ItemRef, seen_from: str) -> str:
    """An item's key, qualified with its source when that differs from the viewer's."""
    return ref.key if ref.source == seen_from else str(ref)
