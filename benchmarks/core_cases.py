"""Analysis of large portfolios (time, peak memory) and the digest render (blocks + charts)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from functools import partial

from benchmarks.harness import Case, Sample, timed
from benchmarks.sandbox_rig import DEMO_CONFIG, ENVIRON
from lpmsync.analysis import analyse
from lpmsync.analysis.build import build_context
from lpmsync.analysis.digest import AlertCounts, build_digest
from lpmsync.analysis.flow import measure_flow
from lpmsync.domain.history import History
from lpmsync.domain.model import WorkItem
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.sync import SyncPage
from lpmsync.notify.charts import digest_charts
from lpmsync.notify.render_digest import render_digest
from lpmsync.sandbox.generator import generate
from lpmsync.settings import load_settings, to_policy
from lpmsync.store import SqlStore, open_store

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
JIRA_STATUSES = {
    "Funnel": "Funnel",
    "Reviewing": "Reviewing",
    "Analyzing": "Analyzing",
    "Ready": "Ready",
    "In Progress": "Implementing",
    "Done": "Done",
}

# Run in a fresh interpreter so ru_maxrss is this workload's peak, not the benchmark runner's.
_PEAK_SCRIPT = """
import json, resource, sys, time
from benchmarks.core_cases import sample_items, demo_policy, NOW
from lpmsync.analysis import analyse
items, history = sample_items(int(sys.argv[1]))
policy = demo_policy()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
analysis = analyse(items, policy, NOW, history)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mib": peak / 1024, "items_mib": before / 1024,
                  "findings": len(analysis.findings)}))
"""


def demo_policy() -> PortfolioPolicy:
    return to_policy(load_settings(DEMO_CONFIG, ENVIRON))


def sample_items(n: int) -> tuple[list[WorkItem], History]:
    """The items and their history as the store hands them to the analysis: the history as
    columns (`History`), in the store's order (by source, key and time)."""
    portfolio = generate(size=n, now=NOW)
    dataset = portfolio.jira_cloud
    changes = portfolio.history(dataset, "jira-cloud")
    changes.sort(key=lambda change: (change.source, change.key, change.at))
    return portfolio.work_items(dataset, "jira-cloud", JIRA_STATUSES), History.from_changes(changes)


def analysis_cases(sizes: list[int], runs: int) -> list[Case]:
    policy = demo_policy()
    cases = []
    for n in sizes:
        items, history = sample_items(n)
        samples = [timed(partial(_analyse_once, items, policy, history)) for _ in range(runs)]
        peak = _peak_memory(n)
        case = Case("Analysis", f"analyse() N={n}", samples)
        case.samples[0].extra.update(peak)
        case.target = "< 1 s, peak < 1 GB" if n >= 100_000 else ""
        if n >= 100_000:
            fast, small = case.median < 1.0, peak["peak_mib"] < 1024
            case.verdict = ("met" if fast and small else "MISSED") + (
                f": {case.median:.2f} s, peak RSS {peak['peak_mib']:.0f} MiB "
                f"(items alone {peak['items_mib']:.0f} MiB)"
            )
        else:
            case.verdict = f"peak RSS {peak['peak_mib']:.0f} MiB"
        cases += [case, _flow_case(n, (items, history), policy, runs, case.median)]
        cases.append(_history_read_case(n, history, runs))
    return cases


def _history_read_case(n: int, history: History, runs: int) -> Case:
    """What the analysis's input costs to read: `Store.history()` over a SQLite store holding
    the sample's transitions (the store builds the columns the analysis counts over)."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/history.db")
        try:
            store.items.apply_page("jira-cloud", SyncPage(history=tuple(history)), NOW)
            samples = [timed(lambda: _read_history(store)) for _ in range(runs)]
        finally:
            store.close()
    name = f"  Store.history() N={n} ({len(history)} transitions, SQLite)"
    return Case("Analysis", name, samples)


def _read_history(store: SqlStore) -> None:
    store.items.history()


def _flow_case(n, sample, policy, runs: int, total: float) -> Case:  # type: ignore[no-untyped-def]
    """The flow metrics alone (issue 15), side by side with the whole analysis that includes
    them: the context they read is built once, outside the timing."""
    items, history = sample
    ctx = build_context(items, policy, NOW, history)
    samples = [timed(lambda: _flow_once(ctx, history)) for _ in range(runs)]
    case = Case("Analysis", f"  of which flow metrics N={n} ({len(history)} transitions)", samples)
    case.verdict = f"{case.median / total:.0%} of analyse()" if total else ""
    return case


def _flow_once(ctx, history) -> None:  # type: ignore[no-untyped-def]
    # As inside analyse(), which pauses the cyclic collector: else this row times collections
    # walking every item (it read 2.2 s of a 3.2 s analyse() before it paused them too).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        measure_flow(ctx, history)
    finally:
        if was_enabled:
            gc.enable()


def _analyse_once(items: list[WorkItem], policy: PortfolioPolicy, history: History) -> None:
    analyse(items, policy, NOW, history)


def _peak_memory(n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(n)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def digest_cases(n: int, runs: int) -> list[Case]:
    policy = demo_policy()
    items, history = sample_items(n)
    analysis = analyse(items, policy, NOW, history)

    def render() -> None:
        digest = build_digest(analysis, policy, now=NOW, alerts=AlertCounts(3, 2, 40))
        messages = render_digest(digest, charts=True)
        charts = digest_charts(digest)
        assert messages and charts

    samples: list[Sample] = [timed(render) for _ in range(runs)]
    case = Case("Digest", f"digest render (blocks + 3 PNG charts) N={n}", samples)
    return [case]
