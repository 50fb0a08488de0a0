"""`/lpm`, the Expire button, the App Home and payloads the app cannot use, through the sandbox's
Socket Mode; HTTP mode's signature checks."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
import uvicorn

from lpmsync.domain.alerts import Silence
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.slack import SlackWorkspace, slack_base_url
from lpmsync.slackapp.answers import EXPIRE_ACTION
from lpmsync.slackapp.context import NOT_ALLOWED
from lpmsync.slackapp.listen import build_slack_app, http_app
from lpmsync.store import open_store
from tests.integration.slackapp_support import (
    ENVIRON,
    PM,
    STRANGER,
    Harness,
    running_app,
    wait_for,
    write_settings,
)


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Iterator[Harness]:
    yield from running_app(tmp_path, sqlite_url)


def ask(app: Harness, text: str, user: str = PM) -> str:
    before = len(app.workspace.interactive.ephemerals(user))
    envelope = app.people.command(user, text)
    assert envelope.ack is not None
    wait_for(lambda: len(app.workspace.interactive.ephemerals(user)) > before)
    reply = app.workspace.interactive.ephemerals(user)[-1]
    assert reply.via == "response_url"
    return json.dumps(reply.blocks, ensure_ascii=False)


def test_lpm_answers(app: Harness) -> None:
    status = ask(app, "status")
    assert "Open alerts" in status and "Work serving no active theme" in status
    why = ask(app, "why p-1")
    assert "<https://jira.example/browse/P-1|P-1>" in why and "Implementing" in why
    assert "for 10 days" in why and "Open findings" in why and "needs" not in why[:0]
    assert "Did you mean *P-1*?" in ask(app, "why P-11")
    assert "Customer Experience" in ask(app, "theme cx")
    assert "No theme `nope`" in ask(app, "theme nope")
    assert "/lpm why KEY" in ask(app, "help") and "not a command" in ask(app, "frobnicate")


def test_silences_with_an_expire_button(app: Harness) -> None:
    now = app.clock()
    silence = Silence(None, "aging", {"theme": "cx"}, now + timedelta(days=3), "budget", now)
    silence_id = app.store.silences.add(silence)
    text = ask(app, "silences")
    assert f"*#{silence_id}* `aging` theme=cx" in text and "Expire" in text
    reply = app.workspace.interactive.ephemerals(PM)[-1]
    app.people.click_ephemeral(PM, reply, EXPIRE_ACTION, value=str(silence_id))
    wait_for(lambda: len(app.workspace.interactive.ephemerals(PM)) == 2)
    assert app.workspace.interactive.ephemerals(PM)[-1].text.startswith(
        f"Silence #{silence_id} expired"
    )
    # Someone not allowed, clicking an Expire button they were shown, changes nothing.
    app.store.silences.add(silence)
    ask(app, "silences", STRANGER)
    shown = app.workspace.interactive.ephemerals(STRANGER)[-1]
    app.people.click_ephemeral(STRANGER, shown, EXPIRE_ACTION, value=str(silence_id + 1))
    wait_for(lambda: len(app.workspace.interactive.ephemerals(STRANGER)) == 2)
    assert app.workspace.interactive.ephemerals(STRANGER)[-1].text == NOT_ALLOWED
    assert len(app.store.silences.active(app.clock())) == 1
    [entry] = app.store.audit.since()
    assert (entry.actor, entry.action.value) == (PM, "silence-expire")


def test_app_home_is_published_on_open(app: Harness) -> None:
    before = app.calls("views.publish")
    app.people.open_home(PM)
    home = wait_for(lambda: app.workspace.interactive.home(PM))
    text = json.dumps(home["blocks"], ensure_ascii=False)
    for part in ("Alignment:", "Allocation against target", "WIP against limits", "Open alerts"):
        assert part in text
    assert "Your items" in text and "people.slack_ids" in text
    assert app.calls("views.publish") == before + 1


def test_unusable_payloads_are_acked_and_change_nothing(
    app: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    socket = app.workspace.interactive.socket
    odd = socket.deliver("interactive", {"type": "mystery", "token": "xoxb-leaky-secret-0000"})
    assert odd.ack is not None
    message = app.alert_message("P-1")
    garbled = {
        "type": "block_actions",
        "user": {"id": PM},
        "container": {"channel_id": message.channel, "message_ts": message.ts},
        "actions": [{"action_id": "lpm_item", "selected_option": {"value": "explode:abc"}}],
        "response_url": app.workspace.interactive.issue_response_url(
            app.server.url, {"channel": message.channel, "user": PM}
        ),
    }
    assert socket.deliver("interactive", garbled).ack is not None
    wait_for(lambda: app.workspace.interactive.ephemerals(PM))
    assert app.store.audit.since() == [] and app.store.silences.list_all() == []
    assert "cannot use" in caplog.text


# --- HTTP mode ---------------------------------------------------------------------------------


SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def sandbox() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    workspace = SlackWorkspace()
    with SandboxServer(workspace.router) as server:
        yield workspace, server


@pytest.fixture
def http_url(
    tmp_path: Path, sqlite_url: str, sandbox: tuple[SlackWorkspace, SandboxServer]
) -> Iterator[str]:
    extra = "      mode: http\n"
    environ = {**ENVIRON, "SLACK_SIGNING_SECRET": SECRET}
    base_url = slack_base_url(sandbox[1].url)
    settings = write_settings(tmp_path, base_url, sqlite_url, extra=extra, environ=environ)
    store = open_store(sqlite_url)
    app = build_slack_app(settings, store, environ=environ)
    server = uvicorn.Server(uvicorn.Config(http_app(app), host="127.0.0.1", port=0))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/slack/events"
    server.should_exit = True
    thread.join(10)
    store.close()


def signed(body: str, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def test_http_mode_verifies_signatures_and_the_replay_window(
    http_url: str, sandbox: tuple[SlackWorkspace, SandboxServer]
) -> None:
    workspace, server = sandbox
    response_url = workspace.interactive.issue_response_url(
        server.url, {"channel": "C0PORTFOLIO", "user": PM}
    )
    fields = {"command": "/lpm", "text": "help", "user_id": PM, "response_url": response_url}
    body = urlencode({**fields, "team_id": "T0SANDBOX", "channel_id": "C0PORTFOLIO"})
    now = int(time.time())
    good = requests.post(http_url, data=body, headers=signed(body, now), timeout=5)
    assert good.status_code == 200
    forged = requests.post(http_url, data=body, headers=signed(body, now, "x" * 32), timeout=5)
    assert forged.status_code == 401
    stale = requests.post(http_url, data=body, headers=signed(body, now - 301), timeout=5)
    assert stale.status_code == 401
    unsigned = requests.post(http_url, data=body, timeout=5)
    assert unsigned.status_code == 401
    [answer] = wait_for(lambda: workspace.interactive.ephemerals(PM))  # only the signed one ran
    assert "/lpm why KEY" in json.dumps(answer.blocks)


def test_the_listener_keeps_trying_while_slack_is_unreachable(
    tmp_path: Path, sqlite_url: str, sandbox: tuple[SlackWorkspace, SandboxServer]
) -> None:
    from lpmsync.sandbox.knobs import Knobs
    from lpmsync.slackapp.listen import SlackListener

    workspace, server = sandbox
    settings = write_settings(tmp_path, slack_base_url(server.url), sqlite_url)
    store = open_store(sqlite_url)
    server.knobs = Knobs(fail_next=[503, 503])  # Slack is down when the service starts
    listener = SlackListener(build_slack_app(settings, store, environ=ENVIRON), settings, ENVIRON)
    listener.start()  # returns at once: the service goes on
    try:
        wait_for(lambda: workspace.interactive.socket.connected, timeout=30)
        assert server.log.counts()["POST apps.connections.open"] == 3
    finally:
        listener.stop()
        workspace.interactive.socket.stop()
        store.close()
