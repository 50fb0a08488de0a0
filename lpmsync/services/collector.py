"""Fewer cyclic garbage collector passes while a sync runs.

A sync decodes tracker JSON into hundreds of thousands of short-lived dicts and lists, none of
them in a reference cycle (reference counting frees them). With CPython's default generation-0
threshold (700 allocations) the collector runs thousands of times per sync, each pass walking
the objects still alive, which includes every JSON tree being decoded: measured, about a sixth
of a Jira Cloud full sync's CPU. While any sync runs, the threshold is raised; the collector
still runs (less often), and the previous setting comes back when the last sync ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

SYNC_GEN0_THRESHOLD = 100_000  # allocations between generation-0 passes during a sync


class _Pause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    @contextmanager
    def during(self, threshold: int) -> Iterator[None]:
        with self._lock:
            if self._active == 0:
                self._saved = gc.get_threshold()
                gen0, gen1, gen2 = self._saved
                gc.set_threshold(max(gen0, threshold), gen1, gen2)
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0:
                    gc.set_threshold(*self._saved)


_PAUSE = _Pause()


def fewer_collections(threshold: int = SYNC_GEN0_THRESHOLD) -> AbstractContextManager[None]:
    """Within the block (nesting and other threads' blocks included), collect less often."""
    return _PAUSE.during(threshold)
