"""The Azure DevOps cursor: reading what was stored, and how it advances over one run (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lpmsync.connectors.azure_devops.cursor import (
    CursorProgress,
    StoredCursor,
    read_cursor,
    write_cursor,
)

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def test_a_written_cursor_reads_back() -> None:
    written = write_cursor(T0, "813;350;1", {5, 2})
    assert written == {
        "changed": "2026-11-16T09:00:00+00:00",
        "revisions_token": "813;350;1",
        "unstored": [2, 5],
    }
    assert read_cursor(written) == StoredCursor(T0, "813;350;1", frozenset({2, 5}))


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {},
        {"changed": "last tuesday", "revisions_token": "", "unstored": "1,2"},
        {"changed": 5, "revisions_token": 7, "unstored": [True, "3"]},
    ],
)
def test_anything_unreadable_counts_as_absent(stored: dict[str, object] | None) -> None:
    assert read_cursor(stored) == StoredCursor()  # type: ignore[arg-type]


def test_a_naive_watermark_is_utc() -> None:
    assert read_cursor({"changed": "2026-11-16T09:00:00"}).watermark == T0


def test_pages_keep_the_starting_watermark_and_the_last_advances_it() -> None:
    progress = CursorProgress(StoredCursor(T0, "1", frozenset({7})), frozenset({1, 2, 7}), "1")
    progress.advance(fetched=(1, 2), unstored=(2,), newest_change=T0 + timedelta(hours=1))
    assert progress.page_cursor() == write_cursor(T0, "1", {2, 7})
    progress.advance(token="9")
    as_of = T0 + timedelta(hours=2)
    assert progress.final_cursor(as_of) == write_cursor(as_of, "9", {2, 7})
    # without the service's asOf: the newest change seen
    assert progress.final_cursor(None) == write_cursor(T0 + timedelta(hours=1), "9", {2, 7})


def test_unstored_ids_leave_when_stored_or_no_longer_listed() -> None:
    progress = CursorProgress(StoredCursor(T0, None, frozenset({3, 4})), frozenset({3}), None)
    progress.advance(fetched=(3,), unstored=())
    assert progress.final_cursor(None)["unstored"] == []  # 3 was stored, 4 is gone
    assert progress.final_cursor(None)["changed"] == T0.isoformat()  # nothing newer seen
