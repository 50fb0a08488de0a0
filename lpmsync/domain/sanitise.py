"""What the store accepts from a tracker page: pure rules, the same on SQLite and PostgreSQL.

An item is either stored sanitised or skipped with a reason; it never fails its page:

- text is cleaned (`lpmsync.domain.text.clean_text`) and cut at a documented length: titles at
  `TITLE_LIMIT`, area paths at `PATH_LIMIT`, every other text (status, owner, value stream,
  each label, component and theme value) at `NAME_LIMIT` characters;
- an identifier (key, id, parent key) is never altered, since it names the item in the tracker:
  one longer than `KEY_LIMIT` or holding characters `clean_text` removes skips the item;
- an estimate or WSJF input that is not a finite number (NaN, Infinity) skips the item.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from operator import attrgetter

from lpmsync.domain.model import SkippedItem, StateChange, WorkItem, WsjfInputs
from lpmsync.domain.sync import SyncPage
from lpmsync.domain.text import clean_text, is_clean

KEY_LIMIT = 255
NAME_LIMIT = 255
TITLE_LIMIT = 500
PATH_LIMIT = 1000
REASON_LIMIT = 500


class RefusedItemError(ValueError):
    """The item cannot be stored as it is; `reason` says why, in the operator's words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def sanitise_page(page: SyncPage) -> tuple[SyncPage, tuple[SkippedItem, ...]]:
    """The page as the store may hold it, and the items it refused (with the reason)."""
    kept: list[WorkItem] = []
    refused: list[SkippedItem] = []
    refused_keys: set[str] = set()
    for item in page.items:
        try:
            kept.append(sanitise_item(item))
        except RefusedItemError as error:
            refused.append(skipped_item(item.source, item.key, error.reason))
            refused_keys.add(item.key)
    kept_keys = {item.key for item in kept}  # identifiers sanitise_item has checked
    statuses: dict[tuple[str | None, str], tuple[str | None, str]] = {}  # few distinct pairs
    if _history_clean(page.history, kept_keys, statuses):
        history = tuple(page.history)
    else:
        history = tuple(
            _change(change, statuses)
            for change in page.history
            if change.key in kept_keys or _identifier_ok(change.key, refused_keys)
        )
    clean = dataclasses.replace(
        page,
        items=tuple(kept),
        history=history,
        skipped=tuple(skipped_item(s.source, s.key, s.reason) for s in page.skipped),
    )
    return clean, tuple(refused)


_KEY = attrgetter("key")
_STATUSES = attrgetter("from_status", "to_status")


def _history_clean(
    history: Sequence[StateChange],
    kept_keys: set[str],
    statuses: dict[tuple[str | None, str], tuple[str | None, str]],
) -> bool:
    """True when every change belongs to a kept item and has clean statuses (the usual page),
    found in two passes that stay in C instead of a Python step per change."""
    if not kept_keys.issuperset(map(_KEY, history)):
        return False
    for pair in set(map(_STATUSES, history)):
        cleaned = statuses[pair] = (
            _optional(pair[0], NAME_LIMIT),
            clean_text(pair[1], NAME_LIMIT),
        )
        if cleaned != pair:
            return False
    return True


def skipped_item(source: str, key: str, reason: str) -> SkippedItem:
    """A skipped item whose key and reason are safe to store and show."""
    return SkippedItem(
        source, clean_text(key, KEY_LIMIT) or "(blank key)", clean_text(reason, REASON_LIMIT)
    )


def sanitise_item(item: WorkItem) -> WorkItem:
    """`item` with clean, bounded text; raises `RefusedItemError` when it cannot be stored."""
    parent = item.parent.key if item.parent is not None else None
    if not _identifiers_ok(item.key, item.id, parent):  # say which one, in words
        _check_identifier(item.key, "key")
        _check_identifier(item.id, "id")
        if parent is not None:
            _check_identifier(parent, "parent key")
    # Nearly every item is clean already: one scan of all its text instead of one per field.
    return item if _already_clean(item) else cleaned_item(item)


