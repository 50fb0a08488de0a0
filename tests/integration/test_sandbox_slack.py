"""The sandbox Slack personality, driven by the real `slack_sdk.WebClient` over loopback HTTP."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.sandbox.slack_records import SlackChannel
from tests.spec_schemas import load_spec, response_schema, spec_path, validate

SLACK_SPEC = "slack_web_openapi_v2.json"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def assert_matches_spec(path: str, body: dict[str, Any], status: str = "200") -> None:
    """`body` fits the official spec's schema for that method's response."""
    [method] = load_spec(str(spec_path(SLACK_SPEC)))["paths"][path]
    validate(body, response_schema(spec_path(SLACK_SPEC), path, method, status))


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    """One server per module (stopping one costs half a second); each test resets it."""
    workspace = SlackWorkspace(
        channels=[
            SlackChannel("C0PORTFOLIO", "portfolio"),
            SlackChannel("C0OUTSIDER", "outsider", is_member=False),
            SlackChannel("C0OLDNEWS1", "old-news", is_archived=True),
        ]
    )
    with SandboxServer(workspace.router) as running:
        yield workspace, running


@pytest.fixture
def client(server: SandboxServer) -> WebClient:
    return WebClient(
        token=SANDBOX_TOKEN, base_url=slack_base_url(server.url), timeout=5, retry_handlers=[]
    )


def slack_error(call: Any, **arguments: Any) -> str:
    """The `error` of the SlackApiError that `call(**arguments)` raises."""
    with pytest.raises(SlackApiError) as raised:
        call(**arguments)
    return str(raised.value.response["error"])


def test_auth_test_checks_the_bearer_token(server: SandboxServer, client: WebClient) -> None:
    answer = client.auth_test()
    assert_matches_spec("/auth.test", answer.data)  # type: ignore[arg-type]
    intruder = WebClient(token="xoxb-wrong", base_url=slack_base_url(server.url), retry_handlers=[])
    assert slack_error(intruder.auth_test) == "invalid_auth"
    anonymous = WebClient(base_url=slack_base_url(server.url), retry_handlers=[])
    assert slack_error(anonymous.auth_test) == "not_authed"


def test_post_by_name_or_id_answers_the_channel_id_and_is_recorded(
    workspace: SlackWorkspace, client: WebClient
) -> None:
    first = client.chat_postMessage(channel="#portfolio", text="hello", blocks=[section("*hi*")])
    second = client.chat_postMessage(channel="C0PORTFOLIO", text="again")
    assert_matches_spec("/chat.postMessage", first.data)  # type: ignore[arg-type]
    assert first["channel"] == second["channel"] == "C0PORTFOLIO"
    assert first["ts"] < second["ts"]
    [one, two] = workspace.messages()
    assert (one.text, one.blocks, one.thread_ts) == ("hello", (section("*hi*"),), None)
    assert (two.ts, two.text) == (second["ts"], "again")


def test_thread_replies_are_recorded_under_their_parent(
    workspace: SlackWorkspace, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel="C0PORTFOLIO", text="digest")
    client.chat_postMessage(channel="C0PORTFOLIO", text="chart notes", thread_ts=parent["ts"])
    assert [m.text for m in workspace.top_level()] == ["digest"]
    assert [m.text for m in workspace.replies("C0PORTFOLIO", parent["ts"])] == ["chart notes"]


def test_update_edits_in_place_and_keeps_history(
    workspace: SlackWorkspace, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="C0PORTFOLIO", text="firing", blocks=[section("x")])
    updated = client.chat_update(channel="C0PORTFOLIO", ts=posted["ts"], text="resolved")
    assert_matches_spec("/chat.update", updated.data)  # type: ignore[arg-type]
    message = workspace.message("C0PORTFOLIO", posted["ts"])
    assert message is not None
    assert (message.text, message.blocks, message.edits) == ("resolved", (section("x"),), 1)
    client.chat_update(channel="C0PORTFOLIO", ts=posted["ts"], text="again", blocks=[])
    again = workspace.message("C0PORTFOLIO", posted["ts"])
    assert again is not None and again.blocks == ()
    assert [e.kind for e in workspace.events()] == ["post", "update", "update"]
    missing = slack_error(
        lambda: client.chat_update(channel="C0PORTFOLIO", ts="1.000001", text="x")
    )
    assert missing == "message_not_found"


@pytest.mark.parametrize(
    ("blocks", "error"),
    [
        ([section("x")] * 51, "invalid_blocks"),
        ([section("x" * 3001)], "invalid_blocks"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "invalid_blocks"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "invalid_blocks"),
        ([{"text": "no type"}], "invalid_blocks"),
    ],
)
def test_block_kit_limits_are_enforced(
    workspace: SlackWorkspace, client: WebClient, blocks: list[dict[str, Any]], error: str
) -> None:
    assert (
        slack_error(lambda: client.chat_postMessage(channel="C0PORTFOLIO", text="t", blocks=blocks))
        == error
    )
    assert workspace.messages() == []


def test_limits_themselves_are_accepted(workspace: SlackWorkspace, client: WebClient) -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}
    blocks = [header, section("x" * 3000)] + [section("y")] * 48
    client.chat_postMessage(channel="C0PORTFOLIO", text="t", blocks=blocks)
    assert len(workspace.messages()[0].blocks) == 50


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C0NOSUCHONE", "channel_not_found"),
        ("C0OUTSIDER", "not_in_channel"),
        ("C0OLDNEWS1", "is_archived"),
    ],
)
def test_channel_errors(client: WebClient, channel: str, error: str) -> None:
    assert slack_error(lambda: client.chat_postMessage(channel=channel, text="t")) == error


def test_error_bodies_match_the_spec(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0NOSUCHONE", text="t")
    assert raised.value.response.status_code == 200
    assert_matches_spec("/chat.postMessage", raised.value.response.data, "default")  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_text_limits(client: WebClient) -> None:
    assert slack_error(lambda: client.chat_postMessage(channel="C0PORTFOLIO", text="")) == "no_text"
    too_long = "x" * 40_001
    assert (
        slack_error(lambda: client.chat_postMessage(channel="C0PORTFOLIO", text=too_long))
        == "msg_too_long"
    )


def test_conversations_info(client: WebClient) -> None:
    answer = client.conversations_info(channel="C0OUTSIDER")
    assert_matches_spec("/conversations.info", answer.data)  # type: ignore[arg-type]
    assert (answer["channel"]["name"], answer["channel"]["is_member"]) == ("outsider", False)
    assert (
        slack_error(lambda: client.conversations_info(channel="C0NOSUCHONE")) == "channel_not_found"
    )


def test_files_upload_v2_shares_the_bytes_in_a_thread(
    server: SandboxServer, workspace: SlackWorkspace, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel="C0PORTFOLIO", text="digest")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    answer = client.files_upload_v2(
        channel="C0PORTFOLIO",
        content=png,
        filename="allocation.png",
        title="Allocation vs target",
        thread_ts=parent["ts"],
    )
    [shared] = workspace.files()
    assert answer["file"]["id"] == shared.id
    assert (shared.content, shared.title, shared.channel, shared.thread_ts) == (
        png,
        "Allocation vs target",
        "C0PORTFOLIO",
        parent["ts"],
    )
    counts = server.log.counts()
    assert counts["POST upload"] == 1
    assert counts["POST files.getUploadURLExternal"] == 1
    assert counts["POST files.completeUploadExternal"] == 1


def test_upload_into_a_foreign_channel_is_refused(client: WebClient) -> None:
    assert (
        slack_error(client.files_upload_v2, channel="C0OUTSIDER", content=b"x", filename="a.png")
        == "not_in_channel"
    )


def test_form_encoded_bodies_are_understood(
    server: SandboxServer, workspace: SlackWorkspace
) -> None:
    form = "channel=C0PORTFOLIO&text=from+a+form&blocks=" + urllib.request.quote(
        json.dumps([section("*form*")])
    )
    request = urllib.request.Request(
        slack_base_url(server.url) + "chat.postMessage",
        data=form.encode(),
        headers={
            "Authorization": f"Bearer {SANDBOX_TOKEN}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # loopback only
        assert json.loads(response.read())["ok"] is True
    [message] = workspace.messages()
    assert (message.text, message.blocks) == ("from a form", (section("*form*"),))


def test_missing_scope_and_revoked_token() -> None:
    workspace = SlackWorkspace(scopes={"chat:write"})
    with SandboxServer(workspace.router) as limited:
        client = WebClient(
            token=SANDBOX_TOKEN, base_url=slack_base_url(limited.url), retry_handlers=[]
        )
        assert (
            slack_error(
                client.files_upload_v2, channel="C0PORTFOLIO", content=b"x", filename="a.png"
            )
            == "missing_scope"
        )
        workspace.revoke_token()
        assert (
            slack_error(lambda: client.chat_postMessage(channel="C0PORTFOLIO", text="t"))
            == "token_revoked"
        )


def test_rate_limits_come_from_the_shared_knobs(
    server: SandboxServer, workspace: SlackWorkspace, client: WebClient
) -> None:
    server.knobs = Knobs(fail_next=[429], retry_after_seconds=7)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0PORTFOLIO", text="t")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    client.chat_postMessage(channel="C0PORTFOLIO", text="t")
    assert len(workspace.messages()) == 1


def test_reset_restores_the_workspace(workspace: SlackWorkspace, client: WebClient) -> None:
    client.chat_postMessage(channel="C0PORTFOLIO", text="t")
    workspace.archive("C0PORTFOLIO")
    workspace.revoke_token()
    workspace.reset()
    assert (workspace.messages(), workspace.events()) == ([], [])
    assert client.chat_postMessage(channel="#portfolio", text="t")["ok"] is True
