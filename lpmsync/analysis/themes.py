"""Theme mapping with reasons: which strategic themes each item serves, and why.

Explicit theme-field values win: an item whose field values name a theme (a `field` match value,
or the theme's name or key, case-insensitively) serves exactly those themes. Otherwise every
theme whose match rules hit serves the item; within a theme the first rule (in configuration
order) that hits gives the reason. A feature that matches nothing of its own inherits its epic's
themes. Rules are compiled once; exact values are looked up in dictionaries, so mapping is linear
in the number of items.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from lpmsync.domain.model import ItemRef, Level, WorkItem
from lpmsync.domain.policies import MatchKind, Theme
from lpmsync.domain.report import ThemeAssignment

NO_MATCH = ThemeAssignment()
_T = TypeVar("_T")


class ThemeStatus(StrEnum):
    UPCOMING = "upcoming"  # its active window has not begun
    ACTIVE = "active"
    RETIRED = "retired"  # past its active window


def theme_status(theme: Theme, today: date) -> ThemeStatus:
    """Where `today` falls in the theme's window; both ends are inclusive."""
    if theme.active_from is not None and today < theme.active_from:
        return ThemeStatus.UPCOMING
    if theme.active_until is not None and today > theme.active_until:
        return ThemeStatus.RETIRED
    return ThemeStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class _Rule:
    """One match rule of one theme: `theme` is the theme's position, `rank` the rule's."""

    theme: int
    rank: int
    kind: MatchKind


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: _Rule
    reason: str


_WORDS = {
    MatchKind.FIELD: "field",
    MatchKind.LABEL: "label",
    MatchKind.TAG: "tag",
    MatchKind.COMPONENT: "component",
    MatchKind.AREA_PATH: "area path",
    MatchKind.PARENT: "parent",
    MatchKind.TITLE_REGEX: "title matches",
}


def _reason(kind: MatchKind, value: str) -> str:
    return f"{_WORDS[kind]} `{value}`"


def _fold(value: str) -> str:
    return value.strip().casefold()


def _path(value: str) -> str:
    """Area paths compare with either separator and in any case (Azure DevOps ignores case)."""
    return value.replace("\\", "/").casefold()


_Best = dict[int, _Hit]  # theme position -> the winning hit for that theme


@dataclass(frozen=True, slots=True)
class _Known:
    """What an item's fields other than its title map to (shared by items with equal fields)."""

    assignment: ThemeAssignment
    best: _Best
    by_field: bool


class ThemeMapper:
    """Compiled match rules of all themes.

    Items with the same field values, labels, components and area path map alike, so that part
    is computed once per distinct combination; only parent keys and title patterns are checked
    per item (a dictionary lookup and the title regexes).
    """

    def __init__(self, themes: Sequence[Theme]) -> None:
        self._keys = tuple(theme.key for theme in themes)
        self._fields: dict[str, list[int]] = {}
        self._labels: dict[str, list[_Hit]] = {}
        self._components: dict[str, list[_Hit]] = {}
        self._parents: dict[str, list[_Hit]] = {}
        self._globs: list[tuple[re.Pattern[str], _Hit]] = []
        self._titles: list[tuple[re.Pattern[str], _Hit]] = []
        self._known: dict[tuple[object, ...], _Known] = {}
        self._interned: dict[tuple[tuple[int, str], ...], ThemeAssignment] = {}
        for index, theme in enumerate(themes):
            self._compile(index, theme)

    def _compile(self, index: int, theme: Theme) -> None:
        for value in (theme.key, theme.name):
            _add(self._fields, _fold(value), index)
        for rank, match in enumerate(theme.match):
            rule = _Rule(index, rank, match.kind)
            for value in match.values:
                self._compile_value(rule, value)

    def _compile_value(self, rule: _Rule, value: str) -> None:
        kind = rule.kind
        hit = _Hit(rule, _reason(kind, value))
        if kind is MatchKind.FIELD:
            _add(self._fields, _fold(value), rule.theme)
        elif kind in (MatchKind.LABEL, MatchKind.TAG):
            _add(self._labels, _fold(value), hit)
        elif kind is MatchKind.COMPONENT:
            _add(self._components, _fold(value), hit)
        elif kind is MatchKind.PARENT:
            # Keys are identifiers: matched exactly, as `KEY` (any source) or `source:KEY`.
            _add(self._parents, value.strip(), hit)
        elif kind is MatchKind.AREA_PATH:
            self._globs.append((re.compile(fnmatch.translate(_path(value))), hit))
        else:
            self._titles.append((re.compile(value), hit))

    def own(self, item: WorkItem) -> ThemeAssignment:
        """The item's themes from its own fields (no inheritance)."""
        signature = (item.theme_values, item.labels, item.components, item.area_path)
        known = self._known.get(signature)
        if known is None:
            known = self._learn(item)
            self._known[signature] = known
        if known.by_field:
            return known.assignment
        extra = []
        if self._titles:
            title = item.title
            extra = [hit for pattern, hit in self._titles if pattern.search(title)]
        parent = item.parent
        if parent is not None and self._parents:
            extra += self._parents.get(parent.key, ())
            extra += self._parents.get(f"{parent.source}:{parent.key}", ())
        if not extra:
            return known.assignment
        best = dict(known.best)
        for hit in extra:
            _keep_best(best, hit)
        return self._intern(best)

    def _learn(self, item: WorkItem) -> _Known:
        by_field: _Best = {}
        for value in item.theme_values:
            for theme in self._fields.get(_fold(value), ()):
                hit = _Hit(_Rule(theme, -1, MatchKind.FIELD), _reason(MatchKind.FIELD, value))
                by_field.setdefault(theme, hit)
        if by_field:
            return _Known(self._intern(by_field), by_field, by_field=True)
        best: _Best = {}
        for index, values in ((self._labels, item.labels), (self._components, item.components)):
            for value in values:
                for hit in index.get(_fold(value), ()):
                    _keep_best(best, hit)
        if item.area_path:
            path = _path(item.area_path)
            for pattern, hit in self._globs:
                if pattern.match(path):
                    _keep_best(best, hit)
        return _Known(self._intern(best), best, by_field=False)

    def _intern(self, best: Mapping[int, _Hit]) -> ThemeAssignment:
        """One assignment object per distinct outcome: cheap to hold for 100,000 items."""
        identity = tuple(sorted((theme, hit.reason) for theme, hit in best.items()))
        assignment = self._interned.get(identity)
        if assignment is None:
            assignment = self._assignment(dict(identity))
            self._interned[identity] = assignment
        return assignment

    def _assignment(self, reasons: Mapping[int, str]) -> ThemeAssignment:
        if not reasons:
            return NO_MATCH
        keys = tuple(self._keys[index] for index in reasons)
        by_key = {self._keys[index]: reason for index, reason in reasons.items()}
        if len(keys) == 1:
            return ThemeAssignment(keys, by_key[keys[0]], by_key)
        text = "; ".join(f"{key}: {reason}" for key, reason in by_key.items())
        return ThemeAssignment(keys, text, by_key)


