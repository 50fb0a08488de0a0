"""kill -9 in the middle of a cycle, then a restart: pages are whole, and every alert reaches
Slack exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from lpmsync.domain.alerts import MessageKind
from lpmsync.sandbox.generator_catalog import ADO_MAPPING
from lpmsync.store import SqlStore, open_store
from lpmsync.store.outbox_rows import OutboxStatus
from lpmsync.store.schema import outbox
from tests.e2e.test_run_helpers import (
    WAIT,
    Gate,
    Sandbox,
    cycle_done,
    running,
    sandbox,
    write_config,
)

pytestmark = pytest.mark.slow

PAGE = 200  # ids per workitemsbatch request: one committed page


def store_at(tmp_path: Path) -> SqlStore:
    return open_store(f"sqlite:///{tmp_path / 'data' / 'lpmsync.db'}")


def committed_keys(tmp_path: Path) -> set[str]:
    store = store_at(tmp_path)
    try:
        return {item.key for item in store.items.load(["ado"])}
    finally:
        store.close()


def eventually(condition: Callable[[], object]) -> bool:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def expected_keys(box: Sandbox) -> set[str]:
    items = box.portfolio.work_items(box.portfolio.ado, "ado", ADO_MAPPING)
    return {item.key for item in items}


def assert_each_alert_posted_once(box: Sandbox, store: SqlStore) -> None:
    entries = store.outbox.entries()
    posts = [e for e in entries if e.message.kind is MessageKind.POST]
    assert posts and all(e.status is OutboxStatus.SENT for e in entries)
    top_level = box.workspace.top_level()
    assert sorted(m.ts for m in top_level) == sorted(e.sent_ts for e in posts)  # type: ignore[type-var]
    assert box.slack.log.counts()["POST chat.postMessage"] >= len(posts)
    # none twice, none lost (a group Slack refused as too long is posted in parts: more rows)
    assert len(box.workspace.messages()) == len(posts)


def test_a_kill_during_a_sync_keeps_whole_pages_and_a_restart_completes(tmp_path: Path) -> None:
    # The connector yields a page once the next batch is in (it holds one back to know which
    # page is last), so page 1 is handed to the commit thread by the time batch 3 is requested
    # and held; the kill comes once it is committed.
    gate = Gate("workitemsbatch", block_from=3)
    with sandbox(size=500, ado_gate=gate.wrap) as box:
        config = write_config(tmp_path, box, ado_parallelism=1)
        with running(config, "--sync-now") as service:
            assert gate.arrived.wait(WAIT), service.output()
            assert eventually(lambda: committed_keys(tmp_path)), service.output()
            service.process.kill()
            service.process.wait(WAIT)
        gate.open()
        store = store_at(tmp_path)
        committed = {item.key for item in store.items.load(["ado"])}
        interrupted = store.runs.latest("sync", "ado")
        store.close()
        with running(config, "--sync-now") as restarted:
            result = restarted.wait_for(cycle_done)
            assert restarted.stop() == 0
        store = store_at(tmp_path)
        try:
            first_ids = sorted(item.id for item in box.portfolio.ado.items.values())[:PAGE]
            first_page = {key for key in expected_keys(box) if int(key) in first_ids}
            assert committed == first_page  # exactly the first page: nothing partial
            assert interrupted is not None and interrupted.status == "running"  # died mid-run
            assert result["message"] == "cycle: ok", restarted.output()
            assert {item.key for item in store.items.load(["ado"])} == expected_keys(box)
            assert store.runs.latest("sync", "ado").status == "ok"  # type: ignore[union-attr]
            assert_each_alert_posted_once(box, store)
        finally:
            store.close()


def test_a_kill_during_a_send_posts_nothing_twice_and_loses_nothing(tmp_path: Path) -> None:
    gate = Gate("chat.postMessage", block_from=2)
    with sandbox(slack_gate=gate.wrap) as box:
        # One message per alert group, not one baseline: the second post is the one to kill.
        config = write_config(tmp_path, box, baseline_threshold="null")
        with running(config, "--sync-now") as service:
            assert gate.arrived.wait(WAIT), service.output()  # the second message is in flight
            service.process.kill()
            service.process.wait(WAIT)
        gate.open()
        assert len(box.workspace.top_level()) == 1
        with running(config, "--sync-now", "--sync-every", "1s") as restarted:
            restarted.wait_for(cycle_done)
            _expire_leases(tmp_path)  # 15 minutes later: the dead worker's claims lapse
            restarted.wait_for(cycle_done)
            restarted.wait_for(cycle_done)
            assert restarted.stop() == 0
        store = store_at(tmp_path)
        try:
            assert store.outbox.depth() == 0
            assert_each_alert_posted_once(box, store)
        finally:
            store.close()


def _expire_leases(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'lpmsync.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.update(outbox).values(claimed_by=None, claimed_until=None))
    finally:
        engine.dispose()
