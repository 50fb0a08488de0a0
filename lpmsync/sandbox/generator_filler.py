"""The filler: the healthy bulk of a sample portfolio, in fixed proportions at every size.

Its proportions carry the aggregate rule cases: a third of the epics are Implementing (the demo
limit is 12, so `wip-breach` fires from the default size up), no epic is in Analyzing (the one
deliberate Analyzing epic starves it), and active epics lean hard towards Platform Modernisation
(55%, target 25%) while Market Growth gets 5% (target 20%): `allocation-drift` both ways.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

from lpmsync.sandbox.generator_catalog import (
    ACTIVE,
    ANALYZING,
    DONE,
    FUNNEL,
    IMPLEMENTING,
    READY,
    REVIEWING,
    THEMES,
    VALUE_STREAMS,
)
from lpmsync.sandbox.generator_drafts import Draft
from lpmsync.sandbox.generator_plan import Planner

EPIC_STATE_SHARES = (
    (FUNNEL, 0.15),
    (REVIEWING, 0.15),
    (READY, 0.15),
    (IMPLEMENTING, 0.33),
    (DONE, 0.22),
)
ACTIVE_THEME_SHARES = (("platform", 0.55), ("cx", 0.25), ("data", 0.15), ("growth", 0.05))
_CURRENT_THEMES = tuple(theme.key for theme in THEMES if theme.active_until is None)
_ALL_THEMES = tuple(theme.key for theme in THEMES)

# A feature's state follows its epic's, so the filler never starts work before its epic is ready.
_FEATURE_STATES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    REVIEWING: ((FUNNEL, REVIEWING), (0.7, 1.0)),
    READY: ((FUNNEL, REVIEWING, ANALYZING, READY), (0.2, 0.4, 0.7, 1.0)),
    IMPLEMENTING: ((ANALYZING, READY, IMPLEMENTING, DONE), (0.05, 0.25, 0.7, 1.0)),
    DONE: ((DONE,), (1.0,)),
}
_FEATURES_PER_EPIC_WEIGHT = {REVIEWING: 1.0, READY: 2.0, IMPLEMENTING: 3.0, DONE: 2.0}
_MALFORMED_PER_ITEMS = 1000


def quotas(count: int, shares: Sequence[tuple[str, float]], rng: random.Random) -> list[str]:
    """`count` labels in exactly the given shares (largest remainder), in a seeded order."""
    total = sum(share for _, share in shares)
    exact = [(label, count * share / total) for label, share in shares]
    result = {label: int(amount) for label, amount in exact}
    by_remainder = sorted(exact, key=lambda pair: int(pair[1]) - pair[1])
    for label, _ in by_remainder[: count - sum(result.values())]:
        result[label] += 1
    labels = [label for label, _ in shares for _ in range(result[label])]
    rng.shuffle(labels)
    return labels


def plan_filler(planner: Planner, epics: int, features: int) -> None:
    """Plan `epics` healthy epics and `features` features under them; a few are malformed."""
    rng = planner.rng
    states = quotas(epics, EPIC_STATE_SHARES, rng)
    streams = quotas(epics, [(name, 1.0) for name in VALUE_STREAMS], rng)
    active_themes = iter(quotas(sum(s in ACTIVE for s in states), ACTIVE_THEME_SHARES, rng))
    planned: list[Draft] = []
    for state, stream in zip(states, streams, strict=True):
        if state in ACTIVE:
            theme: str | None = next(active_themes)
        elif state == DONE:
            theme = rng.choice(_ALL_THEMES)
        else:  # funnel ideas are often not yet tied to a theme
            theme = rng.choice(_CURRENT_THEMES) if rng.random() < 0.8 else None
        planned.append(planner.epic(state, stream, theme=theme))
    _plan_features(planner, [epic for epic in planned if epic.state != FUNNEL], features)


def _plan_features(planner: Planner, parents: list[Draft], count: int) -> None:
    rng = planner.rng
    weights = list(itertools.accumulate(_FEATURES_PER_EPIC_WEIGHT[epic.state] for epic in parents))
    malformed = set(rng.sample(range(count), min(count, max(3, count // _MALFORMED_PER_ITEMS))))
    for index in range(count):
        parent = rng.choices(parents, cum_weights=weights)[0]
        choices, cumulative = _FEATURE_STATES[parent.state]
        state = rng.choices(choices, cum_weights=cumulative)[0]
        label = _inherited_label(parent, rng)
        feature = planner.feature(parent, state, theme_label=label)
        feature.malformed = index in malformed


def _inherited_label(parent: Draft, rng: random.Random) -> str | None:
    """Some teams repeat their epic's theme label on features (same theme: no mismatch)."""
    theme = parent.theme_field or (parent.theme_labels[0] if parent.theme_labels else None)
    return theme if theme and rng.random() < 0.2 else None
