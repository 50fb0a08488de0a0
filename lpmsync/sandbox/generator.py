"""The seeded sample portfolio: three trackers' worth of epics and features for the demo, the
integration tests and the benchmarks.

`generate(seed, size, now)` is deterministic in its arguments. Each dataset holds the same story
told in its tracker's words: Jira Cloud project PORT, Jira Data Center project ENT and Azure DevOps
project Contoso, each with four value streams (Payments, Mobile, Platform, Data), five strategic
themes (Legacy Retirement retired on 2026-06-30), about six months of state history, and a
deliberate case of every rule (see generator_cases and generator_filler). Datasets are built on
first use, so a benchmark that needs 100,000 Jira items does not pay for the other two.
"""

from __future__ import annotations

import gc
import random
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from lpmsync.domain.model import StateChange, WorkItem
from lpmsync.sandbox import generator_activity, to_domain
from lpmsync.sandbox.dataset import Dataset, SampleItem, Transition
from lpmsync.sandbox.generator_cases import plan_cases
from lpmsync.sandbox.generator_catalog import (
    ADO,
    FLOW,
    JIRA_CLOUD,
    JIRA_DC,
    PARKED,
    REVIEWING,
    THEME_BY_KEY,
    Flavor,
    email_of,
)
from lpmsync.sandbox.generator_drafts import EPIC, Draft
from lpmsync.sandbox.generator_filler import plan_filler
from lpmsync.sandbox.generator_plan import Planner

DEFAULT_NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
DEFAULT_SIZE = 320
"""Items per dataset by default: 46 epics and 274 features."""
MIN_SIZE = 100
"""Below this the deliberate cases would crowd out the healthy portfolio around them."""
FEATURES_PER_EPIC = 6

_PARKED_PATH = (FLOW[0], REVIEWING, PARKED)
FLAVORS = {flavor.project: flavor for flavor in (JIRA_CLOUD, JIRA_DC, ADO)}


class SamplePortfolio:
    """The three sample datasets of one (seed, size, now), plus shortcuts into the domain."""

    def __init__(self, seed: int, size: int, now: datetime) -> None:
        self.seed, self.size, self.now = seed, size, now
        self._lock = threading.Lock()
        self._built: dict[str, tuple[Dataset, dict[str, tuple[str, ...]]]] = {}

    @property
    def jira_cloud(self) -> Dataset:
        return self._dataset(JIRA_CLOUD)

    @property
    def jira_dc(self) -> Dataset:
        return self._dataset(JIRA_DC)

    @property
    def ado(self) -> Dataset:
        return self._dataset(ADO)

    def cases(self, dataset: Dataset) -> Mapping[str, tuple[str, ...]]:
        """Keys of the deliberate item cases in `dataset`, by rule id (plus "unmapped")."""
        return self._built[dataset.project][1]

    def work_items(
        self, dataset: Dataset, source_name: str, statuses: Mapping[str, str]
    ) -> list[WorkItem]:
        """The dataset as a connector would map it (malformed items skipped); no HTTP."""
        return to_domain.work_items(dataset, source_name, statuses)

    def history(self, dataset: Dataset, source_name: str) -> list[StateChange]:
        """Every status transition in the dataset, as a connector would read it."""
        return to_domain.history(dataset, source_name)

    def progress(self, dataset: Dataset, *, at: datetime, count: int, seed: int = 0) -> list[str]:
        """Between syncs: move `count` items one state on (at time `at`); their keys."""
        return generator_activity.progress(
            dataset, FLAVORS[dataset.project], at=at, count=count, seed=seed
        )

    def add_item(
        self,
        dataset: Dataset,
        *,
        at: datetime,
        kind: str,
        title: str,
        parent_key: str | None = None,
        **fields: object,
    ) -> SampleItem:
        """Between syncs: a new item in the funnel (or `status=`), created and updated at `at`."""
        return generator_activity.add_item(
            dataset,
            FLAVORS[dataset.project],
            at=at,
            kind=kind,
            title=title,
            parent_key=parent_key,
            **fields,
        )

    def _dataset(self, flavor: Flavor) -> Dataset:
        with self._lock:
            if flavor.project not in self._built:
                self._built[flavor.project] = build_dataset(flavor, self.seed, self.size, self.now)
            return self._built[flavor.project][0]


def generate(
    seed: int = 42, size: int | None = None, now: datetime = DEFAULT_NOW
) -> SamplePortfolio:
    """The sample portfolio for `seed`; `size` items per dataset (default 320, at least 100)."""
    size = DEFAULT_SIZE if size is None else size
    if size < MIN_SIZE:
        raise ValueError(f"a sample dataset needs at least {MIN_SIZE} items, got {size}")
    return SamplePortfolio(seed, size, now)


