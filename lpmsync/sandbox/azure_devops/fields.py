"""The work item fields the Azure DevOps sandbox knows, and how a `SampleItem` renders into them.

Every field has a reference name, a friendly name (WIQL accepts both) and a kind that decides how
WIQL compares it. Null values are left out of a rendered work item, as the real service does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from enum import Enum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from lpmsync.sandbox.azure_devops.common import AdoError, ado_date
from lpmsync.sandbox.dataset import Dataset, SampleItem
from lpmsync.sandbox.generator_catalog import email_of

_IDENTITY_NAMESPACE = uuid.UUID("5f0c7a52-9d43-4d0e-9a61-2b8f1e3c7d10")
CURRENT_REVISION_END = datetime(9999, 1, 1, tzinfo=UTC)  # System.RevisedDate of a current revision


class FieldKind(Enum):
    INTEGER = "integer"
    DOUBLE = "double"
    DATE_TIME = "dateTime"
    STRING = "string"
    TREE_PATH = "treePath"  # supports UNDER
    IDENTITY = "identity"
    TAGS = "tags"  # "A; B", supports CONTAINS


@dataclass(frozen=True)
class ItemView:
    """One work item as of one revision: the item plus what differs at that revision."""

    item: SampleItem
    rev: int
    state: str
    changed: datetime
    state_changed: datetime
    project: str
    dataset: Dataset
    revised: datetime = CURRENT_REVISION_END


@dataclass(frozen=True)
class FieldDef:
    reference: str
    name: str
    kind: FieldKind
    value: Callable[[ItemView], object]


def _parent_id(view: ItemView) -> int | None:
    key = view.item.parent_key
    if key is None:
        return None
    parent = view.dataset.get(key)
    if parent is not None:
        return parent.id
    return int(key) if key.isdigit() else None


def _tags(view: ItemView) -> str | None:
    return "; ".join(view.item.labels) if view.item.labels else None


def _area(view: ItemView) -> str:
    return view.item.area_path or view.project


def _effort(view: ItemView) -> float | None:
    # The process's one size field: the estimate, else the job size. The WSJF job size also has
    # its own field (Custom.JobSize) for portfolios that keep the two apart.
    item = view.item
    return item.estimate if item.estimate is not None else item.job_size


def _target(view: ItemView) -> datetime | None:
    # A date-only field: midnight where the user picked it (Berlin here), sent in UTC.
    day = view.item.target_date
    if day is None:
        return None
    return datetime.combine(day, time(), ZoneInfo("Europe/Berlin")).astimezone(UTC)


_DEFINITIONS = (
    FieldDef("System.Id", "ID", FieldKind.INTEGER, lambda v: v.item.id),
    FieldDef("System.Rev", "Rev", FieldKind.INTEGER, lambda v: v.rev),
    FieldDef("System.TeamProject", "Team Project", FieldKind.STRING, lambda v: v.project),
    FieldDef("System.AreaPath", "Area Path", FieldKind.TREE_PATH, _area),
    FieldDef("System.IterationPath", "Iteration Path", FieldKind.TREE_PATH, lambda v: v.project),
    FieldDef("System.WorkItemType", "Work Item Type", FieldKind.STRING, lambda v: v.item.kind),
    FieldDef("System.State", "State", FieldKind.STRING, lambda v: v.state),
    FieldDef("System.BoardColumn", "Board Column", FieldKind.STRING, lambda v: v.state),
    FieldDef("System.Title", "Title", FieldKind.STRING, lambda v: v.item.title),
    FieldDef("System.Tags", "Tags", FieldKind.TAGS, _tags),
    FieldDef("System.Parent", "Parent", FieldKind.INTEGER, _parent_id),
    FieldDef("System.CreatedDate", "Created Date", FieldKind.DATE_TIME, lambda v: v.item.created),
    FieldDef("System.ChangedDate", "Changed Date", FieldKind.DATE_TIME, lambda v: v.changed),
    FieldDef("System.RevisedDate", "Revised Date", FieldKind.DATE_TIME, lambda v: v.revised),
    FieldDef("System.AssignedTo", "Assigned To", FieldKind.IDENTITY, lambda v: v.item.owner),
    FieldDef(
        "Microsoft.VSTS.Common.StateChangeDate",
        "State Change Date",
        FieldKind.DATE_TIME,
        lambda v: v.state_changed,
    ),
    FieldDef("Microsoft.VSTS.Scheduling.Effort", "Effort", FieldKind.DOUBLE, _effort),
    FieldDef("Microsoft.VSTS.Scheduling.TargetDate", "Target Date", FieldKind.DATE_TIME, _target),
    FieldDef(
        "Microsoft.VSTS.Common.BusinessValue",
        "Business Value",
        FieldKind.DOUBLE,
        lambda v: v.item.business_value,
    ),
    FieldDef(
        "Microsoft.VSTS.Common.TimeCriticality",
        "Time Criticality",
        FieldKind.DOUBLE,
        lambda v: v.item.time_criticality,
    ),
    FieldDef("Custom.StrategicTheme", "Strategic Theme", FieldKind.STRING, lambda v: v.item.theme),
    FieldDef(
        "Custom.RiskReduction", "Risk Reduction", FieldKind.DOUBLE, lambda v: v.item.risk_reduction
    ),
    FieldDef("Custom.JobSize", "Job Size", FieldKind.DOUBLE, lambda v: v.item.job_size),
)

FIELDS: dict[str, FieldDef] = {}
for _definition in _DEFINITIONS:
    FIELDS[_definition.reference.lower()] = _definition
    FIELDS.setdefault(_definition.name.lower(), _definition)


def find_field(name: str) -> FieldDef | None:
    """A field by reference name or friendly name, case-insensitively."""
    return FIELDS.get(name.strip().lower())


def require_fields(names: Iterable[str]) -> list[FieldDef]:
    """The fields a client asked for; an unknown one is the service's TF51535."""
    found = []
    for name in names:
        definition = find_field(name)
        if definition is None:
            raise AdoError(400, f"TF51535: Cannot find field {name}.", "ArgumentException")
        found.append(definition)
    return found


