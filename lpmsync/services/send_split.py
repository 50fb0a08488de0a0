"""Splitting a message Slack refused as too long (`msg_blocks_too_long`) into two halves.

Slack does not document the limit (users of its SDKs report it from about 13,000 characters of
block text), so the renderer's budget can still be too much for it. The sender then halves the
message and tries again, as often as needed: size is never a reason to drop an alert.

An alert group is a header, a lead (first part only) and one block per alert, the last
`len(alert_fingerprints)` blocks; each half keeps the header and the fingerprints of the alerts
it shows, so each alert still learns which Slack message announced it. Other messages are halved
by blocks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from lpmsync.domain.alerts import OutgoingMessage

_HEADER_LIMIT = 150
_CONTINUED = " (continued)"


def split_in_two(message: OutgoingMessage) -> tuple[OutgoingMessage, OutgoingMessage] | None:
    """The message as two smaller ones (the first keeps its key), or None when it has a single
    content block left and cannot be split."""
    blocks = list(message.blocks)
    prints = list(message.alert_fingerprints)
    header = blocks[:1] if blocks and blocks[0].get("type") == "header" else []
    per_alert = bool(prints) and len(prints) <= len(blocks) - len(header)
    body = blocks[len(blocks) - len(prints) :] if per_alert else blocks[len(header) :]
    if len(body) < 2:
        return None
    half = len(body) // 2
    lead = blocks[: len(blocks) - len(body)]
    first_prints, second_prints = (prints[:half], prints[half:]) if per_alert else (prints, [])
    first = replace(
        message, blocks=tuple(lead + body[:half]), alert_fingerprints=tuple(first_prints)
    )
    second_blocks = [_continued(block) for block in header] + body[half:]
    second = replace(
        message,
        blocks=tuple(second_blocks),
        alert_fingerprints=tuple(second_prints),
        dedup_key=_part_key(message.dedup_key, second_blocks),
    )
    return first, second


def _continued(header: Mapping[str, Any]) -> dict[str, Any]:
    text = dict(header.get("text") or {})
    title = str(text.get("text") or "")
    if len(title) + len(_CONTINUED) <= _HEADER_LIMIT:
        text["text"] = title + _CONTINUED
    return {**header, "text": text}


def _part_key(key: str, blocks: Sequence[Mapping[str, Any]]) -> str:
    """Deterministic, so a retried split enqueues nothing twice; short enough for the column."""
    digest = hashlib.sha256(json.dumps(list(blocks), sort_keys=True).encode()).hexdigest()[:16]
    return f"{key[:200]}/part:{digest}"
