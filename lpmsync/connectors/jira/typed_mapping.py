"""Issue structs (`lpmsync.connectors.jira.structs`) -> domain items, compiled once per mapping.

The same result as `map_issue` on the plain JSON of the issue, read from struct attributes
instead of dict lookups. Only the usual case is read here: any value this reader does not take
as it is (a malformed value, an odd shape) raises, and the issue is mapped by `map_issue` from
its plain JSON instead, so every skip reason, and every unusual value's reading, is exactly the
plain mapping's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from math import isfinite
from operator import attrgetter
from typing import Any

from lpmsync.connectors.jira.history import by_time, entered_state_at, status_changes
from lpmsync.connectors.jira.mapping import (
    MappedIssue,
    MappingConfig,
    lookup,
    map_issue,
    number_field_value,
)
from lpmsync.connectors.jira.structs import (
    History,
    Link,
    Named,
    Person,
    TypedIssues,
    layout_for,
    plain_histories,
)
from lpmsync.connectors.jira.values import (
    due_date_value,
    issue_key_of,
    names,
    person,
    texts,
)
from lpmsync.domain.model import (
    UNMAPPED,
    ItemRef,
    SkippedItem,
    StateChange,
    state_change,
    work_item,
    wsjf_inputs,
)

Getter = Callable[[Any], Any]
_INT64 = range(-(2**63), 2**64)  # what orjson reads as an int (it reads larger ones as floats)


class _UnusualValueError(Exception):
    """A value the typed reader leaves to the plain mapping."""


class TypedMapper:
    """`map_issue` for issue structs of `config`'s field set."""

    def __init__(self, config: MappingConfig) -> None:
        ids = config.fields
        attributes = layout_for(ids).attributes

        def getter(field_id: str | None) -> Getter | None:
            return attrgetter(attributes[field_id]) if field_id else None

        self._config = config
        self._source = config.source
        self._browse = f"{config.base_url}/browse/"
        self._summary = attrgetter(attributes["summary"])
        self._labels = attrgetter(attributes["labels"])
        self._created = attrgetter(attributes["created"])
        self._updated = attrgetter(attributes["updated"])
        self._status = attrgetter(attributes["status"])
        self._type = attrgetter(attributes["issuetype"])
        self._components = attrgetter(attributes["components"])
        self._owner = attrgetter(attributes[ids.owner])
        self._parents = [(field_id, attrgetter(attributes[field_id])) for field_id in ids.parents]
        self._theme = getter(ids.theme)
        self._value_stream = getter(ids.value_stream)
        self._due = getter(ids.due_date)
        self._numbers = [
            (getter(field_id), field_id, what)
            for field_id, what in (
                (ids.estimate, "estimate"),
                (ids.business_value, "business value"),
                (ids.time_criticality, "time criticality"),
                (ids.risk_reduction, "risk reduction"),
                (ids.job_size, "job size"),
            )
        ]

    def map(self, page: TypedIssues, index: int, histories: Sequence[Any] | None) -> MappedIssue:
        """Issue `index` of `page`; `histories` as for `map_issue` (None: the embedded ones)."""
        issue = page.issues[index]
        try:
            return self._map(issue, histories)
        except Exception as exc:  # any surprise: the plain mapping decides
            try:
                raw = page.plain(index)
            except ValueError:  # a number orjson cannot read (the typed reader could)
                reason = getattr(exc, "reason", None) or f"unreadable value ({type(exc).__name__})"
                return MappedIssue(issue.key, skipped=SkippedItem(self._source, issue.key, reason))
            plain = None if histories is None else plain_histories(histories)
            return map_issue(raw, plain, self._config)

    def raw_updated(self, issue: Any) -> object:
        """The issue's `updated` as Jira wrote it (for the cursor's time zone)."""
        return None if issue.fields is None else self._updated(issue.fields)

    def _map(self, issue: Any, histories: Sequence[Any] | None) -> MappedIssue:
        key, fields, config = issue.key, issue.fields, self._config
        if fields is None:
            raise _UnusualValueError
        type_name, _ = _named(self._type(fields))
        level = lookup(config.issue_types, type_name)
        if level is None:
            reason = f"issue type {type_name[:80]!r} is not mapped in issue_types"
            return MappedIssue(key, skipped=SkippedItem(self._source, key, reason))
        status, status_id = _named(self._status(fields))
        created = _utc(self._created(fields))
        history = self._history(key, issue, histories)
        labels = names(self._labels(fields), "labels")
        components = _component_names(self._components(fields))
        estimate, business_value, time_criticality, risk_reduction, job_size = self._numbers_of(
            fields
        )
        item = work_item(  # every field, in WorkItem's order
            self._source,
            key,
            issue.id,
            level,
            _text(self._summary(fields)),
            self._browse + key,
            status,
            lookup(config.statuses, status) or UNMAPPED,
            created,
            _utc(self._updated(fields)),
            entered_state_at(history, status, status_id) or created,
            self._parent(fields),
            self._texts(self._theme, fields),
            labels,
            components,
            None,  # area_path: Azure DevOps only
            self._stream(fields, labels, components),
            _person(self._owner(fields)),
            estimate,
            wsjf_inputs(business_value, time_criticality, risk_reduction, job_size),
            self._due_date(fields),
        )
        return MappedIssue(key, item=item, history=tuple([change for change, _ in history]))

    def _history(
        self, key: str, issue: Any, given: Sequence[Any] | None
    ) -> list[tuple[StateChange, str | None]]:
        if given is None:  # Data Center: in the issue, decoded with it
            changelog = issue.changelog
            embedded = changelog.histories if changelog is not None else None
            return typed_status_changes(key, embedded or (), self._source)
        if all([type(one) is History for one in given]):
            return typed_status_changes(key, given, self._source)
        return status_changes(key, plain_histories(given), self._source)

    def _parent(self, fields: Any) -> ItemRef | None:
        for _, get in self._parents:
            value = get(fields)
            if value is None:
                continue
            if type(value) is str:
                key = value.strip() or None
            elif type(value) is Link:
                key = value.key if type(value.key) is str and value.key else _data_key(value.data)
            else:
                raise _UnusualValueError
            if key:
                return ItemRef(self._source, key)
        return None

    def _texts(self, get: Getter | None, fields: Any) -> tuple[str, ...]:
        if get is None:
            return ()
        value = get(fields)
        if value is None:
            return ()
        _check_ints(value)
        return texts(value, "")

    def _stream(self, fields: Any, labels: tuple[str, ...], components: tuple[str, ...]) -> Any:
        source = self._config.value_stream_source
        if source == "component":
            return components[0] if components else None
        if source == "label_prefix":
            prefix = self._config.value_stream_prefix
            return next((one[len(prefix) :] for one in labels if one.startswith(prefix)), None)
        values = self._texts(self._value_stream, fields)
        return values[0] if values else None

    def _due_date(self, fields: Any) -> date | None:
        if self._due is None:
            return None
        return due_date_value(self._due(fields), self._config.fields.due_date)

    def _numbers_of(self, fields: Any) -> list[float | None]:
        """The estimate and the WSJF inputs, in that order."""
        found: list[float | None] = []
        for get, field_id, what in self._numbers:
            value = None if get is None else get(fields)
            if value is None or (type(value) is float and isfinite(value)):  # the usual case
                found.append(value)
                continue
            if type(value) is int and value not in _INT64:
                raise _UnusualValueError
            found.append(number_field_value(value, field_id, what))
        return found


