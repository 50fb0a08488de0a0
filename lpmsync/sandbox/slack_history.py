"""`conversations.history` and `conversations.replies` for the sandbox Slack workspace.

They answer like slack.com: newest first for history (top-level messages only), the parent then
its replies oldest first for replies; `oldest`/`latest` bound the ts (exclusive unless
`inclusive`), `limit` and `cursor` page, and a message's `metadata` is included only with
`include_all_metadata=true`. Reading a public channel needs `channels:history`, a private one
`groups:history`; without it the answer is `missing_scope` (what lpmsync's delivery check must
survive).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

from lpmsync.sandbox.slack_records import SlackChannel, SlackError, SlackMessage, WorkspaceState

DEFAULT_LIMIT = 100
MAX_LIMIT = 999

FindChannel = Callable[[str], SlackChannel]
RequireScope = Callable[[str], None]


class HistoryMethods:
    """The two read methods over the workspace's state (guarded by the workspace's lock)."""

    def __init__(
        self,
        state: WorkspaceState,
        lock: threading.Lock,
        find_channel: FindChannel,
        require_scope: RequireScope,
        bot: dict[str, str],
    ) -> None:
        self._state = state
        self._lock = lock
        self._find_channel = find_channel
        self._require_scope = require_scope
        self._bot = bot

    def history(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            channel = self._readable(params)
            found = [
                m
                for m in self._state.messages.values()
                if m.channel == channel.id and m.thread_ts is None and _in_range(m.ts, params)
            ]
        found.sort(key=lambda m: float(m.ts), reverse=True)
        page, cursor = _page(found, params)
        body: dict[str, Any] = {
            "messages": [self._shown(m, params) for m in page],
            "has_more": cursor is not None,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        if cursor is not None:
            body["response_metadata"] = {"next_cursor": cursor}
        return body

    def replies(self, params: dict[str, Any]) -> dict[str, Any]:
        parent_ts = str(params.get("ts") or "")
        with self._lock:
            channel = self._readable(params)
            parent = self._state.messages.get((channel.id, parent_ts))
            if parent is None:
                raise SlackError("thread_not_found")
            thread = [
                m
                for m in self._state.messages.values()
                if m.channel == channel.id and m.thread_ts == parent_ts
            ]
        thread.sort(key=lambda m: float(m.ts))
        found = [m for m in [parent, *thread] if _in_range(m.ts, params)]
        page, cursor = _page(found, params)
        body: dict[str, Any] = {
            "messages": [self._shown(m, params, thread_of=parent_ts) for m in page],
            "has_more": cursor is not None,
        }
        if cursor is not None:
            body["response_metadata"] = {"next_cursor": cursor}
        return body

    def _readable(self, params: dict[str, Any]) -> SlackChannel:
        channel = self._find_channel(str(params.get("channel") or ""))
        self._require_scope("groups:history" if channel.is_private else "channels:history")
        if not channel.is_member and channel.is_private:
            raise SlackError("channel_not_found")
        return channel

    def _shown(
        self, message: SlackMessage, params: dict[str, Any], thread_of: str | None = None
    ) -> dict[str, Any]:
        body = message.as_dict()
        body.update({"user": self._bot["user_id"], "bot_id": self._bot["bot_id"]})
        if thread_of is not None:
            body["thread_ts"] = thread_of
            if message.ts != thread_of:
                body["parent_user_id"] = self._bot["user_id"]
            else:
                body.update(reply_count=self._reply_count(message), subscribed=False)
        if message.metadata is not None and _flag(params.get("include_all_metadata")):
            body["metadata"] = dict(message.metadata)
        return body

    def _reply_count(self, parent: SlackMessage) -> int:
        with self._lock:
            return sum(
                1
                for m in self._state.messages.values()
                if m.channel == parent.channel and m.thread_ts == parent.ts
            )


def parse_metadata(value: Any) -> dict[str, Any] | None:
    """`metadata` as sent (an object in JSON bodies, a JSON string in form bodies)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise SlackError("invalid_metadata_format") from None
    if not isinstance(value, dict) or not isinstance(value.get("event_type"), str):
        raise SlackError("invalid_metadata_format")
    if not isinstance(value.get("event_payload", {}), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": value["event_type"], "event_payload": value.get("event_payload", {})}


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _in_range(ts: str, params: dict[str, Any]) -> bool:
    inclusive = _flag(params.get("inclusive"))
    value = float(ts)
    oldest, latest = params.get("oldest"), params.get("latest")
    try:
        if oldest not in (None, "") and (
            value < float(oldest) or (value == float(oldest) and not inclusive)
        ):
            return False
        if latest not in (None, "") and (
            value > float(latest) or (value == float(latest) and not inclusive)
        ):
            return False
    except (TypeError, ValueError):
        raise SlackError("invalid_ts_oldest") from None
    return True


def _page(
    found: list[SlackMessage], params: dict[str, Any]
) -> tuple[list[SlackMessage], str | None]:
    try:
        limit = min(MAX_LIMIT, max(1, int(params.get("limit") or DEFAULT_LIMIT)))
        raw = str(params.get("cursor") or "")
        start = int(base64.b64decode(raw).decode().removeprefix("offset:")) if raw else 0
    except (TypeError, ValueError):
        raise SlackError("invalid_cursor") from None
    end = start + limit
    cursor = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(found) else None
    return found[start:end], cursor
