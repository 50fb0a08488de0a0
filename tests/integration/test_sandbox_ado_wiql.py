"""WIQL in the Azure DevOps sandbox: the subset lpmsync sends, the 20,000 limit, and errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_sandbox_ado_helpers import (
    NOW,
    T0,
    bulk_dataset,
    dataset,
    item,
    running,
    sdk_client,
)

BASE = (
    "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
    "AND [System.WorkItemType] IN ('Epic','Feature')"
)
ORDER = " ORDER BY [System.Id]"


def ids(answer: Any) -> list[int]:
    assert answer.status_code == 200, answer.text
    return [entry["id"] for entry in answer.json()["workItems"]]


def areas() -> Any:
    return dataset(
        item(1, "Epic", area_path="Contoso\\Payments"),
        item(2, "Feature", area_path="Contoso\\Payments\\Team A", labels=("CX", "Mobile")),
        item(3, "Feature", area_path="Contoso\\Logistics", status="New"),
        item(4, "Epic", area_path="Contoso\\PaymentsExtra"),
        item(5, "Task", area_path="Contoso\\Payments"),
    )


def test_more_than_20000_results_is_vs402337_unless_top_or_an_id_window_bounds_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from azure.devops.exceptions import AzureDevOpsServiceError
    from azure.devops.v7_1.work_item_tracking.models import TeamContext, Wiql

    with running(bulk_dataset(20_001)) as sandbox:
        too_many = sandbox.wiql(BASE + ORDER)
        bounded = sandbox.wiql(BASE + ORDER, **{"$top": "20000"})
        window = sandbox.wiql(BASE + " AND [System.Id] > 20000" + ORDER, **{"$top": "20000"})
        client = sdk_client(monkeypatch, tmp_path, sandbox.org_url)
        with pytest.raises(AzureDevOpsServiceError, match="VS402337"):
            client.query_by_wiql(Wiql(query=BASE + ORDER), team_context=TeamContext("Contoso"))
        counts = sandbox.server.log.counts()

    assert too_many.status_code == 400
    error = too_many.json()
    assert error["message"].startswith(
        "VS402337: The number of work items returned exceeds the size limit of 20000."
    )
    assert set(error) == {
        "$id", "innerException", "message", "typeName", "typeKey", "errorCode", "eventId"
    }  # fmt: skip
    assert (error["$id"], error["innerException"], error["errorCode"], error["eventId"]) == (
        "1", None, 0, 3000
    )  # fmt: skip
    assert ids(bounded) == list(range(1, 20_001))
    assert ids(window) == [20_001]
    assert counts["POST /_apis/wit/wiql"] == 4


def test_exactly_20000_results_is_allowed() -> None:
    with running(bulk_dataset(20_000)) as sandbox:
        assert len(ids(sandbox.wiql(BASE + ORDER))) == 20_000


def test_top_and_id_window_page_through_the_ids() -> None:
    data = dataset(*(item(n, "Epic" if n % 3 == 0 else "Feature") for n in range(1, 11)))
    pages: list[list[int]] = []
    last = 0
    with running(data) as sandbox:
        while True:
            page = ids(sandbox.wiql(BASE + f" AND [System.Id] > {last}" + ORDER, **{"$top": "4"}))
            if not page:
                break
            pages.append(page)
            last = page[-1]
        requests_sent = sandbox.server.log.counts()["POST /_apis/wit/wiql"]

    assert pages == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert requests_sent == 4


def test_changed_date_compares_days_unless_time_precision_is_asked() -> None:
    # item n moved to Active (its ChangedDate) at T0 + n days, 09:00 UTC
    data = dataset(*(item(n) for n in range(1, 6)))
    day_of_3 = (T0 + timedelta(days=3)).date().isoformat()
    moment = (T0 + timedelta(days=3, hours=1)).isoformat().replace("+00:00", "Z")
    with running(data) as sandbox:
        by_day = sandbox.wiql(BASE + f" AND [System.ChangedDate] >= '{day_of_3}'" + ORDER)
        timed = f" AND [System.ChangedDate] >= '{moment}'"
        refused = sandbox.wiql(BASE + timed + ORDER)
        precise = sandbox.wiql(BASE + timed + ORDER, timePrecision="true")

    assert ids(by_day) == [3, 4, 5]
    assert refused.status_code == 400
    assert refused.json()["message"].startswith(
        "You cannot supply a time with the date when running a query using date precision."
    )
    assert ids(precise) == [4, 5]


def test_today_macro_counts_days_back_from_the_clock() -> None:
    recent = item(1, updated=NOW - timedelta(days=2))
    old = item(2, updated=NOW - timedelta(days=40))
    with running(dataset(recent, old)) as sandbox:
        answer = sandbox.wiql(BASE + " AND [System.ChangedDate] >= @today - 30" + ORDER)

    assert ids(answer) == [1]


def test_area_path_under_matches_the_subtree_only() -> None:
    with running(areas()) as sandbox:
        under = sandbox.wiql(BASE + " AND [System.AreaPath] UNDER 'Contoso\\Payments'" + ORDER)
        root = sandbox.wiql(BASE + " AND [System.AreaPath] UNDER 'contoso'" + ORDER)
        unknown = sandbox.wiql(BASE + " AND [System.AreaPath] UNDER 'Contoso\\Nowhere'")

    assert ids(under) == [1, 2]  # not Contoso\PaymentsExtra, not the Task
    assert ids(root) == [1, 2, 3, 4]
    assert unknown.status_code == 400
    assert unknown.json()["message"].startswith("TF51011: The specified area path does not exist.")


def test_boolean_logic_lists_tags_and_descending_order() -> None:
    query = (
        "SELECT [System.Id], [System.Title] FROM WorkItems WHERE [System.TeamProject] = 'Contoso' "
        "AND ([State] = 'New' OR [System.Tags] CONTAINS 'Mobile') "
        "AND [System.WorkItemType] NOT IN ('Task') ORDER BY [System.Id] DESC"
    )
    with running(areas()) as sandbox:
        answer = sandbox.wiql(query)

    assert ids(answer) == [3, 2]
    body = answer.json()
    assert [c["referenceName"] for c in body["columns"]] == ["System.Id", "System.Title"]
    assert body["sortColumns"] == [
        {
            "field": {
                "referenceName": "System.Id",
                "name": "ID",
                "url": f"{sandbox.org_url}/_apis/wit/fields/System.Id",
            },
            "descending": True,
        }
    ]
    assert body["asOf"] == "2026-11-16T09:00:00Z"


def test_organization_and_team_routes_answer_too() -> None:
    literal = BASE.replace("@project", "'Contoso'") + ORDER
    with running(areas()) as sandbox:
        org_level = sandbox.wiql(literal, path="/_apis/wit/wiql")
        team_level = sandbox.wiql(BASE + ORDER, path="/contoso/Contoso%20Team/_apis/wit/wiql")
        org_macro = sandbox.wiql(BASE + ORDER, path="/_apis/wit/wiql")

    assert ids(org_level) == ids(team_level) == [1, 2, 3, 4]
    assert org_macro.status_code == 400


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT [System.Id] FROM WorkItemLinks", "Only flat queries FROM WorkItems"),
        (BASE + " AND [Custom.Nope] = 1", "TF51005: The query references a field"),
        (BASE + " AND [System.Id] ~ 3", "Unsupported WIQL"),
        (BASE + " AND [System.Id] = 'three'", "is not a number"),
        ("DELETE FROM WorkItems", "Expecting SELECT"),
        (BASE + " AND [System.AssignedTo] = @me", "The macro @me is not supported"),
        (BASE + " ORDER BY", "The WIQL query ends unexpectedly"),
    ],
)
def test_unsupported_or_invalid_wiql_is_a_400(query: str, message: str) -> None:
    with running(areas()) as sandbox:
        answer = sandbox.wiql(query)

    assert answer.status_code == 400
    assert message in answer.json()["message"]


def test_a_missing_query_is_a_400() -> None:
    with running(areas()) as sandbox:
        answer = sandbox.call("POST", "/Contoso/_apis/wit/wiql", json={})

    assert answer.status_code == 400