def build_dataset(
    flavor: Flavor, seed: int, size: int, now: datetime
) -> tuple[Dataset, dict[str, tuple[str, ...]]]:
    """One tracker's dataset of `size` items and the keys of its deliberate cases."""
    rng = random.Random(f"{seed}:{flavor.project}")
    with _collector_paused():
        planner = Planner(rng)
        cases = plan_cases(planner)
        core_epics = sum(draft.level == EPIC for draft in planner.drafts)
        core_features = len(planner.drafts) - core_epics
        epics = max(core_epics + 8, round(size / (FEATURES_PER_EPIC + 1)))
        plan_filler(planner, epics - core_epics, size - epics - core_features)
        drafts = sorted(planner.drafts, key=lambda draft: -draft.created_age)  # ids: creation
        for number, draft in enumerate(drafts, start=1):
            draft.number = number
        convert = _Converter(flavor, now, rng)
        dataset = Dataset(flavor.project, {item.key: item for item in map(convert, drafts)})
    keys = {
        rule: tuple(flavor.key_for(draft.number) for draft in members)
        for rule, members in cases.items()
    }
    return dataset, keys


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Bulk allocation of acyclic objects: the cycle collector would only rescan them (~20%)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Converter:
    """Turns drafts into SampleItems in one flavor's words, ages into timestamps."""

    def __init__(self, flavor: Flavor, now: datetime, rng: random.Random) -> None:
        self.flavor, self.now, self.rng = flavor, now.replace(microsecond=0), rng
        # Shared small values: 100,000 items reuse a few hundred distinct tuples and strings.
        self._tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._strings: dict[tuple[str, ...], str] = {}

    def __call__(self, draft: Draft) -> SampleItem:
        flavor = self.flavor
        return SampleItem(
            key=flavor.key_for(draft.number),
            id=flavor.id_for(draft.number),
            kind=draft.level,
            title=draft.title,
            status=flavor.statuses[draft.state],
            created=self._at(draft.created_age),
            updated=self._at(draft.updated_age),
            parent_key=flavor.key_for(draft.parent.number) if draft.parent else None,
            labels=self._labels(draft),
            components=() if flavor.area_path_root else self._share((draft.value_stream,)),
            theme=THEME_BY_KEY[draft.theme_field].name if draft.theme_field else None,
            value_stream=draft.value_stream,
            area_path=self._area_path(draft),
            owner=self._owner(draft),
            estimate=draft.wsjf[3] if flavor.effort_is_job_size else draft.estimate,
            business_value=draft.wsjf[0],
            time_criticality=draft.wsjf[1],
            risk_reduction=draft.wsjf[2],
            job_size=draft.wsjf[3],
            history=self._history(draft),
            malformed=draft.malformed,
            target_date=(
                None if draft.target_in_days is None else self._at(-draft.target_in_days).date()
            ),
        )

    def _at(self, age_days: float) -> datetime:
        return self.now - timedelta(seconds=int(age_days * 86400))

    def _share(self, value: tuple[str, ...]) -> tuple[str, ...]:
        return self._tuples.setdefault(value, value)

    def _labels(self, draft: Draft) -> tuple[str, ...]:
        tags = self.flavor.theme_labels_are_tags
        themes = (THEME_BY_KEY[key] for key in draft.theme_labels)
        names = tuple(theme.tag if tags else theme.label for theme in themes)
        return self._share(names + draft.other_labels)

    def _owner(self, draft: Draft) -> str | None:
        if draft.owner is None:
            return None
        return self._strings.setdefault(("owner", draft.owner), email_of(draft.owner))

    def _area_path(self, draft: Draft) -> str | None:
        root = self.flavor.area_path_root
        if root is None:
            return None
        path = f"{root}\\{draft.value_stream}\\{draft.team}"
        return self._strings.setdefault(("area", path), path)

    def _history(self, draft: Draft) -> tuple[Transition, ...]:
        """Creation in the funnel, then one transition per state up to the current one."""
        path = _PARKED_PATH if draft.state == PARKED else FLOW[: FLOW.index(draft.state) + 1]
        between = sorted(
            (self.rng.uniform(draft.entered_age, draft.created_age) for _ in path[2:]),
            reverse=True,
        )
        ages = [draft.created_age, *between, draft.entered_age][: len(path)]
        names = self.flavor.statuses
        transitions = [Transition(self._at(ages[0]), None, names[path[0]])]
        for index in range(1, len(path)):
            transitions.append(
                Transition(self._at(ages[index]), names[path[index - 1]], names[path[index]])
            )
        return tuple(transitions)
