"""The fast constructors of the domain model build exactly what the dataclasses build."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from lpmsync.domain.model import (
    ItemRef,
    Level,
    StateChange,
    WorkItem,
    WsjfInputs,
    state_change,
    work_item,
    wsjf_inputs,
)

AT = datetime(2026, 5, 1, 12, tzinfo=UTC)


def test_state_change_and_wsjf_inputs_equal_their_dataclasses() -> None:
    built = state_change("jira", "PORT-1", AT, None, "Done")
    assert built == StateChange("jira", "PORT-1", AT, None, "Done")
    assert type(built) is StateChange and hash(built) == hash(
        StateChange("jira", "PORT-1", AT, None, "Done")
    )
    assert wsjf_inputs(1.0, 2.0, None, 4.0) == WsjfInputs(1.0, 2.0, None, 4.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.key = "PORT-2"  # type: ignore[misc]


def test_work_item_takes_every_field_in_order() -> None:
    expected = WorkItem(
        source="jira",
        key="PORT-1",
        id="10001",
        level=Level.EPIC,
        title="Checkout",
        url="https://acme.test/browse/PORT-1",
        status="In Progress",
        state="Implementing",
        created=AT,
        updated=AT,
        entered_state_at=AT,
        parent=ItemRef("jira", "PORT-0"),
        theme_values=("Growth",),
        labels=("q3",),
        components=("Payments",),
        area_path=None,
        value_stream="Payments",
        owner="ana@acme.test",
        estimate=8.0,
        wsjf=WsjfInputs(1.0, 2.0, 3.0, 4.0),
        target_date=date(2027, 3, 12),
    )
    values = [getattr(expected, one.name) for one in dataclasses.fields(WorkItem)]
    assert work_item(*values) == expected
    with pytest.raises(TypeError):
        work_item(*values[:-1])
