"""Jira answers decoded into msgspec structs, and the typed mapping that reads them: the same
items, history and skip reasons as the plain mapping of the same bytes, for any value."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpmsync.connectors.jira.mapping import MappingConfig, map_issue
from lpmsync.connectors.jira.structs import (
    History,
    TypedChangelogs,
    TypedIssues,
    decode_changelogs,
    decode_issues,
    layout_for,
)
from lpmsync.connectors.jira.typed_mapping import TypedMapper
from tests.unit.test_hostile_values import HOSTILE, JIRA_FIELDS, json_values
from tests.unit.test_jira_mapping import CONFIG, history
from tests.unit.test_jira_mapping import raw as jira_raw

STATUS_ITEM = {
    "field": "status",
    "fieldtype": "jira",
    "fieldId": "status",
    "from": "10000",
    "fromString": "Funnel",
    "to": "10001",
    "toString": "Reviewing",
}
AUTHOR = {"accountId": "712020:abc", "displayName": "Hannah", "avatarUrls": {"48x48": "x"}}
HISTORIES = [
    history("2026-05-02T10:00:00.000+0000", "Funnel", "In Progress", to="3"),
    history("2026-05-01T10:00:00.000+0000", None, "Funnel"),
]


def _changelogs(histories: list[object], issue_id: object = "10025") -> bytes:
    log = {"issueId": issue_id, "changeHistories": histories}
    return orjson.dumps({"issueChangeLogs": [log], "nextPageToken": "next"})


def _page(*issues: object, config: MappingConfig = CONFIG) -> Any:
    return decode_issues(json.dumps({"issues": list(issues)}).encode(), layout_for(config.fields))


def _both(issue: dict[str, Any], histories: list[Any] | None) -> tuple[Any, Any]:
    """The typed and the plain mapping of one issue sent as JSON (histories in the issue when
    None, as Data Center sends them; else in a changelog answer, as Cloud's). Bodies orjson
    cannot read (huge numbers) fail their page as before: both sides are None then."""
    body = json.dumps({"issues": [issue]}).encode()
    logs = json.dumps(
        {"issueChangeLogs": [{"issueId": "10001", "changeHistories": histories or []}]}
    ).encode()
    try:
        plain = orjson.loads(body)["issues"][0]
        plain_histories = None if histories is None else orjson.loads(logs)["issueChangeLogs"]
    except orjson.JSONDecodeError:
        return None, None
    given = None if plain_histories is None else plain_histories[0]["changeHistories"]
    expected = map_issue(plain, given, CONFIG)
    page = decode_issues(body, layout_for(CONFIG.fields))
    if not isinstance(page, TypedIssues):  # another shape: mapped the plain way
        return expected, expected
    typed_histories: Any = given
    if histories is not None:
        decoded = decode_changelogs(logs)
        if isinstance(decoded, TypedChangelogs):
            typed_histories = decoded.histories.get("10001", [])
    return TypedMapper(CONFIG).map(page, 0, typed_histories), expected


def test_changelogs_keep_what_the_history_reads_and_drop_the_rest() -> None:
    entry = {"id": "1", "author": AUTHOR, "created": "2026-05-01T07:56:13.000+0000"}
    decoded = decode_changelogs(_changelogs([{**entry, "items": [STATUS_ITEM]}]))
    assert isinstance(decoded, TypedChangelogs)
    assert decoded.next_page_token == "next"
    [one] = decoded.histories["10025"]
    assert isinstance(one, History) and one.created == entry["created"]
    assert one.items is not None and one.items[0].toString == "Reviewing"
    assert not hasattr(one, "author")


@pytest.mark.parametrize(
    "body",
    [
        _changelogs([{"items": [STATUS_ITEM]}, "not a history"]),
        _changelogs([{"items": ["not a change"]}]),
        _changelogs([], issue_id=10025),  # a number: read as text the plain way
        b"[1, 2]",
    ],
)
def test_changelogs_of_another_shape_are_decoded_in_full(body: bytes) -> None:
    assert decode_changelogs(body) == orjson.loads(body)


@pytest.mark.parametrize(
    "decode", [decode_changelogs, lambda b: decode_issues(b, layout_for(CONFIG.fields))]
)
def test_a_body_that_is_not_json_raises_value_error(decode: Any) -> None:
    with pytest.raises(ValueError):
        decode(b"<html>proxy error</html>")


def test_issues_of_the_usual_shape_are_structs() -> None:
    page = _page(jira_raw(), jira_raw())
    assert isinstance(page, TypedIssues) and len(page) == 2
    assert page.keys() == ["PORT-1", "PORT-1"] and page.ids() == ["10001", "10001"]


@pytest.mark.parametrize(
    "odd",
    [
        {**jira_raw(), "key": None},  # no key: the plain mapping reports it
        {**jira_raw(), "id": 10001},  # a number id
        jira_raw(status="In Progress"),  # a status that is not an object
        jira_raw(components=["Payments"]),
        "not an issue",
    ],
)
def test_a_page_of_another_shape_is_plain(odd: object) -> None:
    body = json.dumps({"issues": [jira_raw(), odd]}).encode()
    assert decode_issues(body, layout_for(CONFIG.fields)) == orjson.loads(body)


def test_the_typed_mapping_reads_the_structs_without_decoding_again() -> None:
    page = _page(jira_raw(customfield_1=[{"value": "Growth"}], parent={"key": "PORT-0"}))
    page.body = b"not JSON: a fallback to the plain mapping would fail"
    typed = TypedMapper(CONFIG).map(
        page,
        0,
        decode_changelogs(
            orjson.dumps({"issueChangeLogs": [{"issueId": "10001", "changeHistories": HISTORIES}]})
        ).histories["10001"],
    )
    plain = map_issue(
        jira_raw(customfield_1=[{"value": "Growth"}], parent={"key": "PORT-0"}), HISTORIES, CONFIG
    )
    assert typed == plain and typed.item is not None and len(typed.history) == 2


def test_a_malformed_issue_is_skipped_with_the_plain_reason_and_the_page_goes_on() -> None:
    page = _page(jira_raw(created="yesterday"), jira_raw(customfield_2="eight"), jira_raw())
    mapper = TypedMapper(CONFIG)
    outcomes = [mapper.map(page, index, []) for index in range(3)]
    assert [o.skipped.reason if o.skipped else None for o in outcomes] == [
        "created is not a date-time: 'yesterday'",
        "estimate field customfield_2 is not a number: 'eight'",
        None,
    ]
    assert outcomes[2].item is not None


def test_histories_decoded_partly_each_way_are_read_together() -> None:
    typed = decode_changelogs(_changelogs([HISTORIES[0]], "10001"))
    mixed = [*typed.histories["10001"], HISTORIES[1]]
    ours = TypedMapper(CONFIG).map(_page(jira_raw()), 0, mixed)
    assert ours == map_issue(jira_raw(), HISTORIES, CONFIG)


def test_data_center_changelogs_embedded_in_the_issue() -> None:
    issue = {**jira_raw(), "changelog": {"startAt": 0, "histories": HISTORIES}}
    typed, plain = _both(issue, None)
    assert typed == plain and len(typed.history) == 2


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize("name", JIRA_FIELDS)
def test_hostile_values_map_as_the_plain_mapping_does(name: str, value: Any) -> None:
    typed, plain = _both(jira_raw(**{name: value}), HISTORIES)
    assert typed == plain


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from([*JIRA_FIELDS, "duedate"]), value=json_values)
def test_any_value_in_any_field_maps_as_the_plain_mapping_does(name: str, value: Any) -> None:
    typed, plain = _both(jira_raw(**{name: value}), HISTORIES)
    assert typed == plain


@settings(max_examples=200, deadline=None)
@given(histories=st.lists(json_values, max_size=3), embedded=json_values)
def test_any_changelog_maps_as_the_plain_mapping_does(histories: list[Any], embedded: Any) -> None:
    typed, plain = _both(jira_raw(), [*HISTORIES, *histories])
    assert typed == plain
    issue = {**jira_raw(), "changelog": {"histories": [embedded, *histories]}}
    typed, plain = _both(issue, None)
    assert typed == plain


@settings(max_examples=200, deadline=None)
@given(item=st.dictionaries(st.sampled_from(["created", "items", "id"]), json_values))
def test_any_changelog_entry_maps_as_the_plain_mapping_does(item: dict[str, Any]) -> None:
    entry = {"created": "2026-05-02T10:00:00.000+0000", "items": [{"field": "status"}], **item}
    typed, plain = _both(jira_raw(), [entry])
    assert typed == plain


@pytest.mark.parametrize("value", [2**70, [2**70, "x"], -(2**64), {"value": 2**70}], ids=repr)
@pytest.mark.parametrize("name", ["customfield_1", "customfield_2", "customfield_7", "assignee"])
def test_integers_beyond_64_bits_read_as_orjson_reads_them(name: str, value: Any) -> None:
    """orjson reads them as floats (a theme `1.18059e+21`), msgspec exactly: the plain way."""
    typed, plain = _both(jira_raw(**{name: value}), HISTORIES)
    assert typed == plain
