"""Reading the store for the pages: a `Snapshot` rebuilt only when a new run has been recorded.

The version (the pages' ETag) is the last run's id and status, the day in the portfolio's time
zone (days-in-state move at midnight) and a digest of the policy (a restart with a new config).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from datetime import datetime

from lpmsync.analysis import analyse
from lpmsync.domain.alerts import MessageKind
from lpmsync.domain.model import ItemRef, StateChange
from lpmsync.notify.render_html import preview_html
from lpmsync.services.digest import plan_digest
from lpmsync.settings import Settings, to_policy
from lpmsync.store import SqlStore
from lpmsync.web.snapshot import Snapshot, build_snapshot

Clock = Callable[[], datetime]


class PortfolioReader:
    """Thread-safe: page requests run on a bounded pool; one of them rebuilds, the rest wait."""

    def __init__(self, store: SqlStore, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._policy = to_policy(settings)
        self._clock = clock
        self._policy_digest = hashlib.sha256(repr(self._policy).encode()).hexdigest()[:12]
        self._lock = threading.Lock()
        self._digest_lock = threading.Lock()  # a slow digest (charts) never holds the board up
        self._snapshot: Snapshot | None = None
        self._digest: tuple[str, str, str] | None = None  # version, page, its inline style

    @property
    def store(self) -> SqlStore:
        return self._store

    def version(self) -> str:
        latest = self._store.runs.recent(limit=1)
        run = f"{latest[0].id}-{latest[0].status}" if latest else "none"
        return f"{run}-{self._clock():%Y%m%d}-{self._policy_digest}"

    def snapshot(self, version: str | None = None) -> Snapshot:
        wanted = version or self.version()
        with self._lock:
            if self._snapshot is None or self._snapshot.version != wanted:
                self._snapshot = self._build(wanted)
            return self._snapshot

    def digest_page(self, version: str) -> tuple[str, str]:
        """This week's digest as `digest --dry-run` previews it, and its inline stylesheet."""
        with self._digest_lock:
            if self._digest is None or self._digest[0] != version:
                page = self._digest_html()
                style = _STYLE.search(page)
                self._digest = (version, page, style.group(1) if style else "")
            return self._digest[1], self._digest[2]

    def _digest_html(self) -> str:
        plan = plan_digest(self._store, self._settings, self._clock())
        posts = [m for m in plan.messages if m.kind is MessageKind.POST]
        page = preview_html(
            f"Weekly portfolio digest: {plan.digest.portfolio} ({plan.week})",
            [(m.text, m.blocks) for m in posts],
            plan.charts,
        )
        nav = '<p><a href="/">Board</a> · <a href="/findings">Findings</a></p>'
        return page.replace("<body>", "<body>" + nav, 1)

    def history_of(self, ref: ItemRef) -> list[StateChange]:
        return list(self._store.items.history([ref.source], keys=[ref.key]))

    def _build(self, version: str) -> Snapshot:
        items = self._store.items.load()
        history = (
            self._store.items.history()
            if any(item.entered_state_at is None for item in items)
            else []
        )
        now = self._clock()
        analysis = analyse(items, self._policy, now, history)
        last = self._store.runs.latest("sync", status="ok")
        last_sync = last.finished_at if last is not None else None
        return build_snapshot(
            items, history, analysis, self._policy, now=now, version=version, last_sync=last_sync
        )


_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
