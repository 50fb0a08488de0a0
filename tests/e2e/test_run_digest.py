"""The weekly digest is never silently skipped: a slot that passed while the service was down
runs at start (within `schedule.misfire_grace`), once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.cli_helpers import run_cli
from tests.e2e.test_run_helpers import base_env, job_summary, running, sandbox, write_config

pytestmark = pytest.mark.slow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def a_slot_that_just_passed() -> str:
    """A weekly crontab whose last slot was two minutes ago, in the portfolio's time zone."""
    slot = datetime.now(ZoneInfo("Europe/Berlin")) - timedelta(minutes=2)
    return f"{slot.minute} {slot.hour} * * {DAYS[slot.weekday()]}"


def test_a_missed_digest_runs_at_start_and_only_once(tmp_path: Path) -> None:
    with sandbox() as box:
        config = write_config(tmp_path, box, digest=a_slot_that_just_passed())
        # Fresh data first: a digest waits while a source has not synced recently.
        assert run_cli("sync", "--config", str(config), env=base_env()).returncode == 0
        # Synced just above: no initial sync, so the digest's catch-up is the only job at start.
        with running(config, "--no-initial-sync") as service:
            start = service.wait_for_message("lpmsync running")
            digest = service.wait_for(job_summary("digest"))
            assert service.stop() == 0
        posted = len(box.workspace.top_level())
        uploads = len(box.workspace.files())
        with running(config, "--no-initial-sync") as again:
            restart = again.wait_for_message("lpmsync running")
            assert again.stop() == 0
        assert len(box.workspace.top_level()) == posted  # nothing posted twice
    assert "catching up the digest due at" in start["message"]
    assert digest["message"] == "digest: ok", service.output()
    assert posted >= 1 and uploads >= 1  # the digest and its charts, in its thread
    assert "catching up" not in restart["message"]
