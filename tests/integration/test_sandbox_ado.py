"""The Azure DevOps sandbox over real HTTP: the real `azure-devops` SDK, discovery, auth,
api-version, `workitemsbatch` and `workitems?ids=`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_sandbox_ado_helpers import (
    PAT,
    T0,
    dataset,
    item,
    running,
    sdk_client,
)

SDK_LOCATIONS = {
    "e81700f7-3be2-46de-8624-2eb35882fcaa",  # ResourceAreas
    "1a9c53f7-f243-4447-b110-35ef023636e4",  # query_by_wiql
    "72c7ddf8-2cdc-4f60-90cd-ab71c14a399b",  # get_work_items
    "908509b6-4248-4475-a1cd-829139ba419f",  # get_work_items_batch
    "f828fe59-dd87-495d-a17c-7a8d6211ca6c",  # read_reporting_revisions_get/_post
}
WIQL = (
    "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
    "AND [System.WorkItemType] IN ('Epic','Feature') ORDER BY [System.Id]"
)


def portfolio() -> Any:
    return dataset(
        item(1, "Epic", "Active", labels=("CX", "Mobile"), owner="Ada Lovelace",
             area_path="Contoso\\Payments", theme="Growth", business_value=8.0,
             time_criticality=5.0, risk_reduction=3.0, estimate=13.0),
        item(2, "Feature", "New", parent_key="1", area_path="Contoso\\Payments\\Team A"),
        item(3, "Bug", "Active"),
        item(4, "Feature", "Closed", parent_key="1", job_size=5.0),
        item(5, "Epic", "Active", malformed=True),
        item(6, "Feature", "Active", malformed=True),
    )  # fmt: skip


def test_the_real_sdk_runs_a_wiql_query_and_a_batch_fetch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from azure.devops.v7_1.work_item_tracking.models import (
        TeamContext,
        Wiql,
        WorkItemBatchGetRequest,
    )

    with running(portfolio()) as sandbox:
        client = sdk_client(monkeypatch, tmp_path, sandbox.org_url)
        result = client.query_by_wiql(
            Wiql(query=WIQL), team_context=TeamContext(project="Contoso"), top=3
        )
        fields = ["System.Id", "System.Title", "System.Tags", "System.AssignedTo", "System.Parent"]
        batch = client.get_work_items_batch(
            WorkItemBatchGetRequest(ids=[w.id for w in result.work_items], fields=fields),
            project="Contoso",
        )
        counts = sandbox.server.log.counts()

    assert [w.id for w in result.work_items] == [1, 2, 4]  # the Bug is not selected; top=3
    assert result.work_items[0].url == f"{sandbox.org_url}/_apis/wit/workItems/1"
    assert [w.id for w in batch] == [1, 2, 4]
    epic = batch[0].fields
    assert epic == {
        "System.Id": 1,
        "System.Title": "Epic 1",
        "System.Tags": "CX; Mobile",
        "System.AssignedTo": {
            "displayName": "Ada Lovelace",
            "uniqueName": "ada.lovelace@acme.example",
            "id": epic["System.AssignedTo"]["id"],
        },
    }
    assert batch[1].fields == {"System.Id": 2, "System.Title": "Feature 2", "System.Parent": 1}
    assert batch[0].rev == 2  # created in New, then moved to Active
    assert counts == {
        "OPTIONS /_apis": 1,
        "GET /_apis/ResourceAreas": 1,
        "POST /_apis/wit/wiql": 1,
        "POST /_apis/wit/workitemsbatch": 1,
    }


def test_the_sdk_lists_work_items_and_reaches_reporting_revisions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with running(portfolio()) as sandbox:
        client = sdk_client(monkeypatch, tmp_path, sandbox.org_url)
        listed = client.get_work_items(
            [4, 1], project="Contoso", fields=["System.State", "Microsoft.VSTS.Scheduling.Effort"]
        )
        single = client.get_work_item(2, project="Contoso", expand="Relations")
        client.read_reporting_revisions_get(project="Contoso", types=["Epic"])
        statuses = [(entry.endpoint, entry.status) for entry in sandbox.server.log.entries]

    assert [(w.id, w.fields) for w in listed] == [
        (4, {"System.State": "Closed", "Microsoft.VSTS.Scheduling.Effort": 5.0}),  # job size
        (1, {"System.State": "Active", "Microsoft.VSTS.Scheduling.Effort": 13.0}),
    ]
    assert (single.id, single.fields["System.State"]) == (2, "New")
    assert single.relations[0].rel == "System.LinkTypes.Hierarchy-Reverse"
    assert ("GET /_apis/wit/reporting/workitemrevisions", 200) in statuses


def test_the_sdk_with_a_wrong_pat_gets_an_authentication_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from azure.devops.exceptions import AzureDevOpsAuthenticationError

    with running(portfolio()) as sandbox:
        with pytest.raises(AzureDevOpsAuthenticationError):
            sdk_client(monkeypatch, tmp_path, sandbox.org_url, pat="not-the-pat")
        assert [entry.status for entry in sandbox.server.log.entries] == [401]


def test_a_bad_pat_gets_the_sign_in_page_unless_redirects_are_suppressed() -> None:
    with running(portfolio()) as sandbox:
        wrong = sandbox.call("GET", "/Contoso/_apis/wit/workitems?ids=1", pat="wrong")
        missing = sandbox.call("GET", "/Contoso/_apis/wit/workitems?ids=1", pat=None)
        suppressed = sandbox.call(
            "GET",
            "/Contoso/_apis/wit/workitems?ids=1",
            pat="wrong",
            headers={"X-TFS-FedAuthRedirect": "Suppress"},
        )
        good = sandbox.call("GET", "/Contoso/_apis/wit/workitems?ids=1")

    for page in (wrong, missing):
        assert page.status_code == 203
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Sign In" in page.text
    assert suppressed.status_code == 401
    assert "WWW-Authenticate" in suppressed.headers
    assert PAT not in suppressed.text
    assert good.status_code == 200


def test_location_discovery_publishes_every_location_the_sdk_uses() -> None:
    with running(portfolio()) as sandbox:
        options = sandbox.call("OPTIONS", "/_apis", accept="application/json").json()
        wit_only = sandbox.call("OPTIONS", "/_apis/wit", accept="application/json").json()
        project = sandbox.call("OPTIONS", "/Contoso/_apis", accept="application/json").json()
        areas = sandbox.call("GET", "/_apis/ResourceAreas").json()
        wit_area = sandbox.call("GET", "/_apis/ResourceAreas/5264459e-e5e0-4bd8-b118-0985e68a4ec5")

    assert {location["id"] for location in options["value"]} == SDK_LOCATIONS
    assert options["count"] == len(options["value"])
    assert project == options
    assert {location["area"] for location in wit_only["value"]} == {"wit"}
    wiql = next(loc for loc in options["value"] if loc["resourceName"] == "wiql")
    assert wiql["routeTemplate"] == "{project}/{team}/_apis/{area}/{resource}"
    assert wiql["maxVersion"] == "7.1"
    assert wiql["resourceVersion"] == 2
    assert {"id": "5264459e-e5e0-4bd8-b118-0985e68a4ec5", "name": "wit",
            "locationUrl": f"{sandbox.org_url}/"} in areas["value"]  # fmt: skip
    assert wit_area.json()["name"] == "wit"


def test_api_version_comes_from_the_accept_header_or_the_query_and_is_required() -> None:
    path = "/Contoso/_apis/wit/workitems"
    with running(portfolio()) as sandbox:
        from_header = sandbox.call("GET", path, params={"ids": "1"})
        from_query = sandbox.call(
            "GET", path, accept="application/json", params={"ids": "1", "api-version": "7.1"}
        )
        missing = sandbox.call("GET", path, accept="application/json", params={"ids": "1"})
        too_new = sandbox.call("GET", path, accept="application/json;api-version=8.0")

    assert from_header.status_code == from_query.status_code == 200
    assert missing.status_code == 400
    assert missing.json()["message"].startswith('No api-version was supplied for the "GET"')
    assert missing.json()["typeKey"] == "VssVersionNotSpecifiedException"
    assert too_new.status_code == 400
    assert "out of range" in too_new.json()["message"]


def test_batch_returns_only_requested_fields_in_the_requested_order() -> None:
    body = {"ids": [4, 1, 2], "fields": ["System.State", "System.AssignedTo"]}
    with running(portfolio()) as sandbox:
        answer = sandbox.call("POST", "/Contoso/_apis/wit/workitemsbatch", json=body).json()

    assert answer["count"] == 3
    assert [(w["id"], w["fields"]) for w in answer["value"]] == [
        (4, {"System.State": "Closed"}),  # no owner: the null field is left out
        (1, {"System.State": "Active", "System.AssignedTo": answer["value"][1]["fields"]
             ["System.AssignedTo"]}),
        (2, {"System.State": "New"}),
    ]  # fmt: skip


def test_batch_without_fields_renders_every_known_field() -> None:
    with running(portfolio()) as sandbox:
        answer = sandbox.call("POST", "/Contoso/_apis/wit/workitemsbatch", json={"ids": [1, 4]})

    fields, sized = (work_item["fields"] for work_item in answer.json()["value"])
    assert sized["Custom.JobSize"] == sized["Microsoft.VSTS.Scheduling.Effort"] == 5.0
    assert fields["System.WorkItemType"] == "Epic"
    assert fields["System.BoardColumn"] == "Active"
    assert fields["System.AreaPath"] == "Contoso\\Payments"
    assert fields["System.ChangedDate"] == "2026-05-05T09:00:00Z"
    assert fields["System.CreatedDate"] == "2026-05-04T09:00:00Z"
    assert fields["Microsoft.VSTS.Common.StateChangeDate"] == "2026-05-05T09:00:00Z"
    assert fields["Microsoft.VSTS.Common.BusinessValue"] == 8.0
    assert fields["Microsoft.VSTS.Common.TimeCriticality"] == 5.0
    assert fields["Custom.RiskReduction"] == 3.0
    assert "Custom.JobSize" not in fields  # no job size: the null field is left out
    assert fields["Custom.StrategicTheme"] == "Growth"
    assert "System.Parent" not in fields


def test_batch_limits_and_errors_match_the_service() -> None:
    path = "/Contoso/_apis/wit/workitemsbatch"
    with running(portfolio()) as sandbox:
        too_many = sandbox.call("POST", path, json={"ids": list(range(1, 202))})
        at_limit = sandbox.call(
            "POST", path, json={"ids": list(range(1, 201)), "errorPolicy": "Omit"}
        )
        both = sandbox.call(
            "POST", path, json={"ids": [1], "fields": ["System.Id"], "$expand": "Relations"}
        )
        unknown = sandbox.call("POST", path, json={"ids": [1], "fields": ["Custom.Nope"]})
        missing = sandbox.call("POST", path, json={"ids": [1, 999]})
        other_project = sandbox.call(
            "POST", "/Fabrikam/_apis/wit/workitemsbatch", json={"ids": [1]}
        )

    assert too_many.status_code == 400
    assert at_limit.status_code == 200
    assert [w["id"] for w in at_limit.json()["value"] if w] == [1, 2, 3, 4, 5, 6]
    assert at_limit.json()["value"][6] is None  # errorPolicy Omit leaves a null
    assert both.status_code == 400
    assert both.json()["message"] == (
        "The expand parameter can not be used with the fields parameter."
    )
    assert unknown.json()["message"] == "TF51535: Cannot find field Custom.Nope."
    assert missing.status_code == 404
    assert missing.json()["message"].startswith("TF401232: Work item 999 does not exist")
    assert other_project.status_code == 404
    assert other_project.json()["message"].startswith("TF200016:")


def test_expand_relations_carries_the_parent_link() -> None:
    body = {"ids": [2], "$expand": "Relations"}
    with running(portfolio()) as sandbox:
        feature = sandbox.call("POST", "/Contoso/_apis/wit/workitemsbatch", json=body).json()

    relations = feature["value"][0]["relations"]
    assert relations == [
        {
            "rel": "System.LinkTypes.Hierarchy-Reverse",
            "url": f"{sandbox.org_url}/_apis/wit/workItems/1",
            "attributes": {"isLocked": False, "name": "Parent"},
        }
    ]
    assert feature["value"][0]["fields"]["System.Parent"] == 1


def test_malformed_items_are_served_with_a_broken_shape() -> None:
    body = {"ids": [5, 6], "fields": ["System.WorkItemType", "System.State"]}
    with running(portfolio()) as sandbox:
        answer = sandbox.call("POST", "/Contoso/_apis/wit/workitemsbatch", json=body).json()

    odd, even = answer["value"]
    assert odd["fields"]["System.WorkItemType"] == "Epic"
    assert not isinstance(odd["fields"]["System.State"], str)
    assert "System.WorkItemType" not in even["fields"]


def test_as_of_returns_the_revision_current_then() -> None:
    body = {"ids": [1], "fields": ["System.State"], "asOf": (T0.isoformat())}
    with running(portfolio()) as sandbox:
        answer = sandbox.call("POST", "/Contoso/_apis/wit/workitemsbatch", json=body).json()

    assert answer["value"][0]["fields"] == {"System.State": "New"}
    assert answer["value"][0]["rev"] == 1


def test_an_email_owner_becomes_an_identity_that_wiql_matches_by_name_or_email() -> None:
    data = dataset(item(1, "Epic", owner="quentin.dubois@acme.example"), item(2, "Epic"))
    query = (
        "SELECT [System.Id] FROM WorkItems WHERE [System.AssignedTo] = '{}' ORDER BY [System.Id]"
    )
    with running(data) as sandbox:
        batch = sandbox.call("POST", "/Contoso/_apis/wit/workitemsbatch", json={"ids": [1]})
        by_email = sandbox.wiql(query.format("Quentin.Dubois@acme.example")).json()
        by_name = sandbox.wiql(query.format("quentin dubois")).json()
        unassigned = sandbox.wiql(query.format("")).json()

    identity = batch.json()["value"][0]["fields"]["System.AssignedTo"]
    assert (identity["displayName"], identity["uniqueName"]) == (
        "Quentin Dubois",
        "quentin.dubois@acme.example",
    )
    assert [w["id"] for w in by_email["workItems"]] == [w["id"] for w in by_name["workItems"]]
    assert [w["id"] for w in by_name["workItems"]] == [1]
    assert [w["id"] for w in unassigned["workItems"]] == [2]
