"""Shared helpers for the notify tests: findings to feed in, Block Kit checks on what comes out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import Block

from lpmsync.domain.findings import Finding, JsonValue, RuleId, Scope, Severity, Subject
from lpmsync.domain.model import Level
from lpmsync.domain.notices import RenderedMessage

HOSTILE_TITLES = [
    "<!channel> please look",
    "<!here>",
    "<!everyone>",
    "<@U123> owns this",
    "<!subteam^S1> heads up",
    "&lt; already escaped &amp;",
    "<https://evil.example|click here>",
    "*bold* _italic_ ~strike~ `code`",
    "x" * 10_000,
    "🚀 launch 🎉 " * 40,
    "مرحبا بالعالم \u202e reversed \u202c",
    "a > b && c < d",
]


def finding(
    key: str = "P-1",
    *,
    rule: str = RuleId.UNALIGNED,
    title: str = "An epic",
    severity: Severity = Severity.WARNING,
    theme: str | None = None,
    value_stream: str | None = None,
    state: str | None = "Implementing",
    url: str | None = None,
    evidence: Mapping[str, JsonValue] | None = None,
    source: str = "jira",
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        fingerprint=f"{rule}:{source}:{key}",
        message=f"{key} needs a look",
        subject=Subject(source, key, title, url or f"https://jira.example/browse/{key}"),
        scope=Scope(state=state, level=Level.EPIC, value_stream=value_stream, theme=theme),
        evidence=dict(evidence or {"state": state}),
    )


def scope_finding(state: str = "Implementing", count: int = 7, limit: int = 5) -> Finding:
    return Finding(
        rule=RuleId.WIP_BREACH,
        severity=Severity.CRITICAL,
        fingerprint=f"wip-breach:{state}:epic",
        message=f"{count} epics in {state}; the limit is {limit}",
        scope=Scope(state=state, level=Level.EPIC),
        evidence={"count": count, "limit": limit, "keys": [f"P-{i}" for i in range(count)]},
    )


def assert_valid_blocks(blocks: Any) -> None:
    """Every block parses as its own slack_sdk type, validates, and round-trips unchanged."""
    assert 1 <= len(blocks) <= 50
    for raw in blocks:
        parsed = Block.parse(dict(raw))
        assert parsed is not None and type(parsed) is not Block, raw
        parsed.validate_json()
        assert parsed.to_dict() == json.loads(json.dumps(raw)), raw
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= 150
        if raw["type"] == "context":
            assert len(raw["elements"]) <= 10


def assert_valid_message(message: RenderedMessage) -> None:
    assert message.text.strip()
    assert_valid_blocks(message.blocks)


def all_text(message: RenderedMessage) -> str:
    """The message as Slack would parse it: the fallback and every text in the blocks."""
    texts = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)

    walk(list(message.blocks))
    return "\n".join(texts)


def block_texts(message: RenderedMessage) -> list[str]:
    """Every text in the blocks (what counts toward a message's size)."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)

    walk(list(message.blocks))
    return texts


def header_text(message: RenderedMessage) -> str:
    blocks: Any = message.blocks
    assert blocks[0]["type"] == "header"
    return str(blocks[0]["text"]["text"])
