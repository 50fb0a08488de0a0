"""Jira's catalogues as the sandbox serves them: fields (with the custom fields lpmsync reads),
statuses with their categories, issue types and users."""

from __future__ import annotations

import hashlib
import zlib
from functools import lru_cache
from typing import Any

THEME_FIELD = "customfield_10100"
STORY_POINTS = "customfield_10016"
BUSINESS_VALUE = "customfield_10201"
TIME_CRITICALITY = "customfield_10202"
RISK_REDUCTION = "customfield_10203"
JOB_SIZE = "customfield_10204"
EPIC_LINK = "customfield_10014"  # Data Center only: a feature's epic, by key
RANK = "customfield_10019"

_SYSTEM_FIELDS = (
    ("summary", "Summary", ["summary"], {"type": "string", "system": "summary"}),
    ("status", "Status", ["status"], {"type": "status", "system": "status"}),
    (
        "issuetype",
        "Issue Type",
        ["issuetype", "type"],
        {"type": "issuetype", "system": "issuetype"},
    ),
    ("project", "Project", ["project"], {"type": "project", "system": "project"}),
    ("labels", "Labels", ["labels"], {"type": "array", "items": "string", "system": "labels"}),
    (
        "components",
        "Components",
        ["component"],
        {"type": "array", "items": "component", "system": "components"},
    ),
    ("assignee", "Assignee", ["assignee"], {"type": "user", "system": "assignee"}),
    ("created", "Created", ["created", "createdDate"], {"type": "datetime", "system": "created"}),
    ("updated", "Updated", ["updated", "updatedDate"], {"type": "datetime", "system": "updated"}),
    ("duedate", "Due date", ["due", "duedate"], {"type": "date", "system": "duedate"}),
)
_CLOUD_ONLY = (
    ("parent", "Parent", ["parent"], {"type": "issuelink", "system": "parent"}),
    (
        "statuscategorychangedate",
        "Status Category Changed",
        ["statusCategoryChangedDate"],
        {"type": "datetime", "system": "statuscategorychangedate"},
    ),
)
_NUMBER = "com.atlassian.jira.plugin.system.customfieldtypes:float"
_CUSTOM_FIELDS = (
    (
        THEME_FIELD,
        "Strategic Theme",
        {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select"},
    ),
    (STORY_POINTS, "Story Points", {"type": "number", "custom": _NUMBER}),
    (BUSINESS_VALUE, "Business Value", {"type": "number", "custom": _NUMBER}),
    (TIME_CRITICALITY, "Time Criticality", {"type": "number", "custom": _NUMBER}),
    (RISK_REDUCTION, "Risk Reduction", {"type": "number", "custom": _NUMBER}),
    (JOB_SIZE, "Job Size", {"type": "number", "custom": _NUMBER}),
    (RANK, "Rank", {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-lexo-rank"}),
)
_EPIC_LINK_FIELD = (
    EPIC_LINK,
    "Epic Link",
    {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link"},
)

# name -> (id, statusCategory key); categories drive WIP counting in real Jira tools
STATUSES = {
    "Funnel": ("10000", "new"),
    "Reviewing": ("10001", "indeterminate"),
    "Analyzing": ("10002", "indeterminate"),
    "Ready": ("10003", "indeterminate"),
    "In Progress": ("3", "indeterminate"),
    "Done": ("10004", "done"),
    "Parked": ("10005", "indeterminate"),
}
_CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
ISSUE_TYPES = {"Epic": ("10000", 1), "Feature": ("10001", 0)}  # name -> (id, hierarchyLevel)


def field_catalog(*, cloud: bool) -> list[dict[str, Any]]:
    """The body of GET /rest/api/{2,3}/field."""
    system = _SYSTEM_FIELDS + (_CLOUD_ONLY if cloud else ())
    custom = _CUSTOM_FIELDS if cloud else (*_CUSTOM_FIELDS, _EPIC_LINK_FIELD)
    fields = [
        _field(fid, name, clauses, schema, custom=False) for fid, name, clauses, schema in system
    ]
    for fid, name, schema in custom:
        number = int(fid.removeprefix("customfield_"))
        clauses = [f"cf[{number}]", name]
        fields.append(_field(fid, name, clauses, {**schema, "customId": number}, custom=True))
    return fields


def field_ids(*, cloud: bool) -> list[str]:
    return [field["id"] for field in field_catalog(cloud=cloud)]


def _field(
    fid: str, name: str, clauses: list[str], schema: dict[str, Any], *, custom: bool
) -> dict[str, Any]:
    return {
        "id": fid,
        "key": fid,
        "name": name,
        "custom": custom,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": clauses,
        "schema": schema,
    }


@lru_cache(maxsize=4096)  # shared, never mutated: rendering 100,000 issues
def status_json(base: str, api: str, name: str) -> dict[str, Any]:
    status_id, category = STATUSES.get(name, (str(20000 + zlib.crc32(name.encode()) % 1000), "new"))
    return {
        "self": f"{base}/rest/api/{api}/status/{status_id}",
        "description": "",
        "iconUrl": f"{base}/images/icons/statuses/generic.png",
        "name": name,
        "id": status_id,
        "statusCategory": {
            "self": f"{base}/rest/api/{api}/statuscategory/{_CATEGORIES[category]['id']}",
            **_CATEGORIES[category],
        },
    }


def status_id(name: str) -> str:
    return STATUSES.get(name, (str(20000 + zlib.crc32(name.encode()) % 1000), ""))[0]


@lru_cache(maxsize=4096)  # shared, never mutated: rendering 100,000 issues
def issuetype_json(base: str, api: str, name: str, *, cloud: bool) -> dict[str, Any]:
    type_id, level = ISSUE_TYPES.get(name, (str(10100 + zlib.crc32(name.encode()) % 100), 0))
    body: dict[str, Any] = {
        "self": f"{base}/rest/api/{api}/issuetype/{type_id}",
        "id": type_id,
        "description": "",
        "iconUrl": f"{base}/images/icons/issuetypes/{name.lower()}.svg",
        "name": name,
        "subtask": False,
    }
    if cloud:
        body["hierarchyLevel"] = level
    return body


@lru_cache(maxsize=4096)  # shared, never mutated: rendering 100,000 issues
def user_json(base: str, api: str, email: str, *, cloud: bool) -> dict[str, Any]:
    """A user as Cloud (accountId) or Data Center (name/key) shows one."""
    local = email.split("@", 1)[0]
    display = " ".join(part.capitalize() for part in local.split("."))
    if cloud:
        account = "712020:" + hashlib.sha256(email.encode()).hexdigest()[:32]
        return {
            "self": f"{base}/rest/api/{api}/user?accountId={account}",
            "accountId": account,
            "emailAddress": email,
            "displayName": display,
            "active": True,
            "timeZone": "Europe/Berlin",
            "accountType": "atlassian",
        }
    return {
        "self": f"{base}/rest/api/{api}/user?username={local}",
        "name": local,
        "key": f"JIRAUSER{zlib.crc32(email.encode()) % 100000}",
        "emailAddress": email,
        "displayName": display,
        "active": True,
        "timeZone": "Europe/Berlin",
    }
