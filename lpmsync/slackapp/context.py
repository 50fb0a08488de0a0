"""What the Slack app's handlers share: the store, the policy, the clock, who may act."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from lpmsync.domain.routing import RoutingPolicy
from lpmsync.logs import redactor
from lpmsync.services.clock import Clock
from lpmsync.services.send import SendSummary
from lpmsync.settings import Settings
from lpmsync.store import SqlStore

log = logging.getLogger("lpmsync.slackapp")
GROUP_CACHE_SECONDS = 300.0
NOT_ALLOWED = (
    "You are not allowed to acknowledge, snooze or expire here; nothing was changed. "
    "Ask the lpmsync operator to add you to `notify.slack.interactive.allowed`."
)


@dataclass
class Access:
    """Who may act: user ids, user group ids (members looked up, cached 5 minutes) or "*"."""

    allowed: Sequence[str]
    client: WebClient
    _groups: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def may_act(self, user: str) -> bool:
        if "*" in self.allowed or user in self.allowed:
            return True
        return any(user in self._members(g) for g in self.allowed if g.startswith("S"))

    def _members(self, group: str) -> frozenset[str]:
        with self._lock:
            cached = self._groups.get(group)
            if cached is not None and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
                return cached[1]
        try:
            users = self.client.usergroups_users_list(usergroup=group)["users"]
        except SlackApiError as error:  # a group we cannot read lets nobody in through it
            log.warning("cannot list user group %s: %s", group, error.response.get("error"))
            return frozenset()
        members = frozenset(str(u) for u in users or ())
        with self._lock:
            self._groups[group] = (time.monotonic(), members)
        return members


@dataclass(frozen=True)
class AppContext:
    """`drain` sends the outbox once (the message edits actions queue); `people` maps tracker
    owners to Slack user ids, for the App Home's "your items"."""

    store: SqlStore
    settings: Settings
    policy: RoutingPolicy
    clock: Clock
    access: Access
    drain: Callable[[], SendSummary | None]
    people: Mapping[str, str] = field(default_factory=dict)

    def send_edits(self) -> None:
        """Send the queued edits now; a Slack outage leaves them queued for the next drain."""
        try:
            self.drain()
        except Exception:  # the action itself is committed; the sender retries later
            log.exception("sending the message edits failed; they stay in the outbox")


def log_unusable(kind: str, body: Any) -> None:
    """A payload the app cannot use: logged (secrets redacted, cut short), never retried."""
    text = redactor()(repr(body))[:2000]
    log.warning("ignored a %s payload that lpmsync cannot use: %s", kind, text)
