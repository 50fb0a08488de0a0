"""The sandbox Slack's conversations.history / conversations.replies and message metadata,
driven by the real `slack_sdk.WebClient`, in the shapes of the official spec."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.slack import DEFAULT_SCOPES, SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from tests.integration.test_sandbox_slack import assert_matches_spec

META = {"event_type": "lpmsync_outbox", "event_payload": {"dedup_key": "alert:1"}}


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    workspace = SlackWorkspace()
    with SandboxServer(workspace.router) as running:
        yield workspace, running


@pytest.fixture
def client(server: SandboxServer) -> WebClient:
    return WebClient(
        token=SANDBOX_TOKEN, base_url=slack_base_url(server.url), timeout=5, retry_handlers=[]
    )


def without_newer_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The vendored spec predates `metadata` and leaves out `response_metadata` (its example has
    it): API-FACTS.md §7. Everything else must match it."""
    trimmed = copy.deepcopy(body)
    trimmed.pop("response_metadata", None)
    for message in trimmed["messages"]:
        message.pop("metadata", None)
        message.pop("blocks", None)  # typed loosely in the spec's message object
        message.pop("bot_id", None)
    return trimmed


def test_history_lists_top_level_messages_newest_first_with_metadata_on_request(
    client: WebClient,
) -> None:
    first = client.chat_postMessage(channel="C0PORTFOLIO", text="one", metadata=META)
    client.chat_postMessage(channel="C0PORTFOLIO", text="reply", thread_ts=first["ts"])
    client.chat_postMessage(channel="C0PORTFOLIO", text="two")
    plain = client.conversations_history(channel="C0PORTFOLIO")
    assert [m["text"] for m in plain["messages"]] == ["two", "one"]
    assert all("metadata" not in m for m in plain["messages"])
    assert_matches_spec("/conversations.history", without_newer_fields(plain.data))  # type: ignore[arg-type]
    full = client.conversations_history(channel="C0PORTFOLIO", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == META
    later = client.conversations_history(channel="C0PORTFOLIO", oldest=first["ts"])
    assert [m["text"] for m in later["messages"]] == ["two"]
    inclusive = client.conversations_history(
        channel="C0PORTFOLIO", oldest=first["ts"], inclusive=True
    )
    assert len(inclusive["messages"]) == 2


def test_history_pages_with_a_cursor(client: WebClient) -> None:
    for n in range(5):
        client.chat_postMessage(channel="C0PORTFOLIO", text=f"m{n}")
    page = client.conversations_history(channel="C0PORTFOLIO", limit=2)
    seen = [m["text"] for m in page["messages"]]
    while page["has_more"]:
        cursor = page["response_metadata"]["next_cursor"]
        page = client.conversations_history(channel="C0PORTFOLIO", limit=2, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
    assert seen == ["m4", "m3", "m2", "m1", "m0"]


def test_replies_list_the_parent_then_the_thread_with_metadata(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0PORTFOLIO", text="parent")
    client.chat_postMessage(
        channel="C0PORTFOLIO", text="reply", thread_ts=parent["ts"], metadata=META
    )
    thread = client.conversations_replies(
        channel="C0PORTFOLIO", ts=parent["ts"], include_all_metadata=True
    )
    assert [m["text"] for m in thread["messages"]] == ["parent", "reply"]
    assert thread["messages"][0]["reply_count"] == 1
    assert thread["messages"][1]["metadata"] == META


def test_reading_history_needs_the_history_scope() -> None:
    workspace = SlackWorkspace(scopes=DEFAULT_SCOPES - {"channels:history"})
    with SandboxServer(workspace.router) as server:
        client = WebClient(token=SANDBOX_TOKEN, base_url=slack_base_url(server.url))
        with pytest.raises(SlackApiError) as raised:
            client.conversations_history(channel="C0PORTFOLIO")
    assert raised.value.response["error"] == "missing_scope"
    assert raised.value.response["needed"] == "channels:history"


def test_block_text_over_13000_characters_is_refused_as_too_long(client: WebClient) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2700}}
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0PORTFOLIO", text="big", blocks=[section] * 5)
    assert raised.value.response["error"] == "msg_blocks_too_long"
    client.chat_postMessage(channel="C0PORTFOLIO", text="fits", blocks=[section] * 4)
