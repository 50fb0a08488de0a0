"""`python -m benchmarks.profile_sync`: one full sync per source under cProfile, against the sandbox
in its own process (no latency), printing user CPU per item and the top costs.

This is how the per-item CPU figures in results.md were found; `make bench` measures the same
user CPU without the profiler's overhead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.external import external_sandbox
from benchmarks.sync_cases import LpmsyncSync
from lpmsync.store import SqlStore, open_store


def user_cpu() -> float:
    """User CPU seconds of this process (all threads)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime


class Stages:
    """CPU inside mapping (the main thread) and inside the store's page commit (the commit
    thread), each by thread_time, so the fetch threads' decoding is not counted here; it is the
    remainder of the process total."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"map": 0.0, "store": 0.0}

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.thread_time() - started

        setattr(owner, name, timed)


def install_stages() -> Stages:
    from lpmsync.connectors.azure_devops import connector as ado
    from lpmsync.connectors.jira.pages import PageBuilder
    from lpmsync.store.items import ItemRepository

    stages = Stages()
    stages.wrap(PageBuilder, "_page", "map")
    stages.wrap(ado, "map_work_items", "map")
    stages.wrap(ItemRepository, "apply_page", "store")
    return stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_sync")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--sources", default="jira-cloud,ado")
    parser.add_argument("--store", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--parallelism",
        type=int,
        help="default: the source's own; 1 profiles the fetch threads' work too",
    )
    parser.add_argument("--no-profile", action="store_true", help="only the CPU per item")
    args = parser.parse_args(argv)
    stages = install_stages()
    with tempfile.TemporaryDirectory() as work, external_sandbox(args.size, 0.0) as sandbox:
        for source in args.sources.split(","):
            ours = LpmsyncSync(sandbox.urls, source, args.parallelism, Path(work))
            ours.run(full=True, store=ours.fresh_store())  # warm: imports and first connections
            store = ours.fresh_store() if args.store == "sqlite" else pg_store(args.store)
            profiler = None if args.no_profile else cProfile.Profile(time.process_time)
            stages.seconds = dict.fromkeys(stages.seconds, 0.0)
            cpu, wall = user_cpu(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            summary = ours.run(full=True, store=store)
            if profiler is not None:
                profiler.disable()
            cpu, wall = user_cpu() - cpu, time.perf_counter() - wall
            items = summary.added + summary.changed
            per_item = {
                stage: seconds / max(items, 1) * 1e6 for stage, seconds in stages.seconds.items()
            }
            rest = cpu / max(items, 1) * 1e6 - sum(per_item.values())
            print(
                f"{source}: {items} items, {wall:.2f} s wall, {cpu:.2f} s user CPU, "
                f"{cpu / max(items, 1) * 1e6:.0f} µs/item: "
                + ", ".join(f"{stage} {value:.0f}" for stage, value in per_item.items())
                + f", fetch/decode/threads {rest:.0f} µs/item"
            )
            if profiler is not None:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
                print(out.getvalue())
    return 0


def pg_store(url: str) -> SqlStore:
    """The PostgreSQL store at `url`, emptied of items, history and cursors."""
    store = open_store(url)
    with store.engine.begin() as conn:
        for table in ("state_changes", "items", "cursors"):
            conn.execute(text(f"DELETE FROM {table}"))
    return store


if __name__ == "__main__":
    sys.exit(main())
