"""Show Slack Block Kit messages in a terminal roughly as a person sees them in Slack."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<(@[A-Z0-9]+|!subteam\^[A-Z0-9]+|!here|!channel|#[A-Z0-9]+)>")


def mrkdwn_to_text(mrkdwn: str) -> Text:
    """Slack mrkdwn → Rich text: links show their label, mentions stand out, escapes undone."""
    plain = re.sub(r"\*(<[^<>]+>)\*", r"\1", mrkdwn)  # a bold link: the link style says enough
    plain = _LINK.sub(lambda m: f"\x00{m.group(2)}\x01", plain)
    plain = _MENTION.sub(lambda m: f"\x02{m.group(1).replace('!subteam^', '@')}\x03", plain)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = Text()
    style: str | None = None
    for chunk in re.split(r"([\x00-\x03])", plain):
        if chunk in ("\x00", "\x02"):
            style = "underline cyan" if chunk == "\x00" else "bold magenta"
        elif chunk in ("\x01", "\x03"):
            style = None
        elif chunk:
            text.append(_strip_emphasis(chunk), style=style or _emphasis_style(chunk))
    return text


def _emphasis_style(chunk: str) -> str | None:
    return "bold" if chunk.startswith("*") and chunk.endswith("*") and len(chunk) > 2 else None


def _strip_emphasis(chunk: str) -> str:
    """Slack's *bold* and _italic_ markers, which a terminal line does not need."""
    chunk = re.sub(r"\*([^*\n]+)\*", r"\1", chunk)
    return re.sub(r"(?<![\w])_([^_\n]+)_(?![\w])", r"\1", chunk)


def render_block(block: Mapping[str, Any]) -> RenderableType | None:
    kind = block.get("type")
    if kind == "header":
        return Text(str(block["text"]["text"]), style="bold")
    if kind == "divider":
        return Rule(style="dim")
    if kind in ("section", "actions"):
        return _section(block)
    if kind == "context":
        line = Text(style="dim")
        for element in block.get("elements", []):
            if element.get("type") in ("mrkdwn", "plain_text"):
                line.append_text(mrkdwn_to_text(str(element["text"])))
                line.append("  ")
        return line
    if kind == "image":
        return Text(f"[image: {block.get('alt_text', '')}]", style="dim")
    return None


def _section(block: Mapping[str, Any]) -> RenderableType:
    """A section (text, fields, a button or menu beside it) or a row of buttons and menus."""
    if block.get("type") == "actions":
        return Text("  ".join(_control(e) for e in block.get("elements", [])), style="cyan")
    parts: list[RenderableType] = []
    if "text" in block:
        parts.append(mrkdwn_to_text(str(block["text"]["text"])))
    for item in block.get("fields", []):
        parts.append(mrkdwn_to_text(str(item["text"])))
    accessory = block.get("accessory")
    if isinstance(accessory, Mapping) and accessory.get("type") in ("overflow", "button"):
        parts.append(Text(f"  {_control(accessory)}", style="cyan"))
    return Group(*parts)


def _control(element: Mapping[str, Any]) -> str:
    """A button or menu as a person sees it: its label, a ▾ for menus, ↗ for links."""
    kind = element.get("type")
    if kind == "overflow":
        return "[⋯ " + " · ".join(str(o["text"]["text"]) for o in element.get("options", [])) + "]"
    label = element.get("text") or element.get("placeholder") or {}
    arrow = " ▾" if kind == "static_select" else " ↗" if element.get("url") else ""
    return f"[{label.get('text', kind)}{arrow}]"


def render_message(message: Mapping[str, Any], *, title: str = "") -> Panel:
    blocks: Sequence[Mapping[str, Any]] = message.get("blocks") or []
    rendered = [r for r in (render_block(b) for b in blocks) if r is not None]
    body: RenderableType = (
        Group(*rendered) if rendered else mrkdwn_to_text(str(message.get("text", "")))
    )
    return Panel(
        body, title=title, title_align="left", border_style="blue", expand=False, width=100
    )
