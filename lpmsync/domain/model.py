"""Work items as lpmsync sees them, whatever tracker they came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

UNMAPPED = "unmapped"
"""The portfolio state of an item whose tracker status the source's mapping does not know.

Such an item counts in no WIP limit and no allocation share; reports list it as a hygiene problem.
"""


class Level(StrEnum):
    """Where an item sits in the portfolio hierarchy."""

    EPIC = "epic"
    FEATURE = "feature"


@dataclass(frozen=True, slots=True, order=True)
class ItemRef:
    """Identifies an item: the key alone is not enough, two sources may both have `1`."""

    source: str
    key: str

    def __str__(self) -> str:
        return f"{self.source}:{self.key}"


@dataclass(frozen=True, slots=True)
class WsjfInputs:
    """Weighted Shortest Job First inputs. Missing values stay None: missing is not zero."""

    business_value: float | None = None
    time_criticality: float | None = None
    risk_reduction: float | None = None
    job_size: float | None = None

    @property
    def score(self) -> float | None:
        """Cost of delay over job size, or None when any input is missing or the size is 0."""
        bv, tc, rr, size = (
            self.business_value,
            self.time_criticality,
            self.risk_reduction,
            self.job_size,
        )
        if bv is None or tc is None or rr is None or not size:
            return None
        return (bv + tc + rr) / size


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A portfolio epic or feature, mapped from one tracker item.

    `status` is the tracker's own status (or Azure DevOps state / board column); `state` is the
    portfolio Kanban state it maps to, or `UNMAPPED`. Datetimes are timezone-aware (UTC).
    """

    source: str
    key: str
    id: str
    level: Level
    title: str
    url: str
    status: str
    state: str
    created: datetime
    updated: datetime
    entered_state_at: datetime | None = None
    parent: ItemRef | None = None
    theme_values: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    area_path: str | None = None
    value_stream: str | None = None
    owner: str | None = None
    estimate: float | None = None
    wsjf: WsjfInputs = field(default_factory=WsjfInputs)
    target_date: date | None = None  # the tracker's due / target date, where one is mapped

    @property
    def ref(self) -> ItemRef:
        return ItemRef(self.source, self.key)


@dataclass(frozen=True, slots=True)
class StateChange:
    """One status transition from the tracker's history (tracker status names)."""

    source: str
    key: str
    at: datetime
    from_status: str | None
    to_status: str


@dataclass(frozen=True, slots=True)
class SkippedItem:
    """A tracker item that could not be mapped and was left out of the sync."""

    source: str
    key: str
    reason: str


# -- fast constructors -------------------------------------------------------------------------
# A frozen dataclass's `__init__` sets each field through `object.__setattr__`; setting the slots
# through their descriptors builds the same object in about half the time. The connectors build
# an item and a few state changes per tracker item, tens of thousands per sync.


def _slot_setters(cls: type) -> tuple[Callable[[object, object], None], ...]:
    return tuple(getattr(cls, one.name).__set__ for one in fields(cls))


_new = object.__new__
_CHANGE = _slot_setters(StateChange)
_WSJF = _slot_setters(WsjfInputs)
_ITEM = _slot_setters(WorkItem)


def state_change(
    source: str, key: str, at: datetime, from_status: str | None, to_status: str
) -> StateChange:
    """`StateChange(source, key, at, from_status, to_status)`, built faster."""
    change: StateChange = _new(StateChange)
    set_source, set_key, set_at, set_from, set_to = _CHANGE
    set_source(change, source)
    set_key(change, key)
    set_at(change, at)
    set_from(change, from_status)
    set_to(change, to_status)
    return change


def wsjf_inputs(
    business_value: float | None,
    time_criticality: float | None,
    risk_reduction: float | None,
    job_size: float | None,
) -> WsjfInputs:
    """`WsjfInputs(...)` with every value given, built faster."""
    inputs: WsjfInputs = _new(WsjfInputs)
    set_business_value, set_time_criticality, set_risk_reduction, set_job_size = _WSJF
    set_business_value(inputs, business_value)
    set_time_criticality(inputs, time_criticality)
    set_risk_reduction(inputs, risk_reduction)
    set_job_size(inputs, job_size)
    return inputs


def work_item(*values: Any) -> WorkItem:
    """`WorkItem(...)` from every field's value, in the order the class declares them, built
    faster (a missing or extra value raises, as the constructor would)."""
    if len(values) != len(_ITEM):
        raise TypeError(f"work_item() takes {len(_ITEM)} values ({len(values)} given)")
    item: WorkItem = _new(WorkItem)
    for set_value, value in zip(_ITEM, values):  # noqa: B905 (the lengths are checked above)
        set_value(item, value)
    return item
