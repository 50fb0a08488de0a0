"""The digest's stale-data banner: before any number, each stale source with its last success."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from lpmsync.domain.digest import Digest, StaleSource
from lpmsync.notify.render_digest import render_digest
from tests.unit.digest_fixtures import NOW

BASE = Digest(portfolio="P", taken_at=NOW, period_start=NOW - timedelta(days=7), headlines=())


def test_no_banner_when_every_source_is_fresh() -> None:
    [message] = render_digest(BASE, charts=False)
    assert "out of date" not in str(message.blocks) and "out of date" not in message.text


def test_the_banner_comes_first_and_names_each_stale_source() -> None:
    stale = (
        StaleSource("jira <prod>", NOW - timedelta(hours=30)),
        StaleSource("ado", None),
        *(StaleSource(f"s{i}", NOW - timedelta(days=3)) for i in range(10)),
    )
    [message] = render_digest(dataclasses.replace(BASE, stale_sources=stale), charts=False)
    banner = str(message.blocks[1]["text"]["text"])  # type: ignore[index, call-overload]
    assert banner.startswith("⚠️ *Data may be out of date.* 12 sources could not be synced")
    assert (
        "• *jira &lt;prod&gt;*: last synced successfully 2026-11-15 03:00 UTC (30 h ago)" in banner
    )
    assert "• *ado*: never synced successfully" in banner
    assert "• *s0*: last synced successfully 2026-11-13 09:00 UTC (3 days ago)" in banner
    assert "• and 2 more" in banner and "lpmsync digest --force" in banner
    assert message.text.startswith("⚠️ data may be out of date")
