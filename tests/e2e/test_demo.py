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

    for step in ("1. sync", "2. check", "3. digest", "4. what Slack shows", "next"):
        assert step in result.stdout
    assert "failed" not in result.stdout.split("2. check")[1].split("4. what Slack")[0].replace(
        "0 failed", ""
    )
    messages = json.loads((out / "slack-messages.json").read_text())
    channels = {m["channel"] for m in messages}
    assert channels == {"C0PORTFOLIO"}
    # A new store's first check sums its alerts up in one baseline instead of a flood.
    baseline = [m for m in messages if "Portfolio baseline" in m["text"]]
    assert len(baseline) == 1 and len(messages) == 2  # the baseline and the digest
    digest = [m for m in messages if "Weekly portfolio digest" in m["text"]]
    assert len(digest) == 1
    for name in ("digest.html", "digest.json", "allocation.png", "wip.png", "aging.png"):
        assert (out / "digest" / name).stat().st_size > 0
    assert (out / "data" / "lpmsync.db").exists()
    # Tracker text reached Slack escaped: no raw control sequence from a title can ping anyone.
    assert not any("<!channel>" in m["text"] for m in messages)
