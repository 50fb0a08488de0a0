"""What a user would otherwise write: the trackers' own Python clients, used plainly."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from jira import JIRA

from benchmarks.sandbox_rig import EMAIL, PAT, TOKEN
from lpmsync.connectors.jira.mapping import SYSTEM_FIELDS

# The fields lpmsync's own bulk fetch asks for, so both sides transfer the same data.
JIRA_FIELDS = [
    *SYSTEM_FIELDS,
    "customfield_10100",
    "customfield_10016",
    "customfield_10201",
    "customfield_10202",
    "customfield_10203",
    "customfield_10204",
]
ADO_FIELDS = [
    "System.Id",
    "System.Title",
    "System.WorkItemType",
    "System.State",
    "System.Tags",
    "System.AreaPath",
    "System.Parent",
    "System.ChangedDate",
    "System.CreatedDate",
    "System.AssignedTo",
    "Microsoft.VSTS.Common.StateChangeDate",
    "Microsoft.VSTS.Scheduling.Effort",
    "Microsoft.VSTS.Common.BusinessValue",
    "Microsoft.VSTS.Common.TimeCriticality",
    "Custom.StrategicTheme",
    "Custom.RiskReduction",
]


def jira_cloud(url: str, jql: str) -> int:
    """`enhanced_search_issues(maxResults=False)`: every page, one after another, with changelog."""
    client = JIRA(server=url, basic_auth=(EMAIL, TOKEN), max_retries=0)
    issues = client.enhanced_search_issues(
        jql, maxResults=False, fields=",".join(JIRA_FIELDS), expand="changelog"
    )
    client.close()  # type: ignore[no-untyped-call]
    return len(issues)


def jira_dc(url: str, jql: str, page_size: int = 1000) -> int:
    """`search_issues` page by page with `startAt`, with changelog."""
    client = JIRA(server=url, token_auth=PAT, max_retries=0)
    start, seen = 0, 0
    while True:
        page: Any = client.search_issues(
            jql,
            startAt=start,
            maxResults=page_size,
            fields=",".join(JIRA_FIELDS),
            expand="changelog",
            validate_query=False,
        )
        seen += len(page)
        start += len(page)
        if not page or start >= page.total:
            break
    client.close()  # type: ignore[no-untyped-call]
    return seen


def azure_devops(organization_url: str, project: str) -> int:
    """WIQL for the ids, then `get_work_items_batch` one batch of 200 after another."""
    from azure.devops.connection import Connection
    from azure.devops.v7_1.work_item_tracking.models import (
        TeamContext,
        Wiql,
        WorkItemBatchGetRequest,
    )
    from msrest.authentication import BasicAuthentication

    os.environ.setdefault("AZURE_DEVOPS_CACHE_DIR", tempfile.mkdtemp(prefix="lpmsync-bench-"))
    client = Connection(
        base_url=organization_url, creds=BasicAuthentication("", PAT)
    ).clients_v7_1.get_work_item_tracking_client()
    query = (
        "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
        "AND [System.WorkItemType] IN ('Epic', 'Feature') ORDER BY [System.Id]"
    )
    result = client.query_by_wiql(
        Wiql(query=query), team_context=TeamContext(project=project), top=20000
    )
    ids = [ref.id for ref in result.work_items]
    fetched = 0
    for start in range(0, len(ids), 200):
        batch = WorkItemBatchGetRequest(
            ids=ids[start : start + 200], fields=ADO_FIELDS, error_policy="omit"
        )
        fetched += len(client.get_work_items_batch(batch, project=project))
    return fetched
