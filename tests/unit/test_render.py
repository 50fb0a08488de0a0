"""The Slack renderer: valid Block Kit within limits, tracker text escaped, top items when long."""

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
    block_texts,
    finding,
    scope_finding,
)

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
RENDERER = SlackRenderer(theme_names={"cx": "Customer Experience"})
OUR_LINK = re.compile(r"<https://jira\.example/browse/[A-Za-z0-9-]+\|Epic [A-Za-z0-9-]+ · [^<>]*>")


def entry(key: str = "P-1", **kwargs: Any) -> AlertEntry:
    return AlertEntry(finding(key, **kwargs), T0)


def test_one_alert_is_one_valid_message_in_plain_words_with_a_link() -> None:
    alert = AlertEntry(
        finding("P-1", theme="cx", evidence={"theme_reason": "no theme matched", "days": 12}), T0
    )
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [alert], [])
    assert_valid_message(message)
    text = all_text(message)
    assert "<https://jira.example/browse/P-1|Epic P-1 · An epic>" in text
    assert "*Why it matters:*" in text and "*Next step:*" in text
    assert "days: 12" not in text and "theme_reason" not in text
    assert message.fingerprints == ("unaligned:jira:P-1",)
    assert message.text.startswith("Warning: 🟠 Work serving no active theme · 1 alert")


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
    assert (
        "<https://x.example/?q=&lt;@U1&gt;%7C&lt;!here&gt;|Epic &lt;!channel&gt; · An epic>" in text
    )


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


def test_long_groups_show_the_top_items_and_say_how_many_more() -> None:
    entries = [entry(f"P-{i}", title="t" * 2500) for i in range(130)]
    [message] = RENDERER.alert_group(RuleId.AGING, entries, ["U123ABC"])
    assert_valid_message(message)
    shown = all_text(message).count("https://jira.example/browse/")
    assert 1 <= shown <= 10
    assert f"…and {130 - shown} more: run `lpmsync report --rule aging`" in all_text(message)
    assert message.fingerprints == tuple(sorted(e.finding.fingerprint for e in entries))
    assert sum(len(t) for t in block_texts(message)) < 12_000


def test_more_links_to_the_board_when_it_has_an_address() -> None:
    board = SlackRenderer(web_base_url="https://lpm.example/", max_items=2)
    [message] = board.alert_group(RuleId.STALE, [entry(f"P-{i}") for i in range(5)], [])
    text = all_text(message)
    assert "…and 3 more: <https://lpm.example/findings?rule=stale|" in text


def test_most_severe_then_biggest_first() -> None:
    def aged(key: str, days: int) -> AlertEntry:
        return AlertEntry(
            finding(key, rule=RuleId.AGING, evidence={"days_in_state": days, "max_age_days": 30}),
            T0,
        )

    [message] = RENDERER.alert_group(RuleId.AGING, [aged("P-1", 40), aged("P-2", 90)], [])
    text = all_text(message)
    assert text.index("P-2") < text.index("P-1")
    assert "90 days in Implementing; the limit is 30 days." in text


def test_owners_are_mentioned_when_mapped_and_named_in_plain_text_when_not() -> None:
    people = SlackRenderer(people={"alice@example.com": "U0ALICE"})
    known = entry("P-1", evidence={"owner": "Alice@Example.com"})
    stranger = entry("P-2", evidence={"owner": "bob <@U0BOB>"})
    [message] = people.alert_group(RuleId.STALE, [known, stranger], [])
    text = all_text(message)
    assert "owner <@U0ALICE>" in text
    assert "owner bob &lt;@U0BOB&gt;" in text and "<@U0BOB>" not in text


def test_baseline_sums_up_counts_top_five_and_where_to_see_the_rest() -> None:
    entries = [entry(f"P-{i}") for i in range(30)] + [AlertEntry(scope_finding(), T0)]
    message = RENDERER.baseline(entries)
    assert_valid_message(message)
    text = all_text(message)
    assert "31 alerts open" in text
    assert "*Critical* · WIP limit exceeded: 1" in text
    assert "*Warning* · Work serving no active theme: 30" in text
    top = text.split("*The five most pressing*")[1]
    assert top.index("Implementing: 7 epics, limit 5") < top.index("P-0")
    assert "run `lpmsync report` for the full list" in text


def test_ten_thousand_character_title_is_clipped_within_section_limit() -> None:
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [entry(title="<" * 10_000)], [])
    assert_valid_message(message)
    blocks: Any = message.blocks
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if "text" in b)


def test_findings_without_subject_name_their_scope() -> None:
    [message] = RENDERER.alert_group(RuleId.WIP_BREACH, [AlertEntry(scope_finding(), T0)], [])
    assert_valid_message(message)
    text = all_text(message)
    assert "*Implementing: 7 epics, limit 5*" in text
    assert "7 epics in Implementing against a limit of 5: 2 over." in text
    assert message.text.startswith("Critical: 🔴 WIP limit exceeded · 1 alert")


def test_repeats_say_since_when_they_fire() -> None:
    again = AlertEntry(finding("P-1"), T0 - timedelta(days=2), repeat=True)
    [message] = RENDERER.alert_group(RuleId.UNALIGNED, [again, entry("P-2")], [])
    text = all_text(message)
    assert "Still open since 2026-11-14 09:00 UTC" in text
    assert "1 new, 1 still open" in text


def test_resolved_original_strikes_resolved_items_through() -> None:
    gone = AlertEntry(finding("P-1"), T0, resolved_at=T0 + timedelta(hours=3))
    message = RENDERER.resolved_original(RuleId.UNALIGNED, [gone, entry("P-2")])
    assert_valid_message(message)
    text = all_text(message)
    assert "~*<https://jira.example/browse/P-1|Epic P-1 · An epic>*~" in text
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
