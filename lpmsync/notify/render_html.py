"""A self-contained HTML preview of Slack messages (Block Kit rendered readably, charts embedded
as base64 PNG). Pure: stdlib only. Used by `lpmsync digest --dry-run`.

Block text is Slack mrkdwn that was escaped for Slack (`&amp;`, `&lt;`, `&gt;`), which is also
valid HTML text; the only raw `<...>` left are the links and mentions lpmsync wrote itself.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from lpmsync.domain.findings import JsonValue

_TOKEN = re.compile(r"<([^<>]*)>")
_HELD = re.compile(r"\x00(\d+)\x00")
_STYLES = [
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])"), "s"),
    (re.compile(r"`([^`\n]+)`"), "code"),
]
_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f4f5;
       color: #1d1c1d; max-width: 860px; margin: 2rem auto; line-height: 1.45; }
.message { background: #fff; border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0;
           box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.fallback { color: #616061; font-size: .85rem; border-bottom: 1px solid #eee;
            padding-bottom: .5rem; }
.context { color: #616061; font-size: .85rem; margin: .4rem 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem 1.5rem; margin: .6rem 0; }
.mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
code { background: #f6f6f6; border: 1px solid #ddd; border-radius: 3px; padding: 0 3px; }
img.chart { max-width: 100%; border: 1px solid #ddd; border-radius: 6px; margin: .5rem 0; }
.dot { display: inline-block; width: .7em; height: .7em; border-radius: 50%;
       vertical-align: baseline; margin-right: .2em; }
.red { background: #c62828; } .orange { background: #ef6c00; } .green { background: #2e7d32; }
.blue { background: #1565c0; } .white { background: #fff; border: 1px solid #888; }
.black { background: #424242; } .yellow { background: #f9a825; }
"""
# Status emoji become CSS dots (the words beside them carry the meaning): a machine without an
# emoji font would otherwise show empty boxes. Decorative emoji are dropped.
_EMOJI = {
    "🔴": "red",
    "🟠": "orange",
    "🟢": "green",
    "🔵": "blue",
    "⚪": "white",
    "⚫": "black",
    "🟡": "yellow",
    "✅": "green",
}
_DECORATIVE = ("📊 ", "📈 ", "📋 ", "🗓️ ", "⚠️ ")


def preview_html(
    title: str,
    messages: Sequence[tuple[str, Sequence[Mapping[str, JsonValue]]]],
    charts: Mapping[str, bytes],
) -> str:
    """One HTML page: each (fallback text, blocks) message as a card, then the charts."""
    cards = [_card(text, blocks) for text, blocks in messages]
    images = [
        f'<figure><img class="chart" alt="{html.escape(name)}" '
        f'src="data:image/png;base64,{base64.b64encode(content).decode()}">'
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
        for name, content in charts.items()
    ]
    thread = f'<div class="message"><h3>In the thread</h3>{"".join(images)}</div>' if images else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{''.join(cards)}{thread}</body></html>\n"
    )


def _card(text: str, blocks: Sequence[Mapping[str, Any]]) -> str:
    body = "".join(_block(block) for block in blocks)
    return f'<div class="message"><div class="fallback">{mrkdwn_html(text)}</div>{body}</div>'


def _block(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f"<h2>{_dots(html.escape(block['text']['text']))}</h2>"
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        parts = [_text(element) for element in block.get("elements", [])]
        return f'<div class="context">{" · ".join(parts)}</div>'
    if kind == "section":
        out = f"<p>{_text(block['text'])}</p>" if "text" in block else ""
        if "fields" in block:
            cells = "".join(f"<div>{_text(cell)}</div>" for cell in block["fields"])
            out += f'<div class="fields">{cells}</div>'
        return out
    return f"<pre>{html.escape(str(dict(block)))}</pre>"


def _text(obj: Mapping[str, Any]) -> str:
    text = str(obj.get("text", ""))
    return mrkdwn_html(text) if obj.get("type") == "mrkdwn" else html.escape(text)


def mrkdwn_html(text: str) -> str:
    """Slack-escaped mrkdwn → HTML: links, mentions, bold/italic/strike/code, line breaks."""
    tokens: list[str] = []

    def hold(match: re.Match[str]) -> str:
        tokens.append(_token(match.group(1)))
        return f"\x00{len(tokens) - 1}\x00"

    # Links and mentions are set aside first so that styles may wrap them (`*<url|KEY>*`).
    styled = _styled(_TOKEN.sub(hold, text.replace("\x00", "")))
    return _HELD.sub(lambda match: tokens[int(match.group(1))], styled)


def _styled(text: str) -> str:
    for pattern, tag in _STYLES:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    return _dots(text).replace("\n", "<br>")


def _dots(text: str) -> str:
    for emoji in _DECORATIVE:
        text = text.replace(emoji, "")
    for emoji, colour in _EMOJI.items():
        text = text.replace(emoji, f'<span class="dot {colour}" aria-hidden="true"></span>')
    return text


def _token(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith(("https://", "http://")):
        href = target.replace('"', "&quot;")
        return f'<a href="{href}">{_styled(label or target)}</a>'
    if target.startswith("@"):
        return f'<span class="mention">{html.escape(target)}</span>'
    if target.startswith("!subteam^"):
        return f'<span class="mention">@{html.escape(target.removeprefix("!subteam^"))}</span>'
    return html.escape(f"<{inner}>")
