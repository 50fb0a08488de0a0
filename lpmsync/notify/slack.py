"""The Slack sender: one `OutgoingMessage` → one Slack Web API call (or the upload flow).

It does not retry: the outbox decides when to try again. It raises only lpmsync's errors:
`TransientNotifyError` (retry later; `retry_after` when Slack said) or `PermanentNotifyError`
(with Slack's error `code`). The bot token lives inside the `WebClient` and is never logged.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.domain.findings import JsonValue
from lpmsync.errors import PermanentNotifyError
from lpmsync.notify.slack_errors import (
    AUTH_CODES,
    TRANSPORT_ERRORS,
    from_api_error,
    from_transport_error,
)
from lpmsync.notify.slack_lookup import HistoryUnreadableError, find_in_history, metadata_for
from lpmsync.redact import redact, redact_json

log = logging.getLogger("lpmsync.notify.slack")


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a message is in Slack: its channel ID and ts (for an upload, the file id)."""

    channel: str
    ts: str


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    """Whether the bot can post to a configured channel; `problem` is Slack's reason if not."""

    channel: str
    name: str | None = None
    problem: str | None = None  # channel_not_found | not_in_channel | is_archived | missing_scope


def slack_client(token: str, *, base_url: str, timeout_seconds: int) -> WebClient:
    """A WebClient that never retries or sleeps by itself: the outbox owns retries."""
    return WebClient(token=token, base_url=base_url, timeout=timeout_seconds, retry_handlers=[])


class SlackSender:
    """Sends outbox messages through `slack_sdk.WebClient`.

    `parent` is where the message's parent landed (from the outbox): a POST or UPLOAD without
    `target_ts` goes into its thread, an UPDATE without `target_ts` edits it.
    """

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def send(self, message: OutgoingMessage, parent: Delivery | None = None) -> Delivery:
        message = redacted_message(message)
        if message.kind is MessageKind.POST:
            delivery = self._post(message, parent)
        elif message.kind is MessageKind.UPDATE:
            delivery = self._update(message, parent)
        else:
            delivery = self._upload(message, parent)
        log.info("slack %s %s sent to %s", message.kind.value, message.dedup_key, delivery.channel)
        return delivery

    def find(
        self, message: OutgoingMessage, parent: Delivery | None, since: datetime
    ) -> Delivery | None:
        """Where an earlier attempt of this POST landed, if it did (see `slack_lookup`).

        Raises `HistoryUnreadableError` when the history cannot be read (no `channels:history`
        scope, a channel name instead of an ID, ...), like `send` for transient errors.
        """
        channel, thread_ts = _placement(message, parent)
        try:
            ts = find_in_history(
                lambda **a: _call("conversations.history", self._client.conversations_history, **a),
                lambda **a: _call("conversations.replies", self._client.conversations_replies, **a),
                channel=channel,
                thread_ts=thread_ts,
                dedup_key=message.dedup_key,
                since=since,
            )
        except PermanentNotifyError as error:
            if error.code in AUTH_CODES:
                raise
            raise HistoryUnreadableError(error.code) from None
        return Delivery(channel, ts) if ts is not None else None

    def check(self, channels: Sequence[str]) -> tuple[str, list[ChannelCheck]]:
        """Check the token (auth.test) and each channel (conversations.info) without posting.

        Returns the workspace name and one check per channel. Raises like `send` when the token
        is refused or Slack is unreachable.
        """
        team = str(_call("auth.test", self._client.auth_test).get("team") or "")
        return team, [self._check_channel(channel) for channel in channels]

    def _check_channel(self, channel: str) -> ChannelCheck:
        try:
            info = _call("conversations.info", self._client.conversations_info, channel=channel)
        except PermanentNotifyError as error:
            if error.code in AUTH_CODES:
                raise
            return ChannelCheck(channel, problem=error.code)
        data = info.get("channel") or {}
        name = data.get("name")
        if data.get("is_archived"):
            return ChannelCheck(channel, name, "is_archived")
        if not data.get("is_member"):
            return ChannelCheck(channel, name, "not_in_channel")
        return ChannelCheck(channel, name)

    def _post(self, message: OutgoingMessage, parent: Delivery | None) -> Delivery:
        channel, thread_ts = _placement(message, parent)
        response = _call(
            "chat.postMessage",
            self._client.chat_postMessage,
            channel=channel,
            text=message.text,
            blocks=[dict(block) for block in message.blocks] or None,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            metadata=metadata_for(message.dedup_key),  # finds it again after a lost answer
        )
        return Delivery(str(response["channel"]), str(response["ts"]))

    def _update(self, message: OutgoingMessage, parent: Delivery | None) -> Delivery:
        channel, ts = _placement(message, parent)
        if ts is None:
            raise PermanentNotifyError(
                f"cannot edit message {message.dedup_key}: no ts to edit", code="no_target"
            )
        response = _call(
            "chat.update",
            self._client.chat_update,
            channel=channel,
            ts=ts,
            text=message.text,
            # [] removes the old blocks; omitting them would keep the old content on screen.
            blocks=[dict(block) for block in message.blocks],
        )
        return Delivery(str(response["channel"]), str(response["ts"]))

    def _upload(self, message: OutgoingMessage, parent: Delivery | None) -> Delivery:
        if message.file_content is None:
            raise PermanentNotifyError(
                f"upload {message.dedup_key} has no file content", code="no_file_content"
            )
        channel, thread_ts = _placement(message, parent)
        response = _call(
            "files.upload_v2",
            self._client.files_upload_v2,
            channel=channel,
            content=message.file_content,
            filename=message.filename or "file",
            title=message.title or message.filename or "file",
            thread_ts=thread_ts,
        )
        files = response.get("files") or []
        file_id = str(files[0]["id"]) if files else ""
        return Delivery(channel, file_id)


def redacted_message(message: OutgoingMessage) -> OutgoingMessage:
    """The message as it may leave the process: every text and block string redacted."""
    blocks = tuple(cast(Mapping[str, JsonValue], redact_json(block)) for block in message.blocks)
    title = redact(message.title) if message.title is not None else None
    return dataclasses.replace(message, text=redact(message.text), blocks=blocks, title=title)


def _placement(message: OutgoingMessage, parent: Delivery | None) -> tuple[str, str | None]:
    """The channel and the ts the message refers to (thread to reply in, or message to edit).

    An explicit `target_ts` belongs to `message.channel`; otherwise the parent's channel ID and
    ts are used, since a thread reply or an edit must name the channel the parent is in.
    """
    if message.target_ts is not None or parent is None:
        return message.channel, message.target_ts
    return parent.channel, parent.ts


def _call(method: str, function: Callable[..., SlackResponse], **arguments: Any) -> SlackResponse:
    try:
        return function(**arguments)
    except SlackApiError as error:
        raise from_api_error(method, error) from None
    except TRANSPORT_ERRORS as error:
        raise from_transport_error(method, error) from None
