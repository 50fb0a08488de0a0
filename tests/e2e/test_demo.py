"""`lpmsync demo` (what `make demo` runs) as a newcomer runs it: one process, exit 0, files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import run_cli

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_demo_runs_the_whole_product_against_the_sandbox(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = run_cli("demo", "--out", str(out), cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr

    steps = ("1. sync", "2. check", "3. a day later", "4. digest", "5. what Slack shows")
    for step in (*steps, "6. act from Slack", "next"):
        assert step in result.stdout
    assert "failed" not in result.stdout.split("2. check")[1].split("5. what Slack")[0].replace(
        "0 failed", ""
    )
    messages = json.loads((out / "slack-messages.json").read_text())
    # A new store's first check sums its alerts up in one baseline instead of a flood; a day
    # later the alerts still open repeat, one message per rule and route, with buttons.
    baseline = [m for m in messages if "Portfolio baseline" in m["text"]]
    assert len(baseline) == 1 and baseline[0]["channel"] == "C0PORTFOLIO"
    repeats = [m for m in messages if any(b.get("type") == "actions" for b in m["blocks"])]
    assert 1 < len(repeats) <= 12
    digest = [m for m in messages if "Weekly portfolio digest" in m["text"]]
    assert len(digest) == 1
    assert len(messages) == 1 + len(repeats) + len(digest)
    # The Slack app acted on two of them, as Slack delivers the clicks: both are audited.
    assert "acknowledge" in result.stdout.split("6. act from Slack")[1]
    assert "snooze" in result.stdout.split("6. act from Slack")[1]
    for name in ("digest.html", "digest.json", "allocation.png", "wip.png", "aging.png"):
        assert (out / "digest" / name).stat().st_size > 0
    assert (out / "data" / "lpmsync.db").exists()
    # Tracker text reached Slack escaped: no raw control sequence from a title can ping anyone.
    assert not any("<!channel>" in m["text"] for m in messages)
