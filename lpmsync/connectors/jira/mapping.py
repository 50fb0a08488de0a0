"""Raw Jira issue JSON -> domain items and state changes. Pure: no I/O, no clock.

The same code maps Jira Cloud (v3 `issue/bulkfetch` + `changelog/bulkfetch`) and Data Center
(v2 `search` with `expand=changelog`): the issue shapes agree on every field lpmsync reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lpmsync.connectors.jira.history import entered_state_at, histories_of, status_changes
from lpmsync.connectors.jira.values import (
    JSON_OBJECT,
    MalformedValueError,
    due_date,
    issue_key_of,
    named,
    names,
    number,
    parse_datetime,
    person,
    texts,
)
from lpmsync.domain.findings import JsonValue
from lpmsync.domain.model import (
    UNMAPPED,
    ItemRef,
    Level,
    SkippedItem,
    StateChange,
    WorkItem,
    WsjfInputs,
)

SYSTEM_FIELDS = (
    "summary",
    "status",
    "issuetype",
    "parent",
    "labels",
    "components",
    "assignee",
    "created",
    "updated",
)
"""The system fields lpmsync reads; bulk requests ask for these plus the configured custom ones."""


@dataclass(frozen=True)
class FieldIds:
    """Resolved Jira field ids (custom fields by id, never by name) for the optional values."""

    theme: str | None = None
    estimate: str | None = None
    business_value: str | None = None
    time_criticality: str | None = None
    risk_reduction: str | None = None
    job_size: str | None = None
    value_stream: str | None = None
    owner: str = "assignee"
    parents: tuple[str, ...] = ("parent",)  # checked in order; the first non-empty wins
    due_date: str | None = None  # the target date's field (`duedate` or a custom date field)

    def requested(self) -> list[str]:
        """Exactly the fields a bulk request should return."""
        wanted = [*SYSTEM_FIELDS, *self.parents, self.owner]
        optional = (
            self.theme,
            self.estimate,
            self.business_value,
            self.time_criticality,
            self.risk_reduction,
            self.job_size,
            self.value_stream,
            self.due_date,
        )
        wanted.extend(one for one in optional if one)
        return list(dict.fromkeys(wanted))

    def to_json(self) -> dict[str, JsonValue]:
        values: dict[str, JsonValue] = {
            name: value for name, value in self.__dict__.items() if name != "parents"
        }
        values["parents"] = list[JsonValue](self.parents)
        return values

    @classmethod
    def from_json(cls, raw: object) -> FieldIds | None:
        """Ids remembered in a cursor; None when `raw` is not what `to_json` wrote."""
        if not isinstance(raw, JSON_OBJECT) or set(raw) != set(cls.__dataclass_fields__):
            return None
        parents, owner = raw.get("parents"), raw.get("owner")
        single = [value for name, value in raw.items() if name not in ("parents", "owner")]
        if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
            return None
        if not isinstance(owner, str) or not all(v is None or isinstance(v, str) for v in single):
            return None
        return cls(**{**raw, "parents": tuple(parents)})


@dataclass(frozen=True)
class MappingConfig:
    source: str
    base_url: str  # without the trailing slash; items link to <base_url>/browse/KEY
    issue_types: Mapping[str, Level]
    statuses: Mapping[str, str]
    fields: FieldIds = field(default_factory=FieldIds)
    value_stream_source: Literal["component", "label_prefix", "field"] = "component"
    value_stream_prefix: str = "vs-"


@dataclass(frozen=True, slots=True)
class MappedIssue:
    """One raw issue's outcome: an item (with its history) or a skip with its reason (a
    malformed item, or an issue type that is not part of the portfolio)."""

    key: str
    item: WorkItem | None = None
    history: tuple[StateChange, ...] = ()
    skipped: SkippedItem | None = None


def map_issue(
    raw: object, histories: Sequence[object] | None, config: MappingConfig
) -> MappedIssue:
    """Map one issue. `histories` are its changelog entries (Cloud bulk changelog); None reads
    the `changelog.histories` embedded in the issue (Data Center `expand=changelog`)."""
    key = _key_of(raw)
    if key is None:
        ident = raw.get("id") if isinstance(raw, JSON_OBJECT) else None
        label = f"id {ident}" if isinstance(ident, str | int) else "(no key)"
        return MappedIssue(label, skipped=SkippedItem(config.source, label, "issue has no key"))
    assert isinstance(raw, JSON_OBJECT)
    try:
        return _map(key, raw, histories, config)
    except MalformedValueError as exc:
        return MappedIssue(key, skipped=SkippedItem(config.source, key, exc.reason))
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
        # A value shape no reader above foresaw: this item is skipped, the source goes on.
        reason = f"unreadable value ({type(exc).__name__}: {str(exc)[:120]})"
        return MappedIssue(key, skipped=SkippedItem(config.source, key, reason))


def _key_of(raw: object) -> str | None:
    if not isinstance(raw, JSON_OBJECT):
        return None
    key = raw.get("key")
    return key if isinstance(key, str) and key else None


def _map(
    key: str, raw: Mapping[str, Any], histories: Sequence[object] | None, config: MappingConfig
) -> MappedIssue:
    fields = raw.get("fields")
    if not isinstance(fields, JSON_OBJECT):
        raise MalformedValueError("issue has no fields")
    type_name, _ = named(fields.get("issuetype"), "issuetype")
    level = lookup(config.issue_types, type_name)
    if level is None:  # e.g. a Story found by a broad JQL: counted, so it can be seen
        reason = f"issue type {type_name[:80]!r} is not mapped in issue_types"
        return MappedIssue(key, skipped=SkippedItem(config.source, key, reason))
    status, status_id = named(fields.get("status"), "status")
    created = parse_datetime(fields.get("created"), "created")
    history = status_changes(key, histories_of(raw, histories), config.source)
    item = WorkItem(
        source=config.source,
        key=key,
        id=_issue_id(raw),
        level=level,
        title=_title(fields),
        url=f"{config.base_url}/browse/{key}",
        status=status,
        state=lookup(config.statuses, status) or UNMAPPED,
        created=created,
        updated=parse_datetime(fields.get("updated"), "updated"),
        entered_state_at=entered_state_at(history, status, status_id) or created,
        parent=_parent(fields, config),
        theme_values=_theme(fields, config.fields),
        labels=(labels := names(fields.get("labels"), "labels")),
        components=(components := names(fields.get("components"), "components")),
        value_stream=_value_stream(fields, config, labels, components),
        owner=person(fields.get(config.fields.owner), f"owner field {config.fields.owner}"),
        estimate=_number_field(fields, config.fields.estimate, "estimate"),
        wsjf=_wsjf(fields, config.fields),
        target_date=due_date(fields, config.fields.due_date),
    )
    return MappedIssue(key, item=item, history=tuple(change for change, _ in history))


def lookup(table: Mapping[str, Any], name: str) -> Any:
    """Exact match first; then case-insensitive, since Jira names are case-insensitive."""
    if name in table:
        return table[name]
    folded = name.casefold()
    return next((value for known, value in table.items() if known.casefold() == folded), None)


def _issue_id(raw: Mapping[str, Any]) -> str:
    ident = raw.get("id")
    if isinstance(ident, int) and not isinstance(ident, bool):
        return str(ident)
    if not isinstance(ident, str) or not ident:
        raise MalformedValueError("issue has no id")
    return ident


def _title(fields: Mapping[str, Any]) -> str:
    summary = fields.get("summary")
    if not isinstance(summary, str):
        raise MalformedValueError("summary is missing or not a string")
    return summary


def _parent(fields: Mapping[str, Any], config: MappingConfig) -> ItemRef | None:
    for field_id in config.fields.parents:
        key = issue_key_of(fields.get(field_id), f"parent field {field_id}")
        if key:
            return ItemRef(config.source, key)
    return None


def _theme(fields: Mapping[str, Any], ids: FieldIds) -> tuple[str, ...]:
    if not ids.theme:
        return ()
    return texts(fields.get(ids.theme), f"theme field {ids.theme}")


def _value_stream(
    fields: Mapping[str, Any],
    config: MappingConfig,
    labels: tuple[str, ...],
    components: tuple[str, ...],
) -> str | None:
    """From the item's components or labels (as read already) or the configured field."""
    if config.value_stream_source == "component":
        return components[0] if components else None
    if config.value_stream_source == "label_prefix":
        prefix = config.value_stream_prefix
        return next((label[len(prefix) :] for label in labels if label.startswith(prefix)), None)
    field_id = config.fields.value_stream
    values = texts(fields.get(field_id), f"value stream field {field_id}") if field_id else ()
    return values[0] if values else None


def _number_field(fields: Mapping[str, Any], field_id: str | None, what: str) -> float | None:
    return number_field_value(fields.get(field_id) if field_id else None, field_id, what)


def number_field_value(value: Any, field_id: str | None, what: str) -> float | None:
    if value is None or (type(value) is float and math.isfinite(value)):  # no message needed
        return value
    return number(value, f"{what} field {field_id}")


def _wsjf(fields: Mapping[str, Any], ids: FieldIds) -> WsjfInputs:
    return WsjfInputs(
        business_value=_number_field(fields, ids.business_value, "business value"),
        time_criticality=_number_field(fields, ids.time_criticality, "time criticality"),
        risk_reduction=_number_field(fields, ids.risk_reduction, "risk reduction"),
        job_size=_number_field(fields, ids.job_size, "job size"),
    )
