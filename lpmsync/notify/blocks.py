"""Block Kit building blocks with Slack's limits and escaping built in. Pure.

Every piece of tracker text goes through `escape` (or `link`) before it reaches a block: Slack
reads `<...>` as links and mentions, so an unescaped title such as `<!channel>` would ping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from lpmsync.domain.findings import JsonValue
from lpmsync.domain.notices import RenderedMessage
from lpmsync.domain.text import display_text

Block = dict[str, JsonValue]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_FIELD_TEXT = 2000
MAX_FALLBACK_TEXT = 3000  # Slack accepts more; a notification preview shows far less
ELLIPSIS = "…"
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,20}")


def escape(text: str) -> str:
    """Slack's three control characters as entities (and only those three, as Slack asks);
    invisible and direction-changing characters removed (`display_text`)."""
    shown = display_text(text)
    return shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def escaped(text: str, limit: int) -> str:
    """Escape, then clip without cutting an entity in half."""
    out = escape(text)
    if len(out) <= limit:
        return out
    cut = out[: max(limit - 1, 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def link(url: str, label: str, *, label_limit: int = 100) -> str:
    """`<url|label>` for an http(s) URL; the escaped label alone for anything else."""
    text = escaped(label, label_limit)
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        return text
    # `|` would end the URL early; the three control characters would end the link.
    safe_url = escape(url.replace("|", "%7C"))
    if len(safe_url) > 2000:
        return text
    return f"<{safe_url}|{text}>"


def mention(slack_id: str) -> str | None:
    """A mention for a Slack user (`U…`, `W…`) or user group (`S…`) id; None for anything else."""
    if _USER_ID.fullmatch(slack_id):
        return f"<@{slack_id}>"
    if _GROUP_ID.fullmatch(slack_id):
        return f"<!subteam^{slack_id}>"
    return None


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT), "emoji": True},
    }


def section(mrkdwn: str) -> Block:
    """A section of already-escaped mrkdwn, clipped to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION_TEXT)}}


def fields_section(cells: Sequence[str]) -> Block:
    """A two-column section of already-escaped mrkdwn cells (at most 10)."""
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": clip(cell, MAX_FIELD_TEXT)} for cell in cells[:10]],
    }


def context(elements: Sequence[str]) -> Block:
    """A context line of already-escaped mrkdwn elements (at most 10)."""
    return {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}
            for text in elements[:MAX_CONTEXT_ELEMENTS]
        ],
    }


def divider() -> Block:
    return {"type": "divider"}


def split_message(
    title: str,
    lead: Sequence[Block],
    body: Sequence[Sequence[Block]],
    fallback: str,
) -> list[RenderedMessage]:
    """Pack `body` chunks (kept whole) into messages of at most 50 blocks.

    Each message starts with a header (`title`, with "(part i/n)" when there are several) and
    the first one also carries `lead`. `fallback` is already-escaped notification text.
    """
    pages = _paginate(len(lead), body)
    total = len(pages)
    messages = []
    for index, page in enumerate(pages, start=1):
        suffix = f" (part {index}/{total})" if total > 1 else ""
        blocks: list[Block] = [header(clip(title, MAX_HEADER_TEXT - len(suffix)) + suffix)]
        if index == 1:
            blocks.extend(lead)
        for chunk in page:
            blocks.extend(chunk)
        text = clip(fallback, MAX_FALLBACK_TEXT - len(suffix)) + suffix
        messages.append(RenderedMessage(text=text, blocks=tuple(blocks)))
    return messages


def _paginate(lead_size: int, body: Sequence[Sequence[Block]]) -> list[list[Sequence[Block]]]:
    pages: list[list[Sequence[Block]]] = [[]]
    used = 1 + lead_size  # the header, and the lead on the first page
    for chunk in body:
        if used + len(chunk) > MAX_BLOCKS and pages[-1]:
            pages.append([])
            used = 1
        size = min(len(chunk), MAX_BLOCKS - used)  # a chunk too big for any page is cut
        pages[-1].append(chunk[:size])
        used += size
    return pages