def _identifiers_ok(key: str, ident: str, parent: str | None) -> bool:
    """The identifier rules of `_check_identifier` for all of them at once (one text scan)."""
    parent = "." if parent is None else parent  # a clean, non-blank stand-in
    return (
        0 < len(key) <= KEY_LIMIT
        and 0 < len(ident) <= KEY_LIMIT
        and 0 < len(parent) <= KEY_LIMIT
        and is_clean(key + ident + parent)
    )


def _already_clean(item: WorkItem) -> bool:
    """True when `cleaned_item` would return `item` unchanged (kept cheap: it runs per item)."""
    names = item.theme_values + item.labels + item.components
    single = (item.status, item.state, item.value_stream or "", item.owner or "", *names)
    area = item.area_path or ""
    wsjf = item.wsjf
    numbers = (
        item.estimate,
        wsjf.business_value,
        wsjf.time_criticality,
        wsjf.risk_reduction,
        wsjf.job_size,
    )
    return (
        len(item.title) <= TITLE_LIMIT
        and len(area) <= PATH_LIMIT
        and max(map(len, single)) <= NAME_LIMIT
        and (not names or all(map(_trimmed, names)))
        and _distinct(item.theme_values)
        and _distinct(item.labels)
        and _distinct(item.components)
        and "" not in (item.value_stream, item.owner, item.area_path)
        # NaN and infinities survive a sum; an overflowing sum only takes the slow path.
        and math.isfinite(sum(number for number in numbers if number is not None))
        and is_clean("".join((item.title, item.url, area, *single)))
    )


def _trimmed(name: str) -> bool:
    return bool(name) and name == name.strip()


def _distinct(values: tuple[str, ...]) -> bool:
    return len(values) < 2 or len(set(values)) == len(values)


def cleaned_item(item: WorkItem) -> WorkItem:
    """Every text of `item` cleaned and bounded field by field (identifiers already checked)."""
    return dataclasses.replace(
        item,
        title=clean_text(item.title, TITLE_LIMIT),
        url=clean_text(item.url),
        status=clean_text(item.status, NAME_LIMIT),
        state=clean_text(item.state, NAME_LIMIT),
        theme_values=_names(item.theme_values),
        labels=_names(item.labels),
        components=_names(item.components),
        area_path=_optional(item.area_path, PATH_LIMIT),
        value_stream=_optional(item.value_stream, NAME_LIMIT),
        owner=_optional(item.owner, NAME_LIMIT),
        estimate=_finite(item.estimate, "estimate"),
        wsjf=WsjfInputs(
            business_value=_finite(item.wsjf.business_value, "business value"),
            time_criticality=_finite(item.wsjf.time_criticality, "time criticality"),
            risk_reduction=_finite(item.wsjf.risk_reduction, "risk reduction"),
            job_size=_finite(item.wsjf.job_size, "job size"),
        ),
    )


def _check_identifier(value: str, what: str) -> None:
    if len(value) > KEY_LIMIT:
        raise RefusedItemError(f"{what} is longer than {KEY_LIMIT} characters ({len(value)})")
    if not value or not is_clean(value):
        raise RefusedItemError(f"{what} is blank or holds control or invisible characters")


def _identifier_ok(key: str, refused: set[str]) -> bool:
    return len(key) <= KEY_LIMIT and bool(key) and is_clean(key) and key not in refused


def _change(
    change: StateChange, statuses: dict[tuple[str | None, str], tuple[str | None, str]]
) -> StateChange:
    """The change with clean statuses; `statuses` remembers each pair once per page (a page
    has thousands of changes between a handful of statuses)."""
    pair = (change.from_status, change.to_status)
    cleaned = statuses.get(pair)
    if cleaned is None:
        cleaned = statuses[pair] = (
            _optional(change.from_status, NAME_LIMIT),
            clean_text(change.to_status, NAME_LIMIT),
        )
    if cleaned == pair:
        return change
    return StateChange(change.source, change.key, change.at, *cleaned)


def _optional(text: str | None, limit: int) -> str | None:
    return None if text is None else clean_text(text, limit) or None


def _names(values: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = (clean_text(value, NAME_LIMIT).strip() for value in values)
    return tuple(dict.fromkeys(value for value in cleaned if value))


def _finite(value: float | None, what: str) -> float | None:
    if value is not None and not math.isfinite(value):
        raise RefusedItemError(f"{what} is not a finite number ({value})")
    return value
