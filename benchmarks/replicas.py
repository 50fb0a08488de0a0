"""`python -m benchmarks.replicas --pg-url URL`: 8 sources synced by 1 replica, then by 2, each
replica its own process sharing one PostgreSQL schema, against the sandbox in its own process.

The sources are the sandbox's Jira Cloud and Azure DevOps personalities under eight names (four
each), so every replica does real HTTP, mapping and commits. Prints the wall time of each setup,
the sources each replica synced and skipped, and the speed-up (docs/deploy.md quotes it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.external import external_sandbox
from benchmarks.sandbox_rig import ENVIRON, source_configs
from lpmsync.connectors.registry import ConnectorContext, build_connector
from lpmsync.services.sync import sync_sources
from lpmsync.store import open_store

SOURCES = 8


def replica(urls: dict[str, str], store_url: str, work_dir: str) -> dict[str, Any]:
    """One replica: every source (full sync), each under its own lock, 4 at a time."""
    configs = source_configs(urls, 4)  # as measured for docs/deploy.md
    named = [
        configs["jira-cloud" if n % 2 == 0 else "ado"].model_copy(update={"name": f"source-{n}"})
        for n in range(SOURCES)
    ]
    context = ConnectorContext(data_dir=Path(work_dir), environ=ENVIRON)
    connectors = [build_connector(config, context) for config in named]
    store = open_store(store_url)
    started = time.perf_counter()
    try:
        summaries = sync_sources(store, connectors, lambda: datetime.now(UTC), full=True)
    finally:
        for connector in connectors:
            connector.close()
        store.close()
    return {
        "seconds": time.perf_counter() - started,
        "synced": [s.source for s in summaries if s.status == "ok"],
        "skipped": [s.source for s in summaries if s.status == "skipped"],
        "failed": [s.source for s in summaries if s.status == "failed"],
    }


def run_replicas(count: int, urls: dict[str, str], store_url: str, work_dir: str) -> dict[str, Any]:
    arguments = json.dumps([urls, store_url, work_dir])
    code = (
        "import json, sys; from benchmarks.replicas import replica; "
        "print('RESULT ' + json.dumps(replica(*json.loads(sys.argv[1]))))"
    )
    started = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-c", code, arguments], stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    outputs = [process.communicate(timeout=900)[0] for process in processes]
    wall = time.perf_counter() - started
    results = [json.loads(out.split("RESULT ", 1)[1]) for out in outputs]
    return {"replicas": count, "wall_seconds": round(wall, 2), "per_replica": results}


def fresh_schema(base: str) -> str:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replicas")
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--size", type=int, default=1000, help="items per source")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    report = []
    with (
        tempfile.TemporaryDirectory() as work,
        external_sandbox(args.size, args.latency_ms) as sandbox,
    ):
        for count in (1, 2):
            store_url = fresh_schema(args.pg_url)
            open_store(store_url).close()  # migrated before the replicas start
            report.append(run_replicas(count, sandbox.urls, store_url, work))
            print(json.dumps(report[-1]), flush=True)
    sync = [max(r["seconds"] for r in setup["per_replica"]) for setup in report]
    print(
        f"{SOURCES} sources x {args.size} items, {args.latency_ms:.0f} ms latency: "
        f"sync {sync[0]:.1f} s with 1 replica, {sync[1]:.1f} s with 2 "
        f"({sync[0] / sync[1]:.2f}x); with process start-up {report[0]['wall_seconds']:.1f} s "
        f"and {report[1]['wall_seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
