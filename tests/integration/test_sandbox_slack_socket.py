"""The sandbox Slack's Socket Mode and interactive Web API, driven by slack_sdk's own clients."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.sandbox.slack_interact import ElementNotFoundError, Interactions
from lpmsync.sandbox.slack_views import SANDBOX_APP_TOKEN

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
BUTTON = {
    "type": "actions",
    "block_id": "b1",
    "elements": [
        {
            "type": "button",
            "action_id": "go",
            "value": "v1",
            "text": {"type": "plain_text", "text": "Go"},
        }
    ],
}


@pytest.fixture
def sandbox() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    workspace = SlackWorkspace()
    with SandboxServer(workspace.router) as server:
        yield workspace, server
    workspace.interactive.socket.stop()


def web(server: SandboxServer, token: str = SANDBOX_TOKEN) -> WebClient:
    return WebClient(token=token, base_url=slack_base_url(server.url))


def test_envelopes_are_delivered_and_acked(sandbox: tuple[SlackWorkspace, SandboxServer]) -> None:
    workspace, server = sandbox
    ts = web(server).chat_postMessage(channel="C0PORTFOLIO", text="hi", blocks=[BUTTON])["ts"]
    seen: list[SocketModeRequest] = []
    done = threading.Event()

    def listener(client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        seen.append(request)
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload={"text": "ok"})
        )
        done.set()

    client = SocketModeClient(app_token=SANDBOX_APP_TOKEN, web_client=web(server, ""))
    client.socket_mode_request_listeners.append(listener)
    client.connect()
    try:
        envelope = Interactions(workspace, server.url).click("U0PM", "C0PORTFOLIO", ts, "go")
        assert done.wait(5)
        assert envelope.ack == {"envelope_id": envelope.envelope_id, "payload": {"text": "ok"}}
        [request] = seen
        assert request.type == "interactive" and request.payload["type"] == "block_actions"
        [action] = request.payload["actions"]
        assert (action["action_id"], action["value"], action["block_id"]) == ("go", "v1", "b1")
        assert request.payload["container"]["message_ts"] == ts
        with pytest.raises(ElementNotFoundError):
            Interactions(workspace, server.url).click("U0PM", "C0PORTFOLIO", ts, "nope")
    finally:
        client.close()
    assert server.log.counts()["POST apps.connections.open"] == 1


def test_apps_connections_open_wants_the_app_token(
    sandbox: tuple[SlackWorkspace, SandboxServer],
) -> None:
    _, server = sandbox
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        web(server).apps_connections_open(app_token=SANDBOX_TOKEN)
    url = web(server, "").apps_connections_open(app_token=SANDBOX_APP_TOKEN)["url"]
    assert url.startswith("ws://127.0.0.1:") and "ticket=" in url


def test_views_and_ephemerals(sandbox: tuple[SlackWorkspace, SandboxServer]) -> None:
    workspace, server = sandbox
    client = web(server)
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    client.views_publish(user_id="U0PM", view=home)
    published = workspace.interactive.home("U0PM")
    assert published is not None and published["blocks"] == [SECTION]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_publish(user_id="U0PM", view={**home, "blocks": [SECTION] * 101})
    trigger = workspace.interactive.issue_trigger("U0PM")
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Snooze"}, "blocks": []}
    view_id = client.views_open(trigger_id=trigger, view=modal)["view"]["id"]
    assert [v["id"] for v in workspace.interactive.modals("U0PM")] == [view_id]
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):  # one use
        client.views_open(trigger_id=trigger, view=modal)
    client.chat_postEphemeral(channel="C0PORTFOLIO", user="U0PM", text="only you")
    [ephemeral] = workspace.interactive.ephemerals("U0PM")
    assert (ephemeral.channel, ephemeral.text) == ("C0PORTFOLIO", "only you")
