"""The Slack sender against the sandbox Slack over real HTTP: what it sends and how it fails."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.errors import PermanentNotifyError, TransientNotifyError
from lpmsync.notify.slack import ChannelCheck, Delivery, SlackSender, slack_client
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.sandbox.slack_records import SlackChannel
from tests.spec_schemas import load_spec, spec_path

CHANNELS = [
    SlackChannel("C0PORTFOLIO", "portfolio"),
    SlackChannel("C0OUTSIDER", "outsider", is_member=False),
    SlackChannel("C0OLDNEWS1", "old-news", is_archived=True),
]


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def message(kind: MessageKind = MessageKind.POST, **changes: Any) -> OutgoingMessage:
    fields: dict[str, Any] = {
        "kind": kind,
        "channel": "C0PORTFOLIO",
        "text": "3 epics serve no active theme",
        "dedup_key": "alert:unaligned",
        "blocks": (section("*Unaligned* PORT-1 &lt;!channel&gt;"),),
    }
    fields.update(changes)
    return OutgoingMessage(**fields)


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    workspace = SlackWorkspace(channels=CHANNELS)
    with SandboxServer(workspace.router) as running:
        yield workspace, running


@pytest.fixture
def sender(server: SandboxServer) -> SlackSender:
    client = slack_client(SANDBOX_TOKEN, base_url=slack_base_url(server.url), timeout_seconds=5)
    return SlackSender(client)


def refusal(sender: SlackSender, outgoing: OutgoingMessage, parent: Delivery | None = None) -> str:
    with pytest.raises(PermanentNotifyError) as raised:
        sender.send(outgoing, parent)
    assert SANDBOX_TOKEN not in str(raised.value)
    return raised.value.code


def test_post_lands_with_its_blocks_and_no_unfurling(
    sender: SlackSender, workspace: SlackWorkspace, server: SandboxServer
) -> None:
    delivery = sender.send(message(channel="#portfolio"))
    [posted] = workspace.messages()
    assert delivery == Delivery("C0PORTFOLIO", posted.ts)
    assert posted.text == "3 epics serve no active theme"
    assert posted.blocks == (section("*Unaligned* PORT-1 &lt;!channel&gt;"),)
    [request] = server.log.entries
    body = json.loads(request.body)
    assert (body["unfurl_links"], body["unfurl_media"]) == (False, False)


def test_thread_reply_by_target_ts_or_by_parent(
    sender: SlackSender, workspace: SlackWorkspace
) -> None:
    parent = sender.send(message())
    sender.send(message(dedup_key="r1", text="resolved", target_ts=parent.ts, blocks=()))
    # by parent: the reply goes to the parent's channel ID even if the message named another
    sender.send(message(dedup_key="r2", channel="#somewhere", text="chart notes"), parent)
    replies = workspace.replies("C0PORTFOLIO", parent.ts)
    assert [(r.text, r.thread_ts) for r in replies] == [
        ("resolved", parent.ts),
        ("chart notes", parent.ts),
    ]


def test_update_edits_the_message_in_place(sender: SlackSender, workspace: SlackWorkspace) -> None:
    original = sender.send(message())
    edited = sender.send(
        message(MessageKind.UPDATE, dedup_key="u1", text="resolved", target_ts=original.ts)
    )
    assert edited == original
    [only] = workspace.messages()
    assert (only.text, only.edits) == ("resolved", 1)
    assert only.blocks == (section("*Unaligned* PORT-1 &lt;!channel&gt;"),)
    sender.send(message(MessageKind.UPDATE, dedup_key="u2", text="plain", blocks=()), original)
    [again] = workspace.messages()
    assert (again.text, again.blocks, again.edits) == ("plain", (), 2)


def test_update_without_a_ts_is_refused_before_any_request(
    sender: SlackSender, server: SandboxServer
) -> None:
    assert refusal(sender, message(MessageKind.UPDATE)) == "no_target"
    assert server.log.total() == 0


def test_upload_goes_into_the_parents_thread(
    sender: SlackSender, workspace: SlackWorkspace, server: SandboxServer
) -> None:
    digest = sender.send(message(text="Weekly digest"))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x01" * 500
    chart = message(
        MessageKind.UPLOAD,
        dedup_key="digest:chart",
        channel="C0PORTFOLIO",
        text="",
        blocks=(),
        file_content=png,
        filename="allocation.png",
        title="Allocation vs target",
    )
    delivery = sender.send(chart, digest)
    [shared] = workspace.files()
    assert delivery == Delivery("C0PORTFOLIO", shared.id)
    assert (shared.content, shared.title, shared.thread_ts) == (
        png,
        "Allocation vs target",
        digest.ts,
    )
    assert server.log.counts()["POST upload"] == 1


# The vendored spec predates message metadata (2022): API-FACTS.md §7 documents these.
NEWER_THAN_THE_SPEC = {
    "chat.postMessage": {"metadata"},
    "conversations.history": {"include_all_metadata"},
    "conversations.replies": {"include_all_metadata"},
}


def test_request_parameters_are_named_as_in_the_official_spec(
    sender: SlackSender, server: SandboxServer
) -> None:
    posted = sender.send(message(target_ts=None))
    sender.send(message(dedup_key="r", text="reply", target_ts=posted.ts))
    sender.send(message(MessageKind.UPDATE, dedup_key="u", text="edit", target_ts=posted.ts))
    sender.check(["C0PORTFOLIO"])
    checked = set()
    for entry in server.log.entries:
        method = entry.endpoint.split(" ", 1)[1]
        if method not in ("chat.postMessage", "chat.update", "conversations.info"):
            continue
        spec = load_spec(str(spec_path("slack_web_openapi_v2.json")))
        [operation] = spec["paths"][f"/{method}"].values()
        allowed = {p["name"] for p in operation["parameters"]} - {"token"}
        allowed |= NEWER_THAN_THE_SPEC.get(method, set())
        required = {p["name"] for p in operation["parameters"] if p.get("required")} - {"token"}
        sent = _parameter_names(entry.body)
        assert sent <= allowed, (method, sent - allowed)
        assert required <= sent, (method, required - sent)
        checked.add(method)
    assert checked == {"chat.postMessage", "chat.update", "conversations.info"}


def _parameter_names(body: bytes) -> set[str]:
    from urllib.parse import parse_qs

    try:
        return set(json.loads(body))
    except json.JSONDecodeError:
        return set(parse_qs(body.decode()))


@pytest.mark.parametrize(
    ("outgoing", "code"),
    [
        (message(channel="C0NOSUCHONE"), "channel_not_found"),
        (message(channel="C0OUTSIDER"), "not_in_channel"),
        (message(channel="C0OLDNEWS1"), "is_archived"),
        (message(blocks=(section("x"),) * 51), "invalid_blocks"),
        (message(blocks=(section("x" * 3001),)), "invalid_blocks"),
        (message(text="x" * 40_001, blocks=()), "msg_too_long"),
        (message(MessageKind.UPDATE, target_ts="1763280000.999999"), "message_not_found"),
    ],
)
def test_permanent_errors_carry_slacks_code(
    sender: SlackSender, outgoing: OutgoingMessage, code: str
) -> None:
    assert refusal(sender, outgoing) == code


def test_credential_and_scope_errors_are_permanent(
    server: SandboxServer, workspace: SlackWorkspace
) -> None:
    base_url = slack_base_url(server.url)
    wrong = SlackSender(slack_client("xoxb-wrong", base_url=base_url, timeout_seconds=5))
    assert refusal(wrong, message()) == "invalid_auth"
    right = SlackSender(slack_client(SANDBOX_TOKEN, base_url=base_url, timeout_seconds=5))
    workspace.revoke_token()
    assert refusal(right, message()) == "token_revoked"
    limited = SlackWorkspace(scopes={"chat:write"})
    with SandboxServer(limited.router) as other:
        client = slack_client(SANDBOX_TOKEN, base_url=slack_base_url(other.url), timeout_seconds=5)
        upload = message(MessageKind.UPLOAD, file_content=b"png", filename="a.png")
        assert refusal(SlackSender(client), upload) == "missing_scope"


def test_rate_limit_is_transient_with_retry_after(
    sender: SlackSender, server: SandboxServer, workspace: SlackWorkspace
) -> None:
    server.knobs = Knobs(fail_next=[429, 503, 500], retry_after_seconds=7)
    with pytest.raises(TransientNotifyError) as limited:
        sender.send(message())
    assert limited.value.retry_after == 7
    for _ in range(2):
        with pytest.raises(TransientNotifyError) as failed:
            sender.send(message())
        assert failed.value.retry_after is None
    assert workspace.messages() == []
    sender.send(message())
    assert len(workspace.messages()) == 1


def test_a_failing_upload_url_is_transient(workspace: SlackWorkspace) -> None:
    knobs = Knobs(fail_next=[503])
    with SandboxServer(
        workspace.router, knobs=knobs, fault_filter=lambda e: e == "POST upload"
    ) as s:
        client = slack_client(SANDBOX_TOKEN, base_url=slack_base_url(s.url), timeout_seconds=5)
        upload = message(MessageKind.UPLOAD, file_content=b"png", filename="a.png")
        with pytest.raises(TransientNotifyError):
            SlackSender(client).send(upload)
        assert workspace.files() == []
        SlackSender(client).send(upload)
    assert len(workspace.files()) == 1


def test_unreachable_slack_is_transient() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = slack_base_url(f"http://127.0.0.1:{port}")
    client = slack_client(SANDBOX_TOKEN, base_url=base_url, timeout_seconds=5)
    with pytest.raises(TransientNotifyError) as raised:
        SlackSender(client).send(message())
    assert "unreachable" in str(raised.value)


def test_a_timeout_is_transient(workspace: SlackWorkspace) -> None:
    knobs = Knobs(fail_next=[], timeout_rate=1.0, timeout_seconds=1.5)
    with SandboxServer(workspace.router, knobs=knobs) as slow:
        client = slack_client(SANDBOX_TOKEN, base_url=slack_base_url(slow.url), timeout_seconds=1)
        with pytest.raises(TransientNotifyError):
            SlackSender(client).send(message())
        knobs.timeout_rate = 0.0


def test_check_reports_each_channel(sender: SlackSender) -> None:
    team, checks = sender.check(["C0PORTFOLIO", "C0OUTSIDER", "C0OLDNEWS1", "C0NOSUCHONE"])
    assert team == "lpmsync sandbox"
    assert checks == [
        ChannelCheck("C0PORTFOLIO", "portfolio"),
        ChannelCheck("C0OUTSIDER", "outsider", "not_in_channel"),
        ChannelCheck("C0OLDNEWS1", "old-news", "is_archived"),
        ChannelCheck("C0NOSUCHONE", None, "channel_not_found"),
    ]
