"""The items alerts mention besides their subject (a WIP cell's items, an epic, a parent), so
messages can name and link them: `Epic 1003 · Launch dashboards`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from lpmsync.domain.findings import Finding
from lpmsync.domain.model import WorkItem
from lpmsync.notify.wording import ItemLink, word


class ItemLoader(Protocol):
    """The store's item repository fits."""

    def load(self, sources: Iterable[str] | None = None) -> list[WorkItem]: ...


def related_links(findings: Sequence[Finding], items: ItemLoader) -> dict[str, ItemLink]:
    """`source:key` → link for every item the findings' wording mentions. Loads only the
    sources those items come from, and nothing when no finding mentions another item."""
    wanted = {ref for finding in findings for ref in word(finding).related}
    if not wanted:
        return {}
    sources = {ref.partition(":")[0] for ref in wanted}
    return {
        f"{item.source}:{item.key}": ItemLink(
            item.source, item.key, item.title, item.url, item.level.value
        )
        for item in items.load(sources)
        if f"{item.source}:{item.key}" in wanted
    }
