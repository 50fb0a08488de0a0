"""Two `lpmsync run` replicas on one PostgreSQL database and one sandbox: they take turns under
the advisory locks, and every alert reaches Slack exactly once."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from lpmsync.domain.alerts import MessageKind
from lpmsync.store import open_store
from lpmsync.store.outbox_rows import OutboxStatus
from tests.e2e.test_run_helpers import cycle_done, running, sandbox, write_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CYCLES = 4


def test_two_replicas_post_every_alert_exactly_once(tmp_path: Path, pg_url: str) -> None:
    with sandbox() as box, ExitStack() as stack:
        replicas = []
        for name in ("a", "b"):
            directory = tmp_path / name
            directory.mkdir()
            config = write_config(directory, box, store_url=pg_url)
            replicas.append(
                stack.enter_context(running(config, "--sync-now", "--sync-every", "1s"))
            )
        outcomes = {
            name: [replica.wait_for(cycle_done)["message"] for _ in range(CYCLES)]
            for name, replica in zip("ab", replicas, strict=True)
        }
        codes = [replica.stop() for replica in replicas]
        top_level = box.workspace.top_level()
        delivered = [r for r in box.slack.log.entries if r.endpoint == "POST chat.postMessage"]
    assert codes == [0, 0], [replica.output() for replica in replicas]
    runs = [m for messages in outcomes.values() for m in messages]
    assert all(m in ("cycle: ok", "cycle: skipped") for m in runs), outcomes
    assert "cycle: ok" in runs
    store = open_store(pg_url)
    try:
        entries = store.outbox.entries()
        posts = [e for e in entries if e.message.kind is MessageKind.POST]
        assert posts and all(e.status is OutboxStatus.SENT for e in entries)
        assert sorted(m.ts for m in top_level) == sorted(str(e.sent_ts) for e in posts)
        assert sum(r.status == 200 for r in delivered) == len(posts)  # each exactly once
        assert all(run.finished_at is not None for run in store.runs.recent(200))
    finally:
        store.close()
