"""`lpmsync digest --force`: rebuild this week's digest over the one already enqueued.

- Rows of the earlier digest still waiting in the outbox are withdrawn (replaced).
- Parts already posted are edited in place (`chat.update`), part for part; a rebuilt digest
  with more parts posts the extra ones, one with fewer marks the surplus parts as replaced.
- Charts are uploaded again into the first part's thread (the earlier ones stay: removing a
  file needs a scope lpmsync does not ask for).
- Nothing posted yet: the rebuilt digest is enqueued as new.

Every rebuilt message has its own dedup key (`digest:<week>:rebuilt-<time>:…`), so a rebuild
is itself sent once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.domain.findings import JsonValue
from lpmsync.store import SqlStore

REPLACED_TEXT = "This part of an earlier digest was replaced: the rebuilt digest is above."


def rebuild_digest(
    store: SqlStore, week: str, messages: Sequence[OutgoingMessage], now: datetime
) -> int:
    """Enqueue the rebuilt digest `messages` over the earlier one; returns how many rows."""
    prefix = f"digest:{week}:"
    earlier = store.outbox.with_key_prefix(prefix)
    store.outbox.replace_pending(
        [entry.id for entry in earlier if entry.status == "pending"],
        now,
        "replaced by a rebuilt digest",
    )
    posted = [
        (entry.sent_channel, entry.sent_ts)
        for entry in earlier
        if entry.status == "sent"
        and entry.message.kind is MessageKind.POST
        and entry.message.target_ts is None
        and entry.message.parent_key is None
        and entry.sent_channel
        and entry.sent_ts
    ]
    revision = f"{prefix}rebuilt-{now:%Y%m%dT%H%M%S}:"
    rekeyed = [_rekeyed(message, prefix, revision) for message in messages]
    if not posted:
        return store.outbox.enqueue(rekeyed, now)
    return store.outbox.enqueue(_over_posted(rekeyed, posted, revision), now)


def _over_posted(
    messages: Sequence[OutgoingMessage],
    posted: Sequence[tuple[str | None, str | None]],
    revision: str,
) -> list[OutgoingMessage]:
    posts = [m for m in messages if m.kind is MessageKind.POST]
    uploads = [m for m in messages if m.kind is MessageKind.UPLOAD]
    out: list[OutgoingMessage] = []
    for index, post in enumerate(posts):
        if index < len(posted):
            channel, ts = posted[index]
            out.append(_edit(post, channel, ts))
        else:
            out.append(post)
    for index, (channel, ts) in enumerate(posted[len(posts) :], start=len(posts) + 1):
        block: dict[str, JsonValue] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"_{REPLACED_TEXT}_"},
        }
        replaced = OutgoingMessage(
            MessageKind.POST, "", REPLACED_TEXT, f"{revision}replaced-{index}", blocks=(block,)
        )
        out.append(_edit(replaced, channel, ts))
    thread_channel, thread_ts = posted[0]
    out.extend(
        dataclasses.replace(upload, parent_key=None, channel=thread_channel or upload.channel,
                            target_ts=thread_ts)
        for upload in uploads
    )  # fmt: skip
    return out


def _edit(message: OutgoingMessage, channel: str | None, ts: str | None) -> OutgoingMessage:
    return dataclasses.replace(
        message, kind=MessageKind.UPDATE, channel=channel or message.channel, target_ts=ts
    )


def _rekeyed(message: OutgoingMessage, prefix: str, revision: str) -> OutgoingMessage:
    parent = message.parent_key
    return dataclasses.replace(
        message,
        dedup_key=message.dedup_key.replace(prefix, revision, 1),
        parent_key=parent.replace(prefix, revision, 1) if parent else None,
    )
