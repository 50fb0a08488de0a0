"""What every connector is.

A connector reads one tracker source and yields `SyncPage`s (see `lpmsync.domain.sync`); the sync
service commits each page, with its cursor, in one transaction. Connectors translate every
third-party exception into `lpmsync.errors.ConnectorError` subclasses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from lpmsync.domain.sync import SyncPage, SyncRequest


class Connector(Protocol):
    """One configured tracker source."""

    @property
    def source(self) -> str:
        """The source's configured name."""
        ...

    @property
    def requests_made(self) -> int:
        """Tracker requests sent so far (discovery and retries included)."""
        ...

    def pages(self, request: SyncRequest) -> Iterator[SyncPage]:
        """Yield pages in commit order. A page's cursor covers it and every page before it."""
        ...

    def close(self) -> None: ...
