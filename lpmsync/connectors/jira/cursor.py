"""What a Jira source's cursor remembers, and how a sync decides what to fetch. Pure.

The cursor is JSON the store keeps with the last committed page:

- `updated`: the watermark W (ISO-8601 UTC). Every change older than W is in the store. W never
  passes the server's clock at the start of the run that set it (the `Date` of the first search
  response), so an issue changed while a long full sync was fetching others is read again.
- `seen`: issues updated within the overlap before W, with their `updated`: the overlap re-reads
  them, and an unchanged one is not fetched again (nothing changed costs the two searches only).
- `ignored`: keys in scope that lpmsync does not store (another issue type, or malformed), so they
  are not fetched every run as "new"; a change bumps `updated` and brings them back.
- `retry`: keys Jira could not return last time (`issueErrors`); fetched again next run.
- `resume`: set while a full sync is unfinished: the last key committed (in listing order) and the
  start of that sync. The next run carries on after that key instead of starting over.
- `listed`: when the last complete listing of every key in scope started (Cloud lists again when
  Jira's approximate count disagrees with the store, or `removal_check_interval` after this).
- `config`: a fingerprint of the scope and mapping settings; when they change, all is re-read.
- `fields` and `site`: the field ids the configured names resolved to and the site's own base URL
  (for item links), so a new process need not ask Jira again; a full sync looks them up afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from lpmsync.domain.findings import JsonValue
from lpmsync.domain.sync import Cursor, SyncRequest

CURSOR_VERSION = 1


class Mode(StrEnum):
    FULL = "full"  # fetch every issue in scope
    RESUME = "resume"  # finish a full sync that stopped part-way
    INCREMENTAL = "incremental"  # fetch what changed since the watermark, and what is new


@dataclass(frozen=True)
class CursorState:
    updated: datetime | None = None
    config: str | None = None
    seen: Mapping[str, datetime] = field(default_factory=dict)
    ignored: frozenset[str] = frozenset()
    retry: frozenset[str] = frozenset()
    resume_after: str | None = None
    resume_since: datetime | None = None
    utc_offset: int | None = None  # minutes: the user's offset as Jira's timestamps showed it
    fields: Mapping[str, JsonValue] | None = None
    site: str | None = None
    listed_at: datetime | None = None

    @classmethod
    def parse(cls, raw: Cursor | None) -> CursorState | None:
        """The state in a stored cursor; None for no cursor or one this version cannot read."""
        if not raw or raw.get("v") != CURSOR_VERSION:
            return None
        try:
            resume = raw.get("resume")
            resume_map = resume if isinstance(resume, Mapping) else {}
            offset = raw.get("utc_offset")
            return cls(
                updated=_instant(raw.get("updated")),
                config=str(raw["config"]) if raw.get("config") else None,
                seen=_seen(raw.get("seen")),
                ignored=_keys(raw.get("ignored")),
                retry=_keys(raw.get("retry")),
                resume_after=_text(resume_map.get("after")),
                resume_since=_instant(resume_map.get("since")),
                utc_offset=offset if isinstance(offset, int) else None,
                fields=fields if isinstance(fields := raw.get("fields"), Mapping) else None,
                site=_text(raw.get("site")),
                listed_at=_instant(raw.get("listed")),
            )
        except (TypeError, ValueError):
            return None

    def to_json(self) -> dict[str, JsonValue]:
        cursor: dict[str, JsonValue] = {
            "v": CURSOR_VERSION,
            "updated": _iso(self.updated),
            "config": self.config,
            "seen": {key: _iso(at) for key, at in sorted(self.seen.items())},
            "ignored": list[JsonValue](sorted(self.ignored)),
            "retry": list[JsonValue](sorted(self.retry)),
            "utc_offset": self.utc_offset,
            "fields": dict(self.fields) if self.fields is not None else None,
            "site": self.site,
            "listed": _iso(self.listed_at),
        }
        if self.resume_after is not None:
            cursor["resume"] = {"after": self.resume_after, "since": _iso(self.resume_since)}
        return cursor


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    return _required(value)


def _required(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("expected an ISO-8601 string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("expected an aware date-time")
    return parsed


def _seen(value: object) -> dict[str, datetime]:
    if not isinstance(value, Mapping):
        return {}
    return {str(key): _required(at) for key, at in value.items()}


def _keys(value: object) -> frozenset[str]:
    return frozenset(str(key) for key in value) if isinstance(value, list) else frozenset()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def fingerprint(settings: Mapping[str, object]) -> str:
    """A short digest of the settings that decide which issues are read and how they map."""
    canonical = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]


@dataclass(frozen=True)
class Plan:
    """What this sync does, decided from the request and the stored cursor."""

    mode: Mode
    previous: CursorState
    config: str
    known_keys: frozenset[str] = frozenset()

    @property
    def since(self) -> datetime | None:
        """The instant the changed-issues search starts from (before the overlap)."""
        if self.mode is Mode.RESUME:
            return self.previous.resume_since
        return self.previous.updated if self.mode is Mode.INCREMENTAL else None


def make_plan(request: SyncRequest, config: str) -> Plan:
    previous = CursorState.parse(request.cursor)
    if request.full or previous is None:
        return Plan(Mode.FULL, previous or CursorState(), config, request.known_keys)
    if previous.config != config:
        return Plan(Mode.FULL, previous, config, request.known_keys)
    if previous.resume_after is not None and previous.resume_since is not None:
        return Plan(Mode.RESUME, previous, config, request.known_keys)
    if previous.resume_after is not None or previous.updated is None:
        return Plan(Mode.FULL, previous, config, request.known_keys)
    return Plan(Mode.INCREMENTAL, previous, config, request.known_keys)


def keys_to_fetch(plan: Plan, listed: Sequence[str], changed: Collection[str]) -> list[str]:
    """The listed keys to fetch, in listing order (so a full sync can resume after a key)."""
    if plan.mode is Mode.FULL:
        return list(listed)
    previous = plan.previous
    wanted = (
        set(changed)
        | {key for key in listed if key not in plan.known_keys and key not in previous.ignored}
        | previous.retry
    )
    if plan.mode is Mode.INCREMENTAL:
        return [key for key in listed if key in wanted]
    after = previous.resume_after
    if after not in listed:  # the marker left the scope: start the full sync over
        return list(listed)
    start = listed.index(after) + 1
    return [key for index, key in enumerate(listed) if index >= start or key in wanted]


def may_skip_listing(plan: Plan, interval: timedelta | None, now: datetime) -> bool:
    """An incremental sync whose last complete listing is recent enough for a count to stand in
    for it (`interval` None: list on every sync)."""
    listed_at = plan.previous.listed_at
    if plan.mode is not Mode.INCREMENTAL or interval is None or listed_at is None:
        return False
    return now - listed_at < interval


def expected_scope(plan: Plan, found: Collection[str]) -> frozenset[str]:
    """The keys in scope if nothing left it: the stored ones, those ignored or to retry, and
    those the changed-issues search just `found` (every one of them matches the scope)."""
    return plan.known_keys | plan.previous.ignored | plan.previous.retry | frozenset(found)


def unchanged(seen: Mapping[str, datetime], key: str, updated: datetime | None) -> bool:
    """Whether a key the changed search returned is the version already stored."""
    return updated is not None and seen.get(key) == updated


def watermark(
    started: datetime | None, newest: datetime | None, previous: datetime | None
) -> datetime | None:
    """The new W: the newest `updated` read (or the old W), never past the run's start."""
    candidates = [at for at in (newest, previous) if at is not None]
    latest = max(candidates) if candidates else None
    if started is None or latest is None:
        return latest or started
    return min(started, latest)


def boundary(
    updated: Mapping[str, datetime], mark: datetime | None, overlap_minutes: int
) -> dict[str, datetime]:
    """The `seen` entries worth keeping: issues the next overlap will read again."""
    if mark is None:
        return {}
    edge = mark - timedelta(minutes=overlap_minutes)
    return {key: at for key, at in updated.items() if at >= edge}
