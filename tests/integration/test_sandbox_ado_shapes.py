"""The Azure DevOps sandbox's responses against the WIT 7.1 spec definitions and Microsoft's
recorded examples (key sets), one sample of every response type."""

from __future__ import annotations

from typing import Any

from tests.integration.test_sandbox_ado_helpers import (
    dataset,
    declared_properties,
    example_body,
    item,
    running,
    validate,
)

WIQL = (
    "SELECT [System.Id], [System.Title], [System.State] FROM WorkItems "
    "WHERE [System.TeamProject] = @project ORDER BY [System.Id]"
)
ERROR_KEYS = {"$id", "innerException", "message", "typeName", "typeKey", "errorCode", "eventId"}


def sample() -> Any:
    return dataset(
        item(1, "Epic", labels=("CX",), owner="Ada Lovelace", estimate=8.0, theme="Growth"),
        item(2, "Feature", parent_key="1", business_value=3.0),
    )


def test_wiql_result_matches_the_spec_and_the_recorded_flat_query() -> None:
    with running(sample()) as sandbox:
        body = sandbox.wiql(WIQL).json()

    validate(body, "WorkItemQueryResult")
    recorded = example_body("wiql/GET__wit_get_id_workitems.json")
    assert set(recorded) <= set(body) <= declared_properties("WorkItemQueryResult")
    assert set(body["columns"][0]) == set(recorded["columns"][0])
    assert set(body["sortColumns"][0]) == set(recorded["sortColumns"][0])
    assert set(body["workItems"][0]) == set(recorded["workItems"][0])
    assert (body["queryType"], body["queryResultType"]) == ("flat", "workItem")


def test_batch_items_match_the_spec_and_the_recorded_batch() -> None:
    request = {"ids": [1, 2], "fields": ["System.Id", "System.Title", "System.WorkItemType"]}
    with running(sample()) as sandbox:
        body = sandbox.call("POST", "/Contoso/_apis/wit/workitemsbatch", json=request).json()

    recorded = example_body(
        "workItemsBatch/POST__wit_WorkItemsBatch_ids-_ids__fields-_columns_.json"
    )
    assert set(body) == set(recorded) == {"count", "value"}
    for work_item, recorded_item in zip(body["value"], recorded["value"], strict=False):
        validate(work_item, "WorkItem")
        assert set(work_item) == set(recorded_item)
        assert set(work_item["fields"]) == {"System.Id", "System.Title", "System.WorkItemType"}


def test_listed_and_fully_expanded_items_match_the_spec_and_recordings() -> None:
    with running(sample()) as sandbox:
        listed = sandbox.call(
            "GET", "/Contoso/_apis/wit/workitems", params={"ids": "1,2", "fields": "System.Title"}
        ).json()
        expanded = sandbox.call(
            "GET", "/Contoso/_apis/wit/workitems", params={"ids": "2", "$expand": "All"}
        ).json()
        owned = sandbox.call("POST", "/Contoso/_apis/wit/workitemsbatch", json={"ids": [1]}).json()

    recorded = example_body("workItems/GET__wit_WorkItems_ids-_ids__fields-_columns_.json")
    assert set(listed) == set(recorded)
    assert set(listed["value"][0]) == set(recorded["value"][0])
    recorded_all = example_body("workItems/GET__wit_WorkItems_ids-_ids___expand-all.json")
    work_item = expanded["value"][0]
    validate(work_item, "WorkItem")
    assert set(work_item) == set(recorded_all["value"][0])
    assert set(work_item["relations"][0]) == set(recorded_all["value"][0]["relations"][0])
    assert set(work_item["_links"]) <= set(recorded_all["value"][0]["_links"])
    recorded_owner = example_body("workItems/GET__wit_WorkItems_id.json")["fields"]
    owner = owned["value"][0]["fields"]["System.AssignedTo"]
    assert set(owner) <= set(recorded_owner["System.AssignedTo"])


def test_reporting_revisions_match_the_spec_and_the_recorded_batch() -> None:
    with running(sample()) as sandbox:
        body = sandbox.call("GET", "/Contoso/_apis/wit/reporting/workitemrevisions").json()

    validate(body, "ReportingWorkItemRevisionsBatch")
    recorded = example_body("workItemRevisions/GET__wit_reporting_workItemRevisions.json")
    assert set(recorded) <= set(body) <= declared_properties("ReportingWorkItemRevisionsBatch")
    assert set(body["values"][0]) == set(recorded["values"][0]) == {"id", "rev", "fields"}
    shared = set(body["values"][0]["fields"]) & set(recorded["values"][0]["fields"])
    assert {"System.Id", "System.Rev", "System.State", "System.RevisedDate"} <= shared


def test_errors_have_the_wrapped_exception_shape() -> None:
    with running(sample()) as sandbox:
        error = sandbox.call(
            "POST",
            "/Contoso/_apis/wit/workitemsbatch",
            json={"ids": [1], "fields": ["System.Id"], "$expand": "All"},
        )

    assert error.status_code == 400
    assert error.headers["Content-Type"].startswith("application/json")
    assert set(error.json()) == ERROR_KEYS
