"""The Slack renderer: valid Block Kit within limits, tracker text escaped, parts when long."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lpmsync.domain.findings import RuleId
from lpmsync.domain.notices import AlertEntry
from lpmsync.notify.blocks import escape, escaped, link, mention
from lpmsync.notify.render import SlackRenderer
from tests.unit.notify_fixtures import (
    HOSTILE_TITLES,
    all_text,
    assert_valid_message,
    finding,
    scope_finding,
)

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
RENDERER = SlackRenderer(theme_names={"cx": "Customer Experience"})
OUR_LINK = re.compile(r"<https://jira\.example/browse/[A-Za-z0-9-]+\|[A-Za-z0-9-]+>")


def entry(key: str = "P-1", **kwargs: Any) -> AlertEntry:
    return AlertEntry(finding(key, **kwargs), T0)


def test_one_alert_is_one_valid_message_with_link_theme_and_evidence() -> None:
    alert = AlertEntry(
        finding("P-1", theme="cx", evidence={"theme_reason": "label `cx`", "days": 12}), T0
    )
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [alert], [])
    assert_valid_message(message)
    text = all_text(message)
    assert "<https://jira.example/browse/P-1|P-1>" in text
    assert "Customer Experience — label `cx`" in text
    assert "days: 12" in text
    assert message.fingerprints == ("unaligned:jira:P-1",)
    assert message.text.startswith("🟠 Work serving no active theme: 1 alert")


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_can_never_ping_or_link(title: str) -> None:
    alert = entry(evidence={"title_copy": title, "note": title})
    for message in [
        *RENDERER.alert_group(RuleId.UNALIGNED, [entry(title=title), alert], []),
        RENDERER.resolved_original(RuleId.UNALIGNED, [entry(title=title)]),
        RENDERER.resolution_reply([entry(title=title)]),
    ]:
        assert_valid_message(message)
        leftover = OUR_LINK.sub("", all_text(message))
        assert "<" not in leftover and ">" not in leftover


def test_escaping_is_exactly_the_three_characters() -> None:
    assert escape("a & b < c > d *e* _f_") == "a &amp; b &lt; c &gt; d *e* _f_"
    assert escape("&lt;") == "&amp;lt;"
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [entry(title="*bold* ~x~")], [])
    assert "*bold* ~x~" in all_text(message)


def test_clipping_never_cuts_an_entity_in_half() -> None:
    for size in range(1, 12):
        out = escaped("<<<<<<<<", size)
        assert len(out) <= size
        assert re.fullmatch(r"(&lt;)*…?", out), out


def test_links_escape_url_and_label_and_refuse_other_schemes() -> None:
    assert (
        link("https://x.example/a|b>c&d", "K<1>")
        == "<https://x.example/a%7Cb&gt;c&amp;d|K&lt;1&gt;>"
    )
    assert link("javascript:alert(1)", "K-1") == "K-1"
    assert link("", "<!channel>") == "&lt;!channel&gt;"


def test_hostile_key_and_url_stay_inert() -> None:
    hostile = finding("<!channel>", url="https://x.example/?q=<@U1>|<!here>")
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [AlertEntry(hostile, T0)], [])
    assert_valid_message(message)
    text = all_text(message)
    assert "<!channel>" not in text and "<@U1>" not in text and "<!here>" not in text
    assert "<https://x.example/?q=&lt;@U1&gt;%7C&lt;!here&gt;|&lt;!channel&gt;>" in text


@pytest.mark.parametrize(
    ("slack_id", "expected"),
    [
        ("U123ABC", "<@U123ABC>"),
        ("W0ENTERPRISE", "<@W0ENTERPRISE>"),
        ("S1GROUP", "<!subteam^S1GROUP>"),
        ("<!channel>", None),
        ("u123", None),
        ("C0CHANNEL", None),
        ("U1>", None),
    ],
)
def test_mentions_only_for_well_formed_user_and_group_ids(
    slack_id: str, expected: str | None
) -> None:
    assert mention(slack_id) == expected


def test_owners_are_mentioned_once_and_invalid_ids_dropped() -> None:
    mentions = ["U123ABC", "S1GROUP", "U123ABC", "<!channel>"]
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [entry()], mentions)
    text = all_text(message)
    assert text.count("<@U123ABC>") == 1 and "<!subteam^S1GROUP>" in text
    assert "<!channel>" not in text


def test_long_groups_split_into_numbered_parts_covering_every_alert_once() -> None:
    entries = [entry(f"P-{i}", title="t" * 2500) for i in range(130)]
    parts = RENDERER.alert_group(RuleId.AGING, entries, ["U123ABC"])
    assert len(parts) == 3
    for index, part in enumerate(parts, start=1):
        assert_valid_message(part)
        blocks: Any = part.blocks
        assert blocks[0]["text"]["text"].endswith(f"(part {index}/3)")
        assert part.text.endswith(f"(part {index}/3)")
    shown = [fp for part in parts for fp in part.fingerprints]
    assert shown == [e.finding.fingerprint for e in entries]
    assert "<@U123ABC>" in all_text(parts[0]) and "<@U123ABC>" not in all_text(parts[1])


def test_ten_thousand_character_title_is_clipped_within_section_limit() -> None:
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [entry(title="<" * 10_000)], [])
    assert_valid_message(message)
    blocks: Any = message.blocks
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if "text" in b)


def test_findings_without_subject_name_their_scope() -> None:
    [message] = RENDERER.alert_group(RuleId.WIP_BREACH, [AlertEntry(scope_finding(), T0)], [])
    assert_valid_message(message)
    text = all_text(message)
    assert "*Implementing · epic*" in text
    assert "7 epics in Implementing; the limit is 5" in text
    assert message.text.startswith("🔴 WIP limit exceeded: 1 alert")


def test_repeats_say_since_when_they_fire() -> None:
    again = AlertEntry(finding("P-1"), T0 - timedelta(days=2), repeat=True)
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [again, entry("P-2")], [])
    text = all_text(message)
    assert "Still firing since 2026-11-14 09:00 UTC" in text
    assert "1 new, 1 still firing" in text


def test_resolved_original_strikes_resolved_items_through() -> None:
    gone = AlertEntry(finding("P-1"), T0, resolved_at=T0 + timedelta(hours=3))
    message = RENDERER.resolved_original(RuleId.UNALIGNED, [gone, entry("P-2")])
    assert_valid_message(message)
    text = all_text(message)
    assert "✅ ~*<https://jira.example/browse/P-1|P-1>* An epic~" in text
    assert "Resolved 2026-11-16 12:00 UTC" in text
    assert "1 of 2 resolved" in message.text
    every = RENDERER.resolved_original(RuleId.UNALIGNED, [gone])
    assert every.text.startswith("✅")


def test_resolution_reply_lists_what_resolved() -> None:
    many = [AlertEntry(finding(f"P-{i}"), T0, resolved_at=T0) for i in range(45)]
    reply = RENDERER.resolution_reply(many)
    assert_valid_message(reply)
    assert reply.text.startswith("Resolved: P-0, P-1")
    assert "…and 5 more" in all_text(reply)
    assert len(reply.fingerprints) == 45
