"""The composition root: the one place that turns settings into concrete adapters."""

from __future__ import annotations

from lpmsync.settings import Settings
from lpmsync.store import SqlStore, open_store


def open_configured_store(settings: Settings, *, upgrade: bool = True) -> SqlStore:
    return open_store(settings.store.effective_url, upgrade=upgrade)
