"""What every connector is, and the helpers they share.

A connector reads one tracker source and yields `SyncPage`s (see `lpmsync.domain.sync`); the sync
service commits each page, with its cursor, in one transaction. Connectors translate every
third-party exception into `lpmsync.errors.ConnectorError` subclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar

from lpmsync.domain.sync import SyncPage, SyncRequest

T = TypeVar("T")
R = TypeVar("R")


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


def ordered_parallel_map(
    function: Callable[[T], R], inputs: Iterable[T], parallelism: int
) -> Iterator[R]:
    """Apply `function` with at most `parallelism` calls in flight; yield results in input order.

    Bounded look-ahead keeps memory flat for large syncs, and in-order results let each page be
    committed with a cursor that never skips past an unfinished page.
    """
    if parallelism <= 1:
        yield from map(function, inputs)
        return
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="lpmsync-fetch") as pool:
        pending: list[Future[R]] = []
        for value in inputs:
            pending.append(pool.submit(function, value))
            if len(pending) >= parallelism * 2:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
