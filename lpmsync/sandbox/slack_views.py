"""What an interactive Slack app calls, for the sandbox workspace: `apps.connections.open`
(Socket Mode), `views.publish` (App Home), `views.open` (modals, with a one-use trigger id valid
3 seconds), `chat.postEphemeral`, and POSTs to a payload's `response_url`.

`SlackInteractivity` is created by `SlackWorkspace` and registers these routes on its router;
`slack_interact.py` builds the payloads Slack would deliver over the socket.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lpmsync.sandbox.http import Request, Response
from lpmsync.sandbox.slack_blocks import BlocksFormatError, block_errors, parse_blocks
from lpmsync.sandbox.slack_records import SlackError, bearer_token, request_params
from lpmsync.sandbox.slack_socket import SocketModeServer

if TYPE_CHECKING:
    from lpmsync.sandbox.slack import SlackWorkspace

SANDBOX_APP_TOKEN = "xapp-1-sandbox-app-token"
MAX_VIEW_BLOCKS = 100
TRIGGER_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Ephemeral:
    """A message only `user` sees (`chat.postEphemeral`, a response_url, a slash command ack)."""

    channel: str
    user: str
    text: str
    blocks: tuple[dict[str, Any], ...] = ()
    via: str = "chat.postEphemeral"


@dataclass
class InteractiveState:
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # view id → view (+ user)
    home: dict[str, str] = field(default_factory=dict)  # user → view id of their App Home
    ephemerals: list[Ephemeral] = field(default_factory=list)
    triggers: dict[str, tuple[str, float]] = field(default_factory=dict)  # id → user, issued
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)  # url id → context
    groups: dict[str, list[str]] = field(default_factory=dict)  # user group id → members
    counter: int = 0


class SlackInteractivity:
    """The interactive half of the sandbox workspace; see the module docstring."""

    def __init__(self, workspace: SlackWorkspace, app_token: str = SANDBOX_APP_TOKEN) -> None:
        self.workspace = workspace
        self.app_token = app_token
        self.socket = SocketModeServer()
        self.state = InteractiveState()
        self._lock = threading.Lock()

    def register(self, api: Callable[[str | None, Callable[..., Any]], Callable[..., Any]]) -> None:
        router = self.workspace.router
        methods = {
            "views.publish": (None, self._views_publish),
            "views.open": (None, self._views_open),
            "chat.postEphemeral": ("chat:write", self._post_ephemeral),
            "usergroups.users.list": ("usergroups:read", self._group_members),
        }
        for name, (scope, method) in methods.items():
            handler = api(scope, method)
            for verb in ("GET", "POST"):
                router.route(verb, "/api/" + name.replace(".", r"\."), endpoint=name)(handler)
        router.route("POST", r"/api/apps\.connections\.open", endpoint="apps.connections.open")(
            self._connections_open
        )
        router.route("POST", r"/response/(?P<url_id>R[0-9A-Z]+)", endpoint="response_url")(
            self._response_url
        )

    # --- what tests and the demo look at -------------------------------------------------------

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        with self._lock:
            return [e for e in self.state.ephemerals if user is None or e.user == user]

    def home(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            view_id = self.state.home.get(user)
            return self.state.views.get(view_id) if view_id else None

    def modals(self, user: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = [v for v in self.state.views.values() if v["type"] == "modal"]
        return [v for v in found if user is None or v["user"] == user]

    # --- issued to payloads (slack_interact.py) ------------------------------------------------

    def issue_trigger(self, user: str) -> str:
        with self._lock:
            trigger = f"{self._next()}.{int(time.time())}.sandbox"
            self.state.triggers[trigger] = (user, time.monotonic())
        return trigger

    def issue_response_url(self, base: str, context: dict[str, Any]) -> str:
        with self._lock:
            url_id = f"R{self._next()}"
            self.state.responses[url_id] = context
        return f"{base.rstrip('/')}/response/{url_id}"

    # --- the Web API ---------------------------------------------------------------------------

    def _connections_open(self, request: Request) -> Response:
        token = bearer_token(request, request_params(request))
        if token != self.app_token:
            error = (
                "not_allowed_token_type" if token and token.startswith("xox") else "invalid_auth"
            )
            return Response(200, {"ok": False, "error": error})
        url = self.socket.open_url(request.headers.get("host", "127.0.0.1"))
        return Response(200, {"ok": True, "url": url})

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user_id") or "")
        if not user.startswith(("U", "W")):
            raise SlackError("invalid_arguments")
        view = _view(params, "home")
        with self._lock:
            view_id = self.state.home.get(user) or f"V{self._next():08d}"
            self.state.views[view_id] = {**view, "id": view_id, "user": user}
            self.state.home[user] = view_id
        return {"view": {**view, "id": view_id}}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger = str(params.get("trigger_id") or "")
        view = _view(params, "modal")
        with self._lock:
            issued = self.state.triggers.pop(trigger, None)  # one use
            if issued is None or time.monotonic() - issued[1] > TRIGGER_SECONDS:
                raise SlackError("expired_trigger_id" if issued else "invalid_trigger_id")
            view_id = f"V{self._next():08d}"
            self.state.views[view_id] = {**view, "id": view_id, "user": issued[0]}
        return {"view": {**view, "id": view_id}}

    def add_group(self, group_id: str, members: list[str]) -> None:
        with self._lock:
            self.state.groups[group_id] = list(members)

    def _group_members(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            members = self.state.groups.get(str(params.get("usergroup") or ""))
        if members is None:
            raise SlackError("no_such_subteam")
        return {"users": members}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        text, blocks = str(params.get("text") or ""), _blocks(params.get("blocks"))
        user = str(params.get("user") or "")
        if not user:
            raise SlackError("user_not_in_channel")
        channel = self.workspace.channel_id(str(params.get("channel") or ""))
        with self._lock:
            self.state.ephemerals.append(Ephemeral(channel, user, text, tuple(blocks)))
            ts = f"{int(time.time())}.{self._next():06d}"
        return {"message_ts": ts}

    def _response_url(self, request: Request) -> Response:
        with self._lock:
            context = self.state.responses.get(request.params["url_id"])
        if context is None:
            return Response(404, "no_such_url", content_type="text/plain")
        try:
            body = json.loads(request.body or b"{}")
            blocks = _blocks(body.get("blocks"))
        except (ValueError, SlackError, AttributeError):
            return Response(400, "invalid_payload", content_type="text/plain")
        text = str(body.get("text") or "")
        if body.get("replace_original") and context.get("message_ts"):
            update = {"channel": context["channel"], "ts": context["message_ts"], "text": text}
            self.workspace._update({**update, "blocks": blocks})  # as chat.update would
        else:
            with self._lock:
                self.state.ephemerals.append(
                    Ephemeral(
                        context["channel"], context["user"], text, tuple(blocks), "response_url"
                    )
                )
        return Response(200, {"ok": True})

    def _next(self) -> int:
        self.state.counter += 1
        return self.state.counter


def _view(params: dict[str, Any], kind: str) -> dict[str, Any]:
    view = params.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            raise SlackError("invalid_arguments") from None
    if not isinstance(view, dict) or view.get("type") != kind:
        raise SlackError("invalid_arguments")
    blocks = _blocks(view.get("blocks"))
    if len(blocks) > MAX_VIEW_BLOCKS:
        raise SlackError("invalid_arguments", errors=[f"no more than {MAX_VIEW_BLOCKS} items"])
    return {**view, "blocks": blocks}


def _blocks(value: Any) -> list[dict[str, Any]]:
    try:
        blocks = parse_blocks(value) or []
    except BlocksFormatError:
        raise SlackError("invalid_blocks_format") from None
    errors = [e for e in block_errors(blocks) if not e.startswith("no more than")]
    if errors:
        raise SlackError("invalid_blocks", errors=errors)
    return blocks