def identity_ref(owner: str) -> dict[str, str]:
    """An IdentityRef as the service returns for identity fields. `owner` is an email (as the
    generator writes it; it becomes the uniqueName) or a display name; the id is stable."""
    return dict(_identity(owner))


@lru_cache(maxsize=4096)
def _identity(owner: str) -> tuple[tuple[str, str], ...]:
    if "@" in owner:
        local = owner.split("@", 1)[0]
        display, unique = " ".join(part.capitalize() for part in local.split(".")), owner
    else:
        display, unique = owner, email_of(owner)
    return (
        ("displayName", display),
        ("uniqueName", unique),
        ("id", str(uuid.uuid5(_IDENTITY_NAMESPACE, unique))),
    )


def identity_text(owner: str) -> str:
    """The string form of an identity (reporting revisions without includeIdentityRef)."""
    ref = identity_ref(owner)
    return f"{ref['displayName']} <{ref['uniqueName']}>"


def json_value(definition: FieldDef, value: object, *, identity_as_ref: bool = True) -> Any:
    """A field value in the service's JSON form."""
    if isinstance(value, datetime):
        return ado_date(value)
    if definition.kind is FieldKind.IDENTITY and isinstance(value, str):
        return identity_ref(value) if identity_as_ref else identity_text(value)
    return value


def render_fields(
    view: ItemView, wanted: list[FieldDef] | None = None, *, identity_as_ref: bool = True
) -> dict[str, Any]:
    """The `fields` map of one work item: the wanted fields (all known ones when None), nulls
    left out, and a deliberately broken shape for malformed sample items."""
    rendered: dict[str, Any] = {}
    for definition in wanted if wanted is not None else _DEFINITIONS:
        value = definition.value(view)
        if value is not None:
            rendered[definition.reference] = json_value(
                definition, value, identity_as_ref=identity_as_ref
            )
    if view.item.malformed:
        _break(rendered, view.item)
    return rendered


def _break(fields: dict[str, Any], item: SampleItem) -> None:
    # Two kinds of damage, chosen by id so a dataset shows both: a missing type, or a state that
    # is not a string. Either must make a connector skip the item, not fail the sync.
    if item.id % 2 == 0:
        fields.pop("System.WorkItemType", None)
    elif "System.State" in fields:
        fields["System.State"] = {"name": item.status}
