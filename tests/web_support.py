"""The sandbox portfolio synced into a SQLite store once per worker, for the board's tests.

One item gets a hostile title (markup and a script) so every page shows how tracker text renders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from lpmsync.bootstrap import build_connectors
from lpmsync.cli.demo_cmd import _pointed_at
from lpmsync.sandbox.serve import start_sandbox
from lpmsync.services.sync import sync_sources
from lpmsync.settings import Settings, load_settings
from lpmsync.store import SqlStore, open_store
from lpmsync.store.schema import items

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "lpmsync" / "sandbox" / "demo.yaml"
HOSTILE_KEY = "PORT-307"  # young, in the Funnel: far down the board (all=1 shows it)
HOSTILE_TITLE = '<script>alert("owned")</script><img src=x onerror=alert(1)> & <b>bold</b>'


@dataclass(frozen=True)
class SyncedPortfolio:
    settings: Settings
    url: str
    now: datetime

    def open(self) -> SqlStore:
        return open_store(self.url)


def sync_sandbox_portfolio(directory: Path) -> SyncedPortfolio:
    """Sync the sandbox's Jira Cloud and Azure DevOps portfolio (seed 42) into `directory`."""
    with start_sandbox(seed=42) as sandbox:
        saved = dict(os.environ)
        os.environ.update(sandbox.credentials())
        try:
            settings = _pointed_at(load_settings(DEMO_CONFIG), sandbox, directory)
            connectors = build_connectors(settings)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        url = f"sqlite:///{directory / 'data' / 'lpmsync.db'}"
        store = open_store(url)
        now = sandbox.portfolio.now
        try:
            sync_sources(store, connectors, lambda: now)
            with store.engine.begin() as conn:
                conn.execute(
                    sa.update(items)
                    .where(items.c.source == "jira-cloud", items.c.key == HOSTILE_KEY)
                    .values(title=HOSTILE_TITLE)
                )
        finally:
            for connector in connectors:
                connector.close()
            store.close()
    return SyncedPortfolio(settings, url, now)
