"""Owners' Slack ids by email: `users.lookupByEmail` (bot scope `users:read.email`).

Optional (`people.lookup_by_email`), cached, and never in the way: an email Slack does not know
is remembered as unknown; a missing scope, a refused token or an outage stops the lookups for
this run with one warning, and the owners are then named in plain text, never pinged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError

from lpmsync.notify.slack_errors import TRANSPORT_ERRORS

log = logging.getLogger("lpmsync.notify.slack")
CACHE_TTL = timedelta(hours=24)
_UNKNOWN = "users_not_found"


class LookupClient(Protocol):
    """What the lookup needs of `slack_sdk.WebClient`."""

    def users_lookupByEmail(self, *, email: str) -> Any: ...  # noqa: N802 (slack_sdk's name)


class SlackPeople:
    """email → Slack user id, looked up once a day at most per email."""

    def __init__(
        self,
        client: LookupClient,
        *,
        ttl: timedelta = CACHE_TTL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[str | None, datetime]] = {}
        self.requests = 0

    def lookup(self, emails: Iterable[str]) -> dict[str, str]:
        """The Slack ids of those `emails` Slack knows (keys lower-cased)."""
        now = self._clock()
        found: dict[str, str] = {}
        for email in dict.fromkeys(e.strip().lower() for e in emails if "@" in e):
            cached = self._cache.get(email)
            if cached is None or now - cached[1] >= self._ttl:
                try:
                    self._cache[email] = (self._ask(email), now)
                except _LookupStoppedError:
                    break
            slack_id = self._cache[email][0]
            if slack_id:
                found[email] = slack_id
        return found

    def _ask(self, email: str) -> str | None:
        self.requests += 1
        try:
            response = self._client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            code = str(error.response.get("error") or "")
            if code == _UNKNOWN:
                return None
            log.warning("slack users.lookupByEmail failed (%s): owners named, not mentioned", code)
            raise _LookupStoppedError from None
        except TRANSPORT_ERRORS as error:
            log.warning("slack users.lookupByEmail unreachable (%s)", type(error).__name__)
            raise _LookupStoppedError from None
        user = response.get("user") or {}
        slack_id = user.get("id")
        return str(slack_id) if slack_id and not user.get("deleted") else None


class _LookupStoppedError(Exception):
    """Looking up more people this run would fail the same way."""
