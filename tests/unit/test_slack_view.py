"""The terminal view of Slack messages used by the demo."""

from __future__ import annotations

from rich.console import Console

from lpmsync.cli.slack_view import mrkdwn_to_text, render_message


def test_links_show_labels_and_escapes_are_undone() -> None:
    text = mrkdwn_to_text("*PORT-12* <https://x/browse/PORT-12|PORT-12> &lt;!channel&gt; &amp; co")
    assert text.plain == "PORT-12 PORT-12 <!channel> & co"


def test_mentions_are_readable() -> None:
    assert mrkdwn_to_text("owner <@U0123> and <!subteam^S42>").plain == "owner @U0123 and @S42"


def test_message_renders_every_supported_block() -> None:
    message = {
        "text": "fallback",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "WIP breach"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Implementing*: 9 of 8"}},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "rule `wip-breach`"}]},
        ],
    }
    console = Console(record=True, width=120)
    console.print(render_message(message, title="#portfolio"))
    output = console.export_text()
    for fragment in ("WIP breach", "Implementing: 9 of 8", "rule `wip-breach`", "#portfolio"):
        assert fragment in output


def test_text_fallback_when_there_are_no_blocks() -> None:
    console = Console(record=True, width=120)
    console.print(render_message({"text": "plain &lt;text&gt;"}))
    assert "plain <text>" in console.export_text()


def test_italic_markers_are_dropped_but_snake_case_survives() -> None:
    assert mrkdwn_to_text("_Theme:_ cx · max_age_days: 60").plain == "Theme: cx · max_age_days: 60"


def test_bold_links_lose_their_markers() -> None:
    assert mrkdwn_to_text("*<https://x/PORT-86|PORT-86>* Merchant").plain == "PORT-86 Merchant"
