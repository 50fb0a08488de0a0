"""Drafts: items being planned, before they get keys, ids and timestamps.

Times are ages in days before `now`, so the plan reads like a portfolio manager's story ("entered
Reviewing four months ago"); the generator turns them into datetimes at the end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from lpmsync.sandbox.generator_catalog import (
    EPIC_NOUNS,
    EPIC_VERBS,
    FEATURE_PARTS,
    FUNNEL,
    IMPLEMENTING,
    PEOPLE,
    READY,
    VALUE_STREAMS,
)

EPIC, FEATURE = "Epic", "Feature"
Wsjf = tuple[float | None, float | None, float | None, float | None]
NO_WSJF: Wsjf = (None, None, None, None)

_FIB = (1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0)
_HIGH = (3.0, 5.0, 8.0, 13.0, 20.0)
_LOW = (1.0, 2.0, 3.0, 5.0, 8.0)
_EPIC_SIZES = (20.0, 40.0, 60.0, 80.0, 100.0, 150.0)


@dataclass(slots=True)
class Draft:
    level: str
    state: str  # a portfolio state from FLOW, or PARKED
    value_stream: str
    team: str
    topic: str  # what the item is about; features reuse their epic's
    title: str
    created_age: float
    entered_age: float
    updated_age: float
    parent: Draft | None = None
    theme_field: str | None = None  # theme key carried in the theme field
    theme_labels: tuple[str, ...] = ()  # theme keys carried as labels / tags
    other_labels: tuple[str, ...] = ()
    owner: str | None = None
    estimate: float | None = None
    wsjf: Wsjf = NO_WSJF
    malformed: bool = False
    target_in_days: int | None = None  # a target (due) date this many days after `now`
    number: int = 0  # position in creation order, assigned when the plan is complete


def banded_wsjf(rng: random.Random, state: str) -> Wsjf:
    """WSJF inputs whose score keeps Implementing work (score >= 3) above Ready work (< 2), so
    the only WSJF inversions in a sample portfolio are the deliberate ones."""
    if state == FUNNEL and rng.random() < 0.5:
        return NO_WSJF
    inputs: list[float | None]
    if state == IMPLEMENTING:
        inputs = [rng.choice(_HIGH), rng.choice(_HIGH), rng.choice(_HIGH), rng.choice(_FIB[:3])]
    elif state == READY:
        inputs = [rng.choice(_LOW), rng.choice(_LOW), rng.choice(_LOW), rng.choice(_FIB[5:])]
    else:
        inputs = [rng.choice(_FIB) for _ in range(4)]
    if rng.random() < 0.06:  # someone forgot one input: missing is not zero
        inputs[rng.randrange(4)] = None
    return (inputs[0], inputs[1], inputs[2], inputs[3])


def estimate_for(rng: random.Random, level: str, state: str) -> float | None:
    if state == FUNNEL and rng.random() < 0.5:
        return None
    return rng.choice(_EPIC_SIZES if level == EPIC else _FIB)


def owner_for(rng: random.Random) -> str | None:
    return None if rng.random() < 0.05 else rng.choice(PEOPLE)


def epic_topic(rng: random.Random, value_stream: str) -> tuple[str, str]:
    """(topic, title) for an epic of the value stream."""
    topic = rng.choice(EPIC_NOUNS[value_stream])
    return topic, f"{rng.choice(EPIC_VERBS)} {topic}"


def feature_title(rng: random.Random, topic: str) -> str:
    subject = topic.removeprefix("the ")
    return f"{subject[0].upper()}{subject[1:]}: {rng.choice(FEATURE_PARTS)}"


def team_for(rng: random.Random, value_stream: str) -> str:
    return rng.choice(VALUE_STREAMS[value_stream])
