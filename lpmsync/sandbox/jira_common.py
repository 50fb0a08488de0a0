"""What the Jira Cloud and Data Center personalities share: issue and changelog JSON, field
selection, JQL execution with a small cache, page tokens, errors and authentication."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lpmsync.sandbox.dataset import Dataset, SampleItem
from lpmsync.sandbox.http import Request, Response
from lpmsync.sandbox.jira_fields import (
    BUSINESS_VALUE,
    EPIC_LINK,
    JOB_SIZE,
    RANK,
    RISK_REDUCTION,
    STORY_POINTS,
    THEME_FIELD,
    TIME_CRITICALITY,
    issuetype_json,
    status_id,
    status_json,
    user_json,
)

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


@dataclass(frozen=True)
class View:
    """How to render for one request: base URL (from the Host header), API version, flavor."""

    base: str
    api: str  # "2" | "3"
    cloud: bool
    project: str

    @classmethod
    def of(cls, request: Request, api: str, *, cloud: bool, project: str) -> View:
        return cls(f"http://{request.headers.get('host', '127.0.0.1')}", api, cloud, project)


def jira_time(when: datetime) -> str:
    """Jira's timestamp format: 2026-05-01T12:00:00.000+0000 (sample data is UTC)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def error(status: int, *messages: str) -> Response:
    return Response(status, {"errorMessages": list(messages), "errors": {}})


def split_list(values: Iterable[str] | str | None) -> list[str]:
    """Jira list parameters: comma-separated, possibly repeated, or a JSON array."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class FieldSelection:
    """The `fields` parameter: ids, `*all`, `*navigable`, and `-id` exclusions."""

    def __init__(self, requested: list[str], known: list[str]) -> None:
        excluded = {name[1:] for name in requested if name.startswith("-")}
        wanted = [name for name in requested if not name.startswith("-")]
        if any(name in ("*all", "*navigable") for name in wanted):
            chosen = set(known)
        else:
            chosen = {name for name in wanted if name in known}
        self.ids = chosen - excluded
        self.requested_only_ids = all(name in ("id", "key") for name in wanted)

    def pick(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in fields.items() if name in self.ids}


def issue_json(
    item: SampleItem,
    view: View,
    selection: FieldSelection,
    dataset: Dataset,
    *,
    changelog: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "expand": ISSUE_EXPAND,
        "id": str(item.id),
        "self": f"{view.base}/rest/api/{view.api}/issue/{item.id}",
        "key": item.key,
        "fields": selection.pick(all_fields(item, view, dataset)),
    }
    if item.malformed:  # a broken shape a connector must skip and count
        body["fields"].pop("issuetype" if item.id % 2 else "status", None)
    if changelog:
        histories = changelog_entries(item, view)
        if view.cloud:  # Cloud: the 40 most recent, newest first; Data Center: all, oldest first
            histories = histories[::-1][:40]
        body["changelog"] = {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        }
    return body


def all_fields(item: SampleItem, view: View, dataset: Dataset) -> dict[str, Any]:
    base, api = view.base, view.api
    fields: dict[str, Any] = {
        "summary": item.title,
        "status": status_json(base, api, item.status),
        "issuetype": issuetype_json(base, api, item.kind, cloud=view.cloud),
        "project": _project_json(view),
        "labels": list(item.labels),
        "components": [_component_json(view, name) for name in item.components],
        "assignee": user_json(base, api, item.owner, cloud=view.cloud) if item.owner else None,
        "created": jira_time(item.created),
        "updated": jira_time(item.updated),
        THEME_FIELD: _theme_option(view, item.theme) if item.theme else None,
        STORY_POINTS: item.estimate,
        BUSINESS_VALUE: item.business_value,
        TIME_CRITICALITY: item.time_criticality,
        RISK_REDUCTION: item.risk_reduction,
        JOB_SIZE: item.job_size,
        RANK: f"0|i{item.id:06d}:",
    }
    if not view.cloud:
        fields[EPIC_LINK] = item.parent_key  # Data Center links features to epics by key
        return fields
    fields["statuscategorychangedate"] = jira_time(_entered(item))
    parent = _parent_json(item, view, dataset)
    if parent is not None:  # Cloud omits `parent` on items without one
        fields["parent"] = parent
    return fields


def changelog_entries(item: SampleItem, view: View) -> list[dict[str, Any]]:
    """The item's status changes and one Rank change, oldest first."""
    author = user_json(view.base, view.api, item.owner, cloud=view.cloud) if item.owner else None
    changes: list[tuple[datetime, dict[str, Any]]] = [
        (item.created + timedelta(hours=1), _rank_change()),
    ]
    for transition in item.history:
        if transition.from_status is not None:  # creation is not a change
            changes.append(
                (transition.at, _status_change(transition.from_status, transition.to_status))
            )
    changes.sort(key=lambda pair: pair[0])
    return [
        {
            "id": str(item.id * 100 + index),
            **({"author": author} if author else {}),
            "created": jira_time(at),
            "items": [change],
        }
        for index, (at, change) in enumerate(changes)
    ]


def _status_change(before: str, after: str) -> dict[str, Any]:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": status_id(before),
        "fromString": before,
        "to": status_id(after),
        "toString": after,
    }


def _rank_change() -> dict[str, Any]:
    return {
        "field": "Rank",
        "fieldtype": "custom",
        "fieldId": RANK,
        "from": "",
        "fromString": "",
        "to": "",
        "toString": "Ranked higher",
    }


def _entered(item: SampleItem) -> datetime:
    for transition in reversed(item.history):
        if transition.to_status == item.status:
            return transition.at
    return item.created


def _project_json(view: View) -> dict[str, Any]:
    return {
        "self": f"{view.base}/rest/api/{view.api}/project/10000",
        "id": "10000",
        "key": view.project,
        "name": f"{view.project} portfolio",
        "projectTypeKey": "software",
    }


def _component_json(view: View, name: str) -> dict[str, Any]:
    component_id = str(10000 + int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 1000)
    return {
        "self": f"{view.base}/rest/api/{view.api}/component/{component_id}",
        "id": component_id,
        "name": name,
    }


def _theme_option(view: View, value: str) -> dict[str, Any]:
    option_id = str(10100 + int(hashlib.sha256(value.encode()).hexdigest()[:4], 16) % 1000)
    return {
        "self": f"{view.base}/rest/api/{view.api}/customFieldOption/{option_id}",
        "value": value,
        "id": option_id,
    }


def _parent_json(item: SampleItem, view: View, dataset: Dataset) -> dict[str, Any] | None:
    parent = dataset.get(item.parent_key) if item.parent_key else None
    if parent is None:
        return None
    return {
        "id": str(parent.id),
        "key": parent.key,
        "self": f"{view.base}/rest/api/{view.api}/issue/{parent.id}",
        "fields": {
            "summary": parent.title,
            "status": status_json(view.base, view.api, parent.status),
            "issuetype": issuetype_json(view.base, view.api, parent.kind, cloud=True),
        },
    }
