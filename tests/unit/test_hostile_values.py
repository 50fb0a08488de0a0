"""Hostile tracker values: every mapped field of both connectors, and the pure text cleaning.

A bad value must never stop a source: the mapping returns an item or a skip with a reason, for
any JSON value in any field (hypothesis), and the text lpmsync keeps is clean and bounded.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpmsync.connectors.azure_devops.history import TransitionTracker
from lpmsync.connectors.azure_devops.mapping import map_work_item
from lpmsync.connectors.jira.mapping import map_issue
from lpmsync.domain.model import SkippedItem, WorkItem
from lpmsync.domain.sanitise import RefusedItemError, cleaned_item, sanitise_item
from lpmsync.domain.text import clean_text, is_clean, truncate
from tests.integration.test_store_contract import item as store_item
from tests.unit.test_ado_mapping import config as ado_config
from tests.unit.test_ado_mapping import raw as ado_raw
from tests.unit.test_jira_mapping import CONFIG as JIRA_CONFIG
from tests.unit.test_jira_mapping import raw as jira_raw

JIRA_FIELDS = [
    "summary",
    "status",
    "issuetype",
    "parent",
    "labels",
    "components",
    "assignee",
    "created",
    "updated",
    *(f"customfield_{n}" for n in (1, 2, 3, 4, 5, 6, 7, 9)),
]
ADO = ado_config(
    fields={
        "theme": "Custom.Theme",
        "owner": "System.AssignedTo",
        "estimate": "Microsoft.VSTS.Scheduling.Effort",
        "wsjf": {
            "business_value": "Microsoft.VSTS.Common.BusinessValue",
            "time_criticality": "Microsoft.VSTS.Common.TimeCriticality",
            "risk_reduction": "Custom.RiskReduction",
            "job_size": "Custom.JobSize",
        },
    },
    use_board_column=True,
)
ADO_FIELDS = [
    "System.WorkItemType",
    "System.State",
    "System.BoardColumn",
    "System.Title",
    "System.Tags",
    "System.AreaPath",
    "System.Parent",
    "System.CreatedDate",
    "System.ChangedDate",
    "Microsoft.VSTS.Common.StateChangeDate",
    "System.AssignedTo",
    "Microsoft.VSTS.Scheduling.Effort",
    "Custom.Theme",
    "Microsoft.VSTS.Common.BusinessValue",
    "Microsoft.VSTS.Common.TimeCriticality",
    "Custom.RiskReduction",
    "Custom.JobSize",
]

# Any JSON value, including what Python's json module produces from hostile bodies: huge
# integers, inf and nan (`1e400`, `NaN`), lone surrogates (`"\udc80"`) and control characters.
any_text = st.text(st.characters(codec=None), max_size=300)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**308, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            any_text
            | st.sampled_from(
                ["value", "name", "key", "data", "id", "emailAddress", "displayName", "uniqueName"]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=10,
)

REVISION_FIELDS = ["System.State", "System.ChangedDate", "Microsoft.VSTS.Common.StateChangeDate"]
HOSTILE = [
    10**400,  # OverflowError in float()
    float("inf"),  # JSON 1e400
    float("nan"),  # JSON NaN
    json.loads("1e400"),
    "1e400",
    "NaN",
    "a\x00b",  # PostgreSQL refuses NUL
    "\udc80 lone surrogate",  # not encodable as UTF-8
    "\u202eevil\u202c\u200b",  # RTL override, zero-width space
    "x" * 10_000,
    {"value": 10**400},
    [10**400, "x"],
    {"data": {"key": "K" * 300}},
]


def _outcome_of(result: object) -> WorkItem | SkippedItem:
    assert isinstance(result, WorkItem | SkippedItem), result
    if isinstance(result, SkippedItem):
        assert result.reason
    return result


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize("name", JIRA_FIELDS)
def test_jira_hostile_value_in_any_field_maps_or_skips(name: str, value: Any) -> None:
    mapped = map_issue(jira_raw(**{name: value}), [], JIRA_CONFIG)
    _outcome_of(mapped.item or mapped.skipped)


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize("name", ADO_FIELDS)
def test_ado_hostile_value_in_any_field_maps_or_skips(name: str, value: Any) -> None:
    _outcome_of(map_work_item(ado_raw(7, **{name: value}), ADO))


def test_a_number_too_large_for_a_float_skips_the_item_with_the_reason() -> None:
    jira = map_issue(jira_raw(customfield_2=10**400), [], JIRA_CONFIG).skipped
    ado = map_work_item(ado_raw(7, **{"Microsoft.VSTS.Scheduling.Effort": 10**400}), ADO)
    assert jira is not None and "estimate field customfield_2 is too large" in jira.reason
    assert isinstance(ado, SkippedItem) and "Effort is int, expected a number" in ado.reason


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "Infinity", "nan"])
def test_nan_and_infinity_are_not_numbers(value: object) -> None:
    skipped = map_issue(jira_raw(customfield_3=value), [], JIRA_CONFIG).skipped
    assert skipped is not None and "is not a finite number" in skipped.reason


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(JIRA_FIELDS), value=json_values)
def test_jira_any_json_value_in_any_field_maps_or_skips(name: str, value: Any) -> None:
    mapped = map_issue(jira_raw(**{name: value}), [], JIRA_CONFIG)
    _outcome_of(mapped.item or mapped.skipped)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(ADO_FIELDS), value=json_values)
def test_ado_any_json_value_in_any_field_maps_or_skips(name: str, value: Any) -> None:
    _outcome_of(map_work_item(ado_raw(7, **{name: value}), ADO))


@settings(max_examples=100, deadline=None)
@given(key=json_values, ident=json_values)
def test_jira_any_key_and_id_map_or_skip(key: Any, ident: Any) -> None:
    issue = {**jira_raw(), "key": key, "id": ident}
    mapped = map_issue(issue, [], JIRA_CONFIG)
    _outcome_of(mapped.item or mapped.skipped)


def test_clean_text_removes_controls_overrides_and_zero_width() -> None:
    hostile = "Pay\x00ments\t\u202eevil\u202c \u200bok\ufeff\udc80\x1b[31m\nnext"
    assert clean_text(hostile) == "Payments evil ok[31m next"


def test_truncate_marks_the_cut() -> None:
    assert truncate("abcdef", 4) == "abc…" and truncate("abc", 4) == "abc"


@given(any_text, st.integers(min_value=1, max_value=50))
def test_clean_text_is_clean_bounded_encodable_and_idempotent(text: str, limit: int) -> None:
    cleaned = clean_text(text, limit)
    assert len(cleaned) <= limit and is_clean(cleaned)
    cleaned.encode("utf-8")  # no lone surrogate left
    assert clean_text(cleaned, limit) == cleaned


@given(st.text(st.characters(max_codepoint=0x7F) | st.characters(codec=None), max_size=40))
def test_is_clean_exactly_when_cleaning_changes_nothing(text: str) -> None:
    """ASCII text is judged without the pattern: still exactly when clean_text keeps it."""
    assert is_clean(text) == (clean_text(text) == text)


@settings(max_examples=200, deadline=None)
@given(histories=st.lists(json_values, max_size=3), embedded=json_values)
def test_jira_any_changelog_maps_or_skips(histories: list[Any], embedded: Any) -> None:
    from_bulk = map_issue(jira_raw(), histories, JIRA_CONFIG)
    _outcome_of(from_bulk.item or from_bulk.skipped)
    issue = {**jira_raw(), "changelog": {"histories": [embedded, *histories]}}
    from_dc = map_issue(issue, None, JIRA_CONFIG)
    _outcome_of(from_dc.item or from_dc.skipped)


@settings(max_examples=200, deadline=None)
@given(item=st.dictionaries(st.sampled_from(["created", "items", "id"]), json_values))
def test_jira_any_changelog_entry_maps_or_skips(item: dict[str, Any]) -> None:
    entry = {"created": "2026-05-02T10:00:00.000+0000", "items": [{"field": "status"}], **item}
    mapped = map_issue(jira_raw(), [entry], JIRA_CONFIG)
    _outcome_of(mapped.item or mapped.skipped)


@settings(max_examples=200, deadline=None)
@given(
    revisions=st.lists(
        st.dictionaries(st.sampled_from(["id", "rev", "fields"]), json_values)
        | st.fixed_dictionaries(
            {
                "id": json_values,
                "rev": json_values,
                "fields": st.dictionaries(st.sampled_from(REVISION_FIELDS), json_values),
            }
        ),
        max_size=4,
    )
)
def test_ado_any_revision_is_read_or_left_out(revisions: list[dict[str, Any]]) -> None:
    """Revisions are the mappings of a batch (`parse_revision_batch` drops anything else)."""
    tracker = TransitionTracker("ado", "System.State", lambda key: True)
    for change in tracker.feed(revisions):
        assert change.to_status and change.key


names = st.lists(st.sampled_from(["cx", " cx", "", "a\u200b", "x" * 300]), max_size=3).map(tuple)
maybe_text = st.none() | st.sampled_from(["", "ok", " pad ", "t\x00", "y" * 1_200])


@settings(max_examples=300, deadline=None)
@given(
    title=st.text(st.characters(codec=None), max_size=600),
    status=st.sampled_from(["Active", "s" * 300, "In\tProgress", "\u202eRTL"]),
    labels=names,
    components=names,
    owner=maybe_text,
    area_path=maybe_text,
    estimate=st.none() | st.floats(allow_nan=True, allow_infinity=True),
)
def test_the_fast_path_agrees_with_cleaning_every_field(  # noqa: PLR0917 (one per field)
    title: str,
    status: str,
    labels: tuple[str, ...],
    components: tuple[str, ...],
    owner: str | None,
    area_path: str | None,
    estimate: float | None,
) -> None:
    item = store_item("PORT-1")
    hostile = dataclasses.replace(
        item, title=title, status=status, labels=labels, components=components,
        owner=owner, area_path=area_path, estimate=estimate,
    )  # fmt: skip
    try:
        expected = cleaned_item(hostile)
    except RefusedItemError:
        with pytest.raises(RefusedItemError):
            sanitise_item(hostile)
        return
    assert sanitise_item(hostile) == expected
