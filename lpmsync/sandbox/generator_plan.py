"""The planner: creates epic and feature drafts with plausible, healthy defaults.

Anything a case does not say is chosen so that it triggers no rule: items entered their state well
within its age limit, were updated recently, and carry WSJF inputs in the band of their state.
The deliberate rule cases override exactly the attribute that makes them break a rule.
"""

from __future__ import annotations

import random

from lpmsync.sandbox.generator_catalog import ACTIVE, FUNNEL
from lpmsync.sandbox.generator_drafts import (
    EPIC,
    FEATURE,
    Draft,
    Wsjf,
    banded_wsjf,
    epic_topic,
    estimate_for,
    feature_title,
    owner_for,
    team_for,
)

HEALTHY_AGE_DAYS = {"Reviewing": 45.0, "Analyzing": 45.0, "Ready": 75.0, "Implementing": 120.0}
"""Longest time a healthy item has been in its state; demo.yaml's max_age_days are above."""
RECENT_UPDATE_DAYS = 20.0
"""Healthy active items were updated within this many days (demo stale_after_days is 30)."""
HISTORY_DAYS = (150.0, 200.0)
"""Epics were created this many days ago: about six months of history."""


class Planner:
    """Collects drafts in the order they are planned."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.drafts: list[Draft] = []

    def epic(
        self,
        state: str,
        value_stream: str,
        *,
        theme: str | None = None,
        via: str | None = None,
        other_labels: tuple[str, ...] = (),
        entered_age: float | None = None,
        updated_age: float | None = None,
        wsjf: Wsjf | None = None,
    ) -> Draft:
        """An epic; `via` is "field", "label" or "both" (None: chosen at random)."""
        rng = self.rng
        created = rng.uniform(*HISTORY_DAYS)
        if entered_age is not None:
            created = max(created, entered_age + 1.0)
        topic, title = epic_topic(rng, value_stream)
        draft = Draft(
            level=EPIC,
            state=state,
            value_stream=value_stream,
            team=team_for(rng, value_stream),
            topic=topic,
            title=title,
            created_age=created,
            entered_age=0.0,
            updated_age=0.0,
            other_labels=other_labels,
            owner=owner_for(rng),
            estimate=estimate_for(rng, EPIC, state),
            wsjf=banded_wsjf(rng, state) if wsjf is None else wsjf,
        )
        if theme is not None:
            self._theme(draft, theme, via)
        self._times(draft, entered_age, updated_age)
        self.drafts.append(draft)
        return draft

    def feature(
        self,
        parent: Draft | None,
        state: str,
        *,
        value_stream: str | None = None,
        theme_field: str | None = None,
        theme_label: str | None = None,
        title: str | None = None,
        entered_age: float | None = None,
        updated_age: float | None = None,
    ) -> Draft:
        """A feature; without a theme of its own it inherits its epic's."""
        rng = self.rng
        stream = value_stream or (parent.value_stream if parent else "Platform")
        oldest = parent.created_age - 0.5 if parent else HISTORY_DAYS[1]
        created = rng.uniform(oldest * 0.4, oldest)
        if entered_age is not None:
            created = max(created, entered_age + 1.0)
        topic = parent.topic if parent else epic_topic(rng, stream)[0]
        draft = Draft(
            level=FEATURE,
            state=state,
            value_stream=stream,
            team=parent.team if parent and rng.random() < 0.7 else team_for(rng, stream),
            topic=topic,
            title=title or feature_title(rng, topic),
            created_age=created,
            entered_age=0.0,
            updated_age=0.0,
            parent=parent,
            theme_field=theme_field,
            theme_labels=(theme_label,) if theme_label else (),
            owner=owner_for(rng),
            estimate=estimate_for(rng, FEATURE, state),
            wsjf=banded_wsjf(rng, state),
        )
        self._times(draft, entered_age, updated_age)
        self.drafts.append(draft)
        return draft

    def _theme(self, draft: Draft, theme: str, via: str | None) -> None:
        roll = self.rng.random()
        via = via or ("field" if roll < 0.55 else "label" if roll < 0.8 else "both")
        if via in ("field", "both"):
            draft.theme_field = theme
        if via in ("label", "both"):
            draft.theme_labels = (theme,)

    def _times(self, draft: Draft, entered_age: float | None, updated_age: float | None) -> None:
        rng, created = self.rng, draft.created_age
        if entered_age is None:
            if draft.state == FUNNEL:
                entered_age = created
            else:
                longest = HEALTHY_AGE_DAYS.get(draft.state, created)
                entered_age = rng.uniform(0.5, min(longest, created - 0.5))
        if updated_age is None:
            recent = RECENT_UPDATE_DAYS if draft.state in ACTIVE else entered_age
            updated_age = rng.uniform(0.01, min(recent, entered_age))
        draft.entered_age, draft.updated_age = entered_age, updated_age
