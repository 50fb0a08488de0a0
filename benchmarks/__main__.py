"""`python -m benchmarks` (make bench): every case, side by side with its baseline.

`--quick` is the smoke run the test suite uses (N=100, no latency, one run each) so the benchmark
code cannot rot; the numbers it writes are not meaningful.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.board_cases import board_cases
from benchmarks.core_cases import analysis_cases, digest_cases
from benchmarks.cpu_cases import cpu_cases
from benchmarks.harness import Case, write_results
from benchmarks.startup_cases import startup_cases
from benchmarks.sync_cases import full_sync_cases, incremental_cases

HERE = Path(__file__).parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: N=100, no latency")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="injected per request")
    parser.add_argument(
        "--parallelism", type=int, help="lpmsync's requests in flight (default: each source's)"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("LPMSYNC_BENCH_DATABASE_URL"),
        help="PostgreSQL for the per-item CPU case (default: $LPMSYNC_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="where results.md/.json go")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the sample data's malformed items log warnings

    sync_sizes, analysis_sizes, digest_size = [1_000, 10_000], [10_000, 100_000], 10_000
    runs, latency = args.runs, args.latency_ms
    if args.quick:
        sync_sizes, analysis_sizes, digest_size, runs, latency = [100], [100], 100, 1, 0.0

    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="lpmsync-bench-") as work:
        work_dir = Path(work)
        for n in sync_sizes:
            _progress(f"full sync N={n}")
            cases += full_sync_cases(n, latency, runs, args.parallelism, work_dir)
        _progress(f"user CPU per item N={sync_sizes[-1]}")
        cases += cpu_cases(sync_sizes[-1], runs, args.parallelism, work_dir, args.pg_url)
        _progress(f"incremental sync N={sync_sizes[-1]}")
        cases += incremental_cases(sync_sizes[-1], latency, runs, args.parallelism, work_dir)
        _progress("start-up")
        cases += startup_cases(runs if args.quick else max(runs, 7), work_dir)
    _progress("analysis")
    cases += analysis_cases(analysis_sizes, runs)
    _progress("digest")
    cases += digest_cases(digest_size, runs)
    _progress("board")
    cases += board_cases(digest_size, runs)
    settings = {
        "runs": runs,
        "latency_ms": latency,
        "parallelism": args.parallelism or "each source's default",
        "quick": args.quick,
    }
    md, js = write_results(cases, args.out, settings)
    print(md.read_text())
    print(f"wrote {md} and {js}", file=sys.stderr)
    return 0


def _progress(what: str) -> None:
    print(f"… {what}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
