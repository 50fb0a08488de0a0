"""What the Jira Cloud and Data Center personalities share: issue and changelog JSON, field
selection, JQL execution with a small cache, page tokens, errors and authentication."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from lpmsync.sandbox.dataset import Dataset, SampleItem
from lpmsync.sandbox.http import Request, Response
from lpmsync.sandbox.jira.fields import (
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
        everything = any(name in ("*all", "*navigable") for name in wanted)
        chosen = set(known) if everything else set(wanted)
        self.ids = [name for name in known if name in chosen and name not in excluded]
        self.requested_only_ids = all(name in ("id", "key") for name in wanted)


def issue_json(
    item: SampleItem,
    view: View,
    selection: FieldSelection,
    dataset: Dataset,
    *,
    changelog: bool = False,
) -> dict[str, Any]:
    fields = {}
    for name in selection.ids:  # only what was asked for: pages of 5000 ids stay cheap
        value = _RENDERERS[name](item, view, dataset)
        if value is not _OMITTED:
            fields[name] = value
    if item.malformed:  # a broken shape a connector must skip and count
        fields.pop("issuetype" if item.id % 2 else "status", None)
    body: dict[str, Any] = {
        "expand": ISSUE_EXPAND,
        "id": str(item.id),
        "self": f"{view.base}/rest/api/{view.api}/issue/{item.id}",
        "key": item.key,
        "fields": fields,
    }
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


_CHANGELOGS: dict[tuple[str, View], tuple[SampleItem, list[dict[str, Any]]]] = {}
_CHANGELOGS_KEPT = 200_000  # rendered changelogs kept (then started afresh): tests make many


def changelog_entries(item: SampleItem, view: View) -> list[dict[str, Any]]:
    """The item's status changes and one Rank change, oldest first; shared, never mutated.

    Kept per item while it is the same object (items are frozen and replaced on every change):
    rendering them took ~60 ms of the sandbox's one interpreter lock per `changelog/bulkfetch`
    of 1000 issues, a cost of the fake tracker that delayed every request in flight with it."""
    cached = _CHANGELOGS.get((item.key, view))
    if cached is not None and cached[0] is item:
        return cached[1]
    entries = _rendered_changelog(item, view)
    if len(_CHANGELOGS) >= _CHANGELOGS_KEPT:
        _CHANGELOGS.clear()
    _CHANGELOGS[(item.key, view)] = (item, entries)
    return entries


def _rendered_changelog(item: SampleItem, view: View) -> list[dict[str, Any]]:
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


@lru_cache(maxsize=4096)  # shared, never mutated: rendering 100,000 issues
def _project_json(view: View) -> dict[str, Any]:
    return {
        "self": f"{view.base}/rest/api/{view.api}/project/10000",
        "id": "10000",
        "key": view.project,
        "name": f"{view.project} portfolio",
        "projectTypeKey": "software",
    }


@lru_cache(maxsize=4096)  # shared, never mutated: rendering 100,000 issues
def _component_json(view: View, name: str) -> dict[str, Any]:
    component_id = str(10000 + int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 1000)
    return {
        "self": f"{view.base}/rest/api/{view.api}/component/{component_id}",
        "id": component_id,
        "name": name,
    }


@lru_cache(maxsize=4096)  # shared, never mutated: rendering 100,000 issues
def _theme_option(view: View, value: str) -> dict[str, Any]:
    option_id = str(10100 + int(hashlib.sha256(value.encode()).hexdigest()[:4], 16) % 1000)
    return {
        "self": f"{view.base}/rest/api/{view.api}/customFieldOption/{option_id}",
        "value": value,
        "id": option_id,
    }


def _parent_json(item: SampleItem, view: View, dataset: Dataset) -> object:
    parent = dataset.get(item.parent_key) if item.parent_key else None
    if parent is None:
        return _OMITTED
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


_OMITTED = object()
"""A field the issue leaves out altogether (Cloud omits `parent` on items without one)."""
Renderer = Callable[[SampleItem, View, Dataset], Any]
_RENDERERS: dict[str, Renderer] = {
    "summary": lambda item, view, dataset: item.title,
    "status": lambda item, view, dataset: status_json(view.base, view.api, item.status),
    "issuetype": lambda item, view, dataset: issuetype_json(
        view.base, view.api, item.kind, cloud=view.cloud
    ),
    "project": lambda item, view, dataset: _project_json(view),
    "labels": lambda item, view, dataset: list(item.labels),
    "components": lambda item, view, dataset: [_component_json(view, c) for c in item.components],
    "assignee": lambda item, view, dataset: (
        user_json(view.base, view.api, item.owner, cloud=view.cloud) if item.owner else None
    ),
    "created": lambda item, view, dataset: jira_time(item.created),
    "updated": lambda item, view, dataset: jira_time(item.updated),
    "duedate": lambda item, view, dataset: (
        item.target_date.isoformat() if item.target_date else None
    ),
    "parent": _parent_json,
    "statuscategorychangedate": lambda item, view, dataset: jira_time(_entered(item)),
    THEME_FIELD: lambda item, view, dataset: (
        _theme_option(view, item.theme) if item.theme else None
    ),
    STORY_POINTS: lambda item, view, dataset: item.estimate,
    BUSINESS_VALUE: lambda item, view, dataset: item.business_value,
    TIME_CRITICALITY: lambda item, view, dataset: item.time_criticality,
    RISK_REDUCTION: lambda item, view, dataset: item.risk_reduction,
    JOB_SIZE: lambda item, view, dataset: item.job_size,
    RANK: lambda item, view, dataset: f"0|i{item.id:06d}:",
    EPIC_LINK: lambda item, view, dataset: item.parent_key,  # Data Center: a feature's epic
}
