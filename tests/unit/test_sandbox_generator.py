"""The sample portfolio: deterministic, sized as asked, realistic, and breaking every rule of
the bundled demo.yaml on purpose. The rule conditions are checked on the raw data here,
independently of the analysis code."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from lpmsync.domain.model import UNMAPPED, Level, WorkItem
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.sandbox.dataset import Dataset, SampleItem
from lpmsync.sandbox.generator import DEFAULT_NOW, SamplePortfolio, generate
from lpmsync.sandbox.generator_catalog import (
    ADO_MAPPING,
    JIRA_MAPPING,
    OTHER_LABELS,
    THEMES,
    VALUE_STREAMS,
)
from lpmsync.settings import load_settings
from lpmsync.settings.policy import to_policy

DEMO = Path(__file__).resolve().parents[2] / "lpmsync" / "sandbox" / "demo.yaml"
THEME_OF = {theme.name: theme.key for theme in THEMES}
THEME_OF |= {theme.label: theme.key for theme in THEMES} | {
    theme.tag: theme.key for theme in THEMES
}


@pytest.fixture(scope="module")
def portfolio() -> SamplePortfolio:
    return generate()


@pytest.fixture(scope="module")
def policy() -> PortfolioPolicy:
    return to_policy(load_settings(DEMO, check_secrets=False))


def tracked(portfolio: SamplePortfolio) -> list[tuple[Dataset, dict[str, str]]]:
    return [
        (portfolio.jira_cloud, JIRA_MAPPING),
        (portfolio.jira_dc, JIRA_MAPPING),
        (portfolio.ado, ADO_MAPPING),
    ]


def test_same_seed_same_portfolio_other_seed_other_portfolio() -> None:
    first, again, other = generate(7), generate(7), generate(8)

    for name in ("jira_cloud", "jira_dc", "ado"):
        assert list(getattr(first, name)) == list(getattr(again, name))
        assert list(getattr(first, name)) != list(getattr(other, name))
    assert first.cases(first.jira_cloud) == again.cases(again.jira_cloud)


def test_default_size_per_dataset(portfolio: SamplePortfolio) -> None:
    for dataset, _ in tracked(portfolio):
        kinds = Counter(item.kind for item in dataset)
        assert len(dataset) == 320
        assert kinds["Epic"] >= 40 and kinds["Feature"] >= 250
        assert {item.value_stream for item in dataset} == set(VALUE_STREAMS)


@pytest.mark.parametrize("size", [100, 1000, 7777])
def test_size_is_the_item_count_with_about_six_features_per_epic(size: int) -> None:
    dataset = generate(size=size).jira_cloud

    epics = sum(item.kind == "Epic" for item in dataset)
    assert len(dataset) == size
    if size >= 1000:
        assert epics == round(size / 7)


def test_too_small_a_size_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 100"):
        generate(size=99)


def test_each_tracker_speaks_its_own_words(portfolio: SamplePortfolio) -> None:
    jira, ado = portfolio.jira_cloud, portfolio.ado

    assert {item.status for item in jira} == {*JIRA_MAPPING, "Parked"}
    assert {item.status for item in ado} == {*ADO_MAPPING, "On Hold"}
    assert all(item.key == f"PORT-{item.id - 10000}" for item in jira)
    assert all(item.key.startswith("ENT-") for item in portfolio.jira_dc)
    assert all(item.key == str(item.id) for item in ado)
    assert all(item.components == (item.value_stream,) and not item.area_path for item in jira)
    streams = {item.area_path.split("\\")[1] for item in ado if item.area_path}
    assert streams == set(VALUE_STREAMS)
    assert all(item.area_path and item.area_path.startswith("Contoso\\") for item in ado)
    jira_labels = {label for item in jira for label in item.labels}
    ado_tags = {tag for item in ado for tag in item.labels}
    assert jira_labels <= {theme.label for theme in THEMES} | set(OTHER_LABELS)
    assert ado_tags <= {theme.tag for theme in THEMES} | set(OTHER_LABELS)
    assert {theme.tag for theme in THEMES} & ado_tags


def test_items_are_realistic(portfolio: SamplePortfolio) -> None:
    for dataset, _ in tracked(portfolio):
        items = list(dataset)
        assert len({item.id for item in items}) == len(items)
        assert {item.theme for item in items} - {None} == set(THEME_OF) & {t.name for t in THEMES}
        assert sum(item.owner is not None for item in items) > 0.9 * len(items)
        assert all(item.owner.endswith("@acme.example") for item in items if item.owner)
        assert len({item.title for item in items}) > 0.5 * len(items)
        assert sum(item.estimate is not None for item in items) > 0.8 * len(items)
        missing_one = [item for item in items if wsjf_inputs(item).count(None) == 1]
        assert missing_one, "some items miss exactly one WSJF input"


def test_about_six_months_of_consistent_history(portfolio: SamplePortfolio) -> None:
    now = portfolio.now
    for dataset, _ in tracked(portfolio):
        for item in dataset:
            history = item.history
            assert history[0].from_status is None and history[0].at == item.created
            assert history[-1].to_status == item.status
            assert all(a.at <= b.at for a, b in itertools.pairwise(history))
            assert all(a.to_status == b.from_status for a, b in itertools.pairwise(history))
            assert history[-1].at <= item.updated <= now
            if item.kind == "Epic":
                assert timedelta(days=150) <= now - item.created <= timedelta(days=200)
            parent = dataset.get(item.parent_key) if item.parent_key else None
            if item.parent_key:
                assert parent is not None and parent.kind == "Epic"
                assert parent.created <= item.created and parent.id < item.id


def test_features_mostly_inherit_their_epics_theme(portfolio: SamplePortfolio) -> None:
    features = [item for item in portfolio.jira_cloud if item.kind == "Feature"]

    own_field = [item for item in features if item.theme]
    assert len(own_field) <= 3  # the mismatch and an orphan carry a theme field of their own


@pytest.mark.parametrize("name", ["jira_cloud", "jira_dc", "ado"])
def test_every_rule_has_a_deliberate_case(
    portfolio: SamplePortfolio, policy: PortfolioPolicy, name: str
) -> None:
    dataset = getattr(portfolio, name)
    mapping = ADO_MAPPING if name == "ado" else JIRA_MAPPING
    items = portfolio.work_items(dataset, name, mapping)
    conditions = RuleConditions(items, policy, portfolio.now)

    assert conditions.unaligned()
    assert conditions.retired_theme()
    assert conditions.theme_mismatch()
    assert conditions.orphan_features()
    assert conditions.premature_starts()
    over, under = conditions.allocation_drift()
    assert over and under
    assert conditions.wip_breaches() == ["Implementing"]
    assert conditions.starved() == ["Analyzing"]
    assert conditions.aging()
    assert conditions.stale()
    assert conditions.wsjf_inversions()
    assert [item.key for item in items if item.state == UNMAPPED]
    assert [item for item in dataset if item.malformed]


def test_the_named_cases_are_the_deliberate_ones(
    portfolio: SamplePortfolio, policy: PortfolioPolicy
) -> None:
    items = portfolio.work_items(portfolio.jira_cloud, "jira-cloud", JIRA_MAPPING)
    conditions = RuleConditions(items, policy, portfolio.now)
    cases = portfolio.cases(portfolio.jira_cloud)

    assert set(cases["aging"]) == set(conditions.aging())
    assert set(cases["stale"]) == set(conditions.stale())
    assert set(cases["premature-start"]) == set(conditions.premature_starts())
    assert set(cases["theme-mismatch"]) == set(conditions.theme_mismatch())
    assert set(cases["orphan-feature"]) == set(conditions.orphan_features())
    assert set(cases["retired-theme"]) <= set(conditions.retired_theme())
    assert set(cases["unaligned"]) <= set(conditions.unaligned())
    low, high = cases["wsjf-inversion"]
    assert (low, high) in conditions.wsjf_inversions()
    assert {item.key for item in items if item.state == UNMAPPED} == set(cases["unmapped"])


def test_work_items_skip_malformed_items_and_map_statuses(portfolio: SamplePortfolio) -> None:
    dataset = portfolio.jira_cloud
    items = {item.key: item for item in portfolio.work_items(dataset, "jira-cloud", JIRA_MAPPING)}
    history = portfolio.history(dataset, "jira-cloud")

    malformed = {item.key for item in dataset if item.malformed}
    assert len(items) == len(dataset) - len(malformed) and not malformed & set(items)
    sample = next(item for item in dataset if item.status == "In Progress" and item.parent_key)
    mapped = items[sample.key]
    assert (mapped.state, mapped.level, mapped.source) == (
        "Implementing",
        Level.FEATURE,
        "jira-cloud",
    )
    assert mapped.parent is not None and mapped.parent.key == sample.parent_key
    assert mapped.entered_state_at == sample.history[-1].at
    assert mapped.url.endswith(f"/browse/{sample.key}")
    assert sum(change.key == sample.key for change in history) == len(sample.history)


def test_progress_and_add_item_change_the_portfolio_between_syncs() -> None:
    portfolio = generate()
    dataset = portfolio.jira_cloud
    later = DEFAULT_NOW + timedelta(days=1)
    before = {item.key: item for item in dataset}

    moved = portfolio.progress(dataset, at=later, count=5, seed=3)
    added = portfolio.add_item(
        dataset, at=later, kind="Feature", title="New idea", parent_key="PORT-2"
    )

    assert len(moved) == 5
    for key in moved:
        item = dataset.get(key)
        assert item is not None and item.updated == later
        assert item.history[-1] == item.history[-1].__class__(
            later, before[key].status, item.status
        )
    assert (added.key, added.status, added.created) == ("PORT-321", "Funnel", later)
    assert dataset.get("PORT-321") == added and len(dataset) == 321


@pytest.mark.slow
def test_one_hundred_thousand_items_generate_quickly() -> None:
    started = time.perf_counter()
    dataset = generate(size=100_000).jira_cloud
    elapsed = time.perf_counter() - started

    print(f"generated {len(dataset)} items in {elapsed:.2f} s")  # noqa: T201 (recorded, not asserted)
    kinds = Counter(item.kind for item in dataset)
    assert len(dataset) == 100_000
    assert kinds["Epic"] == round(100_000 / 7)


def wsjf_inputs(item: SampleItem) -> list[float | None]:
    return [item.business_value, item.time_criticality, item.risk_reduction, item.job_size]


class RuleConditions:
    """Each rule's condition from the design's rule table, computed straight from the items."""

    def __init__(self, items: list[WorkItem], policy: PortfolioPolicy, now: object) -> None:
        self.items, self.policy, self.now = items, policy, now
        self.by_key = {item.key: item for item in items}
        self.active = set(policy.active_states)
        self.retired = {
            t.key for t in policy.themes if t.active_until and t.active_until < DEFAULT_NOW.date()
        }

    def own_themes(self, item: WorkItem) -> set[str]:
        values = [*item.theme_values, *item.labels]
        return {THEME_OF[value] for value in values if value in THEME_OF}

    def themes(self, item: WorkItem) -> set[str]:
        parent = self.by_key.get(item.parent.key) if item.parent else None
        return self.own_themes(item) or (self.own_themes(parent) if parent else set())

    def active_items(self, level: Level | None = None) -> list[WorkItem]:
        return [i for i in self.items if i.state in self.active and level in (None, i.level)]

    def unaligned(self) -> list[str]:
        return [i.key for i in self.active_items() if not self.themes(i)]

    def retired_theme(self) -> list[str]:
        return [
            i.key for i in self.active_items() if self.themes(i) and self.themes(i) <= self.retired
        ]

    def theme_mismatch(self) -> list[str]:
        found = []
        for item in self.items:
            parent = self.by_key.get(item.parent.key) if item.parent else None
            mine = self.own_themes(item)
            if parent and mine and self.own_themes(parent) and mine != self.own_themes(parent):
                found.append(item.key)
        return found

    def orphan_features(self) -> list[str]:
        return [i.key for i in self.active_items(Level.FEATURE) if i.parent is None]

    def premature_starts(self) -> list[str]:
        unapproved = {"Funnel", "Reviewing", "Analyzing"}
        return [
            i.key
            for i in self.items
            if i.level == Level.FEATURE
            and i.state == "Implementing"
            and i.parent
            and self.by_key[i.parent.key].state in unapproved
        ]

    def allocation_drift(self) -> tuple[list[str], list[str]]:
        epics = self.active_items(Level.EPIC)
        counts = Counter(key for epic in epics for key in self.themes(epic))
        over, under = [], []
        for theme in self.policy.themes:
            if theme.target_share is None or theme.key in self.retired:
                continue
            share = counts[theme.key] / len(epics)
            if share > theme.target_share + 0.10:
                over.append(theme.key)
            if share < theme.target_share - 0.10:
                under.append(theme.key)
        return over, under

    def _epic_counts(self) -> Counter[str]:
        return Counter(i.state for i in self.items if i.level == Level.EPIC)

    def wip_breaches(self) -> list[str]:
        counts = self._epic_counts()
        return [
            state.name
            for state in self.policy.states
            for limit in state.limits
            if limit.level == Level.EPIC
            and limit.value_stream is None
            and limit.max is not None
            and counts[state.name] > limit.max
        ]

    def starved(self) -> list[str]:
        counts = self._epic_counts()
        return [
            state.name
            for state in self.policy.states
            for limit in state.limits
            if limit.level == Level.EPIC
            and limit.min is not None
            and counts[state.name] < limit.min
        ]

    def aging(self) -> list[str]:
        limits = {s.name: s.max_age_days for s in self.policy.states if s.max_age_days}
        return [
            i.key
            for i in self.items
            if i.state in limits
            and i.entered_state_at
            and (DEFAULT_NOW - i.entered_state_at).days > limits[i.state]
        ]

    def stale(self) -> list[str]:
        after = self.policy.rule("stale").stale_after_days
        return [i.key for i in self.active_items() if (DEFAULT_NOW - i.updated).days > after]

    def wsjf_inversions(self) -> list[tuple[str, str]]:
        def scored(state: str) -> list[tuple[str, float]]:
            return [
                (i.key, i.wsjf.score)
                for i in self.items
                if i.level == Level.EPIC and i.state == state and i.wsjf.score is not None
            ]

        return [
            (doing, waiting)
            for doing, low in scored("Implementing")
            for waiting, high in scored("Ready")
            if low < high
        ]
