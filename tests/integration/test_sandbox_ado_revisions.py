"""Reporting work item revisions in the Azure DevOps sandbox: paging by continuation token,
no replays, later changes after the token, and the filters lpmsync uses."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import requests

from tests.integration.test_sandbox_ado_helpers import (
    NOW,
    PAT,
    T0,
    AdoSandbox,
    dataset,
    item,
    running,
)

PATH = "/Contoso/_apis/wit/reporting/workitemrevisions"
ENDPOINT = "/_apis/wit/reporting/workitemrevisions"


def portfolio() -> Any:
    """Three epics and four features; each moved from New to Active on day `id`, except 3."""
    return dataset(
        *(
            item(n, "Epic" if n <= 3 else "Feature", "New" if n == 3 else "Active",
                 owner="Ada Lovelace" if n == 1 else None)
            for n in range(1, 8)
        )
    )  # fmt: skip


# every creation (T0, by id), then every move to Active (T0 + id days)
EXPECTED = [(n, 1, "New") for n in range(1, 8)] + [(n, 2, "Active") for n in (1, 2, 4, 5, 6, 7)]


Seen = list[tuple[int, int, str]]


def read_all(sandbox: AdoSandbox, token: str | None = None, **params: Any) -> tuple[Seen, str]:
    """Follows continuation tokens to the last batch; (id, rev, state) triples and the token."""
    seen: Seen = []
    while True:
        query = dict(params, **({"continuationToken": token} if token else {}))
        answer = sandbox.call("GET", PATH, params=query)
        assert answer.status_code == 200, answer.text
        batch = answer.json()
        assert answer.headers["X-MS-ContinuationToken"] == batch["continuationToken"]
        token = batch["continuationToken"]
        seen += [(v["id"], v["rev"], v["fields"].get("System.State")) for v in batch["values"]]
        if batch["isLastBatch"]:
            return seen, token


def test_paging_by_continuation_token_returns_each_revision_once_in_watermark_order() -> None:
    with running(portfolio()) as sandbox:
        seen, token = read_all(sandbox, None, **{"$maxPageSize": "3"})
        requests_sent = sandbox.server.log.counts()[f"GET {ENDPOINT}"]
        again, same_token = read_all(sandbox, token)

    assert seen == EXPECTED
    assert requests_sent == 5  # ceil(13 / 3)
    assert again == []
    assert same_token == token


def test_changes_after_the_token_appear_after_it_whatever_their_timestamp() -> None:
    data = portfolio()
    with running(data) as sandbox:
        _, token = read_all(sandbox)
        data.change("2", T0 - timedelta(days=1), status="Closed")  # stamped before everything
        data.change("3", NOW, title="Renamed")  # an edit that changes no state
        later, token = read_all(sandbox, token)
        data.change("2", NOW, status="Active")
        last, _ = read_all(sandbox, token)

    assert later == [(2, 3, "Closed"), (3, 2, "New")]
    assert last == [(2, 4, "Active")]


def test_next_link_continues_where_the_batch_ended() -> None:
    auth = {"Authorization": "Basic " + base64.b64encode(f":{PAT}".encode()).decode()}
    with running(portfolio()) as sandbox:
        first = sandbox.call("GET", PATH, params={"$maxPageSize": 10, "types": "Epic"}).json()
        second = requests.get(first["nextLink"], headers=auth, timeout=10).json()

    epics = [(v["id"], v["rev"]) for v in first["values"]]
    assert epics == [(1, 1), (2, 1), (3, 1), (1, 2), (2, 2)]
    assert first["isLastBatch"] is True
    assert "types=Epic" in first["nextLink"]
    assert second["values"] == []
    assert second["continuationToken"] == first["continuationToken"]


def test_types_latest_only_and_fields_filter_the_revisions() -> None:
    params = {"types": "Feature", "includeLatestOnly": "true", "fields": "System.State,System.Rev"}
    with running(portfolio()) as sandbox:
        answer = sandbox.call("GET", PATH, params=params).json()

    assert [(v["id"], v["rev"], v["fields"]) for v in answer["values"]] == [
        (n, 2, {"System.State": "Active", "System.Rev": 2}) for n in (4, 5, 6, 7)
    ]


def test_post_takes_the_filter_in_the_body() -> None:
    body = {"types": ["Epic"], "fields": ["System.State"], "includeLatestOnly": True}
    with running(portfolio()) as sandbox:
        answer = sandbox.call("POST", PATH, json=body).json()
        token = answer["continuationToken"]
        polled = sandbox.call("POST", PATH, json=body, params={"continuationToken": token}).json()
        posts = sandbox.server.log.counts()[f"POST {ENDPOINT}"]

    assert [(v["id"], v["fields"]) for v in answer["values"]] == [
        (3, {"System.State": "New"}),
        (1, {"System.State": "Active"}),
        (2, {"System.State": "Active"}),
    ]
    assert polled["values"] == []
    assert posts == 2


def test_revision_fields_describe_the_item_at_that_revision() -> None:
    with running(portfolio()) as sandbox:
        plain = sandbox.call("GET", PATH, params={"types": "Epic"}).json()["values"]
        with_refs = sandbox.call(
            "GET", PATH, params={"types": "Epic", "includeIdentityRef": "true"}
        ).json()["values"]

    created, moved = plain[0]["fields"], plain[3]["fields"]
    assert (plain[0]["id"], plain[3]["id"]) == (1, 1)
    assert created["System.State"] == "New"
    assert created["System.ChangedDate"] == "2026-05-04T09:00:00Z"
    assert created["System.RevisedDate"] == "2026-05-05T09:00:00Z"
    assert moved["System.State"] == moved["System.BoardColumn"] == "Active"
    assert moved["System.RevisedDate"] == "9999-01-01T00:00:00Z"
    assert moved["Microsoft.VSTS.Common.StateChangeDate"] == "2026-05-05T09:00:00Z"
    assert created["System.AssignedTo"] == "Ada Lovelace <ada.lovelace@acme.example>"
    assert with_refs[0]["fields"]["System.AssignedTo"]["displayName"] == "Ada Lovelace"


def test_start_date_time_skips_earlier_revisions_and_bad_requests_are_400() -> None:
    start = (T0 + timedelta(days=5)).isoformat()
    with running(portfolio()) as sandbox:
        recent = sandbox.call("GET", PATH, params={"startDateTime": start}).json()["values"]
        both = sandbox.call("GET", PATH, params={"startDateTime": start, "continuationToken": "1"})
        bad_token = sandbox.call("GET", PATH, params={"continuationToken": "abc"})
        bad_size = sandbox.call("GET", PATH, params={"$maxPageSize": "0"})

    assert [(v["id"], v["rev"]) for v in recent] == [(5, 2), (6, 2), (7, 2)]
    assert both.status_code == bad_token.status_code == bad_size.status_code == 400


def test_deleted_items_drop_out_of_the_revisions() -> None:
    data = portfolio()
    data.delete("1")
    with running(data) as sandbox:
        seen, _ = read_all(sandbox)

    assert [entry for entry in EXPECTED if entry[0] != 1] == seen
