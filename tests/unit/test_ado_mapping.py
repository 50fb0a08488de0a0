"""Azure DevOps work item JSON -> WorkItem, on Microsoft's recorded examples and hand-made edge
cases (the mapping is pure: no HTTP here)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from lpmsync.connectors.azure_devops.mapping import (
    map_work_item,
    map_work_items,
    parse_datetime,
    requested_fields,
    value_stream,
    web_url,
)
from lpmsync.domain.model import UNMAPPED, ItemRef, Level, SkippedItem, WorkItem
from lpmsync.settings import AzureDevOpsSource
from tests.contract.ado_spec import example_body

EXAMPLE_BATCH = "workItemsBatch/POST__wit_WorkItemsBatch_ids-_ids__fields-_columns_.json"
EXAMPLE_ITEMS = "workItems/GET__wit_WorkItems_ids-_ids_.json"
EXAMPLE_ITEM = "workItems/GET__wit_WorkItems_id.json"


def config(**overrides: Any) -> AzureDevOpsSource:
    values: dict[str, Any] = {
        "kind": "azure_devops",
        "name": "ado",
        "organization_url": "https://dev.azure.com/fabrikam",
        "project": "Fabrikam Fiber",
        "pat_env": "ADO_PAT",
        "work_item_types": {"Epic": "epic", "Feature": "feature"},
        "states": {"New": "Funnel", "Active": "Implementing", "Closed": "Done"},
    }
    values.update(overrides)
    return AzureDevOpsSource.model_validate(values)


def raw(item_id: int = 7, /, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "System.WorkItemType": "Epic",
        "System.State": "Active",
        "System.Title": "Checkout in one click",
        "System.CreatedDate": "2026-01-05T08:00:00Z",
        "System.ChangedDate": "2026-11-01T10:00:00.1234567Z",
    }
    base.update(fields)
    return {"id": item_id, "rev": 3, "fields": {k: v for k, v in base.items() if v is not None}}


def mapped(raw_item: object, **overrides: Any) -> WorkItem:
    result = map_work_item(raw_item, config(**overrides))
    assert isinstance(result, WorkItem), result
    return result


def test_recorded_item_with_tags_identity_and_state_change_date() -> None:
    body = example_body(EXAMPLE_ITEM)
    item = mapped(
        body,
        work_item_types={"User Story": "feature"},
        states={"Active": "Implementing"},
        fields={"theme": "tags", "estimate": None},
    )
    assert (item.key, item.id, item.level, item.title) == ("12", "12", Level.FEATURE, "Epic 2")
    assert (item.status, item.state) == ("Active", "Implementing")
    assert item.labels == ("client", "sample", "teamservices")
    assert item.theme_values == item.labels
    assert item.owner == "fabrikamfiber4@hotmail.com"
    assert item.created == datetime(2017, 9, 4, 6, 11, 59, 50000, tzinfo=UTC)
    assert item.updated == datetime(2017, 10, 4, 23, 32, 2, 180000, tzinfo=UTC)
    assert item.entered_state_at == datetime(2017, 10, 4, 23, 32, 1, 600000, tzinfo=UTC)
    assert item.area_path == "MyAgilePrj2"
    assert item.value_stream is None  # the project root is shallower than depth 2
    assert item.url == "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_workitems/edit/12"


def test_recorded_list_maps_known_types_and_counts_others_as_skipped() -> None:
    body = example_body(EXAMPLE_ITEMS)
    batch = map_work_items(
        body["value"],
        config(
            work_item_types={"Product Backlog Item": "feature"},
            states={"New": "Funnel"},
            fields={"value_stream": {"area_path_depth": 2}},
        ),
    )
    assert [item.key for item in batch.items] == ["297"]  # 299 and 300 are Tasks
    assert [(s.key, s.reason) for s in batch.skipped] == [
        (key, "work item type 'Task' is not mapped in work_item_types") for key in ("299", "300")
    ]
    item = batch.items[0]
    assert item.estimate == 8.0 and item.wsjf.job_size == 8.0  # Effort serves both by default
    assert item.owner is None  # unassigned


def test_recorded_batch_with_requested_fields_only_is_skipped_without_dates() -> None:
    body = example_body(EXAMPLE_BATCH)
    batch = map_work_items(body["value"], config(work_item_types={"Task": "feature"}))
    # The recorded call asked only for id, title, type and remaining work: no state, no dates.
    assert batch.items == ()
    assert [(s.key, s.reason) for s in batch.skipped] == [
        ("297", "work item type 'Product Backlog Item' is not mapped in work_item_types"),
        ("299", "field System.State is missing"),
        ("300", "field System.State is missing"),
    ]


def test_unknown_state_is_kept_as_unmapped() -> None:
    item = mapped(raw(**{"System.State": "On Hold"}))
    assert (item.status, item.state) == ("On Hold", UNMAPPED)


def test_board_column_is_the_status_when_configured() -> None:
    overrides = {"use_board_column": True, "states": {"Doing": "Implementing"}}
    assert mapped(raw(**{"System.BoardColumn": "Doing"}), **overrides).state == "Implementing"
    fallback = mapped(raw(), **overrides)  # not on a board: the state it has
    assert (fallback.status, fallback.state) == ("Active", UNMAPPED)
    assert "System.BoardColumn" in requested_fields(config(**overrides))
    assert "System.BoardColumn" not in requested_fields(config())


def test_parent_value_stream_theme_owner_and_wsjf() -> None:
    item = mapped(
        raw(
            **{
                "System.Parent": 3,
                "System.AreaPath": "Contoso\\Payments\\Team A",
                "System.Tags": " cx ;growth;; ",
                "Custom.Theme": "Customer Experience",
                "System.AssignedTo": "Jamal Hartnett <jamal@contoso.com>",
                "Microsoft.VSTS.Common.BusinessValue": 8,
                "Microsoft.VSTS.Common.TimeCriticality": "5",
                "Custom.Risk": 3.5,
                "Microsoft.VSTS.Scheduling.Effort": 13,
            }
        ),
        fields={
            "theme": "Custom.Theme",
            "wsjf": {
                "risk_reduction": "Custom.Risk",
                "business_value": "Microsoft.VSTS.Common.BusinessValue",
                "time_criticality": "Microsoft.VSTS.Common.TimeCriticality",
                "job_size": "Microsoft.VSTS.Scheduling.Effort",
            },
        },
    )
    assert item.parent == ItemRef("ado", "3")
    assert item.value_stream == "Payments"
    assert item.labels == ("cx", "growth")
    assert item.theme_values == ("Customer Experience",)
    assert item.owner == "Jamal Hartnett <jamal@contoso.com>"
    assert (item.wsjf.business_value, item.wsjf.time_criticality) == (8.0, 5.0)
    assert (item.wsjf.risk_reduction, item.wsjf.job_size) == (3.5, 13.0)
    assert item.wsjf.score == pytest.approx((8 + 5 + 3.5) / 13)


def test_identity_without_unique_name_uses_the_display_name() -> None:
    owner = {"displayName": "Jamal Hartnett", "id": "d291b0c4"}
    assert mapped(raw(**{"System.AssignedTo": owner})).owner == "Jamal Hartnett"


@pytest.mark.parametrize(
    ("raw_item", "reason"),
    [
        (raw(**{"System.WorkItemType": None}), "field System.WorkItemType is missing"),
        (raw(**{"System.State": {"name": "Active"}}), "field System.State is dict, expected text"),
        (raw(**{"System.Title": None}), "field System.Title is missing"),
        (raw(**{"System.CreatedDate": "yesterday"}), "field System.CreatedDate is not a date"),
        (raw(**{"Microsoft.VSTS.Scheduling.Effort": "big"}), "is str, expected a number"),
        (raw(**{"Microsoft.VSTS.Scheduling.Effort": True}), "is bool, expected a number"),
        (raw(**{"System.AssignedTo": 42}), "field System.AssignedTo is int, expected an identity"),
        ({"id": 9, "fields": "broken"}, "has no fields object"),
    ],
)
def test_malformed_items_become_skipped_with_the_reason(raw_item: object, reason: str) -> None:
    result = map_work_item(raw_item, config())
    assert isinstance(result, SkippedItem)
    assert result.source == "ado" and reason in result.reason


@pytest.mark.parametrize("raw_item", [{"id": "x", "fields": {}}, ["not", "an", "item"], {}])
def test_items_without_a_numeric_id_are_skipped(raw_item: object) -> None:
    result = map_work_item(raw_item, config())
    assert isinstance(result, SkippedItem) and result.key == "?"


def test_a_batch_goes_on_past_malformed_and_omitted_items() -> None:
    batch = map_work_items(
        [raw(1), None, raw(2, **{"System.State": 5}), raw(3, **{"System.WorkItemType": "Bug"})],
        config(),
    )
    assert [item.key for item in batch.items] == ["1"]
    assert [skipped.key for skipped in batch.skipped] == ["2", "3"]  # 3: a Bug, not mapped


def test_requested_fields_are_exactly_what_the_mapping_reads() -> None:
    fields = requested_fields(config(fields={"theme": "tags"}))
    assert fields == [
        "System.WorkItemType",
        "System.State",
        "System.Title",
        "System.Tags",
        "System.AreaPath",
        "System.Parent",
        "System.CreatedDate",
        "System.ChangedDate",
        "Microsoft.VSTS.Common.StateChangeDate",
        "System.AssignedTo",
        "Microsoft.VSTS.Scheduling.Effort",
        "Microsoft.VSTS.Common.BusinessValue",
        "Microsoft.VSTS.Common.TimeCriticality",
        "Microsoft.VSTS.Scheduling.TargetDate",
    ]
    assert "Custom.Theme" in requested_fields(config(fields={"theme": "Custom.Theme"}))
    without = requested_fields(config(fields={"target_date": None}))
    assert "Microsoft.VSTS.Scheduling.TargetDate" not in without


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2027-03-11T23:00:00Z", date(2027, 3, 12)),  # midnight in Berlin
        ("2027-03-12T05:00:00Z", date(2027, 3, 12)),  # midnight in Chicago
        ("2027-03-12T00:00:00Z", date(2027, 3, 12)),
        (None, None),
    ],
)
def test_the_target_date_is_the_day_the_user_picked(
    sent: str | None, expected: date | None
) -> None:
    extra = {} if sent is None else {"Microsoft.VSTS.Scheduling.TargetDate": sent}
    item = map_work_item(raw(1, **extra), config())
    assert isinstance(item, WorkItem) and item.target_date == expected


@pytest.mark.parametrize(
    ("path", "depth", "expected"),
    [
        ("Contoso\\Payments\\Team A", 2, "Payments"),
        ("Contoso\\Payments\\Team A", 3, "Team A"),
        ("Contoso\\Payments\\Team A", 1, "Contoso"),
        ("Contoso", 2, None),
        (None, 2, None),
    ],
)
def test_value_stream_is_the_area_path_node_at_the_depth(
    path: str | None, depth: int, expected: str | None
) -> None:
    assert value_stream(path, depth) == expected


def test_datetimes_are_aware_utc_whatever_the_precision() -> None:
    assert parse_datetime("2026-11-01T10:00:00.1234567Z") == datetime(
        2026, 11, 1, 10, 0, 0, 123456, tzinfo=UTC
    )
    assert parse_datetime("2026-11-01T12:00:00+02:00") == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert parse_datetime("2026-11-01T10:00:00").tzinfo == UTC


def test_web_url_ignores_a_trailing_slash() -> None:
    item_url = web_url(config(organization_url="https://dev.azure.com/fabrikam/"), 5)
    assert item_url == "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_workitems/edit/5"
