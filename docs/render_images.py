"""Regenerate the chart images in docs/images from the sample portfolio (`make docs-images`).

The sample is the demo's (lpmsync/sandbox/demo.yaml, seed 42, as of 2026-11-16); four earlier weekly
snapshots with a drifting allocation are made up here so the allocation chart shows its trend.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from lpmsync.analysis import analyse
from lpmsync.analysis.digest import AlertCounts, Snapshot, build_digest
from lpmsync.domain.findings import JsonValue
from lpmsync.notify.charts import digest_charts
from lpmsync.sandbox.generator import DEFAULT_NOW, generate
from lpmsync.settings import load_settings, to_policy

ROOT = Path(__file__).resolve().parents[1]
DRIFT: dict[str, list[float]] = {
    "cx": [0.33, 0.31, 0.29, 0.27],
    "platform": [0.24, 0.29, 0.33, 0.36],
    "data": [0.20, 0.19, 0.18, 0.17],
    "growth": [0.12, 0.10, 0.08, 0.07],
    "legacy": [0.09, 0.08, 0.07, 0.06],
    "unaligned": [0.02, 0.03, 0.05, 0.07],
}


def main() -> None:
    settings = load_settings(ROOT / "lpmsync" / "sandbox" / "demo.yaml", check_secrets=False)
    policy = to_policy(settings)
    sample = generate(seed=42)
    items, history = [], []
    for name, dataset in (("jira-cloud", sample.jira_cloud), ("ado", sample.ado)):
        source = next(s for s in settings.sources if s.name == name)
        items += sample.work_items(dataset, name, dict(source.mapped_statuses))
        history += sample.history(dataset, name)
    weeks: list[Snapshot] = []
    for index in range(4):
        shares: dict[str, JsonValue] = {key: values[index] for key, values in DRIFT.items()}
        weeks.append((DEFAULT_NOW - timedelta(weeks=4 - index), {"allocation": shares}))
    digest = build_digest(
        analyse(items, policy, DEFAULT_NOW, history),
        policy,
        now=DEFAULT_NOW,
        alerts=AlertCounts(),
        previous=weeks[-1],
        history=weeks,
    )
    out = ROOT / "docs" / "images"
    out.mkdir(exist_ok=True)
    for name, content in digest_charts(digest).items():
        (out / name).write_bytes(content)
        print(out / name)  # noqa: T201 (a script: it says what it wrote)


if __name__ == "__main__":
    main()
