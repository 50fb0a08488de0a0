"""Work happening between two syncs: items move on, new ones appear, some are deleted.

Every change goes through `Dataset`'s methods, so `updated` moves to the time of the change and a
status change adds a transition (and a changelog entry / revision) as in a real tracker.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime

from lpmsync.sandbox.dataset import Dataset, SampleItem, Transition
from lpmsync.sandbox.generator_catalog import FLOW, Flavor


def progress(
    dataset: Dataset, flavor: Flavor, *, at: datetime, count: int, seed: int = 0
) -> list[str]:
    """Move `count` not-yet-done items one state along the portfolio flow; their keys, by id."""
    statuses = [flavor.statuses[state] for state in FLOW]
    following = dict(itertools.pairwise(statuses))
    movable = [item for item in dataset if item.status in following and not item.malformed]
    chosen = random.Random(seed).sample(movable, min(count, len(movable)))
    for item in sorted(chosen, key=lambda item: item.id):
        dataset.change(item.key, at, status=following[item.status])
    return [item.key for item in sorted(chosen, key=lambda item: item.id)]


def add_item(
    dataset: Dataset,
    flavor: Flavor,
    *,
    at: datetime,
    kind: str,
    title: str,
    parent_key: str | None = None,
    **fields: object,
) -> SampleItem:
    """A new item created at `at` in the first state of the flow (override with status=...)."""
    item_id = dataset.next_id()
    key = flavor.key_for(item_id - flavor.first_id)
    status = str(fields.pop("status", flavor.statuses[FLOW[0]]))
    item = SampleItem(
        key=key,
        id=item_id,
        kind=kind,
        title=title,
        status=status,
        created=at,
        updated=at,
        parent_key=parent_key,
        history=(Transition(at, None, status),),
        **fields,  # type: ignore[arg-type]
    )
    dataset.add(item)
    return item
