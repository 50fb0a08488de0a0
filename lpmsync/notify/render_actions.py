"""The interactive parts of an alert message: buttons, menus and the "acknowledged by" line.

Pure. `render.py` calls `with_alert_actions` on every alert message it builds; the Slack app
(`lpmsync.slackapp`) reads the `action_id`s and values defined here. Group actions carry no
fingerprints (a message can show dozens): the app finds the alerts by the message's channel and
ts. Per-item actions carry the one fingerprint in their value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from lpmsync.domain.findings import JsonValue
from lpmsync.domain.notices import AlertEntry, RenderedMessage
from lpmsync.notify.blocks import MAX_BLOCKS, Block, context

ACK_ACTION = "lpm_ack"
SNOOZE_ACTION = "lpm_snooze"
OPEN_ACTION = "lpm_open"
ITEM_ACTION = "lpm_item"
ACTIONS_BLOCK = "lpm_actions"
STATUS_BLOCK = "lpm_status"
SNOOZE_CHOICES = (("1d", "Snooze 1 day"), ("1w", "Snooze 1 week"), ("date", "Snooze until…"))
_MAX_OVERFLOW_URL = 3000


def with_alert_actions(
    blocks: Sequence[Block],
    first_item: int,
    shown: Sequence[AlertEntry],
    group: Sequence[AlertEntry],
) -> list[Block]:
    """`blocks` with an overflow menu on each shown item's section (one section each, in order,
    from index `first_item`) and the group's buttons at the end (when there is room for one more
    block). The buttons act on the whole `group`, shown or summed up as "and N more"."""
    out = [dict(block) for block in blocks]
    for offset, entry in enumerate(shown):
        block = out[first_item + offset]
        if block.get("type") == "section":
            out[first_item + offset] = {**block, "accessory": _overflow(entry)}
    if len(out) < MAX_BLOCKS:
        out.append(group_actions(group))
    return out


def group_actions(entries: Sequence[AlertEntry]) -> Block:
    """Acknowledge, the Snooze menu and, when every item is one tracker item, its link."""
    elements: list[JsonValue] = [
        _button("Acknowledge", ACK_ACTION, "group", style="primary"),
        {
            "type": "static_select",
            "action_id": SNOOZE_ACTION,
            "placeholder": {"type": "plain_text", "text": "Snooze"},
            "options": [_option(label, f"group:{choice}") for choice, label in SNOOZE_CHOICES],
        },
    ]
    urls = {e.finding.subject.url for e in entries if e.finding.subject is not None}
    if len(urls) == 1 and len(entries) == 1:
        elements.append({**_button("Open in tracker", OPEN_ACTION, "open"), "url": urls.pop()})
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": elements}


def with_status(message: RenderedMessage, lines: Sequence[str]) -> RenderedMessage:
    """`message` with a context block of `lines` (already-escaped mrkdwn, e.g. "acknowledged by
    <@U1> at …") just above its buttons; a message without buttons gets it at the end."""
    blocks = [b for b in message.blocks if b.get("block_id") != STATUS_BLOCK]
    if not lines:
        return replace(message, blocks=tuple(blocks))
    status: Block = {**context(list(lines)), "block_id": STATUS_BLOCK}
    at = next((i for i, b in enumerate(blocks) if b.get("block_id") == ACTIONS_BLOCK), None)
    if at is None:
        if len(blocks) >= MAX_BLOCKS:
            blocks[-1] = status  # Slack's 50-block limit: the status matters more than the last
        else:
            blocks.append(status)
    else:
        blocks.insert(at, status)
    return replace(message, blocks=tuple(blocks))


def _overflow(entry: AlertEntry) -> Block:
    fingerprint = entry.finding.fingerprint
    options: list[JsonValue] = [_option("Acknowledge", f"ack:{fingerprint}")]
    options += [_option(label, f"{choice}:{fingerprint}") for choice, label in SNOOZE_CHOICES]
    subject = entry.finding.subject
    url = subject.url if subject is not None else ""
    if url.startswith(("https://", "http://")) and len(url) <= _MAX_OVERFLOW_URL:
        options.append({**_option("Open in tracker", f"open:{fingerprint}"), "url": url})
    return {"type": "overflow", "action_id": ITEM_ACTION, "options": options}


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _option(text: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": text}, "value": value}
