"""Azure DevOps work item JSON -> `WorkItem` (pure: no I/O, no clock).

Input is one element of a `workitemsbatch` response (`{id, rev, fields: {...}, url}`). A work item
of a type the source does not map (the WIQL asks only for mapped types, so it is a race at most)
or a malformed one becomes a `SkippedItem` with the reason, and the sync goes on.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from lpmsync.domain.model import UNMAPPED, ItemRef, SkippedItem, WorkItem, WsjfInputs
from lpmsync.errors import SkippableItemError
from lpmsync.settings import AzureDevOpsSource

ID = "System.Id"
TITLE = "System.Title"
WORK_ITEM_TYPE = "System.WorkItemType"
STATE = "System.State"
BOARD_COLUMN = "System.BoardColumn"
TAGS = "System.Tags"
AREA_PATH = "System.AreaPath"
PARENT = "System.Parent"
CREATED = "System.CreatedDate"
CHANGED = "System.ChangedDate"
STATE_CHANGED = "Microsoft.VSTS.Common.StateChangeDate"
THEME_FROM_TAGS = "tags"

_CORE_FIELDS = (WORK_ITEM_TYPE, STATE, TITLE, TAGS, AREA_PATH, PARENT, CREATED, CHANGED)
_EXACT_INT = 2**53  # every int up to this size is a float exactly
_EXCESS_FRACTION = re.compile(r"(\.\d{6})\d+")  # .NET sends up to 7 digits; Python reads 6


@dataclass(frozen=True, slots=True)
class MappedBatch:
    """What one batch of raw work items became."""

    items: tuple[WorkItem, ...] = ()
    skipped: tuple[SkippedItem, ...] = ()


def status_field(config: AzureDevOpsSource) -> str:
    """The field whose value is the item's tracker status."""
    return BOARD_COLUMN if config.use_board_column else STATE


def requested_fields(config: AzureDevOpsSource) -> list[str]:
    """Exactly the fields the mapping reads, in a stable order (no duplicates)."""
    wsjf = config.fields.wsjf
    optional = [
        BOARD_COLUMN if config.use_board_column else None,
        STATE_CHANGED,
        config.fields.owner,
        config.fields.estimate,
        None if config.fields.theme == THEME_FROM_TAGS else config.fields.theme,
        wsjf.business_value,
        wsjf.time_criticality,
        wsjf.risk_reduction,
        wsjf.job_size,
        config.fields.target_date,
    ]
    return list(dict.fromkeys([*_CORE_FIELDS, *(name for name in optional if name)]))


def web_url(config: AzureDevOpsSource, item_id: int) -> str:
    """The work item's page in the Azure DevOps web UI."""
    organization = str(config.organization_url).rstrip("/")
    return f"{organization}/{quote(config.project, safe='')}/_workitems/edit/{item_id}"


def map_work_items(raw_items: Iterable[object], config: AzureDevOpsSource) -> MappedBatch:
    """Map a batch; `None` entries (deleted or inaccessible under errorPolicy=omit) are dropped."""
    items: list[WorkItem] = []
    skipped: list[SkippedItem] = []
    for raw in raw_items:
        if raw is None:
            continue
        mapped = map_work_item(raw, config)
        if isinstance(mapped, WorkItem):
            items.append(mapped)
        elif isinstance(mapped, SkippedItem):
            skipped.append(mapped)
    return MappedBatch(tuple(items), tuple(skipped))


def map_work_item(raw: object, config: AzureDevOpsSource) -> WorkItem | SkippedItem:
    """One work item, or a `SkippedItem` when malformed or of a type the source does not map."""
    key = _key_of(raw)
    try:
        if not isinstance(raw, Mapping) or key is None:
            raise SkippableItemError(key or "?", "not a work item with a numeric id")
        fields = raw.get("fields")
        if not isinstance(fields, Mapping):
            raise SkippableItemError(key, "has no fields object")
        return _map_fields(int(key), fields, config)
    except SkippableItemError as error:
        return SkippedItem(config.name, error.key, error.reason)
    except (ValueError, TypeError, ArithmeticError, RecursionError) as error:
        # A value shape no reader above foresaw: this item is skipped, the source goes on.
        reason = f"unreadable value ({type(error).__name__}: {str(error)[:120]})"
        return SkippedItem(config.name, key or "?", reason)


def _key_of(raw: object) -> str | None:
    if not isinstance(raw, Mapping):
        return None
    item_id = raw.get("id")
    if isinstance(item_id, int) and not isinstance(item_id, bool) and item_id > 0:
        return str(item_id)
    return None


