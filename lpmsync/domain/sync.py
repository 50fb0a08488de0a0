"""The contract between connectors and the store: pages of items, each with its cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lpmsync.domain.findings import JsonValue
from lpmsync.domain.model import SkippedItem, StateChange, WorkItem

Cursor = Mapping[str, JsonValue]


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """What a connector is asked for. `cursor` is what the source's last committed page left;
    `known_keys` are the keys the store holds for this source; `full` ignores the cursor."""

    cursor: Cursor | None
    known_keys: frozenset[str]
    full: bool = False


@dataclass(frozen=True, slots=True)
class SyncPage:
    """One unit of work the store commits in a single transaction.

    - `items` are upserted (identified by source and key).
    - `history` transitions are added; a transition already stored is ignored.
    - `cursor`, when set, is stored in the same transaction, so it is never ahead of the data.
    - `scope`, when set, is the complete set of keys now in scope: stored items of this source
      outside it are deleted with their history (deleted in the tracker or moved out of the JQL).
    - `skipped` and `unmapped_statuses` are counted and reported with the run.
    - `requests` is how many tracker requests produced this page.
    """

    items: tuple[WorkItem, ...] = ()
    history: tuple[StateChange, ...] = ()
    cursor: Cursor | None = None
    scope: frozenset[str] | None = None
    skipped: tuple[SkippedItem, ...] = ()
    requests: int = 0


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What committing a page changed in the store; `refused` are the page's items the store
    would not hold (see `lpmsync.domain.sanitise`), skipped and counted like the connector's."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    refused: tuple[SkippedItem, ...] = ()