def _keep_best(best: _Best, hit: _Hit) -> None:
    current = best.get(hit.rule.theme)
    if current is None or hit.rule.rank < current.rule.rank:
        best[hit.rule.theme] = hit


def _add(index: dict[str, list[_T]], key: str, value: _T) -> None:
    entries = index.setdefault(key, [])
    if value not in entries:
        entries.append(value)


ItemKey = tuple[str, str]  # (source, key): cheaper to hash than ItemRef in hot loops


def assign_themes(
    themes: Sequence[Theme], by_key: Mapping[ItemKey, WorkItem]
) -> dict[ItemKey, ThemeAssignment]:
    """Map every item; features without a match of their own inherit their epic's themes.

    Parents are looked up by source and key (an epic may live in another source). One pass:
    what a feature inherits is worked out once per epic (from the epic's own themes: epics
    inherit nothing) and per "in the epic's source or not", which the reason's wording
    depends on.
    """
    mapper = ThemeMapper(themes)
    assignments: dict[ItemKey, ThemeAssignment] = {}
    inherit: dict[_Inheriting, ThemeAssignment] = {}  # NO_MATCH: nothing to inherit
    for key, item in by_key.items():
        assignment = mapper.own(item)
        parent = item.parent
        if assignment is NO_MATCH and parent is not None and item.level is Level.FEATURE:
            wanted = (parent.source, parent.key, parent.source == item.source)
            inherited = inherit.get(wanted)
            if inherited is None:
                inherited = inherit[wanted] = _inheritance(mapper, by_key, wanted)
            assignment = inherited
        assignments[key] = assignment
    return assignments


_Inheriting = tuple[str, str, bool]  # the epic's source and key; the feature in that source?


def _inheritance(
    mapper: ThemeMapper, by_key: Mapping[ItemKey, WorkItem], wanted: _Inheriting
) -> ThemeAssignment:
    source, key, same_source = wanted
    epic = by_key.get((source, key))
    if epic is None or epic.level is not Level.EPIC:
        return NO_MATCH
    theirs = mapper.own(epic)
    return _inherited(theirs, epic.ref, same_source) if theirs.themes else NO_MATCH


def _inherited(epic: ThemeAssignment, epic_ref: ItemRef, same_source: bool) -> ThemeAssignment:
    name = epic_ref.key if same_source else str(epic_ref)
    reason = f"inherited from {name}"
    return ThemeAssignment(
        themes=epic.themes,
        reason=reason,
        reasons=dict.fromkeys(epic.themes, reason),
        inherited_from=epic_ref,
    )
