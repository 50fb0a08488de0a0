"""Payloads as Slack delivers them over Socket Mode, for tests and the demo to inject.

A person clicking a button, choosing from a menu, submitting a modal, typing `/lpm …` or opening
the App Home becomes an envelope on the sandbox's Socket Mode connection: a `block_actions`
payload built from the message as it stands in the workspace (only what is shown can be
clicked), a slash command, a `view_submission` of an opened modal, an `app_home_opened` event.
Every payload carries a fresh one-use `trigger_id` and (where Slack gives one) a `response_url`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from lpmsync.sandbox.slack_socket import Envelope
from lpmsync.sandbox.slack_views import Ephemeral

if TYPE_CHECKING:
    from lpmsync.sandbox.slack import SlackWorkspace

APP_ID = "A0LPMSYNC"
TEAM = {"id": "T0SANDBOX", "domain": "lpmsync-sandbox"}


class ElementNotFoundError(LookupError):
    """The message or view shows no such button, menu or option: nobody could click it."""


class Interactions:
    """Deliver what people do in Slack to the app connected over Socket Mode."""

    def __init__(self, workspace: SlackWorkspace, server_url: str) -> None:
        self.workspace = workspace
        self.server_url = server_url

    def click(
        self,
        user: str,
        channel: str,
        ts: str,
        action_id: str,
        *,
        value: str | None = None,
        option: str | None = None,
    ) -> Envelope:
        """Click a button (`value` picks among buttons sharing an action id) or choose `option`
        from a select or overflow menu on the message `ts`."""
        message = self.workspace.message(channel, ts)
        if message is None:
            raise ElementNotFoundError(f"no message {ts} in {channel}")
        block_id, element = _find(message.blocks, action_id, value, option)
        interactive = self.workspace.interactive
        payload = {
            **self._base("block_actions", user),
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "channel": {"id": channel, "name": channel},
            "message": {**message.as_dict(), "user": "U0LPMSYNC", "bot_id": "B0LPMSYNC1"},
            "state": {"values": {}},
            "response_url": interactive.issue_response_url(
                self.server_url, {"channel": channel, "user": user, "message_ts": ts}
            ),
            "actions": [_action(block_id, element, option)],
        }
        return interactive.socket.deliver("interactive", payload)

    def click_ephemeral(
        self, user: str, shown: Ephemeral, action_id: str, *, value: str | None = None
    ) -> Envelope:
        """Click a button on an ephemeral message `user` was shown (e.g. a `/lpm` answer)."""
        if shown.user != user:
            raise ElementNotFoundError(f"{user} was not shown that ephemeral message")
        block_id, element = _find(shown.blocks, action_id, value, None)
        interactive = self.workspace.interactive
        payload = {
            **self._base("block_actions", user),
            "container": {"type": "message", "channel_id": shown.channel, "is_ephemeral": True},
            "channel": {"id": shown.channel, "name": shown.channel},
            "state": {"values": {}},
            "response_url": interactive.issue_response_url(
                self.server_url, {"channel": shown.channel, "user": user}
            ),
            "actions": [_action(block_id, element, None)],
        }
        return interactive.socket.deliver("interactive", payload)

    def command(
        self, user: str, text: str, *, channel: str = "C0PORTFOLIO", command: str = "/lpm"
    ) -> Envelope:
        interactive = self.workspace.interactive
        payload = {
            "token": "sandbox-verification",
            "team_id": TEAM["id"],
            "team_domain": TEAM["domain"],
            "channel_id": channel,
            "channel_name": channel,
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": interactive.issue_response_url(
                self.server_url, {"channel": channel, "user": user}
            ),
            "trigger_id": interactive.issue_trigger(user),
        }
        return interactive.socket.deliver("slash_commands", payload)

    def submit(self, user: str, view_id: str, values: Mapping[str, str]) -> Envelope:
        """Submit the modal `view_id` with `values` by action id (a date picker's date, ...)."""
        view = next(
            (v for v in self.workspace.interactive.modals(user) if v["id"] == view_id), None
        )
        if view is None:
            raise ElementNotFoundError(f"{user} has no modal {view_id} open")
        state: dict[str, dict[str, Any]] = {}
        for action_id, value in values.items():
            block_id, element = _find(view["blocks"], action_id, None, None)
            state.setdefault(block_id, {})[action_id] = _input_value(element, value)
        submitted = {k: v for k, v in view.items() if k != "user"}
        payload = {
            **self._base("view_submission", user),
            "view": {**submitted, "state": {"values": state}, "hash": uuid.uuid4().hex[:12]},
            "response_urls": [],
        }
        return self.workspace.interactive.socket.deliver("interactive", payload)

    def open_home(self, user: str) -> Envelope:
        payload = {
            "token": "sandbox-verification",
            "team_id": TEAM["id"],
            "api_app_id": APP_ID,
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": f"D0{user[1:]}",
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            },
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": TEAM["id"], "user_id": "U0LPMSYNC", "is_bot": True},
            ],
        }
        return self.workspace.interactive.socket.deliver("events_api", payload)

    def _base(self, kind: str, user: str) -> dict[str, Any]:
        return {
            "type": kind,
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM["id"],
            },
            "api_app_id": APP_ID,
            "token": "sandbox-verification",
            "trigger_id": self.workspace.interactive.issue_trigger(user),
            "team": dict(TEAM),
            "enterprise": None,
            "is_enterprise_install": False,
        }


def _elements(blocks: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for index, block in enumerate(blocks):
        block_id = str(block.get("block_id") or f"sandbox-{index}")
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                yield block_id, block[key]
        for element in block.get("elements") or ():
            if isinstance(element, dict) and "action_id" in element:
                yield block_id, element


def _find(
    blocks: Any, action_id: str, value: str | None, option: str | None
) -> tuple[str, dict[str, Any]]:
    for block_id, element in _elements(blocks):
        if element.get("action_id") != action_id:
            continue
        if value is not None and element.get("value") != value:
            continue
        options = [o.get("value") for o in element.get("options") or ()]
        if option is not None and option not in options:
            continue
        return block_id, element
    raise ElementNotFoundError(f"nothing with action_id {action_id!r} to click")


def _action(block_id: str, element: dict[str, Any], option: str | None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": element["action_id"],
        "block_id": block_id,
        "type": element.get("type", "button"),
        "action_ts": f"{time.time():.6f}",
    }
    if option is not None:
        chosen = next(o for o in element["options"] if o.get("value") == option)
        action["selected_option"] = chosen
    else:
        action["value"] = element.get("value", "")
        if "text" in element:
            action["text"] = element["text"]
    return action


def _input_value(element: dict[str, Any], value: str) -> dict[str, Any]:
    kind = element.get("type")
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    if kind == "static_select":
        chosen = next((o for o in element.get("options") or () if o.get("value") == value), None)
        if chosen is None:
            raise ElementNotFoundError(f"no option {value!r}")
        return {"type": kind, "selected_option": chosen}
    return {"type": kind or "plain_text_input", "value": value}
