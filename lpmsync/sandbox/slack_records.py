"""What the sandbox Slack workspace holds and records: channels, messages, files, events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from lpmsync.sandbox.http import Request


@dataclass(frozen=True, slots=True)
class SlackChannel:
    id: str
    name: str
    is_member: bool = True  # the bot was invited; otherwise posting answers not_in_channel
    is_archived: bool = False
    is_private: bool = False


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A message as it stands now; `history` holds its earlier versions, oldest first."""

    channel: str
    ts: str
    text: str
    blocks: tuple[Mapping[str, Any], ...] = ()
    thread_ts: str | None = None
    history: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...] = ()
    metadata: Mapping[str, Any] | None = None  # `{event_type, event_payload}` as posted

    @property
    def edits(self) -> int:
        return len(self.history)

    def as_dict(self) -> dict[str, Any]:
        """The shape Slack's APIs (and the demo's terminal view) use for a message."""
        data: dict[str, Any] = {
            "type": "message",
            "text": self.text,
            "ts": self.ts,
            "blocks": [dict(block) for block in self.blocks],
        }
        if self.thread_ts is not None:
            data["thread_ts"] = self.thread_ts
        return data


@dataclass(frozen=True, slots=True)
class SlackFile:
    """An uploaded file; `channel` is None until `files.completeUploadExternal` shares it."""

    id: str
    filename: str
    length: int
    content: bytes = b""
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False


@dataclass(frozen=True, slots=True)
class SlackEvent:
    """One thing that changed the workspace, in order: `post`, `update` or `upload`."""

    kind: str
    channel: str
    ts: str  # the message's ts; the file id for an upload
    thread_ts: str | None = None


@dataclass
class WorkspaceState:
    """Mutable state behind the workspace's lock."""

    channels: dict[str, SlackChannel] = field(default_factory=dict)
    messages: dict[tuple[str, str], SlackMessage] = field(default_factory=dict)
    files: dict[str, SlackFile] = field(default_factory=dict)
    events: list[SlackEvent] = field(default_factory=list)
    counter: int = 0
    last_ts_micros: int = 0
    token_revoked: bool = False


class SlackError(Exception):
    """An `ok: false` answer; `extra` is merged into the body (e.g. `needed` for scopes)."""

    def __init__(self, code: str, **extra: Any) -> None:
        self.code = code
        self.extra = extra
        super().__init__(code)


def request_params(request: Request) -> dict[str, Any]:
    """Slack's arguments from wherever the client put them: query, form body or JSON body."""
    params: dict[str, Any] = {name: values[0] for name, values in request.query.items() if values}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not request.body:
        return params
    if content_type == "application/json":
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise SlackError("json_not_object")
        params.update(body)
    elif content_type == "application/x-www-form-urlencoded":
        form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
        params.update({name: values[0] for name, values in form.items() if values})
    else:
        raise SlackError("invalid_form_data")
    return params


def bearer_token(request: Request, params: Mapping[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[len("bearer ") :].strip()
    token = params.get("token")
    return str(token) if token else None
