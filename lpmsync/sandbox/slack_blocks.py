"""Block Kit checks the sandbox Slack applies, with the limits the real one enforces.

Slack answers `invalid_blocks` (HTTP 200, `ok: false`) with an `errors` list when a message breaks
them; the sandbox does the same so that renderer bugs fail in tests, not in a portfolio channel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lpmsync.sandbox.slack_records import SlackError

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BLOCK_ID = 255
MAX_MESSAGE_TEXT = 40_000

KNOWN_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)


class BlocksFormatError(ValueError):
    """`blocks` is not a JSON array of objects (Slack: `invalid_blocks_format`)."""


def parse_blocks(value: Any) -> list[dict[str, Any]] | None:
    """`blocks` as sent: a list (JSON bodies) or a JSON string (form bodies); None if absent."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise BlocksFormatError("blocks is not valid JSON") from None
    if not isinstance(value, list) or not all(isinstance(block, dict) for block in value):
        raise BlocksFormatError("blocks must be an array of objects")
    return value


def block_errors(blocks: list[dict[str, Any]]) -> list[str]:
    """Every rule the blocks break, as Slack words it (empty when they are valid)."""
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        kind = block.get("type")
        if not isinstance(kind, str):
            errors.append(f"missing required field: type [json-pointer:{pointer}]")
            continue
        if kind not in KNOWN_TYPES:
            errors.append(f"unsupported type: {kind} [json-pointer:{pointer}/type]")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str) and len(block_id) > MAX_BLOCK_ID:
            errors.append(f"must be less than {MAX_BLOCK_ID + 1} characters [{pointer}/block_id]")
        check = _CHECKS.get(kind)
        if check is not None:
            errors.extend(check(block, pointer))
    return errors


def _text_of(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"])
    return None


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _section(block: dict[str, Any], pointer: str) -> list[str]:
    errors: list[str] = []
    text = _text_of(block.get("text"))
    fields = block.get("fields")
    if text is None and not fields:
        errors.append(f"must provide either text or fields [json-pointer:{pointer}]")
    if text is not None and len(text) > MAX_SECTION_TEXT:
        errors.append(_too_long(MAX_SECTION_TEXT, f"{pointer}/text/text"))
    if isinstance(fields, list):
        if len(fields) > MAX_SECTION_FIELDS:
            errors.append(f"no more than {MAX_SECTION_FIELDS} items allowed [{pointer}/fields]")
        for number, field in enumerate(fields):
            field_text = _text_of(field)
            if field_text is not None and len(field_text) > MAX_FIELD_TEXT:
                errors.append(_too_long(MAX_FIELD_TEXT, f"{pointer}/fields/{number}/text"))
    return errors


def _header(block: dict[str, Any], pointer: str) -> list[str]:
    text = block.get("text")
    if not isinstance(text, dict) or text.get("type") != "plain_text":
        return [f"must be a plain_text object [json-pointer:{pointer}/text]"]
    if len(_text_of(text) or "") > MAX_HEADER_TEXT:
        return [_too_long(MAX_HEADER_TEXT, f"{pointer}/text/text")]
    return []


def _elements(limit: int) -> Callable[[dict[str, Any], str], list[str]]:
    def check(block: dict[str, Any], pointer: str) -> list[str]:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            return [f"must provide elements [json-pointer:{pointer}/elements]"]
        if len(elements) > limit:
            return [f"no more than {limit} items allowed [json-pointer:{pointer}/elements]"]
        return []

    return check


def _image(block: dict[str, Any], pointer: str) -> list[str]:
    missing = [name for name in ("alt_text",) if not isinstance(block.get(name), str)]
    if not block.get("image_url") and not block.get("slack_file"):
        missing.append("image_url")
    return [f"missing required field: {name} [json-pointer:{pointer}]" for name in missing]


_CHECKS: dict[str, Callable[[dict[str, Any], str], list[str]]] = {
    "section": _section,
    "header": _header,
    "context": _elements(MAX_CONTEXT_ELEMENTS),
    "actions": _elements(MAX_ACTIONS_ELEMENTS),
    "image": _image,
}


# Slack answers `msg_blocks_too_long` (undocumented) when a message's block text adds up past
# about 13,000 characters, below every per-block limit (slackapi/bolt-js#2509: from ~13,170).
MAX_BLOCKS_TEXT = 13_000


def blocks_text_length(value: Any) -> int:
    """The characters of every `text` string inside the blocks, however deeply nested."""
    if isinstance(value, dict):
        own = len(value["text"]) if isinstance(value.get("text"), str) else 0
        return own + sum(blocks_text_length(v) for v in value.values() if not isinstance(v, str))
    if isinstance(value, list):
        return sum(blocks_text_length(v) for v in value)
    return 0


def message_content(
    params: dict[str, Any], *, require: bool
) -> tuple[str, list[dict[str, Any]] | None]:
    """The message's text and blocks, checked against Slack's limits."""
    try:
        blocks = parse_blocks(params.get("blocks"))
    except BlocksFormatError:
        raise SlackError("invalid_blocks_format") from None
    text = str(params.get("text") or "")
    if require and not text and not blocks:
        raise SlackError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        raise SlackError("msg_too_long")
    if blocks:
        errors = block_errors(blocks)
        if errors:
            raise SlackError("invalid_blocks", errors=errors)
        if blocks_text_length(blocks) > MAX_BLOCKS_TEXT:
            raise SlackError("msg_blocks_too_long")
    return text, blocks
