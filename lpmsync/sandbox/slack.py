"""The Slack Web API personality: a workspace with channels that records every message.

Serve `SlackWorkspace().router` with `SandboxServer` and point `slack_sdk.WebClient` at
`slack_base_url(server.url)`. It answers like slack.com: HTTP 200 with `ok: false` for errors
(`invalid_auth`, `channel_not_found`, `not_in_channel`, `is_archived`, `invalid_blocks`,
`msg_too_long`, `message_not_found`, `missing_scope`, ...), Block Kit limits enforced (50 blocks,
section text 3000, header 150), both form-encoded and JSON bodies, and the three-step file upload
(`files.getUploadURLExternal` → POST bytes to the upload URL on this same server →
`files.completeUploadExternal`). 429 + Retry-After and 5xx come from the server's `Knobs`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from lpmsync.sandbox.http import Request, Response, Router
from lpmsync.sandbox.slack_blocks import message_content
from lpmsync.sandbox.slack_files import FileMethods
from lpmsync.sandbox.slack_history import HistoryMethods, parse_metadata
from lpmsync.sandbox.slack_records import (
    SlackChannel,
    SlackError,
    SlackEvent,
    SlackFile,
    SlackMessage,
    WorkspaceState,
    bearer_token,
    request_params,
)
from lpmsync.sandbox.slack_views import SlackInteractivity

SANDBOX_TOKEN = "xoxb-sandbox-token"
API_PREFIX = "/api/"
DEFAULT_SCOPES = frozenset(
    {"chat:write", "files:write", "channels:read", "groups:read", "commands", "usergroups:read"}
    | {"channels:history", "groups:history"}
)
DEFAULT_CHANNELS = (
    SlackChannel("C0PORTFOLIO", "portfolio"),
    SlackChannel("C0CXTEAM", "cx-team"),
    SlackChannel("C0FLOW", "flow"),
)
TEAM = {
    "team": "lpmsync sandbox",
    "team_id": "T0SANDBOX",
    "url": "https://lpmsync-sandbox.slack.com/",
}
BOT = {"user": "lpmsync", "user_id": "U0LPMSYNC", "bot_id": "B0LPMSYNC1"}
_TS_BASE = 1_763_280_000  # when the sandbox channels were "created"

Method = Callable[[dict[str, Any]], dict[str, Any]]


def slack_base_url(server_url: str) -> str:
    """The `base_url` to give `slack_sdk.WebClient` for a server running this personality."""
    return server_url.rstrip("/") + API_PREFIX


class SlackWorkspace:
    """A fake Slack workspace: serve `.router`; inspect `.messages()`, `.files()`, `.events()`."""

    def __init__(
        self,
        token: str = SANDBOX_TOKEN,
        channels: Mapping[str, str] | Iterable[SlackChannel] | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> None:
        self.token = token
        self.scopes = frozenset(scopes)
        self._lock = threading.Lock()
        self._state = WorkspaceState()
        self._initial_channels = tuple(_channels(channels))
        self._state.channels = {channel.id: channel for channel in self._initial_channels}
        self._files = FileMethods(
            self._state,
            self._lock,
            lambda channel_id: self._member_channel(channel_id, by_id_only=True),
            self._next_id,
        )
        self._history = HistoryMethods(
            self._state, self._lock, self._find_channel, self._require_scope, BOT
        )
        self.router = Router("slack")
        self.interactive = SlackInteractivity(self)  # Socket Mode, views, ephemerals
        self._register()

    # --- what tests and the demo look at -------------------------------------------------------

    def messages(self, channel: str | None = None) -> list[SlackMessage]:
        """Every message (top level and replies) as it stands now, in the order posted."""
        with self._lock:
            found = sorted(self._state.messages.values(), key=lambda m: m.ts)
        return [m for m in found if channel is None or m.channel == channel]

    def top_level(self, channel: str | None = None) -> list[SlackMessage]:
        return [m for m in self.messages(channel) if m.thread_ts is None]

    def replies(self, channel: str, ts: str) -> list[SlackMessage]:
        """The thread under the message `ts` in `channel`."""
        return [m for m in self.messages(channel) if m.thread_ts == ts]

    def message(self, channel: str, ts: str) -> SlackMessage | None:
        with self._lock:
            return self._state.messages.get((channel, ts))

    def files(self) -> list[SlackFile]:
        """Files shared by `files.completeUploadExternal`, in the order completed."""
        with self._lock:
            by_id = dict(self._state.files)
            order = [e.ts for e in self._state.events if e.kind == "upload"]
        return [by_id[file_id] for file_id in order]

    def events(self) -> list[SlackEvent]:
        with self._lock:
            return list(self._state.events)

    def channel_id(self, name_or_id: str) -> str:
        with self._lock:
            return self._find_channel(name_or_id).id

    # --- changing the workspace (to provoke errors) --------------------------------------------

    def add_channel(self, channel: SlackChannel) -> None:
        with self._lock:
            self._state.channels[channel.id] = channel

    def archive(self, channel_id: str) -> None:
        with self._lock:
            channel = self._state.channels[channel_id]
            self._state.channels[channel_id] = replace(channel, is_archived=True)

    def reset(self) -> None:
        """Back to the workspace as created: no messages, files or events, the token valid,
        the original channels. The ts counter goes on, so a ts is never reused."""
        with self._lock:
            self._state.messages.clear()
            self._state.files.clear()
            self._state.events.clear()
            self._state.token_revoked = False
            self._state.channels = {channel.id: channel for channel in self._initial_channels}

    def revoke_token(self) -> None:
        """Every later call answers `token_revoked`."""
        with self._lock:
            self._state.token_revoked = True

    # --- the Web API ---------------------------------------------------------------------------

    def _register(self) -> None:
        methods: dict[str, tuple[str | None, Method]] = {
            "auth.test": (None, self._auth_test),
            "chat.postMessage": ("chat:write", self._post_message),
            "chat.update": ("chat:write", self._update),
            "conversations.info": ("channels:read", self._conversation_info),
            "conversations.history": (None, self._history.history),  # scope by channel type
            "conversations.replies": (None, self._history.replies),
            "files.getUploadURLExternal": ("files:write", self._files.get_upload_url),
            "files.completeUploadExternal": ("files:write", self._files.complete_upload),
        }
        for name, (scope, method) in methods.items():
            handler = self._api(scope, method)
            pattern = API_PREFIX + name.replace(".", r"\.")
            for verb in ("GET", "POST"):
                self.router.route(verb, pattern, endpoint=name)(handler)
        self.router.route("POST", r"/upload/v1/(?P<file_id>F[A-Z0-9]+)", endpoint="upload")(
            self._files.receive_bytes
        )
        self.interactive.register(self._api)

    def _api(self, scope: str | None, method: Method) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            try:
                params = request_params(request)
                self._authorize(request, params, scope)
                params["_host"] = request.headers.get("host", "127.0.0.1")
                body = {"ok": True, **method(params)}
            except SlackError as error:
                body = {"ok": False, "error": error.code, **error.extra}
            return Response(200, body)

        return handle

    def _authorize(self, request: Request, params: dict[str, Any], scope: str | None) -> None:
        token = bearer_token(request, params)
        if not token:
            raise SlackError("not_authed")
        if token != self.token:
            raise SlackError("invalid_auth")
        if self._state.token_revoked:
            raise SlackError("token_revoked")
        if scope is not None:
            self._require_scope(scope)

    def _require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**TEAM, **BOT, "is_enterprise_install": False}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text, blocks = message_content(params, require=True)
        thread_ts = params.get("thread_ts") or None
        metadata = parse_metadata(params.get("metadata"))
        with self._lock:
            channel = self._member_channel(str(params.get("channel") or ""))
            ts = self._next_ts()
            message = SlackMessage(channel.id, ts, text, tuple(blocks or ()), thread_ts)
            message = replace(message, metadata=metadata)
            self._state.messages[(channel.id, ts)] = message
            self._state.events.append(SlackEvent("post", channel.id, ts, thread_ts))
        body = message.as_dict()
        body.update({"user": BOT["user_id"], "bot_id": BOT["bot_id"]})
        return {"channel": channel.id, "ts": ts, "message": body}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        text, blocks = message_content(params, require=False)
        ts = str(params.get("ts") or "")
        with self._lock:
            channel = self._member_channel(str(params.get("channel") or ""), by_id_only=True)
            current = self._state.messages.get((channel.id, ts))
            if current is None:
                raise SlackError("message_not_found")
            updated = replace(
                current,
                text=text if "text" in params else current.text,
                blocks=current.blocks if blocks is None else tuple(blocks),
                history=(*current.history, (current.text, current.blocks)),
            )
            self._state.messages[(channel.id, ts)] = updated
            self._state.events.append(SlackEvent("update", channel.id, ts, current.thread_ts))
        # The spec types chat.update's message.blocks loosely; text is what it requires.
        return {
            "channel": channel.id,
            "ts": ts,
            "text": updated.text,
            "message": {"text": updated.text},
        }

    def _conversation_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            channel = self._find_channel(str(params.get("channel") or ""), by_id_only=True)
        return {
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "name_normalized": channel.name,
                "is_channel": not channel.is_private,
                "is_private": channel.is_private,
                "is_archived": channel.is_archived,
                "is_member": channel.is_member,
                "created": _TS_BASE,
            }
        }

    # --- helpers (called with the lock held) ---------------------------------------------------

    def _find_channel(self, name_or_id: str, *, by_id_only: bool = False) -> SlackChannel:
        channels = self._state.channels
        if name_or_id in channels:
            return channels[name_or_id]
        if not by_id_only:
            name = name_or_id.removeprefix("#")
            for channel in channels.values():
                if channel.name == name:
                    return channel
        raise SlackError("channel_not_found")

    def _member_channel(self, name_or_id: str, *, by_id_only: bool = False) -> SlackChannel:
        channel = self._find_channel(name_or_id, by_id_only=by_id_only)
        if channel.is_archived:
            raise SlackError("is_archived")
        if not channel.is_member:
            raise SlackError("not_in_channel")
        return channel

    def _next_ts(self) -> str:
        """Wall-clock microseconds like slack.com (so `oldest` bounds work), always increasing."""
        micros = max(time.time_ns() // 1000, self._state.last_ts_micros + 1)
        self._state.last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self) -> str:
        self._state.counter += 1
        return f"F0SANDBOX{self._state.counter:05d}"


def _channels(given: Mapping[str, str] | Iterable[SlackChannel] | None) -> list[SlackChannel]:
    if given is None:
        return list(DEFAULT_CHANNELS)
    if isinstance(given, Mapping):
        return [SlackChannel(channel_id, name) for channel_id, name in given.items()]
    return list(given)
