"""The sandbox's sample portfolio, analysed with the bundled demo.yaml, breaks every rule.

The generator plants a deliberate case of each rule (`SamplePortfolio.cases`); the analysis must
find each one: as the finding's subject, or named in its evidence (the waiting item of a WSJF
inversion, the items of a starved state).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpmsync.analysis import analyse
from lpmsync.domain.findings import Finding, RuleId
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.report import Analysis
from lpmsync.sandbox.dataset import Dataset
from lpmsync.sandbox.generator import DEFAULT_NOW, SamplePortfolio, generate
from lpmsync.settings import load_settings, to_policy

DEMO = Path(__file__).resolve().parents[2] / "lpmsync" / "sandbox" / "demo.yaml"


@pytest.fixture(scope="module")
def demo() -> tuple[PortfolioPolicy, dict[str, dict[str, str]]]:
    settings = load_settings(DEMO, check_secrets=False)
    statuses = {source.name: dict(source.mapped_statuses) for source in settings.sources}
    return to_policy(settings), statuses


@pytest.fixture(scope="module")
def sample() -> SamplePortfolio:
    return generate(seed=42)


def _datasets(sample: SamplePortfolio) -> dict[str, Dataset]:
    return {"jira-cloud": sample.jira_cloud, "ado": sample.ado}


def _analyse(
    sample: SamplePortfolio,
    demo: tuple[PortfolioPolicy, dict[str, dict[str, str]]],
    sources: list[str],
) -> Analysis:
    policy, statuses = demo
    datasets = _datasets(sample)
    items = [
        item for name in sources for item in sample.work_items(datasets[name], name, statuses[name])
    ]
    history = [change for name in sources for change in sample.history(datasets[name], name)]
    return analyse(items, policy, DEFAULT_NOW, history)


def _mentioned(finding: Finding) -> Iterator[str]:
    """Item keys a finding names: its subject, and item references in its evidence."""
    if finding.subject is not None:
        yield finding.subject.key
    for value in finding.evidence.values():
        for entry in value if isinstance(value, list) else []:
            reference = entry.get("item") if isinstance(entry, dict) else entry
            if isinstance(reference, str):
                yield reference.rsplit(":", 1)[-1]


def test_the_whole_sample_yields_every_rule(
    sample: SamplePortfolio, demo: tuple[PortfolioPolicy, dict[str, dict[str, str]]]
) -> None:
    analysis = _analyse(sample, demo, ["jira-cloud", "ado"])
    fired = {finding.rule for finding in analysis.findings}
    assert set(RuleId) - fired == set()
    assert analysis.unmapped


@pytest.mark.parametrize("source", ["jira-cloud", "ado"])
def test_each_planted_case_is_found(
    sample: SamplePortfolio,
    demo: tuple[PortfolioPolicy, dict[str, dict[str, str]]],
    source: str,
) -> None:
    analysis = _analyse(sample, demo, [source])
    cases = sample.cases(_datasets(sample)[source])
    for rule, keys in cases.items():
        if rule == "unmapped":
            assert set(keys) <= {item.key for item in analysis.unmapped}
            continue
        mentioned = {
            key
            for finding in analysis.findings
            if finding.rule == rule
            for key in _mentioned(finding)
        }
        assert set(keys) <= mentioned, rule
    # Scope-only rules have no planted item of their own: they fire on the sample's shape.
    for rule in (RuleId.ALLOCATION_DRIFT, RuleId.WIP_BREACH, RuleId.WIP_STARVED):
        assert any(finding.rule == rule for finding in analysis.findings), rule


def test_a_run_leaves_its_results_in_the_oldest_generation(
    sample: SamplePortfolio, demo: tuple[PortfolioPolicy, dict[str, dict[str, str]]]
) -> None:
    """So the first collection after a run does not walk all of them (about 0.1 s at 100,000
    items); the collector is on again afterwards, as it was."""
    assert gc.isenabled()
    analysis = _analyse(sample, demo, ["jira-cloud", "ado"])
    assert gc.isenabled()
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(analysis) in oldest and id(analysis.findings[0]) in oldest
