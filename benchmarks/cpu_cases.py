"""User CPU per item of a full sync (decode, map, hash, store, commit), on SQLite and, when a
PostgreSQL URL is given, on PostgreSQL; against the sandbox in its own process, so only lpmsync's
own CPU is counted. Each run is split into mapping, the store's page commit and the rest (fetch
threads: HTTP and JSON decoding) by `benchmarks.profile_sync.Stages`, so a miss says where."""

from __future__ import annotations

import resource
import statistics
from pathlib import Path

from benchmarks.external import external_sandbox
from benchmarks.harness import Case, Sample
from benchmarks.profile_sync import install_stages, pg_store
from benchmarks.sync_cases import LpmsyncSync

TARGET_US = 80.0


def user_cpu() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime


def cpu_cases(
    n: int, runs: int, parallelism: int | None, work_dir: Path, pg_url: str | None
) -> list[Case]:
    stages = install_stages()
    stores = ["sqlite"] + ([pg_url] if pg_url else [])
    cases: list[Case] = []
    with external_sandbox(n, 0.0) as sandbox:
        for source in ("jira-cloud", "ado"):
            for store_url in stores:
                ours = LpmsyncSync(sandbox.urls, source, parallelism, work_dir)
                ours.run(full=True, store=ours.fresh_store())  # warm: imports, connections
                samples = []
                for _ in range(runs):
                    store = ours.fresh_store() if store_url == "sqlite" else pg_store(store_url)
                    stages.seconds = dict.fromkeys(stages.seconds, 0.0)
                    before = user_cpu()
                    summary = ours.run(full=True, store=store)
                    items = max(summary.added + summary.changed, 1)
                    per_item = (user_cpu() - before) / items * 1e6
                    split = {k: v / items * 1e6 for k, v in stages.seconds.items()}
                    samples.append(Sample(per_item, None, {"items": items, **split}))
                backend = "SQLite" if store_url == "sqlite" else "PostgreSQL"
                cases.append(_case(source, n, backend, samples))
    return cases


def _case(source: str, n: int, backend: str, samples: list[Sample]) -> Case:
    """`seconds` holds the user CPU per item in µs (the table's unit says so)."""
    name = f"{source} N={n} into {backend}"
    case = Case("User CPU per item (full sync)", name, samples, unit="µs/item")
    median_us = case.median
    split = {
        stage: statistics.median(float(s.extra[stage]) for s in samples)
        for stage in ("map", "store")
    }
    rest = median_us - sum(split.values())
    where = (
        f"map {split['map']:.0f} µs, store commit {split['store']:.0f} µs, "
        f"fetch threads (HTTP, JSON decoding) {rest:.0f} µs"
    )
    case.target = f"≤ {TARGET_US:.0f} µs/item"
    met = median_us <= TARGET_US
    case.verdict = ("met: " if met else "MISSED: ") + f"{median_us:.0f} µs/item ({where})"
    return case
