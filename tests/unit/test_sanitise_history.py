"""A page's state changes through `sanitise_page`: the clean page's history is kept as it is,
and any change with an unclean status or a refused item's key is handled as before."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from lpmsync.domain.model import Level, StateChange, WorkItem
from lpmsync.domain.sanitise import sanitise_page
from lpmsync.domain.sync import SyncPage

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _item(key: str) -> WorkItem:
    return WorkItem("jira", key, key, Level.EPIC, "t", "u", "Done", "Done", T0, T0)


def _changes(*pairs: tuple[str, str | None, str]) -> tuple[StateChange, ...]:
    return tuple(StateChange("jira", key, T0, before, after) for key, before, after in pairs)


def test_a_clean_history_is_kept_as_it_is() -> None:
    history = _changes(("A-1", None, "Funnel"), ("A-1", "Funnel", "Done"), ("A-2", None, "Done"))
    page, refused = sanitise_page(SyncPage(items=(_item("A-1"), _item("A-2")), history=history))
    assert page.history == history and not refused
    assert all(kept is given for kept, given in zip(page.history, history, strict=True))


def test_unclean_statuses_are_cleaned_and_other_keys_checked() -> None:
    refused = dataclasses.replace(_item("A-3"), id="bad\x00id")
    history = _changes(
        ("A-1", "Fun\x00nel", "Done\u200b"),  # cleaned
        ("A-1", None, "Funnel"),
        ("A-3", None, "Done"),  # its item is refused: left out
        ("B-9", None, "Done"),  # an item stored earlier: kept
        ("bad\x00key", None, "Done"),  # an identifier never altered: left out
    )
    page, skipped = sanitise_page(SyncPage(items=(_item("A-1"), refused), history=history))
    assert [s.key for s in skipped] == ["A-3"]
    assert [(c.key, c.from_status, c.to_status) for c in page.history] == [
        ("A-1", "Funnel", "Done"),
        ("A-1", None, "Funnel"),
        ("B-9", None, "Done"),
    ]
