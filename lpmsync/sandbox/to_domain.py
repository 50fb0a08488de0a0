"""Sample items straight into the domain model, skipping HTTP and connectors.

Analysis tests and benchmarks use this to get realistic WorkItems fast. It maps the way the demo
configuration's connectors do: theme from the theme field, value stream from the component or area
path, parent by key, statuses through the source's mapping (unknown ones become UNMAPPED), and
malformed items left out as a connector would skip them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lpmsync.domain.model import UNMAPPED, ItemRef, Level, StateChange, WorkItem, WsjfInputs
from lpmsync.sandbox.dataset import Dataset, SampleItem

DEMO_BASE_URLS = {
    "PORT": "http://127.0.0.1:18080",
    "ENT": "http://127.0.0.1:18081",
    "Contoso": "http://127.0.0.1:18082/contoso",
}
"""Where demo.yaml expects each sample project's tracker (for item URLs)."""


def work_items(
    dataset: Dataset,
    source_name: str,
    statuses: Mapping[str, str],
    *,
    base_url: str | None = None,
) -> list[WorkItem]:
    """Every well-formed item of `dataset` as a WorkItem of source `source_name`, by id."""
    base = base_url or DEMO_BASE_URLS.get(dataset.project, "http://127.0.0.1")
    return [
        _work_item(item, source_name, statuses, _url(base, dataset.project, item.key))
        for item in dataset
        if not item.malformed
    ]


def history(dataset: Dataset, source_name: str) -> list[StateChange]:
    """Every status transition of the well-formed items, oldest first per item."""
    return [
        StateChange(source_name, item.key, change.at, change.from_status, change.to_status)
        for item in dataset
        if not item.malformed
        for change in item.history
    ]


def entered_state_at(item: SampleItem) -> datetime:
    """When the item entered its current status: its last transition into it, else creation."""
    for change in reversed(item.history):
        if change.to_status == item.status:
            return change.at
    return item.created


def _url(base: str, project: str, key: str) -> str:
    if key.isdigit():  # Azure DevOps: the id is the key
        return f"{base}/{project}/_workitems/edit/{key}"
    return f"{base}/browse/{key}"


def _work_item(item: SampleItem, source: str, statuses: Mapping[str, str], url: str) -> WorkItem:
    return WorkItem(
        source=source,
        key=item.key,
        id=str(item.id),
        level=Level.EPIC if item.kind == "Epic" else Level.FEATURE,
        title=item.title,
        url=url,
        status=item.status,
        state=statuses.get(item.status, UNMAPPED),
        created=item.created,
        updated=item.updated,
        entered_state_at=entered_state_at(item),
        parent=ItemRef(source, item.parent_key) if item.parent_key else None,
        theme_values=(item.theme,) if item.theme else (),
        labels=item.labels,
        components=item.components,
        area_path=item.area_path,
        value_stream=item.value_stream,
        owner=item.owner,
        estimate=item.estimate,
        target_date=item.target_date,
        wsjf=WsjfInputs(
            item.business_value, item.time_criticality, item.risk_reduction, item.job_size
        ),
    )