def _map_fields(item_id: int, fields: Mapping[str, Any], config: AzureDevOpsSource) -> WorkItem:
    key = str(item_id)
    read = _FieldReader(key, fields)
    type_name = read.required_text(WORK_ITEM_TYPE)
    level = config.work_item_types.get(type_name)
    if level is None:  # counted, so a type renamed in the process can be seen
        reason = f"work item type {type_name[:80]!r} is not mapped in work_item_types"
        raise SkippableItemError(key, reason)
    state = read.required_text(STATE)
    status = (read.text(BOARD_COLUMN) or state) if config.use_board_column else state
    labels = _split_list(read.text(TAGS) or "")
    area_path = read.text(AREA_PATH)
    parent = read.number(PARENT)
    theme = config.fields.theme
    return WorkItem(
        source=config.name,
        key=key,
        id=key,
        level=level,
        title=read.required_text(TITLE),
        url=web_url(config, item_id),
        status=status,
        state=config.states.get(status, UNMAPPED),
        created=read.required_date(CREATED),
        updated=read.required_date(CHANGED),
        entered_state_at=read.date(STATE_CHANGED),
        parent=ItemRef(config.name, str(int(parent))) if parent is not None else None,
        theme_values=labels if config.fields.theme == THEME_FROM_TAGS else read.values(theme),
        labels=labels,
        area_path=area_path,
        value_stream=value_stream(area_path, config.fields.value_stream.area_path_depth),
        owner=read.identity(config.fields.owner),
        estimate=read.number(config.fields.estimate),
        wsjf=_wsjf(read, config),
        target_date=_day(
            read.date(config.fields.target_date) if config.fields.target_date else None
        ),
    )


def _day(value: datetime | None) -> date | None:
    """The calendar day of a date-only field: Azure DevOps stores one as midnight in the user's
    time zone, sent in UTC (e.g. 23:00 the day before for Berlin), so it is rounded to the nearest
    UTC midnight."""
    return None if value is None else (value.astimezone(UTC) + timedelta(hours=12)).date()


def _wsjf(read: _FieldReader, config: AzureDevOpsSource) -> WsjfInputs:
    fields = config.fields.wsjf
    return WsjfInputs(
        business_value=read.number(fields.business_value),
        time_criticality=read.number(fields.time_criticality),
        risk_reduction=read.number(fields.risk_reduction),
        job_size=read.number(fields.job_size),
    )


def value_stream(area_path: str | None, depth: int) -> str | None:
    """The area path's node at `depth` (1 is the project): `Contoso\\Payments\\Team A` at 2 ->
    `Payments`; None when the path is shallower."""
    if not area_path:
        return None
    nodes = [node.strip() for node in area_path.split("\\")]
    if len(nodes) < depth:
        return None
    return nodes[depth - 1] or None


def _split_list(text: str) -> tuple[str, ...]:
    """Tags come as one `"a; b"` string."""
    return tuple(part.strip() for part in text.split(";") if part.strip())


def parse_datetime(value: str) -> datetime:
    """An Azure DevOps timestamp as an aware UTC datetime. Raises ValueError."""
    try:
        parsed = datetime.fromisoformat(value)  # the usual case, read as it is
    except ValueError:
        parsed = datetime.fromisoformat(_EXCESS_FRACTION.sub(r"\1", value.strip()))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _FieldReader:
    """Typed access to one item's fields; a wrong type raises `SkippableItemError`."""

    def __init__(self, key: str, fields: Mapping[str, Any]) -> None:
        self._key = key
        self._fields = fields

    def _bad(self, name: str, expected: str) -> SkippableItemError:
        found = type(self._fields.get(name)).__name__
        return SkippableItemError(self._key, f"field {name} is {found}, expected {expected}")

    def text(self, name: str) -> str | None:
        value = self._fields.get(name)
        if type(value) is str and value:  # the usual case
            return value
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self._bad(name, "text")
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise SkippableItemError(self._key, f"field {name} is missing")
        return value

    def number(self, name: str | None) -> float | None:
        value = self._fields.get(name) if name else None
        if value is None or value == "":
            return None
        if type(value) is float and math.isfinite(value):  # the usual cases: as it is,
            return value
        if type(value) is int and -_EXACT_INT <= value <= _EXACT_INT:  # or an exact float
            return float(value)
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            with contextlib.suppress(OverflowError):  # an int too large for a float
                number = float(value)
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                number = float(value)
        if number is None or not math.isfinite(number):
            raise self._bad(name or "", "a number")
        return number

    def date(self, name: str) -> datetime | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            return parse_datetime(text)
        except ValueError:
            raise SkippableItemError(
                self._key, f"field {name} is not a date: {text[:40]!r}"
            ) from None

    def required_date(self, name: str) -> datetime:
        value = self.date(name)
        if value is None:
            raise SkippableItemError(self._key, f"field {name} is missing")
        return value

    def identity(self, name: str) -> str | None:
        """An IdentityRef (`uniqueName`, the sign-in address that identifies a person across
        trackers, else `displayName`) or a plain `Name <mail>` string."""
        value = self._fields.get(name)
        if value is None or isinstance(value, str):
            return value or None
        if isinstance(value, Mapping):
            for attribute in ("uniqueName", "displayName"):
                found = value.get(attribute)
                if isinstance(found, str) and found:
                    return found
            return None
        raise self._bad(name, "an identity")

    def values(self, name: str | None) -> tuple[str, ...]:
        """A picklist or text field as values: `"a; b"` strings split, lists and numbers kept."""
        value = self._fields.get(name) if name else None
        if value is None:
            return ()
        if isinstance(value, str):
            return _split_list(value)
        if isinstance(value, list):
            return tuple(str(entry).strip() for entry in value if str(entry).strip())
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (str(value),)
        raise self._bad(name or "", "text")
