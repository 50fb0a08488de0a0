"""The collector setting a sync runs under is raised only while a sync runs, then restored."""

from __future__ import annotations

import gc
import threading

from lpmsync.services.collector import fewer_collections


def test_threshold_is_raised_during_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections(before[0] + 1000):
        assert gc.get_threshold() == (before[0] + 1000, *before[1:])
        assert gc.isenabled()  # less often, never off: cycles are still collected
    assert gc.get_threshold() == before


def test_restored_only_when_the_last_overlapping_sync_ends() -> None:
    before = gc.get_threshold()
    entered, release = threading.Event(), threading.Event()

    def other_sync() -> None:
        with fewer_collections(before[0] + 500):
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=other_sync)
    with fewer_collections(before[0] + 500):
        thread.start()
        entered.wait(10)
    assert gc.get_threshold()[0] == before[0] + 500  # the other sync is still running
    release.set()
    thread.join(10)
    assert gc.get_threshold() == before


def test_a_lower_request_never_lowers_the_setting() -> None:
    before = gc.get_threshold()
    with fewer_collections(1):
        assert gc.get_threshold() == before
