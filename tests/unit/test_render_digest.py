"""The digest renderer: valid Block Kit, escaped tracker text, parts when a digest is huge,
and the HTML preview."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from lpmsync.analysis.digest import AlertCounts, build_digest, digest_metrics
from lpmsync.domain.digest import Digest
from lpmsync.domain.notices import RenderedMessage
from lpmsync.notify.render_digest import render_digest
from lpmsync.notify.render_html import mrkdwn_html, preview_html
from tests.unit.digest_fixtures import NOW, POLICY, sample_analysis
from tests.unit.notify_fixtures import (
    HOSTILE_TITLES,
    all_text,
    assert_valid_message,
    header_text,
)

OUR_LINK = re.compile(r"<https://jira\.example/browse/[A-Z]-\d+\|[^<>]*>")


def digest(**sizes: Any) -> Digest:
    top_n = sizes.pop("top_n", 5)
    analysis = sample_analysis(**sizes)
    return build_digest(
        analysis, POLICY, now=NOW, alerts=AlertCounts(opened=4, resolved=1, open=9), top_n=top_n
    )


def test_a_small_digest_is_one_valid_message_with_headlines_and_lists() -> None:
    [message] = render_digest(digest())
    assert_valid_message(message)
    text = all_text(message)
    assert header_text(message) == "📊 Weekly portfolio digest: Retail <Portfolio> & Co"
    assert message.text.startswith("Weekly portfolio digest: Retail &lt;Portfolio&gt; &amp; Co")
    assert "*Alignment rate*\n80%" in text
    assert "🔴 Over limit · Implementing · epic: *7* (limit 5, min 2)" in text
    assert "🟠 Off target · Customer &lt;Experience&gt;: *55%* (target 40% ± 10%)" in text
    assert "⚪ No theme · Unaligned (no theme): *" in text
    assert "<https://jira.example/browse/A-0|Epic A-0 · Epic aging 0> — *100 days* in Impl" in text
    assert "*Serving no active theme* (3)" in text
    assert "ado 1000: status “Weird &lt;status&gt; 0”" in text
    assert "no earlier snapshot yet" in text
    assert "Charts: allocation, WIP and aging are in the thread" in text


def test_week_over_week_changes_are_shown_with_arrows() -> None:
    previous = build_digest(
        sample_analysis(unaligned=5), POLICY, now=NOW - timedelta(days=7), alerts=AlertCounts()
    )
    current = build_digest(
        sample_analysis(),
        POLICY,
        now=NOW,
        alerts=AlertCounts(opened=4),
        previous=(NOW - timedelta(days=7), digest_metrics(previous)),
    )
    text = all_text(render_digest(current, charts=False)[0])
    assert "*Unaligned items*\n3  ▼2" in text
    assert "*Alerts opened this week*\n4  ▲4" in text
    assert "*Alignment rate*\n80%  ±0 pts" in text
    assert "changes since 2026-11-09" in text
    assert "Charts:" not in text


def test_hostile_titles_in_digest_lists_stay_inert() -> None:
    for title in HOSTILE_TITLES:
        for message in render_digest(digest(title=title, top_n=10)):
            assert_valid_message(message)
            # The header is plain_text (never parsed for mentions) and holds config text only.
            blocks: Any = message.blocks
            assert blocks[0]["text"]["type"] == "plain_text"
            parsed = RenderedMessage(message.text, message.blocks[1:])
            leftover = OUR_LINK.sub("", all_text(parsed))
            assert "<" not in leftover and ">" not in leftover


def test_aging_lines_name_the_state_limit_and_the_week_is_the_one_covered() -> None:
    limited = replace(digest(), aging_limits={"Implementing": 60})
    text = all_text(render_digest(limited)[0])
    assert "*100 days* in Implementing (limit 60)" in text
    assert f"Week {limited.iso_week} · " in text


def test_a_500_item_digest_splits_into_parts_within_block_limits() -> None:
    huge = digest(unaligned=500, unmapped=500, aging=50, top_n=50, title="t" * 300)
    parts = render_digest(huge)
    assert len(parts) >= 2
    for index, part in enumerate(parts, start=1):
        assert_valid_message(part)
        assert len(part.blocks) <= 50
        assert header_text(part).endswith(f"(part {index}/{len(parts)})")
    text = "\n".join(all_text(part) for part in parts)
    assert "*Serving no active theme* (500, showing 50)" in text
    assert text.count("browse/U-") == 50
    assert "ado 1499: status" in text
    assert "more (`lpmsync report` lists all)" not in text


def test_mrkdwn_becomes_safe_readable_html() -> None:
    rendered = mrkdwn_html(
        '*<https://x.example/a?b=1&amp;c="2"|K-1>* &lt;!channel&gt; _it_ ~gone~ `code`\n<@U1>'
    )
    assert rendered == (
        '<b><a href="https://x.example/a?b=1&amp;c=&quot;2&quot;">K-1</a></b> '
        "&lt;!channel&gt; <i>it</i> <s>gone</s> <code>code</code><br>"
        '<span class="mention">@U1</span>'
    )
    assert mrkdwn_html("<javascript:alert(1)|x>") == "&lt;javascript:alert(1)|x&gt;"


def test_html_preview_is_self_contained() -> None:
    messages = render_digest(digest(title="<script>alert(1)</script>"))
    page = preview_html(
        "Digest <preview>", [(m.text, m.blocks) for m in messages], {"wip.png": b"\x89PNG"}
    )
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'src="data:image/png;base64,iVBORw=="' in page
    assert "<title>Digest &lt;preview&gt;</title>" in page
    assert "http" not in page.replace("https://jira.example", "")