def _utc(value: Any) -> datetime:
    """`values.parse_datetime` of a usual value (anything else: the plain mapping)."""
    if type(value) is not str:
        raise _UnusualValueError
    parsed = datetime.fromisoformat(value)  # ValueError: the plain mapping gives the reason
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _named(value: Any) -> tuple[str, str | None]:
    if type(value) is not Named or type(value.name) is not str or not value.name:
        raise _UnusualValueError
    ident = value.id
    return value.name, ident if type(ident) is str else None


def _text(value: Any) -> str:
    if type(value) is not str:
        raise _UnusualValueError
    return value


def _component_names(value: list[Named] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    found: list[str] = []
    for one in value:
        name = one.name
        if type(name) is not str:
            raise _UnusualValueError
        if name and name not in found:
            found.append(name)
    return tuple(found)


def _person(value: Any) -> str | None:
    """The owner: e-mail when Jira shows it, else the display name (as `values.person`)."""
    if type(value) is Person:
        for text in (value.emailAddress, value.displayName, value.name):
            if type(text) is str and text.strip():
                return text.strip()
        return None
    _check_ints(value)
    return person(value, "owner")  # a custom user field: plain JSON


def _data_key(data: Any) -> str | None:
    """A Parent Link's `{"data": {"key"}}`: plain JSON, read as `values.issue_key_of` does."""
    return issue_key_of(data, "parent") if isinstance(data, dict) else None


def _check_ints(value: Any) -> None:
    """Integers beyond 64 bits are read exactly here but as floats by orjson: leave them to the
    plain mapping, which reads them as before."""
    if type(value) is int and value not in _INT64:
        raise _UnusualValueError
    if type(value) is list and any(type(one) is int and one not in _INT64 for one in value):
        raise _UnusualValueError


def typed_status_changes(
    key: str, histories: Sequence[History], source: str
) -> list[tuple[StateChange, str | None]]:
    """`history.status_changes` for `History` structs."""
    found: list[tuple[StateChange, str | None]] = []
    latest: datetime | None = None  # Jira lists histories oldest first: sort only if not
    ordered = True
    for history in histories:
        at: datetime | None = None
        for change in history.items or ():
            field_id = change.fieldId
            if field_id is not None:
                if field_id != "status":
                    continue
            elif change.field != "status" or change.fieldtype not in (None, "jira"):
                continue
            to_status = change.toString
            if type(to_status) is not str or not to_status:
                continue
            if at is None:
                at = _utc(history.created)  # raises: the plain path skips the entry
                ordered = ordered and (latest is None or at >= latest)
                latest = at
            from_status, target = change.fromString, change.to
            found.append(
                (
                    state_change(
                        source,
                        key,
                        at,
                        from_status if type(from_status) is str else None,
                        to_status,
                    ),
                    target if type(target) is str else None,
                )
            )
    if not ordered:  # a stable sort of ordered changes would leave them as they are
        found.sort(key=by_time)
    return found
