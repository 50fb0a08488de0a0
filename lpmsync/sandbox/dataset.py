"""The sandbox's tracker-neutral data: what every personality renders in its own API's shapes.

The generator fills a `Dataset`; the Jira and Azure DevOps personalities read it (and tests change
it between syncs through its methods, which bump `updated` like a real tracker would).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Transition:
    at: datetime
    from_status: str | None
    to_status: str


@dataclass(frozen=True, slots=True)  # slots: benchmarks hold 100,000 of them
class SampleItem:
    """One epic or feature as a tracker holds it (statuses are the tracker's own names)."""

    key: str  # Jira "PORT-12"; Azure DevOps the numeric id as text
    id: int
    kind: str  # issue or work item type: "Epic" | "Feature"
    title: str
    status: str
    created: datetime
    updated: datetime
    parent_key: str | None = None
    labels: tuple[str, ...] = ()  # Jira labels / Azure DevOps tags
    components: tuple[str, ...] = ()
    theme: str | None = None  # value of the theme custom field
    value_stream: str | None = None
    area_path: str | None = None
    owner: str | None = None
    estimate: float | None = None
    business_value: float | None = None
    time_criticality: float | None = None
    risk_reduction: float | None = None
    job_size: float | None = None
    history: tuple[Transition, ...] = ()
    malformed: bool = False  # the personality serves it with a broken shape
    target_date: date | None = None  # Jira due date / Azure DevOps target date


@dataclass
class Dataset:
    """Items of one tracker project, ordered by id, safe to read and change across threads."""

    project: str
    items: dict[str, SampleItem] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._version = 0
        self._ordered: tuple[SampleItem, ...] | None = None

    def __iter__(self) -> Iterator[SampleItem]:
        return iter(self.ordered())

    def ordered(self) -> tuple[SampleItem, ...]:
        """Every item by id. Cached until the next change: personalities list 100,000 items
        on every page request, and re-sorting them each time would dominate benchmarks."""
        with self._lock:
            if self._ordered is None or len(self._ordered) != len(self.items):
                self._ordered = tuple(sorted(self.items.values(), key=lambda item: item.id))
            return self._ordered

    @property
    def version(self) -> int:
        """Bumped by every add, delete and change; lets readers cache derived views."""
        return self._version

    def _changed(self) -> None:
        self._version += 1
        self._ordered = None

    def __len__(self) -> int:
        return len(self.items)

    def get(self, key: str) -> SampleItem | None:
        with self._lock:
            return self.items.get(key)

    def add(self, item: SampleItem) -> None:
        with self._lock:
            self.items[item.key] = item
            self._changed()

    def delete(self, key: str) -> None:
        with self._lock:
            if self.items.pop(key, None) is not None:
                self._changed()

    def change(self, key: str, at: datetime, **changes: object) -> SampleItem:
        """Change fields of one item as a user would; a new status adds a transition."""
        with self._lock:
            item = self.items[key]
            new_status = changes.get("status")
            history = item.history
            if isinstance(new_status, str) and new_status != item.status:
                history = (*history, Transition(at, item.status, new_status))
            updated = replace(item, **changes, updated=at, history=history)  # type: ignore[arg-type]
            self.items[key] = updated
            self._changed()
            return updated

    def next_id(self) -> int:
        with self._lock:
            return max((item.id for item in self.items.values()), default=0) + 1
