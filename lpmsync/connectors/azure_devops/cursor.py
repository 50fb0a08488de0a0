"""The Azure DevOps cursor, and how it advances over the pages of one run (pure).

Stored as `{"changed": <watermark, ISO UTC>, "revisions_token": <token>, "revisions_since":
<ISO UTC>, "unstored": [<id>...]}`:

- `changed`: items changed at or after it (minus the overlap) are fetched next run. Pages before
  the last keep the watermark the run started from, so a run that stops half-way is repeated
  rather than skipping changes; the last page advances it to when the service ran the listing
  (WIQL `asOf`, on the service's own clock), or else to the newest change seen.
- `revisions_token`: where the reporting revisions stream resumes.
- `revisions_since`: with no token yet, when the stream starts (`startDateTime`). Without
  `history_backfill`, a first sync sets it to the listing's time instead of reading every past
  revision, so the full sync stays at the request floor; later transitions are read from there.
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
    since: datetime | None = None

    @property
    def has_stream(self) -> bool:
        """Whether the revisions stream has a place to resume from."""
        return self.token is not None or self.since is not None


def read_cursor(cursor: Cursor | None) -> StoredCursor:
    """What a stored cursor says; anything unreadable counts as absent."""
    if not cursor:
        return StoredCursor()
    changed, token, unstored, since = (
        cursor.get("changed"),
        cursor.get("revisions_token"),
        cursor.get("unstored"),
        cursor.get("revisions_since"),
    )
    ids = unstored if isinstance(unstored, list) else []
    return StoredCursor(
        watermark=_parse(changed) if isinstance(changed, str) else None,
        token=token if isinstance(token, str) and token else None,
        unstored=frozenset(i for i in ids if isinstance(i, int) and not isinstance(i, bool)),
        since=_parse(since) if isinstance(since, str) else None,
    )


def _parse(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def write_cursor(
    watermark: datetime | None,
    token: str | None,
    unstored: Iterable[int],
    since: datetime | None = None,
) -> Cursor:
    changed = watermark.astimezone(UTC).isoformat() if watermark is not None else None
    ids: list[JsonValue] = list(sorted(unstored))
    cursor: dict[str, JsonValue] = {"changed": changed, "revisions_token": token, "unstored": ids}
    if token is None and since is not None:
        cursor["revisions_since"] = since.astimezone(UTC).isoformat()
    return cursor


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
        return write_cursor(
            self.previous.watermark, self.token, self._unstored_now(), self.previous.since
        )

    def final_cursor(self, as_of: datetime | None, *, start_stream: bool = False) -> Cursor:
        """For the last page. `start_stream`: no revisions were read and there is nowhere to
        resume from, so the stream will start where this run's listing was taken."""
        newest = self.newest_change
        if newest is not None and self.previous.watermark is not None:
            newest = max(newest, self.previous.watermark)
        watermark = as_of or newest or self.previous.watermark
        since = watermark if start_stream else self.previous.since
        return write_cursor(watermark, self.token, self._unstored_now(), since)
