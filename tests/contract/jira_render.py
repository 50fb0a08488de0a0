"""Fake Jira issues rendered in the shapes of the Cloud v3 and Data Center v2 APIs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

THEME = "customfield_10100"
POINTS = "customfield_10016"
EPIC_LINK = "customfield_10014"
BUSINESS_VALUE = "customfield_10200"
JOB_SIZE = "customfield_10201"

STATUS_IDS = {
    "Funnel": "1",
    "Reviewing": "2",
    "Analyzing": "3",
    "Ready": "4",
    "In Progress": "5",
    "Done": "6",
    "Parked": "7",
}
TYPE_IDS = {"Epic": "10000", "Feature": "10001", "Story": "10002"}
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@dataclass
class FakeIssue:
    key: str
    id: int
    type: str = "Epic"
    status: str = "Funnel"
    summary: str = "An epic"
    created: datetime = T0
    updated: datetime = T0
    parent: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    theme: str | None = None
    points: float | None = None
    assignee: str | None = None
    history: list[tuple[datetime, str | None, str]] = field(default_factory=list)
    broken_fields: dict[str, Any] | None = None  # served instead of the real fields


def make_issues(count: int, project: str = "PORT", start_id: int = 10000) -> list[FakeIssue]:
    """`count` epics and features (every fourth an epic), each with a two-step history."""
    made = []
    for number in range(1, count + 1):
        epic = number % 4 == 1
        epic_key = f"{project}-{number - (number - 1) % 4}"
        created = T0 + timedelta(hours=number)
        moved = created + timedelta(days=3)
        made.append(
            FakeIssue(
                key=f"{project}-{number}",
                id=start_id + number,
                type="Epic" if epic else "Feature",
                status="Analyzing",
                summary=f"{'Epic' if epic else 'Feature'} {number}",
                created=created,
                updated=moved,
                parent=None if epic else epic_key,
                labels=("vs-payments",),
                components=("Payments",),
                theme="Growth",
                points=float(number % 13),
                assignee=f"owner{number % 5}@acme.test",
                history=[
                    (created + timedelta(days=1), "Funnel", "Reviewing"),
                    (moved, "Reviewing", "Analyzing"),
                ],
            )
        )
    return made


def stamp(at: datetime) -> str:
    """Jira's date-time format: `2026-05-01T09:00:00.000+0000`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def key_order(key: str) -> tuple[str, int]:
    project, _, number = key.rpartition("-")
    return project, int(number)


def run_jql(issues: Iterable[FakeIssue], jql: str) -> list[FakeIssue]:
    """The subset of JQL lpmsync sends: the scope, `updated >= "..."`, `key in (...)`, ORDER BY."""
    found = list(issues)
    since = re.search(r'updated >= "(\d{4}-\d\d-\d\d \d\d:\d\d)"', jql)
    if since:
        start = datetime.strptime(since.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        found = [issue for issue in found if issue.updated >= start]
    keys = re.search(r"key in \(([^)]*)\)", jql)
    if keys:
        wanted = {part.strip().strip('"') for part in keys.group(1).split(",")}
        found = [issue for issue in found if issue.key in wanted]
    if jql.rstrip().endswith("ORDER BY updated ASC"):
        return sorted(found, key=lambda issue: (issue.updated, issue.id))
    return sorted(found, key=lambda issue: key_order(issue.key))


def _all_fields(issue: FakeIssue, base: str, cloud: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "summary": issue.summary,
        "status": {"name": issue.status, "id": STATUS_IDS[issue.status]},
        "issuetype": {"name": issue.type, "id": TYPE_IDS[issue.type]},
        "labels": list(issue.labels),
        "components": [
            {"name": name, "id": str(10 + i)} for i, name in enumerate(issue.components)
        ],
        "assignee": (
            {"emailAddress": issue.assignee, "displayName": issue.assignee.split("@")[0]}
            if issue.assignee
            else None
        ),
        "created": stamp(issue.created),
        "updated": stamp(issue.updated),
        THEME: {"value": issue.theme, "id": "1"} if issue.theme else None,
        POINTS: issue.points,
    }
    if cloud:
        fields["parent"] = (
            {"id": "1", "key": issue.parent, "self": f"{base}/rest/api/3/issue/{issue.parent}"}
            if issue.parent
            else None
        )
    else:
        fields[EPIC_LINK] = issue.parent
    return fields


def issue(
    fake: FakeIssue, wanted: list[str], base: str, *, cloud: bool, changelog: bool = False
) -> dict[str, Any]:
    version = 3 if cloud else 2
    bean: dict[str, Any] = {
        "id": str(fake.id),
        "key": fake.key,
        "self": f"{base}/rest/api/{version}/issue/{fake.id}",
    }
    if set(wanted) - {"id", "key"}:
        every = (
            fake.broken_fields if fake.broken_fields is not None else _all_fields(fake, base, cloud)
        )
        everything = any(name.startswith("*") for name in wanted)
        bean["fields"] = {n: v for n, v in every.items() if everything or n in wanted}
    if changelog:
        histories = _histories(fake, cloud=False)
        bean["changelog"] = {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        }
    return bean


def _histories(fake: FakeIssue, *, cloud: bool) -> list[dict[str, Any]]:
    found = []
    for index, (at, before, after) in enumerate(fake.history):
        item: dict[str, Any] = {
            "field": "status",
            "fieldtype": "jira",
            "from": STATUS_IDS.get(before or ""),
            "fromString": before,
            "to": STATUS_IDS[after],
            "toString": after,
        }
        if cloud:
            item["fieldId"] = "status"
        found.append(
            {
                "id": f"{fake.id}{index:03d}",
                "created": stamp(at),
                "items": [{k: v for k, v in item.items() if v is not None}],
            }
        )
    return found


def changelog(fake: FakeIssue) -> list[dict[str, Any]]:
    return _histories(fake, cloud=True)


def server_info(base: str, deployment: str) -> dict[str, Any]:
    if deployment == "cloud":
        return {
            "baseUrl": base,
            "deploymentType": "Cloud",
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "buildNumber": 100281,
            "serverTitle": "Jira",
        }
    return {
        "baseUrl": base,
        "deploymentType": "Server",
        "version": "10.3.4",
        "versionNumbers": [10, 3, 4],
        "serverTitle": "Jira",
    }


def default_fields() -> list[dict[str, Any]]:
    def one(ident: str, name: str, custom: bool = True) -> dict[str, Any]:
        clause = f"cf[{ident.rsplit('_', maxsplit=1)[-1]}]" if custom else ident
        return {
            "id": ident,
            "name": name,
            "custom": custom,
            "orderable": True,
            "navigable": True,
            "searchable": True,
            "clauseNames": [clause, name],
        }

    return [
        one("summary", "Summary", custom=False),
        one("status", "Status", custom=False),
        one(THEME, "Strategic Theme"),
        one(POINTS, "Story Points"),
        one(EPIC_LINK, "Epic Link"),
        one(BUSINESS_VALUE, "Business Value"),
        one(JOB_SIZE, "Job Size"),
    ]
