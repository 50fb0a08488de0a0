"""Finding a message lpmsync may already have posted, by the outbox key in its metadata.

Every post carries Slack message metadata `{"event_type": "lpmsync_outbox", "event_payload":
{"dedup_key": …}}`. When an attempt's outcome is unknown (the process died, the request timed
out), the sender reads the channel's history (`conversations.history`, or `conversations.replies`
for a thread reply) from shortly before the first attempt, with `include_all_metadata=true`, and
adopts the `ts` of a message carrying the key instead of posting it again.

Reading history needs the `channels:history` scope (`groups:history` for private channels).
Without it, or when the channel is configured by name rather than ID, the lookup cannot be done:
`HistoryUnreadableError` says why, and the caller posts again (at most one duplicate, logged).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web import SlackResponse

EVENT_TYPE = "lpmsync_outbox"
# Slack's clock and ours differ a little; search from a while before the first attempt.
CLOCK_SKEW = timedelta(minutes=5)
PAGE_SIZE = 200
MAX_PAGES = 25  # 5,000 messages since the first attempt: far more than a busy channel gets
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")

Call = Callable[..., SlackResponse]


class HistoryUnreadableError(Exception):
    """The history cannot be searched (a reason code: `missing_scope`, `channel_name`, …)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def metadata_for(dedup_key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"dedup_key": dedup_key}}


def is_channel_id(channel: str) -> bool:
    return bool(_CHANNEL_ID.match(channel))


def find_in_history(
    history: Call,
    replies: Call,
    *,
    channel: str,
    thread_ts: str | None,
    dedup_key: str,
    since: datetime,
) -> str | None:
    """The ts of the message carrying `dedup_key`, or None when there is none (not posted)."""
    if not is_channel_id(channel):
        raise HistoryUnreadableError("channel_name")
    oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
    arguments: dict[str, Any] = {
        "channel": channel,
        "oldest": oldest,
        "inclusive": True,
        "include_all_metadata": True,
        "limit": PAGE_SIZE,
    }
    if thread_ts is not None:
        pages = _pages(replies, ts=thread_ts, **arguments)
    else:
        pages = _pages(history, **arguments)
    for message in (m for page in pages for m in page):
        if _carries(message, dedup_key):
            return str(message["ts"])
    return None


def _pages(call: Call, **arguments: Any) -> Iterator[list[dict[str, Any]]]:
    cursor = None
    for _ in range(MAX_PAGES):
        response = call(**arguments, **({"cursor": cursor} if cursor else {}))
        yield list(response.get("messages") or [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not response.get("has_more") or not cursor:
            return


def _carries(message: dict[str, Any], dedup_key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == EVENT_TYPE and payload.get("dedup_key") == dedup_key
