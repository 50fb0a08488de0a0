"""`History`: state history as columns, and its builders (table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lpmsync.domain.history import NO_STATUS, History, as_history, last_entries, to_micros
from lpmsync.domain.model import StateChange

T0 = datetime(2026, 3, 2, 12, 0, 0, 123_456, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def change(key: str, hours: float, to: str, before: str | None = None, source: str = "jira"):  # type: ignore[no-untyped-def]
    return StateChange(source, key, at(hours), before, to)


A1 = change("A", 1, "Funnel")
A2 = change("A", 2, "Done", "Funnel")
A2_TIE = change("A", 2, "Ready", "Funnel")
B1 = change("B", 1, "Ready", "Funnel")
B3 = change("B", 3, "Done", "Ready")
ADO_A = change("A", 0, "New", source="ado")

# (name, changes as given, the changes as the history holds them: by item, each in time order)
GROUPING = [
    ("empty", [], []),
    ("one change", [A1], [A1]),
    ("sorted by time within an item", [A2, A1], [A1, A2]),
    ("ties keep the order given", [A2_TIE, A1, A2], [A1, A2_TIE, A2]),
    ("items in order of first appearance", [B3, A1, B1], [B1, B3, A1]),
    ("an item met again later joins its run", [A1, B1, A2, B3], [A1, A2, B1, B3]),
    ("the same key in two sources is two items", [A1, ADO_A, A2], [A1, A2, ADO_A]),
]


@pytest.mark.parametrize(("name", "given", "held"), GROUPING, ids=[row[0] for row in GROUPING])
def test_from_changes_groups_by_item_in_time_order(
    name: str, given: list[StateChange], held: list[StateChange]
) -> None:
    history = History.from_changes(given)
    assert list(history) == held
    assert len(history) == len(held)
    assert history == held  # equal to the list of the same changes


@pytest.mark.parametrize(("name", "given", "held"), GROUPING, ids=[row[0] for row in GROUPING])
def test_from_columns_of_any_order_matches_from_changes(
    name: str, given: list[StateChange], held: list[StateChange]
) -> None:
    columns = History.from_columns(
        [c.source for c in given],
        [c.key for c in given],
        to_micros(c.at for c in given),
        [c.from_status for c in given],
        [c.to_status for c in given],
    )
    assert columns == History.from_changes(given)


def _columns(changes: list[StateChange]):  # type: ignore[no-untyped-def]
    return (
        [c.source for c in changes],
        [c.key for c in changes],
        to_micros(c.at for c in changes),
        [c.from_status for c in changes],
        [c.to_status for c in changes],
    )


@pytest.mark.parametrize(("name", "given", "held"), GROUPING, ids=[row[0] for row in GROUPING])
def test_from_chunks_split_anywhere_matches_from_changes(
    name: str, given: list[StateChange], held: list[StateChange]
) -> None:
    for split in range(len(given) + 1):
        chunks = [_columns(given[:split]), _columns(given[split:])]
        assert History.from_chunks(chunks) == History.from_changes(given), split


def test_an_item_going_on_in_the_next_chunk_stays_one_item() -> None:
    history = History.from_chunks([_columns([A1]), _columns([A2, B1]), _columns([B3])])
    assert history.keys == ("A", "B")
    assert list(history.bounds) == [0, 2, 4]


def test_the_columns_hold_codes_runs_and_microseconds() -> None:
    history = History.from_changes([A1, A2, B1, ADO_A])
    assert history.sources == (("jira", 0), ("ado", 2))
    assert history.keys == ("A", "B", "A")
    assert list(history.bounds) == [0, 2, 3, 4]
    assert history.statuses == ("Funnel", "Done", "Ready", "New")
    assert list(history.to_status) == [0, 1, 2, 3]
    assert list(history.from_status) == [NO_STATUS, 0, 0, NO_STATUS]
    assert history.at[0] == int(at(1).timestamp()) * 1_000_000 + 123_456


INSTANTS = [
    ("microseconds", datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)),
    ("before the epoch", datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
    ("far ahead", datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
    ("another offset", datetime(2026, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))),
]


@pytest.mark.parametrize(("name", "instant"), INSTANTS, ids=[row[0] for row in INSTANTS])
def test_instants_round_trip_exactly_in_utc(name: str, instant: datetime) -> None:
    history = History.from_changes([StateChange("jira", "A", instant, None, "Funnel")])
    back = history[0].at
    assert back == instant
    assert back.tzinfo is UTC


def test_a_naive_history_stays_naive() -> None:
    naive = datetime(2026, 1, 1, 8, 30)
    history = History.from_changes([StateChange("jira", "A", naive, None, "Funnel")])
    assert history.naive
    assert history[0].at == naive


def test_naive_and_aware_instants_do_not_mix() -> None:
    with pytest.raises(ValueError, match="mixes naive"):
        History.from_changes([A1, StateChange("jira", "B", datetime(2026, 1, 1), None, "X")])


def test_it_reads_as_a_sequence_of_changes() -> None:
    history = History.from_changes([A1, A2, B1, ADO_A])
    assert history[1] == A2
    assert history[-1] == ADO_A
    assert history[1:3] == [A2, B1]
    with pytest.raises(IndexError):
        history[4]
    assert history.item_numbers("jira") == {"A": 0, "B": 1}
    assert history.item_numbers("nowhere") == {}
    assert history != [A1]
    assert History() == []


def test_as_history_converts_once() -> None:
    history = History.from_changes([A1])
    assert as_history(history) is history
    assert as_history([A1]) == history


# (name, changes, wanted item -> status, expected item -> instant)
ENTRIES = [
    ("the last move into the status", [A1, A2, B1], {("jira", "A"): "Funnel"}, {("jira", "A"): 1}),
    ("none into it", [A1, A2], {("jira", "A"): "Ready"}, {}),
    ("an unknown status", [A1], {("jira", "A"): "Nowhere"}, {}),
    ("an item without history", [A1], {("jira", "B"): "Funnel"}, {}),
    ("another source", [A1], {("ado", "A"): "Funnel"}, {}),
    (
        "the first of ties on the latest instant",
        [A2, A1, change("A", 2, "Done", "Ready")],
        {("jira", "A"): "Done"},
        {("jira", "A"): 2},
    ),
    (
        "several items",
        [A1, B1, B3, ADO_A],
        {("jira", "B"): "Done", ("ado", "A"): "New"},
        {("jira", "B"): 3, ("ado", "A"): 0},
    ),
]


@pytest.mark.parametrize(
    ("name", "changes", "wanted", "expected"), ENTRIES, ids=[row[0] for row in ENTRIES]
)
def test_last_entries(
    name: str,
    changes: list[StateChange],
    wanted: dict[tuple[str, str], str],
    expected: dict[tuple[str, str], float],
) -> None:
    found = last_entries(History.from_changes(changes), wanted)
    assert found == {item: at(hours) for item, hours in expected.items()}
