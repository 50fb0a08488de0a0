"""The benchmark code runs (N=100, no latency) so it cannot rot; request counts are exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import main


@pytest.mark.slow
def test_quick_benchmark_run_writes_results(tmp_path: Path) -> None:
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    cases = {case["name"]: case for case in results["cases"]}
    assert "# lpmsync benchmark results" in (tmp_path / "results.md").read_text()

    cloud = cases["jira-cloud N=100 lpmsync (parallelism 4)"]
    assert cloud["requests"] == cloud["floor"] == 3  # 1 key page + 1 bulk fetch + 1 changelog
    assert cases["jira-dc N=100 lpmsync (parallelism 4)"]["requests"] == 1
    ado = cases["ado N=100 lpmsync (parallelism 4)"]
    assert ado["floor"] == ado["requests"] == 2  # 1 WIQL + 1 batch: history starts at the sync
    for source in ("jira-cloud", "jira-dc", "ado"):
        assert cases[f"{source} N=100 nothing changed"]["requests"] <= 2
    assert {c["group"] for c in results["cases"]} == {
        "Full sync",
        "User CPU per item (full sync)",
        "Incremental sync",
        "Analysis",
        "Digest",
        "Board",
    }
