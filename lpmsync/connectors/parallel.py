"""Bounded, in-order parallel fetch shared by the tracker packages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


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
