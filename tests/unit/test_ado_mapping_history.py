"""Reporting revisions JSON -> state transitions, and the WIQL text (both pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lpmsync.connectors.azure_devops.history import (
    TransitionTracker,
    continuation_token,
    parse_revision_batch,
    revision_fields,
)
from lpmsync.connectors.azure_devops.query import id_query, literal
from lpmsync.domain.model import StateChange
from lpmsync.settings import AzureDevOpsSource
from tests.contract.ado_spec import example_body

REVISIONS = "workItemRevisions/GET__wit_reporting_workItemRevisions.json"
REVISIONS_WATERMARK = (
    "workItemRevisions/"
    "GET__wit_reporting_workItemRevisions_includeIdentityRef-true_watermark-794.json"
)


def revision(item_id: int, rev: int, state: str, at: str, entered: str | None = None) -> Any:
    fields = {"System.State": state, "System.ChangedDate": at}
    if entered is not None:
        fields["Microsoft.VSTS.Common.StateChangeDate"] = entered
    return {"id": item_id, "rev": rev, "fields": fields}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def everything(key: str) -> bool:
    return True


def test_recorded_batch_and_its_token_from_next_link() -> None:
    batch = parse_revision_batch(example_body(REVISIONS))
    assert len(batch.revisions) == 3 and batch.is_last
    assert batch.token == "3;2;1"  # only nextLink carries it in this recording


def test_recorded_batch_prefers_the_continuation_token() -> None:
    batch = parse_revision_batch(example_body(REVISIONS_WATERMARK))
    assert batch.token == "813;350;1"


@pytest.mark.parametrize("body", [None, [], {"values": "x"}, {"nextLink": "y"}])
def test_a_body_that_is_not_a_batch_is_refused(body: object) -> None:
    with pytest.raises(ValueError, match="not a reporting revisions batch"):
        parse_revision_batch(body)


def test_no_token_anywhere_is_none() -> None:
    assert continuation_token({"values": [], "nextLink": "https://x/y?api-version=7.1"}) is None


def test_recorded_revisions_give_the_creations() -> None:
    tracker = TransitionTracker("ado", "System.State", everything)
    changes = tracker.feed(parse_revision_batch(example_body(REVISIONS)).revisions)
    assert changes == [
        StateChange("ado", "1", at("2014-03-18T17:16:56.250"), None, "New"),
        StateChange("ado", "2", at("2014-03-18T17:17:06.010"), None, "New"),
    ]  # item 1's second revision kept its state


def test_transitions_between_consecutive_revisions_across_pages() -> None:
    tracker = TransitionTracker("ado", "System.State", everything)
    first = tracker.feed(
        [
            revision(5, 1, "New", "2026-01-01T00:00:00Z"),
            revision(6, 1, "New", "2026-01-02T00:00:00Z"),
            revision(5, 2, "Analyzing", "2026-02-01T00:00:00Z"),
        ]
    )
    second = tracker.feed(
        [
            revision(5, 3, "Analyzing", "2026-02-05T00:00:00Z"),
            revision(5, 4, "Active", "2026-03-01T00:00:00Z"),
        ]
    )
    assert [(c.key, c.from_status, c.to_status) for c in first] == [
        ("5", None, "New"),
        ("6", None, "New"),
        ("5", "New", "Analyzing"),
    ]
    assert second == [StateChange("ado", "5", at("2026-03-01T00:00:00"), "Analyzing", "Active")]


def test_resumed_stream_uses_state_change_date_for_an_items_first_revision() -> None:
    tracker = TransitionTracker("ado", "System.State", everything)
    changes = tracker.feed(
        [
            # edited without a state change: StateChangeDate is older than ChangedDate
            revision(7, 4, "Active", "2026-03-02T00:00:00Z", entered="2026-03-01T00:00:00Z"),
            # the state changed in this very revision
            revision(8, 6, "Closed", "2026-03-03T00:00:00.5Z", entered="2026-03-03T00:00:00.500Z"),
            # no StateChangeDate at all: nothing can be said
            revision(9, 2, "Active", "2026-03-04T00:00:00Z"),
        ]
    )
    assert changes == [StateChange("ado", "8", at("2026-03-03T00:00:00.5"), None, "Closed")]


def test_only_items_in_scope_give_transitions_but_all_are_remembered() -> None:
    tracker = TransitionTracker("ado", "System.State", {"1"}.__contains__)
    changes = tracker.feed(
        [
            revision(1, 1, "New", "2026-01-01T00:00:00Z"),
            revision(2, 1, "New", "2026-01-01T00:00:00Z"),
            revision(2, 2, "Active", "2026-01-03T00:00:00Z"),
        ]
    )
    assert [c.key for c in changes] == ["1"]


def test_malformed_revisions_are_ignored() -> None:
    tracker = TransitionTracker("ado", "System.State", everything)
    broken: list[Any] = [
        {"id": "1", "rev": 1, "fields": {}},
        {"id": 1, "rev": 1, "fields": {"System.State": "New"}},
        {"id": 1, "rev": 1, "fields": {"System.State": "New", "System.ChangedDate": "soon"}},
        {"id": 1, "rev": 1, "fields": {"System.State": 3, "System.ChangedDate": "2026-01-01"}},
        {"id": 1},
    ]
    assert tracker.feed(broken) == []


def test_board_column_history_follows_the_column_field() -> None:
    tracker = TransitionTracker("ado", "System.BoardColumn", everything)
    rows = [
        {
            "id": 1,
            "rev": 1,
            "fields": {
                "System.BoardColumn": "Intake",
                "System.ChangedDate": "2026-01-01T00:00:00Z",
            },
        },
        {
            "id": 1,
            "rev": 2,
            "fields": {"System.BoardColumn": "Doing", "System.ChangedDate": "2026-01-02T00:00:00Z"},
        },
    ]
    assert [(c.from_status, c.to_status) for c in tracker.feed(rows)] == [
        (None, "Intake"),
        ("Intake", "Doing"),
    ]
    assert revision_fields("System.BoardColumn")[0] == "System.BoardColumn"


def test_revisions_ask_for_three_fields() -> None:
    assert revision_fields("System.State") == [
        "System.State",
        "System.ChangedDate",
        "Microsoft.VSTS.Common.StateChangeDate",
    ]
    assert revision_fields("System.BoardColumn") == [
        "System.BoardColumn",
        "System.ChangedDate",
        "System.State",
    ]


def test_an_item_on_no_board_takes_its_state_as_its_column() -> None:
    tracker = TransitionTracker("ado", "System.BoardColumn", everything)
    rows = [
        {
            "id": 1,
            "rev": 1,
            "fields": {"System.State": "New", "System.ChangedDate": "2026-01-01T00:00:00Z"},
        },
        {
            "id": 1,
            "rev": 2,
            "fields": {
                "System.State": "New",
                "System.BoardColumn": "Intake",
                "System.ChangedDate": "2026-01-02T00:00:00Z",
            },
        },
    ]
    assert [(c.from_status, c.to_status) for c in tracker.feed(rows)] == [
        (None, "New"),
        ("New", "Intake"),
    ]


def config(**overrides: Any) -> AzureDevOpsSource:
    values: dict[str, Any] = {
        "kind": "azure_devops",
        "name": "ado",
        "organization_url": "https://dev.azure.com/contoso",
        "project": "Contoso",
        "pat_env": "ADO_PAT",
        "states": {"New": "Funnel"},
    }
    return AzureDevOpsSource.model_validate({**values, **overrides})


def test_id_query_lists_the_configured_types_in_id_order() -> None:
    assert id_query(config()) == (
        "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
        "AND [System.WorkItemType] IN ('Epic', 'Feature') ORDER BY [System.Id]"
    )


def test_id_query_with_filter_window_and_watermark() -> None:
    query = id_query(
        config(
            wiql_filter="[System.AreaPath] UNDER 'Contoso\\Payments'",
            work_item_types={"Don't": "epic"},
        ),
        after_id=20000,
        changed_since=datetime(2026, 11, 16, 10, 0, 30, 999, tzinfo=UTC),
    )
    assert "[System.WorkItemType] IN ('Don''t')" in query
    assert "AND ([System.AreaPath] UNDER 'Contoso\\Payments')" in query
    assert "AND [System.ChangedDate] >= '2026-11-16T10:00:30Z'" in query
    assert query.endswith("AND [System.Id] > 20000 ORDER BY [System.Id]")


def test_literal_doubles_quotes() -> None:
    assert literal("it's") == "'it''s'"
