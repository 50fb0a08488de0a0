"""The pure Jira mapping: raw issue JSON -> WorkItem, StateChange and SkippedItem."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from lpmsync.connectors.jira.mapping import FieldIds, MappingConfig, map_issue
from lpmsync.connectors.jira.values import parse_datetime, utc_offset_minutes
from lpmsync.domain.model import UNMAPPED, ItemRef, Level, SkippedItem, WsjfInputs

IDS = FieldIds(
    theme="customfield_1",
    estimate="customfield_2",
    business_value="customfield_3",
    time_criticality="customfield_4",
    risk_reduction="customfield_5",
    job_size="customfield_6",
    value_stream="customfield_7",
    parents=("parent", "customfield_9"),
)
CONFIG = MappingConfig(
    source="jira",
    base_url="https://acme.atlassian.net",
    issue_types={"Epic": Level.EPIC, "Feature": Level.FEATURE},
    statuses={"In Progress": "Implementing", "Done": "Done"},
    fields=IDS,
)


def raw(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "summary": "Checkout revamp",
        "status": {"name": "In Progress", "id": "3"},
        "issuetype": {"name": "Epic", "id": "10000"},
        "created": "2026-05-01T12:00:00.000+0000",
        "updated": "2026-06-01T08:30:00.000+0200",
        "labels": ["vs-payments", "q3"],
        "components": [{"name": "Payments", "id": "1"}, {"name": "Web", "id": "2"}],
        "assignee": {"displayName": "Ana Lima", "emailAddress": "ana@acme.test"},
    }
    base.update(fields)
    return {"id": "10001", "key": "PORT-1", "fields": base}


def history(at: str, before: str | None, after: str, **extra: str) -> dict[str, Any]:
    item = {"field": "status", "fieldtype": "jira", "fromString": before, "toString": after}
    return {"id": "1", "created": at, "items": [{**item, **extra}]}


def test_a_complete_issue_maps_every_field() -> None:
    mapped = map_issue(
        raw(
            customfield_1=[{"value": "Growth"}, {"value": "Cost"}],
            customfield_2=8,
            customfield_3="5",
            customfield_4=3.5,
            customfield_6={"value": "2"},
            parent={"id": "9", "key": "PORT-0"},
        ),
        [],
        CONFIG,
    )

    item = mapped.item
    assert item is not None and mapped.skipped is None
    assert (item.key, item.id, item.level, item.title) == (
        "PORT-1",
        "10001",
        Level.EPIC,
        "Checkout revamp",
    )
    assert (item.status, item.state) == ("In Progress", "Implementing")
    assert item.url == "https://acme.atlassian.net/browse/PORT-1"
    assert item.updated == datetime(2026, 6, 1, 6, 30, tzinfo=UTC)  # +0200 -> UTC
    assert item.theme_values == ("Growth", "Cost")
    assert item.estimate == 8.0
    assert item.wsjf == WsjfInputs(5.0, 3.5, None, 2.0)  # missing stays None
    assert item.parent == ItemRef("jira", "PORT-0")
    assert item.labels == ("vs-payments", "q3")
    assert item.components == ("Payments", "Web")
    assert item.value_stream == "Payments"  # the first component by default
    assert item.owner == "ana@acme.test"


def test_entered_state_at_is_the_last_move_into_the_current_status() -> None:
    changes = [
        history("2026-05-02T10:00:00.000+0000", "Funnel", "In Progress"),
        history("2026-05-03T10:00:00.000+0000", "In Progress", "Blocked"),
        history("2026-05-04T10:00:00.000+0000", "Blocked", "In Progress"),
        {"created": "2026-05-05T10:00:00.000+0000", "items": [{"field": "Rank", "toString": "x"}]},
    ]

    mapped = map_issue(raw(), changes, CONFIG)

    assert mapped.item is not None
    assert mapped.item.entered_state_at == datetime(2026, 5, 4, 10, tzinfo=UTC)
    assert [(c.from_status, c.to_status) for c in mapped.history] == [
        ("Funnel", "In Progress"),
        ("In Progress", "Blocked"),
        ("Blocked", "In Progress"),
    ]


def test_a_renamed_status_still_matches_by_id() -> None:
    changes = [history("2026-05-02T10:00:00.000+0000", "Funnel", "Doing", to="3", fieldId="status")]

    mapped = map_issue(raw(), changes, CONFIG)

    assert mapped.item is not None
    assert mapped.item.entered_state_at == datetime(2026, 5, 2, 10, tzinfo=UTC)


def test_without_history_the_item_is_in_its_state_since_creation() -> None:
    mapped = map_issue(raw(), [], CONFIG)
    assert mapped.item is not None and mapped.item.entered_state_at == mapped.item.created


def test_data_center_issues_carry_their_changelog() -> None:
    issue = raw()
    issue["changelog"] = {
        "histories": [history("2026-05-09T10:00:00.000+0000", "A", "In Progress")]
    }

    mapped = map_issue(issue, None, CONFIG)

    assert mapped.item is not None
    assert mapped.item.entered_state_at == datetime(2026, 5, 9, 10, tzinfo=UTC)


def test_an_unknown_status_is_kept_as_unmapped() -> None:
    mapped = map_issue(raw(status={"name": "Parked", "id": "9"}), [], CONFIG)
    assert mapped.item is not None and mapped.item.state == UNMAPPED
    assert mapped.item.status == "Parked"


def test_names_match_case_insensitively() -> None:
    mapped = map_issue(raw(status={"name": "in progress"}, issuetype={"name": "EPIC"}), [], CONFIG)
    assert mapped.item is not None
    assert (mapped.item.level, mapped.item.state) == (Level.EPIC, "Implementing")


def test_other_issue_types_are_skipped_and_counted_with_the_reason() -> None:
    mapped = map_issue(raw(issuetype={"name": "Story"}), [], CONFIG)
    assert (mapped.key, mapped.item) == ("PORT-1", None)
    assert mapped.skipped == SkippedItem(
        "jira", "PORT-1", "issue type 'Story' is not mapped in issue_types"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": None}, "status is missing"),
        ({"issuetype": {"id": "1"}}, "issuetype has no name"),
        ({"summary": 42}, "summary"),
        ({"created": "yesterday"}, "created is not a date-time"),
        ({"updated": None}, "updated is missing"),
        ({"labels": "one,two"}, "labels is not a list"),
        ({"components": [3]}, "components holds a int"),
        ({"customfield_2": "lots"}, "estimate field customfield_2 is not a number"),
        ({"customfield_3": True}, "business value field customfield_3 is not a number"),
        ({"customfield_1": [{"value": "ok"}, 3.5, True]}, "theme field customfield_1"),
        ({"assignee": 7}, "owner field assignee is not a user"),
        ({"parent": 12}, "parent field parent is not an issue link"),
    ],
)
def test_malformed_issues_are_skipped_with_their_key_and_reason(
    change: dict[str, Any], reason: str
) -> None:
    mapped = map_issue(raw(**change), [], CONFIG)

    assert mapped.item is None and mapped.skipped is not None
    assert (mapped.skipped.source, mapped.skipped.key) == ("jira", "PORT-1")
    assert reason in mapped.skipped.reason


@pytest.mark.parametrize(
    ("issue", "key"),
    [({"id": "77", "fields": {}}, "id 77"), ("not an issue", "(no key)"), ({"key": "X-1"}, "X-1")],
)
def test_issues_without_key_or_fields_are_skipped(issue: object, key: str) -> None:
    mapped = map_issue(issue, [], CONFIG)
    assert mapped.skipped is not None and mapped.skipped.key == key


def test_value_stream_from_a_label_prefix_or_a_field() -> None:
    by_label = MappingConfig(**{**CONFIG.__dict__, "value_stream_source": "label_prefix"})
    by_field = MappingConfig(**{**CONFIG.__dict__, "value_stream_source": "field"})

    labelled = map_issue(raw(), [], by_label).item
    fielded = map_issue(raw(customfield_7={"value": "Mobile"}), [], by_field).item

    assert labelled is not None and labelled.value_stream == "payments"
    assert fielded is not None and fielded.value_stream == "Mobile"


def test_parent_from_advanced_roadmaps_parent_link_or_epic_link() -> None:
    roadmaps = map_issue(raw(customfield_9={"data": {"key": "PORT-100", "id": 5}}), [], CONFIG)
    dc = MappingConfig(**{**CONFIG.__dict__, "fields": FieldIds(parents=("customfield_8",))})
    epic_link = map_issue(raw(customfield_8="PORT-7"), [], dc)

    assert roadmaps.item is not None and roadmaps.item.parent == ItemRef("jira", "PORT-100")
    assert epic_link.item is not None and epic_link.item.parent == ItemRef("jira", "PORT-7")


def test_owner_falls_back_to_the_display_name_and_may_be_a_field() -> None:
    hidden = map_issue(raw(assignee={"displayName": "Ana Lima", "emailAddress": ""}), [], CONFIG)
    owner_field = MappingConfig(**{**CONFIG.__dict__, "fields": FieldIds(owner="customfield_5")})
    picked = map_issue(raw(customfield_5={"displayName": "Rui"}), [], owner_field)

    assert hidden.item is not None and hidden.item.owner == "Ana Lima"
    assert picked.item is not None and picked.item.owner == "Rui"


def test_requested_fields_are_exactly_what_the_mapping_reads() -> None:
    assert FieldIds(theme="customfield_1", owner="customfield_5").requested() == [
        "summary",
        "status",
        "issuetype",
        "parent",
        "labels",
        "components",
        "assignee",
        "created",
        "updated",
        "customfield_5",
        "customfield_1",
    ]


@pytest.mark.parametrize(
    ("text", "expected", "offset"),
    [
        ("2026-05-01T12:00:00.000+0000", datetime(2026, 5, 1, 12, tzinfo=UTC), 0),
        ("2026-05-01T12:00:00.000-0700", datetime(2026, 5, 1, 19, tzinfo=UTC), -420),
        ("2026-05-01T12:00:00Z", datetime(2026, 5, 1, 12, tzinfo=UTC), 0),
        ("2026-05-01T12:00:00", datetime(2026, 5, 1, 12, tzinfo=UTC), None),
    ],
)
def test_jira_datetimes_become_aware_utc(text: str, expected: datetime, offset: int | None) -> None:
    assert parse_datetime(text, "t") == expected
    assert utc_offset_minutes(text) == offset


def test_field_ids_round_trip_through_a_cursor() -> None:
    assert FieldIds.from_json(IDS.to_json()) == IDS
    assert FieldIds.from_json(FieldIds().to_json()) == FieldIds()


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "x",
        {"theme": "a"},
        {**IDS.to_json(), "parents": "parent"},
        {**IDS.to_json(), "owner": None},
    ],
)
def test_unreadable_remembered_field_ids_are_looked_up_again(stored: object) -> None:
    assert FieldIds.from_json(stored) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-03-12", date(2027, 3, 12)),  # duedate
        ("2027-03-12T00:00:00.000+0100", date(2027, 3, 12)),  # a date-time field: its own day
        (None, None),
        ("", None),
    ],
)
def test_the_due_date_field_gives_the_target_date(value: str | None, expected: date | None) -> None:
    dated = MappingConfig(**{**CONFIG.__dict__, "fields": FieldIds(due_date="duedate")})
    item = map_issue(raw(duedate=value), [], dated).item
    assert item is not None and item.target_date == expected
    assert "duedate" in FieldIds(due_date="duedate").requested()


def test_a_malformed_due_date_skips_the_issue_with_the_reason() -> None:
    dated = MappingConfig(**{**CONFIG.__dict__, "fields": FieldIds(due_date="customfield_3")})
    mapped = map_issue(raw(customfield_3="next week"), [], dated)
    assert mapped.item is None and mapped.skipped is not None
    assert "customfield_3 is not a date" in mapped.skipped.reason
