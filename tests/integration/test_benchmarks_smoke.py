"""The benchmark code runs (N=100, no latency) so it cannot rot; request counts are exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.sync_timeline import Span, summary
from benchmarks.sync_timeline import main as timeline


@pytest.mark.slow
def test_quick_benchmark_run_writes_results(tmp_path: Path) -> None:
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    cases = {case["name"]: case for case in results["cases"]}
    assert "# lpmsync benchmark results" in (tmp_path / "results.md").read_text()

    cloud = cases["jira-cloud N=100 lpmsync (parallelism 8)"]
    assert cloud["requests"] == cloud["floor"] == 3  # 1 key page + 1 bulk fetch + 1 changelog
    assert cases["jira-dc N=100 lpmsync (parallelism 4)"]["requests"] == 1
    ado = cases["ado N=100 lpmsync (parallelism 8)"]
    assert ado["floor"] == ado["requests"] == 2  # 1 WIQL + 1 batch: history starts at the sync
    for source in ("jira-cloud", "jira-dc", "ado"):
        assert cases[f"{source} N=100 nothing changed"]["requests"] <= 2
    assert cases["lpmsync status"]["target"] == "≤ 0.35 s"  # a fresh process over the demo store
    assert {c["group"] for c in results["cases"]} == {
        "Full sync",
        "User CPU per item (full sync)",
        "Incremental sync",
        "Start-up",
        "Analysis",
        "Digest",
        "Board",
    }


def test_sync_timeline_phases_from_spans() -> None:
    spans = [
        Span("http", "MainThread", 0.010, 0.110, "POST /wiql"),
        Span("http", "lpmsync-fetch_0", 0.120, 0.180),
        Span("http", "lpmsync-fetch_1", 0.121, 0.200),
        Span("map", "MainThread", 0.181, 0.193),
        Span("store", "MainThread", 0.193, 0.213),
        Span("store", "MainThread", 0.211, 0.230),
    ]

    lines = summary(spans, started=0.0, ended=0.250)

    assert lines == [
        "total 250 ms, 3 requests (2 on fetch threads)",
        "first request at 10 ms",
        "fetch window 120-200 ms (80 ms), median request 79.0 ms",
        "main thread mapping and committing 40% of the fetch window",
        "after the last response: 250 - 200 = 50 ms",
        "map: 12 ms on the main thread",
        "store: 39 ms on the main thread",
    ]


@pytest.mark.slow
def test_sync_timeline_runs_against_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert timeline(["--size", "100", "--latency-ms", "0", "--source", "ado", "--spans"]) == 0

    out = capsys.readouterr().out
    assert "total " in out and "2 requests (1 on fetch threads)" in out
    assert "/wit/workItemsBatch" in out
