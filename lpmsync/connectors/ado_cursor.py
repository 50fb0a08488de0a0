"""The Azure DevOps cursor, and how it advances over the pages of one run (pure).

Stored as `{"changed": <watermark, ISO UTC>, "revisions_token": <token>, "unstored": [<id>...]}`:

- `changed`: items changed at or after it (minus the overlap) are fetched next run. Pages before
  the last keep the watermark the run started from, so a run that stops half-way is repeated
  rather than skipping changes; the last page advances it to when the service ran the listing
  (WIQL `asOf`, on the service's own clock), or else to the newest change seen.
- `revisions_token`: where the reporting revisions stream resumes.
- `unstored`: listed ids that were fetched but gave no stored item (malformed, or not returned).
  Not being in the store, they would otherwise look new and be fetched again on every run; now
  they are fetched again only when they change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lpmsync.domain.findings import JsonValue
from lpmsync.domain.sync import Cursor


@dataclass(frozen=True, slots=True)
class StoredCursor:
    watermark: datetime | None = None
    token: str | None = None
    unstored: frozenset[int] = frozenset()


def read_cursor(cursor: Cursor | None) -> StoredCursor:
    """What a stored cursor says; anything unreadable counts as absent."""
    if not cursor:
        return StoredCursor()
    changed, token, unstored = (
        cursor.get("changed"),
        cursor.get("revisions_token"),
        cursor.get("unstored"),
    )
    ids = unstored if isinstance(unstored, list) else []
    return StoredCursor(
        watermark=_parse(changed) if isinstance(changed, str) else None,
        token=token if isinstance(token, str) and token else None,
        unstored=frozenset(i for i in ids if isinstance(i, int) and not isinstance(i, bool)),
    )


def _parse(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def write_cursor(watermark: datetime | None, token: str | None, unstored: Iterable[int]) -> Cursor:
    changed = watermark.astimezone(UTC).isoformat() if watermark is not None else None
    ids: list[JsonValue] = list(sorted(unstored))
    return {"changed": changed, "revisions_token": token, "unstored": ids}


@dataclass
class CursorProgress:
    """The cursor as the pages of one run are produced, in commit order."""

    previous: StoredCursor
    listed: frozenset[int]
    token: str | None
    fetched: set[int] = field(default_factory=set)
    unstored: set[int] = field(default_factory=set)
    newest_change: datetime | None = None

    def advance(
        self,
        *,
        fetched: Iterable[int] = (),
        unstored: Iterable[int] = (),
        newest_change: datetime | None = None,
        token: str | None = None,
    ) -> None:
        self.fetched.update(fetched)
        self.unstored.update(unstored)
        if newest_change is not None:
            self.newest_change = max(newest_change, self.newest_change or newest_change)
        self.token = token or self.token

    def _unstored_now(self) -> set[int]:
        return ((set(self.previous.unstored) - self.fetched) | self.unstored) & self.listed

    def page_cursor(self) -> Cursor:
        """For a page before the last: the watermark the run started from."""
        return write_cursor(self.previous.watermark, self.token, self._unstored_now())

    def final_cursor(self, as_of: datetime | None) -> Cursor:
        newest = self.newest_change
        if newest is not None and self.previous.watermark is not None:
            newest = max(newest, self.previous.watermark)
        watermark = as_of or newest or self.previous.watermark
        return write_cursor(watermark, self.token, self._unstored_now())
